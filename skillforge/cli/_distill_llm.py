"""The ``--model`` branch of ``skillforge distill``: parse options → one library call → render.

Exit codes: 0 done; 1 nothing usable read, a model task failed (after retries and a repair
round; the rest is written and cached, a re-run retries only what failed), or a skill is still
invalid after the fix rounds; 3 the ``--budget`` was reached (a partial report is printed and
written; re-run with a larger budget and finished calls come from the cache).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from skillforge.cli._render import StageLine, echo_json, error, info, printable, success, table, warn
from skillforge.errors import InputError

BUDGET_EXIT = 3


def run_llm_command(
    paths: tuple[Path, ...],
    out_dir: Path,
    *,
    model: str,
    api_base: str | None,
    concurrency: int,
    budget: float | None,
    timeout: float,
    dry_run: bool,
    report_file: Path | None,
    fmt: str | None,
    into: str | None,
    read_options: Any,
    redact_emails: bool,
    as_json: bool,
    publish: Callable[[Any, bool], None] | None = None,
    seed: Callable[[str, Path], str | None] | None = None,
) -> None:
    """``distill --model``: run (or, with ``--dry-run``, estimate) and render the result."""
    from skillforge.cli._process import tuned_for_model_calls
    from skillforge.distill.model.run import LLMDistillOptions, run_llm_distill
    from skillforge.distill.model.run import dry_run as estimate
    from skillforge.models.llm import LLMSettings

    settings = LLMSettings(model=model, api_base=api_base, concurrency=concurrency, budget_usd=budget, timeout=timeout)
    options = LLMDistillOptions(settings=settings, fmt=fmt, into=into, read_options=read_options,
                                redact_emails=redact_emails, seed=seed)
    if dry_run:
        plan = estimate(paths, options)
        _write(report_file, plan)
        if as_json:
            echo_json(plan)
            return
        cost = f"${plan.cost_usd:.4f}" if plan.cost_known else "unknown (no price for this model in litellm's map)"
        info(f"Dry run for {plan.model} ({'tool calling' if plan.tool_calling else 'one call per trace'}):")
        info(table(("", "count"), [
            ("traces", plan.traces), ("analyst calls", plan.analyst_calls), ("merge calls", plan.merge_calls),
            ("plan calls", plan.plan_calls), ("planned calls", plan.planned_calls),
            ("first calls already cached", plan.cached_calls), ("merge levels", plan.merge_levels),
            ("prompt tokens (est.)", plan.prompt_tokens), ("completion tokens (est.)", plan.completion_tokens),
        ]))
        info(f"Estimated cost: {cost}. Nothing was sent to a model.")
        return
    line = StageLine()
    try:
        with tuned_for_model_calls():
            report = asyncio.run(run_llm_distill(paths, out_dir, options, progress=line))
    finally:
        line.clear()
    _write(report_file, report)
    if as_json:
        echo_json(report)
    else:
        _print(report)
        if report.distill is not None and not report.budget_stopped:
            from skillforge.cli.distill import quality_line

            quality_line(report.distill)
    if publish is not None and report.distill is not None and not report.budget_stopped:
        publish(report.distill, as_json)
    if report.budget_stopped:
        raise SystemExit(BUDGET_EXIT)
    if report.distill is not None and not report.distill.ok:
        raise InputError(f"nothing usable was read from {', '.join(map(printable, paths))}",
                         hint="see the skipped files above; --format NAME forces a reader")
    if report.failed_calls or (report.distill is not None and any(s.errors for s in report.distill.skills)):
        raise SystemExit(1)


def _write(path: Path | None, data: Any) -> None:
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data.model_dump(mode="json"), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def _print(report: Any) -> None:
    cost = f"${report.cost_usd:.4f}" if report.cost_known else "cost unknown"
    info(f"Read {report.traces} trace(s) with {report.model}: {report.llm_calls} model call(s), "
         f"{report.cache_hits} from cache, {report.prompt_tokens}+{report.completion_tokens} tokens, {cost}, "
         f"{report.wall_s:.1f} s.")
    info(f"Analysts found {report.lessons} lesson(s); {report.merge_levels} merge level(s) left {report.rules} rule(s)"
         + (f", {len(report.conflicts)} conflict(s) resolved." if report.conflicts else "."))
    for dropped in report.dropped_lessons:
        warn(f"dropped lesson {dropped.title!r} from trace {dropped.trace_id}: {dropped.reason}")
    budget = [f for f in report.failures if f.kind == "BudgetExceeded"]
    for failure in report.failures:
        if failure.kind != "BudgetExceeded":
            error(f"failed {failure.task}: {failure.kind}: {failure.error}")
    if budget:
        warn(f"{len(budget)} task(s) not run: {budget[0].error}")
    distill = report.distill
    if distill is not None:
        for q in distill.quarantined:
            warn(f"quarantined lesson {q.lesson.title!r} ({q.rule_id}): {q.reason}")
        from skillforge.cli.distill import print_written

        print_written(distill)
        for skill in distill.skills:
            for message in skill.errors:
                error(f"invalid {skill.name}: {message}")
            for message in skill.problems:
                warn(f"{skill.name}: not applied: {message}")
        for skipped in distill.skipped:
            warn(f"skipped {skipped}")
    if report.budget_stopped:
        click.secho(f"Stopped at the budget of ${report.budget_usd}: nothing was written. Re-run with a larger "
                    "--budget; finished calls come from the cache.", fg="yellow", err=True)
    elif distill is not None and distill.skills and not any(s.errors for s in distill.skills):
        success("All skills pass the Agent Skills spec. `skillforge explain DIR` shows the evidence for each rule.")
