"""What a distill run reads, as its analyzer sees it.

Iterating an ``Intake`` streams the redacted traces of its paths (each counted, its origin and a
slim copy for the poisoned-lesson check remembered, then dropped). An analyzer that reads the files
itself (the model analyzer: a child-process feed and cached stage snapshots) takes ``paths``,
``fmt``, ``options`` and ``redact_emails`` instead, and tells the intake what it read with
``read_elsewhere``; the report then counts the same things either way.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path

from skillforge.ingest import ReadOptions, read_paths
from skillforge.models import Skipped, Trace
from skillforge.models.scan import QuarantinedLesson
from skillforge.redact import redact_skipped, redact_trace_in_place
from skillforge.scan.poison import slim_trace

__all__ = ["MAX_SKIPPED", "Intake", "TraceOrigin"]

MAX_SKIPPED = 500
"""Skipped records listed in the report; the rest are only counted."""

TraceOrigin = tuple[str, str, str, str]
"""``(trace id, source path, format name, kind)`` of a trace an analyzer read itself."""


class Intake:
    """The inputs of one run: an iterable of redacted traces plus what was read, skipped and where from."""

    def __init__(
        self,
        paths: Sequence[str | Path],
        *,
        fmt: str | None = None,
        options: ReadOptions | None = None,
        redact_emails: bool = False,
        on_trace: Callable[[Trace], None] | None = None,
        out: Path | None = None,
        into: str | None = None,
    ) -> None:
        self.paths = [str(p) for p in paths]
        self.fmt = fmt
        self.options = options
        self.redact_emails = redact_emails
        self.on_trace = on_trace
        self.out = out
        """Where the run writes; an analyzer that keys a resume log by the whole command needs it."""
        self.into = into
        self.formats: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.origin: dict[str, tuple[str, str]] = {}
        """Trace id -> (source path, format), for provenance."""
        self.skipped: list[Skipped] = []
        self.skipped_total = 0
        self.evidence: dict[str, Trace] = {}
        """A slim copy of every trace, for the poisoning check on the lessons' evidence."""
        self.screened = False
        """True when the analyzer ran the poisoned-lesson check itself (where it held the traces)."""
        self.quarantined: list[QuarantinedLesson] = []
        """What that check kept out."""

    def __iter__(self) -> Iterator[Trace]:
        for item in read_paths(self.paths, self.fmt, self.options):
            if isinstance(item, Skipped):
                self.skip(item)
                continue
            # The reader's trace is ours alone: redact it in place (only changed steps are replaced) so a
            # huge session is never held twice.
            trace = redact_trace_in_place(item, redact_emails=self.redact_emails)
            del item
            self._count(trace.id, trace.source.path, trace.source.format, trace.kind)
            self.evidence[trace.id] = slim_trace(trace)
            if self.on_trace is not None:
                self.on_trace(trace)
            yield trace
            del trace  # not pinned here while the reader builds the next one

    def skip(self, item: Skipped) -> None:
        """Count a file or record that could not be used; list the first ``MAX_SKIPPED``."""
        self.skipped_total += 1
        if len(self.skipped) < MAX_SKIPPED:
            # Whoever produced the skip should have redacted it already; an analyzer's own reader may not.
            self.skipped.append(redact_skipped(item, redact_emails=self.redact_emails))

    def read_elsewhere(
        self, traces: Iterable[TraceOrigin], skipped: Iterable[Skipped], quarantined: Iterable[QuarantinedLesson]
    ) -> None:
        """For an analyzer that read the files itself: the traces it read, what it skipped, and the
        lessons its own poisoned-lesson check kept out (the pipeline then does not check again)."""
        for trace_id, path, fmt, kind in traces:
            self._count(trace_id, path, fmt, kind)
        for item in skipped:
            self.skip(item)
        self.quarantined.extend(quarantined)
        self.screened = True

    @property
    def traces(self) -> int:
        return sum(self.formats.values())

    def _count(self, trace_id: str, path: str, fmt: str, kind: str) -> None:
        self.formats[fmt] += 1
        self.kinds[kind] += 1
        self.origin[trace_id] = (path, fmt)
