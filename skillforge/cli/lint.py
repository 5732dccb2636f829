"""``skillforge lint``: skill-quality figures for one skill, a folder of skills or the registry."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from skillforge.cli._render import echo_json, info, success, table, warn
from skillforge.models.lint import LintReport, SkillMetrics, Thresholds

# metric -> column title of the per-skill table
_COLUMNS = {
    "run_specific": "run-spec", "vague": "vague", "near_duplicates": "dup", "boilerplate": "boiler",
    "reference_duplication": "refs", "rationale": "why",
}
_HELP = {
    "run_specific": "share of rules holding run-specific values",
    "vague": "share of rules with a vague action",
    "near_duplicates": "share of near-duplicate rules",
    "templated_descriptions": "share of skills with a templated description",
    "boilerplate": "share of SKILL.md words that are boilerplate",
    "reference_duplication": "share of rules copied verbatim into references/",
    "sprawl": "share of skills with two rules or fewer",
    "description_similarity": "median similarity of a description to its nearest neighbour",
    "outcome_consistency": "share of 'what worked' rules no failed run contradicts",
}
# metric -> the flagged-examples key in SkillMetrics.flagged
_FLAG_KEYS = {"templated_descriptions": "templated_description"}


def _threshold_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """One ``--max-METRIC`` (``--min-outcome-consistency``) option per field of ``Thresholds``."""
    defaults = Thresholds()
    for field in reversed(list(Thresholds.model_fields)):
        floor = field == "outcome_consistency"
        flag = ("--min-" if floor else "--max-") + field.replace("_", "-")
        command = click.option(
            flag, field, type=click.FloatRange(0, 1), default=getattr(defaults, field), show_default=True,
            metavar="X", help=f"{'Lowest' if floor else 'Highest'} {_HELP[field]} that passes.",
        )(command)
    return command


@click.command("lint")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.option("--strict", is_flag=True, help="Exit non-zero when a set figure is outside its threshold.")
@_threshold_options
def lint_cmd(paths: tuple[Path, ...], as_json: bool, strict: bool, **limits: float) -> None:
    """Measure whether the skills under PATHS hold rules worth an agent's context.

    PATH is a skill folder, a folder of skills (distill's OUT, ~/.claude/skills) or a registry.
    Figures: rules holding run-specific values (ids, absolute paths, scratch files), vague actions,
    near-duplicate rules, templated descriptions, nearest-description similarity, boilerplate words,
    rules copied into references/, skills with two rules or fewer, rules that say why, code blocks
    and, from provenance, "what worked" rules contradicted by failed runs.
    """
    from skillforge.skills.lint import QualityThresholdExceeded, lint_paths

    report = lint_paths(list(paths), Thresholds(**limits))
    if as_json:
        echo_json(report)
    else:
        _print(report, strict)
    if strict and report.violations:
        raise QualityThresholdExceeded(
            f"{len(report.violations)} quality threshold(s) exceeded: "
            + ", ".join(v.describe() for v in report.violations)
        )


def _pct(value: float | None, digits: str = ".0f") -> str:
    return "" if value is None else f"{value * 100:{digits}}%"


def _print(report: LintReport, strict: bool) -> None:
    rows = [
        (m.name, m.rules, *(_pct(getattr(m, k)) for k in _COLUMNS), m.code_blocks,
         "" if m.description_similarity is None else f"{m.description_similarity:.2f}",
         ("T" if m.templated_description else ""), _pct(m.outcome_consistency))
        for m in report.skills
    ]
    info(table(("skill", "rules", *_COLUMNS.values(), "code", "desc-sim", "tmpl", "outcome"), rows))
    s = report.set
    info("")
    info(f"Set of {s.skills} skill(s), {s.rules} rule(s), {s.words} word(s):")
    limits = report.thresholds.model_dump()
    broken = {v.metric for v in report.violations}
    lines = []
    for metric in ("run_specific", "vague", "near_duplicates", "templated_descriptions", "description_similarity",
                   "boilerplate", "reference_duplication", "sprawl", "outcome_consistency", "rationale"):
        value = getattr(s, metric)
        # Three significant digits, so a share just over its limit (5.04 %) does not print as the limit.
        shown = "n/a" if value is None else (f"{value:.3g}" if metric == "description_similarity" else _pct(value, ".3g"))
        if metric not in limits:
            lines.append((metric, shown, "", ""))
            continue
        op = "≥" if metric == "outcome_consistency" else "≤"
        limit = f"{limits[metric]:.2f}" if metric == "description_similarity" else _pct(limits[metric])
        lines.append((metric, shown, f"{op} {limit}", "OVER" if metric in broken else "ok"))
    lines.append(("code_blocks", str(s.code_blocks), "", ""))
    info(table(("metric", "value", "limit", ""), lines))
    for violation in report.violations:
        _examples(violation.metric, report.skills, violation.limit)
    if report.violations and not strict:  # with --strict the error line says it
        warn(f"{len(report.violations)} figure(s) outside the limits: "
             + ", ".join(v.describe() for v in report.violations))
    else:
        success("All set figures within the limits.")


def _examples(metric: str, skills: list[SkillMetrics], limit: float) -> None:
    """Up to three flagged rules per skill for a metric that broke its limit, so the fix is findable."""
    key = _FLAG_KEYS.get(metric, metric)
    shown = False
    for m in skills:
        items = m.flagged.get(key, [])
        if metric == "sprawl" and m.rules <= 2:
            items = [f"{m.rules} rule(s)"]
        if metric == "description_similarity" and m.description_similarity and m.description_similarity > limit:
            items = [f"{m.description_similarity:.2f} to {m.nearest}"]
        if not items:
            continue
        if not shown:
            info(f"\n{metric}:")
            shown = True
        for item in items[:3]:
            info(f"  {m.name}: {item[:160]}{'…' if len(item) > 160 else ''}")
        if len(items) > 3:
            info(f"  {m.name}: … and {len(items) - 3} more")
