from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from skillforge.ingest.base import HEAD_BYTES
from skillforge.ingest.probe import probe
from skillforge.ingest.walk import iter_files
from skillforge.models import Skipped

DATA = Path(__file__).parent.parent / "data"


def _walk(*paths: Path) -> tuple[list[str], dict[str, str]]:
    files, skipped = [], {}
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            skipped[item.path] = item.reason
        else:
            files.append(str(item))
    return files, skipped


def test_files_come_in_sorted_order_and_noise_is_ignored(tmp_path: Path) -> None:
    for rel in ("b/2.md", "b/1.md", "a.md", "c/.hidden.md", ".git/config", "node_modules/x.md", "SOURCES.md", "z.md"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("# x\n\ntext\n")
    files, skipped = _walk(tmp_path)
    assert [Path(f).relative_to(tmp_path).as_posix() for f in files] == ["a.md", "z.md", "b/1.md", "b/2.md"]
    assert skipped == {}
    assert _walk(tmp_path) == (files, skipped)


def test_symlinks_inside_are_followed_outside_and_loops_are_reported(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.md").write_text("# secret\n\nkey\n")
    root = tmp_path / "input"
    (root / "sub").mkdir(parents=True)
    (root / "real.md").write_text("# real\n\ntext\n")
    (root / "alias.md").symlink_to(root / "real.md")
    (root / "escape.md").symlink_to(outside / "secret.md")
    (root / "escape_dir").symlink_to(outside)
    (root / "inner_dir").symlink_to(root / "sub")
    (root / "loop_a").symlink_to(root / "loop_b")
    (root / "loop_b").symlink_to(root / "loop_a")
    (root / "dangling.md").symlink_to(root / "gone.md")

    files, skipped = _walk(root)
    assert files == [str(root / "alias.md"), str(root / "real.md")]
    assert skipped == {
        str(root / "escape.md"): "symlink points outside the input folder, not followed",
        str(root / "escape_dir"): "symlink points outside the input folder, not followed",
        str(root / "inner_dir"): "symlinked folder inside the input, read via its real path",
        str(root / "loop_a"): "symlink loop, not followed",
        str(root / "loop_b"): "symlink loop, not followed",
        str(root / "dangling.md"): "broken symlink",
    }
    # Named on the command line, a symlink is the user's choice and is read.
    assert _walk(root / "escape.md") == ([str(root / "escape.md")], {})
    assert _walk(root / "loop_a") == ([], {str(root / "loop_a"): "symlink loop, not followed"})


def test_missing_paths_and_special_files_are_reported(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    files, skipped = _walk(tmp_path / "nope", tmp_path)
    assert files == []
    assert skipped == {
        str(tmp_path / "nope"): "no such file or directory",
        str(fifo): "not a regular file (device, socket or pipe)",
    }


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything, so permissions cannot be tested")
def test_unreadable_folder_is_reported_not_dropped(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.md").write_text("# a\n")
    locked.chmod(0)
    try:
        files, skipped = _walk(tmp_path)
    finally:
        locked.chmod(0o755)
    assert files == []
    assert skipped == {str(locked): "cannot read folder: Permission denied"}


def test_probe_kinds(tmp_path: Path) -> None:
    png = tmp_path / "logo.png"
    png.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4)
    latin1 = tmp_path / "notes.md"
    latin1.write_bytes("# Caf\u00e9 notes\n\nThe caf\u00e9 opens at 8.\n".encode("latin-1"))
    pretty = tmp_path / "pretty.json"
    pretty.write_text(json.dumps([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}], indent=2))
    bad_first_line = tmp_path / "bad.jsonl"
    bad_first_line.write_bytes(b'{"a": "\xff\xfe"}\n{"a": 1}\n{"a": 2}\n')
    assert probe(png).kind == "binary"
    assert probe(latin1).kind == "text"  # one Latin-1 accent is not a binary file
    assert probe(pretty).kind == "json"
    damaged = probe(bad_first_line)
    assert damaged.kind == "jsonl" and damaged.lines == [{"a": 1}, {"a": 2}]


def test_probe_sees_jsonl_past_a_first_line_longer_than_its_head(tmp_path: Path) -> None:
    path = tmp_path / "session.jsonl"
    with path.open("w") as fh:
        fh.write(json.dumps({"type": "user", "text": "x" * (HEAD_BYTES * 2)}) + "\n")
        fh.write(json.dumps({"type": "assistant", "text": "ok"}) + "\n")
    p = probe(path)
    assert p.kind == "jsonl"
    assert p.lines == [{"type": "assistant", "text": "ok"}]


def test_probe_of_a_truncated_document_keeps_its_shape(tmp_path: Path) -> None:
    path = tmp_path / "cut.json"
    path.write_text('{"tickets": [{"id": 1, "subject": "a"}, {"id": 2, "sub')
    p = probe(path)
    assert p.kind == "json"
    assert p.skeleton == {"tickets": [{"id": 1, "subject": "a"}]}
