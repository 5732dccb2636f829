"""The reader contract and the streaming primitives every reader shares.

A reader is two functions: ``sniff(probe) -> float`` (0 = not mine, 1 = certainly mine) and
``read(path, probe, options) -> Iterator[Trace | Skipped]``. Readers stream: they never hold a
whole large file in memory, and every unreadable record becomes a ``Skipped`` naming the line.
A reader may add ``count(path, probe, options) -> Iterator[TraceCounts | Skipped]``, which ``inspect``
uses to count what ``read`` would yield without building the traces.

Readers are registered through the ``register_readers`` hook (``skillforge.hookspecs``): the built-ins in
``formats/`` and any plugin's alike, so detection by content treats them the same.
"""

from __future__ import annotations

import gc
import json
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from skillforge.ingest.limits import JSONStream, JSONTooDeep, check_depth, json_loads, loads, open_input
from skillforge.models import Skipped, Trace

HEAD_BYTES = 1 << 20
"""How much of a file's start the probe reads."""
SNIFF_LINES = 50
"""How many JSONL records the probe parses (Claude Code files often open with non-message records)."""
MAX_LINE_BYTES = 64 << 20
"""A JSONL record longer than this is skipped with a reason rather than parsed."""
SKELETON_SCAN_BYTES = 64 << 20
"""How far into a single JSON document the probe streams to learn its shape."""
TEXT_BUDGET = 16 << 20
"""Characters of text a reader keeps from one file before clipping every further text hard.

A 300 MB session must become a trace that fits in memory next to the rest of a run; past the budget
texts keep their head and tail only, and the trace's metadata says so (``text_budget``)."""

ProbeKind = Literal["empty", "binary", "json", "jsonl", "text"]


TICKET_FIELDS = ("id", "subject", "body", "messages", "resolution", "status", "priority", "tags", "created_at")
"""Our ticket fields, in the order help texts list them."""


@dataclass
class ReadOptions:
    """Knobs readers accept; the defaults fit the formats as real tools write them."""

    ticket_columns: dict[str, str] = field(default_factory=dict)
    """Maps our ticket fields (``TICKET_FIELDS``) to the file's column (CSV) or key (JSON) names."""
    max_line_bytes: int = MAX_LINE_BYTES
    text_budget: int = TEXT_BUDGET
    base: Path | None = None
    """The folder a relative input path is read from (None: the working folder), for a reader in
    another process than the caller's (a Ray worker). ``read_file`` applies it, readers never see it:
    traces and skips still record the path as given, and trace ids are made from that."""


def parse_ticket_columns(spec: str | None) -> dict[str, str]:
    """Parse ``"id=Ticket ID,body=Description"`` into ``{"id": "Ticket ID", "body": "Description"}``.

    Column names keep their inner spaces and case; our field names must be among ``TICKET_FIELDS``.
    Raises ``InputError`` naming the bad part, so the CLI prints one line.
    """
    from skillforge.errors import InputError

    mapping: dict[str, str] = {}
    if not spec or not spec.strip():
        return mapping
    for part in spec.split(","):
        if not part.strip():
            continue
        ours, sep, theirs = part.partition("=")
        ours, theirs = ours.strip().lower(), theirs.strip()
        if not sep or not ours or not theirs:
            raise InputError(
                f"bad --ticket-columns entry {part.strip()!r}", hint="write FIELD=Column, e.g. id=Ticket ID,body=Description"
            )
        if ours not in TICKET_FIELDS:
            raise InputError(f"unknown ticket field {ours!r} in --ticket-columns", hint="fields: " + ", ".join(TICKET_FIELDS))
        mapping[ours] = theirs
    return mapping


@dataclass
class Probe:
    """What detection learned from a file without reading it whole."""

    path: Path
    size: int
    head: bytes
    kind: ProbeKind
    text: str = ""
    """The head decoded as UTF-8 (with replacement), for text sniffing."""
    lines: list[Any] = field(default_factory=list)
    """First parsed JSONL records (kind == 'jsonl', or a one-line JSON document)."""
    skeleton: Any = None
    """kind == 'json': the document's shape — scalars kept (long strings cut), every array cut to its
    first element. Enough to see keys like ``trajectory_format`` or ``history[0].message_type``."""
    problem: str = ""
    """Why no reader can use this file at all, found while probing (JSON nested past ``MAX_DEPTH``)."""

    @property
    def suffix(self) -> str:
        return self.path.suffix.lower()

    @property
    def first_record(self) -> Any:
        return self.lines[0] if self.lines else None


@dataclass(frozen=True)
class TraceCounts:
    """What ``inspect`` reports of one trace: its steps, tool calls and failed tool calls."""

    steps: int
    tool_calls: int
    errors: int

    @classmethod
    def of(cls, trace: Trace) -> TraceCounts:
        return cls(steps=len(trace.steps), tool_calls=trace.tool_calls, errors=trace.errors)


