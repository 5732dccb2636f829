"""Bad input never stops a run: each bad file or record gets one line naming it, the rest is read,
and the exit code is non-zero only when nothing usable was read. Checked through ``inspect_paths``
and through the real CLI."""

from __future__ import annotations

import json
import os
import shutil
import time
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.errors import InputError
from skillforge.ingest import FileReport, inspect_paths

DATA = Path(__file__).parent.parent / "data"
CLAUDE = DATA / "samples" / "claude_code_jsonl" / "projects" / "-src-experiments-claude_p" / "256ba646-2c15-437a-98e9-4171aafd030e.jsonl"
RUNBOOK = DATA / "samples" / "documents" / "runbook_KubeNodeNotReady.md"
TICKET = {"ticket_id": "T-1", "title": "Disk full", "question": "Builds fail with ENOSPC", "status": "closed",
          "answer": "Pruned docker images"}


def _ticket_line(n: int) -> str:
    return json.dumps({**TICKET, "ticket_id": f"T-{n}"})


def _inspect(*paths: Path, fmt: str | None = None) -> dict[str, FileReport]:
    return {Path(r.path).name: r for r in inspect_paths(paths, fmt)}


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["inspect", *args])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _reasons(report: FileReport) -> list[tuple[int | None, str]]:
    return [(s.line, s.reason) for s in report.skipped]


@pytest.fixture
def bad_folder(tmp_path: Path) -> Path:
    """One of each kind of bad input, next to one good document."""
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "empty.jsonl").write_bytes(b"")
    session = CLAUDE.read_bytes().rstrip(b"\n")
    (folder / "truncated_session.jsonl").write_bytes(session[: len(session) - 40])  # last line cut
    (folder / "blob.bin").write_bytes(bytes(range(256)) * 64)
    (folder / "bad_utf8.jsonl").write_bytes(
        (_ticket_line(1) + "\n").encode() + b'{"ticket_id": "T-2", "title": "caf\xe9"}\n' + (_ticket_line(3) + "\n").encode()
    )
    (folder / "bad_utf8.md").write_bytes(b"# Notes\n\n## Setup\n\nInstall it.\n\n## Caf\xe9 hours\n\nOpen at 8.\n")
    (folder / "config.yaml").write_text("server:\n  port: 8080\n  hosts: [a, b]\n")
    outside = tmp_path / "outside.md"
    outside.write_text("# Outside\n\nshould not be read\n")
    (folder / "escape.md").symlink_to(outside)
    (folder / "loop").symlink_to(folder / "loop")
    shutil.copy(RUNBOOK, folder / "good.md")
    return folder


def test_each_bad_file_gets_a_reason_and_the_run_goes_on(bad_folder: Path) -> None:
    reports = _inspect(bad_folder)
    assert _reasons(reports["empty.jsonl"]) == [(None, "empty file")]
    assert _reasons(reports["blob.bin"]) == [(None, "binary file, not a trace")]
    assert _reasons(reports["escape.md"]) == [(None, "symlink points outside the input folder, not followed")]
    assert _reasons(reports["loop"]) == [(None, "symlink loop, not followed")]
    assert reports["config.yaml"].format is None
    assert _reasons(reports["config.yaml"])[0][1].startswith("unknown format (text starting 'server:')")

    session = reports["truncated_session.jsonl"]
    assert session.format == "claude-code" and session.traces == 1
    last_line = CLAUDE.read_text().rstrip("\n").count("\n") + 1
    assert (last_line, "truncated JSON") in _reasons(session)

    tickets = reports["bad_utf8.jsonl"]
    assert (tickets.format, tickets.traces) == ("tickets-json", 2)
    assert _reasons(tickets) == [(2, "invalid UTF-8 at byte 34")]

    notes = reports["bad_utf8.md"]
    assert (notes.format, notes.traces, notes.steps) == ("markdown", 1, 2)
    assert _reasons(notes) == [
        (7, "invalid UTF-8 on 1 line(s), first at line 7: those bytes were replaced, the rest was read")
    ]
    assert reports["good.md"].traces == 1


