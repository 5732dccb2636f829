"""The evolve loop: failures → analysis → diagnosis → patch → gate → publish, or discard with a reason."""

from __future__ import annotations

import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from skillforge.errors import BudgetExceeded, InputError, ScanRefused
from skillforge.evals.agents import Mode, resolve_agent
from skillforge.evals.runner import Progress, check_options, results_to_traces, run_tasks
from skillforge.evolve.gate import check_margin, gate, split_tasks
from skillforge.evolve.screen import check_rewrite
from skillforge.evolve.stages import ModelStages, OfflineStages, Optimizer
from skillforge.ingest import read_paths
from skillforge.llm.client import LLMClient
from skillforge.models import Patch, Trace
from skillforge.models.evals import EvalTask
from skillforge.models.evolve import EvolveReport, RoundReport
from skillforge.redact import redact_trace
from skillforge.skills.io import read_package, write_package
from skillforge.skills.patch import apply_patch
from skillforge.skills.validate import validate_skill

if TYPE_CHECKING:
    from skillforge.registry.store import Registry

__all__ = ["Optimizer", "run_evolve"]


def run_evolve(
    registry: Registry,
    name: str,
    *,
    failures: Path | None = None,
    tasks: list[EvalTask] | None = None,
    agent: str | None = None,
    rounds: int = 1,
    margin: float = 0.0,
    runs: int = 3,
    concurrency: int = 4,
    timeout: float = 300.0,
    from_version: str | None = None,
    mode: Mode = "discovered",
    prompt_stdin: bool = False,
    optimizer: Optimizer | None = None,
    client: LLMClient | None = None,
    on_progress: Progress | None = None,
) -> EvolveReport:
    """Improve skill ``name`` from its failures, publishing each candidate only if the gate accepts it.

    Round 1 builds on the latest version (or ``from_version``), never silently on a pin; each later
    round builds on the candidate the round before published. Failures come from ``failures`` (a
    folder or file of traces in any supported format, e.g. an eval run's ``results.jsonl``) or,
    when absent, from running the train tasks once. Runs where the agent crashed, and checks that
    gave no reason beyond failing, are not learned from (they say nothing about the skill). The
    held-out tasks gate every candidate, ``runs`` times per version (``gate``); a rejected
    candidate is discarded and the registry is left as it was. With ``client`` the Failure
    Analyzer, Diagnostician and Optimizer are model calls (see ``stages``); without, the offline
    heuristics run. A reached budget stops the run before anything of the unfinished round is
    published (``budget_stopped`` in the report).
    """
    if not tasks or not agent:
        raise InputError("evolve needs --tasks and --agent: every candidate is gated by evaluation")
    if rounds < 1:
        raise InputError(f"rounds must be at least 1 (got {rounds})")
    check_margin(margin)
    check_options(runs=runs, concurrency=concurrency, timeout=timeout)
    resolve_agent(agent, prompt_stdin=prompt_stdin)  # a bad --agent fails before any work
    train, holdout = split_tasks(tasks)
    if not holdout:
        raise InputError(
            "no held-out tasks to gate on", hint='mark some tasks "split": "holdout" or leave split unset'
        )
    start = registry.resolve(name, from_version or "latest")
    pinned = registry.pins().get(name)
    stages: ModelStages | OfflineStages = (
        ModelStages(client) if client is not None else OfflineStages(optimizer)
    )
    settings = _Settings(agent, margin, runs, concurrency, timeout, mode, prompt_stdin, on_progress)
    report = EvolveReport(
        skill=name,
        final_version=start,
        start_version=start,
        pinned=pinned,
        model=client.model if client is not None else None,
    )
    work = Path(tempfile.mkdtemp(prefix="skillforge-evolve-"))
    base = start
    try:
        for number in range(1, rounds + 1):
            base_dir = registry.export(name, base, work / f"round{number}" / "base")
            # The label (not a temp path) names the train run in traces, so model prompts repeat and hit the cache.
            traces, held_out = _failure_traces(
                failures, base_dir, tasks, settings, Path(f"{name}@{base}") / "train-results.jsonl"
            )
            traces, skipped = _learnable(traces)
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
                    settings,
                    stages,
                    work / f"round{number}" / "candidate",
                )
            except BudgetExceeded:
                report.budget_stopped = True
                break
            result.notes[:0] = skipped
            if held_out:
                result.notes.insert(
                    0,
                    f"{held_out} failed run(s) of held-out tasks left out: they gate the candidate, "
                    "so the round does not learn from them",
                )
            report.rounds.append(result)
            if result.decision != "accepted" or result.version is None:
                break
            # The next round builds on what this one published, whatever a pin says.
            base = report.final_version = result.version
            failures = None  # later rounds learn from the new version's own failures on the train tasks
    finally:
        stages.close()
        shutil.rmtree(work, ignore_errors=True)
        if client is not None:
            if client.cache is not None:
                client.cache.flush()
            report.usage = client.stats.model_copy(update={"cost_usd": round(client.stats.cost_usd, 6)})
    return report


