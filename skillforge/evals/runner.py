"""Run eval tasks in arms (with and without a skill, or two versions of it), N times each, in isolated folders.

Jobs are interleaved (run 1 of task 1 in every arm, then task 2, ...) so that anything that drifts
while an eval runs — a rate limit, a slow provider — hits every arm alike. A run passes only when
the agent ended cleanly (exit 0, no timeout, no crash) and the check passed; the check's own verdict
is kept beside it (``check_passed``).
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from skillforge.errors import InputError
from skillforge.evals.agents import AgentCommand, Mode, agent_argv, resolve_agent, skill_prompt
from skillforge.evals.markdown import report_markdown
from skillforge.evals.stats import arm_stats, count, pair_runs, paired_delta, verdict
from skillforge.hosts.archives import copy_skill_tree
from skillforge.ingest.base import clip
from skillforge.models import Source, Step, ToolCall, ToolResult, Trace
from skillforge.models.evals import Check, EvalReport, EvalTask, TaskResult, TaskSummary
from skillforge.models.trace import Outcome

__all__ = ["agent_argv", "check_options", "run_arms", "run_check", "run_eval", "run_tasks", "save_run"]

MAX_CHECKED_FILE = 16 << 20
"""A file a check reads is refused above this size (an agent may write anything)."""
SKILL_HOMES = (".claude/skills", ".agents/skills")
"""Where the skill is placed inside each task folder, so hosts that read project skills find it."""

Progress = Callable[[str, int, int, int], None]
"""``on_progress(arm, done, total, passed)``, called after every finished run (from worker threads)."""


def check_options(*, runs: int = 1, concurrency: int = 1, timeout: float = 1.0) -> None:
    """Refuse numbers that would make an eval meaningless or hang (the CLI also checks its own options)."""
    if runs < 1:
        raise InputError(f"runs must be at least 1 (got {runs})")
    if concurrency < 1:
        raise InputError(f"concurrency must be at least 1 (got {concurrency})")
    if not timeout > 0:
        raise InputError(f"timeout must be more than 0 seconds (got {timeout:g})")


def run_eval(
    skill_dir: Path,
    tasks: list[EvalTask],
    agent: str,
    *,
    runs: int = 3,
    concurrency: int = 4,
    timeout: float = 300.0,
    run_dir: Path | None = None,
    mode: Mode = "discovered",
    prompt_stdin: bool = False,
    on_progress: Progress | None = None,
) -> EvalReport:
    """Run every task ``runs`` times with the skill installed and without it; compare the arms, paired.

    The verdict comes from the interval of the paired difference (``stats``), never from point
    estimates. Tasks worse with the skill beyond noise are ``regressed_tasks``; tasks with a lower
    pass rate at all are ``worse``. Agent timeouts and crashes are failed runs with a reason, never
    raised. Results are saved as traces (``results.jsonl``) in ``run_dir`` so failures can feed evolve.
    """
    skill_dir = Path(skill_dir)
    results = run_arms(
        [("with", skill_dir), ("without", None)],
        tasks,
        agent,
        skill_name=skill_dir.name,
        runs=runs,
        concurrency=concurrency,
        timeout=timeout,
        mode=mode,
        prompt_stdin=prompt_stdin,
        on_progress=on_progress,
    )
    report = compare(skill_dir.name, tasks, results["with"], results["without"], runs)
    if run_dir is not None:
        save_run(report, tasks, run_dir)
    return report


def run_tasks(
    skill_dir: Path,
    tasks: list[EvalTask],
    agent: str,
    *,
    runs: int = 1,
    concurrency: int = 4,
    timeout: float = 300.0,
    arm: str = "with",
    mode: Mode = "discovered",
    prompt_stdin: bool = False,
    on_progress: Progress | None = None,
) -> list[TaskResult]:
    """Run ``tasks`` with one skill installed (no comparison); evolve's train runs use this."""
    skill_dir = Path(skill_dir)
    return run_arms(
        [(arm, skill_dir)],
        tasks,
        agent,
        skill_name=skill_dir.name,
        runs=runs,
        concurrency=concurrency,
        timeout=timeout,
        mode=mode,
        prompt_stdin=prompt_stdin,
        on_progress=on_progress,
    )[arm]


