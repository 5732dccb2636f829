"""``skillforge inspect``: what each input file is and what can be read from it."""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem

from skillforge import plugins
from skillforge.cli._render import echo_json, info, progress, table, warn
from skillforge.errors import InputError
from skillforge.ingest import FileReport, ReadOptions, inspect_paths, parse_ticket_columns

HEADERS = ("path", "format", "traces", "steps", "tool_calls", "errors", "skipped")


@click.command("inspect")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per file.")
@click.option("--format", "fmt", metavar="NAME", shell_complete=lambda ctx, param, incomplete: complete_formats(incomplete),
              help="Read every file with this reader instead of detecting (an unknown NAME lists the choices).")
@click.option(
    "--ticket-columns",
    metavar="FIELD=COLUMN,...",
    help="Map ticket fields to your columns, e.g. 'id=Ticket ID,body=Description'.",
)
def inspect_cmd(paths: tuple[Path, ...], as_json: bool, fmt: str | None, ticket_columns: str | None) -> None:
    """Detect the format of each file under PATHS and count traces, steps, tool calls and errors.

    Unreadable files and records are listed with the reason (and line); they never stop the run.
    Exits non-zero only when nothing usable was read.
    """
    options = ReadOptions(ticket_columns=parse_ticket_columns(ticket_columns))
    with progress("Reading") as bar:
        reports = inspect_paths(paths, fmt, options, on_file=lambda p: bar.advance(item=p))
    if as_json:
        echo_json(reports)
    else:
        _print(reports)
    if not any(r.traces for r in reports):
        raise InputError(
            f"nothing usable was read from {len(reports)} file(s)",
            hint="see the reasons above; --format NAME forces a reader",
        )


def complete_formats(incomplete: str) -> list[CompletionItem]:
    """Shell completion for ``--format``: every reader's name, built-in and from plugins."""
    return [CompletionItem(name, help=reader.description) for name, reader in plugins.readers().items()
            if name.startswith(incomplete)]


def _print(reports: list[FileReport]) -> None:
    rows = [(r.path, r.format or "-", r.traces, r.steps, r.tool_calls, r.errors, len(r.skipped)) for r in reports]
    info(table(HEADERS, rows))
    skipped = [(r.path, s) for r in reports for s in r.skipped]
    if skipped:
        info("")
        for path, s in skipped:
            warn(f"skipped {path}{f':{s.line}' if s.line else ''}: {s.reason}")
    traces = sum(r.traces for r in reports)
    info(f"\n{len(reports)} file(s), {traces} trace(s), {sum(r.steps for r in reports)} step(s), "
         f"{len(skipped)} skipped")
