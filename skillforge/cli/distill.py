"""``skillforge distill`` (traces → skill folders) and ``skillforge explain`` (rule → evidence)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import click

from skillforge.cli._render import echo_json, error, info, printable, progress, success, table, warn
from skillforge.errors import InputError, ScanRefused, SkillforgeError

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic import BaseModel

    from skillforge.distill.pipeline import Seed
    from skillforge.distill.report import DistillReport, ModelRun
    from skillforge.models import Evidence
    from skillforge.models.llm import DryRunEstimate


@click.command("distill")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-o", "--out", "out_dir", required=True, type=click.Path(path_type=Path, file_okay=False),
              help="Folder to write one skill folder per skill into (created if missing).")
@click.option("--format", "fmt", metavar="NAME", help="Read every file with this reader instead of detecting.")
@click.option("--into", metavar="NAME_OR_DIR",
              help="Put every lesson into this one skill: an existing skill folder to deepen, or a name under OUT.")
@click.option("--ticket-columns", metavar="FIELD=COLUMN,...",
              help="Map ticket fields to your columns, e.g. 'id=Ticket ID,body=Description'.")
@click.option("--redact-emails", is_flag=True, help="Also mask e-mail addresses (secrets are always masked).")
@click.option("--json", "as_json", is_flag=True, help="Print the run report as JSON.")
@click.option("--model", metavar="MODEL",
              help="Distill with this model (any litellm model string, e.g. openai/gpt-4o-mini, ollama/qwen2.5; "
                   "'fake' is an offline test model) instead of the offline analyzer.")
@click.option("--analyzer", "analyzer_name", metavar="NAME",
              help="Offline analyzer: heuristic (default) or one a plugin registers. Not with --model.")
@click.option("--api-base", metavar="URL", help="OpenAI-compatible endpoint for --model (e.g. a local server).")
@click.option("--concurrency", type=click.IntRange(min=1), default=8, show_default=True,
              help="Most model calls in flight at once.")
@click.option("--call-processes", type=click.IntRange(min=0), default=0, metavar="N",
              help="With --model: make the model calls in N helper processes (litellm's per-call CPU on other "
                   "cores; worth it with many calls in flight and short latencies). Default 0: this process.")
@click.option("--budget", type=click.FloatRange(min=0), metavar="USD",
              help="Stop cleanly before spending more than this (exit code 3, partial report).")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=120.0, show_default=True,
              metavar="S", help="Seconds one model call may take before it is retried.")
@click.option("--dry-run", is_flag=True, help="With --model: print planned calls, tokens and cost; call nothing.")
@click.option("--per-cluster", type=click.IntRange(min=1), metavar="K",
              help="With --model: analyse at most K traces of each behaviour cluster; the rest back their rules "
                   "as support (default 4).")
@click.option("--no-cluster", is_flag=True, help="With --model: analyse every trace (no behaviour clustering).")
@click.option("--executor", type=click.Choice(["local", "ray"]),
              help="With --model: run the analysis here (local) or on a Ray cluster (ray; needs skillforge[ray]) "
                   "(default local).")
@click.option("--ray-address", metavar="ADDR", help="With --model --executor ray: the Ray cluster to join.")
@click.option("--publish/--no-publish", default=True, show_default=True,
              help="Publish each skill written to the registry as a new version.")
@click.option("--registry", "registry_path", type=click.Path(path_type=Path, file_okay=False),
              help="Registry folder (default: $SKILLFORGE_REGISTRY or ~/.skillforge/registry).")
@click.option("--report", "report_file", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Also write the JSON run report (the --json shape) to FILE.")
def distill_cmd(
    paths: tuple[Path, ...], out_dir: Path, fmt: str | None, into: str | None, ticket_columns: str | None,
    redact_emails: bool, as_json: bool, model: str | None = None, api_base: str | None = None,
    concurrency: int = 8, budget: float | None = None, timeout: float = 120.0, dry_run: bool = False,
    per_cluster: int | None = None, no_cluster: bool = False, executor: str | None = None,
    ray_address: str | None = None, report_file: Path | None = None, publish: bool = True,
    registry_path: Path | None = None, analyzer_name: str | None = None, call_processes: int = 0,
) -> None:
    """Turn traces, tickets and documents under PATHS into skill folders in OUT.

    Secrets are redacted before anything is analysed or written. Without a model the offline
    heuristic analyzer is used; with --model MODEL, one analyst sub-agent per trace and a tree of
    merge calls do the work (answers cached: a re-run makes no calls). Each skill's provenance
    (which traces back which rule) is written to OUT/.provenance/NAME.json; `skillforge explain
    OUT/NAME` prints it. Re-running on the same input gives byte-identical output; an existing
    skill folder is deepened, not overwritten.

    Exit codes: 0 done; 1 nothing usable read, a model task failed (the rest is written and cached; a
    re-run retries only what failed) or a skill is invalid; 3 the --budget was reached (partial report).
    """
    from skillforge.distill.pipeline import run_distill
    from skillforge.ingest import ReadOptions, parse_ticket_columns

    model_only = {"--dry-run": dry_run, "--budget": budget is not None, "--api-base": api_base is not None, "--per-cluster": per_cluster is not None,
                  "--no-cluster": no_cluster, "--executor": executor is not None,
                  "--ray-address": ray_address is not None, "--call-processes": call_processes > 0}
    if model is None and any(model_only.values()):
        given = ", ".join(name for name, on in model_only.items() if on)
        raise click.UsageError(f"{given}: only with --model (the offline analyzer makes no model calls)")
    if analyzer_name is not None and model is not None:
        raise click.UsageError("--analyzer and --model exclude each other (the model is the analyzer)")
    if per_cluster is not None and no_cluster:
        raise click.UsageError("--per-cluster and --no-cluster exclude each other")
    if ray_address is not None and executor != "ray":
        raise click.UsageError("--ray-address needs --executor ray")
    options = ReadOptions(ticket_columns=parse_ticket_columns(ticket_columns))
    seed = registry_seed_for(registry_path) if publish and into is None else None
    if model is None:
        from skillforge.plugins import get_analyzer

        analyzer = get_analyzer(analyzer_name) if analyzer_name is not None else None
        with progress("Reading") as bar:
            report = run_distill(paths, out_dir, fmt=fmt, options=options, into=into, redact_emails=redact_emails,
                                 on_trace=lambda t: bar.advance(item=t.source.path), seed=seed, analyzer=analyzer)
    else:
        from skillforge.cli._process import tuned_for_model_calls
        from skillforge.cli._render import StageLine
        from skillforge.distill.model.cluster import DEFAULT_PER_CLUSTER
        from skillforge.distill.model.run import ModelAnalyzer, ModelOptions
        from skillforge.distill.model.run import dry_run as estimate
        from skillforge.models.llm import LLMSettings

        settings = LLMSettings(model=model, api_base=api_base, concurrency=concurrency, budget_usd=budget,
                               timeout=timeout, call_processes=call_processes)
        model_options = ModelOptions(settings=settings, per_cluster=None if no_cluster else per_cluster or DEFAULT_PER_CLUSTER,
                                     executor=executor or "local", ray_address=ray_address)
        if dry_run:
            plan = estimate(paths, model_options, fmt=fmt, read_options=options, into=into, redact_emails=redact_emails)
            _write(report_file, plan)
            if as_json:
                echo_json(plan)
            else:
                _print_estimate(plan)
            return
        line = StageLine()
        try:
            with tuned_for_model_calls():
                report = run_distill(paths, out_dir, fmt=fmt, options=options, into=into, redact_emails=redact_emails,
                                     analyzer=ModelAnalyzer(model_options, progress=line), seed=seed)
        finally:
            line.clear()
    _write(report_file, report)
    if as_json:
        echo_json(report)
    else:
        _print(report)
        if not report.stopped:
            quality_line(report)
    if publish and not report.stopped:
        publish_to(registry_path)(report, as_json)
    if report.stopped:
        raise SystemExit(BUDGET_EXIT)
    if not report.ok:
        raise InputError(f"nothing usable was read from {', '.join(map(printable, paths))}",
                         hint="see the skipped files above; --format NAME forces a reader")
    if (report.model is not None and report.model.failures) or any(s.errors for s in report.skills):
        raise SystemExit(1)


BUDGET_EXIT = 3
"""Exit code of a run the ``--budget`` stopped (``BudgetExceeded.exit_code``)."""


def _write(path: Path | None, data: BaseModel) -> None:
    """``--report FILE``: the JSON report (or dry-run estimate), keys sorted."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data.model_dump(mode="json"), indent=2, sort_keys=True) + "\n", encoding="utf-8")