SniffFn = Callable[[Probe], float]
ReadFn = Callable[[Path, Probe, ReadOptions], Iterator["Trace | Skipped"]]
CountFn = Callable[[Path, Probe, ReadOptions], Iterator["TraceCounts | Skipped"]]


@dataclass(frozen=True)
class Reader:
    """A named format: how to recognise it and how to read it."""

    name: str
    sniff: SniffFn
    read: ReadFn
    description: str = ""
    count: CountFn | None = None
    """Counts what ``read`` yields, for formats whose traces are too big to build just to count them."""


_T = TypeVar("_T")


def gc_paused(items: Iterator[_T]) -> Generator[_T, None, None]:
    """Yield ``items``, running their producer with the cyclic garbage collector paused.

    A reader that keeps a node per record holds ~10^6 container objects for a 300 MB file; every
    full collection walks them all, finds no garbage (records hold no reference cycles) and costs
    ~20% of the read. Pausing only while the producer runs leaves the consumer's code as it was,
    and reference counting still frees everything as usual.
    """
    box: list[_T] = []
    try:
        while True:
            enabled = gc.isenabled()
            gc.disable()
            try:
                box.append(next(items))
            except StopIteration:
                return
            finally:
                if enabled:
                    gc.enable()
            yield box.pop()  # no reference kept here while the consumer holds the item
    finally:
        close = getattr(items, "close", None)
        if close is not None:
            close()


_CHUNK = 1 << 20


def _read_line(fh: Any, limit: int) -> tuple[bytes, bool]:
    """The next line (b"" at end of file) and whether it was longer than ``limit`` and dropped.

    Short lines cost one ``readline``; a long line grows one buffer in 1 MiB pieces, and a line past
    ``limit`` is drained without being kept, so memory stays near ``limit`` whatever the line length.
    """
    first = fh.readline(_CHUNK)
    if not first or first.endswith(b"\n") or len(first) < _CHUNK:
        return first, False
    buf = bytearray(first)
    while True:
        piece = fh.readline(_CHUNK)
        if not piece:
            break
        if len(buf) + len(piece.rstrip(b"\r\n")) > limit:
            buf = bytearray()
            while piece and not piece.endswith(b"\n"):
                piece = fh.readline(_CHUNK)
            return b"", True
        buf += piece
        if piece.endswith(b"\n"):
            break
    return bytes(buf), False


def iter_jsonl(
    path: Path, *, max_line_bytes: int = MAX_LINE_BYTES, lines: Iterable[int] | None = None
) -> Iterator[tuple[int, Any | Skipped]]:
    """Yield ``(line_number, record)`` for each non-blank line; bad lines yield a ``Skipped`` instead.

    A 100 MB line costs at most ``max_line_bytes`` of memory and is skipped with a reason, and
    invalid UTF-8 or JSON, or a record nested deeper than ``MAX_DEPTH``, on one line never stops the
    rest of the file. With ``lines`` (increasing line numbers), only those lines are parsed: a second
    pass over a file.
    """
    wanted = iter(lines) if lines is not None else None
    upcoming = next(wanted, None) if wanted is not None else None
    with open_input(path) as fh:
        lineno = 0
        while True:
            raw, oversize = _read_line(fh, max_line_bytes)
            if not raw and not oversize:
                return
            lineno += 1
            if wanted is not None:
                while upcoming is not None and upcoming < lineno:
                    upcoming = next(wanted, None)
                if upcoming != lineno:
                    continue
            if oversize:
                yield lineno, Skipped(
                    path=str(path), line=lineno, reason=f"line longer than {max_line_bytes >> 20} MiB, skipped"
                )
                continue
            stripped = raw.strip()
            if not stripped:
                continue
            try:
                text = stripped.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, Skipped(path=str(path), line=lineno, reason=f"invalid UTF-8 at byte {exc.start}")
                continue
            try:
                check_depth(stripped)
            except JSONTooDeep as exc:
                yield lineno, Skipped(path=str(path), line=lineno, reason=f"{exc.message}, skipped")
                continue
            try:
                yield lineno, json_loads(text)
            except json.JSONDecodeError as exc:
                what = "truncated JSON" if exc.pos >= len(text) - 1 else f"invalid JSON ({exc.msg})"
                yield lineno, Skipped(path=str(path), line=lineno, reason=what)


def load_json(path: Path, *, max_bytes: int = 512 << 20) -> Any:
    """Parse one JSON document; raise ``FormatError`` with position on failure (``JSONTooDeep`` past
    ``MAX_DEPTH`` levels)."""
    from skillforge.errors import FormatError

    size = path.stat().st_size
    if size > max_bytes:
        raise FormatError(f"JSON document of {size >> 20} MiB exceeds the {max_bytes >> 20} MiB limit", path=path)
    try:
        return loads(path.read_bytes())
    except JSONTooDeep:
        raise JSONTooDeep(path=path) from None
    except UnicodeDecodeError as exc:
        raise FormatError(f"invalid UTF-8 at byte {exc.start}", path=path) from None
    except json.JSONDecodeError as exc:
        raise FormatError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None


