"""Provenance by section: for each heading of a skill, the lessons (rules) behind it and their traces.

The registry stores whatever JSON was published beside a version; distill writes
``skillforge.models.provenance.Provenance``. Anything else is still shown, as raw JSON, rather than
hidden. Pure: no textual, no registry.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from skillforge.models.provenance import Provenance, ProvenanceRule
from skillforge.skills.markdown import normalize_heading, sections

_MARKER = re.compile(r"<!--\s*sf:([A-Za-z0-9_.:-]+)\s*-->")


@dataclass
class SectionProvenance:
    """One section of the skill and the rules recorded for it."""

    label: str
    """``Heading`` for SKILL.md, ``references/x.md › Heading`` for other files."""
    rules: list[ProvenanceRule] = field(default_factory=list)
    in_text: bool = True
    """False when the heading is no longer in this version's files (e.g. removed by a hand edit)."""

    @property
    def trace_ids(self) -> list[str]:
        return sorted({t for rule in self.rules for t in rule_traces(rule)})


@dataclass
class ProvenanceView:
    """What the provenance tab shows: sections in document order, plus what could not be read."""

    sections: list[SectionProvenance]
    provenance: Provenance | None = None
    raw: str | None = None
    """Pretty JSON of a provenance record that is not in skillforge's format."""
    markers: set[str] = field(default_factory=set)
    """Rule ids whose ``<!-- sf:id -->`` marker is present in this version's files."""

    @property
    def recorded(self) -> bool:
        return self.provenance is not None or self.raw is not None


def rule_traces(rule: ProvenanceRule) -> list[str]:
    """A rule's trace ids: its own list, else the traces its evidence points to."""
    return sorted(set(rule.trace_ids) | {e.trace_id for e in rule.evidence})


def parse(raw: dict[str, Any] | None) -> tuple[Provenance | None, str | None]:
    """``(Provenance, None)`` for skillforge's format, ``(None, pretty JSON)`` for anything else."""
    if not raw:
        return None, None
    try:
        return Provenance.model_validate(raw), None
    except ValidationError:
        return None, json.dumps(raw, indent=2, sort_keys=True, ensure_ascii=False)


def build(files: dict[str, str], raw: dict[str, Any] | None) -> ProvenanceView:
    """Group provenance rules under the sections of the version's files, in document order.

    Every SKILL.md heading is listed (a section without rules says so); rules of other files or of
    headings the text no longer has are appended after them.
    """
    provenance, pretty = parse(raw)
    position = {m.group(1): (path, m.start()) for path, text in files.items() for m in _MARKER.finditer(text)}
    # Reading order: a rule whose marker is in the text sits where the marker is; the others keep their order.
    rules = sorted(
        provenance.rules if provenance else [], key=lambda r: position.get(r.id, (r.file, 1 << 60))
    )
    by_key: dict[tuple[str, str], list[ProvenanceRule]] = {}
    for rule in rules:
        by_key.setdefault((rule.file, normalize_heading(rule.section)), []).append(rule)
    ordered: list[SectionProvenance] = []
    seen: set[tuple[str, str]] = set()
    for path in _files_in_order(files, {f for f, _ in by_key}):
        for section in sections(files[path].splitlines()):
            key = (path, section.heading)
            if key in seen or (path != "SKILL.md" and key not in by_key):
                continue
            seen.add(key)
            ordered.append(SectionProvenance(_label(path, section.heading), by_key.get(key, [])))
    for key, found in by_key.items():
        if key not in seen:
            ordered.append(SectionProvenance(_label(*key), found, in_text=False))
    return ProvenanceView(ordered, provenance, pretty, set(position))


def _files_in_order(files: dict[str, str], with_rules: set[str]) -> list[str]:
    rest = sorted(p for p in with_rules if p in files and p != "SKILL.md")
    return (["SKILL.md"] if "SKILL.md" in files else []) + rest


def _label(path: str, heading: str) -> str:
    return heading if path == "SKILL.md" else f"{path} › {heading}"


def strip_markers(text: str) -> str:
    """SKILL.md without its ``<!-- sf:id -->`` markers, for reading."""
    return _MARKER.sub("", text)
