"""What an analyst learned from traces, with the evidence behind it."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LessonKind = Literal["failure_cause", "recovery", "success_pattern", "procedure", "pitfall", "guardrail"]


class Evidence(BaseModel):
    """A pointer into a trace: which trace, which step, and a short quote that occurs there."""

    model_config = ConfigDict(extra="forbid")

    trace_id: str
    step: int | None = None
    quote: str = ""
    source: str | None = None
    """Human-readable origin (file path) of the trace, for people reading provenance."""


class Lesson(BaseModel):
    """One reusable rule, with its support across traces."""

    model_config = ConfigDict(extra="forbid")

    kind: LessonKind
    title: str
    body: str
    target_skill: str
    evidence: list[Evidence] = Field(default_factory=list)
    support: int = 1
    """How many distinct traces back this lesson."""
    helpful: int = 0
    """Supporting traces whose run ended in success (ACE-style counter; 0 when outcomes are unknown)."""
    harmful: int = 0
    """Supporting traces whose run ended in failure: a "what worked" rule must have none."""
    tags: list[str] = Field(default_factory=list)

    @property
    def trace_ids(self) -> list[str]:
        return sorted({e.trace_id for e in self.evidence})
