"""What the TUI shows, computed without textual: filtering, live validation, diff text, edits.

Keeping this layer free of widgets lets tests check it directly and keeps screens thin.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from skillforge.errors import SpecError
from skillforge.skills.frontmatter import split
from skillforge.skills.validate import validate_metadata


def matches(summary: Any, query: str) -> bool:
    """Case-insensitive match of every word of ``query`` against name, description and tags."""
    if not query.strip():
        return True
    hay = " ".join([summary.name, summary.description or "", " ".join(getattr(summary, "tags", []) or [])]).lower()
    return all(word in hay for word in query.lower().split())


@dataclass
class LiveCheck:
    ok: bool
    message: str
    line: int | None = None


def check_skill_md(name: str, content: str) -> LiveCheck:
    """Validate edited SKILL.md text for skill ``name`` the way publish will, and say where it breaks."""
    try:
        metadata, _body = split(content)
    except SpecError as exc:
        return LiveCheck(False, exc.message, 1)
    errors = validate_metadata(metadata, Path(name))
    if errors:
        line = _line_for(content, errors[0])
        return LiveCheck(False, errors[0], line)
    return LiveCheck(True, "valid")


def _line_for(content: str, message: str) -> int | None:
    lowered = message.lower()
    for key in ("compatibility", "description", "name"):
        if key in lowered:
            for number, line in enumerate(content.splitlines(), start=1):
                if line.startswith(f"{key}:"):
                    return number
    return 1


def publish_edit(registry: Any, name: str, base_version: str, content: str, *, bump: str, message: str) -> Any:
    """Publish ``content`` as SKILL.md on top of ``base_version``'s other files; returns the registry result."""
    check = check_skill_md(name, content)
    if not check.ok:
        where = f" (line {check.line})" if check.line else ""
        raise SpecError(f"cannot save: {check.message}{where}")
    workdir = Path(tempfile.mkdtemp(prefix="skillforge-edit-"))
    try:
        skill_dir = registry.export(name, base_version, workdir)
        (skill_dir / "SKILL.md").write_text(content, encoding="utf-8")
        return registry.publish(skill_dir, bump=bump, message=message or f"edit {name} in the TUI")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def provenance_rows(provenance: dict[str, Any] | None) -> list[tuple[str, str, str, str]]:
    """Flatten a provenance record into (section, rule, support, trace ids) rows, whatever its nesting."""
    if not provenance:
        return []
    rows: list[tuple[str, str, str, str]] = []
    sections = provenance.get("sections") or provenance.get("rules") or []
    if isinstance(sections, dict):
        sections = [{"section": k, **(v if isinstance(v, dict) else {"rules": v})} for k, v in sections.items()]
    for section in sections:
        if not isinstance(section, dict):
            continue
        heading = str(section.get("section") or section.get("heading") or section.get("title") or "")
        rules = section.get("rules") or [section]
        for rule in rules:
            if not isinstance(rule, dict):
                continue
            text = str(rule.get("text") or rule.get("rule") or rule.get("title") or "")
            support = str(rule.get("support", ""))
            traces = rule.get("trace_ids") or sorted({e.get("trace_id", "") for e in rule.get("evidence", []) if isinstance(e, dict)})
            rows.append((heading, text, support, ", ".join(map(str, traces))))
    return rows