def registry_seed_for(registry_path: Path | None) -> Seed | None:
    """Fetches a skill the registry already holds under a name distill writes, so it is deepened
    rather than replaced by a version without its rules (None when there is no registry yet)."""
    from skillforge.distill.publish import registry_seed
    from skillforge.registry import open_registry

    return registry_seed(open_registry(registry_path))


def publish_to(registry_path: Path | None) -> Callable[[DistillReport, bool], None]:
    """A step that publishes a distill report's skills to the registry and says what it did.

    Every skill the registry accepts is published; the refused ones are listed with their reasons,
    and the step then raises ``ScanRefused`` (exit 4) if the security scan refused any, else a
    ``SkillforgeError`` (exit 1).
    """

    def step(report: DistillReport, quiet: bool) -> None:
        from skillforge.distill.publish import publish_skills
        from skillforge.registry import open_registry

        if not report.skills:
            return
        registry = open_registry(registry_path)
        done = publish_skills(registry, report.skills, sources=report.traces)
        refused = [p for p in done if p.refused]
        if not quiet:
            new = [p for p in done if p.created]
            where = printable(registry.path)
            if new:
                info(f"Published {len(new)} new version(s) to {where}: {', '.join(f'{p.name}@{p.version}' for p in new)}")
            elif len(refused) < len(done):
                info(f"Published 0 new version(s) to {where} (no skill changed).")
            for p in refused:
                warn(f"not published: {p.name}: {p.note}")
        if refused:
            names = ", ".join(p.name for p in refused)
            summary = f"{len(refused)} of {len(done)} skill(s) not published: {names}"
            if any(p.exit_code == ScanRefused.exit_code for p in refused):
                raise ScanRefused(summary, hint="`skillforge scan DIR` shows every finding; the other skills "
                                  "were published, and a re-run publishes the fixed ones")
            raise SkillforgeError(summary, hint="see the reasons above; the other skills were published")

    return step


