"""The evolve loop: failures → analysis → diagnosis → patch → gate → publish, or discard with a reason."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skillforge.distill.apply import apply_patch
from skillforge.errors import InputError
from skillforge.evals.runner import results_to_traces, run_tasks
from skillforge.evolve.diagnose import diagnose
from skillforge.evolve.failures import analyze_failure
from skillforge.evolve.gate import gate, split_tasks
from skillforge.evolve.optimize import optimize
from skillforge.ingest import read_paths
from skillforge.models import Patch, SkillPackage, Trace
from skillforge.models.evals import EvalTask
from skillforge.models.evolve import EvolveReport, FailureCluster, RoundReport
from skillforge.redact import redact_trace
from skillforge.skills.io import read_package, write_package
from skillforge.skills.validate import validate_skill

Optimizer = Callable[[SkillPackage, list[FailureCluster]], Patch]


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
) -> EvolveReport:
    """Improve skill ``name`` from its failures, publishing each candidate only if the gate accepts it.

    Failures come from ``failures`` (a folder or file of traces in any supported format, e.g. an
    eval run's ``results.jsonl``) or, when absent, from running the train tasks. The held-out tasks
    gate every candidate; a rejected candidate is discarded and the registry is left as it was.
    """
    if not tasks or not agent:
        raise InputError("evolve needs --tasks and --agent: every candidate is gated by evaluation")
    if failures is None and not tasks:
        raise InputError("give --failures or --tasks to learn from")
    optimizer = optimizer or optimize
    train, holdout = split_tasks(tasks)
    if not holdout:
        raise InputError("no held-out tasks to gate on", hint="mark some tasks \"split\": \"holdout\" or leave split unset")
    report = EvolveReport(skill=name, final_version=registry.resolve(name))
    work = Path(tempfile.mkdtemp(prefix="skillforge-evolve-"))
    try:
        for number in range(1, rounds + 1):
            base = registry.resolve(name)
            base_dir = registry.export(name, base, work / f"round{number}" / "base")
            traces = _failure_traces(failures, base_dir, train, agent, concurrency, timeout, work / f"round{number}")
            result = _round(registry, name, number, base, base_dir, traces, holdout, train, agent, margin,
                            concurrency, timeout, optimizer, work / f"round{number}" / "candidate")
            report.rounds.append(result)
            report.final_version = registry.resolve(name)
            if result.decision != "accepted":
                break
            failures = None  # later rounds learn from the new version's own failures on the train tasks
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return report


def _failure_traces(
    failures: Path | None, base_dir: Path, train: list[EvalTask], agent: str, concurrency: int, timeout: float, work: Path
) -> list[Trace]:
    if failures is not None:
        found = [t for t in read_paths([failures]) if isinstance(t, Trace)]
        # An eval run also holds runs without the skill; those failures say nothing about the skill.
        traces = [t for t in found if t.metadata.get("with_skill", True) is not False]
    elif train:
        results = run_tasks(base_dir, train, agent, concurrency=concurrency, timeout=timeout)
        traces = results_to_traces(base_dir.name, results, train, work / "train-results.jsonl")
    else:
        traces = []
    return [redact_trace(t) for t in traces]


def _round(
    registry: Any, name: str, number: int, base: str, base_dir: Path, traces: list[Trace], holdout: list[EvalTask],
    train: list[EvalTask], agent: str, margin: float, concurrency: int, timeout: float, optimizer: Optimizer,
    candidate_root: Path,
) -> RoundReport:
    pkg = read_package(base_dir)
    analyses = [a for a in (analyze_failure(t, pkg) for t in traces) if a is not None]
    clusters = diagnose(analyses)
    patch = optimizer(pkg, clusters)
    report = RoundReport(round=number, base_version=base, failures_analysed=len(analyses), clusters=clusters,
                         edits=list(patch.changelog), decision="no-change")
    if not patch.edits:
        return report
    candidate, problems = apply_patch(pkg, patch)
    report.problems = [str(p) for p in problems]
    candidate_dir = write_package(candidate, candidate_root / name)
    validation = validate_skill(candidate_dir)
    if not validation.ok():
        report.problems += [p.message for p in validation.errors]
        report.decision = "rejected"
        _record(registry, name, report)
        return report
    decision = gate(base_dir, candidate_dir, holdout, agent, margin=margin, concurrency=concurrency, timeout=timeout,
                    train_ids=[t.id for t in train])
    report.gate = decision
    if not decision.accepted:
        report.decision = "rejected"
        _record(registry, name, report)
        return report
    summary = f"evolve round {number}: {len(clusters)} failure cluster(s); {decision.reason}"
    published = registry.publish(candidate_dir, bump="minor", message=summary, changelog=list(patch.changelog),
                                 extra={"evolve": report.model_dump(mode="json", exclude={"clusters"})})
    report.decision = "accepted"
    report.version = str(published.version)
    return report


def _record(registry: Any, name: str, report: RoundReport) -> None:
    """Keep a rejected round in the registry's log without publishing a version."""
    registry.record_event(name, "evolve-rejected", report.model_dump(mode="json"))
