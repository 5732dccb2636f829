from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner, Result

from skillforge.cli import cli
from skillforge.cli._render import table
from skillforge.errors import InputError

DATA = Path(__file__).parent.parent / "data"
SWE_BENCH = DATA / "samples" / "support_tickets" / "swe-bench-dev-easy.json"
TICKETS = DATA / "fixtures" / "tickets"
DOCS = DATA / "samples" / "documents"


def _run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args))


def test_table_per_file_with_skipped_reasons(tmp_path: Path) -> None:
    shutil.copy(TICKETS / "helpdesk_export.csv", tmp_path / "export.csv")
    shutil.copy(DOCS / "runbook_etcdNoLeader.md", tmp_path / "etcd.md")
    result = _run("inspect", str(tmp_path))
    assert result.exit_code == 0
    export, etcd = tmp_path / "export.csv", tmp_path / "etcd.md"
    width = len(str(export))
    assert result.output.splitlines()[:3] == [
        "path".ljust(width) + "  format       traces  steps  tool_calls  errors  skipped",
        str(etcd).ljust(width) + "  markdown          1      4           0       0        0",
        str(export).ljust(width) + "  tickets-csv       5     18           0       0        1",
    ]
    assert f"skipped {export}:17: row at line 17: no subject or body" in result.output
    assert result.output.rstrip().endswith("2 file(s), 6 trace(s), 22 step(s), 1 skipped")
    assert "\r" not in result.output  # no progress line when not on a terminal


def test_json_output_is_exactly_the_report_objects() -> None:
    result = _run("inspect", "--json", str(SWE_BENCH), str(DOCS / "runbook_CPUThrottlingHigh.md"))
    assert result.exit_code == 0
    assert json.loads(result.output) == [
        {
            "path": str(SWE_BENCH),
            "format": "tickets-json",
            "traces": 4,
            "steps": 7,
            "tool_calls": 0,
            "errors": 0,
            "skipped": [{"line": None, "reason": "record 4: duplicate of ticket pylint-dev__astroid-1268 (record 2), skipped"}],
        },
        {
            "path": str(DOCS / "runbook_CPUThrottlingHigh.md"),
            "format": "markdown",
            "traces": 1,
            "steps": 4,
            "tool_calls": 0,
            "errors": 0,
            "skipped": [],
        },
    ]
    assert _run("inspect", "--json", str(SWE_BENCH)).output == _run("inspect", "--json", str(SWE_BENCH)).output


def test_ticket_columns_option_maps_unknown_columns() -> None:
    path = str(TICKETS / "custom_columns.csv")
    result = _run("inspect", path)
    assert result.exit_code == 1
    assert "for tickets use --format tickets-csv --ticket-columns" in result.output

    mapping = "id=Case Number,body=Customer Issue,resolution=Fix Applied,status=Case State"
    result = _run("inspect", "--json", "--format", "tickets-csv", "--ticket-columns", mapping, path)
    assert result.exit_code == 0
    (report,) = json.loads(result.output)
    assert (report["format"], report["traces"], report["skipped"]) == ("tickets-csv", 2, [])


def test_bad_ticket_columns_is_one_line() -> None:
    result = _run("inspect", "--ticket-columns", "assignee=Owner", str(SWE_BENCH))
    assert result.exit_code == 1
    assert result.output == (
        "Error: unknown ticket field 'assignee' in --ticket-columns "
        "(fields: id, subject, body, messages, resolution, status, priority, tags, created_at)\n"
    )


def test_debug_shows_the_exception() -> None:
    result = _run("--debug", "inspect", "--format", "nope", str(SWE_BENCH))
    assert isinstance(result.exception, InputError)
    assert "unknown format 'nope'" in str(result.exception)


def test_missing_path_is_reported_and_nothing_read(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    result = _run("inspect", str(missing))
    assert result.exit_code == 1
    assert f"skipped {missing}: no such file or directory" in result.output
    assert "Traceback" not in result.output


def test_render_table_aligns_numbers_right_and_text_left() -> None:
    assert table(("name", "n"), [("a.md", 1), ("long/path.md", 12)]).splitlines() == [
        "name           n",
        "a.md           1",
        "long/path.md  12",
    ]
    assert table(("name", "n"), []) == "name  n"
