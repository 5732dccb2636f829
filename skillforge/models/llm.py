"""What crosses the boundary of ``skillforge.llm``: requests, responses, settings and usage.

Messages and tool definitions stay in the OpenAI chat wire format (``{"role": ..., "content": ...}``)
because that is what every provider behind litellm speaks; everything around them is typed.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from skillforge.models.lesson import Lesson
from skillforge.models.scan import QuarantinedLesson
from skillforge.models.trace import Skipped


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LLMSettings(_Model):
    """How to reach a model and how hard to push it. One object, passed in; no global configure()."""

    model: str
    """A litellm model string (``openai/gpt-4o-mini``, ``ollama/qwen2.5``) or ``fake`` / ``fake-notools``."""
    api_base: str | None = None
    api_key: str | None = None
    concurrency: int = Field(default=8, ge=1)
    """Most model calls in flight at once."""
    timeout: float = Field(default=120.0, gt=0)
    """Seconds one call may take before it is abandoned and retried."""
    max_retries: int = Field(default=5, ge=0)
    """Retries on rate limits, 5xx and timeouts (the first attempt is not counted)."""
    backoff_base: float = Field(default=1.0, ge=0)
    backoff_max: float = Field(default=60.0, ge=0)
    budget_usd: float | None = Field(default=None, ge=0)
    """Stop cleanly before the run would spend more than this (estimated before each call)."""
    max_tokens: int = Field(default=2048, ge=1)
    temperature: float = 0.0
    cache: bool = True
    """Read and write the content-addressed response cache."""
    tool_steps: int = Field(default=6, ge=0)
    """How many tool-calling turns an analyst may take before it must answer."""
    call_processes: int = Field(default=0, ge=0)
    """Helper processes that make the calls (litellm's per-call CPU on other cores); 0: this process.
    Where many calls are in flight with short latencies, one core's CPU otherwise sets the pace."""


class ToolCallOut(_Model):
    """A function call the model asked for."""

    id: str
    name: str
    arguments: str
    """The raw JSON argument string, as the model wrote it."""


class LLMRequest(_Model):
    """One model call: which task asked for it, the rendered messages and what shape the answer takes."""

    task: str
    """Human-readable origin (``analyst:<trace id>``), used in errors and the journal."""
    template: str
    """Prompt template name; with ``template_hash`` it versions the cache key."""
    template_hash: str
    messages: list[dict[str, Any]]
    tools: list[dict[str, Any]] | None = None
    output_schema: dict[str, Any] | None = None
    """JSON Schema of the expected answer; sent as ``response_format`` where the model supports it."""
    output_name: str | None = None
    max_tokens: int | None = None
    """None: the client's ``LLMSettings.max_tokens``."""


class LLMResponse(_Model):
    """A model answer with its usage. Cache hits report zero tokens and zero cost."""

    content: str | None = None
    tool_calls: list[ToolCallOut] = Field(default_factory=list)
    finish_reason: str | None = None
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cached: bool = False


class CallFailure(_Model):
    """An LLM task that ended without a usable answer; reported, never silently dropped."""

    task: str
    error: str
    kind: str
    """Exception class name: ``OutputParseError``, ``RateLimitError``, ``BudgetExceeded``…"""


class DroppedLesson(_Model):
    """A lesson an analyst proposed whose evidence could not be found in the trace."""

    trace_id: str
    title: str
    quote: str
    reason: str


class MergeConflict(_Model):
    """Two or more rules that contradict each other; the better-supported one was kept."""

    kept: str
    dropped: list[str]
    reason: str
    kept_support: int
    dropped_support: int
    trace_ids: list[str] = Field(default_factory=list)


class UsageStats(_Model):
    """Running totals of one client: what was called, what came from the cache, what it cost."""

    llm_calls: int = 0
    """Model calls that returned an answer (cache hits excluded)."""
    cache_hits: int = 0
    failed_calls: int = 0
    """Requests that still failed after every retry."""
    retries: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float = 0.0
    cost_known: bool = True
    """False when litellm has no price for the model (cost then counts as 0)."""
    calls_by_stage: dict[str, int] = Field(default_factory=dict)
    """Model calls per task kind (``analyst``, ``merge``, ``plan``, ``fix``)."""

    def add(self, other: UsageStats) -> None:
        """Add ``other``'s counts to these totals (the cost stays known only if both costs are)."""
        self.llm_calls += other.llm_calls
        self.cache_hits += other.cache_hits
        self.failed_calls += other.failed_calls
        self.retries += other.retries
        self.prompt_tokens += other.prompt_tokens
        self.completion_tokens += other.completion_tokens
        self.cost_usd += other.cost_usd
        self.cost_known = self.cost_known and other.cost_known
        for stage, n in other.calls_by_stage.items():
            self.calls_by_stage[stage] = self.calls_by_stage.get(stage, 0) + n


class DryRunEstimate(_Model):
    """What a run would do, without calling any model."""

    model: str
    traces: int
    analyst_calls: int
    merge_calls: int
    plan_calls: int
    planned_calls: int
    cached_calls: int = 0
    """Planned first calls whose answer is already in the cache."""
    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cost_known: bool = True
    merge_levels: int = 0
    tool_calling: bool = False
    per_cluster: int | None = None
    """Representatives per behaviour cluster; None when clustering is off."""
    clusters: int = 0
    """Distinct behaviours among the traces (0 when clustering is off)."""
    duplicates: int = 0
    """Traces identical to an earlier one, analysed once."""
    analysed_traces: int = 0
    """Traces that would be sent to an analyst (all of them when clustering is off)."""
    calls_saved: int = 0
    """Analyst and merge calls that clustering takes off the plan (against analysing every trace)."""


class TraceRef(_Model):
    """Which trace came from where (for provenance), without keeping the trace."""

    id: str
    path: str
    format: str
    kind: str = "trace"


class ClusterSummary(_Model):
    """How behaviour clustering thinned the traces before analysis (``distill.model.cluster``)."""

    per_cluster: int
    """Most representatives one cluster sends to the analysts."""
    traces: int = 0
    clusters: int = 0
    """Distinct behaviours (masked task, tool-call sequence, error signatures)."""
    duplicates: int = 0
    """Traces identical to an earlier one (task, steps and outcome), analysed once."""
    analysed: int = 0
    """Traces sent to an analyst (one analyst sub-agent each)."""
    saved: int = 0
    """Traces not analysed; each still counts as support of its cluster's rules."""


class LLMAnalysis(_Model):
    """What the LLM analysis stage hands on: consolidated lessons and everything needed to report on them."""

    lessons: list[Lesson] = Field(default_factory=list)
    conflicts: list[MergeConflict] = Field(default_factory=list)
    merge_levels: int = 0
    merges: int = 0
    traces: list[TraceRef] = Field(default_factory=list)
    analysed_lessons: int = 0
    """Lessons the analysts produced (after evidence verification), before consolidation."""
    failures: list[CallFailure] = Field(default_factory=list)
    dropped_lessons: list[DroppedLesson] = Field(default_factory=list)
    quotes_removed: int = 0
    skipped: list[Skipped] = Field(default_factory=list)
    quarantined: list[QuarantinedLesson] = Field(default_factory=list)
    """Lessons kept out because their evidence or text looks poisoned (``skillforge.scan``)."""
    budget_stopped: bool = False
    from_snapshot: bool = False
    """True when an unchanged input was answered from the stage snapshot without reading it."""
    clustering: ClusterSummary | None = None
    """None when clustering was off (``per_cluster=None``)."""
