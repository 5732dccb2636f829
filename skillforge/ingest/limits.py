"""Limits on what one JSON value may cost, checked before the value is built.

Two hostile shapes are cheap to write and expensive to read:

* **Deep nesting.** ``[[[[...]]]]`` 400 levels deep parses, then breaks every recursive walk after it
  (redaction, digests, validation) with a ``RecursionError``; 100,000 levels deep costs ijson memory
  quadratic in the depth (each event carries its full prefix). Every JSON value a reader parses is
  therefore checked against ``MAX_DEPTH`` on its raw bytes first, in linear time, and refused with
  ``JSONTooDeep`` (a ``FormatError`` naming the file and line, and a ``ValueError`` so code that treats
  "not parseable JSON" as plain text keeps doing so).
* **One huge string.** ijson's C backend re-scans a string token from its start each time a read ends
  inside it, so a string spanning *k* reads costs *k²*: minutes for one 200 MB string. ``JSONStream``
  doubles the read size while a string is open, which makes that cost linear (``inspect`` of a chat
  file holding a 20 MB string: 6.6 s -> 0.7 s; 200 MB: over 400 s -> 6 s).
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from pathlib import Path
from typing import Any, BinaryIO

from skillforge.errors import FormatError

MAX_DEPTH = 200
"""Deepest nesting of JSON arrays and objects a reader accepts (real traces stay under ~20 levels).

Deep enough for any tool's output, shallow enough that every recursive walk downstream stays far from
Python's recursion limit of 1000 frames. A record nested deeper is skipped with its file and line."""

STREAM_CHUNK = 1 << 16
"""Bytes ``JSONStream`` reads at a time outside long strings (ijson's own default)."""
STREAM_CHUNK_MAX = 1 << 28
"""Largest single read while a string is open; the string is held whole by the parser anyway."""


class JSONTooDeep(FormatError, ValueError):
    """A JSON value is nested deeper than ``MAX_DEPTH``; raised before the value is built."""

    def __init__(self, limit: int = MAX_DEPTH, *, offset: int = 0, **kw: Any) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels", **kw)
        self.offset = offset
        """Where in the piece fed to ``DepthScanner.feed`` the bracket one level too deep is."""


_KEEP = b'"[]{}'
_DROP = bytes(b for b in range(256) if b not in _KEEP)
_DELTA = [0] * 256
for _b in b"[{":
    _DELTA[_b] = 1
for _b in b"]}":
    _DELTA[_b] = -1


class DepthScanner:
    """Follows the nesting depth of a JSON text fed in pieces; raises ``JSONTooDeep`` past ``limit``.

    Linear in the input and done by C-level bytes operations only (no per-token Python): escapes are
    removed, everything but quotes and brackets is dropped, and what lies between quotes is string
    content, not structure. Invalid JSON is not this class's business: the parser reports it.
    """

    def __init__(self, limit: int = MAX_DEPTH) -> None:
        self.limit = limit
        self.depth = 0
        self.in_string = False
        self.spanned = False
        """Whether the last piece lay wholly inside one string, opened before it and still open."""
        self._escape = False

    def feed(self, chunk: bytes) -> None:
        """Account for the next piece of the text; ``JSONTooDeep.offset`` says where it went too deep."""
        start = (chunk, self.depth, self.in_string, self._escape)
        if self._escape and chunk:
            chunk, self._escape = chunk[1:], False  # the byte after a backslash ending the last piece
        trailing = len(chunk) - len(chunk.rstrip(b"\\")) if chunk.endswith(b"\\") else 0
        if trailing % 2:
            chunk, self._escape = chunk[:-1], True
        # Backslashes pair from the left, so removing every "\\\\" first leaves each remaining backslash
        # escaping the byte after it: an escaped quote is content, never a delimiter.
        if b"\\" in chunk:
            chunk = chunk.replace(b"\\\\", b"").replace(b'\\"', b"")
        marks = chunk.translate(None, _DROP)
        self.spanned = self.in_string and b'"' not in marks
        if self.in_string:
            marks = b'"' + marks
        # Two adjacent quotes close one string and open the next (or open and close an empty one):
        # dropping them keeps every later quote's meaning, and leaves quotes only around strings
        # that contain brackets, which are rare.
        marks = marks.replace(b'""', b"")
        quotes = marks.count(b'"')
        self.in_string = quotes % 2 == 1
        brackets = b"".join(marks.split(b'"')[::2]) if quotes else marks
        opens = brackets.count(b"[") + brackets.count(b"{")
        if self.depth + opens > self.limit:  # could be too deep: follow the running depth exactly
            deepest = max(accumulate(map(_DELTA.__getitem__, brackets)))
            if self.depth + deepest > self.limit:
                raise JSONTooDeep(self.limit, offset=_locate(*start, self.limit))
        self.depth += 2 * opens - len(brackets)


