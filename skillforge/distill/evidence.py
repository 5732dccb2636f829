"""Check that an analyst's evidence quotes really occur in the trace.

A model can misquote or invent. Each quote is looked up in the step it names (whitespace and
typographic quotes normalised, the outline's ``…`` cut marks removed), then anywhere in the trace
(the step number is corrected), then case-insensitively. A quote found nowhere is removed; a
lesson left with no verified evidence is dropped and reported, never kept on the model's word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from skillforge.distill.outline import step_text
from skillforge.models import Evidence, Lesson, Trace
from skillforge.models.llm import DroppedLesson
from skillforge.models.llm_outputs import LessonDraft

MIN_QUOTE_CHARS = 8

_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})
_SLUG = re.compile(r"[^\w]+|_")


def normalize(text: str) -> str:
    """Collapse whitespace and typographic quotes so formatting differences do not hide a real quote."""
    return " ".join(text.translate(_TYPOGRAPHIC).split())


def _clean_quote(quote: str) -> str:
    q = normalize(quote)
    # The outline marks cut text with "…"; a model copying a snippet copies the mark too.
    q = q.strip('"').strip()
    for mark in ("…", "..."):
        q = q.removeprefix(mark).removesuffix(mark).strip()
    return q


def skill_slug(name: str) -> str:
    """A spec-valid skill name from whatever the model wrote: lowercase, hyphens, at most 64 chars."""
    slug = _SLUG.sub("-", name.strip().lower()).strip("-")
    slug = re.sub(r"-{2,}", "-", slug)[:64].strip("-")
    return slug or "general"


@dataclass
class TraceIndex:
    """Normalised step texts of one trace, built once per analysed trace."""

    steps: list[str]
    lowered: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, trace: Trace) -> TraceIndex:
        steps = [normalize(step_text(s)) for s in trace.steps]
        return cls(steps=steps, lowered=[s.lower() for s in steps])

    def find(self, quote: str, step: int | None) -> tuple[int, str] | None:
        """``(step, verbatim normalised quote)`` where ``quote`` occurs, or None."""
        q = _clean_quote(quote)
        if len(q) < MIN_QUOTE_CHARS:
            return None
        order = list(range(len(self.steps)))
        if step is not None and 0 <= step < len(self.steps):
            order.remove(step)
            order.insert(0, step)
        for i in order:
            if q in self.steps[i]:
                return i, q
        ql = q.lower()
        for i in order:
            pos = self.lowered[i].find(ql)
            if pos >= 0 and len(self.lowered[i]) == len(self.steps[i]):
                return i, self.steps[i][pos : pos + len(q)]
        return None


@dataclass
class Verified:
    lessons: list[Lesson]
    dropped: list[DroppedLesson]
    quotes_removed: int


def verify_lessons(trace: Trace, drafts: list[LessonDraft], index: TraceIndex | None = None) -> Verified:
    """Turn drafts into Lessons whose every evidence quote is found in ``trace``."""
    if not drafts:
        return Verified(lessons=[], dropped=[], quotes_removed=0)
    index = index or TraceIndex.of(trace)
    lessons: list[Lesson] = []
    dropped: list[DroppedLesson] = []
    removed = 0
    for draft in drafts:
        evidence: list[Evidence] = []
        missing: list[str] = []
        for ev in draft.evidence:
            found = index.find(ev.quote, ev.step)
            if found is None:
                missing.append(ev.quote)
                continue
            step, quote = found
            item = Evidence(trace_id=trace.id, step=step, quote=quote, source=trace.source.path)
            if item not in evidence:
                evidence.append(item)
        if not evidence:
            dropped.append(
                DroppedLesson(
                    trace_id=trace.id,
                    title=draft.title,
                    quote=missing[0] if missing else "",
                    reason="no evidence quote occurs in the trace",
                )
            )
            continue
        removed += len(missing)
        lessons.append(
            Lesson(
                kind=draft.kind,
                title=" ".join(draft.title.split()),
                body=draft.body.strip(),
                target_skill=skill_slug(draft.target_skill),
                evidence=sorted(evidence, key=lambda e: (e.step or 0, e.quote)),
                support=1,
            )
        )
    return Verified(lessons=lessons, dropped=dropped, quotes_removed=removed)
