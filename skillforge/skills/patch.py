"""Apply a Patch to a SkillPackage: pure, deterministic, and never guessing.

Every edit names its anchor exactly (a heading, or a text that must occur once). An edit whose
anchor is missing or ambiguous is skipped and reported as an ``ApplyProblem``; the other edits still
apply, so the caller sees everything that went wrong at once and decides whether to keep the result.

Text edits are line-oriented: ``insert_before``/``insert_after`` put the new lines before the line
where the anchor starts / after the line where it ends; ``add_section`` and ``append_to_section``
keep one blank line between blocks, and list items appended to a list stay in that list.
"""

from __future__ import annotations

from pydantic import BaseModel

from skillforge.errors import SpecError
from skillforge.models import (
    AddSection,
    AppendToSection,
    CreateFile,
    DeleteFile,
    DeleteSection,
    Edit,
    Frontmatter,
    InsertAfter,
    InsertBefore,
    Patch,
    ReplaceInSection,
    SkillPackage,
)
from skillforge.skills.frontmatter import split
from skillforge.skills.io import check_relative_path
from skillforge.skills.markdown import Section, find_sections

__all__ = ["ApplyProblem", "apply_patch"]

SKILL_MD = "SKILL.md"


class ApplyProblem(BaseModel):
    """One edit that could not be applied, and why."""

    index: int
    """Position of the edit in ``Patch.edits``."""
    op: str
    file: str
    message: str

    def __str__(self) -> str:
        return f"edit {self.index} ({self.op} on {self.file}): {self.message}"


class _Skip(Exception):
    """An edit cannot be applied; the message says why."""


def apply_patch(pkg: SkillPackage, patch: Patch) -> tuple[SkillPackage, list[ApplyProblem]]:
    """Apply ``patch`` to a copy of ``pkg``; return the new package and the edits that were not applied."""
    front = pkg.frontmatter.model_copy(deep=True)
    body = pkg.body
    files = dict(pkg.files)
    problems: list[ApplyProblem] = []
    for index, edit in enumerate(patch.edits):
        try:
            target = _target(edit.file)
            if isinstance(edit, CreateFile):
                if target == SKILL_MD:
                    front, body = _parse_skill_md(edit.content, body)
                elif target in files:
                    if files[target] != edit.content:
                        raise _Skip("file already exists; delete it first or edit it")
                else:
                    files[target] = edit.content
                continue
            if isinstance(edit, DeleteFile):
                if target == SKILL_MD:
                    raise _Skip("SKILL.md cannot be deleted")
                if target not in files:
                    raise _Skip("file does not exist")
                del files[target]
                continue
            text = body if target == SKILL_MD else files.get(target)
            if text is None:
                raise _Skip("file does not exist")
            new_text = _edit_text(text, edit)
            if target == SKILL_MD:
                body = new_text
            else:
                files[target] = new_text
        except (_Skip, SpecError) as exc:
            message = exc.message if isinstance(exc, SpecError) else str(exc)
            problems.append(ApplyProblem(index=index, op=edit.op, file=edit.file, message=message))
    return SkillPackage(frontmatter=front, body=body.strip("\n") + "\n" if body.strip() else "", files=files), problems


def _target(file: str) -> str:
    if file.lower() in ("skill.md", "./skill.md"):
        return SKILL_MD
    return check_relative_path(file)


def _parse_skill_md(content: str, original_body: str) -> tuple[Frontmatter, str]:
    if original_body.strip():
        raise _Skip("SKILL.md already exists; edit its sections instead")
    data, new_body = split(content)
    try:
        return Frontmatter.model_validate(data), new_body
    except ValueError as exc:
        raise _Skip(f"frontmatter does not match the spec: {exc}") from None


