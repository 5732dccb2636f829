"""Fallback for hosts without a skills folder: an index of installed skills in a managed AGENTS.md section.

The section sits between two HTML-comment markers. Install rewrites only what is between them,
uninstalling the last skill removes the section and the separator we added, so the rest of the
file comes back byte for byte (and a file we created is deleted again). The index uses the
``<available_skills>`` format of skills-ref ``to-prompt`` and openskills ``sync``.
"""

from __future__ import annotations

import os
from html import escape
from pathlib import Path

from skillforge.errors import HostError
from skillforge.hosts.base import HostAdapter, expand
from skillforge.hosts.confine import check_index_file, entry_dir
from skillforge.hosts.fsops import Transaction
from skillforge.models.lock import LockEntry, Scope
from skillforge.skills.frontmatter import split
from skillforge.skills.validate import find_skill_md

BEGIN = (
    "<!-- BEGIN skillforge skills (managed by skillforge install/uninstall; edits here are overwritten) -->"
)
END = "<!-- END skillforge skills -->"

INTRO = (
    "## Skills\n\n"
    "These skills are installed in this project. When a task matches a skill's description, "
    "read its SKILL.md (at `location`) and follow it; load files it links to only when needed.\n"
)


def find_section(text: str, path: Path | None = None) -> tuple[int, int] | None:
    """``(start, end)`` of the managed section including both markers, or None when absent."""
    begins, ends = text.count(BEGIN), text.count(END)
    if begins == 0 and ends == 0:
        return None
    start, end = text.find(BEGIN), text.find(END)
    if begins != 1 or ends != 1 or end < start:
        line = text[: max(start, 0)].count("\n") + 1
        raise HostError(
            "the skillforge section markers are damaged (each must appear once, BEGIN before END)",
            path=path,
            line=line,
            hint="repair or delete the section by hand, then re-run",
        )
    return start, end + len(END)


def render_block(skills: list[tuple[str, str, str]]) -> str:
    """The section for ``(name, description, location)`` triples, markers included."""
    lines = [BEGIN, INTRO, "<available_skills>"]
    for name, description, location in sorted(skills):
        lines += [
            "<skill>",
            f"<name>{escape(name, quote=False)}</name>",
            f"<description>{escape(' '.join(description.split()), quote=False)}</description>",
            f"<location>{escape(location, quote=False)}</location>",
            "</skill>",
        ]
    lines += ["</available_skills>", END]
    return "\n".join(lines)


def upsert(text: str | None, block: str, path: Path | None = None) -> str:
    """Put ``block`` into ``text``: replace the existing section, or append it after one newline."""
    if text is None:
        return block + "\n"
    span = find_section(text, path)
    if span is not None:
        return text[: span[0]] + block + text[span[1] :]
    return text + "\n" + block + "\n"


def remove(text: str, path: Path | None = None) -> str | None:
    """``text`` without the section and the separator ``upsert`` added; None when nothing else is left."""
    span = find_section(text, path)
    if span is None:
        return text
    start, end = span
    cut_from = start - 1 if start > 0 and text[start - 1] == "\n" else start
    cut_to = end + 1 if text[end : end + 1] == "\n" else end
    rest = text[:cut_from] + text[cut_to:]
    if start == 0 and rest == "":
        return None  # upsert created this file
    return rest


class AgentsMdAdapter(HostAdapter):
    """Copies skills to a plain folder and lists them in the index file's managed section."""

    def index_file(self, scope: Scope, project: Path | None) -> Path:
        paths = self.paths(scope)
        assert paths is not None and paths.index_file
        return expand(paths.index_file, project)

    def sync(self, tx: Transaction, scope: Scope, project: Path | None, entries: list[LockEntry]) -> None:
        index = self.index_file(scope, project)
        check_index_file(index, self, scope, project)
        text = _read(index)
        if not entries:
            if text is not None:
                new = remove(text, index)
                tx.write_file(index, None if new is None else new.encode("utf-8"))
            return
        skills = []
        for entry in entries:
            folder = entry_dir(entry, scope, project)
            skill_md = find_skill_md(folder) or folder / "SKILL.md"
            location = Path(_relpath(skill_md, index.parent)).as_posix()
            skills.append((entry.name, _description(skill_md), location))
        tx.write_file(index, upsert(text, render_block(skills), index).encode("utf-8"))


def _read(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise HostError("file is not UTF-8 text; not adding a skills section", path=path) from None
    except OSError as exc:
        raise HostError(f"cannot read: {exc.strerror}", path=path) from None


def _description(skill_md: Path) -> str:
    try:
        metadata, _ = split(skill_md.read_text(encoding="utf-8"))
    except Exception:  # a skill installed with --force may have broken frontmatter; index it anyway
        return ""
    description = metadata.get("description", "")
    return description if isinstance(description, str) else ""


def _relpath(path: Path, start: Path) -> str:
    return os.path.relpath(path, start)
