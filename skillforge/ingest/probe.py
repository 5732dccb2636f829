"""Look at the start of a file and learn its shape without reading it whole."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from skillforge.ingest.base import HEAD_BYTES, SKELETON_SCAN_BYTES, SNIFF_LINES, Probe

_STRING_CUT = 2000


def probe(path: Path) -> Probe:
    """Classify ``path`` as empty, binary, JSON document, JSONL or text, with a sample of its content."""
    size = path.stat().st_size
    with path.open("rb") as fh:
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
    skeleton = _skeleton(path)
    if skeleton is None and lines:
        # The document as a whole did not parse, but its first line did: a JSONL file with one record,
        # or a JSONL file whose later lines are damaged.
        return Probe(path=path, size=size, head=head, kind="jsonl", text=text, lines=lines)
    if skeleton is None:
        return Probe(path=path, size=size, head=head, kind="text", text=text)
    return Probe(path=path, size=size, head=head, kind="json", text=text, lines=lines, skeleton=skeleton)


def _looks_binary(head: bytes) -> bool:
    sample = head[:8192]
    if b"\x00" in sample:
        return True
    try:
        sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut at the sample's end is not binary.
        if exc.start < len(sample) - 4:
            control = sum(1 for b in sample if b < 9 or 13 < b < 32)
            return control > len(sample) // 100 or exc.reason != "unexpected end of data"
    return False


def _jsonl_records(head: bytes, *, complete: bool) -> list[Any]:
    records: list[Any] = []
    chunks = head.split(b"\n")
    if not complete:
        chunks = chunks[:-1]  # the last piece may be cut mid-line
    for chunk in chunks:
        chunk = chunk.strip()
        if not chunk:
            continue
        try:
            records.append(json.loads(chunk))
        except (json.JSONDecodeError, UnicodeDecodeError):
            if not records:
                return []  # line 1 is not JSON: not JSONL (probably pretty-printed JSON)
            continue
        if len(records) >= SNIFF_LINES:
            break
    return records


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
        data = self.fh.read(n)
        self.left -= len(data)
        return data


def _skeleton(path: Path) -> Any:
    """Stream the document with ijson, keeping scalars and the first element of every array."""
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
        with path.open("rb") as fh:
            for _prefix, event, value in ijson.parse(_Reader(fh, SKELETON_SCAN_BYTES), use_float=True):
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
    except Exception:  # noqa: BLE001 - ijson raises several unrelated types for malformed input
        return None
    return root if done else None
