"""``skillforge scan``: security findings for skills, traces and archives; exit 4 on high severity."""

from __future__ import annotations

import os
from pathlib import Path

import click

from skillforge.cli._render import echo_json, info, printable
from skillforge.errors import InputError
from skillforge.models.scan import SEVERITY_RANK, Finding

_COLOURS = {"high": "red", "medium": "yellow", "low": "cyan"}


@click.command("scan")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the full report as JSON.")
@click.option("--ignore", "ignore", multiple=True, metavar="RULE", help="Silence a rule id (repeatable).")
@click.option(
    "--untrusted",
    is_flag=True,
    help="Disregard inline ignore markers and .skillforgeignore inside the scanned content.",
)
@click.option(
    "--min-severity",
    type=click.Choice(["low", "medium", "high"]),
    default="low",
    show_default=True,
    help="Hide findings below this severity (the exit code still counts every high finding).",
)
@click.option(
    "--rules",
    "list_rules",
    is_flag=True,
    help="Print the table of rules (id, severity, what each catches) and exit.",
)
def scan_cmd(
    paths: tuple[Path, ...],
    as_json: bool,
    ignore: tuple[str, ...],
    untrusted: bool,
    min_severity: str,
    list_rules: bool,
) -> None:
    """Scan skill folders, trace files/folders and skill archives for prompt injection, secrets,
    dangerous scripts, hidden Unicode and risky files.

    Exit status: 0 when nothing is high severity, 4 when something is (the same refusal publish
    and install apply), 1 for bad input such as a PATH that does not exist or an unknown rule id. Silence a false positive with
    an inline `skillforge: ignore[RULE]` comment, a .skillforgeignore file or --ignore RULE.
    """
    from skillforge.errors import ScanRefused
    from skillforge.scan import decide, scan_paths
    from skillforge.scan.ignore import check_rule_ids

    if list_rules:
        from skillforge.scan.rules import RULES, markdown_table

        if as_json:
            echo_json([vars(r) for r in RULES.values()])
        else:
            info(markdown_table())
        return
    if not paths:
        raise click.UsageError("give at least one PATH (a skill folder, trace file or folder, or archive)")
    missing = [p for p in paths if not os.path.lexists(p)]
    if missing:
        # A typo in a CI gate must fail the gate, not scan nothing and pass.
        raise InputError(
            f"no such file or directory: {', '.join(printable(p) for p in missing)}",
            hint="check the path; nothing was scanned",
        )

    report = scan_paths(list(paths), ignore=check_rule_ids(ignore), trust_content=not untrusted)
    if as_json:
        echo_json(report)
    else:
        shown = [f for f in report.findings if SEVERITY_RANK[f.severity] >= SEVERITY_RANK[min_severity]]
        for finding in shown:
            _print(finding)
        for skipped in report.skipped:
            click.secho(f"skipped: {printable(skipped)}", fg="bright_black", err=True)
        counts = report.counts()
        summary = f"{counts['high']} high, {counts['medium']} medium, {counts['low']} low in {report.files_scanned} file(s)"
        if report.suppressed:
            summary += f" ({len(report.suppressed)} suppressed)"
        info(summary)
    decision = decide(report)
    if not decision.allowed:
        # The findings are on screen already; the error line only says why the exit status is 4.
        raise ScanRefused(
            decision.summary,
            hint="fix them, or silence a false positive with an inline "
            "`skillforge: ignore[RULE]` comment, a .skillforgeignore entry or --ignore RULE",
        )


def _print(f: Finding) -> None:
    label = click.style(f"{f.severity.upper():<6}", fg=_COLOURS[f.severity], bold=f.severity == "high")
    # Locations and excerpts come from the scanned content (file names, lines): shown, never obeyed.
    where = printable(f.location) + (f" [{printable(f.context)}]" if f.context else "")
    click.echo(f"{label} {f.rule_id}  {where}")
    if f.excerpt:
        click.echo(f"       {printable(f.excerpt)}")
    click.echo(click.style(f"       fix: {printable(f.hint)}", fg="bright_black"))
