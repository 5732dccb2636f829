"""The common shape of a detector result before it becomes a Finding."""

from __future__ import annotations

import re
from dataclasses import dataclass

from skillforge.models.scan import Finding, Severity
from skillforge.scan import rules
from skillforge.scan.text import excerpt


@dataclass(frozen=True)
class Hit:
    """A rule matched ``lines[line - 1][start:end]`` of some text."""

    rule_id: str
    line: int
    start: int = 0
    end: int | None = None
    severity: Severity | None = None
    detail: str | None = None
    """Replaces the excerpt (masked secrets, decoded hidden text)."""


def to_findings(
    hits: list[Hit],
    lines: list[str],
    file: str,
    *,
    line_offset: int = 0,
    context: str | None = None,
    cap: Severity | None = None,
) -> list[Finding]:
    """Turn hits on ``lines`` into Findings located in ``file`` (``line_offset`` added to every line number).

    ``cap`` lowers every severity to at most that level (used for origins we trust more).
    """
    out = []
    for hit in hits:
        text = lines[hit.line - 1] if 0 < hit.line <= len(lines) else ""
        shown = safe_excerpt(hit.detail if hit.detail is not None else excerpt(text, hit.start, hit.end))
        finding = rules.make(
            hit.rule_id, file, hit.line + line_offset, shown, severity=hit.severity, context=context
        )
        if cap is not None:
            finding.severity = _cap(finding.severity, cap)
        out.append(finding)
    return out


_ESCAPE = re.compile(r"<U\+[0-9A-F]{4,6}>")


def safe_excerpt(shown: str) -> str:
    """``shown`` with any secret in it masked: a command finding quotes the whole line, and that line
    may hold a password (``curl -u admin:… | sh``) or a token split by an invisible character."""
    if not shown:
        return shown
    from skillforge.redact import redact_text

    masked = redact_text(shown)
    if "<U+" in shown:
        joined = _ESCAPE.sub("", shown)
        joined_masked = redact_text(joined)
        if joined_masked != joined:
            return joined_masked  # a token was split by an invisible character: show it joined and masked
    return masked


def _cap(severity: Severity, cap: Severity) -> Severity:
    order: tuple[Severity, ...] = ("low", "medium", "high")
    return order[min(order.index(severity), order.index(cap))]


def dedupe(findings: list[Finding]) -> list[Finding]:
    """One finding per (rule, file, line): the most severe, first seen on ties."""
    order = {"low": 0, "medium": 1, "high": 2}
    best: dict[tuple[str, str, int | None], Finding] = {}
    for f in findings:
        key = (f.rule_id, f.file, f.line)
        if key not in best or order[f.severity] > order[best[key].severity]:
            best[key] = f
    return list(best.values())
