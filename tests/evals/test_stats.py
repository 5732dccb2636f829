"""Intervals a person can check by hand, and a seeded coin-flip agent whose true rate the intervals must cover."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillforge.evals import load_tasks, run_eval
from skillforge.evals.stats import paired_delta, verdict, wilson
from skillforge.evolve.noise import all_fail, measure

from ..factories import skill_md, write_skill_folder

COIN_AGENT = """#!/bin/sh
# Succeeds with probability $PCT/100, seeded by (task, run, arm): the same draws on every machine.
task="$1"; run="$2"; arm="$3"
pct=$(grep -o 'succeed [0-9]*' "$arm/SKILL.md" 2>/dev/null | cut -d' ' -f2)
[ -n "$pct" ] || pct=$BASE
h=$(printf '%s' "$task-$run-$([ -f "$arm/SKILL.md" ] && echo with || echo without)" | cksum | cut -d' ' -f1)
[ $((h % 100)) -lt "$pct" ] && echo ok > out.txt
exit 0
"""


def coin(tmp_path: Path, base: int, with_skill: int | None, tasks: int = 20) -> tuple[Path, Path, str]:
    agent = tmp_path / "coin.sh"
    agent.write_text(COIN_AGENT.replace("$BASE", str(base)))
    agent.chmod(0o755)
    rule = f"- succeed {with_skill}" if with_skill is not None else "- a rule the agent ignores"
    skill = write_skill_folder(tmp_path / "coin", skill_md("coin", "Use when flipping coins.", f"{rule}\n"))
    path = tmp_path / "tasks.jsonl"
    path.write_text(
        "".join(
            json.dumps({"id": f"t{i:02d}", "prompt": "flip", "check": "test -s out.txt"}) + "\n"
            for i in range(tasks)
        )
    )
    return skill, path, f"{agent} {{task_id}} {{run}} {{skill_dir}} {{prompt}}"


def test_wilson_matches_the_textbook_values() -> None:
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(0, 0) == (0.0, 1.0)


def test_zero_to_zero_is_never_a_lift() -> None:
    delta = paired_delta([(False, False)] * 12)
    assert delta.mean == 0 and delta.ci[0] < 0 < delta.ci[1]
    assert verdict(delta) == "no-difference"


def test_paired_interval_matches_newcombe() -> None:
    # Newcombe (1998), paired example a=12, b=9, c=2, d=21: difference 0.1591, method 10 about 0.018 to 0.288.
    pairs = [(True, True)] * 12 + [(True, False)] * 9 + [(False, True)] * 2 + [(False, False)] * 21
    delta = paired_delta(pairs)
    assert delta.mean == pytest.approx(0.1591, abs=1e-4)
    assert delta.ci == pytest.approx((0.0177, 0.2881), abs=1.5e-3)


def test_intervals_of_a_seeded_coin_agent_cover_its_true_rate(tmp_path: Path) -> None:
    skill, tasks, agent = coin(tmp_path, base=40, with_skill=70)
    report = run_eval(skill, load_tasks(tasks), agent, runs=5, concurrency=8, timeout=30)
    assert report.with_.total == 100
    assert report.with_.ci[0] <= 0.7 <= report.with_.ci[1]
    assert report.without.ci[0] <= 0.4 <= report.without.ci[1]
    assert report.delta.ci[0] <= 0.3 <= report.delta.ci[1] and report.verdict == "better"


def test_a_skill_with_no_effect_gets_no_difference(tmp_path: Path) -> None:
    skill, tasks, agent = coin(tmp_path, base=50, with_skill=None)
    report = run_eval(skill, load_tasks(tasks), agent, runs=3, concurrency=8, timeout=30)
    assert report.verdict == "no-difference" and report.regressed_tasks == []
    assert report.with_.pass_rate != report.without.pass_rate  # the arms did differ by chance


def test_gate_false_accepts_stay_under_five_percent_from_three_runs() -> None:
    rows = {(r.lift, r.runs): r for r in measure(runs=(1, 3, 5))}
    assert rows[(0.0, 3)].new_rate <= 0.05 and rows[(0.0, 5)].new_rate <= 0.05
    assert (
        rows[(0.2, 5)].new_rate > rows[(0.2, 3)].new_rate > rows[(0.2, 1)].new_rate
    )  # more runs, more power
    assert rows[(0.2, 3)].new_rate > rows[(0.2, 1)].old_rate  # type: ignore[operator]
    assert all_fail() == (0, 200)  # the old gate accepted every 0 -> 0 candidate
