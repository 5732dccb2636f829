"""``skillforge distill --model MODEL``: the model-backed path through the one distill pipeline.

LLM analysis and tree consolidation (``llm_analysis``) and the model's plan of skills
(``llm_plan``) replace the offline analyzer; writing a skill — plan the Patch, apply it, write
the folder, record provenance, validate — is the offline pipeline's own step, followed by at
most two model fix rounds when validation fails. Everything a call produces is cached, so a
re-run makes no calls and a killed run resumes; ``--budget`` stops cleanly with a partial report.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from skillforge import config
from skillforge.distill.journal import Journal, run_id
from skillforge.distill.lessons import generalize, merge_duplicates
from skillforge.distill.model.analysis import Progress, run_analysis
from skillforge.distill.model.estimate import estimate_run
from skillforge.distill.model.fix import validate_and_fix
from skillforge.distill.model.skill_plan import existing_skills, plan_groups
from skillforge.distill.pipeline import DistillReport, Seed, _resolve_into, _write_skill, seed_from_registry
from skillforge.errors import BudgetExceeded
from skillforge.ingest import ReadOptions
from skillforge.llm.cache import ResponseCache
from skillforge.llm.client import LLMClient
from skillforge.models.llm import CallFailure, DryRunEstimate, LLMAnalysis, LLMRunReport, LLMSettings

__all__ = ["LLMDistillOptions", "LLMDistillReport", "dry_run", "run_llm_distill"]



class LLMDistillOptions(BaseModel):
    """Everything ``distill --model`` takes besides the inputs and the output folder."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    settings: LLMSettings
    k: int = Field(default=8, ge=2)
    """Merge group size of the consolidation tree."""
    fmt: str | None = None
    read_options: ReadOptions | None = None
    into: str | None = None
    redact_emails: bool = False
    cache_dir: Path | None = None
    """Defaults to ``config.cache_dir()``."""
    seed: Seed | None = None
    """Fetches a registry skill a run is about to write (see ``pipeline.seed_from_registry``)."""


class LLMDistillReport(LLMRunReport):
    """The run report plus the offline pipeline's summary (skills written, traces by format, skips)."""

    distill: DistillReport | None = None


def _noop(stage: str, done: int, total: int | None) -> None:
    return None


def _client(inputs: Sequence[str | Path], out: Path, options: LLMDistillOptions) -> tuple[LLMClient, Journal, Path]:
    root = options.cache_dir or config.cache_dir()
    ident = run_id([sorted(str(p) for p in inputs), str(out), options.settings.model, options.k, options.into])
    journal = Journal(root / "journal" / f"{ident}.jsonl")
    client = LLMClient(options.settings, cache=ResponseCache(root / "llm"), on_call=journal.record)
    return client, journal, root


def dry_run(inputs: Sequence[str | Path], options: LLMDistillOptions) -> DryRunEstimate:
    """The planned calls, tokens and cost of ``distill --model`` on ``inputs``; no model is called."""
    root = options.cache_dir or config.cache_dir()
    client = LLMClient(options.settings, cache=ResponseCache(root / "llm"))
    return estimate_run(inputs, client, fmt=options.fmt, options=options.read_options, k=options.k, into=options.into)


