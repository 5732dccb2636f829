"""Validate a skill folder: the Agent Skills spec exactly as skills-ref applies it, plus our own advice.

Errors are the reference validator's rules (``skills_ref/validator.py``); a folder skills-ref accepts
has no errors here and vice versa. Warnings are skillforge's stricter advice (SKILL.md under 500
lines, a description that says when to use the skill); they fail only under ``strict``.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from skillforge.errors import SpecError
from skillforge.skills.frontmatter import split

MAX_NAME = 64
MAX_DESCRIPTION = 1024
MAX_COMPATIBILITY = 500
MAX_SKILL_MD_LINES = 500
ALLOWED_FIELDS = frozenset({"name", "description", "license", "allowed-tools", "metadata", "compatibility"})

_WHEN = re.compile(
    r"\b(when(ever)?\s+\w+|use (this|it|for|to|if|before|after|while|on|with)\b|trigger(ed|s)?\s+(on|by|when)|"
    r"if (the|a) user|for (tasks|requests|questions|work) (about|involving|that|on|with))",
    re.IGNORECASE,
)


class Problem(BaseModel):
    severity: Literal["error", "warning"]
    message: str
    file: str | None = None
    line: int | None = None


class ValidationReport(BaseModel):
    path: str
    problems: list[Problem] = Field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)


def find_skill_md(skill_dir: Path) -> Path | None:
    """SKILL.md, or skill.md as the reference also accepts."""
    for name in ("SKILL.md", "skill.md"):
        if (skill_dir / name).exists():
            return skill_dir / name
    return None


def validate_skill(path: str | Path) -> ValidationReport:
    """Validate one skill folder (or its SKILL.md); never raises for a bad skill, only reports."""
    skill_dir = Path(path)
    if skill_dir.is_file() and skill_dir.name.lower() == "skill.md":
        skill_dir = skill_dir.parent
    report = ValidationReport(path=str(skill_dir))

    def error(message: str, file: str | None = None, line: int | None = None) -> None:
        report.problems.append(Problem(severity="error", message=message, file=file, line=line))

    if not skill_dir.exists():
        error(f"Path does not exist: {skill_dir}")
        return report
    if not skill_dir.is_dir():
        error(f"Not a directory: {skill_dir}")
        return report
    skill_md = find_skill_md(skill_dir)
    if skill_md is None:
        error("Missing required file: SKILL.md")
        return report
    try:
        content = skill_md.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        error(f"SKILL.md is not valid UTF-8 (byte {exc.start})", file=skill_md.name)
        return report
    except OSError as exc:
        error(f"cannot read SKILL.md: {exc.strerror}", file=skill_md.name)
        return report
    try:
        metadata, body = split(content)
    except SpecError as exc:
        error(exc.message, file=skill_md.name, line=1)
        return report

    for message in validate_metadata(metadata, skill_dir):
        error(message, file=skill_md.name, line=_line_of(content, message))
    if not report.errors:
        report.problems.extend(_advice(metadata, content, skill_md.name))
    return report


def validate_metadata(metadata: dict[str, Any], skill_dir: Path | None = None) -> list[str]:
    """The reference rules over parsed frontmatter; returns error messages, empty when valid."""
    errors: list[str] = []
    extra = set(metadata) - ALLOWED_FIELDS
    if extra:
        errors.append(
            f"Unexpected fields in frontmatter: {', '.join(sorted(extra))}. Only {sorted(ALLOWED_FIELDS)} are allowed."
        )
    if "name" not in metadata:
        errors.append("Missing required field in frontmatter: name")
    else:
        errors.extend(_name_errors(metadata["name"], skill_dir))
    if "description" not in metadata:
        errors.append("Missing required field in frontmatter: description")
    else:
        description = metadata["description"]
        if not description or not isinstance(description, str) or not description.strip():
            errors.append("Field 'description' must be a non-empty string")
        elif len(description) > MAX_DESCRIPTION:
            errors.append(f"Description exceeds {MAX_DESCRIPTION} character limit ({len(description)} chars)")
    if "compatibility" in metadata:
        compat = metadata["compatibility"]
        if not isinstance(compat, str):
            errors.append("Field 'compatibility' must be a string")
        elif len(compat) > MAX_COMPATIBILITY:
            errors.append(f"Compatibility exceeds {MAX_COMPATIBILITY} character limit ({len(compat)} chars)")
    return errors


def is_valid_name(name: str) -> bool:
    """True when ``name`` is a valid skill name on its own (no folder check)."""
    return not _name_errors(name, None)


def _name_errors(name: Any, skill_dir: Path | None) -> list[str]:
    if not name or not isinstance(name, str) or not name.strip():
        return ["Field 'name' must be a non-empty string"]
    errors = []
    name = unicodedata.normalize("NFKC", name.strip())
    if len(name) > MAX_NAME:
        errors.append(f"Skill name '{name}' exceeds {MAX_NAME} character limit ({len(name)} chars)")
    if name != name.lower():
        errors.append(f"Skill name '{name}' must be lowercase")
    if name.startswith("-") or name.endswith("-"):
        errors.append("Skill name cannot start or end with a hyphen")
    if "--" in name:
        errors.append("Skill name cannot contain consecutive hyphens")
    if not all(c.isalnum() or c == "-" for c in name):
        errors.append(
            f"Skill name '{name}' contains invalid characters. Only letters, digits, and hyphens are allowed."
        )
    if skill_dir is not None:
        dir_name = unicodedata.normalize("NFKC", skill_dir.name)
        if dir_name != name:
            errors.append(f"Directory name '{skill_dir.name}' must match skill name '{name}'")
    return errors


def _advice(metadata: dict[str, Any], content: str, filename: str) -> list[Problem]:
    problems = []
    lines = content.count("\n") + (0 if content.endswith("\n") else 1)
    if lines >= MAX_SKILL_MD_LINES:
        problems.append(
            Problem(
                severity="warning",
                message=f"SKILL.md has {lines} lines; keep it under {MAX_SKILL_MD_LINES} and move detail to references/",
                file=filename,
            )
        )
    description = metadata.get("description", "")
    if isinstance(description, str) and not _WHEN.search(description):
        problems.append(
            Problem(
                severity="warning",
                message="description should say when to use the skill (e.g. 'Use when ...')",
                file=filename,
                line=_key_line(content, "description"),
            )
        )
    return problems


def _key_line(content: str, key: str) -> int | None:
    for number, line in enumerate(content.splitlines(), start=1):
        if line.startswith(f"{key}:"):
            return number
    return None


def _line_of(content: str, message: str) -> int | None:
    lowered = message.lower()
    for key in ("compatibility", "description", "name"):
        if key in lowered:
            return _key_line(content, key) or 1
    return 1
