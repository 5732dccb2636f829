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


def test_helpful_skill_improves_pass_rate(
    tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "signing", "- Files must end with the line 'Signed-off-by: bot'")
    report = run_eval(skill, load_tasks(tasks_file), agent_cmd, concurrency=4, timeout=30)
    assert (report.with_.passed, report.without.passed, report.with_.total) == (3, 2, 3)
    assert report.better == ["signed"] and report.worse == []
    assert report.delta == pytest.approx(1 / 3, abs=1e-3)


def test_negative_transfer_is_reported(tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill) -> None:
    skill = make_skill(tmp_path, "shouting", "- Write everything in uppercase")
    report = run_eval(skill, load_tasks(tasks_file), agent_cmd, timeout=30)
    assert report.worse == ["output", "plain"]
    assert report.delta < 0


def test_timeouts_and_crashes_are_failures_not_errors(
    tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill
) -> None:
    slow = make_skill(tmp_path, "slow", "Sleep forever")
    report = run_eval(slow, load_tasks(tasks_file)[:1], agent_cmd, timeout=1)
    with_run = next(r for r in report.results if r.with_skill)
    assert not with_run.passed and "timed out" in with_run.reason
    crash = make_skill(tmp_path, "crashy", "Crash")
    report = run_eval(crash, load_tasks(tasks_file)[:1], agent_cmd, timeout=30)
    with_run = next(r for r in report.results if r.with_skill)
    assert not with_run.passed and with_run.agent_exit == 3
    assert "(agent exited with 3" in with_run.reason  # the crash is named next to the check's own message


def test_results_are_saved_as_readable_traces(
    tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "shouting", "- Write everything in uppercase")
    run_dir = tmp_path / "run"
    run_eval(skill, load_tasks(tasks_file), agent_cmd, run_dir=run_dir, timeout=30)
    traces = [t for t in read_paths([run_dir / "results.jsonl"]) if isinstance(t, Trace)]
    assert len(traces) == 6
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
        cli, ["eval", str(skill), "--tasks", str(tasks_file), "--agent", agent_cmd, "--json"]
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    assert payload == {
        "with": {"passed": 3, "total": 3},
        "without": {"passed": 2, "total": 3},
        "delta": pytest.approx(0.3333, abs=1e-3),
        "worse": [],
        "better": ["signed"],
    }


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
