"""Provenance: which lessons and traces stand behind each rule of a skill.

Kept beside the skill folder (``<out>/.provenance/<name>.json``), never inside its spec fields, so
the skill stays clean while ``skillforge explain`` can map every rule back to trace ids.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from skillforge.models.lesson import Evidence, LessonKind


class ProvenanceSource(BaseModel):
    """One input file that contributed evidence, with the traces read from it."""

    model_config = ConfigDict(extra="forbid")

    path: str
    format: str | None = None
    trace_ids: list[str] = Field(default_factory=list)


class ProvenanceRule(BaseModel):
    """One rule of the skill (a list item in SKILL.md or a block in references/) and its support."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Stable lesson id; SKILL.md carries it as ``<!-- sf:<id> -->`` after the rule."""
    file: str = "SKILL.md"
    section: str
    """Heading of the section the rule sits in."""
    kind: LessonKind
    title: str
    text: str
    """The rule as written (first line), for people reading the provenance."""
    support: int
    """How many distinct traces back the rule."""
    helpful: int = 0
    """Supporting traces whose run succeeded."""
    harmful: int = 0
    """Supporting traces whose run failed (contradicting a "what worked" rule)."""
    trace_ids: list[str] = Field(default_factory=list)
    evidence: list[Evidence] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)
    """The lesson's tags (section, area, source), so a later run can describe the whole skill again."""


class Provenance(BaseModel):
    """Everything needed to answer "where did this line come from?" for one skill."""

    model_config = ConfigDict(extra="forbid")

    skill: str
    version: str | None = None
    generated_by: str = "skillforge"
    analyzer: str | None = None
    """Which analyzer produced the lessons (``heuristic``, or a model name)."""
    description: str | None = None
    """The description skillforge wrote; while SKILL.md still has it, a deepening run may rewrite it."""
    sources: list[ProvenanceSource] = Field(default_factory=list)
    rules: list[ProvenanceRule] = Field(default_factory=list)

    def rule(self, rule_id: str) -> ProvenanceRule | None:
        return next((r for r in self.rules if r.id == rule_id), None)
