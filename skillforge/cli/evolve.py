"""``skillforge evolve`` and ``correct`` (``eval`` lives in ``cli/eval.py``): improve a skill from failures, apply corrections."""

from __future__ import annotations

from pathlib import Path

import click

from skillforge.cli.eval import (
    agent_option,
    arms_progress,
    eval_cmd,
    mode_option,
    runs_option,
    stdin_option,
    timeout_option,
)

__all__ = ["correct_cmd", "eval_cmd", "evolve_cmd"]


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
@agent_option
@click.option(
    "--rounds",
    type=click.IntRange(min=1),
    default=1,
    show_default=True,
    help="Evolve rounds, each building on the one before; stops at the first round that is not accepted.",
)
@click.option(
    "--margin",
    type=click.FloatRange(0, 1, max_open=True),
    default=0.0,
    show_default=True,
    help="Pass-rate gain the candidate must show beyond noise: the lower bound of its paired 95% "
    "interval must be above it (0 = any real lift).",
)
@runs_option
@click.option(
    "--concurrency",
    type=click.IntRange(min=1),
    default=4,
    show_default=True,
    help="Agent runs in parallel; with --model also the most model calls in flight at once.",
)
@timeout_option
@click.option(
    "--from",
    "from_version",
    metavar="VERSION",
    help="Build on this version instead of the latest (a pin is never used silently).",
)
@mode_option
@stdin_option
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
    runs: int,
    concurrency: int,
    timeout: float,
    from_version: str | None,
    mode: str,
    prompt_stdin: bool,
    model: str | None,
    api_base: str | None,
    budget: float | None,
    report_file: Path | None,
    registry_path: Path | None,
    as_json: bool,
) -> None:
    """Improve skill NAME from its failures; publish only what passes the evaluation gate.

    Each round analyses the failed runs, clusters them by cause, turns the diagnosis into anchored
    edits and runs the held-out tasks --runs times with the current and the candidate version: the
    candidate is published only when the lower bound of its paired 95% interval of improvement is
    above --margin and no task is worse beyond noise. Round 1 builds on the latest version (or
    --from); each later round on the one before. Offline heuristics by default; --model MODEL makes
    the three stages model calls (answers cached: a re-run makes no calls). `skillforge log NAME`
    shows every round, accepted or rejected.
    """
    from skillforge.evals import load_tasks, resolve_agent
    from skillforge.evolve.loop import run_evolve
    from skillforge.registry import open_registry

    resolve_agent(agent, prompt_stdin=prompt_stdin)
    client = _client(model, api_base, concurrency, budget)
    with arms_progress() as line:
        report = run_evolve(
            open_registry(registry_path),
            name,
            failures=failures,
            tasks=load_tasks(tasks_path),
            agent=agent,
            rounds=rounds,
            margin=margin,
            runs=runs,
            concurrency=concurrency,
            timeout=timeout,
            from_version=from_version,
            mode=mode,  # type: ignore[arg-type]
            prompt_stdin=prompt_stdin,
            client=client,
            on_progress=line,
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

    if report.pinned is not None and report.pinned != report.start_version:
        click.echo(
            f"{name} is pinned at {report.pinned}; building on {report.start_version} "
            f"(--from {report.pinned} to start from the pin)"
        )
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
    if report.pinned is not None and report.final_version != report.pinned:
        click.secho(
            f"{name} stays pinned at {report.pinned}: installs keep it until `skillforge unpin {name}`",
            fg="yellow",
        )
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
@click.option(
    "--from",
    "from_version",
    metavar="VERSION",
    help="Correct this version instead of the latest (a pin is never used silently).",
)
@click.option("--registry", "registry_path", type=click.Path(path_type=Path))
def correct_cmd(
    name: str,
    correction: str,
    from_version: str | None,
    model: str | None,
    api_base: str | None,
    budget: float | None,
    registry_path: Path | None,
) -> None:
    """Apply a person's CORRECTION ("when X, do Y instead of Z") to skill NAME as a new version.

    Offline the correction is added, dated, to a Corrections section; with --model MODEL it becomes
    an anchored edit of the section it concerns (an edit whose anchor is missing is reported and
    nothing is published). The correction builds on the latest version (or --from VERSION), never
    silently on a pin. Undo it with `skillforge rollback NAME VERSION`.
    """
    from skillforge.errors import BudgetExceeded
    from skillforge.evolve.corrections import apply_correction
    from skillforge.registry import open_registry

    client = _client(model, api_base, 1, budget)
    try:
        result = apply_correction(
            open_registry(registry_path), name, correction, client=client, from_version=from_version
        )
    except BudgetExceeded as exc:
        click.secho(f"Stopped: {exc}; nothing was published.", fg="yellow", err=True)
        raise SystemExit(BUDGET_EXIT) from None
    click.echo(
        f"published {name}@{result.version}" + (f" (edited by {result.model})" if result.model else "")
    )
    for line in result.changelog:
        click.echo(f"  {line}")
    if result.based_on is not None and result.based_on != result.previous:
        click.echo(f"built on {name}@{result.based_on} (--from); the latest was {result.previous}")
    if result.pinned is not None:
        click.secho(
            f"{name} stays pinned at {result.pinned}: installs keep it until `skillforge unpin {name}`",
            fg="yellow",
        )
    click.echo(f"undo with: skillforge rollback {name} {result.previous}")
