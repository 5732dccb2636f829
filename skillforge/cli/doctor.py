"""``skillforge doctor``: collisions, trigger overlaps, listing budgets and broken skills across hosts."""

from __future__ import annotations

from pathlib import Path

import click

from skillforge.cli._render import echo_json, info, printable

_COLOURS = {"high": "red", "medium": "yellow", "low": "cyan"}


@click.command("doctor")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Project folder whose project-scope skills are checked too (default: the current folder).")
@click.option("--global-only", is_flag=True, help="Check only the global (user) scope.")
@click.option("--host", "hosts", multiple=True, metavar="HOST",
              help="Check this host (repeatable; default: hosts detected here or holding any skill).")
@click.option("--context-tokens", type=click.IntRange(min=1), default=None,
              help="Context window to size listing budgets for (default: the figure assumed in budgets.json).")
@click.option("--usage", "usage_paths", multiple=True, type=click.Path(exists=True, path_type=Path),
              metavar="PATH", help="Session logs (Claude Code, Codex, ...): mark skills never loaded as unused.")
@click.option("--no-scan", is_flag=True, help="Skip the security scan of each skill.")
@click.option("--strict", is_flag=True, help="Exit 1 on any finding, not only hidden/cut skills and high findings.")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def doctor_cmd(project: Path | None, global_only: bool, hosts: tuple[str, ...], context_tokens: int | None,
               usage_paths: tuple[Path, ...], no_scan: bool, strict: bool, as_json: bool) -> None:
    """Show every skill each host would load and what is wrong with the set.

    Exit status 1 when a skill is hidden by another of the same name, cut from a host's listing
    budget, or a finding is high severity (with --strict: any finding); 0 otherwise.
    """
    from skillforge.hosts.doctor import run_doctor

    usage = None
    if usage_paths:
        from skillforge.usage import load_counts

        usage = load_counts(list(usage_paths))
    report = run_doctor(None if global_only else (project or Path.cwd()), hosts,
                        context_tokens=context_tokens, usage=usage, scan=not no_scan)
    if as_json:
        echo_json({"findings": report.findings, "budgets": report.budgets,
                   "hosts": [{"host": h.host, "skills": [s.path for s in h.skills], "hidden": h.hidden}
                             for h in report.hosts],
                   "overlap_threshold": report.overlap_threshold})
    else:
        _print(report)
    code = report.exit_code(strict)
    if code:
        raise SystemExit(code)


def _print(report: object) -> None:
    from skillforge.hosts.doctor import DoctorReport

    assert isinstance(report, DoctorReport)
    budgets = {b.host: b for b in report.budgets}
    if not report.hosts:
        info("no agent host detected and no skills in any host folder; name one with --host")
    for view in report.hosts:
        b = budgets[view.host]
        size = f"listing {b.used_chars:,} chars"
        if b.budget_chars is not None:
            size += f" of ~{b.budget_chars:,}" + ("" if b.mode == "fits" else f" ({b.mode}: {len(b.omitted or b.cut)})")
        else:
            size += ", no documented budget"
        hidden = f", {len(view.hidden)} hidden" if view.hidden else ""
        info(f"{view.host}: {len(view.skills)} skill(s){hidden}; {size}")
    for f in report.findings:
        label = click.style(f"{f.severity.upper():<6}", fg=_COLOURS[f.severity], bold=f.severity == "high")
        click.echo(f"{label} {f.kind}  [{printable(f.host or '-')}]")
        click.echo(f"       {printable(f.message)}")
        click.echo(click.style(f"       fix: {printable(f.fix)}", fg="bright_black"))
    counts = {s: sum(1 for f in report.findings if f.severity == s) for s in ("high", "medium", "low")}
    info(f"{counts['high']} high, {counts['medium']} medium, {counts['low']} low")


@click.command("usage")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Only sessions started on or after this date (YYYY-MM-DD).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def usage_cmd(paths: tuple[Path, ...], since: object, as_json: bool) -> None:
    """Which skills were loaded in session logs (Claude Code Skill calls, any agent reading a SKILL.md).

    Per skill: sessions that loaded it, load events, first and last time, and how those sessions
    ended where the log records an outcome.
    """
    from datetime import datetime

    from skillforge.cli._render import table
    from skillforge.usage import read_usage

    report = read_usage(list(paths), since.date() if isinstance(since, datetime) else None)
    if as_json:
        echo_json(report)
        return
    rows = [[s.name, s.sessions, s.loads, s.first or "", s.last or "", f"{s.succeeded}/{s.failed}/{s.unknown}"]
            for s in report.skills]
    info(table(["skill", "sessions", "loads", "first", "last", "ok/failed/unknown"], rows))
    w = report.without_skills
    info(f"{report.sessions} session(s); {len(report.skills)} skill(s) loaded; sessions without a skill: "
         f"{w.get('succeeded', 0)} ok / {w.get('failed', 0)} failed / {w.get('unknown', 0)} unknown")
