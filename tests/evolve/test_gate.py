"""The gate needs lift beyond noise; evolve and correct build on the latest version, never silently on a pin."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.errors import InputError
from skillforge.evals import load_tasks
from skillforge.evolve.loop import run_evolve


def evolve(registry, tasks: Path, agent: str, *extra: str):  # type: ignore[no-untyped-def]
    args = ["evolve", "writer", "--tasks", str(tasks), "--agent", agent, "--registry", str(registry.path)]
    return CliRunner().invoke(cli, [*args, "--timeout", "30", *extra])


def test_zero_to_zero_is_rejected_and_nothing_is_published(registry, tasks_file: Path) -> None:
    """An agent that does nothing fails everything with and without the candidate: no lift, no version."""
    result = evolve(registry, tasks_file, "true {prompt}")
    assert result.exit_code == 0, result.output
    assert "gate on 3 held-out task(s) x 3 runs: 0/9 -> 0/9; no lift beyond noise" in result.output
    assert "decision: rejected" in result.output and "accepted" not in result.output
    assert [v.version for v in registry.versions("writer")] == ["1.0.0"]


def test_checks_that_give_no_reason_are_not_turned_into_guardrails(registry, tmp_path: Path) -> None:
    tasks = tmp_path / "silent.jsonl"
    tasks.write_text(
        "".join(
            json.dumps({"id": f"t{i}", "prompt": f"write x to f{i}.txt", "check": {"file": "missing.txt"}})
            + "\n"
            for i in range(3)
        )
    )
    report = run_evolve(registry, "writer", tasks=load_tasks(tasks), agent="true {prompt}", timeout=30)
    (round1,) = report.rounds
    assert round1.decision == "no-change" and round1.edits == [] and round1.failures_analysed == 0
    assert any("the check said only that it failed" in n for n in round1.notes)


def test_crashed_runs_are_not_learned_from(registry, tasks_file: Path, tmp_path: Path) -> None:
    agent = tmp_path / "crash.sh"
    agent.write_text("#!/bin/sh\nexit 9\n")
    agent.chmod(0o755)
    report = run_evolve(
        registry, "writer", tasks=load_tasks(tasks_file), agent=f"{agent} {{prompt}}", timeout=30
    )
    (round1,) = report.rounds
    assert round1.decision == "no-change" and round1.edits == []
    assert "2 failed run(s) not learned from: the agent crashed or timed out" in round1.notes


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--margin", "-1"], "-1.0 is not in the range 0<=x<1"),
        (["--rounds", "0"], "0 is not in the range x>=1"),
        (["--runs", "0"], "0 is not in the range x>=1"),
        (["--concurrency", "0"], "0 is not in the range x>=1"),
        (["--timeout", "0"], "0.0 is not in the range x>0"),
    ],
)
def test_evolve_options_are_validated(registry, tasks_file: Path, agent_cmd: str, extra, message) -> None:  # type: ignore[no-untyped-def]
    result = evolve(registry, tasks_file, agent_cmd, *extra)
    assert result.exit_code == 2 and message in result.output


def test_library_refuses_what_the_cli_refuses(registry, tasks_file: Path, agent_cmd: str) -> None:
    tasks = load_tasks(tasks_file)
    for kwargs, message in (
        ({"margin": -1.0}, "margin must be at least 0"),
        ({"rounds": 0}, "rounds must be at least 1"),
        ({"runs": 0}, "runs must be at least 1"),
        ({"concurrency": 0}, "concurrency must be at least 1"),
    ):
        with pytest.raises(InputError, match=message):
            run_evolve(registry, "writer", tasks=tasks, agent=agent_cmd, **kwargs)
    with pytest.raises(InputError, match="no \\{prompt\\} placeholder"):
        run_evolve(registry, "writer", tasks=tasks, agent="true")


def _pin_an_older_version(registry, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """writer 1.0.1 adds a Notes section; the registry stays pinned at 1.0.0."""
    src = registry.export("writer", "1.0.0", tmp_path / "edit")
    skill_md = src / "SKILL.md"
    skill_md.write_text(skill_md.read_text() + "\n## Notes\n\n- Keep the wording plain.\n")
    registry.publish(src, version="1.0.1")
    registry.pin("writer", "1.0.0")


def test_pinned_evolve_builds_on_latest_and_rounds_chain(
    registry, tasks_file: Path, agent_cmd: str, tmp_path: Path
) -> None:
    _pin_an_older_version(registry, tmp_path)
    result = evolve(registry, tasks_file, agent_cmd, "--rounds", "2")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "writer is pinned at 1.0.0; building on 1.0.1 (--from 1.0.0 to start from the pin)"
    assert "round 1 from writer@1.0.1: 1 failure(s) analysed, 1 cluster(s)" in lines
    assert "  decision: accepted -> writer@1.1.0" in lines
    assert (
        "round 2 from writer@1.1.0: 0 failure(s) analysed, 0 cluster(s)" in lines
    )  # built on round 1's version
    assert "writer is at 1.1.0" in lines
    assert "writer stays pinned at 1.0.0: installs keep it until `skillforge unpin writer`" in lines
    assert "Keep the wording plain." in registry.read_file("writer", "1.1.0")  # 1.0.1's content is kept
    assert registry.resolve("writer") == "1.0.0"  # the pin itself is not moved


def test_evolve_from_a_version(registry, tasks_file: Path, agent_cmd: str, tmp_path: Path) -> None:
    _pin_an_older_version(registry, tmp_path)
    report = run_evolve(
        registry, "writer", tasks=load_tasks(tasks_file), agent=agent_cmd, timeout=30, from_version="1.0.0"
    )
    assert report.start_version == "1.0.0" and report.rounds[0].base_version == "1.0.0"
    assert report.final_version == "1.1.0" and "Keep the wording plain." not in registry.read_file(
        "writer", "1.1.0"
    )


def test_pinned_correct_builds_on_latest_and_undo_names_it(registry, tmp_path: Path) -> None:
    _pin_an_older_version(registry, tmp_path)
    args = ["correct", "writer", "never write empty files", "--registry", str(registry.path)]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    assert "published writer@1.0.2" in result.output
    assert "writer stays pinned at 1.0.0" in result.output
    assert result.output.splitlines()[-1] == "undo with: skillforge rollback writer 1.0.1"
    text = registry.read_file("writer", "1.0.2")
    assert "Keep the wording plain." in text and "never write empty files" in text
    older = CliRunner().invoke(cli, [*args, "--from", "1.0.0"])
    assert older.exit_code == 0, older.output
    assert "built on writer@1.0.0 (--from); the latest was 1.0.2" in older.output
    assert older.output.splitlines()[-1] == "undo with: skillforge rollback writer 1.0.2"
