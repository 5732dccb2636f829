"""``skillforge eval``, ``evolve`` and ``correct``: measure a skill, improve it from failures, apply corrections."""

from __future__ import annotations

import json
from pathlib import Path

import click


@click.command("eval")
@click.argument("skill", type=click.Path(path_type=Path))
@click.option(
    "--tasks",
    "tasks_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Eval tasks (JSONL, JSON or YAML).",
)
@click.option(
    "--agent",
    required=True,
    help='Agent command line, e.g. "claude -p {prompt}"; placeholders {prompt} {skill_dir} {workdir}.',
)
@click.option("--concurrency", default=4, show_default=True, help="Tasks run in parallel.")
@click.option("--timeout", default=300.0, show_default=True, help="Seconds per task run.")
@click.option(
    "--save",
    "save_dir",
    type=click.Path(path_type=Path),
    help="Save results (traces + report) to this folder.",
)
@click.option(
    "--registry", "registry_path", type=click.Path(path_type=Path), help="Registry for NAME[@VERSION] skills."
)
@click.option("--json", "as_json", is_flag=True, help="Print the comparison as JSON.")
def eval_cmd(
    skill: Path,
    tasks_path: Path,
    agent: str,
    concurrency: int,
    timeout: float,
    save_dir: Path | None,
    registry_path: Path | None,
    as_json: bool,
) -> None:
    """Run eval tasks with SKILL installed and without it, and compare.

    SKILL is a skill folder or a registry reference NAME[@VERSION].
    """
    from skillforge.evals import load_tasks, run_eval
    from skillforge.evolve.source import skill_folder

    tasks = load_tasks(tasks_path)
    with skill_folder(str(skill), registry_path) as folder:
        report = run_eval(folder, tasks, agent, concurrency=concurrency, timeout=timeout, run_dir=save_dir)
    if as_json:
        click.echo(
            json.dumps(
                report.model_dump(by_alias=True, include={"with_", "without", "delta", "worse", "better"}),
                indent=2,
            )
        )
        return
    click.echo(
        f"{report.skill}: with skill {report.with_.passed}/{report.with_.total}, "
        f"without {report.without.passed}/{report.without.total}, delta {report.delta:+.2%}"
    )
    for r in report.results:
        mark = click.style("pass", fg="green") if r.passed else click.style("FAIL", fg="red")
        reason = " | ".join(line.strip() for line in r.reason.splitlines() if line.strip())
        click.echo(f"  {mark}  {r.id:<24} {'with' if r.with_skill else 'without':<8} {reason[:160]}")
    if report.worse:
        click.secho(
            "negative transfer (pass without the skill, fail with it): " + ", ".join(report.worse),
            fg="yellow",
        )
    if report.run_dir:
        click.echo(f"results saved to {report.run_dir}")


BUDGET_EXIT = 3
"""Exit code when --budget stopped the run (as for ``distill --model``)."""

MODELS = "any litellm model string, e.g. openai/gpt-4o-mini, ollama/qwen2.5; 'fake' is an offline test model"
api_base_option = click.option("--api-base", metavar="URL", help="OpenAI-compatible endpoint for --model.")
budget_option = click.option(
    "--budget",
    type=click.FloatRange(min=0),
    metavar="USD",
    help="With --model: stop cleanly before spending more than this (exit code 3).",
)


def _client(model: str | None, api_base: str | None, concurrency: int, budget: float | None):  # type: ignore[no-untyped-def]
    """The model client for --model, or None (offline); --api-base and --budget need --model."""
    if model is None:
        if api_base is not None or budget is not None:
            raise click.UsageError("--api-base and --budget need --model")
        return None
    from skillforge.evolve.model import make_client
    from skillforge.models.llm import LLMSettings

    return make_client(
        LLMSettings(model=model, api_base=api_base, concurrency=concurrency, budget_usd=budget)
    )


