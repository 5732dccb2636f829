"""Parse the registry's unified diff into files, hunks and numbered lines, and pair them side by side.

Pure: the diff view widget colours what this returns.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from itertools import zip_longest
from typing import Literal

Tag = Literal[" ", "-", "+"]
RowKind = Literal["same", "change", "del", "add"]
_HUNK = re.compile(r"^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@")


@dataclass
class DiffLine:
    tag: Tag
    text: str
    old: int | None
    """Line number in the older version (None for an added line)."""
    new: int | None


@dataclass
class Hunk:
    header: str
    lines: list[DiffLine] = field(default_factory=list)


@dataclass
class FileDiff:
    path: str
    notes: list[str] = field(default_factory=list)
    """Mode changes, binary files, created/deleted."""
    hunks: list[Hunk] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(1 for h in self.hunks for line in h.lines if line.tag == "+")

    @property
    def removed(self) -> int:
        return sum(1 for h in self.hunks for line in h.lines if line.tag == "-")


@dataclass
class SideRow:
    """One row of a side-by-side diff; either side may be empty."""

    old_no: int | None
    old: str | None
    new_no: int | None
    new: str | None
    kind: RowKind


def parse_diff(text: str) -> list[FileDiff]:
    """Files of a ``Registry.diff`` text, in its order (paths sorted by the registry)."""
    files: list[FileDiff] = []
    current: FileDiff | None = None
    hunk: Hunk | None = None
    old = new = 0
    for line in text.splitlines():
        if line.startswith("diff ") and " -- " in line:
            current = FileDiff(line.split(" -- ", 1)[1])
            files.append(current)
            hunk = None
            continue
        if current is None:
            continue
        match = _HUNK.match(line)
        if match:
            old, new = int(match.group(1)), int(match.group(2))
            hunk = Hunk(line)
            current.hunks.append(hunk)
        elif hunk is None:
            if line.startswith("--- /dev/null"):
                current.notes.append("new file")
            elif line.startswith("+++ /dev/null"):
                current.notes.append("deleted")
            elif not line.startswith(("--- ", "+++ ")):
                current.notes.append(line)
        elif line.startswith("\\"):
            continue  # "\ No newline at end of file" belongs to the line above; the text shows it anyway
        elif line[:1] in ("-", "+", " ") or line == "":
            tag: Tag = line[:1] if line else " "  # type: ignore[assignment]
            body = line[1:]
            if tag == "-":
                hunk.lines.append(DiffLine("-", body, old, None))
                old += 1
            elif tag == "+":
                hunk.lines.append(DiffLine("+", body, None, new))
                new += 1
            else:
                hunk.lines.append(DiffLine(" ", body, old, new))
                old += 1
                new += 1
    return files


def side_by_side(hunk: Hunk) -> list[SideRow]:
    """Pair each run of removed lines with the added lines that follow it; context lines sit on both sides."""
    rows: list[SideRow] = []
    removed: list[DiffLine] = []
    added: list[DiffLine] = []

    def flush() -> None:
        for a, b in zip_longest(removed, added):
            kind: RowKind = "change" if a and b else "del" if a else "add"
            rows.append(
                SideRow(
                    a.old if a else None,
                    a.text if a else None,
                    b.new if b else None,
                    b.text if b else None,
                    kind,
                )
            )
        removed.clear()
        added.clear()

    for line in hunk.lines:
        if line.tag == "-":
            if added:
                flush()
            removed.append(line)
        elif line.tag == "+":
            added.append(line)
        else:
            flush()
            rows.append(SideRow(line.old, line.text, line.new, line.text, "same"))
    flush()
    return rows
