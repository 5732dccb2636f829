"""The model analyzer: ``skillforge distill --model MODEL`` through the one distill pipeline.

``ModelAnalyzer`` implements the pipeline's analyzer steps (see ``distill.analyzer``) with a model:
``analyze`` reads the inputs itself and runs the analysts and the consolidation tree
(``analysis.run_analysis``: child-process feed, behaviour clustering, stage snapshot), ``group``
asks the model which skill each rule joins (``skill_plan``), ``after_write`` runs at most two fix
rounds on a skill that fails validation (``fix``), and ``finish`` adds the ``model`` section to the
report. Planning the Patch, applying it, writing the folder and its provenance are the pipeline's.
Everything a call produces is cached, so a re-run makes no calls and a killed run resumes;
``--budget`` stops cleanly with a partial report::

    report = run_distill(inputs, out, analyzer=ModelAnalyzer(ModelOptions(settings=LLMSettings(model="fake"))))
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, Field

from skillforge import config
from skillforge.distill.group import SkillGroup
from skillforge.distill.intake import Intake
from skillforge.distill.journal import Journal, run_id
from skillforge.distill.lessons import generalize, merge_duplicates
from skillforge.distill.model.analysis import Progress, no_progress, run_analysis
from skillforge.distill.model.cluster import DEFAULT_PER_CLUSTER
from skillforge.distill.model.estimate import estimate_run
from skillforge.distill.model.fix import validate_and_fix
from skillforge.distill.model.skill_plan import existing_skills, plan_groups
from skillforge.distill.report import DistillReport, ModelRun, SkillResult
from skillforge.errors import BudgetExceeded
from skillforge.ingest import ReadOptions
from skillforge.llm.cache import ResponseCache
from skillforge.llm.client import LLMClient
from skillforge.models import Lesson
from skillforge.models.llm import CallFailure, DryRunEstimate, LLMAnalysis, LLMSettings

__all__ = ["ModelAnalyzer", "ModelOptions", "dry_run"]


class ModelOptions(BaseModel):
    """How ``distill --model`` uses the model, besides what every distill takes (inputs, out, format, into)."""

    settings: LLMSettings
    k: int = Field(default=8, ge=2)
    """Merge group size of the consolidation tree."""
    cache_dir: Path | None = None
    """Defaults to ``config.cache_dir()``."""
    per_cluster: int | None = Field(default=DEFAULT_PER_CLUSTER, ge=1)
    """Most traces one behaviour cluster sends to the analysts; None analyses every trace."""
    executor: str = "local"
    """Where the analysis runs: ``local`` or ``ray``."""
    ray_address: str | None = None
    """The Ray cluster to join (``executor="ray"``); None starts or finds a local one."""


class ModelAnalyzer:
    """The pipeline's analyzer steps done by a model; one instance per run."""

    def __init__(self, options: ModelOptions, *, progress: Progress = no_progress) -> None:
        self.options = options
        self.progress = progress
        self.root = options.cache_dir or config.cache_dir()
        self.client = LLMClient(options.settings, cache=ResponseCache(self.root / "llm"))
        self.name = self.client.model
        self.journal: Journal | None = None
        self.previous: set[str] = set()
        self.failures: list[CallFailure] = []
        self.analysis = LLMAnalysis()
        self.budget_stopped = False
        self.rules = 0
        self.fix_rounds = 0
        self.groups: list[str] = []
        """The names of the planned skills, in the order the pipeline writes them."""
        self.handled = 0
        """Planned skills the pipeline is done with (written, or every rule quarantined)."""
        self.started = time.monotonic()

    async def analyze(self, traces: Intake) -> list[Lesson]:
        """Read, analyse and consolidate ``traces.paths`` (the consolidated rules; none after a budget stop)."""
        self.started = time.monotonic()
        options = self.options
        ident = run_id([sorted(traces.paths), str(traces.out), options.settings.model, options.k, traces.into])
        self.journal = Journal(self.root / "journal" / f"{ident}.jsonl")
        self.previous = self.journal.previous_keys
        self.client.on_call = self.journal.record
        analysis = await run_analysis(
            traces.paths, self.client, fmt=traces.fmt, options=traces.options, k=options.k, progress=self.progress,
            snapshot_dir=self.root / "stages", redact_emails=traces.redact_emails, per_cluster=options.per_cluster,
            executor=options.executor, ray_address=options.ray_address,
        )
        self.analysis = analysis
        self.failures.extend(analysis.failures)
        self.budget_stopped = analysis.budget_stopped
        self.rules = len(analysis.lessons)
        # The analysts ran the poisoned-lesson check where they held each trace.
        traces.read_elsewhere(((r.id, r.path, r.format, r.kind) for r in analysis.traces), analysis.skipped,
                              analysis.quarantined)
        return [] if analysis.budget_stopped else analysis.lessons

    def consolidate(self, lessons: list[Lesson]) -> list[Lesson]:
        """The merge tree consolidated already; what still holds one run's ids or paths is generalised here."""
        rules = merge_duplicates([generalize(les) for les in lessons])
        self.rules = len(rules)
        return rules

    async def group(self, lessons: list[Lesson], out: Path, into: str | None) -> list[SkillGroup]:
        """The model's plan of skills: deepen the skills under ``out`` where a rule fits, else propose new ones."""
        existing = existing_skills(out, lessons) if into is None else []
        self.progress("plan", 0, 1)
        try:
            groups = await plan_groups(self.client, lessons, existing, into=into, failures=self.failures)
        except BudgetExceeded as exc:
            self._stop("plan", exc)
            raise
        self.progress("plan", 1, 1)
        self.groups = [g.name for g in groups]
        return groups

    async def after_write(self, result: SkillResult, skill_dir: Path) -> None:
        """Validation errors and fixable lint problems go back to the model (a clean skill costs no call)."""
        try:
            result.errors, used = await validate_and_fix(self.client, skill_dir, self.failures)
        except BudgetExceeded as exc:
            self._stop(f"fix:{skill_dir.name}", exc)
            raise
        self.fix_rounds += used
        # The pipeline writes the groups in order, and tells only of the ones it wrote: a group before
        # this one that it skipped (every rule quarantined) is done too.
        names = self.groups
        self.handled = (names.index(skill_dir.name, self.handled) + 1 if skill_dir.name in names[self.handled:]
                        else self.handled + 1)
        self.progress("write", min(self.handled, len(names)), len(names))

    def finish(self, report: DistillReport) -> None:
        """Flush the cache, close the resume log and add the ``model`` section to ``report``."""
        if self.client.cache is not None:
            self.client.cache.flush()  # the journal is written as entries reach the disk, so flush first
        if self.journal is not None:
            self.journal.close()
        if self.groups and not (self.budget_stopped or report.budget_stopped):
            self.progress("write", len(self.groups), len(self.groups))  # also past trailing quarantined groups
        report.budget_stopped = report.budget_stopped or self.budget_stopped
        stats = self.client.stats
        analysis = self.analysis
        report.model = ModelRun(
            budget_usd=self.options.settings.budget_usd,
            budget_stopped=self.budget_stopped,
            llm_calls=stats.llm_calls,
            analyst_calls=stats.calls_by_stage.get("analyst", 0),
            cache_hits=stats.cache_hits,
            resumed_calls=len(self.previous & self.client.hit_keys),
            failed_calls=len(self.failures),
            retries=stats.retries,
            prompt_tokens=stats.prompt_tokens,
            completion_tokens=stats.completion_tokens,
            cost_usd=round(stats.cost_usd, 6),
            cost_known=stats.cost_known,
            lessons=analysis.analysed_lessons,
            merge_levels=analysis.merge_levels,
            rules=self.rules,
            quotes_removed=analysis.quotes_removed,
            fix_rounds=self.fix_rounds,
            from_snapshot=analysis.from_snapshot,
            clustering=analysis.clustering,
            wall_s=round(time.monotonic() - self.started, 3),
            failures=self.failures,
            dropped_lessons=analysis.dropped_lessons,
            conflicts=analysis.conflicts,
        )

    def _stop(self, task: str, exc: BudgetExceeded) -> None:
        self.failures.append(CallFailure(task=task, error=exc.message, kind="BudgetExceeded"))
        self.budget_stopped = True


def dry_run(
    inputs: Sequence[str | Path],
    options: ModelOptions,
    *,
    fmt: str | None = None,
    read_options: ReadOptions | None = None,
    into: str | None = None,
    redact_emails: bool = False,
) -> DryRunEstimate:
    """The planned calls, tokens and cost of ``distill --model`` on ``inputs``; no model is called.

    ``redact_emails`` as the run would: the prompts priced (and looked up in the cache) are the run's."""
    root = options.cache_dir or config.cache_dir()
    client = LLMClient(options.settings, cache=ResponseCache(root / "llm"))
    return estimate_run(inputs, client, fmt=fmt, options=read_options, k=options.k, into=into,
                        per_cluster=options.per_cluster, redact_emails=redact_emails)