def run_arms(
    arms: list[tuple[str, Path | None]],
    tasks: list[EvalTask],
    agent: str,
    *,
    skill_name: str,
    runs: int = 1,
    concurrency: int = 4,
    timeout: float = 300.0,
    mode: Mode = "discovered",
    prompt_stdin: bool = False,
    on_progress: Progress | None = None,
) -> dict[str, list[TaskResult]]:
    """Run every task ``runs`` times in every arm (label, skill folder or None); results by arm label.

    Every arm's skill is installed under ``skill_name``, so two versions of one skill look the same
    to the agent. Results are in task order, then run order.
    """
    check_options(runs=runs, concurrency=concurrency, timeout=timeout)
    command = _check_inputs([d for _, d in arms if d is not None], agent, prompt_stdin)
    jobs = [(label, folder, task, run) for run in range(runs) for task in tasks for label, folder in arms]
    totals = {label: len(tasks) * runs for label, _ in arms}
    done = {label: 0 for label, _ in arms}
    passed = {label: 0 for label, _ in arms}
    lock = threading.Lock()
    scratch = Path(tempfile.mkdtemp(prefix="skillforge-eval-"))

    def one(job: tuple[str, Path | None, EvalTask, int]) -> TaskResult:
        label, folder, task, run = job
        result = _run_one(folder, skill_name, task, command, timeout, scratch, run, label, mode)
        if on_progress is not None:
            with lock:
                done[label] += 1
                passed[label] += result.passed
                on_progress(label, done[label], totals[label], passed[label])
        return result

    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            results = list(pool.map(one, jobs))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    order = {t.id: i for i, t in enumerate(tasks)}
    by_arm: dict[str, list[TaskResult]] = {label: [] for label, _ in arms}
    for r in sorted(results, key=lambda r: (order[r.id], r.run)):
        by_arm[r.arm].append(r)
    return by_arm


def compare(
    name: str, tasks: list[EvalTask], first: list[TaskResult], second: list[TaskResult], runs: int
) -> EvalReport:
    """The paired comparison of two arms (``first`` is the one with the skill) as an eval report."""
    pairs = pair_runs(first, second)
    summaries = []
    for task in tasks:
        task_pairs = pairs.get(task.id, [])
        delta = paired_delta(task_pairs)
        summaries.append(
            TaskSummary(
                id=task.id,
                with_=count(r for r in first if r.id == task.id),
                without=count(r for r in second if r.id == task.id),
                delta=delta,
                verdict=verdict(delta),
            )
        )
    delta = paired_delta([p for task in tasks for p in pairs.get(task.id, [])])
    return EvalReport(
        skill=name,
        runs=runs,
        with_=arm_stats(first),
        without=arm_stats(second),
        delta=delta,
        verdict=verdict(delta),
        regressed_tasks=sorted(s.id for s in summaries if s.verdict == "worse"),
        worse=sorted(s.id for s in summaries if s.delta.mean < 0),
        better=sorted(s.id for s in summaries if s.delta.mean > 0),
        tasks=summaries,
        results=sorted(first + second, key=lambda r: (r.id, r.run, not r.with_skill)),
    )


def _check_inputs(skill_dirs: list[Path], agent: str, prompt_stdin: bool) -> AgentCommand:
    for skill_dir in skill_dirs:
        if not (skill_dir / "SKILL.md").is_file():
            raise InputError("not a skill folder (no SKILL.md)", path=skill_dir)
    command = resolve_agent(agent, prompt_stdin=prompt_stdin)
    first = shlex.split(command.template)[0]
    if shutil.which(first) is None and not Path(first).exists():
        if command.builtin is not None:
            raise InputError(
                f"--agent {command.builtin.name} needs the `{first}` command on PATH",
                hint=command.builtin.note,
            )
        raise InputError(
            f"agent command not found: {first}", hint="give a command on PATH or a path to a script"
        )
    return command


