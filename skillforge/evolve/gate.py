"""The acceptance gate: a candidate is published only if it does not regress on held-out tasks."""

from __future__ import annotations

from pathlib import Path

from skillforge.evals.runner import run_tasks
from skillforge.models.evals import EvalTask, PassCount
from skillforge.models.evolve import GateDecision


def split_tasks(tasks: list[EvalTask]) -> tuple[list[EvalTask], list[EvalTask]]:
    """(train, holdout). Tasks without an explicit split serve both roles."""
    train = [t for t in tasks if t.split in (None, "train")]
    holdout = [t for t in tasks if t.split in (None, "holdout")]
    return train, holdout


def gate(
    current: Path,
    candidate: Path,
    tasks: list[EvalTask],
    agent: str,
    *,
    margin: float = 0.0,
    concurrency: int = 4,
    timeout: float = 300.0,
    train_ids: list[str] | None = None,
) -> GateDecision:
    """Run the held-out ``tasks`` with the current and the candidate skill; accept only without regressions.

    Accepted when the candidate's pass rate is at least the current one plus ``margin`` and no task
    that passes with the current version fails with the candidate.
    """
    ids = [t.id for t in tasks]
    before = {
        r.id: r.passed for r in run_tasks(current, tasks, agent, concurrency=concurrency, timeout=timeout)
    }
    after = {
        r.id: r.passed for r in run_tasks(candidate, tasks, agent, concurrency=concurrency, timeout=timeout)
    }
    b = PassCount(passed=sum(before.values()), total=len(ids))
    a = PassCount(passed=sum(after.values()), total=len(ids))
    regressions = sorted(i for i in ids if before[i] and not after[i])
    improvements = sorted(i for i in ids if after[i] and not before[i])
    if regressions:
        accepted, reason = False, "regression on held-out task(s): " + ", ".join(regressions)
    elif a.rate + 1e-9 < b.rate + margin:
        accepted, reason = False, f"pass rate {a.rate:.0%} is below {b.rate:.0%} + margin {margin:.0%}"
    else:
        accepted, reason = True, f"pass rate {b.rate:.0%} -> {a.rate:.0%}, no regressions"
    return GateDecision(
        accepted=accepted,
        reason=reason,
        before=b,
        after=a,
        regressions=regressions,
        improvements=improvements,
        gate_tasks=sorted(ids),
        train_tasks=sorted(train_ids or []),
    )