@dataclass(frozen=True)
class _Settings:
    """How tasks are run, the same in every round."""

    agent: str
    margin: float
    runs: int
    concurrency: int
    timeout: float
    mode: Mode
    prompt_stdin: bool
    on_progress: Progress | None


def _failure_traces(
    failures: Path | None, base_dir: Path, tasks: list[EvalTask], settings: _Settings, label: Path
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
        progress = settings.on_progress
        results = run_tasks(
            base_dir,
            train,
            settings.agent,
            concurrency=settings.concurrency,
            timeout=settings.timeout,
            arm="train",
            mode=settings.mode,
            prompt_stdin=settings.prompt_stdin,
            on_progress=progress,
        )
        traces = results_to_traces(base_dir.name, results, train, label)
    else:
        traces = []
    # Redacted before any stage sees them: the model stages send trace text to a provider.
    return [redact_trace(t) for t in traces], held_out


_NO_REASON = re.compile(
    r"^(check exited with \d+|check timed out after .*|output does not (contain|match) .*"
    r"|file .* was not created|.* does not contain .*|.* differs from the expected content"
    r"|.* is larger than \d+ MiB|failure)$"
)
"""skillforge's own check messages: they say a check failed, not what the skill should teach."""


def _learnable(traces: list[Trace]) -> tuple[list[Trace], list[str]]:
    """Drop eval runs that say nothing about the skill, with a note saying how many and why.

    A run whose agent crashed or timed out failed before the skill could matter; a check that only
    says it failed ("check exited with 1") would become a rule like "check exited with 1". Neither is
    turned into a guardrail. Traces from other sources (real agent sessions) are all kept.
    """
    kept: list[Trace] = []
    crashed = silent = 0
    for trace in traces:
        if "task_id" not in trace.metadata or trace.outcome.success is not False:
            kept.append(trace)
        elif trace.metadata.get("agent_failed"):
            crashed += 1
        elif _NO_REASON.match(_first_line(trace.outcome.error)):
            silent += 1
        else:
            kept.append(trace)
    notes = []
    if crashed:
        notes.append(f"{crashed} failed run(s) not learned from: the agent crashed or timed out")
    if silent:
        notes.append(
            f"{silent} failed run(s) not learned from: the check said only that it failed "
            "(make the check print what was expected, e.g. `|| { echo 'r.txt must end with ...'; exit 1; }`)"
        )
    return kept, notes


def _first_line(text: str | None) -> str:
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    return lines[0] if lines else "failure"


def _round(
    registry: Registry,
    name: str,
    number: int,
    base: str,
    base_dir: Path,
    traces: list[Trace],
    holdout: list[EvalTask],
    train: list[EvalTask],
    settings: _Settings,
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
    try:
        # before the evaluation gate: the candidate is never handed to an agent unscanned
        check_rewrite(base_dir, candidate_dir)
    except ScanRefused as exc:
        report.problems.append(exc.message)
        report.decision = "rejected"
        _record(registry, name, report)
        return report
    decision = gate(
        base_dir,
        candidate_dir,
        holdout,
        settings.agent,
        margin=settings.margin,
        runs=settings.runs,
        concurrency=settings.concurrency,
        timeout=settings.timeout,
        train_ids=[t.id for t in train],
        mode=settings.mode,
        prompt_stdin=settings.prompt_stdin,
        on_progress=settings.on_progress,
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


def _record(registry: Registry, name: str, report: RoundReport) -> None:
    """Keep a rejected round in the registry's log without publishing a version."""
    registry.record_event(name, "evolve-rejected", report.model_dump(mode="json"))
