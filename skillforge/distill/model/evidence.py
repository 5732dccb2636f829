"""Check that an analyst's evidence quotes really occur in the trace.

A model can misquote or invent. Each quote is looked up in the step it names (whitespace and
typographic quotes normalised, the outline's ``…`` cut marks removed), then anywhere in the trace
(the step number is corrected), then case-insensitively. A quote found nowhere is removed; a
lesson left with no verified evidence is dropped and reported, never kept on the model's word.
"""

from __future__ import annotations

from dataclasses import dataclass

from skillforge.distill.model.outline import step_text
from skillforge.models import Evidence, Lesson, Trace
from skillforge.models.llm import DroppedLesson
from skillforge.models.llm_outputs import LessonDraft
from skillforge.skills.naming import skill_slug

MIN_QUOTE_CHARS = 8

_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u00a0": " "})


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


class TraceIndex:
    """Normalised step texts of one trace, computed only for the steps a lookup needs (a quote is
    usually found in the step the model named, so most steps are never normalised)."""

    def __init__(self, trace: Trace) -> None:
        self.trace = trace
        self._texts: dict[int, str] = {}

    @classmethod
    def of(cls, trace: Trace) -> TraceIndex:
        return cls(trace)

    def text(self, i: int) -> str:
        if i not in self._texts:
            self._texts[i] = normalize(step_text(self.trace.steps[i]))
        return self._texts[i]

    def find(self, quote: str, step: int | None) -> tuple[int, str] | None:
        """``(step, verbatim normalised quote)`` where ``quote`` occurs, or None."""
        q = _clean_quote(quote)
        if len(q) < MIN_QUOTE_CHARS:
            return None
        n = len(self.trace.steps)
        order = list(range(n))
        if step is not None and 0 <= step < n:
            order.remove(step)
            order.insert(0, step)
        for i in order:
            if q in self.text(i):
                return i, q
        ql = q.lower()
        for i in order:
            text = self.text(i)
            lowered = text.lower()
            pos = lowered.find(ql)
            if pos >= 0 and len(lowered) == len(text):
                return i, text[pos : pos + len(q)]
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
