"""``skillforge eval``, ``evolve`` and ``correct``: measure a skill, improve it from failures, apply corrections."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("eval")
@click.argument("skill", type=click.Path(path_type=Path))
@click.option("--tasks", "tasks_path", required=True, type=click.Path(path_type=Path), help="Eval tasks (JSONL, JSON or YAML).")
@click.option("--agent", required=True, help='Agent command line, e.g. "claude -p {prompt}"; placeholders {prompt} {skill_dir} {workdir}.')
@click.option("--concurrency", default=4, show_default=True, help="Tasks run in parallel.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds per task run.")
@click.option("--save", "save_dir", type=click.Path(path_type=Path), help="Save results (traces + report) to this folder.")
@click.option("--registry", "registry_path", type=click.Path(path_type=Path), help="Registry for NAME[@VERSION] skills.")
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def eval_cmd(skill: Path, tasks_path: Path, agent: str, concurrency: int, timeout: float, save_dir: Path | None,
             registry_path: Path | None, as_json: bool) -> None:
    """Run eval tasks with SKILL installed and without it, and compare.

    SKILL is a skill folder or a registry reference NAME[@VERSION].
    """
    from skillforge.evals import load_tasks, run_eval
    from skillforge.evolve.source import skill_folder

    tasks = load_tasks(tasks_path)
    with skill_folder(str(skill), registry_path) as folder:
        report = run_eval(folder, tasks, agent, concurrency=concurrency, timeout=timeout, run_dir=save_dir)
    if as_json:
        click.echo(json.dumps(report.model_dump(by_alias=True, include={"with_", "without", "delta", "worse", "better"}), indent=2))
        return
    click.echo(f"{report.skill}: with skill {report.with_.passed}/{report.with_.total}, "
               f"without {report.without.passed}/{report.without.total}, delta {report.delta:+.2%}")
    for r in report.results:
        mark = click.style("pass", fg="green") if r.passed else click.style("FAIL", fg="red")
        click.echo(f"  {mark}  {r.id:<24} {'with' if r.with_skill else 'without':<8} {r.reason}")
    if report.worse:
        click.secho("negative transfer (pass without the skill, fail with it): " + ", ".join(report.worse), fg="yellow")
    if report.run_dir:
        click.echo(f"results saved to {report.run_dir}")
