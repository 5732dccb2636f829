"""Read foreign files into Traces: walk inputs, detect formats, stream records, report what was skipped."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, Field

from skillforge.errors import SkillforgeError
from skillforge.ingest.base import (
    TICKET_FIELDS,
    Probe,
    Reader,
    ReadOptions,
    TraceCounts,
    parse_ticket_columns,
)
from skillforge.ingest.detect import detect, get_reader
from skillforge.ingest.limits import MAX_DEPTH, JSONTooDeep, error_text
from skillforge.ingest.walk import iter_files
from skillforge.models import Skipped, Trace
from skillforge.redact import clean_text

__all__ = [
    "MAX_DEPTH",
    "TICKET_FIELDS",
    "JSONTooDeep",
    "FileReport",
    "ReadOptions",
    "SkippedRecord",
    "TraceCounts",
    "detect",
    "get_reader",
    "inspect_paths",
    "parse_ticket_columns",
    "read_file",
    "read_paths",
]


_T = TypeVar("_T")


class SkippedRecord(BaseModel):
    line: int | None = None
    reason: str


class FileReport(BaseModel):
    """What ``skillforge inspect`` prints for one input file."""

    path: str
    format: str | None
    traces: int = 0
    steps: int = 0
    tool_calls: int = 0
    errors: int = 0
    skipped: list[SkippedRecord] = Field(default_factory=list)


def read_file(path: Path, fmt: str | None = None, options: ReadOptions | None = None) -> Iterator[Trace | Skipped]:
    """Read one file: yield its traces and a ``Skipped`` for every record (or the whole file) it could not read.

    A relative ``path`` is read from ``options.base`` when that is set; what is recorded is ``path``."""
    options = options or ReadOptions()
    if options.base is not None:
        base, options = options.base, replace(options, base=None)
        if not path.is_absolute():
            yield from _as_given(read_file(base / path, fmt, options), base)
            return
    try:
        reader, probe, reason = detect(path, fmt)
    except OSError as exc:
        yield Skipped(path=str(path), reason=f"cannot read: {exc.strerror or exc}")
        return
    yield from _read_detected(path, reader, probe, reason, options)


def _as_given(items: Iterator[Trace | Skipped], base: Path) -> Iterator[Trace | Skipped]:
    """``items`` read from ``base / path`` as if read from ``path`` in ``base``: ``base`` comes off the
    front of every recorded path, and an id made from the recorded path is made from the new one."""
    prefix = str(base).rstrip(os.sep) + os.sep

    def given(recorded: str) -> str:
        return recorded[len(prefix):] if recorded.startswith(prefix) else recorded

    box: list[Trace | Skipped] = []
    for item in items:
        if isinstance(item, Skipped):
            box.append(item.model_copy(update={"path": given(item.path)}))
        else:
            source = item.source
            update: dict[str, object] = {"source": source.model_copy(update={"path": given(source.path)})}
            if item.id == Trace.make_id(source.path, source.index):
                update["id"] = Trace.make_id(given(source.path), source.index)
            box.append(item.model_copy(update=update))
        # As in ``_guarded``: hold no reference while suspended, so a dropped trace is freed.
        del item
        yield box.pop()


def _read_detected(
    path: Path, reader: Reader | None, probe: Probe, reason: str, options: ReadOptions
) -> Iterator[Trace | Skipped]:
    if reader is None:
        yield Skipped(path=str(path), reason=reason)
        return
    yield from _guarded(path, reader, reader.read(path, probe, options))


def _count_detected(
    path: Path, reader: Reader | None, probe: Probe, reason: str, options: ReadOptions
) -> Iterator[TraceCounts | Skipped]:
    """Like ``_read_detected``, but only counts (through the reader's ``count`` where it has one)."""
    if reader is None:
        yield Skipped(path=str(path), reason=reason)
        return
    if reader.count is not None:
        yield from _guarded(path, reader, reader.count(path, probe, options))
        return
    for got in _guarded(path, reader, reader.read(path, probe, options)):
        yield got if isinstance(got, Skipped) else TraceCounts.of(got)


def _guarded(path: Path, reader: Reader, items: Iterator[_T]) -> Iterator[_T | Skipped]:
    """Pass ``items`` through; a reader failing part-way costs this file (reported), never the run.

    A file that yields nothing at all is reported too, so no input silently disappears.
    """
    yielded = False
    try:
        box: list[_T] = []
        for box_item in items:
            yielded = True
            box.append(box_item)
            del box_item
            # Yield from the box so this frame holds no reference while suspended: a big trace the
            # consumer drops is freed before the reader builds the next one.
            yield box.pop()
        if not yielded:
            yield Skipped(path=str(path), reason=f"{reader.name}: no trace in this file (nothing but bookkeeping records)")
    except SkillforgeError as exc:
        hint = f" ({exc.hint})" if exc.hint else ""
        yield Skipped(path=str(path), line=exc.line, reason=f"{reader.name}: {exc.message}{hint}")
    except (OSError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError) as exc:
        # A reader meeting a shape it does not know must cost one file, never the run.
        yield Skipped(
            path=str(path), reason=f"{reader.name} reader could not read this file: {type(exc).__name__}: {error_text(exc)}"
        )
    except Exception as exc:
        if not _is_parse_error(exc):
            raise
        # ijson's errors (truncated or invalid JSON met while streaming) derive from none of the above.
        yield Skipped(path=str(path), reason=f"{reader.name}: invalid or truncated JSON: {error_text(exc)}")


def _is_parse_error(exc: Exception) -> bool:
    import ijson

    return isinstance(exc, ijson.JSONError)


def read_paths(
    paths: Iterable[str | Path], fmt: str | None = None, options: ReadOptions | None = None
) -> Iterator[Trace | Skipped]:
    """Read every file under ``paths`` (sorted), yielding traces and skips as they come."""
    if fmt is not None:
        get_reader(fmt)  # fail fast on an unknown --format, before walking anything
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            yield item
            continue
        yield from read_file(item, fmt, options)


def inspect_paths(
    paths: Iterable[str | Path],
    fmt: str | None = None,
    options: ReadOptions | None = None,
    *,
    on_file: Callable[[str], None] | None = None,
) -> list[FileReport]:
    """Summarise each input file: format, trace/step/tool-call/error counts and skipped records.

    Counts equal those of the traces ``read_paths`` yields; readers with a ``count`` function (Claude
    Code) produce them without building the traces: a 300 MB session is inspected in ~140 MB of RSS.

    ``on_file`` is called with each path as it is reached (for a progress line). An unknown
    ``fmt`` raises ``InputError`` before anything is read.
    """
    if fmt is not None:
        get_reader(fmt)
    reports: list[FileReport] = []
    for report in _inspect(paths, fmt, options, on_file):
        # Printed and written as JSON: a file name or a skip reason may quote a secret.
        report.path = clean_text(report.path)
        for skipped in report.skipped:
            skipped.reason = clean_text(skipped.reason)
        reports.append(report)
    return reports


def _inspect(
    paths: Iterable[str | Path], fmt: str | None, options: ReadOptions | None, on_file: Callable[[str], None] | None
) -> Iterator[FileReport]:
    for item in iter_files(paths):
        if on_file is not None:
            on_file(item.path if isinstance(item, Skipped) else str(item))
        if isinstance(item, Skipped):
            yield FileReport(path=item.path, format=None, skipped=[SkippedRecord(reason=item.reason)])
            continue
        try:
            reader, probe, reason = detect(item, fmt)
        except OSError as exc:
            reason = f"cannot read: {exc.strerror or exc}"
            yield FileReport(path=str(item), format=None, skipped=[SkippedRecord(reason=reason)])
            continue
        report = FileReport(path=str(item), format=reader.name if reader else None)
        for got in _count_detected(item, reader, probe, reason, options or ReadOptions()):
            if isinstance(got, Skipped):
                report.skipped.append(SkippedRecord(line=got.line, reason=got.reason))
                continue
            report.traces += 1
            report.steps += got.steps
            report.tool_calls += got.tool_calls
            report.errors += got.errors
        yield report
