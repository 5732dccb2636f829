"""What the evolve loop produces at each stage, and the record of its decision."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from skillforge.models.evals import DeltaStats, PassCount
from skillforge.models.lesson import Evidence
from skillforge.models.llm import CallFailure, UsageStats

Attribution = Literal["followed", "missing", "misleading"]


class FailureAnalysis(BaseModel):
    """Failure Analyzer output for one failed trace."""

    trace_id: str
    source: str
    task: str = ""
    step: int | None = None
    """Index of the step that went wrong."""
    cause: str
    """Why the run failed: the error as observed (offline) or the model's one-sentence reading of it."""
    signature: str
    """The observed error with paths, numbers and ids normalised, so similar failures cluster."""
    recovery: str | None = None
    """A later changed action that succeeded in the same trace, when there was one."""
    section: str | None = None
    """The skill section the failing action relates to."""
    attribution: Attribution = "missing"
    rule: str | None = None
    """The skill's own text that was followed or misled the agent (verified to occur in SKILL.md)."""
    fix: str | None = None
    """What the skill should say so the next run succeeds (model analyses only)."""
    evidence: list[Evidence] = Field(default_factory=list)
    """Quotes from the trace, each verified to occur in it."""
    analyzer: str = "heuristic"
    """``heuristic`` or the model that wrote this analysis."""


class FailureCluster(BaseModel):
    """Skill Diagnostician output: failures sharing a cause, attributed to a skill section."""

    signature: str
    cause: str
    count: int
    """How many failed traces this cause explains (computed, never taken from a model)."""
    trace_ids: list[str] = Field(default_factory=list)
    section: str | None = None
    attribution: Attribution = "missing"
    recovery: str | None = None
    steps: list[int] = Field(default_factory=list)
    rule: str | None = None
    """The skill text most involved, when the analyses named one."""
    fix: str | None = None
    """The change the diagnosis proposes (model diagnoses only)."""


class GateDecision(BaseModel):
    accepted: bool
    reason: str
    before: PassCount | None = None
    """Runs of the held-out tasks that passed with the current version (tasks × runs in total)."""
    after: PassCount | None = None
    runs: int = 1
    """Runs per task and version."""
    margin: float = 0.0
    delta: DeltaStats | None = None
    """Paired improvement of the candidate over the current version with its 95 % interval; the
    candidate is accepted only when the interval's lower bound is above ``margin``."""
    regressions: list[str] = Field(default_factory=list)
    """Gate tasks worse with the candidate beyond noise (their own paired interval is below zero)."""
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
    """Edits that could not be applied (missing anchors), validation problems left after the fix rounds."""
    decision: Literal["accepted", "rejected", "no-change"]
    gate: GateDecision | None = None
    version: str | None = None
    """The version published when accepted."""
    analyzer: str = "heuristic"
    """``heuristic`` or the model behind the analysis, diagnosis and optimization."""
    fix_rounds: int = 0
    """Times the optimizer's patch went back to the model with validation problems (at most 2)."""
    notes: list[str] = Field(default_factory=list)
    """Where the model's answer was not used: unverified evidence, a stage that fell back to the heuristics."""
    model_failures: list[CallFailure] = Field(default_factory=list)
    """Model tasks that failed after retries and a repair round (the heuristic stage stood in)."""


class EvolveReport(BaseModel):
    skill: str
    rounds: list[RoundReport] = Field(default_factory=list)
    final_version: str
    """The newest version after the run: the last accepted candidate, or the version it started from."""
    start_version: str | None = None
    """The version round 1 built on: the latest, or ``--from``."""
    pinned: str | None = None
    """The skill's pin, when it has one (a pin never changes what evolve builds on)."""
    model: str | None = None
    """The model used for the stages, or None for the offline heuristics."""
    usage: UsageStats | None = None
    """Model calls, cache hits, tokens and cost of the whole run (with a model)."""
    budget_stopped: bool = False
    """The ``--budget`` was reached: the round in progress was abandoned, nothing of it was published."""


class CorrectionResult(BaseModel):
    """What ``skillforge correct`` published."""

    name: str
    version: str
    previous: str
    """The latest version before the correction (``rollback`` to it undoes the correction)."""
    based_on: str | None = None
    """The version the correction was applied to: the latest, or ``--from``."""
    pinned: str | None = None
    """The skill's pin, when it has one (the correction does not move it)."""
    changelog: list[str] = Field(default_factory=list)
    """``correction: <text>``, then one line per edit."""
    model: str | None = None
