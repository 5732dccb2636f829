"""Look at the start of a file and learn its shape without reading it whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skillforge.ingest.base import HEAD_BYTES, SKELETON_SCAN_BYTES, SNIFF_LINES, Probe
from skillforge.ingest.limits import MAX_DEPTH, JSONStream, JSONTooDeep, loads, open_input, value_too_deep

_STRING_CUT = 2000


def probe(path: Path) -> Probe:
    """Classify ``path`` as empty, binary, JSON document, JSONL or text, with a sample of its content."""
    size = path.stat().st_size
    with open_input(path) as fh:
        head = fh.read(HEAD_BYTES)
    if not head.strip():
        return Probe(path=path, size=size, head=head, kind="empty")
    if _looks_binary(head):
        return Probe(path=path, size=size, head=head, kind="binary")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    first = text.lstrip()[:1]
    if first not in ("{", "["):
        return Probe(path=path, size=size, head=head, kind="text", text=text)

    lines = _jsonl_records(head, complete=size <= len(head))
    if first == "{" and len(lines) >= 2:
        return Probe(path=path, size=size, head=head, kind="jsonl", text=text, lines=lines)
    if first == "{" and not lines and size > len(head) and b"\n" not in head.rstrip(b"\n"):
        # Line 1 alone is longer than the head: a JSONL file opening with a huge record, or one
        # huge minified document. The lines after it tell which, without parsing line 1.
        rest = _after_first_line(path, SKELETON_SCAN_BYTES * 2)
        later = _jsonl_records(rest, complete=len(rest) < HEAD_BYTES) if rest else []
        if later:
            return Probe(path=path, size=size, head=head, kind="jsonl", text=text, lines=later)
    try:
        skeleton = _skeleton(path)
    except JSONTooDeep as exc:
        if lines:  # JSONL whose later lines may be fine: its reader skips the deep ones by line
            return Probe(path=path, size=size, head=head, kind="jsonl", text=text, lines=lines)
        return Probe(path=path, size=size, head=head, kind="json", text=text, problem=f"{exc.message}, not read")
    if skeleton is None and lines:
        # The document as a whole did not parse, but its first line did: a JSONL file with one record,
        # or a JSONL file whose later lines are damaged.
        return Probe(path=path, size=size, head=head, kind="jsonl", text=text, lines=lines)
    if skeleton is None:
        return Probe(path=path, size=size, head=head, kind="text", text=text)
    return Probe(path=path, size=size, head=head, kind="json", text=text, lines=lines, skeleton=skeleton)


def _looks_binary(head: bytes) -> bool:
    """NUL bytes, many control characters or mostly undecodable bytes mean binary.

    A text file with a few bytes of another encoding (one Latin-1 accent in a markdown file, a
    damaged JSONL line) is still text: its readers report the bad line instead of losing the file.
    """
    sample = head[:8192]
    nuls = sample.count(b"\x00")
    if nuls and (nuls > 2 or sample.lstrip()[:1] not in (b"{", b"[")):
        return True  # a stray NUL or two in JSON(L) is one damaged record, which its reader reports by line
    control = sum(1 for b in sample if b < 9 or 13 < b < 32)
    if control > len(sample) // 100:
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError:
        bad = sample.decode("utf-8", errors="replace").count("\ufffd")
        return bad > max(8, len(sample) // 50)
    return False


def _jsonl_records(head: bytes, *, complete: bool) -> list[Any]:
    """Parse the first lines of ``head`` as JSONL records.

    A damaged line (invalid UTF-8, cut JSON) does not disqualify the file as long as most sampled
    lines parse; pretty-printed JSON, whose lines do not parse on their own, is rejected.
    """
    records: list[Any] = []
    bad = 0
    chunks = head.split(b"\n")
    if not complete:
        chunks = chunks[:-1]  # the last piece may be cut mid-line
    for chunk in chunks:
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            records.append(loads(chunk))
        except ValueError:  # invalid JSON or UTF-8, or nested past MAX_DEPTH
            bad += 1
            if bad > len(records) + 2:
                return []  # mostly not JSON on its own: not JSONL (probably pretty-printed JSON)
            continue
        if len(records) >= SNIFF_LINES:
            break
    if bad > len(records) or not records:
        return []
    return records


def _after_first_line(path: Path, limit: int) -> bytes | None:
    """The ``HEAD_BYTES`` after the first newline, found by streaming at most ``limit`` bytes."""
    with open_input(path) as fh:
        seen = 0
        while seen < limit:
            chunk = fh.readline(1 << 20)
            if not chunk:
                return None
            seen += len(chunk)
            if chunk.endswith(b"\n"):
                return fh.read(HEAD_BYTES)
    return None


class _Budget(Exception):
    pass


class _Reader:
    """File wrapper that stops the stream after ``limit`` bytes."""

    def __init__(self, fh: Any, limit: int) -> None:
        self.fh = fh
        self.left = limit

    def read(self, n: int = -1) -> bytes:
        if self.left <= 0:
            raise _Budget
        n = self.left if n < 0 else min(n, self.left)
        data: bytes = self.fh.read(n)
        self.left -= len(data)
        return data


def _skeleton(path: Path) -> Any:
    """Stream the document with ijson, keeping scalars and the first element of every array.

    Raises ``JSONTooDeep`` for a document nested past ``MAX_DEPTH`` levels where the shape is (its
    first element); nesting met later returns the shape seen, for the reader to stop there.
    """
    import ijson

    stack: list[Any] = []
    keys: list[Any] = []
    skip_depth = 0  # >0 while inside the 2nd+ element of some array
    root: Any = None
    done = False

    def add(value: Any) -> None:
        nonlocal root
        if not stack:
            root = value
            return
        parent = stack[-1]
        if isinstance(parent, list):
            parent.append(value)
        else:
            parent[keys[-1]] = value

    try:
        with open_input(path) as fh:
            for _prefix, event, value in ijson.parse(JSONStream(_Reader(fh, SKELETON_SCAN_BYTES)), use_float=True):
                if skip_depth:
                    if event in ("start_map", "start_array"):
                        skip_depth += 1
                    elif event in ("end_map", "end_array"):
                        skip_depth -= 1
                    continue
                if stack and isinstance(stack[-1], list) and stack[-1] and event not in ("end_array",):
                    # Second or later array element: skip it whole.
                    if event in ("start_map", "start_array"):
                        skip_depth = 1
                    continue
                if event == "map_key":
                    keys[-1] = value
                elif event in ("start_map", "start_array"):
                    container: Any = {} if event == "start_map" else []
                    add(container)
                    stack.append(container)
                    keys.append(None)
                elif event in ("end_map", "end_array"):
                    stack.pop()
                    keys.pop()
                    if not stack:
                        done = True
                else:
                    if isinstance(value, str) and len(value) > _STRING_CUT:
                        value = value[:_STRING_CUT]
                    add(value)
                    if not stack:
                        done = True
    except _Budget:
        return root  # a huge document: the shape seen so far is enough to sniff
    except JSONTooDeep:
        if isinstance(root, (dict, list)) and root and not value_too_deep(root, MAX_DEPTH // 2):
            return root  # too deep past the shape kept (a later record): its reader keeps what precedes it
        raise
    except Exception:  # noqa: BLE001 - ijson raises several unrelated types for malformed input
        # A document cut short or damaged part-way still has the shape seen so far, so its reader
        # can keep the records before the damage and report it; a second top-level value (done)
        # means JSONL, and nothing parsed at all means not JSON.
        return root if not done and isinstance(root, (dict, list)) and root else None
    return root if done else None
