"""An eval report as Markdown: the arms with their intervals, then one row per task (mean ± sd per arm)."""

from __future__ import annotations

import math

from skillforge.models.evals import EvalReport, PassCount, TaskResult


def report_markdown(report: EvalReport) -> str:
    """The report a person reads next to ``report.json``; same input, same bytes."""
    w, wo, d = report.with_, report.without, report.delta
    lines = [
        f"# Eval of {report.skill}",
        "",
        (
            f"{len(report.tasks)} task(s) × {report.runs} run(s) per arm. Verdict: **{report.verdict}** "
            "(from the 95 % interval of the paired difference)."
        ),
        "",
        "| arm | passed | pass rate | sd | 95 % CI |",
        "| --- | ---: | ---: | ---: | --- |",
        f"| with skill | {w.passed}/{w.total} | {w.pass_rate:.1%} | {w.sd:.3f} | [{w.ci[0]:.1%}, {w.ci[1]:.1%}] |",
        f"| without | {wo.passed}/{wo.total} | {wo.pass_rate:.1%} | {wo.sd:.3f} | [{wo.ci[0]:.1%}, {wo.ci[1]:.1%}] |",
        f"| difference | | {d.mean:+.1%} | | [{d.ci[0]:+.1%}, {d.ci[1]:+.1%}] |",
        "",
        "| task | with (mean ± sd) | without (mean ± sd) | difference | verdict |",
        "| --- | --- | --- | ---: | --- |",
    ]
    for t in report.tasks:
        runs = [r for r in report.results if r.id == t.id]
        lines.append(
            f"| {_cell(t.id)} | {_mean_sd(t.with_, [r for r in runs if r.with_skill])} | "
            f"{_mean_sd(t.without, [r for r in runs if not r.with_skill])} | {t.delta.mean:+.2f} | {t.verdict} |"
        )
    if report.regressed_tasks:
        lines += ["", "Worse with the skill beyond noise: " + ", ".join(report.regressed_tasks)]
    crashed = sorted({r.id for r in report.results if r.agent_failed})
    if crashed:
        lines += ["", "Agent crashed or timed out (counted as failures) on: " + ", ".join(crashed)]
    return "\n".join(lines) + "\n"


def _mean_sd(counts: PassCount, runs: list[TaskResult]) -> str:
    values = [1.0 if r.passed else 0.0 for r in runs]
    mean = counts.rate
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1)) if len(values) > 1 else 0.0
    return f"{mean:.2f} ± {sd:.2f}"


def _cell(text: str) -> str:
    return text.replace("|", "\\|")