@click.command("evolve")
@click.argument("name")
@click.option(
    "--failures",
    type=click.Path(exists=True, path_type=Path),
    help="Traces of failed uses (folder, file or eval run).",
)
@click.option(
    "--tasks",
    "tasks_path",
    required=True,
    type=click.Path(path_type=Path),
    help="Eval tasks; 'holdout' ones gate the candidate.",
)
@click.option("--agent", required=True, help="Agent command line with {prompt} and {skill_dir} placeholders.")
@click.option(
    "--rounds",
    default=1,
    show_default=True,
    help="Evolve rounds; stops at the first round that is not accepted.",
)
@click.option(
    "--margin",
    default=0.0,
    show_default=True,
    help="Required pass-rate gain on held-out tasks (0 = no regression).",
)
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Tasks run in parallel; with --model also the most model calls in flight at once.",
)
@click.option("--timeout", default=300.0, show_default=True, help="Seconds per task run.")
@click.option(
    "--model",
    metavar="MODEL",
    help=f"Analyse, diagnose and optimize with this model ({MODELS}) instead of the offline heuristics.",
)
@api_base_option
@budget_option
@click.option(
    "--report",
    "report_file",
    type=click.Path(path_type=Path, dir_okay=False),
    metavar="FILE",
    help="Also write the JSON report of every round to FILE.",
)
@click.option("--registry", "registry_path", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True)
def evolve_cmd(
    name: str,
    failures: Path | None,
    tasks_path: Path,
    agent: str,
    rounds: int,
    margin: float,
    concurrency: int,
    timeout: float,
    model: str | None,
    api_base: str | None,
    budget: float | None,
    report_file: Path | None,
    registry_path: Path | None,
    as_json: bool,
) -> None:
    """Improve skill NAME from its failures; publish only what passes the evaluation gate.

    Each round analyses the failed runs, clusters them by cause, turns the diagnosis into anchored
    edits and runs the held-out tasks with the current and the candidate version: the candidate
    is published only when no task regresses. Offline heuristics by default; --model MODEL makes
    the three stages model calls (answers cached: a re-run makes no calls). `skillforge log NAME`
    shows every round, accepted or rejected.
    """
    from skillforge.evals import load_tasks
    from skillforge.evolve.loop import run_evolve
    from skillforge.registry import open_registry

    client = _client(model, api_base, concurrency, budget)
    report = run_evolve(
        open_registry(registry_path),
        name,
        failures=failures,
        tasks=load_tasks(tasks_path),
        agent=agent,
        rounds=rounds,
        margin=margin,
        concurrency=concurrency,
        timeout=timeout,
        client=client,
    )
    if report_file is not None:
        report_file.parent.mkdir(parents=True, exist_ok=True)
        report_file.write_text(report.model_dump_json(indent=2) + "\n", encoding="utf-8")
    if as_json:
        click.echo(report.model_dump_json(indent=2))
    else:
        _print_evolve(name, report)
    if report.budget_stopped:
        raise SystemExit(BUDGET_EXIT)
    if any(r.model_failures for r in report.rounds):
        raise SystemExit(1)


def _print_evolve(name: str, report) -> None:  # type: ignore[no-untyped-def]
    from skillforge.evolve.report import round_lines, summary

    for r in report.rounds:
        colour = {"accepted": "green", "rejected": "red"}.get(r.decision, "yellow")
        click.echo(
            summary(r)
            .replace("evolve round", "round", 1)
            .replace(f" from {r.base_version}", f" from {name}@{r.base_version}", 1)
        )
        for line in round_lines(r):
            click.echo(f"  {line}")
        suffix = f" -> {name}@{r.version}" if r.version else ""
        click.secho(f"  decision: {r.decision}{suffix}", fg=colour)
    click.echo(f"{name} is at {report.final_version}")
    usage = report.usage
    if usage is not None:
        cost = f"${usage.cost_usd:.4f}" if usage.cost_known else "cost unknown"
        click.echo(
            f"model {report.model}: {usage.llm_calls} call(s), {usage.cache_hits} from cache, "
            f"{usage.prompt_tokens}+{usage.completion_tokens} tokens, {cost}"
        )
    if report.budget_stopped:
        click.secho(
            "Stopped at the --budget: the unfinished round published nothing. Re-run with a larger "
            "--budget; finished calls come from the cache.",
            fg="yellow",
            err=True,
        )


@click.command("correct")
@click.argument("name")
@click.argument("correction")
@click.option(
    "--model",
    metavar="MODEL",
    help=f"Edit the section the correction concerns with this model ({MODELS}) instead of appending it, "
    "dated, to a Corrections section.",
)
@api_base_option
@budget_option
@click.option("--registry", "registry_path", type=click.Path(path_type=Path))
def correct_cmd(
    name: str,
    correction: str,
    model: str | None,
    api_base: str | None,
    budget: float | None,
    registry_path: Path | None,
) -> None:
    """Apply a person's CORRECTION ("when X, do Y instead of Z") to skill NAME as a new version.

    Offline the correction is added, dated, to a Corrections section; with --model MODEL it becomes
    an anchored edit of the section it concerns (an edit whose anchor is missing is reported and
    nothing is published). Undo it with `skillforge rollback NAME VERSION`.
    """
    from skillforge.errors import BudgetExceeded
    from skillforge.evolve.corrections import apply_correction
    from skillforge.registry import open_registry

    client = _client(model, api_base, 1, budget)
    try:
        result = apply_correction(open_registry(registry_path), name, correction, client=client)
    except BudgetExceeded as exc:
        click.secho(f"Stopped: {exc}; nothing was published.", fg="yellow", err=True)
        raise SystemExit(BUDGET_EXIT) from None
    click.echo(
        f"published {name}@{result.version}" + (f" (edited by {result.model})" if result.model else "")
    )
    for line in result.changelog:
        click.echo(f"  {line}")
    click.echo(f"undo with: skillforge rollback {name} {result.previous}")