def print_written(report: DistillReport) -> None:
    """``Wrote N skill(s) to WHERE:`` and the table of skills, naming where they really are."""
    if not report.skills:
        return
    info(f"Wrote {len(report.skills)} skill(s) to {written_to(report)}:")
    info(table(("skill", "rules", "new", "path"), [(s.name, s.rules, s.new_rules, s.path) for s in report.skills]))
    if not any(Path(s.path).parent == Path(report.out_dir) for s in report.skills):
        info(f"(nothing was written to {printable(report.out_dir)}: --into named a skill folder outside it)")
    for name, version in sorted(report.deepened.items()):
        info(f"{name}: deepened {name}@{version} from the registry (its rules are kept; new rules added)")


def written_to(report: DistillReport) -> str:
    """Where a report's skills really are: OUT, or (``--into`` a folder elsewhere) the folders themselves."""
    out = Path(report.out_dir)
    parents = {Path(s.path).parent for s in report.skills}
    if parents == {out}:
        return printable(out)
    return ", ".join(sorted(printable(s.path) for s in report.skills))


def quality_line(report: DistillReport) -> None:
    """Print the one-line quality summary (``skillforge lint``) of the folders the skills were written to."""
    if not report.skills:
        return
    from skillforge.skills.lint import lint_paths, summary_line

    out = Path(report.out_dir)
    folders = [str(out)] if {Path(s.path).parent for s in report.skills} == {out} else sorted(
        s.path for s in report.skills)
    try:
        info(printable(summary_line(lint_paths(folders))))
    except SkillforgeError as exc:  # the skills are written; a lint failure must not hide that
        warn(f"quality summary unavailable: {exc}")


