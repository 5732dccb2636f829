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


@click.command("evolve")
@click.argument("name")
@click.option("--failures", type=click.Path(exists=True, path_type=Path), help="Traces of failed uses (folder, file or eval run).")
@click.option("--tasks", "tasks_path", required=True, type=click.Path(path_type=Path), help="Eval tasks; 'holdout' ones gate the candidate.")
@click.option("--agent", required=True, help="Agent command line with {prompt} and {skill_dir} placeholders.")
@click.option("--rounds", default=1, show_default=True, help="Evolve rounds; stops at the first round that is not accepted.")
@click.option("--margin", default=0.0, show_default=True, help="Required pass-rate gain on held-out tasks (0 = no regression).")
@click.option("--concurrency", default=4, show_default=True)
@click.option("--timeout", default=300.0, show_default=True, help="Seconds per task run.")
@click.option("--registry", "registry_path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def evolve_cmd(name: str, failures: Path | None, tasks_path: Path, agent: str, rounds: int, margin: float,
               concurrency: int, timeout: float, registry_path: Path | None, as_json: bool) -> None:
    """Improve skill NAME from its failures; publish only what passes the evaluation gate."""
    from skillforge.evals import load_tasks
    from skillforge.evolve.loop import run_evolve
    from skillforge.registry import open_registry

    report = run_evolve(open_registry(registry_path), name, failures=failures, tasks=load_tasks(tasks_path),
                        agent=agent, rounds=rounds, margin=margin, concurrency=concurrency, timeout=timeout)
    if as_json:
        click.echo(report.model_dump_json(indent=2))
        return
    for r in report.rounds:
        colour = {"accepted": "green", "rejected": "red"}.get(r.decision, "yellow")
        click.echo(f"round {r.round} from {name}@{r.base_version}: {r.failures_analysed} failure(s) analysed, "
                   f"{len(r.clusters)} cluster(s)")
        for c in r.clusters[:5]:
            click.echo(f"  {c.count}x {c.cause[:90]}  [{c.attribution}{': ' + c.section if c.section else ''}]")
        for line in r.edits:
            click.echo(f"  edit: {line}")
        if r.gate:
            g = r.gate
            click.echo(f"  gate on {len(g.gate_tasks)} held-out task(s): {g.before.passed}/{g.before.total} -> "  # type: ignore[union-attr]
                       f"{g.after.passed}/{g.after.total}; {g.reason}")  # type: ignore[union-attr]
        for p in r.problems:
            click.echo(f"  problem: {p}")
        suffix = f" -> {name}@{r.version}" if r.version else ""
        click.secho(f"  decision: {r.decision}{suffix}", fg=colour)
    click.echo(f"{name} is at {report.final_version}")


@click.command("correct")
@click.argument("name")
@click.argument("correction")
@click.option("--registry", "registry_path", type=click.Path(path_type=Path))
def correct_cmd(name: str, correction: str, registry_path: Path | None) -> None:
    """Apply a person's CORRECTION ("when X, do Y instead of Z") to skill NAME as a new version."""
    from skillforge.evolve.corrections import apply_correction
    from skillforge.registry import open_registry

    result = apply_correction(open_registry(registry_path), name, correction)
    click.echo(f"published {name}@{result.version} (undo with: skillforge rollback {name} <previous version>)")
