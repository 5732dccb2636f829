"""Anchored edits to a skill folder, applied deterministically."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from skillforge.models.lesson import Evidence


class _Edit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    file: str = "SKILL.md"
    """Path of the edited file, relative to the skill folder."""


class CreateFile(_Edit):
    op: Literal["create_file"] = "create_file"
    content: str


class DeleteFile(_Edit):
    op: Literal["delete_file"] = "delete_file"


class AddSection(_Edit):
    op: Literal["add_section"] = "add_section"
    heading: str
    """Heading text without the leading '#' marks."""
    content: str
    level: int = 2
    after: str | None = None
    """Heading of the section this one follows; None appends at the end."""


class DeleteSection(_Edit):
    op: Literal["delete_section"] = "delete_section"
    heading: str


class InsertBefore(_Edit):
    op: Literal["insert_before"] = "insert_before"
    anchor: str
    """Exact text that must occur once in the file."""
    content: str


class InsertAfter(_Edit):
    op: Literal["insert_after"] = "insert_after"
    anchor: str
    content: str


class AppendToSection(_Edit):
    op: Literal["append_to_section"] = "append_to_section"
    heading: str
    content: str


class ReplaceInSection(_Edit):
    op: Literal["replace_in_section"] = "replace_in_section"
    heading: str
    old: str
    new: str


Edit = Annotated[
    CreateFile | DeleteFile | AddSection | DeleteSection | InsertBefore | InsertAfter | AppendToSection | ReplaceInSection,
    Field(discriminator="op"),
]


class Patch(BaseModel):
    """Edits to one skill, with changelog lines and the evidence they came from."""

    model_config = ConfigDict(extra="forbid")

    skill: str
    edits: list[Edit] = Field(default_factory=list)
    changelog: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
