"""Find a quote a model copied back in the trace it read.

A model copies text from the outline, a tool result or an error window (all rendered by
``trace_view.step_text``) and may reformat it: whitespace, typographic quotes, the outline's ``…``
cut marks, letter case. ``TraceIndex.find`` looks for the quote in the step the model named first,
then anywhere, and returns the step and the trace's own spelling of it. Used by distill's analysts
and evolve's failure analyzer to keep only evidence that really occurs.
"""

from __future__ import annotations

from skillforge.llm.trace_view import step_text
from skillforge.models import Trace

__all__ = ["MIN_QUOTE_CHARS", "TraceIndex", "normalize"]

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
