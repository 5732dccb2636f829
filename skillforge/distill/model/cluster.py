"""Behaviour clustering before analysis: the same behaviour is analysed a few times, not five hundred.

Traces are grouped by a behaviour signature: the task with its instance values masked (the offline
analyzer's ``abstract`` placeholders, then every remaining number), the sequence of tools called,
and the normalized signature of every tool error (``heuristic.signatures``). A trace that calls no
tool (a conversation, a ticket, a document) behaves as its text says, so its masked step texts are
its signature instead. The outcome (the analyst's own failed/succeeded split, ``outline.is_failure``)
is not part of the cluster key but decides which members a cluster sends: a cluster's analysts should
see how the behaviour fails as well as how it succeeds.

Admission is decided in input order from what came before, so it works on a stream (analysis starts
before reading ends) and gives the same answer on every run:

- a trace identical to an earlier one (task, steps, outcome) is never analysed again;
- a cluster admits traces while it has fewer than ``per_cluster - 1`` representatives;
- its last slot is kept for an outcome it has not shown yet (or used freely once it shows both).

Every member that was not analysed still backs the rules its representatives produced:
``carry_support`` adds one evidence item per member so provenance names it and ``support`` counts it.
An exact duplicate of an analysed trace gets its original's quote (its steps are the same, so the
quote occurs at the same step); any other member gets its trace id and file only, because no model
read it. A member backs the representatives with its own outcome when the cluster has any, else all
of them; an exact duplicate backs whatever its original backs.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from skillforge.distill.heuristic.abstract import abstract
from skillforge.distill.heuristic.signatures import error_line, normalize_signature
from skillforge.llm.trace_view import is_error, is_failure
from skillforge.models import Evidence, Lesson, Trace
from skillforge.models.llm import ClusterSummary

__all__ = [
    "ClusterGate", "ClusterSummary", "TraceKeys", "behaviour_key", "content_key", "mask_text", "outcome_of", "trace_keys",
]

DEFAULT_PER_CLUSTER = 4

_NUMBER = re.compile(r"\d+")
_SPACE = re.compile(r"\s+")


def mask_text(text: str) -> str:
    """``text`` with instance values masked: ``abstract``'s placeholders, then every other number as ``#``
    (``[run 12]`` and ``[run 13]`` are the same task)."""
    return _SPACE.sub(" ", _NUMBER.sub("#", abstract(text))).strip()


def outcome_of(trace: Trace) -> str:
    """``failure`` or ``success``, as the analysts split them (the failure prompt or the success prompt)."""
    return "failure" if is_failure(trace) else "success"


def behaviour_key(trace: Trace) -> str:
    """The cluster a trace belongs to: a hash of its kind, masked task, tool-call sequence and error
    signatures (or, with no tool calls, its masked step texts)."""
    tools = [s.tool_call.name for s in trace.steps if s.tool_call is not None]
    parts = [trace.kind, mask_text(trace.task)]
    if tools:
        parts.append("\x1f".join(tools))
        parts.extend(
            normalize_signature(error_line(s.tool_result.output))
            for s in trace.steps
            if s.tool_result is not None and is_error(s)
        )
    else:
        parts.extend(f"{s.role}:{mask_text(s.text)}" for s in trace.steps)
    return _digest(parts)


def content_key(trace: Trace) -> str:
    """Equal for traces with the same kind, task, steps and outcome (ids, sources, timestamps and
    metadata aside): an analyst would see the same trace."""
    steps = [s.model_dump_json(exclude={"timestamp"}) for s in trace.steps]
    return _digest([trace.kind, trace.task, trace.outcome.model_dump_json(), *steps])


@dataclass(frozen=True)
class TraceKeys:
    """What the gate needs to know of a trace besides its id and file."""

    content: str
    behaviour: str
    outcome: str


def trace_keys(trace: Trace) -> TraceKeys:
    """The keys ``ClusterGate.admit`` decides on, for a (redacted) trace. Computing them costs most of a
    millisecond per trace, so a reader process can compute them where it reads and pass them along."""
    return TraceKeys(content=content_key(trace), behaviour=behaviour_key(trace), outcome=outcome_of(trace))


def _digest(parts: list[str]) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode("utf-8", "surrogatepass"))
        digest.update(b"\x00")
    return digest.hexdigest()


@dataclass
class _Member:
    trace_id: str
    path: str
    outcome: str
    original: str | None = None
    """For an exact duplicate, the trace it repeats."""


@dataclass
class _Cluster:
    representatives: dict[str, str] = field(default_factory=dict)
    """Analysed trace id -> its outcome, in admission order."""
    members: list[_Member] = field(default_factory=list)
    """Traces of this cluster that were not analysed, in input order."""


class ClusterGate:
    """Decides, trace by trace in input order, which traces go to an analyst (``admit``), and carries
    the support of the others into the lessons afterwards (``carry_support``)."""

    def __init__(self, per_cluster: int = DEFAULT_PER_CLUSTER) -> None:
        if per_cluster < 1:
            raise ValueError("per_cluster must be at least 1")
        self.per_cluster = per_cluster
        self._clusters: dict[str, _Cluster] = {}
        self._cluster_of: dict[str, _Cluster] = {}
        self._seen: dict[str, str] = {}
        self._copy_of: dict[str, str] = {}
        """Exact duplicate of an analysed trace -> that trace."""
        self._traces = 0
        self._duplicates = 0
        self._analysed = 0

    def admit(self, trace: Trace, keys: TraceKeys | None = None) -> bool:
        """Record ``trace`` as a member of its cluster; True when it should be analysed.

        ``keys``: ``trace_keys(trace)`` when the caller computed them already (e.g. in the reader process)."""
        keys = keys or trace_keys(trace)
        self._traces += 1
        outcome = keys.outcome
        original = self._seen.setdefault(keys.content, trace.id)
        if original != trace.id:
            self._duplicates += 1
            cluster = self._cluster_of[original]
            self._cluster_of[trace.id] = cluster
            cluster.members.append(_Member(trace.id, trace.source.path, outcome, original))
            if original in cluster.representatives:
                self._copy_of[trace.id] = original
            return False
        cluster = self._clusters.setdefault(keys.behaviour, _Cluster())
        self._cluster_of[trace.id] = cluster
        if self._has_room(cluster, outcome):
            cluster.representatives[trace.id] = outcome
            self._analysed += 1
            return True
        cluster.members.append(_Member(trace.id, trace.source.path, outcome))
        return False

    def _has_room(self, cluster: _Cluster, outcome: str) -> bool:
        taken = len(cluster.representatives)
        if taken < self.per_cluster - 1:
            return True
        if taken >= self.per_cluster:
            return False
        shown = set(cluster.representatives.values())
        # The last slot waits for the outcome not yet seen; once both are in, nothing is waiting for it.
        return outcome not in shown or len(shown) > 1

    def summary(self) -> ClusterSummary:
        """Counts for the report: traces seen, clusters, duplicates, analysed and saved traces."""
        return ClusterSummary(
            per_cluster=self.per_cluster,
            traces=self._traces,
            clusters=len(self._clusters),
            duplicates=self._duplicates,
            analysed=self._analysed,
            saved=self._traces - self._analysed,
        )

    def backers(self) -> dict[str, list[tuple[str, str]]]:
        """Representative trace id -> ``(trace id, path)`` of every unanalysed member that backs it, sorted."""
        out: dict[str, set[tuple[str, str]]] = {}
        for cluster in self._clusters.values():
            by_outcome: dict[str, list[str]] = {}
            for rep, outcome in cluster.representatives.items():
                by_outcome.setdefault(outcome, []).append(rep)
            backed: dict[str, list[str]] = {}
            for member in cluster.members:
                if member.original in cluster.representatives:
                    reps = [member.original]
                elif member.original is not None:
                    reps = backed[member.original]  # an original always comes before its duplicates
                else:
                    reps = by_outcome.get(member.outcome) or list(cluster.representatives)
                backed[member.trace_id] = reps
                for rep in reps:
                    out.setdefault(rep, set()).add((member.trace_id, member.path))
        return {rep: sorted(members) for rep, members in sorted(out.items())}

    def carry_support(self, lessons: list[Lesson]) -> list[Lesson]:
        """``lessons`` with the unanalysed members of their traces' clusters added as evidence and counted
        in ``support`` (see the module docstring); lessons no member backs are returned unchanged."""
        backers = self.backers()
        if not backers:
            return lessons
        out: list[Lesson] = []
        for lesson in lessons:
            first: dict[str, Evidence] = {}
            for item in lesson.evidence:
                first.setdefault(item.trace_id, item)
            extra: dict[str, Evidence] = {}
            for rep in sorted(first):
                for trace_id, path in backers.get(rep, ()):
                    if trace_id in first or trace_id in extra:
                        continue
                    original = self._copy_of.get(trace_id)
                    if original is not None and original in first:
                        extra[trace_id] = first[original].model_copy(update={"trace_id": trace_id, "source": path})
                    else:
                        extra[trace_id] = Evidence(trace_id=trace_id, source=path)
            if not extra:
                out.append(lesson)
                continue
            # The analysed traces' quotes stay first: they are what a reader of the skill sees.
            evidence = [*lesson.evidence, *(extra[t] for t in sorted(extra))]
            support = max(lesson.support, len(first)) + len(extra)
            out.append(lesson.model_copy(update={"evidence": evidence, "support": support}))
        return out