def test_cli_names_every_bad_file_and_exits_zero_when_something_was_read(bad_folder: Path) -> None:
    code, output = _cli(str(bad_folder))
    assert code == 0
    for name, reason in [
        ("empty.jsonl", "empty file"),
        ("blob.bin", "binary file, not a trace"),
        ("escape.md", "symlink points outside the input folder, not followed"),
        ("loop", "symlink loop, not followed"),
        ("bad_utf8.jsonl:2", "invalid UTF-8 at byte 34"),
        ("bad_utf8.md:7", "invalid UTF-8 on 1 line(s)"),
        ("config.yaml", "unknown format"),
    ]:
        assert f"skipped {bad_folder / name}: {reason}" in output


def test_exit_code_is_non_zero_only_when_nothing_usable_was_read(bad_folder: Path) -> None:
    (bad_folder / "good.md").unlink()
    (bad_folder / "bad_utf8.md").unlink()
    (bad_folder / "bad_utf8.jsonl").unlink()
    (bad_folder / "truncated_session.jsonl").unlink()
    code, output = _cli(str(bad_folder))
    assert code == 1
    assert output.rstrip().splitlines()[-1] == (
        "Error: nothing usable was read from 5 file(s) (see the reasons above; --format NAME forces a reader)"
    )
    code, output = _cli("--json", str(bad_folder))
    assert code == 1
    assert len(json.loads(output[: output.rindex("]") + 1])) == 5


def test_unknown_format_name_is_one_clear_error(bad_folder: Path) -> None:
    code, output = _cli("--format", "tickets-xml", str(bad_folder))
    assert code == 1
    assert output.count("\n") == 1
    assert output.startswith("Error: unknown format 'tickets-xml' (choose one of: claude-code, ")
    with pytest.raises(InputError, match="unknown format 'tickets-xml'"):
        inspect_paths([bad_folder], "tickets-xml")


def test_forcing_the_wrong_reader_names_the_problem(tmp_path: Path) -> None:
    shutil.copy(RUNBOOK, tmp_path / "runbook.md")
    code, output = _cli("--format", "tickets-csv", str(tmp_path / "runbook.md"))
    assert code == 1
    assert f"skipped {tmp_path / 'runbook.md'}:1: tickets-csv: not a CSV file with a header row" in output


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads everything, so chmod 000 cannot make a file unreadable")
def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    locked = tmp_path / "locked.md"
    shutil.copy(RUNBOOK, locked)
    locked.chmod(0)
    try:
        reports = _inspect(tmp_path)
        code, output = _cli(str(tmp_path))
    finally:
        locked.chmod(0o644)
    assert _reasons(reports["locked.md"]) == [(None, "permission denied")]
    assert code == 1 and f"skipped {locked}: permission denied" in output


@pytest.mark.slow
def test_a_100_mb_line_is_skipped_in_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "tickets.jsonl"
    with path.open("w") as fh:
        fh.write(_ticket_line(1) + "\n")
        fh.write('{"ticket_id": "T-2", "title": "huge", "question": "')
        chunk = "x" * (1 << 20)
        for _ in range(100):
            fh.write(chunk)
        fh.write('"}\n')
        fh.write(_ticket_line(3) + "\n")
    assert path.stat().st_size > 100 << 20

    tracemalloc.start()
    try:
        report = _inspect(path)["tickets.jsonl"]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (report.format, report.traces) == ("tickets-json", 2)
    assert _reasons(report) == [(2, "line longer than 64 MiB, skipped")]
    assert peak < 80 << 20, f"peak {peak >> 20} MiB"  # never the whole 100 MiB line

    code, output = _cli(str(path))
    assert code == 0 and f"skipped {path}:2: line longer than 64 MiB, skipped" in output


