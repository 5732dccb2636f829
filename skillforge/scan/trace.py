"""Scan normalized traces: injection by where the text came from, secrets and hidden characters anywhere.

Origin decides how much an instruction matters. Text from a tool output, a document or a
customer's ticket is written by someone other than the user and the agent, so an instruction in
it is an attack on the agent (high). The agent's own words and the user's prompt (which may quote
an issue) are reported at medium.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from skillforge.models import Step, Trace
from skillforge.models.scan import Finding, Severity
from skillforge.scan.detect import Hit, to_findings
from skillforge.scan.injection import scan_injection
from skillforge.scan.secrets import scan_secrets
from skillforge.scan.unicode import scan_unicode

EXTERNAL = frozenset({"tool output", "document", "ticket"})
_CAPS: dict[str, Severity] = {
    "tool output": "high",
    "document": "high",
    "ticket": "high",
    "agent": "medium",
    "agent action": "medium",
    "user": "medium",
    "system": "medium",
    "task": "medium",
}


@dataclass(frozen=True)
class TracedText:
    """One piece of a trace's text and where it came from."""

    step: int | None
    origin: str
    text: str


def origin_of(trace: Trace, step: Step) -> str:
    """``tool output``, ``document``, ``ticket``, ``agent``, ``user`` or ``system`` for a step's text."""
    if trace.kind == "document":
        return "document"
    if step.tool_result is not None or step.role == "tool":
        return "tool output"
    if trace.kind == "ticket":
        # Every message of a ticket file, the support agent's resolution included, was written by
        # someone other than the user and the agent running skillforge: third-party text.
        return "ticket"
    if step.role == "assistant":
        return "agent"
    return step.role


def texts(trace: Trace) -> Iterator[TracedText]:
    """Every text of ``trace`` with its origin: task, step texts, tool-call arguments, tool outputs, error."""
    if trace.task:
        yield TracedText(
            None,
            "document" if trace.kind == "document" else ("ticket" if trace.kind == "ticket" else "task"),
            trace.task,
        )
    for i, step in enumerate(trace.steps):
        if step.text:
            yield TracedText(i, origin_of(trace, step), step.text)
        if step.tool_call is not None:
            args = step.tool_call.arguments
            text = args if isinstance(args, str) else json.dumps(args, sort_keys=True, ensure_ascii=False)
            yield TracedText(i, "agent action", text)
        if step.tool_result is not None and step.tool_result.output:
            yield TracedText(i, "tool output", step.tool_result.output)
    if trace.outcome.error:
        yield TracedText(None, "tool output", trace.outcome.error)


def scan_trace(trace: Trace) -> list[Finding]:
    """Injection, secrets and hidden Unicode in one normalized trace; located at the trace's source file."""
    return [f for f, _ in trace_findings(trace, families=("injection", "secrets", "unicode"))]


def trace_findings(trace: Trace, *, families: tuple[str, ...]) -> list[tuple[Finding, str]]:
    """``(finding, needle)`` pairs; the needle is raw text of the match, used to find its line in the file."""
    out: list[tuple[Finding, str]] = []
    for piece in texts(trace):
        lines = piece.text.split("\n")
        where = (
            f"trace {trace.id[:8]}"
            + (f" step {piece.step}" if piece.step is not None else "")
            + f" ({piece.origin})"
        )
        hits: list[Hit] = []
        if "injection" in families:
            hits += [_capped(h, _CAPS.get(piece.origin, "medium")) for h in scan_injection(piece.text)]
        if "secrets" in families:
            hits += scan_secrets(piece.text, "trace.txt")
        if "unicode" in families:
            hits += scan_unicode(piece.text, code=False, in_trace=True)
        for hit, finding in zip(hits, to_findings(hits, lines, trace.source.path, context=where), strict=False):
            finding.line = trace.source.line
            out.append((finding, _needle(lines, hit)))
    return out


def _capped(hit: Hit, cap: Severity) -> Hit:
    from skillforge.scan import rules

    order = ("low", "medium", "high")
    sev = hit.severity or rules.RULES[hit.rule_id].severity
    if order.index(sev) > order.index(cap):
        sev = cap
    return Hit(hit.rule_id, hit.line, hit.start, hit.end, severity=sev, detail=hit.detail)


def _needle(lines: list[str], hit: Hit) -> str:
    line = lines[hit.line - 1] if 0 < hit.line <= len(lines) else ""
    end = hit.end if hit.end is not None else len(line)
    start = max(0, min(hit.start, len(line)))
    piece = line[start:end] if end > start else line
    return piece[:60]