def _run_one(
    skill_dir: Path | None,
    name: str,
    task: EvalTask,
    command: AgentCommand,
    timeout: float,
    scratch: Path,
    run: int,
    arm: str,
    mode: Mode,
) -> TaskResult:
    with_skill = skill_dir is not None
    workdir = Path(tempfile.mkdtemp(prefix=f"{_safe(task.id)}-{arm}-{run}-", dir=scratch))
    for rel, content in sorted(task.setup.items()):
        target = workdir / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
    placed = workdir / ".no-skill"
    placed.mkdir()
    prompt = task.prompt
    if skill_dir is not None:
        for home in SKILL_HOMES:
            copy_skill_tree(skill_dir, workdir / home / name)
        placed = workdir / SKILL_HOMES[0] / name
        prompt = skill_prompt(task.prompt, placed, mode, command)
    values = {
        "prompt": prompt,
        "skill_dir": str(placed),
        "workdir": str(workdir),
        "skill_name": name,
        "task_id": task.id,
        "run": str(run),
    }
    argv = agent_argv(command.template, values)
    limit = task.timeout or timeout
    started = time.monotonic()
    exit_code: int | None = None
    output = ""
    crash = ""
    try:
        # An argv list, no shell: the prompt stays one argument.
        proc = subprocess.run(
            argv,
            cwd=workdir,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=limit,
            input=prompt if command.prompt_stdin else None,
            stdin=None if command.prompt_stdin else subprocess.DEVNULL,
            check=False,
        )
        exit_code, output = proc.returncode, proc.stdout
        if proc.returncode != 0:
            crash = f"agent exited with {proc.returncode}: {proc.stderr.strip()[-200:]}".rstrip(": ")
    except subprocess.TimeoutExpired as exc:
        output = (
            exc.stdout.decode("utf-8", "replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        )
        crash = f"agent timed out after {limit:g}s"
    except OSError as exc:
        crash = f"agent could not start: {exc}"
    duration = round(time.monotonic() - started, 3)
    # The check runs even after a crash: its verdict is kept beside the failure, never instead of it.
    check_ok, check_reason = run_check(task.check, workdir, output, limit)
    if crash:
        reason = crash + ("\n(the check passed)" if check_ok else f"\n(check: {check_reason})")
    else:
        reason = check_reason
    return TaskResult(
        id=task.id,
        with_skill=with_skill,
        passed=check_ok and not crash,
        reason=reason,
        agent_exit=exit_code,
        duration_s=duration,
        output=clip(output, 4000),
        run=run,
        arm=arm,
        check_passed=check_ok,
        agent_failed=bool(crash),
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


def save_run(report: EvalReport, tasks: list[EvalTask], run_dir: Path) -> Path:
    """Write ``report.json``, ``report.md`` and ``results.jsonl`` (one Trace per task run) into ``run_dir``."""
    run_dir.mkdir(parents=True, exist_ok=True)
    results_path = run_dir / "results.jsonl"
    traces = results_to_traces(report.skill, report.results, tasks, results_path)
    results_path.write_text("".join(t.model_dump_json() + "\n" for t in traces), encoding="utf-8")
    report.run_dir = str(run_dir)
    (run_dir / "report.json").write_text(
        report.model_dump_json(by_alias=True, indent=2) + "\n", encoding="utf-8"
    )
    (run_dir / "report.md").write_text(report_markdown(report), encoding="utf-8")
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
                id=Trace.make_id(_trace_key(skill, r)),
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
                    "agent_failed": r.agent_failed,
                    "check_passed": r.check_passed,
                    "run": r.run,
                    "arm": r.arm,
                },
            )
        )
    return traces


def _trace_key(skill: str, r: TaskResult) -> str:
    """Stable per (task, arm, run); the first run keeps the key single-run evals always had."""
    key = f"eval:{skill}:{r.id}:{'with' if r.with_skill else 'without'}"
    if r.arm not in ("", "with", "without"):
        key += f":{r.arm}"
    return key + (f":r{r.run}" if r.run else "")


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", text)[:80] or "task"
