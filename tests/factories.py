"""The one way tests write a skill folder: SKILL.md text from ``skill_md`` (or verbatim), plus any files.

Test modules import it relatively (``from ..factories import skill_md, write_skill_folder``; pytest runs
with ``--import-mode=importlib``, which makes ``tests`` a namespace package), so benchmarks that import
``tests.tui.demo_registry`` get the same helpers.
"""

from __future__ import annotations

import io
import shutil
import tarfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

__all__ = ["count_tar_headers", "many_member_tar", "skill_md", "write_skill_folder", "written_text"]


def skill_md(name: str, description: str, body: str = "", *, frontmatter: str = "") -> str:
    """SKILL.md text: ``name`` and ``description`` frontmatter, then the raw YAML lines of ``frontmatter``
    (``"license: MIT\\nmetadata:\\n  version: \\"1.0.0\\"\\n"``), then ``body`` exactly as given (a body
    starting with ``"\\n"`` leaves a blank line after the frontmatter). Values are written as given, so a
    test controls quoting."""
    if frontmatter and not frontmatter.endswith("\n"):
        frontmatter += "\n"
    return f"---\nname: {name}\ndescription: {description}\n{frontmatter}---\n{body}"


def write_skill_folder(
    folder: Path,
    text: str | bytes | None = None,
    files: Mapping[str, str | bytes] | None = None,
    *,
    executable: Iterable[str] = (),
    replace: bool = False,
) -> Path:
    """Write ``folder/SKILL.md`` (``text``; skipped when None) and ``files`` (relative path -> text or bytes,
    parent folders created, text as UTF-8); ``executable`` files get mode 0755. Existing files are
    overwritten; with ``replace`` the folder is emptied first. Returns ``folder``."""
    if replace:
        shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True, exist_ok=True)
    everything: dict[str, str | bytes] = {} if text is None else {"SKILL.md": text}
    everything.update(files or {})
    for rel, content in everything.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    for rel in executable:
        (folder / rel).chmod(0o755)
    return folder


def written_text(out: Path) -> str:
    """Every file a run wrote under ``out``, joined in path order ("" when it wrote nothing): what a test
    searches for text that must never reach a skill."""
    if not out.exists():
        return ""
    return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in sorted(out.rglob("*")) if p.is_file())


def many_member_tar(path: Path, count: int) -> Path:
    """A tar.gz of ``count`` empty members under ``pdf-tools/``: a few bytes a member, so a member-count bomb."""
    with tarfile.open(path, "w:gz") as tf:
        for i in range(count):
            tf.addfile(tarfile.TarInfo(f"pdf-tools/f{i}.md"), io.BytesIO(b""))
    return path


def count_tar_headers(monkeypatch: Any) -> dict[str, int]:
    """Count the tar headers read from here on (``TarFile.next`` calls) in the returned ``{"headers": n}``."""
    read = {"headers": 0}
    real_next = tarfile.TarFile.next

    def counting_next(self: tarfile.TarFile) -> tarfile.TarInfo | None:
        read["headers"] += 1
        return real_next(self)

    monkeypatch.setattr(tarfile.TarFile, "next", counting_next)
    return read
