"""What the TUI shows and does, computed without textual: filtering, loading a skill, live validation, edits.

Keeping this layer free of widgets lets tests and benchmarks call it directly and keeps screens thin.
Everything here talks to the registry through its public API only.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillforge.errors import SpecError
from skillforge.models.registry import PublishResult, SkillSummary, SkillVersion
from skillforge.skills.frontmatter import split
from skillforge.skills.validate import validate_metadata

if TYPE_CHECKING:
    from skillforge.registry.store import Registry

BUMPS = ("patch", "minor", "major")


def matches(summary: SkillSummary, query: str) -> bool:
    """True when every word of ``query`` occurs (case-insensitively) in the name, description or tags."""
    words = query.lower().split()
    if not words:
        return True
    hay = " ".join([summary.name, summary.description, " ".join(summary.tags)]).lower()
    return all(word in hay for word in words)


def filter_skills(summaries: list[SkillSummary], query: str) -> list[SkillSummary]:
    """The summaries that match ``query``, in their given order."""
    return [s for s in summaries if matches(s, query)]


LIST_COLUMNS = ("skill", "latest", "pin", "updated", "description")


def list_widths(summaries: list[SkillSummary], width: int) -> dict[str, int]:
    """Column widths for the skill list so that a row fits ``width`` cells (the description gets the rest)."""
    widths = {
        "skill": min(max([len(s.name) for s in summaries] + [5]), 32),
        "latest": max([len(s.latest) for s in summaries] + [6]),
        "pin": max([len(s.pinned or "") for s in summaries] + [3]),
        "updated": 10,
    }
    # Each column is padded by one cell on both sides; one more cell for the vertical scrollbar.
    rest = width - sum(widths.values()) - 2 * len(LIST_COLUMNS) - 1
    widths["description"] = max(rest, 12)
    return widths


def fit(text: str, width: int) -> str:
    """``text`` on one line, cut to ``width`` cells with an ellipsis when longer."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


@dataclass
class SkillView:
    """Everything the skill screen shows, read in one go (in a worker) from the registry."""

    name: str
    current: str
    """The version shown: pinned, else latest."""
    pinned: str | None
    versions: list[SkillVersion]
    files: dict[str, str]
    """Text files by relative path."""
    binaries: dict[str, int]
    """Binary files (e.g. assets/logo.png) by relative path, with their size."""
    provenance: dict[str, Any] | None
    events: list[dict[str, Any]] = field(default_factory=list)

    @property
    def latest(self) -> str:
        return self.versions[0].version


def load_skill(registry: Registry, name: str) -> SkillView:
    """Read what the skill screen needs for ``name`` (a handful of registry calls, none per file)."""
    versions = registry.versions(name)
    current = registry.resolve(name)
    files, binaries = _split_text(registry.file_bytes(name, current))
    return SkillView(
        name=name,
        current=current,
        pinned=registry.pins().get(name),
        versions=versions,
        files=files,
        binaries=binaries,
        provenance=registry.provenance(name, current),
        events=registry.events(name),
    )


def _split_text(blobs: dict[str, bytes]) -> tuple[dict[str, str], dict[str, int]]:
    texts: dict[str, str] = {}
    binaries: dict[str, int] = {}
    for path, data in blobs.items():
        try:
            texts[path] = data.decode("utf-8")
        except UnicodeDecodeError:
            binaries[path] = len(data)
    return texts, binaries


@dataclass(frozen=True)
class LiveCheck:
    """The result of validating SKILL.md text as it is typed."""

    ok: bool
    message: str
    line: int | None = None
    column: int | None = None

    def describe(self) -> str:
        """One line for the status bar: ``✓ valid`` or ``✗ line 3: <why>``."""
        if self.ok:
            return f"✓ {self.message}"
        where = (
            f"line {self.line}" + (f", column {self.column}" if self.column else "") + ": "
            if self.line
            else ""
        )
        return f"✗ {where}{self.message}"


_YAML_WHERE = re.compile(r'in "<unicode string>", line (\d+), column (\d+)')


def check_skill_md(name: str, content: str) -> LiveCheck:
    """Validate edited SKILL.md text for skill ``name`` by the rules publish applies, and say where it breaks."""
    try:
        metadata, _body = split(content)
    except SpecError as exc:
        return _parse_failure(exc.message, content)
    # The folder is named after the skill, so renaming it in the frontmatter is caught here as on publish.
    errors = validate_metadata(metadata, Path(name))
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        return LiveCheck(False, errors[0] + more, _line_for(content, errors[0]))
    return LiveCheck(True, "valid: ctrl+s saves a new version")


def _parse_failure(message: str, content: str) -> LiveCheck:
    if message.startswith("Invalid YAML"):
        where = _YAML_WHERE.search(message)
        problem = message.split("\n")[0]
        if where:
            # The frontmatter text starts right after the first '---', so its line numbers are the file's.
            return LiveCheck(False, problem, int(where.group(1)), int(where.group(2)))
        return LiveCheck(False, problem, 1)
    return LiveCheck(False, message, 1)


def _line_for(content: str, message: str) -> int:
    lines = content.splitlines()
    lowered = message.lower()
    if lowered.startswith("unexpected fields"):
        allowed = ("name", "description", "license", "allowed-tools", "metadata", "compatibility")
        for number, line in enumerate(lines[1:], start=2):
            key = line.split(":", 1)[0]
            if line[:1] not in (" ", "\t", "-", "#") and ":" in line and key not in allowed:
                return number
    if lowered.startswith("missing required field"):
        # Point at the closing fence: that is where the missing field goes.
        return next((n for n, line in enumerate(lines[1:], start=2) if line.startswith("---")), 1)
    for key in ("directory name", "compatibility", "description", "name"):
        if key in lowered:
            key = "name" if key == "directory name" else key
            return next((n for n, line in enumerate(lines, start=1) if line.startswith(f"{key}:")), 1)
    return 1


def publish_edit(
    registry: Registry, name: str, base_version: str, content: str, *, bump: str, message: str
) -> PublishResult:
    """Publish ``content`` as SKILL.md on top of ``base_version``'s other files, as a new version.

    Refuses (``SpecError`` naming the line) when the text is invalid; nothing is written then.
    """
    check = check_skill_md(name, content)
    if not check.ok:
        raise SpecError(
            f"cannot save: {check.message}", line=check.line, hint="fix the line shown and save again"
        )
    if bump not in BUMPS:
        raise SpecError(f"unknown bump {bump!r}", hint="patch, minor or major")
    workdir = Path(tempfile.mkdtemp(prefix="skillforge-edit-"))
    try:
        skill_dir = registry.export(name, base_version, workdir)
        (skill_dir / "SKILL.md").write_text(content, encoding="utf-8")
        # Rules keep their sf: markers through a hand edit, so the base's provenance still explains them.
        provenance = registry.provenance(name, base_version)
        return registry.publish(
            skill_dir,
            bump=bump,
            message=message.strip() or f"edit SKILL.md of {name} in the TUI",
            changelog=[f"edit SKILL.md (from {base_version})"],
            extra={"edited_from": base_version},
            provenance=provenance,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
