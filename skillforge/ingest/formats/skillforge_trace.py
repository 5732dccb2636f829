"""skillforge's own normalized traces (JSONL of Trace objects), as eval runs save them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from pydantic import ValidationError

from skillforge.ingest.base import Probe, Reader, ReadOptions, iter_jsonl
from skillforge.models import Skipped, Trace

_KEYS = {"id", "kind", "source", "steps", "outcome"}


def sniff(probe: Probe) -> float:
    first = probe.first_record
    if probe.kind in ("jsonl", "json") and isinstance(first, dict) and set(first) >= _KEYS:
        source = first.get("source")
        if isinstance(source, dict) and "format" in source:
            return 0.97
    return 0.0


def read(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    for line, record in iter_jsonl(path, max_line_bytes=options.max_line_bytes):
        if isinstance(record, Skipped):
            yield record
            continue
        try:
            yield Trace.model_validate(record)
        except ValidationError as exc:
            yield Skipped(path=str(path), line=line, reason=f"not a skillforge trace: {exc.errors()[0]['msg']}")


READERS = [Reader("skillforge-trace", sniff, read, "skillforge's own traces (eval runs)")]
