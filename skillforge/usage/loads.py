"""Skill loads in normalized traces, and the per-skill usage report built from them.

A step loads a skill when it is
- a call of Claude Code's ``Skill`` tool (``{"skill": "name"}``, ``plugin:name`` for plugin skills), or
- any other tool call that reads a ``…/<name>/SKILL.md`` file (Codex and most hosts load a skill by
  reading it: ``sed -n '1,220p' ~/.codex/skills/x/SKILL.md``, ``Read``, an OTel tool span), except
  calls that write or edit the file.

A plugin skill counts under its bare name too, so ``superpowers:brainstorming`` and a folder
``brainstorming`` match. Outcomes come from the trace (``outcome.success``) where the format has one.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from skillforge.models import Trace

_SKILL_MD = re.compile(r"([A-Za-z0-9_.:-]+)/(?:SKILL|skill)\.md\b")
_WRITERS = {"write", "edit", "multiedit", "apply_patch", "notebookedit", "create_file", "str_replace_based_edit_tool"}


class SkillUsage(BaseModel):
    name: str
    sessions: int = Field(description="sessions that loaded the skill at least once")
    loads: int = Field(description="load events in all sessions")
    first: str | None = None
    last: str | None = None
    succeeded: int = 0
    failed: int = 0
    unknown: int = 0


class UsageReport(BaseModel):
    sessions: int
    since: str | None = None
    skills: list[SkillUsage]
    without_skills: dict[str, int] = Field(
        default_factory=dict, description="outcomes of sessions that loaded no skill: succeeded/failed/unknown"
    )

    def counts(self) -> dict[str, int]:
        return {s.name: s.sessions for s in self.skills}


def skill_loads(trace: Trace) -> list[tuple[str, str | None]]:
    """``(skill name, timestamp)`` for every skill load in ``trace``, in step order."""
    found: list[tuple[str, str | None]] = []
    for step in trace.steps:
        call = step.tool_call
        if call is None:
            continue
        name = call.name.rsplit(".", 1)[-1].rsplit("__", 1)[-1].lower()
        args = call.arguments
        if name == "skill":
            skill = args.get("skill") or args.get("command") or args.get("name") if isinstance(args, dict) else args
            if isinstance(skill, str) and skill.strip():
                found.append((skill.strip().lstrip("/"), step.timestamp))
            continue
        if name in _WRITERS:
            continue
        text = args if isinstance(args, str) else " ".join(str(v) for v in args.values())
        for match in dict.fromkeys(_SKILL_MD.findall(text)):
            found.append((match, step.timestamp))
    return found


def _day(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).date()
    except ValueError:
        return None


def _started(trace: Trace) -> str | None:
    for key in ("started_at", "timestamp", "start_time"):
        value = trace.metadata.get(key)
        if isinstance(value, str):
            return value
    return next((s.timestamp for s in trace.steps if s.timestamp), None)


def usage_from_traces(traces: Iterable[Trace], since: date | None = None) -> UsageReport:
    """Per-skill sessions, loads, first/last time and session outcomes; skills most used first."""
    stats: dict[str, SkillUsage] = {}
    sessions = 0
    without = {"succeeded": 0, "failed": 0, "unknown": 0}
    for trace in traces:
        started = _day(_started(trace))
        if since and started and started < since:
            continue
        sessions += 1
        loads = skill_loads(trace)
        outcome = {True: "succeeded", False: "failed", None: "unknown"}[trace.outcome.success]
        if not loads:
            without[outcome] += 1
            continue
        names: dict[str, list[str | None]] = {}
        for name, when in loads:
            names.setdefault(name, []).append(when)
            if ":" in name:  # a plugin skill also answers to its bare name
                names.setdefault(name.split(":", 1)[1], []).append(when)
        for name, times in names.items():
            row = stats.setdefault(name, SkillUsage(name=name, sessions=0, loads=0))
            row.sessions += 1
            row.loads += len(times)
            stamps = sorted(t for t in times if t)
            if stamps:
                row.first = min(filter(None, [row.first, stamps[0]]))
                row.last = max(filter(None, [row.last, stamps[-1]]))
            setattr(row, outcome, getattr(row, outcome) + 1)
    skills = sorted(stats.values(), key=lambda s: (-s.sessions, -s.loads, s.name))
    return UsageReport(sessions=sessions, since=since.isoformat() if since else None, skills=skills,
                       without_skills=without)


def read_usage(paths: Sequence[str | Path], since: date | None = None) -> UsageReport:
    """Read session logs (any format skillforge reads) and report which skills were loaded."""
    from skillforge.ingest import read_paths

    traces = (t for t in read_paths(list(paths)) if isinstance(t, Trace))
    return usage_from_traces(traces, since)


def load_counts(paths: Sequence[str | Path], since: date | None = None) -> dict[str, int]:
    """Skill name -> number of sessions that loaded it."""
    return read_usage(paths, since).counts()