def _edit_text(text: str, edit: Edit) -> str:
    lines = text.splitlines()
    if isinstance(edit, AddSection):
        return _join(_add_section(lines, edit))
    if isinstance(edit, DeleteSection):
        section = _one_section(lines, edit.heading)
        return _join(_tidy(lines[: section.start] + lines[section.end :]))
    if isinstance(edit, AppendToSection):
        section = _one_section(lines, edit.heading)
        return _join(_append(lines, section, edit.content))
    if isinstance(edit, ReplaceInSection):
        section = _one_section(lines, edit.heading)
        span = "\n".join(lines[section.start : section.end])
        count = span.count(edit.old)
        if count == 0:
            raise _Skip(f"text to replace not found in section {edit.heading!r}")
        if count > 1:
            raise _Skip(f"text to replace occurs {count} times in section {edit.heading!r}; make it unique")
        replaced = span.replace(edit.old, edit.new).split("\n")
        return _join(lines[: section.start] + replaced + lines[section.end :])
    if isinstance(edit, (InsertBefore, InsertAfter)):
        return _insert_at_anchor(text, edit)
    raise _Skip(f"unknown edit operation {edit.op!r}")


def _one_section(lines: list[str], heading: str) -> Section:
    found = find_sections(lines, heading)
    if not found:
        raise _Skip(f"section {heading!r} not found")
    if len(found) > 1:
        raise _Skip(f"section {heading!r} occurs {len(found)} times; the anchor is ambiguous")
    return found[0]


def _add_section(lines: list[str], edit: AddSection) -> list[str]:
    if find_sections(lines, edit.heading):
        raise _Skip(f"section {edit.heading!r} already exists; use append_to_section")
    if not 1 <= edit.level <= 6:
        raise _Skip(f"heading level {edit.level} is not between 1 and 6")
    block = ["#" * edit.level + " " + " ".join(edit.heading.split()), "", *_content_lines(edit.content)]
    if edit.after is None:
        return _tidy([*lines, "", *block])
    anchor = _one_section(lines, edit.after)
    return _tidy([*lines[: anchor.end], "", *block, "", *lines[anchor.end :]])


def _append(lines: list[str], section: Section, content: str) -> list[str]:
    new = _content_lines(content)
    end = section.body_end
    while end > section.start + 1 and not lines[end - 1].strip():
        end -= 1
    last = lines[end - 1] if end > section.start + 1 else ""
    joined_list = bool(new) and _is_list_item(last) and _is_list_item(new[0])
    gap = [] if joined_list else [""]
    return _tidy([*lines[:end], *gap, *new, "", *lines[end:]])


def _insert_at_anchor(text: str, edit: InsertBefore | InsertAfter) -> str:
    if not edit.anchor:
        raise _Skip("empty anchor")
    count = text.count(edit.anchor)
    if count == 0:
        raise _Skip(f"anchor {_short(edit.anchor)!r} not found")
    if count > 1:
        raise _Skip(f"anchor {_short(edit.anchor)!r} occurs {count} times; make it unique")
    position = text.index(edit.anchor)
    new = "\n".join(_content_lines(edit.content)) + "\n"
    if isinstance(edit, InsertBefore):
        line_start = text.rfind("\n", 0, position) + 1
        return text[:line_start] + new + text[line_start:]
    anchor_end = position + len(edit.anchor)
    if anchor_end > 0 and text[anchor_end - 1] == "\n":
        line_end = anchor_end
    else:
        newline = text.find("\n", anchor_end)
        line_end = len(text) if newline == -1 else newline + 1
    head = text[:line_end]
    if not head.endswith("\n"):
        head += "\n"
    return head + new + text[line_end:]


def _content_lines(content: str) -> list[str]:
    return content.strip("\n").splitlines()


def _is_list_item(line: str) -> bool:
    stripped = line.lstrip()
    return stripped.startswith(("- ", "* ", "+ ")) or (stripped[:1].isdigit() and ". " in stripped[:5])


def _tidy(lines: list[str]) -> list[str]:
    """Collapse runs of blank lines outside code fences and trim blank lines at both ends."""
    out: list[str] = []
    fence = False
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            fence = not fence
        if not fence and not line.strip() and (not out or not out[-1].strip()):
            continue
        out.append(line)
    while out and not out[-1].strip():
        out.pop()
    return out


def _join(lines: list[str]) -> str:
    return "\n".join(lines) + "\n" if lines else ""


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:57] + "..."
