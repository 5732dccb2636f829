"""Run eval tasks with and without a skill through any agent command line, in isolated folders."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from skillforge.errors import InputError
from skillforge.hosts.archives import copy_skill_tree
from skillforge.ingest.base import clip
from skillforge.models import Source, Step, ToolCall, ToolResult, Trace
from skillforge.models.evals import Check, EvalReport, EvalTask, PassCount, TaskResult
from skillforge.models.trace import Outcome

MAX_CHECKED_FILE = 16 << 20
"""A file a check reads is refused above this size (an agent may write anything)."""
PLACEHOLDERS = ("{prompt}", "{skill_dir}", "{workdir}", "{skill_name}", "{task_id}")
SKILL_HOMES = (".claude/skills", ".agents/skills")
"""Where the skill is placed inside each task folder, so hosts that read project skills find it."""


def agent_argv(agent: str, values: dict[str, str]) -> list[str]:
    """Split the agent template like a shell would, then fill placeholders inside each argument.

    The prompt is substituted after splitting, so it always stays one argument and is never
    interpreted by a shell.
    """
    try:
        parts = shlex.split(agent)
    except ValueError as exc:
        raise InputError(f"cannot parse --agent command: {exc}") from None
    if not parts:
        raise InputError("--agent command is empty")
    argv = []
    for part in parts:
        for key, value in values.items():
            part = part.replace("{" + key + "}", value)
        argv.append(part)
    return argv


def run_eval(
    skill_dir: Path,
    tasks: list[EvalTask],
    agent: str,
    *,
    concurrency: int = 4,
    timeout: float = 300.0,
    run_dir: Path | None = None,
) -> EvalReport:
    """Run every task with the skill installed and without it; compare pass rates task by task.

    A task that passes without the skill but fails with it is listed in ``worse`` (negative
    transfer). Agent timeouts and crashes are recorded as failures with a reason, never raised.
    Results are saved as traces (``results.jsonl``) in ``run_dir`` so failures can feed evolve.
    """
    skill_dir = _check_inputs(skill_dir, agent)
    name = skill_dir.name
    results = _run_jobs(
        [(task, skill_dir) for task in tasks] + [(task, None) for task in tasks],
        agent,
        concurrency,
        timeout,
        name,
    )
    report = _compare(name, tasks, results)
    if run_dir is not None:
        save_run(report, tasks, run_dir)
    return report


def run_tasks(
    skill_dir: Path, tasks: list[EvalTask], agent: str, *, concurrency: int = 4, timeout: float = 300.0
) -> list[TaskResult]:
    """Run ``tasks`` with one skill installed (no comparison); used by the evolve gate on each version."""
    skill_dir = _check_inputs(skill_dir, agent)
    return _run_jobs([(task, skill_dir) for task in tasks], agent, concurrency, timeout, skill_dir.name)


def _check_inputs(skill_dir: Path, agent: str) -> Path:
    skill_dir = Path(skill_dir)
    if not (skill_dir / "SKILL.md").is_file():
        raise InputError("not a skill folder (no SKILL.md)", path=skill_dir)
    first = shlex.split(agent)[0] if agent.strip() else ""
    if not first:
        raise InputError("--agent command is empty")
    if shutil.which(first) is None and not Path(first).exists():
        raise InputError(
            f"agent command not found: {first}", hint="give a command on PATH or a path to a script"
        )
    return skill_dir


def _run_jobs(
    jobs: list[tuple[EvalTask, Path | None]], agent: str, concurrency: int, timeout: float, name: str
) -> list[TaskResult]:
    scratch = Path(tempfile.mkdtemp(prefix="skillforge-eval-"))
    try:
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            return list(pool.map(lambda job: _run_one(job[1], name, job[0], agent, timeout, scratch), jobs))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _run_one(
    skill_dir: Path | None, name: str, task: EvalTask, agent: str, timeout: float, scratch: Path
) -> TaskResult:
    with_skill = skill_dir is not None
    workdir = Path(
        tempfile.mkdtemp(prefix=f"{_safe(task.id)}-{'with' if with_skill else 'without'}-", dir=scratch)
    )
    for rel, content in sorted(task.setup.items()):
        target = workdir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    placed = workdir / ".no-skill"
    placed.mkdir()
    if skill_dir is not None:
        for home in SKILL_HOMES:
            dest = workdir / home / name
            copy_skill_tree(skill_dir, dest)
        placed = workdir / SKILL_HOMES[0] / name
    values = {
        "prompt": task.prompt,
        "skill_dir": str(placed),
        "workdir": str(workdir),
        "skill_name": name,
        "task_id": task.id,
    }
    argv = agent_argv(agent, values)
    limit = task.timeout or timeout
    started = time.monotonic()
    exit_code: int | None = None
    output = ""
    reason = ""
    try:
        # An argv list, no shell: the prompt stays one argument.
        proc = subprocess.run(
            argv,
            cwd=workdir,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=limit,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        exit_code, output = proc.returncode, proc.stdout
        if proc.returncode != 0:
            reason = f"agent exited with {proc.returncode}: {proc.stderr.strip()[-200:]}"
    except subprocess.TimeoutExpired as exc:
        output = (
            exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        )
        return TaskResult(
            id=task.id,
            with_skill=with_skill,
            passed=False,
            reason=f"agent timed out after {limit:g}s",
            duration_s=round(time.monotonic() - started, 3),
            output=clip(output, 4000),
        )
    except OSError as exc:
        return TaskResult(
            id=task.id, with_skill=with_skill, passed=False, reason=f"agent could not start: {exc}"
        )
    passed, check_reason = run_check(task.check, workdir, output, limit)
    if not passed and reason:
        # The check's own message stays first (it is what evolve learns from); the crash says why.
        check_reason = f"{check_reason}\n({reason})"
    return TaskResult(
        id=task.id,
        with_skill=with_skill,
        passed=passed,
        reason=check_reason if not passed else reason,
        agent_exit=exit_code,
        duration_s=round(time.monotonic() - started, 3),
        output=clip(output, 4000),
    )


def run_check(check: str | Check, workdir: Path, output: str, timeout: float) -> tuple[bool, str]:
    """Apply a task's check in ``workdir``; return (passed, reason when it failed)."""
    spec = Check(command=check) if isinstance(check, str) else check
    if spec.command:
        try:
            # The check is the eval author's own shell command, run in the task's scratch folder.
            proc = subprocess.run(
                ["bash", "-c", spec.command],
                cwd=workdir,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return False, f"check timed out after {timeout:g}s"
        if proc.returncode != 0:
            # A check's own message ("expected X") is the most useful failure cause for evolve.
            said = (proc.stdout + proc.stderr).strip()[-300:]
            return False, said or f"check exited with {proc.returncode}"
    if spec.output_contains is not None and spec.output_contains not in output:
        return False, f"output does not contain {spec.output_contains!r}"
    if spec.output_regex is not None and not re.search(spec.output_regex, output, re.MULTILINE):
        return False, f"output does not match /{spec.output_regex}/"
    if spec.file is not None:
        target = workdir / spec.file
        if not target.is_file():
            return False, f"file {spec.file} was not created"
        if target.stat().st_size > MAX_CHECKED_FILE:
            return False, f"{spec.file} is larger than {MAX_CHECKED_FILE >> 20} MiB"
        content = target.read_text(encoding="utf-8", errors="replace")
        if spec.file_contains is not None and spec.file_contains not in content:
            return False, f"{spec.file} does not contain {spec.file_contains!r}"
        if spec.file_equals is not None and content != spec.file_equals:
            return False, f"{spec.file} differs from the expected content"
    return True, ""


def _compare(name: str, tasks: list[EvalTask], results: list[TaskResult]) -> EvalReport:
    by = {(r.id, r.with_skill): r for r in results}
    ids = [t.id for t in tasks]
    with_passed = sum(by[(i, True)].passed for i in ids)
    without_passed = sum(by[(i, False)].passed for i in ids)
    total = len(ids)
    worse = sorted(i for i in ids if by[(i, False)].passed and not by[(i, True)].passed)
    better = sorted(i for i in ids if by[(i, True)].passed and not by[(i, False)].passed)
    delta = round((with_passed - without_passed) / total, 4) if total else 0.0
    return EvalReport(
        skill=name,
        with_=PassCount(passed=with_passed, total=total),
        without=PassCount(passed=without_passed, total=total),
        delta=delta,
        worse=worse,
        better=better,
        results=sorted(results, key=lambda r: (r.id, not r.with_skill)),
    )


def save_run(report: EvalReport, tasks: list[EvalTask], run_dir: Path) -> Path:
    """Write ``report.json`` and ``results.jsonl`` (one Trace per task run) into ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    results_path = run_dir / "results.jsonl"
    traces = results_to_traces(report.skill, report.results, tasks, results_path)
    results_path.write_text("".join(t.model_dump_json() + "\n" for t in traces), encoding="utf-8")
    report.run_dir = str(run_dir)
    (run_dir / "report.json").write_text(
        report.model_dump_json(by_alias=True, indent=2) + "\n", encoding="utf-8"
    )
    return run_dir


def results_to_traces(
    skill: str, results: list[TaskResult], tasks: list[EvalTask], path: Path
) -> list[Trace]:
    """Each task run as a Trace: the prompt, the agent's output, and the check as a tool call with its result."""
    prompts = {t.id: t for t in tasks}
    traces = []
    for index, r in enumerate(results):
        task = prompts[r.id]
        check_text = (
            task.check if isinstance(task.check, str) else task.check.model_dump_json(exclude_none=True)
        )
        traces.append(
            Trace(
                id=Trace.make_id(f"eval:{skill}:{r.id}:{'with' if r.with_skill else 'without'}"),
                source=Source(path=str(path), format="skillforge-trace", line=index + 1, index=index),
                task=task.prompt,
                steps=[
                    Step(role="user", text=task.prompt),
                    Step(role="assistant", text=r.output),
                    Step(role="assistant", tool_call=ToolCall(name="check", arguments={"check": check_text})),
                    Step(
                        role="tool",
                        tool_result=ToolResult(output=r.reason or "passed", is_error=not r.passed),
                    ),
                ],
                outcome=Outcome(success=r.passed, error=r.reason or None),
                metadata={
                    "skill": skill,
                    "task_id": r.id,
                    "with_skill": r.with_skill,
                    "agent_exit": r.agent_exit,
                },
            )
        )
    return traces


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:80] or "task"
