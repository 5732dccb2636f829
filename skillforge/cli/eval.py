"""``skillforge eval``: run tasks with and without a skill, --runs times, and compare the arms paired.

The shared run options and the progress line live here too; ``evolve`` runs its gate with them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click

runs_option = click.option(
    "--runs",
    type=click.IntRange(min=1),
    default=3,
    show_default=True,
    help="Runs per task and arm; the comparison is paired run by run, with 95% intervals.",
)
concurrency_option = click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Agent runs in parallel.",
)
timeout_option = click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=300.0,
    show_default=True,
    help="Seconds per agent run; a run that takes longer is a failed run.",
)
agent_option = click.option(
    "--agent",
    required=True,
    help="claude-code, codex or mini-swe-agent (optionally NAME:MODEL), or a command line with {prompt} "
    '(and {skill_dir} {workdir} {skill_name} {task_id}), e.g. "my-agent --task {prompt}".',
)
mode_option = click.option(
    "--mode",
    type=click.Choice(["discovered", "forced"]),
    default="discovered",
    show_default=True,
    help="discovered: the skill is installed in the task's project and the agent must find it; "
    "forced: SKILL.md is added to the prompt.",
)
stdin_option = click.option(
    "--prompt-stdin", is_flag=True, help="Send the prompt on the agent's standard input instead of {prompt}."
)


@click.command("eval")
@click.argument("skill", type=click.Path(path_type=Path))
@click.option(
    "--tasks",
    "tasks_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Eval tasks (JSONL, JSON or YAML).",
)
@agent_option
@runs_option
@concurrency_option
@timeout_option
@mode_option
@stdin_option
@click.option(
    "--fail-under",
    type=click.FloatRange(0, 1),
    metavar="RATE",
    help="Exit 1 when the pass rate with the skill is below RATE (0-1), e.g. 0.8 in CI.",
)
@click.option(
    "--require",
    type=click.Choice(["better"]),
    help="Exit 1 unless the skill is better beyond noise (the verdict).",
)
@click.option(
    "--save",
    "save_dir",
    type=click.Path(path_type=Path),
    help="Save results (traces, report.json, report.md) to this folder.",
)
@click.option(
    "--registry", "registry_path", type=click.Path(path_type=Path), help="Registry for NAME[@VERSION] skills."
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def eval_cmd(
    skill: Path,
    tasks_path: Path,
    agent: str,
    runs: int,
    concurrency: int,
    timeout: float,
    mode: str,
    prompt_stdin: bool,
    fail_under: float | None,
    require: str | None,
    save_dir: Path | None,
    registry_path: Path | None,
    as_json: bool,
) -> None:
    """Run eval tasks with SKILL installed and without it, --runs times each, and compare them paired.

    SKILL is a skill folder or a registry reference NAME[@VERSION]. Each arm gets its pass rate with
    a 95% Wilson interval; the difference gets a paired 95% interval, and the verdict (better, worse,
    no-difference) comes from that interval, never from point estimates. A run passes only when the
    agent exits cleanly and the check passes.
    """
    from skillforge.evals import load_tasks, resolve_agent, run_eval
    from skillforge.evolve.source import skill_folder

    resolve_agent(agent, prompt_stdin=prompt_stdin)  # a bad --agent fails before a skill is exported
    tasks = load_tasks(tasks_path)
    with skill_folder(str(skill), registry_path) as folder, arms_progress() as line:
        report = run_eval(
            folder,
            tasks,
            agent,
            runs=runs,
            concurrency=concurrency,
            timeout=timeout,
            run_dir=save_dir,
            mode=mode,  # type: ignore[arg-type]
            prompt_stdin=prompt_stdin,
            on_progress=line,
        )
    if as_json:
        fields = {
            "runs",
            "with_",
            "without",
            "delta",
            "verdict",
            "regressed_tasks",
            "worse",
            "better",
            "tasks",
        }
        click.echo(json.dumps(report.model_dump(mode="json", by_alias=True, include=fields), indent=2))
    else:
        _print_eval(report)
    if fail_under is not None and report.with_.pass_rate < fail_under:
        click.secho(
            f"pass rate with the skill {report.with_.pass_rate:.1%} is below --fail-under {fail_under:.1%}",
            fg="red",
            err=True,
        )
        raise SystemExit(1)
    if require == "better" and report.verdict != "better":
        click.secho(
            f"--require better: the verdict is {report.verdict} "
            f"(difference {report.delta.mean:+.1%}, 95% CI {report.delta.ci[0]:+.1%} to {report.delta.ci[1]:+.1%})",
            fg="red",
            err=True,
        )
        raise SystemExit(1)


def _print_eval(report) -> None:  # type: ignore[no-untyped-def]
    w, wo, d = report.with_, report.without, report.delta
    click.echo(f"{report.skill}: {len(report.tasks)} task(s) x {report.runs} run(s) per arm")
    for label, arm in (("with skill", w), ("without", wo)):
        click.echo(
            f"  {label:<11} {arm.passed:>3}/{arm.total:<3} {arm.pass_rate:6.1%}  "
            f"95% CI [{arm.ci[0]:.1%}, {arm.ci[1]:.1%}]  sd {arm.sd:.3f}"
        )
    colour = {"better": "green", "worse": "red"}.get(report.verdict, "yellow")
    click.echo(f"  difference  {d.mean:+.1%}  95% CI [{d.ci[0]:+.1%}, {d.ci[1]:+.1%}]  ", nl=False)
    click.secho(f"verdict: {report.verdict}", fg=colour)
    for t in report.tasks:
        click.echo(
            f"  {t.id:<24} with {t.with_.passed}/{t.with_.total}  without {t.without.passed}/{t.without.total}  "
            f"{t.delta.mean:+.2f}"
        )
        for with_skill, arm in ((True, "with"), (False, "without")):
            failed = [
                r for r in report.results if r.id == t.id and r.with_skill == with_skill and not r.passed
            ]
            if failed:
                reason = " | ".join(line.strip() for line in failed[0].reason.splitlines() if line.strip())
                mark = click.style("FAIL", fg="red")
                click.echo(f"    {mark} {arm:<8} {len(failed)}x {reason[:150]}")
    if report.regressed_tasks:
        click.secho("worse with the skill beyond noise: " + ", ".join(report.regressed_tasks), fg="red")
    elif report.worse:
        click.secho(
            "lower pass rate with the skill (within noise; more --runs would tell): "
            + ", ".join(report.worse),
            fg="yellow",
        )
    if report.run_dir:
        click.echo(f"results saved to {report.run_dir} (report.md, report.json, results.jsonl)")


@contextmanager
def arms_progress() -> Iterator[Callable[[str, int, int, int], None]]:
    """A status line on stderr while agents run: runs done and pass rate so far, per arm."""
    from skillforge.cli._render import _StatusLine, progress_enabled

    class Line(_StatusLine):
        def __init__(self) -> None:
            super().__init__(progress_enabled())
            self.arms: dict[str, str] = {}

        def __call__(self, arm: str, done: int, total: int, passed: int) -> None:
            self.arms[arm] = f"{arm} {done}/{total} ({passed / done:.0%} pass)"
            if self._due(force=done == total):
                self._draw(" | ".join(self.arms.values()))

    line = Line()
    try:
        yield line
    finally:
        line.clear()
