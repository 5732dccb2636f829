"""Pass rates with intervals, and the paired difference of two arms.

Choices, so the numbers can be checked by hand:

- An arm's pass rate over all its runs gets a **Wilson score interval** (95 %): unlike the normal
  approximation it stays inside [0, 1] and is not degenerate at 0/n or n/n.
- Two arms are compared **paired**: run *r* of task *t* with the skill against run *r* of the same task
  without it (or current against candidate). The interval of the difference is **Newcombe's hybrid
  score interval for paired proportions** (Newcombe 1998, method 10), built from the two Wilson
  intervals and the correlation of the pairs. It needs no resampling (deterministic, exact enough
  at 3 tasks as at 300), and a difference of 0 → 0 gets an interval around 0, never a lift.
- Pairs are treated as independent draws for the task set at hand: the question answered is "does
  the skill help on these tasks", not "on every task there could be". Runs of one task are
  correlated, which makes the interval conservative for a fixed task set (heterogeneous tasks
  lower the variance of the sum), so false "better" verdicts stay under 2.5 % per comparison.
- ``sd`` is the standard deviation of the arm's pass rate across repetitions (repetition *r* =
  every task's run *r*): how much one sweep over the tasks moves from run to run.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from skillforge.models.evals import ArmStats, DeltaStats, PassCount, TaskResult, Verdict

Z95 = 1.959964
"""Two-sided 95 % normal quantile."""


def wilson(passed: int, total: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of ``passed/total``; (0, 1) when there is nothing to measure."""
    if total <= 0:
        return 0.0, 1.0
    p = passed / total
    z2 = z * z
    centre = (p + z2 / (2 * total)) / (1 + z2 / total)
    half = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total)) / (1 + z2 / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def paired_delta(pairs: Sequence[tuple[bool, bool]], z: float = Z95) -> DeltaStats:
    """Difference of pass rates (first minus second) over paired runs, with Newcombe's interval."""
    n = len(pairs)
    if n == 0:
        return DeltaStats(mean=0.0, ci=(-1.0, 1.0))
    a = sum(1 for x, y in pairs if x and y)
    b = sum(1 for x, y in pairs if x and not y)
    c = sum(1 for x, y in pairs if y and not x)
    d = n - a - b - c
    p1, p2 = (a + b) / n, (a + c) / n
    l1, u1 = wilson(a + b, n, z)
    l2, u2 = wilson(a + c, n, z)
    denominator = (a + b) * (c + d) * (a + c) * (b + d)
    phi = (a * d - b * c) / math.sqrt(denominator) if denominator else 0.0
    delta = p1 - p2
    down = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    up = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return DeltaStats(mean=_r(delta), ci=(_r(max(-1.0, delta - down)), _r(min(1.0, delta + up))))


def verdict(delta: DeltaStats, margin: float = 0.0) -> Verdict:
    """``better`` when the whole interval is above ``margin``, ``worse`` when it is below 0."""
    if delta.ci[0] > margin:
        return "better"
    if delta.ci[1] < 0:
        return "worse"
    return "no-difference"


def arm_stats(results: Iterable[TaskResult]) -> ArmStats:
    """Pass count, rate, spread across repetitions and Wilson interval of one arm's runs."""
    runs = list(results)
    passed, total = sum(r.passed for r in runs), len(runs)
    by_run: dict[int, list[bool]] = {}
    for r in runs:
        by_run.setdefault(r.run, []).append(r.passed)
    rates = [sum(v) / len(v) for v in by_run.values() if v]
    lo, hi = wilson(passed, total)
    return ArmStats(
        passed=passed,
        total=total,
        pass_rate=_r(passed / total if total else 0.0),
        sd=_r(_sd(rates)),
        ci=(_r(lo), _r(hi)),
    )


def pair_runs(
    first: Iterable[TaskResult], second: Iterable[TaskResult]
) -> dict[str, list[tuple[bool, bool]]]:
    """Runs of the two arms paired by (task, run index), grouped by task id in task order."""
    other = {(r.id, r.run): r.passed for r in second}
    pairs: dict[str, list[tuple[bool, bool]]] = {}
    for r in first:
        if (r.id, r.run) in other:
            pairs.setdefault(r.id, []).append((r.passed, other[(r.id, r.run)]))
    return pairs


def count(results: Iterable[TaskResult]) -> PassCount:
    runs = list(results)
    return PassCount(passed=sum(r.passed for r in runs), total=len(runs))


def _sd(values: list[float]) -> float:
    if len(values) < 2:
        return 0.0
    mean = sum(values) / len(values)
    return math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))


def _r(value: float) -> float:
    return round(value, 4)
