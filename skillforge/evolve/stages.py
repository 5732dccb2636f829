"""The three stages of an evolve round — Failure Analyzer, Skill Diagnostician, Skill Optimizer —
offline (heuristics, the default) or with a model.

``ModelStages`` runs the model versions on one client and one event loop for the whole evolve
run. A model task that fails after its retries and repair round does not end the round: the
offline version of that stage stands in and the failure is reported. Only ``BudgetExceeded``
propagates, so the caller can stop cleanly before publishing anything.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

from skillforge.errors import BudgetExceeded, LLMError
from skillforge.evolve.diagnose import diagnose
from skillforge.evolve.failures import analyze_failure
from skillforge.evolve.llm_diagnose import diagnose_with_model
from skillforge.evolve.llm_failures import analyze_with_model
from skillforge.evolve.llm_optimize import optimize_with_model
from skillforge.evolve.optimize import optimize
from skillforge.llm.client import LLMClient
from skillforge.models import Patch, SkillPackage, Trace
from skillforge.models.evolve import FailureAnalysis, FailureCluster
from skillforge.models.llm import CallFailure

Optimizer = Callable[[SkillPackage, list[FailureCluster]], Patch]


@dataclass
class Staged:
    """What the three stages produced for one round."""

    analyses: list[FailureAnalysis] = field(default_factory=list)
    clusters: list[FailureCluster] = field(default_factory=list)
    patch: Patch | None = None
    fix_rounds: int = 0
    problems: list[str] = field(default_factory=list)
    """Patch problems still left after the optimizer's fix rounds."""
    notes: list[str] = field(default_factory=list)
    failures: list[CallFailure] = field(default_factory=list)


class OfflineStages:
    """The heuristic stages: deterministic, no model."""

    name = "heuristic"

    def __init__(self, optimizer: Optimizer | None = None) -> None:
        self.optimizer = optimizer or optimize

    def run(self, traces: list[Trace], pkg: SkillPackage) -> Staged:
        analyses = [a for a in (analyze_failure(t, pkg) for t in traces) if a is not None]
        clusters = diagnose(analyses)
        return Staged(analyses=analyses, clusters=clusters, patch=self.optimizer(pkg, clusters))

    def close(self) -> None:
        return None


class ModelStages:
    """The model stages over ``client``; ``close()`` when the evolve run is over."""

    def __init__(self, client: LLMClient) -> None:
        self.client = client
        # One loop for the whole run: the client's semaphore belongs to the loop it was first used on.
        self._loop = asyncio.new_event_loop()

    @property
    def name(self) -> str:
        return self.client.model

    def run(self, traces: list[Trace], pkg: SkillPackage) -> Staged:
        return self._loop.run_until_complete(self._run(traces, pkg))

    def close(self) -> None:
        """Finish the loop as ``asyncio.run`` would: cancel what is left (litellm's logging worker), then close."""
        loop = self._loop
        try:
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            if pending:
                loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
        finally:
            loop.close()

    async def _run(self, traces: list[Trace], pkg: SkillPackage) -> Staged:
        staged = Staged()
        outcomes = await asyncio.gather(
            *(self._analyze(t, pkg, staged) for t in traces), return_exceptions=True
        )
        for outcome in outcomes:
            if isinstance(outcome, BaseException):
                raise outcome
            if outcome is not None:
                staged.analyses.append(outcome)
        # Analyses finish in any order; sorting keeps the report identical from run to run.
        staged.analyses.sort(key=lambda a: a.trace_id)
        staged.notes.sort()
        staged.failures.sort(key=lambda f: f.task)
        try:
            staged.clusters = await diagnose_with_model(self.client, staged.analyses, pkg)
        except BudgetExceeded:
            raise
        except LLMError as exc:
            self._failed(
                staged, "evolve-diagnose", exc, "the diagnosis fell back to clustering by error signature"
            )
            staged.clusters = diagnose(staged.analyses)
        try:
            optimized = await optimize_with_model(self.client, pkg, staged.clusters)
        except BudgetExceeded:
            raise
        except LLMError as exc:
            self._failed(
                staged, "evolve-optimize", exc, "the optimizer fell back to the heuristic guardrails"
            )
            staged.patch = optimize(pkg, staged.clusters)
        else:
            staged.patch, staged.fix_rounds, staged.problems = (
                optimized.patch,
                optimized.fix_rounds,
                optimized.problems,
            )
        return staged

    async def _analyze(self, trace: Trace, pkg: SkillPackage, staged: Staged) -> FailureAnalysis | None:
        try:
            analysis, notes = await analyze_with_model(self.client, trace, pkg)
        except BudgetExceeded:
            raise
        except LLMError as exc:
            self._failed(
                staged, f"evolve-failure:{trace.id}", exc, f"trace {trace.id}: the heuristic analysis is used"
            )
            return analyze_failure(trace, pkg)
        staged.notes.extend(notes)
        return analysis

    @staticmethod
    def _failed(staged: Staged, task: str, exc: LLMError, note: str) -> None:
        staged.failures.append(CallFailure(task=task, error=exc.message, kind=type(exc).__name__))
        staged.notes.append(note)
