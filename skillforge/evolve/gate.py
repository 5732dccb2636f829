"""The acceptance gate: a candidate is published only with a lift beyond noise on held-out tasks.

Both versions run every held-out task ``runs`` times, interleaved. Runs are paired by (task, run)
and the candidate's improvement gets Newcombe's paired interval (``evals.stats``). The candidate
is accepted only when the interval's lower bound is above ``margin`` and no task is worse beyond
noise. So 0 → 0 is never accepted, nor is a lucky single run: see ``evolve.noise`` for the measured
false-accept rates.
"""

from __future__ import annotations

from pathlib import Path

from skillforge.errors import InputError
from skillforge.evals.agents import Mode
from skillforge.evals.runner import Progress, run_arms
from skillforge.evals.stats import count, pair_runs, paired_delta, verdict
from skillforge.models.evals import EvalTask, TaskResult
from skillforge.models.evolve import GateDecision


def split_tasks(tasks: list[EvalTask]) -> tuple[list[EvalTask], list[EvalTask]]:
    """(train, holdout). Tasks without an explicit split serve both roles."""
    train = [t for t in tasks if t.split in (None, "train")]
    holdout = [t for t in tasks if t.split in (None, "holdout")]
    return train, holdout


def check_margin(margin: float) -> float:
    """A margin is a pass-rate gain in [0, 1): a negative one would accept a worse candidate."""
    if not 0 <= margin < 1:
        raise InputError(
            f"margin must be at least 0 and below 1 (got {margin:g})",
            hint="it is the pass-rate gain the candidate must show beyond noise, e.g. 0.05 for 5 points",
        )
    return margin


def gate(
    current: Path,
    candidate: Path,
    tasks: list[EvalTask],
    agent: str,
    *,
    margin: float = 0.0,
    runs: int = 3,
    concurrency: int = 4,
    timeout: float = 300.0,
    train_ids: list[str] | None = None,
    mode: Mode = "discovered",
    prompt_stdin: bool = False,
    on_progress: Progress | None = None,
) -> GateDecision:
    """Run the held-out ``tasks`` ``runs`` times with the current and the candidate skill; ``judge`` them."""
    check_margin(margin)
    results = run_arms(
        [("current", current), ("candidate", candidate)],
        tasks,
        agent,
        skill_name=current.name,
        runs=runs,
        concurrency=concurrency,
        timeout=timeout,
        mode=mode,
        prompt_stdin=prompt_stdin,
        on_progress=on_progress,
    )
    decision = judge(results["current"], results["candidate"], margin=margin, runs=runs)
    decision.gate_tasks = sorted(t.id for t in tasks)
    decision.train_tasks = sorted(train_ids or [])
    return decision


def judge(
    current: list[TaskResult], candidate: list[TaskResult], *, margin: float, runs: int
) -> GateDecision:
    """Accept only a paired lift whose 95 % lower bound is above ``margin`` and no task worse beyond noise."""
    pairs = pair_runs(candidate, current)
    delta = paired_delta([p for task_pairs in pairs.values() for p in task_pairs])
    per_task = {task: paired_delta(task_pairs) for task, task_pairs in pairs.items()}
    regressions = sorted(t for t, d in per_task.items() if verdict(d) == "worse")
    improvements = sorted(t for t, d in per_task.items() if d.mean > 0)
    before, after = count(current), count(candidate)
    lift = f"paired lift {delta.mean:+.0%} (95% CI {delta.ci[0]:+.0%} to {delta.ci[1]:+.0%})"
    if regressions:
        accepted, reason = False, "worse beyond noise on held-out task(s): " + ", ".join(regressions)
    elif delta.ci[0] > margin:
        accepted, reason = (
            True,
            f"pass rate {before.rate:.0%} -> {after.rate:.0%}, {lift} above margin {margin:.0%}",
        )
    else:
        accepted, reason = False, f"no lift beyond noise: {lift}, lower bound not above margin {margin:.0%}"
        if runs == 1:
            reason += "; one run per task rarely can show it (--runs 3 or more)"
    return GateDecision(
        accepted=accepted,
        reason=reason,
        before=before,
        after=after,
        runs=runs,
        margin=margin,
        delta=delta,
        regressions=regressions,
        improvements=improvements,
    )


def old_judge(current: list[TaskResult], candidate: list[TaskResult], *, margin: float = 0.0) -> bool:
    """The gate before paired intervals (one run, point estimates); kept only so ``noise`` can compare."""
    before = {r.id: r.passed for r in current if r.run == 0}
    after = {r.id: r.passed for r in candidate if r.run == 0}
    if any(before[i] and not after.get(i, False) for i in before):
        return False
    return _rate(after) + 1e-9 >= _rate(before) + margin


def _rate(passed: dict[str, bool]) -> float:
    return sum(passed.values()) / len(passed) if passed else 0.0
