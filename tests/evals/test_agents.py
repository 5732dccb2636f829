"""Built-in agents build the right headless command line; options that would mislead are refused.

Fake ``claude``, ``codex`` and ``mini`` executables on PATH record the arguments they get and
what they can see of the skill, then do the task, so no real agent runs.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.errors import InputError
from skillforge.evals import load_tasks, resolve_agent, run_eval

FAKE = """#!/usr/bin/env python3
import json, os, sys
from pathlib import Path
cwd = Path.cwd()
skills = sorted(str(p.relative_to(cwd)) for p in cwd.glob("*/skills/*/SKILL.md"))
record = {"argv": sys.argv[1:], "skills": skills, "cwd": str(cwd)}
with open(os.environ["FAKE_LOG"], "a") as log:
    log.write(json.dumps(record) + "\\n")
prompt = next((a for a in sys.argv[1:] if "write" in a), "")
Path("out.txt").write_text("Signed-off-by: bot\\n" if "Signed-off-by" in prompt or skills else "plain\\n")
"""


@pytest.fixture
def fake_agents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("claude", "codex", "mini"):
        exe = bin_dir / name
        exe.write_text(FAKE)
        exe.chmod(0o755)
    log = tmp_path / "calls.jsonl"
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("FAKE_LOG", str(log))
    return log


@pytest.fixture
def one_task(tmp_path: Path) -> Path:
    path = tmp_path / "t.jsonl"
    check = "tail -n1 out.txt | grep -qx 'Signed-off-by: bot'"
    path.write_text(json.dumps({"id": "sign", "prompt": "write a note to out.txt", "check": check}) + "\n")
    return path


def calls(log: Path) -> list[dict]:  # type: ignore[type-arg]
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_claude_code_runs_headless_with_the_skill_in_the_project(
    fake_agents: Path, one_task: Path, tmp_path: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "signing", "- Files must end with the line 'Signed-off-by: bot'")
    report = run_eval(skill, load_tasks(one_task), "claude-code:sonnet", runs=1, timeout=30)
    with_call, without_call = sorted(calls(fake_agents), key=lambda c: not c["skills"])
    assert with_call["argv"] == [
        "-p",
        "write a note to out.txt",
        "--output-format",
        "text",
        "--dangerously-skip-permissions",
        "--model",
        "sonnet",
    ]
    assert ".claude/skills/signing/SKILL.md" in with_call["skills"] and without_call["skills"] == []
    assert (report.with_.passed, report.without.passed) == (1, 0)


def test_codex_exec_gets_its_workdir_and_finds_agents_skills(
    fake_agents: Path, one_task: Path, tmp_path: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "signing", "- sign")
    run_eval(skill, load_tasks(one_task), "codex", runs=1, timeout=30)
    call = next(c for c in calls(fake_agents) if c["skills"])
    assert call["argv"][:5] == ["exec", "--skip-git-repo-check", "--sandbox", "workspace-write", "--cd"]
    assert call["argv"][5] == call["cwd"] and call["argv"][6] == "write a note to out.txt"
    assert ".agents/skills/signing/SKILL.md" in call["skills"]


def test_mini_swe_agent_gets_a_skills_listing_or_the_forced_skill(
    fake_agents: Path, one_task: Path, tmp_path: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "signing", "- Files must end with the line 'Signed-off-by: bot'")
    run_eval(skill, load_tasks(one_task), "mini-swe-agent", runs=1, timeout=30)
    listed = next(c for c in calls(fake_agents) if c["skills"])["argv"]
    assert listed[0] == "-t" and listed[2:] == ["-y", "--exit-immediately"]
    assert "- signing: Use when writing files for the scripted agent." in listed[1]
    assert "Signed-off-by" not in listed[1]  # discovered: only the listing; the body is read on demand
    fake_agents.unlink()
    run_eval(skill, load_tasks(one_task), "mini-swe-agent", runs=1, timeout=30, mode="forced")
    forced = calls(fake_agents)
    with_prompt = next(c for c in forced if c["skills"])["argv"][1]
    without_prompt = next(c for c in forced if not c["skills"])["argv"][1]
    assert '<skill name="signing">' in with_prompt and "Signed-off-by: bot" in with_prompt
    assert without_prompt == "write a note to out.txt"


def test_a_missing_builtin_agent_says_what_to_install(
    one_task: Path, tmp_path: Path, make_skill, monkeypatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    with pytest.raises(InputError, match="needs the `claude` command on PATH"):
        run_eval(make_skill(tmp_path, "s", "- x"), load_tasks(one_task), "claude-code", runs=1)


def test_an_agent_without_prompt_placeholder_is_refused_unless_prompt_stdin(
    one_task: Path, tmp_path: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "s", "- x")
    result = CliRunner().invoke(cli, ["eval", str(skill), "--tasks", str(one_task), "--agent", "true"])
    assert result.exit_code == 1 and "has no {prompt} placeholder" in result.output
    assert "--prompt-stdin" in result.output
    agent = tmp_path / "stdin_agent.sh"
    agent.write_text("#!/bin/sh\ncat > prompt.txt\n")
    agent.chmod(0o755)
    tasks = tmp_path / "stdin.jsonl"
    tasks.write_text(
        json.dumps({"id": "s", "prompt": "say hi", "check": "grep -qx 'say hi' prompt.txt"}) + "\n"
    )
    report = run_eval(skill, load_tasks(tasks), str(agent), runs=1, prompt_stdin=True)
    assert (report.with_.passed, report.without.passed) == (1, 1)
    assert (
        resolve_agent("claude-code").builtin is not None
        and resolve_agent("my-agent {prompt}").builtin is None
    )


@pytest.mark.parametrize(
    ("option", "value", "message"),
    [
        ("--concurrency", "0", "0 is not in the range x>=1"),
        ("--runs", "0", "0 is not in the range x>=1"),
        ("--timeout", "0", "0.0 is not in the range x>0"),
        ("--fail-under", "1.5", "1.5 is not in the range 0<=x<=1"),
    ],
)
def test_numeric_options_are_validated(
    one_task: Path, tmp_path: Path, make_skill, option: str, value: str, message: str
) -> None:
    skill = make_skill(tmp_path, "s", "- x")
    result = CliRunner().invoke(
        cli, ["eval", str(skill), "--tasks", str(one_task), "--agent", "true {prompt}", option, value]
    )
    assert result.exit_code == 2 and message in result.output


def test_fail_under_and_require_better_fail_ci(
    tmp_path: Path, agent_cmd: str, tasks_file: Path, make_skill
) -> None:
    skill = make_skill(tmp_path, "signing", "- Files must end with the line 'Signed-off-by: bot'")
    base = ["eval", str(skill), "--tasks", str(tasks_file), "--agent", agent_cmd, "--runs", "1"]
    ok = CliRunner().invoke(cli, [*base, "--fail-under", "0.9"])
    assert ok.exit_code == 0, ok.output
    assert "verdict: no-difference" in ok.output and "with skill    3/3" in ok.output
    required = CliRunner().invoke(cli, [*base, "--require", "better"])
    assert required.exit_code == 1 and "--require better: the verdict is no-difference" in required.output
    shouting = make_skill(tmp_path, "shouting", "- Write everything in uppercase")
    low = CliRunner().invoke(cli, ["eval", str(shouting), *base[2:], "--fail-under", "0.5"])
    assert low.exit_code == 1 and "pass rate with the skill 0.0% is below --fail-under 50.0%" in low.output


def test_progress_line_shows_each_arm_and_its_pass_rate(monkeypatch: pytest.MonkeyPatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import skillforge.cli._render as render
    from skillforge.cli.eval import arms_progress

    monkeypatch.setattr(render, "progress_enabled", lambda: True)
    with arms_progress() as line:
        line("with", 1, 2, 1)
        line("without", 2, 2, 1)  # an arm that finishes is always drawn
    err = capsys.readouterr().err
    assert "\rwith 1/2 (100% pass) | without 2/2 (50% pass)" in err
    assert err.endswith("\r")  # the line is cleared when the runs are over
