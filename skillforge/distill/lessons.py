"""Helpers every analyzer shares: merging duplicate lessons, picking evidence, generalizing run-specific
values. Rule ids, tag conventions and rule order are ``skillforge.skills.rules``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from skillforge.models import Evidence, Lesson
from skillforge.skills.rules import lesson_id, rule_line, sort_key, tag

__all__ = ["MAX_EVIDENCE", "generalize", "merge_duplicates", "merge_variants", "pick_evidence"]

MAX_EVIDENCE = 12
"""Evidence items kept per lesson beyond the first one of each trace (every trace keeps one, so
provenance can name every trace behind a rule)."""


def merge_duplicates(lessons: Iterable[Lesson]) -> list[Lesson]:
    """Consolidate lessons that say the same thing (same skill, kind and title, or same normalized rule):
    evidence is pooled, support becomes the number of distinct traces behind them. Output is sorted."""
    merged: dict[tuple[str, str], Lesson] = {}
    by_rule: dict[tuple[str, str], tuple[str, str]] = {}
    for lesson in lessons:
        key = (lesson.target_skill, lesson_id(lesson))
        rule_key = (lesson.target_skill, _norm(rule_line(lesson)))
        key = by_rule.get(rule_key, key)
        if key in merged:
            merged[key] = _combine(merged[key], lesson)
        else:
            merged[key] = lesson.model_copy(deep=True)
            by_rule[rule_key] = key
    return sorted(merged.values(), key=lambda l: (l.target_skill, *sort_key(l)))


def pick_evidence(items: Iterable[Evidence]) -> list[Evidence]:
    """Unique evidence, sorted: the first item of every trace, then others up to ``MAX_EVIDENCE`` in all."""
    unique = _unique_evidence(list(items))
    firsts: dict[str, Evidence] = {}
    for item in unique:
        firsts.setdefault(item.trace_id, item)
    chosen = {id(e) for e in firsts.values()}
    extra = [e for e in unique if id(e) not in chosen][: max(0, MAX_EVIDENCE - len(firsts))]
    chosen |= {id(e) for e in extra}
    return [e for e in unique if id(e) in chosen]


def _combine(a: Lesson, b: Lesson) -> Lesson:
    evidence = pick_evidence([*a.evidence, *b.evidence])
    traces = {e.trace_id for e in evidence}
    support = max(a.support, b.support, len(traces))
    body = a.body if len(a.body) >= len(b.body) else b.body
    return a.model_copy(update={
        "evidence": evidence, "support": support, "body": body, "tags": sorted({*a.tags, *b.tags}),
        "helpful": a.helpful + b.helpful, "harmful": a.harmful + b.harmful,
    })


def _unique_evidence(items: list[Evidence]) -> list[Evidence]:
    seen: set[tuple[str, int | None, str]] = set()
    out = []
    for item in sorted(items, key=lambda e: (e.trace_id, e.step if e.step is not None else -1, e.quote)):
        key = (item.trace_id, item.step, item.quote)
        if key not in seen:
            seen.add(key)
            out.append(item)
    return out


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


_STEP_LINE = re.compile(r"^\s*\d+[.)]\s")


def generalize(lesson: Lesson) -> Lesson:
    """``lesson`` with run-specific values in what SKILL.md shows (title, rule line, step lines) turned
    into named placeholders, whichever analyzer wrote it; detail lines keep their concrete example.

    Documents are authored knowledge (``/etc/kubernetes/manifests`` is the real path, not one run's), so
    their lessons are left as they are."""
    from skillforge.distill.heuristic.abstract import (
        abstract,  # abstract imports nothing of ours; local to keep lessons light
    )

    if tag(lesson, "source") == "document":
        return lesson
    lines = lesson.body.split("\n")
    out: list[str] = []
    fenced = False
    first = True
    for line in lines:
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            out.append(line)
            continue
        if not fenced and (first and line.strip() or _STEP_LINE.match(line)):
            line = abstract(line)
        if line.strip():
            first = False
        out.append(line)
    body = "\n".join(out)
    title = abstract(lesson.title)
    if body == lesson.body and title == lesson.title:
        return lesson
    return lesson.model_copy(update={"body": body, "title": title})


_SPAN = re.compile(r"(`+)(.+?)\1")


def merge_variants(lessons: Iterable[Lesson]) -> list[Lesson]:
    """Merge rules of one skill and section that say the same thing about different tools or values:
    ``… including `a`.`` and ``… including `b`.`` become ``… including `a` or `b`.`` (support pooled).

    Only rules whose text is identical outside their code spans, and that differ in exactly one span,
    are merged, so nothing a rule says is lost. Output is sorted like ``merge_duplicates``."""
    groups: dict[tuple[str, str, str, str], list[Lesson]] = {}
    for lesson in lessons:
        line = rule_line(lesson)
        skeleton = _SPAN.sub("`\0`", line)
        key = (lesson.target_skill, lesson.kind, tag(lesson, "section") or "", skeleton)
        groups.setdefault(key, []).append(lesson)
    out: list[Lesson] = []
    for members in groups.values():
        out.extend(_merge_group(members) if len(members) > 1 else members)
    return sorted(out, key=lambda l: (l.target_skill, *sort_key(l)))


def _merge_group(members: list[Lesson]) -> list[Lesson]:
    members = sorted(members, key=sort_key)
    spans = [[m.group(0) for m in _SPAN.finditer(rule_line(l))] for l in members]
    differing = [i for i in range(len(spans[0])) if len({s[i] for s in spans}) > 1]
    if len(differing) != 1:
        return members
    position = differing[0]
    values = list(dict.fromkeys(s[position] for s in spans))
    series = values[0] if len(values) == 1 else ", ".join(values[:-1]) + " or " + values[-1]
    first = members[0]
    line = rule_line(first)
    matches = list(_SPAN.finditer(line))
    target = matches[position]
    merged_line = line[: target.start()] + series + line[target.end():]
    rest = first.body.strip().split("\n", 1)
    body = merged_line + ("\n" + rest[1] if len(rest) > 1 else "")
    merged = first
    for other in members[1:]:
        merged = _combine(merged, other)
    return [merged.model_copy(update={"body": body, "support": len(merged.trace_ids) or merged.support})]