def test_a_folder_of_3000_small_files(tmp_path: Path) -> None:
    for i in range(3000):
        sub = tmp_path / f"d{i % 10}"
        sub.mkdir(exist_ok=True)
        if i % 2:
            (sub / f"t{i:04d}.jsonl").write_text(_ticket_line(i) + "\n")
        else:
            (sub / f"n{i:04d}.md").write_text(f"# Note {i}\n\n## Steps\n\n- step one\n- step two\n")
    start = time.perf_counter()
    code, output = _cli("--json", str(tmp_path))
    elapsed = time.perf_counter() - start
    reports = json.loads(output)
    assert code == 0
    assert len(reports) == 3000 and sum(r["traces"] for r in reports) == 3000
    assert {r["format"] for r in reports} == {"markdown", "tickets-json"}
    assert elapsed < 30, f"{elapsed:.1f} s for 3000 files"


def test_an_integer_too_long_for_python_keeps_its_record_and_the_file(tmp_path: Path) -> None:
    """Python refuses int() past 4,300 digits; one such number used to drop every record of the file."""
    from skillforge.ingest import read_paths
    from skillforge.models import Trace

    big = '{"role": "tool", "content": "exit 0", "n": ' + "9" * 100_000 + "}"
    lines = [json.dumps({"role": "user", "content": "fix the failing test"}), big,
             json.dumps({"role": "assistant", "content": "done"})]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    traces = [t for t in read_paths([path]) if isinstance(t, Trace)]
    assert len(traces) == 1 and len(traces[0].steps) == 3


def test_a_utf8_byte_order_mark_is_read_past_in_every_json_shape(tmp_path: Path) -> None:
    """Windows tools write a BOM; it made the JSON readers call a good file unknown or invalid."""
    from skillforge.ingest import read_paths
    from skillforge.models import Trace

    samples = Path(__file__).resolve().parent.parent / "data" / "samples"
    sources = [samples / "chat_tool_calls" / "fncall-llm-message.json",
               next((samples / "codex_rollout").glob("rollout-*.jsonl"))]
    for source in sources:
        plain = [t for t in read_paths([source]) if isinstance(t, Trace)]
        marked = tmp_path / source.name
        marked.write_bytes(b"\xef\xbb\xbf" + source.read_bytes())
        got = [t for t in read_paths([marked]) if isinstance(t, Trace)]
        assert [len(t.steps) for t in got] == [len(t.steps) for t in plain] != []


def test_one_nul_byte_costs_its_record_not_the_file(tmp_path: Path) -> None:
    from skillforge.ingest import read_paths
    from skillforge.models import Skipped, Trace

    lines = [json.dumps({"role": "user", "content": "fix the failing test"}),
             json.dumps({"role": "assistant", "content": "looking"}),
             '{"role": "tool", "content": "bad \x00 byte"}',
             json.dumps({"role": "assistant", "content": "done"})]
    path = tmp_path / "chat.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    got = list(read_paths([path]))
    traces = [t for t in got if isinstance(t, Trace)]
    skipped = [s for s in got if isinstance(s, Skipped)]
    assert len(traces) == 1 and len(traces[0].steps) == 3
    assert [s.line for s in skipped] == [3]


def test_a_lone_surrogate_escape_is_read_and_can_be_written(tmp_path: Path) -> None:
    """``"\\udc80"`` is valid JSON but not encodable text: the streaming parser failed the file, and a
    surrogate that got through crashed the writers."""
    from skillforge.ingest import read_paths
    from skillforge.models import Trace

    messages = [
        {"role": "user", "content": "fix it"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "c1", "type": "function", "function": {"name": "bash", "arguments": '{"cmd": "echo \\udc80"}'}}]},
        {"role": "tool", "tool_call_id": "c1", "content": "ok \udc80"},
    ]
    document = tmp_path / "chat.json"
    document.write_text(json.dumps(messages), encoding="utf-8")  # json.dumps writes the escape
    lines = tmp_path / "chat.jsonl"
    lines.write_text("\n".join(json.dumps(m) for m in messages) + "\n", encoding="utf-8")
    for path in (document, lines):
        traces = [t for t in read_paths([path]) if isinstance(t, Trace)]
        assert len(traces) == 1 and len(traces[0].steps) == 3
        traces[0].model_dump_json().encode("utf-8")  # encodable: no surrogate left anywhere
