"""The evolve loop: failures → analysis → diagnosis → patch → gate → publish, or discard with a reason."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

from skillforge.distill.apply import apply_patch
from skillforge.errors import BudgetExceeded, InputError
from skillforge.evals.runner import results_to_traces, run_tasks
from skillforge.evolve.gate import gate, split_tasks
from skillforge.evolve.stages import ModelStages, OfflineStages, Optimizer
from skillforge.ingest import read_paths
from skillforge.llm.client import LLMClient
from skillforge.models import Patch, Trace
from skillforge.models.evals import EvalTask
from skillforge.models.evolve import EvolveReport, RoundReport
from skillforge.redact import redact_trace
from skillforge.skills.io import read_package, write_package
from skillforge.skills.validate import validate_skill

__all__ = ["Optimizer", "run_evolve"]


def run_evolve(
    registry: Any,
    name: str,
    *,
    failures: Path | None = None,
    tasks: list[EvalTask] | None = None,
    agent: str | None = None,
    rounds: int = 1,
    margin: float = 0.0,
    concurrency: int = 4,
    timeout: float = 300.0,
    optimizer: Optimizer | None = None,
    client: LLMClient | None = None,
) -> EvolveReport:
    """Improve skill ``name`` from its failures, publishing each candidate only if the gate accepts it.

    Failures come from ``failures`` (a folder or file of traces in any supported format, e.g. an
    eval run's ``results.jsonl``) or, when absent, from running the train tasks. The held-out tasks
    gate every candidate; a rejected candidate is discarded and the registry is left as it was.
    With ``client`` the Failure Analyzer, Diagnostician and Optimizer are model calls (see
    ``stages``); without, the offline heuristics run. A reached budget stops the run before
    anything of the unfinished round is published (``budget_stopped`` in the report).
    """
    if not tasks or not agent:
        raise InputError("evolve needs --tasks and --agent: every candidate is gated by evaluation")
    train, holdout = split_tasks(tasks)
    if not holdout:
        raise InputError(
            "no held-out tasks to gate on", hint='mark some tasks "split": "holdout" or leave split unset'
        )
    stages: ModelStages | OfflineStages = (
        ModelStages(client) if client is not None else OfflineStages(optimizer)
    )
    report = EvolveReport(
        skill=name, final_version=registry.resolve(name), model=client.model if client is not None else None
    )
    work = Path(tempfile.mkdtemp(prefix="skillforge-evolve-"))
    try:
        for number in range(1, rounds + 1):
            base = registry.resolve(name)
            base_dir = registry.export(name, base, work / f"round{number}" / "base")
            # The label (not a temp path) names the train run in traces, so model prompts repeat and hit the cache.
            traces, held_out = _failure_traces(
                failures,
                base_dir,
                tasks,
                agent,
                concurrency,
                timeout,
                Path(f"{name}@{base}") / "train-results.jsonl",
            )
            try:
                result = _round(
                    registry,
                    name,
                    number,
                    base,
                    base_dir,
                    traces,
                    holdout,
                    train,
                    agent,
                    margin,
                    concurrency,
                    timeout,
                    stages,
                    work / f"round{number}" / "candidate",
                )
            except BudgetExceeded:
                report.budget_stopped = True
                break
            if held_out:
                result.notes.insert(
                    0,
                    f"{held_out} failed run(s) of held-out tasks left out: they gate the candidate, "
                    "so the round does not learn from them",
                )
            report.rounds.append(result)
            report.final_version = registry.resolve(name)
            if result.decision != "accepted":
                break
            failures = None  # later rounds learn from the new version's own failures on the train tasks
    finally:
        stages.close()
        shutil.rmtree(work, ignore_errors=True)
        if client is not None:
            if client.cache is not None:
                client.cache.flush()
            report.usage = client.stats.model_copy(update={"cost_usd": round(client.stats.cost_usd, 6)})
    return report


def _failure_traces(
    failures: Path | None,
    base_dir: Path,
    tasks: list[EvalTask],
    agent: str,
    concurrency: int,
    timeout: float,
    label: Path,
) -> tuple[list[Trace], int]:
    """The traces to learn from, and how many runs of held-out tasks were left out of them."""
    train, _ = split_tasks(tasks)
    held_out = 0
    if failures is not None:
        found = [t for t in read_paths([failures]) if isinstance(t, Trace)]
        # An eval run also holds runs without the skill; those failures say nothing about the skill.
        traces = [t for t in found if t.metadata.get("with_skill", True) is not False]
        # Runs of held-out tasks would leak the gate's answers into the candidate.
        gate_only = {t.id for t in tasks if t.split == "holdout"}
        kept = [t for t in traces if t.metadata.get("task_id") not in gate_only]
        held_out = sum(
            1 for t in traces if t.metadata.get("task_id") in gate_only and t.outcome.success is not True
        )
        traces = kept
    elif train:
        results = run_tasks(base_dir, train, agent, concurrency=concurrency, timeout=timeout)
        traces = results_to_traces(base_dir.name, results, train, label)
    else:
        traces = []
    # Redacted before any stage sees them: the model stages send trace text to a provider.
    return [redact_trace(t) for t in traces], held_out


def _round(
    registry: Any,
    name: str,
    number: int,
    base: str,
    base_dir: Path,
    traces: list[Trace],
    holdout: list[EvalTask],
    train: list[EvalTask],
    agent: str,
    margin: float,
    concurrency: int,
    timeout: float,
    stages: ModelStages | OfflineStages,
    candidate_root: Path,
) -> RoundReport:
    pkg = read_package(base_dir)
    staged = stages.run(traces, pkg)
    patch = staged.patch
    report = RoundReport(
        round=number,
        base_version=base,
        failures_analysed=len(staged.analyses),
        clusters=staged.clusters,
        edits=list(patch.changelog) if patch else [],
        decision="no-change",
        analyzer=stages.name,
        fix_rounds=staged.fix_rounds,
        problems=list(staged.problems),
        notes=staged.notes,
        model_failures=staged.failures,
    )
    if patch is None or not patch.edits:
        return report
    candidate, problems = apply_patch(pkg, patch)
    report.problems += [str(p) for p in problems]
    if candidate == apply_patch(pkg, Patch(skill=pkg.name))[0]:
        return report  # every edit was refused (e.g. missing anchors): there is no candidate to gate
    candidate_dir = write_package(candidate, candidate_root / name)
    validation = validate_skill(candidate_dir)
    if not validation.ok():
        report.problems += [p.message for p in validation.errors]
        report.decision = "rejected"
        _record(registry, name, report)
        return report
    decision = gate(
        base_dir,
        candidate_dir,
        holdout,
        agent,
        margin=margin,
        concurrency=concurrency,
        timeout=timeout,
        train_ids=[t.id for t in train],
    )
    report.gate = decision
    if not decision.accepted:
        report.decision = "rejected"
        _record(registry, name, report)
        return report
    report.decision = "accepted"
    summary = f"evolve round {number}: {len(report.clusters)} failure cluster(s); {decision.reason}"
    # The version keeps the round's report; cluster trace ids stay in the report file, not in every version.
    extra = report.model_dump(mode="json", exclude={"clusters": {"__all__": {"trace_ids", "steps"}}})
    published = registry.publish(
        candidate_dir, bump="minor", message=summary, changelog=list(patch.changelog), extra={"evolve": extra}
    )
    report.version = str(published.version)
    return report


def _record(registry: Any, name: str, report: RoundReport) -> None:
    """Keep a rejected round in the registry's log without publishing a version."""
    registry.record_event(name, "evolve-rejected", report.model_dump(mode="json"))
