"""Choose a reader for a file by its content (and, as a tie-breaker only, its name)."""

from __future__ import annotations

from pathlib import Path

from skillforge import plugins
from skillforge.errors import InputError
from skillforge.ingest.base import Probe, Reader
from skillforge.ingest.probe import probe

MIN_CONFIDENCE = 0.3


def get_reader(name: str) -> Reader:
    """The reader of format ``name`` (built-in or from a plugin); ``InputError`` listing the choices otherwise."""
    readers = plugins.readers()
    if name not in readers:
        raise InputError(f"unknown format {name!r}", hint="choose one of: " + ", ".join(readers))
    return readers[name]


def detect(path: Path, fmt: str | None = None) -> tuple[Reader | None, Probe, str]:
    """Return ``(reader, probe, reason)``; ``reader`` is None when nothing fits, and ``reason`` says why."""
    p = probe(path)
    if p.kind == "empty":
        return None, p, "empty file"
    if p.kind == "binary":
        return None, p, "binary file, not a trace"
    if p.problem:
        return None, p, p.problem
    if fmt is not None:
        return get_reader(fmt), p, f"forced format {fmt}"
    best: Reader | None = None
    best_score = 0.0
    for reader in plugins.readers().values():
        try:
            score = reader.sniff(p)
        except Exception:  # noqa: BLE001 - one reader's sniffing bug must not stop the run or hide other readers
            continue
        if score > best_score:
            best, best_score = reader, score
    if best is None or best_score < MIN_CONFIDENCE:
        return None, p, f"unknown format ({_describe(p)}); use --format NAME to force a reader"
    return best, p, f"detected {best.name} ({best_score:.2f})"


def _describe(p: Probe) -> str:
    if p.kind == "json":
        sk = p.skeleton
        if isinstance(sk, dict):
            return "JSON object with keys " + ", ".join(sorted(map(str, sk))[:8])
        if isinstance(sk, list):
            return "JSON array"
        return "JSON scalar"
    if p.kind == "jsonl":
        first = p.first_record
        keys = ", ".join(sorted(map(str, first))[:8]) if isinstance(first, dict) else type(first).__name__
        return f"JSONL records with keys {keys}"
    first = p.text.lstrip().split("\n", 1)[0].strip()
    if first[:1] in ("{", "["):
        return "text that starts like JSON but does not parse as JSON or JSONL"
    shown = first if len(first) <= 80 else first[:77] + "..."
    if max(first.count(c) for c in ",;\t|") >= 1 and p.suffix in (".csv", ".tsv", ".txt", ""):
        return (f"CSV with header {shown!r}; for tickets use --format tickets-csv "
                "--ticket-columns subject=<column>,body=<column>")
    return f"text starting {shown!r}" if shown else "text"