def _print(report: DistillReport) -> None:
    """What a run read, learned and wrote; a model run adds its calls, cost, merges and failures."""
    if report.model is None:
        formats = ", ".join(f"{name} {n}" for name, n in report.traces_by_format.items()) or "none"
        info(f"Read {report.traces} trace(s) ({formats}); {report.skipped_total} skipped.")
        info(f"Learned {report.lessons} lesson(s) with the {report.analyzer} analyzer.")
    else:
        _print_model(report, report.model)
    for q in report.quarantined:
        warn(f"quarantined lesson {q.lesson.title!r} ({q.rule_id}): {q.reason}")
    print_written(report)
    for skill in report.skills:
        for message in skill.errors:
            error(f"invalid {skill.name}: {message}")
        for message in skill.warnings:
            warn(f"{skill.name}: {message}")
        for message in skill.problems:
            warn(f"{skill.name}: not applied: {message}")
    for skipped in report.skipped:
        warn(f"skipped {skipped}")
    if report.skipped_total > len(report.skipped):
        warn(f"... and {report.skipped_total - len(report.skipped)} more skipped record(s)")
    if report.stopped:
        done = f"{len(report.skills)} skill(s) were written, none published" if report.skills else "nothing was written"
        if report.model is not None:
            click.secho(f"Stopped at the budget of ${report.model.budget_usd}: {done}. Re-run with a larger --budget; "
                        "finished calls come from the cache.", fg="yellow", err=True)
        else:
            click.secho(f"The {report.analyzer} analyzer stopped at its budget: {done}.", fg="yellow", err=True)
    elif report.skills and not any(s.errors for s in report.skills):
        success("All skills pass the Agent Skills spec. `skillforge explain DIR` shows the evidence for each rule.")


def _print_model(report: DistillReport, run: ModelRun) -> None:
    cost = f"${run.cost_usd:.4f}" if run.cost_known else "cost unknown"
    info(f"Read {report.traces} trace(s) with {report.analyzer}: {run.llm_calls} model call(s), "
         f"{run.cache_hits} from cache, {run.prompt_tokens}+{run.completion_tokens} tokens, {cost}, "
         f"{run.wall_s:.1f} s.")
    if run.clustering is not None and run.clustering.saved:
        c = run.clustering
        info(f"Clustered {c.traces} trace(s) into {c.clusters} behaviour(s): {c.analysed} analysed, {c.saved} "
             "counted as support of their cluster's rules without a call.")
    info(f"Analysts found {run.lessons} lesson(s); {run.merge_levels} merge level(s) left {run.rules} rule(s)"
         + (f", {len(run.conflicts)} conflict(s) resolved." if run.conflicts else "."))
    for dropped in run.dropped_lessons:
        warn(f"dropped lesson {dropped.title!r} from trace {dropped.trace_id}: {dropped.reason}")
    budget = [f for f in run.failures if f.kind == "BudgetExceeded"]
    for failure in run.failures:
        if failure.kind != "BudgetExceeded":
            error(f"failed {failure.task}: {failure.kind}: {failure.error}")
    if budget:
        warn(f"{len(budget)} task(s) not run: {budget[0].error}")


