"""The offline analyzer: deterministic heuristics over traces, tickets and documents, no model needed.

Traces stream through: each is boiled down to a small digest as it arrives and then dropped, so a long
run of large sessions costs the digests, not the traces. Lessons come from aggregating the digests:

* agent traces — error→recovery pairs, fixes that made a failing command pass, unrecovered and
  permission errors, the work order and tool sequences successful runs share, the test/build
  commands and files that matter per project, and what unsuccessful runs did differently;
* tickets — clusters of similar reports (TF-IDF cosine) with their resolutions;
* documents — runbook diagnosis/mitigation, step-by-step procedures and "do not" rules.

Every lesson carries evidence (trace id, step, a quote that occurs in that step, source path) and
``support``, the number of distinct traces behind it.
"""

from __future__ import annotations

from collections.abc import Iterable

from skillforge.distill.heuristic.doc_lessons import DocDigest, doc_digest, doc_lessons
from skillforge.distill.heuristic.ticket_lessons import TicketDigest, ticket_digest, ticket_lessons
from skillforge.distill.heuristic.trace_digest import TraceDigest, digest
from skillforge.distill.heuristic.trace_lessons import trace_lessons
from skillforge.distill.lessons import merge_duplicates
from skillforge.models import Lesson, Trace

__all__ = ["HeuristicAnalyzer"]


class HeuristicAnalyzer:
    """``analyze(traces) -> list[Lesson]`` without a model; the same input always gives the same lessons."""

    name = "heuristic"

    def analyze(self, traces: Iterable[Trace]) -> list[Lesson]:
        """Read ``traces`` once (streaming) and return the lessons, merged and sorted."""
        agents: list[TraceDigest] = []
        tickets: list[TicketDigest] = []
        documents: list[DocDigest] = []
        for trace in traces:
            if trace.kind == "ticket":
                tickets.append(ticket_digest(trace))
            elif trace.kind == "document":
                documents.append(doc_digest(trace))
            elif trace.steps:
                agents.append(digest(trace))
            # Let go of this trace before the reader builds the next one (two big sessions never coexist).
            del trace
        agents.sort(key=lambda d: d.trace_id)
        tickets.sort(key=lambda d: d.trace_id)
        documents.sort(key=lambda d: (d.source, d.trace_id))
        lessons = [*trace_lessons(agents), *ticket_lessons(tickets), *doc_lessons(documents)]
        return merge_duplicates(lessons)