async def run_llm_distill(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    options: LLMDistillOptions,
    *,
    progress: Progress = _noop,
) -> LLMDistillReport:
    """Distill ``inputs`` with a model into skill folders under ``out_dir`` (or into ``options.into``).

    A budget stop is not an exception: the report comes back with ``budget_stopped`` and what was
    done; nothing is written for a run that could not finish its analysis.
    """
    started = time.monotonic()
    out = Path(out_dir)
    client, journal, root = _client(inputs, out, options)
    previous = journal.previous_keys
    try:
        analysis = await run_analysis(
            inputs, client, fmt=options.fmt, options=options.read_options, k=options.k,
            progress=progress, snapshot_dir=root / "stages", redact_emails=options.redact_emails,
        )
        distill = _distill_summary(inputs, out, client.model, analysis)
        failures = list(analysis.failures)
        fix_rounds = 0
        if not analysis.budget_stopped and analysis.lessons:
            try:
                fix_rounds = await _write_skills(client, analysis, out, options.into, distill, failures, progress,
                                                 options.seed)
            except BudgetExceeded as exc:
                failures.append(CallFailure(task="plan", error=exc.message, kind="BudgetExceeded"))
                analysis.budget_stopped = True
    finally:
        if client.cache is not None:
            client.cache.flush()  # the journal is written as entries reach the disk, so flush first
        journal.close()
    problems = [f"{s.name}: {p}" for s in distill.skills for p in s.problems + s.errors]
    stats = client.stats
    return LLMDistillReport(
        model=client.model,
        budget_usd=options.settings.budget_usd,
        traces=len(analysis.traces),
        llm_calls=stats.llm_calls,
        analyst_calls=stats.calls_by_stage.get("analyst", 0),
        cache_hits=stats.cache_hits,
        resumed_calls=len(previous & client.hit_keys),
        failed_calls=len(failures),
        retries=stats.retries,
        prompt_tokens=stats.prompt_tokens,
        completion_tokens=stats.completion_tokens,
        cost_usd=round(stats.cost_usd, 6),
        cost_known=stats.cost_known,
        merge_levels=analysis.merge_levels,
        lessons=analysis.analysed_lessons,
        rules=len(analysis.lessons),
        quotes_removed=analysis.quotes_removed,
        budget_stopped=analysis.budget_stopped,
        fix_rounds=fix_rounds,
        from_snapshot=analysis.from_snapshot,
        skills=[s.name for s in distill.skills],
        failures=failures,
        dropped_lessons=analysis.dropped_lessons,
        conflicts=analysis.conflicts,
        problems=problems,
        distill=distill,
        wall_s=round(time.monotonic() - started, 3),
    )


async def _write_skills(
    client: LLMClient,
    analysis: LLMAnalysis,
    out: Path,
    into: str | None,
    distill: DistillReport,
    failures: list[CallFailure],
    progress: Progress,
    seed: Seed | None = None,
) -> int:
    """Plan the skills, then write each through the offline pipeline's own step, fixing what fails
    validation. Returns the number of fix rounds used."""
    target_dir, target_name = _resolve_into(into, out)
    # The model was asked to generalise; what still holds one run's ids or paths is generalised here.
    analysis.lessons = merge_duplicates([generalize(l) for l in analysis.lessons])
    existing = existing_skills(out, analysis.lessons) if target_dir is None else []
    progress("plan", 0, 1)
    groups = await plan_groups(client, analysis.lessons, existing, into=target_name, failures=failures)
    if target_dir is None:
        seed_from_registry(groups, out, seed, distill.deepened)
    progress("plan", 1, 1)
    origin = {ref.id: (ref.path, ref.format) for ref in analysis.traces}
    rounds = 0
    for i, group in enumerate(groups):
        skill_dir = target_dir if target_dir is not None else out / group.name
        result = _write_skill(group, skill_dir, origin, client.model, distill.quarantined)
        if result is None:
            progress("write", i + 1, len(groups))
            continue
        # Validation errors and fixable lint problems go back to the model (a clean skill costs no call).
        result.errors, used = await validate_and_fix(client, skill_dir, failures)
        rounds += used
        distill.skills.append(result)
        progress("write", i + 1, len(groups))
    return rounds


def _distill_summary(inputs: Sequence[str | Path], out: Path, model: str, analysis: LLMAnalysis) -> DistillReport:
    formats = Counter(ref.format for ref in analysis.traces)
    kinds = Counter(ref.kind for ref in analysis.traces)
    return DistillReport(
        inputs=[str(p) for p in inputs],
        out_dir=str(out),
        analyzer=model,
        traces=len(analysis.traces),
        traces_by_format=dict(sorted(formats.items())),
        traces_by_kind=dict(sorted(kinds.items())),
        lessons=len(analysis.lessons),
        skipped=analysis.skipped[:500],
        skipped_total=len(analysis.skipped),
        quarantined=analysis.quarantined,
    )