_TOKEN = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.DOTALL)
_STRING_REST = re.compile(rb'[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)


def _locate(chunk: bytes, depth: int, in_string: bool, escape: bool, limit: int) -> int:
    """The offset of the bracket that takes ``chunk`` past ``limit`` (known to be there).

    Token by token, so slower than ``feed``; it runs once, for a text that is being refused.
    """
    pos = 0
    if in_string:
        end = _STRING_REST.match(chunk, 1 if escape else 0)
        if end is None:
            return 0
        pos = end.end()
    for token in _TOKEN.finditer(chunk, pos):
        mark = chunk[token.start()]
        if mark in b"[{":
            depth += 1
            if depth > limit:
                return token.start()
        elif mark in b"]}":
            depth -= 1
    return 0


def check_depth(text: bytes | str, limit: int = MAX_DEPTH) -> None:
    """Raise ``JSONTooDeep`` if the JSON ``text`` nests deeper than ``limit``.

    Texts with at most ``limit`` opening brackets (nearly all) are passed after two ``count`` calls;
    others are scanned in 1 MiB pieces, so the check never holds a second copy of a big text.
    """
    if isinstance(text, str):
        if text.count("[") + text.count("{") <= limit:
            return
        data = text.encode("utf-8", "surrogatepass")
    else:
        if text.count(b"[") + text.count(b"{") <= limit:
            return
        data = text
    scanner = DepthScanner(limit)
    for start in range(0, len(data), _PIECE):
        scanner.feed(data[start : start + _PIECE])


_PIECE = 1 << 20


BOM = b"\xef\xbb\xbf"


def open_input(path: Path) -> BinaryIO:
    """``path`` opened for reading bytes, past a UTF-8 byte-order mark (Windows tools write one)."""
    fh = path.open("rb")
    if fh.read(3) != BOM:
        fh.seek(0)
    return fh


def loads(text: bytes | str, *, limit: int = MAX_DEPTH) -> Any:
    """``json.loads`` that refuses (``JSONTooDeep``) a value nested deeper than ``limit`` before parsing it."""
    if isinstance(text, bytes) and text.startswith(BOM):
        text = text[3:]
    elif isinstance(text, str) and text.startswith("\ufeff"):
        text = text[1:]
    check_depth(text, limit)
    return json_loads(text)


def json_loads(text: bytes | str) -> Any:
    """``json.loads``, except that an integer too long for ``int()`` (Python refuses more than 4,300
    digits) is kept as a clipped string instead of failing the whole record, and a lone surrogate
    escape (``"\\udc80"``, valid JSON but not encodable text) becomes "?" so the record can be written."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise
    except ValueError:
        value = json.loads(text, parse_int=_long_int)
    found = _SURROGATE_BYTES.search(text) if isinstance(text, bytes) else _SURROGATE_TEXT.search(text)
    if found:
        value = _encodable(value)
    return value


_SURROGATE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE_TEXT = re.compile(r"\\u[dD][89a-fA-F]")


def _encodable(value: Any) -> Any:
    """``value`` with every string made encodable as UTF-8 (a lone surrogate becomes "?")."""
    if isinstance(value, str):
        return _encodable_text(value)
    stack = [value]
    while stack:
        item = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in list(pairs):
            if isinstance(child, str):
                item[key] = _encodable_text(child)
            elif isinstance(child, (dict, list)):
                stack.append(child)
    return value


def _encodable_text(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "replace").decode("utf-8")
    return text


_QUOTED = re.compile(r"""(['"]).{6,}?\1""")


def error_text(exc: BaseException) -> str:
    """A parse error's message without the file content it quotes: its first line, quoted stretches
    replaced by ``'…'``. Parsers quote ~30 characters around the fault, which can cut a secret's name
    or prefix off so that redaction no longer recognises what is left."""
    first = (str(exc).strip().splitlines() or [""])[0]
    return _QUOTED.sub(lambda m: f"{m.group(1)}…{m.group(1)}", first)[:200]


def _long_int(digits: str) -> int | str:
    return int(digits) if len(digits) <= 4000 else f"{digits[:20]}...({len(digits)} digits)"


def value_too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether an already-built value (lists, dicts, tuples) nests deeper than ``limit``; iterative."""
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        elif not isinstance(item, (list, tuple)):
            continue
        depth += 1
        if depth > limit:
            return True
        stack.extend((child, depth) for child in item if isinstance(child, (dict, list, tuple)))
    return False


class JSONStream:
    """A binary file wrapper for ijson: checks nesting depth as bytes pass, and reads long strings fast.

    Pass it where ijson takes a file: ``ijson.items(JSONStream(fh), "item")``. A document nested
    deeper than ``limit`` stops the parse with ``JSONTooDeep``. While one string literal stays open
    across whole reads, each read is twice the last (up to ``STREAM_CHUNK_MAX``), so a string of *n*
    bytes takes O(log n) reads and ijson's per-read re-scan of the open token adds up to O(n), not
    O(n²); reads never grow past the longest string, so memory stays bounded by it, not by the file.
    """

    def __init__(self, fh: Any, *, limit: int = MAX_DEPTH, chunk: int = STREAM_CHUNK) -> None:
        self._fh = fh
        self._refused: JSONTooDeep | None = None
        self._scanner = DepthScanner(limit)
        self._chunk = chunk
        self._size = chunk

    def read(self, n: int = -1) -> bytes:
        if n == 0:
            return b""
        if self._refused is not None:
            raise self._refused
        data: bytes = self._fh.read(-1 if n < 0 else max(n, self._size))
        try:
            self._scanner.feed(data)
        except JSONTooDeep as exc:
            if not exc.offset:
                raise
            # The parser gets everything before the bracket too deep, so records before it are kept.
            self._refused = exc
            return data[: exc.offset]
        if self._scanner.spanned:  # one string outlasts a whole read: double, so it needs few reads
            self._size = min(max(n, self._size) * 2, STREAM_CHUNK_MAX)
        else:
            self._size = self._chunk
        return data
