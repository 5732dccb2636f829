"""Simulate a host's skill listing against its budget: how big it is, and which descriptions are lost.

Two overflow behaviours, each following its host's documented or published algorithm (figures and
sources in ``budgets.json``):

- ``drop-descriptions`` (Claude Code): every name is always listed; descriptions (capped at
  ``max_description_chars``) are granted whole, most-used skills first (by name when no usage is
  known, as observed in anthropics/claude-code#81081), skipping any that no longer fit. A skill past
  the cut is listed by name only, so the model cannot match a task to it.
- ``shorten-descriptions`` (Codex, ``codex-rs/core-skills/src/render.rs``): lines read
  ``- name: description (file: path)``; when they overflow, the space left after every bare line is
  shared out one character at a time so all descriptions shrink evenly; when even bare lines
  overflow, all descriptions go and the last skills in listing order are omitted.

Claude Code's exact accounting is not published, so its figures are an estimate (names and ``": "``
separators counted as characters); Codex's port is exact up to the host's own path rendering.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from skillforge.hosts.doctor_data import Budget
from skillforge.hosts.doctor_discover import LoadedSkill

Mode = Literal["fits", "shortened", "names-only", "omitted"]


class BudgetReport(BaseModel):
    """One host's listing against its budget (``budget_chars`` is None when no budget is documented)."""

    host: str
    scope: str
    used_chars: int
    budget_chars: int | None
    skills: int
    cut: list[str] = Field(default_factory=list, description="skills whose description is dropped or shortened")
    omitted: list[str] = Field(default_factory=list, description="skills left out of the listing entirely")
    mode: Mode = "fits"
    context_tokens: int | None = None
    source: str = ""


def simulate(host: str, scope: str, skills: Sequence[LoadedSkill], budget: Budget | None,
             *, context_tokens: int | None = None, usage: Mapping[str, int] | None = None) -> BudgetReport:
    """The listing ``host`` would build from ``skills`` and what its budget cuts."""
    used = sum(len(_line(s, s.description)) + 1 for s in skills)
    if budget is None:
        return BudgetReport(host=host, scope=scope, used_chars=used, budget_chars=None, skills=len(skills),
                            source="no listing budget documented for this host")
    limit, unit = budget.limit(context_tokens)
    window = context_tokens if context_tokens is not None else budget.context_tokens
    report = BudgetReport(
        host=host, scope=scope, used_chars=used, skills=len(skills),
        budget_chars=limit * budget.chars_per_token if unit == "tokens" else limit,
        context_tokens=window if window and window > 0 else None,
        source=budget.sources[0] if budget.sources else "",
    )
    if budget.overflow == "drop-descriptions":
        _drop_descriptions(report, skills, limit, budget.max_description_chars, usage or {})
    else:
        _shorten_descriptions(report, skills, limit, unit)
    return report


def _line(skill: LoadedSkill, description: str, path: bool = False) -> str:
    tail = f" (file: {skill.skill_md})" if path else ""
    return f"- {skill.name}: {description}{tail}" if description else f"- {skill.name}:{tail}"


def _drop_descriptions(report: BudgetReport, skills: Sequence[LoadedSkill], limit: int,
                       cap: int | None, usage: Mapping[str, int]) -> None:
    order = sorted(skills, key=lambda s: (-usage.get(s.name, 0), s.name, s.path))
    remaining = limit - sum(len(f"- {s.name}\n") for s in skills)
    for skill in order:
        description = skill.description[:cap] if cap else skill.description
        cost = len(": " + description)
        if description and cost <= remaining:
            remaining -= cost
            if len(description) < len(skill.description):
                report.cut.append(skill.name)
        elif description:
            report.cut.append(skill.name)
    report.cut.sort()
    if report.cut:
        report.mode = "names-only"


def _cost(text: str, unit: str) -> int:
    if unit == "tokens":
        return math.ceil(len(text.encode("utf-8")) / 4)
    return len(text)


def _shorten_descriptions(report: BudgetReport, skills: Sequence[LoadedSkill], limit: int, unit: str) -> None:
    rank = {"admin": 1, "project": 2, "global": 3, "plugin": 3}
    order = sorted(skills, key=lambda s: (rank[s.origin], s.name, s.skill_md))
    # Codex lists the path too, so its line cost is ours plus " (file: …)".
    report.used_chars = sum(len(_line(s, s.description, path=True)) + 1 for s in order)
    full = sum(_cost(_line(s, s.description, path=True) + "\n", unit) for s in order)
    if full <= limit:
        return
    bare = [_line(s, "", path=True) + "\n" for s in order]
    minimum = sum(_cost(b, unit) for b in bare)
    if minimum > limit:
        used = 0
        for skill, line in zip(order, bare, strict=False):
            cost = _cost(line, unit)
            if used + cost <= limit:
                used += cost
            else:
                report.omitted.append(skill.name)
        report.cut = sorted(s.name for s in order if s.description and s.name not in report.omitted)
        report.omitted.sort()
        report.mode = "omitted" if report.omitted else "names-only"
        return
    remaining = limit - minimum
    given = [0] * len(order)
    spent = [0] * len(order)
    base = [(len(b), len(b.encode("utf-8"))) for b in bare]
    prefix_bytes = [[0] for _ in order]
    for i, skill in enumerate(order):
        total = 0
        for ch in skill.description:
            total += len(ch.encode("utf-8"))
            prefix_bytes[i].append(total)

    def extra(i: int, n: int) -> int:
        _chars, nbytes = base[i]
        if unit == "tokens":
            return math.ceil((nbytes + prefix_bytes[i][n] + 1) / 4) - math.ceil(nbytes / 4)
        return n + 1  # the description plus its leading space

    changed = True
    while changed:  # one character per skill per round, as the host does
        changed = False
        for i, skill in enumerate(order):
            if given[i] >= len(skill.description):
                continue
            delta = extra(i, given[i] + 1) - spent[i]
            if delta <= remaining:
                given[i] += 1
                spent[i] += delta
                remaining -= delta
                changed = True
    report.cut = sorted(s.name for i, s in enumerate(order) if given[i] < len(s.description))
    report.mode = "shortened" if report.cut else "fits"
