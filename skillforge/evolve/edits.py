"""What evolve's model tasks see of a skill, and how the edits they draft become Patch edits.

A draft names an operation and the fields it fills; ``to_edit`` checks that the operation has
what it needs and builds the one Patch edit type distill uses. Whether the anchor exists is not
checked here: ``apply_patch`` reports a missing anchor, and evolve never guesses another one.
"""

from __future__ import annotations

from collections.abc import Sequence

from skillforge.models import (
    AddSection,
    AppendToSection,
    CreateFile,
    DeleteSection,
    Edit,
    InsertAfter,
    InsertBefore,
    ReplaceInSection,
    SkillPackage,
)
from skillforge.models.evolve_outputs import EditDraft
from skillforge.skills.markdown import normalize_heading, sections

SKILL_VIEW_CHARS = 16_000
"""Most characters of SKILL.md a prompt shows (a spec-sized skill of < 500 lines fits)."""
REFERENCES = "references/"


def headings(pkg: SkillPackage) -> list[str]:
    """The skill's section headings in document order."""
    return [s.heading for s in sections(pkg.body.splitlines())]


def skill_view(pkg: SkillPackage, *, budget_chars: int = SKILL_VIEW_CHARS) -> str:
    """The skill as prompts show it: its section headings, then SKILL.md's body in a fence."""
    listed = [f"- {h}" for h in headings(pkg)] or ["- (none: the body has no headings)"]
    body = pkg.body
    if len(body) > budget_chars:
        body = body[:budget_chars] + f"\n[... {len(body) - budget_chars} more characters]"
    return "\n".join(
        [
            "SECTIONS:",
            *listed,
            "",
            f"SKILL.md of {pkg.name} (body, after the frontmatter):",
            "````markdown",
            body.rstrip("\n"),
            "````",
        ]
    )


def _need(draft: EditDraft, *fields: str) -> None:
    missing = [
        f for f in fields if getattr(draft, f) is None or (f != "new" and not str(getattr(draft, f)).strip())
    ]
    if missing:
        raise ValueError(f"{draft.op} needs {', '.join(repr(f) for f in missing)}")


def to_edit(draft: EditDraft) -> Edit:
    """The Patch edit for ``draft``; ``ValueError`` says what the draft lacks."""
    file = (draft.file or "SKILL.md").strip()
    on_skill = file.lower() in ("skill.md", "./skill.md")
    if not on_skill and not file.startswith(REFERENCES):
        raise ValueError(f"{draft.op} on {file!r}: edits may touch SKILL.md and files under references/ only")
    if draft.op == "create_file":
        if on_skill:
            raise ValueError("create_file cannot replace SKILL.md; edit its sections instead")
        _need(draft, "content")
        return CreateFile(file=file, content=str(draft.content))
    file = "SKILL.md" if on_skill else file
    heading = normalize_heading(draft.heading or "")
    if draft.op == "add_section":
        _need(draft, "heading", "content")
        after = normalize_heading(draft.after) if draft.after and draft.after.strip() else None
        return AddSection(file=file, heading=heading, content=str(draft.content), after=after)
    if draft.op == "append_to_section":
        _need(draft, "heading", "content")
        return AppendToSection(file=file, heading=heading, content=str(draft.content))
    if draft.op == "replace_in_section":
        _need(draft, "heading", "old", "new")
        return ReplaceInSection(file=file, heading=heading, old=str(draft.old), new=str(draft.new))
    if draft.op == "delete_section":
        _need(draft, "heading")
        return DeleteSection(file=file, heading=heading)
    _need(draft, "anchor", "content")
    cls = InsertBefore if draft.op == "insert_before" else InsertAfter
    return cls(file=file, anchor=str(draft.anchor), content=str(draft.content))


def to_edits(drafts: Sequence[EditDraft]) -> tuple[list[Edit], list[int], list[str]]:
    """Convert every draft: (edits, index of each edit's draft, problems of the drafts left out)."""
    edits: list[Edit] = []
    kept: list[int] = []
    problems: list[str] = []
    for index, draft in enumerate(drafts):
        try:
            edits.append(to_edit(draft))
            kept.append(index)
        except ValueError as exc:
            problems.append(f"edit {index} ({draft.op}): {exc}")
    return edits, kept, problems


def describe(edit: Edit) -> str:
    """A few words for a changelog line: what the edit does and where."""
    if isinstance(edit, AddSection):
        return f"add section '{edit.heading}'"
    if isinstance(edit, AppendToSection):
        return f"append to '{edit.heading}'"
    if isinstance(edit, ReplaceInSection):
        return f"reword '{edit.heading}'"
    if isinstance(edit, DeleteSection):
        return f"delete section '{edit.heading}'"
    if isinstance(edit, CreateFile):
        return f"create {edit.file}"
    if isinstance(edit, (InsertBefore, InsertAfter)):
        where = "before" if isinstance(edit, InsertBefore) else "after"
        anchor = " ".join(edit.anchor.split())
        return f"insert {where} '{anchor[:40]}{'...' if len(anchor) > 40 else ''}'"
    return edit.op
