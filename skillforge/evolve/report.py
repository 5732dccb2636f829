"""Evolve rounds as lines a person reads: in ``skillforge evolve``'s output and in ``skillforge log``.

An accepted round lives in its version's ``extra["evolve"]``; a rejected one is an
``evolve-rejected`` event of the registry (no version was published). ``log_entries`` puts both
on one timeline, newest first.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from skillforge.models.evolve import RoundReport

REJECTED = "evolve-rejected"


def parse_round(data: Any) -> RoundReport | None:
    """The round report in a version's extra or an event's data; None when it is not one."""
    if not isinstance(data, dict):
        return None
    try:
        return RoundReport.model_validate(data)
    except ValidationError:
        return None


def round_lines(report: RoundReport, *, clusters: int = 5) -> list[str]:
    """What a round did: failures and their clusters, edits, gate before/after, notes and problems."""
    lines = [
        f"{c.count}x {c.cause[:90]}  [{c.attribution}{': ' + c.section if c.section else ''}]"
        for c in report.clusters[:clusters]
    ]
    if len(report.clusters) > clusters:
        lines.append(f"... and {len(report.clusters) - clusters} more cluster(s)")
    lines += [f"edit: {line}" for line in report.edits]
    if report.fix_rounds:
        lines.append(f"fix rounds: {report.fix_rounds} (validation problems went back to the model)")
    gate = report.gate
    if gate is not None and gate.before is not None and gate.after is not None:
        runs = f" x {gate.runs} runs" if gate.runs > 1 else ""
        lines.append(
            f"gate on {len(gate.gate_tasks)} held-out task(s){runs}: {gate.before.passed}/{gate.before.total} -> "
            f"{gate.after.passed}/{gate.after.total}; {gate.reason}"
        )
    lines += [f"note: {n}" for n in report.notes]
    lines += [f"model failure: {f.task}: {f.kind}: {f.error}" for f in report.model_failures]
    lines += [f"problem: {p}" for p in report.problems]
    return lines


def summary(report: RoundReport) -> str:
    """One line: round, base version, analyzer, failures and clusters."""
    by = f" ({report.analyzer})" if report.analyzer != "heuristic" else ""
    return (
        f"evolve round {report.round} from {report.base_version}{by}: {report.failures_analysed} failure(s) "
        f"analysed, {len(report.clusters)} cluster(s)"
    )


def accepted_lines(extra: dict[str, Any]) -> list[str]:
    """Lines for ``log`` under a version that an evolve round published (empty for other versions)."""
    report = parse_round(extra.get("evolve"))
    if report is None:
        return []
    edits = len(report.edits)
    return [
        summary(report) + f", {edits} edit(s); accepted",
        *[line for line in round_lines(report) if line.startswith(("gate on", "problem:", "model failure:"))],
    ]


def rejected_lines(event: dict[str, Any]) -> list[str]:
    """Lines for ``log`` for a rejected round: what it tried and why the gate (or validation) refused it."""
    report = parse_round(event.get("data"))
    if report is None:
        return []
    return [summary(report) + "; rejected, nothing published", *round_lines(report, clusters=3)]


def log_entries(versions: list[Any], events: list[dict[str, Any]]) -> list[Any]:
    """Versions (newest first, as the registry lists them) with rejected-round events placed among them.

    Dates have one-second precision, so a tie is settled by the event's base version: a rejected
    round is newer than the version it started from and older than the versions after it.
    """
    rank = {v.version: i for i, v in enumerate(versions)}  # 0 = newest
    pending = [e for e in reversed(events) if e.get("kind") == REJECTED]
    pending.sort(key=lambda e: _date(e.get("date")), reverse=True)
    out: list[Any] = []
    for i, version in enumerate(versions):
        while pending and _newer(pending[0], i, version.date, rank):
            out.append(pending.pop(0))
        out.append(version)
    return out + pending


def event_date(event: dict[str, Any]) -> datetime:
    """When an event was recorded, in local time (as ``log`` shows version dates)."""
    return _date(event.get("date")).astimezone()


def _newer(event: dict[str, Any], index: int, date: datetime, rank: dict[str, int]) -> bool:
    when = _date(event.get("date"))
    if when != date:
        return when > date
    data = event.get("data")
    base = data.get("base_version") if isinstance(data, dict) else None
    return rank.get(str(base), len(rank)) <= index


def _date(value: Any) -> datetime:
    try:
        when = datetime.fromisoformat(str(value))
    except ValueError:
        return datetime.fromtimestamp(0, timezone.utc)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)
