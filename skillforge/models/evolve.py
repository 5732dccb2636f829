"""What the evolve loop produces at each stage, and the record of its decision."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from skillforge.models.evals import PassCount

Attribution = Literal["followed", "missing", "misleading"]


class FailureAnalysis(BaseModel):
    """Failure Analyzer output for one failed trace."""

    trace_id: str
    source: str
    task: str = ""
    step: int | None = None
    """Index of the step that went wrong."""
    cause: str
    """The error as observed (first meaningful line)."""
    signature: str
    """The cause with paths, numbers and ids normalised, so similar failures cluster."""
    recovery: str | None = None
    """A later changed action that succeeded in the same trace, when there was one."""
    section: str | None = None
    """The skill section the failing action relates to."""
    attribution: Attribution = "missing"


class FailureCluster(BaseModel):
    """Skill Diagnostician output: failures sharing a cause, attributed to a skill section."""

    signature: str
    cause: str
    count: int
    trace_ids: list[str]
    section: str | None = None
    attribution: Attribution = "missing"
    recovery: str | None = None
    steps: list[int] = Field(default_factory=list)


class GateDecision(BaseModel):
    accepted: bool
    reason: str
    before: PassCount | None = None
    after: PassCount | None = None
    regressions: list[str] = Field(default_factory=list)
    """Gate tasks that passed with the current version and fail with the candidate."""
    improvements: list[str] = Field(default_factory=list)
    gate_tasks: list[str] = Field(default_factory=list)
    train_tasks: list[str] = Field(default_factory=list)


class RoundReport(BaseModel):
    round: int
    base_version: str
    failures_analysed: int
    clusters: list[FailureCluster] = Field(default_factory=list)
    edits: list[str] = Field(default_factory=list)
    """Changelog lines of the candidate patch."""
    problems: list[str] = Field(default_factory=list)
    """Edits that could not be applied, validation problems."""
    decision: Literal["accepted", "rejected", "no-change"]
    gate: GateDecision | None = None
    version: str | None = None
    """The version published when accepted."""


class EvolveReport(BaseModel):
    skill: str
    rounds: list[RoundReport] = Field(default_factory=list)
    final_version: str
