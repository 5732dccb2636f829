"""A skill's history as one timeline: published versions and recorded events (rejected evolve rounds).

Pure: built from ``Registry.versions`` and ``Registry.events`` results, no textual, no registry calls.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pydantic import ValidationError

from skillforge.models.evolve import RoundReport
from skillforge.models.registry import SkillVersion

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


@dataclass(frozen=True)
class TimelineEntry:
    """One row of the history: a version (diffable, restorable) or an event (a decision that published nothing)."""

    key: str
    """The version for versions; ``event:<n>`` for events."""
    date: datetime
    badge: str
    """What made this entry: publish, edit, evolve ✓, evolve ✗, rollback, correction, ..."""
    summary: str
    version: str | None = None
    author: str = ""
    message: str = ""
    changelog: tuple[str, ...] = ()
    decision: tuple[str, ...] = ()
    """Why: the evolve gate's verdict, the version a rollback restored, a correction's text."""

    @property
    def is_version(self) -> bool:
        return self.version is not None

    @property
    def when(self) -> str:
        return f"{self.date:%Y-%m-%d %H:%M}"


def build_timeline(versions: list[SkillVersion], events: list[dict[str, Any]]) -> list[TimelineEntry]:
    """Versions (newest first) with events placed by date; equal dates keep the versions' semver order."""
    entries = [_version_entry(v) for v in versions]
    entries += [_event_entry(n, e) for n, e in enumerate(events)]
    # sorted() is stable, also with reverse=True, so ties keep versions before events and semver order.
    return sorted(entries, key=lambda e: e.date, reverse=True)


def _version_entry(v: SkillVersion) -> TimelineEntry:
    extra = v.extra
    decision: list[str] = []
    if isinstance(extra.get("evolve"), dict):
        badge = "evolve ✓"
        # Being a version means the gate accepted it, whatever decision the stored report carries.
        decision = evolve_decision(extra["evolve"], outcome="accepted")
    elif v.rolled_back_from:
        badge = "rollback"
        decision = [f"restores the content of {v.rolled_back_from}"]
    elif "correction" in extra:
        badge = "correction"
        decision = [f"correction: {extra['correction']}"]
    elif "edited_from" in extra:
        badge = "edit"
        decision = [f"SKILL.md edited by hand from {extra['edited_from']}"]
    elif v.previous is None:
        badge = "first"
    else:
        badge = "publish"
    if isinstance(extra.get("scan"), dict):
        decision.append(f"published despite scan findings: {_short(extra['scan'])}")
    message = v.message.strip()
    summary = message.splitlines()[0] if message else (v.changelog[0] if v.changelog else "")
    return TimelineEntry(
        key=v.version,
        date=v.date,
        badge=badge,
        summary=summary,
        version=v.version,
        author=v.author,
        message=message,
        changelog=tuple(v.changelog),
        decision=tuple(decision),
    )


def _event_entry(number: int, event: dict[str, Any]) -> TimelineEntry:
    kind = str(event.get("kind", "event"))
    raw = event.get("data")
    data: dict[str, Any] = raw if isinstance(raw, dict) else {}
    date = _parse_date(event.get("date"))
    if kind == "evolve-rejected":
        lines = evolve_decision(data, outcome="rejected")
        report = _round(data)
        edits = tuple(report.edits) if report else ()
        summary = lines[0] if lines else "evolve round rejected"
        if report and report.gate is not None:
            summary = f"rejected: {report.gate.reason}"
        elif report and report.problems:
            summary = f"rejected: {report.problems[0]}"
        return TimelineEntry(
            f"event:{number}", date, "evolve ✗", summary, changelog=edits, decision=tuple(lines)
        )
    return TimelineEntry(
        f"event:{number}",
        date,
        kind,
        _short(data),
        decision=tuple(f"{k}: {_short(v)}" for k, v in sorted(data.items())),
    )


def evolve_decision(data: dict[str, Any], outcome: str | None = None) -> list[str]:
    """Readable lines for an evolve round report (an accepted version's extra, or a rejected-round event)."""
    report = _round(data)
    if report is None:
        return [f"{k}: {_short(v)}" for k, v in sorted(data.items())]
    lines = [f"evolve round {report.round} from {report.base_version}: {outcome or report.decision}"]
    lines.append(f"failures analysed: {report.failures_analysed}")
    gate = report.gate
    if gate is not None:
        lines.append(f"gate: {gate.reason}")
        if gate.before is not None and gate.after is not None:
            lines.append(
                f"held-out tasks passed: {gate.before.passed}/{gate.before.total} → {gate.after.passed}/{gate.after.total}"
            )
        if gate.regressions:
            lines.append("regressions: " + ", ".join(gate.regressions))
        if gate.improvements:
            lines.append("improvements: " + ", ".join(gate.improvements))
    lines += [f"problem: {p}" for p in report.problems]
    return lines


def _round(data: dict[str, Any]) -> RoundReport | None:
    try:
        return RoundReport.model_validate(data)
    except ValidationError:
        return None


def _parse_date(value: Any) -> datetime:
    try:
        date = datetime.fromisoformat(str(value))
    except ValueError:
        return _EPOCH
    return date if date.tzinfo else date.replace(tzinfo=timezone.utc)


def _short(value: Any, limit: int = 120) -> str:
    text = (
        value
        if isinstance(value, str)
        else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    )
    return text if len(text) <= limit else text[: limit - 1] + "…"
