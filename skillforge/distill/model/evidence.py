"""Check that an analyst's evidence quotes really occur in the trace.

A model can misquote or invent. Each quote is looked up in the step it names (whitespace and
typographic quotes normalised, the outline's ``…`` cut marks removed), then anywhere in the trace
(the step number is corrected), then case-insensitively. A quote found nowhere is removed; a
lesson left with no verified evidence is dropped and reported, never kept on the model's word.
The lookup itself is ``llm.quotes.TraceIndex``, shared with evolve's failure analyzer.
"""

from __future__ import annotations

from dataclasses import dataclass

from skillforge.llm.quotes import TraceIndex
from skillforge.models import Evidence, Lesson, Trace
from skillforge.models.llm import DroppedLesson
from skillforge.models.llm_outputs import LessonDraft
from skillforge.skills.naming import skill_slug


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
