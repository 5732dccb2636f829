"""The one report of a distill run, offline or with a model (``skillforge distill --json``, ``--report FILE``).

The top level is the same for every analyzer: what was read, what was learned, what was written.
``model`` holds what only a model run has (calls, cache, tokens, cost, the merge tree, failures) and
is None offline.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from skillforge.models import Skipped
from skillforge.models.llm import CallFailure, ClusterSummary, DroppedLesson, MergeConflict
from skillforge.models.scan import QuarantinedLesson

__all__ = ["DistillReport", "ModelRun", "SkillResult"]


class SkillResult(BaseModel):
    """One skill folder distill wrote or updated."""

    name: str
    path: str
    created: bool
    rules: int
    """Rules the skill holds (according to its provenance)."""
    new_rules: int
    version: str | None = None
    provenance: str
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    """Patch edits that could not be applied."""


class ModelRun(BaseModel):
    """What a model-backed run spent and decided, beyond what every run reports."""

    budget_usd: float | None = None
    budget_stopped: bool = False
    """The ``--budget`` was reached: the run stopped cleanly; what it finished is cached."""
    llm_calls: int = 0
    """Model calls made by this run (cache hits not included)."""
    analyst_calls: int = 0
    cache_hits: int = 0
    resumed_calls: int = 0
    """Cache hits that an earlier, interrupted run of the same command had paid for."""
    failed_calls: int = 0
    """Model tasks that ended without a usable answer (listed in ``failures``)."""
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    """False when litellm has no price for the model (cost then counts as 0)."""
    lessons: int = 0
    """Lessons the analysts produced (after evidence verification), before the merge tree."""
    merge_levels: int = 0
    rules: int = 0
    """Rules the merge tree left."""
    quotes_removed: int = 0
    fix_rounds: int = 0
    from_snapshot: bool = False
    """The analysis of an unchanged input came from the stage snapshot, without reading it."""
    clustering: ClusterSummary | None = None
    """How behaviour clustering thinned the traces (None when it was off)."""
    wall_s: float = 0.0
    failures: list[CallFailure] = Field(default_factory=list)
    dropped_lessons: list[DroppedLesson] = Field(default_factory=list)
    conflicts: list[MergeConflict] = Field(default_factory=list)


class DistillReport(BaseModel):
    """What a distill run read, learned and wrote."""

    inputs: list[str]
    out_dir: str
    analyzer: str
    """The analyzer's name (``heuristic``, or the model, e.g. ``openai/gpt-4o-mini``), as provenance records it."""
    traces: int = 0
    traces_by_format: dict[str, int] = Field(default_factory=dict)
    traces_by_kind: dict[str, int] = Field(default_factory=dict)
    lessons: int = 0
    """Lessons left after consolidation, the ones grouped into skills."""
    skills: list[SkillResult] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)
    skipped_total: int = 0
    quarantined: list[QuarantinedLesson] = Field(default_factory=list)
    """Lessons kept out of the skills because their evidence looks poisoned (see ``skillforge.scan``)."""
    deepened: dict[str, str] = Field(default_factory=dict)
    """Skills the registry already held under a name this run wrote: ``name -> version`` it deepened."""
    budget_stopped: bool = False
    """A step of the analyzer raised ``BudgetExceeded``: the run stopped there; what it wrote is listed
    (``model.budget_stopped`` says the same for a model run that stopped while analysing)."""
    model: ModelRun | None = None
    """Calls, cost and decisions of a model-backed run; None offline."""

    @property
    def ok(self) -> bool:
        """False only when nothing usable was read."""
        return self.traces > 0

    @property
    def stopped(self) -> bool:
        """True when a budget stopped the run before it finished (nothing more is written or published)."""
        return self.budget_stopped or (self.model is not None and self.model.budget_stopped)