def iter_json_array(path: Path, prefix: str = "item") -> Iterator[Any]:
    """Stream the elements of a JSON array (or any ijson prefix) without loading the file.

    Raises ``JSONTooDeep`` on reaching nesting past ``MAX_DEPTH`` (the elements before it are yielded).
    """
    import ijson

    done = 0
    try:
        with open_input(path) as fh:
            for item in ijson.items(JSONStream(fh), prefix, use_float=True):
                yield item
                done += 1
    except UnicodeDecodeError:
        # A lone surrogate escape ("\udc80") is valid JSON that ijson's C parser turns into invalid
        # UTF-8. A document of moderate size is parsed whole instead, strings made encodable, and the
        # items not yet given are yielded; a larger one stays an error.
        if path.stat().st_size > FALLBACK_JSON_BYTES:
            raise
        yield from list(_items_at(loads(path.read_bytes()), prefix.split(".") if prefix else []))[done:]


FALLBACK_JSON_BYTES = 64 << 20


def _items_at(value: Any, parts: list[str]) -> Iterator[Any]:
    """What ijson's ``items(prefix)`` yields, from an already parsed document."""
    if not parts:
        yield value
        return
    head, rest = parts[0], parts[1:]
    if head == "item" and isinstance(value, list):
        for element in value:
            yield from _items_at(element, rest)
    elif isinstance(value, dict) and head in value:
        yield from _items_at(value[head], rest)




def as_text(value: Any, limit: int | None = None) -> str:
    """Flatten message content (string, list of text blocks, dict) into plain text."""
    if value is None:
        out = ""
    elif isinstance(value, str):
        out = value
    elif isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                if isinstance(item.get("text"), str):
                    parts.append(item["text"])
                elif isinstance(item.get("content"), (str, list)):
                    parts.append(as_text(item["content"]))
                elif item.get("type") == "image" or item.get("type") == "image_url":
                    parts.append("[image]")
            elif isinstance(item, str):
                parts.append(item)
        out = "\n".join(p for p in parts if p)
    elif isinstance(value, dict):
        if isinstance(value.get("text"), str):
            out = value["text"]
        elif "content" in value:
            out = as_text(value["content"])
        else:
            out = json.dumps(value, sort_keys=True, ensure_ascii=False)
    else:
        out = str(value)
    if limit is not None and len(out) > limit:
        out = out[:limit]
    return out


def parse_arguments(raw: Any) -> dict[str, Any] | str:
    """Tool-call arguments arrive as a JSON string, a dict, or free text; keep dicts, parse JSON strings."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, str):
        try:
            value = loads(raw)
        except ValueError:  # not JSON, or nested past MAX_DEPTH: kept as the text it is
            return raw
        return value if isinstance(value, dict) else raw
    if raw is None:
        return {}
    return json.dumps(raw, sort_keys=True)


STEP_TEXT_LIMIT = 8000
"""Longest text kept per step; a trace of a 300 MB session must fit in memory, so the middle of a
huge tool output is cut (head and tail kept, the cut is marked)."""


def clip(text: str, limit: int = STEP_TEXT_LIMIT) -> str:
    """Keep the head and tail of ``text`` within ``limit`` characters, marking what was cut."""
    if len(text) <= limit:
        return text
    half = limit // 2
    cut = len(text) - 2 * half
    return f"{text[:half]}\n[... {cut} characters cut ...]\n{text[-half:]}"


def clip_arguments(args: dict[str, Any] | str, limit: int = STEP_TEXT_LIMIT) -> dict[str, Any] | str:
    """``clip`` every long string inside tool-call arguments (a Write of a whole file, say)."""
    if isinstance(args, str):
        return clip(args, limit)
    return {k: clip(v, limit) if isinstance(v, str) else v for k, v in args.items()}


_ERROR_MARKERS = (
    "Traceback (most recent call last)",
    "command not found",
    "No such file or directory",
    "Permission denied",
    "SyntaxError:",
    "ModuleNotFoundError:",
    "ImportError:",
    "fatal:",
    "error:",
    "Error:",
    "ERROR:",
    "FAILED",
    "Exception:",
    "Your proposed edit has introduced new syntax error",
)


def looks_like_error(output: str) -> bool:
    """For formats that do not flag failed tool calls: does this output read as a failure?

    Only the first lines are considered, where shells and interpreters put the error that matters;
    a long successful output that mentions 'error' deep inside is not a failure.
    """
    head = output[:2000]
    if head.lstrip().startswith(("Error", "error", "ERROR", "fatal:", "Traceback")):
        return True
    return any(marker in head for marker in _ERROR_MARKERS[:7]) or "Your proposed edit has introduced" in head
