"""Find the sections of a Markdown document: ATX headings outside fenced code, and the lines each one spans."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
NESTED_FENCE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
"""A fence at any indent: SKILL.md list items carry their code blocks indented under them."""

FenceEvent = Literal["open", "close", "code"]


def fence_events(lines: list[str], fence_re: re.Pattern[str] = _FENCE) -> Iterator[FenceEvent | None]:
    """For each line: ``open``/``close`` for a fence line, ``code`` inside fenced code, else None.

    A block closes at a fence of the same character at least three long; an unclosed block runs to
    the end. ``fence_re`` (group 1: the fence) says which lines count as fences."""
    fence: str | None = None
    for line in lines:
        match = fence_re.match(line)
        if match:
            marker = match.group(1)
            if fence is None:
                fence = marker[0] * 3
                yield "open"
                continue
            if marker.startswith(fence):
                fence = None
                yield "close"
                continue
        yield "code" if fence is not None else None


@dataclass(frozen=True)
class Section:
    """A heading and the lines it owns (0-based, ``end`` exclusive)."""

    heading: str
    level: int
    start: int
    """Line of the heading itself."""
    body_end: int
    """End of the section's own text: the first sub-heading, or ``end``."""
    end: int
    """End of the section including its sub-sections: the next heading of the same or a higher level."""


def normalize_heading(text: str) -> str:
    """Heading text as compared by edits: leading ``#`` marks and surrounding/double spaces dropped."""
    return " ".join(text.strip().lstrip("#").split())


def sections(lines: list[str]) -> list[Section]:
    """Every heading of ``lines`` (a document split with ``splitlines()``) in document order."""
    found: list[tuple[int, int, str]] = []
    for number, (line, event) in enumerate(zip(lines, fence_events(lines), strict=True)):
        if event is not None:
            continue
        match = _HEADING.match(line)
        if match:
            found.append((number, len(match.group(1)), normalize_heading(match.group(2))))
    result = []
    for i, (start, level, heading) in enumerate(found):
        end = len(lines)
        body_end = None
        for later_start, later_level, _ in found[i + 1 :]:
            if body_end is None:
                body_end = later_start
            if later_level <= level:
                end = later_start
                break
        result.append(Section(heading, level, start, min(body_end if body_end is not None else end, end), end))
    return result


def find_sections(lines: list[str], heading: str) -> list[Section]:
    """All sections whose heading equals ``heading`` (after ``normalize_heading``)."""
    wanted = normalize_heading(heading)
    return [s for s in sections(lines) if s.heading == wanted]