def _print_estimate(plan: DryRunEstimate) -> None:
    cost = f"${plan.cost_usd:.4f}" if plan.cost_known else "unknown (no price for this model in litellm's map)"
    info(f"Dry run for {plan.model} ({'tool calling' if plan.tool_calling else 'one call per trace'}):")
    rows: list[tuple[str, int]] = [("traces", plan.traces)]
    if plan.calls_saved:  # clustering only gets rows when it changes the plan
        rows += [("behaviour clusters", plan.clusters), ("exact duplicates", plan.duplicates),
                 (f"traces analysed (at most {plan.per_cluster} per cluster)", plan.analysed_traces),
                 ("calls saved by clustering", plan.calls_saved)]
    rows += [
        ("analyst calls", plan.analyst_calls), ("merge calls", plan.merge_calls), ("plan calls", plan.plan_calls),
        ("planned calls", plan.planned_calls), ("first calls already cached", plan.cached_calls),
        ("merge levels", plan.merge_levels), ("prompt tokens (est.)", plan.prompt_tokens),
        ("completion tokens (est.)", plan.completion_tokens),
    ]
    info(table(("", "count"), rows))
    info(f"Estimated cost: {cost}. Nothing was sent to a model.")


@click.command("explain")
@click.argument("skill_dir", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--rule", "rule_id", metavar="ID", help="Show only this rule (the id in its sf: marker).")
@click.option("--json", "as_json", is_flag=True, help="Print the provenance as JSON.")
def explain_cmd(skill_dir: Path, rule_id: str | None, as_json: bool) -> None:
    """Show which lessons, traces and quotes support each rule of the skill in SKILL_DIR."""
    from skillforge.skills.provenance import explain_skill

    explanation = explain_skill(skill_dir)
    provenance = explanation.provenance
    rules = [r for r in provenance.rules if rule_id is None or r.id == rule_id]
    if rule_id is not None and not rules:
        raise InputError(f"no rule {rule_id!r} in the provenance of {provenance.skill}", path=skill_dir)
    if as_json:
        echo_json(explanation if rule_id is None else rules)
        return
    # Count every trace the listing below can cite (a rule's trace ids and its evidence), and the files
    # holding them, so the header never says fewer traces than are shown.
    traces = {t for r in provenance.rules for t in r.trace_ids} | {e.trace_id for r in provenance.rules
                                                                   for e in r.evidence}
    files = {s.path for s in provenance.sources if traces & set(s.trace_ids)}
    files |= {e.source for r in provenance.rules for e in r.evidence
              if e.source and not any(e.trace_id in s.trace_ids for s in provenance.sources)}
    info(printable(f"{provenance.skill} {provenance.version or ''}".rstrip()
                   + f": {len(provenance.rules)} rule(s) from {len(traces)} trace(s) in {len(files)} file(s)"
                   + (f" (analyzer: {provenance.analyzer})" if provenance.analyzer else "")))
    from skillforge.skills.render import SECTIONS

    order = {heading: i for i, (_, heading) in enumerate(SECTIONS)}
    section = None
    for rule in sorted(rules, key=lambda r: (r.file != "SKILL.md", r.file, order.get(r.section, 99), r.section,
                                             -r.support, r.id)):
        if (rule.file, rule.section) != section:
            section = (rule.file, rule.section)
            info("\n" + printable(rule.section + ("" if rule.file == "SKILL.md" else f"  ({rule.file})")))
        info(printable(f"  [{rule.id}] {rule.text}"))
        counters = f" (helpful {rule.helpful}, harmful {rule.harmful})" if rule.helpful or rule.harmful else ""
        info(f"      {rule.kind}, support {rule.support}{counters}: {', '.join(rule.trace_ids[:6])}"
             + (" ..." if len(rule.trace_ids) > 6 else ""))
        shown: dict[str, Evidence] = {}
        for e in rule.evidence:  # one quote per trace first, so the evidence shows its spread
            shown.setdefault(e.trace_id, e)
        for e in list(shown.values())[:3]:
            where = printable(e.source or e.trace_id) + (f" step {e.step}" if e.step is not None else "")
            quote = printable(" ".join(e.quote.split()))
            info(f"      - {where}: “{quote[:100]}{'…' if len(quote) > 100 else ''}”" if quote else f"      - {where}")
    if explanation.unexplained:
        warn(f"{len(explanation.unexplained)} rule marker(s) in the skill have no provenance: "
             + ", ".join(explanation.unexplained))
    if explanation.stale:
        warn(f"{len(explanation.stale)} recorded rule(s) are no longer in the skill: " + ", ".join(explanation.stale))
