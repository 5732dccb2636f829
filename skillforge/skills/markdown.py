"""Find the sections of a Markdown document: ATX headings outside fenced code, and the lines each one spans."""

from __future__ import annotations

import re
from dataclasses import dataclass

_HEADING = re.compile(r"^(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$")
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")


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
    fence: str | None = None
    for number, line in enumerate(lines):
        fence_match = _FENCE.match(line)
        if fence_match:
            marker = fence_match.group(1)
            if fence is None:
                fence = marker[0] * 3
            elif marker.startswith(fence):
                fence = None
            continue
        if fence is not None:
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
