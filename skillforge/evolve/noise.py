"""How often the gate accepts a candidate, measured on a seeded simulated agent (no subprocesses).

Each simulated task has its own base success rate, drawn uniformly from [0.2, 0.8]; the candidate
succeeds with that rate plus ``lift``. Runs are independent draws. With lift 0 every acceptance is
a false accept; with lift 0.2 the acceptance rate is the gate's power. The old gate (one run,
"pass rate not lower and no task that passed now fails") is measured on the same draws.

``python -m skillforge.evolve.noise`` prints the table (``benchmarks/eval_noise.py`` calls ``main``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from skillforge.evolve.gate import judge, old_judge
from skillforge.models.evals import TaskResult


@dataclass(frozen=True)
class NoiseRow:
    lift: float
    runs: int
    accepted_new: int
    accepted_old: int | None
    seeds: int

    @property
    def new_rate(self) -> float:
        return self.accepted_new / self.seeds

    @property
    def old_rate(self) -> float | None:
        return None if self.accepted_old is None else self.accepted_old / self.seeds


def simulate(
    seed: int, *, tasks: int, runs: int, lift: float, base: tuple[float, float] = (0.2, 0.8)
) -> tuple[list[TaskResult], list[TaskResult]]:
    """(current, candidate) results of one seeded simulated gate."""
    rng = random.Random(seed)
    rates = [rng.uniform(*base) for _ in range(tasks)]
    current: list[TaskResult] = []
    candidate: list[TaskResult] = []
    for run in range(runs):
        for i, p in enumerate(rates):
            for arm, rate, out in (
                ("current", p, current),
                ("candidate", min(1.0, max(0.0, p + lift)), candidate),
            ):
                out.append(
                    TaskResult(id=f"t{i:02d}", with_skill=True, passed=rng.random() < rate, run=run, arm=arm)
                )
    return current, candidate


def measure(
    *,
    lifts: tuple[float, ...] = (0.0, 0.2),
    runs: tuple[int, ...] = (1, 3, 5),
    tasks: int = 20,
    seeds: int = 200,
    margin: float = 0.0,
) -> list[NoiseRow]:
    """Acceptance counts of the new gate (and the old one, at one run) per lift and runs."""
    rows = []
    for lift in lifts:
        for n in runs:
            new = old = 0
            for seed in range(seeds):
                current, candidate = simulate(seed, tasks=tasks, runs=n, lift=lift)
                new += judge(current, candidate, margin=margin, runs=n).accepted
                if n == 1:
                    old += old_judge(current, candidate, margin=margin)
            rows.append(NoiseRow(lift, n, new, old if n == 1 else None, seeds))
    return rows


def all_fail(seeds: int = 200, tasks: int = 4) -> tuple[int, int]:
    """(new, old) acceptances when every run fails in both versions (the 0 → 0 case)."""
    current, candidate = simulate(0, tasks=tasks, runs=1, lift=0.0, base=(0.0, 0.0))
    return seeds * judge(current, candidate, margin=0.0, runs=1).accepted, seeds * old_judge(
        current, candidate
    )


def main() -> None:
    rows = measure()
    print("gate acceptance over 200 seeds, 20 tasks, task success rates uniform in [0.2, 0.8], margin 0")
    print(f"{'true lift':>9} {'runs':>4} {'new gate':>9} {'old gate':>9}")
    for row in rows:
        old_rate = "-" if row.old_rate is None else f"{row.old_rate:.1%}"
        print(f"{row.lift:>+9.0%} {row.runs:>4} {row.new_rate:>9.1%} {old_rate:>9}")
    new, old = all_fail()
    print(
        f"every run fails in both versions (0 -> 0), 4 tasks: new gate {new}/200 accepted, old gate {old}/200"
    )


if __name__ == "__main__":
    main()
