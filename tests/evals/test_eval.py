from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.errors import InputError
from skillforge.evals import load_tasks, run_eval
from skillforge.ingest import read_paths
from skillforge.models import Trace


def test_helpful_skill_is_better_beyond_noise(
    tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "signing", "- Files must end with the line 'Signed-off-by: bot'")
    # One task in three improves: 5 runs give 5 discordant pairs, enough to call it beyond noise.
    report = run_eval(skill, load_tasks(tasks_file), agent_cmd, runs=5, concurrency=4, timeout=30)
    assert report.runs == 5
    assert (report.with_.passed, report.without.passed, report.with_.total) == (15, 10, 15)
    assert report.better == ["signed"] and report.worse == [] and report.regressed_tasks == []
    assert report.delta.mean == pytest.approx(1 / 3, abs=1e-3)
    assert report.delta.ci[0] > 0 and report.verdict == "better"
    assert report.with_.ci[0] < 1.0 == report.with_.ci[1]  # 9/9 is not "certainly 100 %"
    signed = next(t for t in report.tasks if t.id == "signed")
    assert (signed.with_.passed, signed.without.passed, signed.verdict) == (5, 0, "better")


def test_one_run_cannot_tell_lift_from_noise(
    tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "signing", "- Files must end with the line 'Signed-off-by: bot'")
    report = run_eval(skill, load_tasks(tasks_file), agent_cmd, runs=1, timeout=30)
    assert (report.with_.passed, report.without.passed) == (3, 2)
    assert report.delta.ci[0] < 0 < report.delta.ci[1] and report.verdict == "no-difference"


def test_negative_transfer_is_reported(tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill) -> None:
    skill = make_skill(tmp_path, "shouting", "- Write everything in uppercase")
    report = run_eval(skill, load_tasks(tasks_file), agent_cmd, timeout=30)
    assert report.worse == ["output", "plain"] and report.regressed_tasks == ["output", "plain"]
    assert report.delta.mean < 0 and report.verdict == "worse"


def test_timeouts_and_crashes_are_failures_not_errors(
    tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill
) -> None:
    slow = make_skill(tmp_path, "slow", "Sleep forever")
    report = run_eval(slow, load_tasks(tasks_file)[:1], agent_cmd, runs=1, timeout=1)
    with_run = next(r for r in report.results if r.with_skill)
    assert not with_run.passed and with_run.agent_failed and "timed out" in with_run.reason
    crash = make_skill(tmp_path, "crashy", "Crash")
    report = run_eval(crash, load_tasks(tasks_file)[:1], agent_cmd, runs=1, timeout=30)
    with_run = next(r for r in report.results if r.with_skill)
    assert not with_run.passed and with_run.agent_exit == 3 and with_run.check_passed is False
    assert with_run.reason.startswith("agent exited with 3")


def test_a_crash_is_a_failure_even_when_the_check_passes(tmp_path: Path, make_skill) -> None:
    """An agent that does the work and then exits 7 failed: the check's pass is kept beside it."""
    agent = tmp_path / "crash_after_work.sh"
    agent.write_text("#!/bin/sh\necho done > out.txt\necho 'segfault' >&2\nexit 7\n")
    agent.chmod(0o755)
    tasks = tmp_path / "t.jsonl"
    tasks.write_text(json.dumps({"id": "t", "prompt": "work", "check": "test -s out.txt"}) + "\n")
    skill = make_skill(tmp_path, "any", "- nothing")
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            str(skill),
            "--tasks",
            str(tasks),
            "--agent",
            f"{agent} {{prompt}}",
            "--runs",
            "2",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload["with"]["passed"] == 0 and payload["without"]["passed"] == 0
    report = run_eval(skill, load_tasks(tasks), f"{agent} {{prompt}}", runs=1, timeout=30)
    (run, *_) = [r for r in report.results if r.with_skill]
    assert (run.passed, run.check_passed, run.agent_failed, run.agent_exit) == (False, True, True, 7)
    assert run.reason == "agent exited with 7: segfault\n(the check passed)"


def test_results_are_saved_as_readable_traces(
    tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "shouting", "- Write everything in uppercase")
    run_dir = tmp_path / "run"
    run_eval(skill, load_tasks(tasks_file), agent_cmd, run_dir=run_dir, timeout=30)
    markdown = (run_dir / "report.md").read_text()
    assert "| plain | 0.00 ± 0.00 | 1.00 ± 0.00 | -1.00 | worse |" in markdown
    assert "Verdict: **worse**" in markdown
    traces = [t for t in read_paths([run_dir / "results.jsonl"]) if isinstance(t, Trace)]
    assert len(traces) == 18  # 3 tasks x 2 arms x 3 runs
    assert len({t.id for t in traces}) == 18
    failed = [t for t in traces if t.outcome.success is False]
    assert {t.metadata["task_id"] for t in failed if t.metadata["with_skill"]} == {
        "plain",
        "output",
        "signed",
    }
    assert {t.metadata["task_id"] for t in failed if not t.metadata["with_skill"]} == {"signed"}
    check_step = next(t for t in failed if t.metadata["task_id"] == "plain").steps[-1]
    assert check_step.tool_result is not None and check_step.tool_result.is_error
    assert all(t.source.format == "skillforge-trace" for t in traces)


def test_cli_json_shape(tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill) -> None:
    skill = make_skill(tmp_path, "signing", "- Files must end with the line 'Signed-off-by: bot'")
    result = CliRunner().invoke(
        cli, ["eval", str(skill), "--tasks", str(tasks_file), "--agent", agent_cmd, "--json", "--runs", "2"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert set(payload) == {
        "runs",
        "with",
        "without",
        "delta",
        "verdict",
        "regressed_tasks",
        "worse",
        "better",
        "tasks",
    }
    assert payload["runs"] == 2 and payload["verdict"] == "no-difference"  # 2 of 6 pairs differ: within noise
    assert payload["with"] == {
        "passed": 6,
        "total": 6,
        "pass_rate": 1.0,
        "sd": 0.0,
        "ci": [pytest.approx(0.6097, abs=1e-3), 1.0],
    }
    assert payload["without"]["passed"] == 4 and payload["without"]["pass_rate"] == pytest.approx(
        0.6667, abs=1e-4
    )
    assert payload["delta"]["mean"] == pytest.approx(0.3333, abs=1e-3) and len(payload["delta"]["ci"]) == 2
    assert payload["better"] == ["signed"] and payload["worse"] == [] and payload["regressed_tasks"] == []
    assert [t["id"] for t in payload["tasks"]] == ["plain", "signed", "output"]
    assert payload["tasks"][1]["with"] == {"passed": 2, "total": 2}


def test_bad_task_files_name_the_line(tmp_path: Path) -> None:
    bad = tmp_path / "t.jsonl"
    bad.write_text('{"id": "a", "prompt": "p", "check": "true"}\n{"id": "b", "prompt": \n', encoding="utf-8")
    with pytest.raises(InputError) as err:
        load_tasks(bad)
    assert err.value.line == 2
    escape = tmp_path / "e.jsonl"
    escape.write_text(
        '{"id": "a", "prompt": "p", "check": "true", "setup": {"../x": "y"}}\n', encoding="utf-8"
    )
    with pytest.raises(InputError, match="inside the task folder"):
        load_tasks(escape)


def test_skill_symlink_out_of_the_skill_is_refused_not_copied_into_the_sandbox(
    tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "linky", "- nothing")
    (skill / "secret.md").symlink_to("/etc/passwd")
    with pytest.raises(InputError, match="link"):
        run_eval(skill, load_tasks(tasks_file)[:1], agent_cmd, timeout=30)
