"""Failure Analyzer: for one failed trace, which step went wrong, why, and what the skill said about it."""

from __future__ import annotations

import re

from skillforge.models import SkillPackage, Trace
from skillforge.models.evolve import Attribution, FailureAnalysis
from skillforge.skills.markdown import normalize_heading, sections

_VOLATILE = [
    (re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-f]{7,40}\b"), "<hex>"),
    (re.compile(r"(/[\w.@-]+){2,}/?|[A-Za-z]:\\[\w\\.-]+"), "<path>"),
    (re.compile(r"\b\d+(\.\d+)*\b"), "<n>"),
    (re.compile(r"\s+"), " "),
]
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.-]{2,}")


def signature(text: str) -> str:
    """Normalise an error so the same failure in different runs gets the same signature."""
    line = first_line(text)
    for pattern, repl in _VOLATILE:
        line = pattern.sub(repl, line)
    return line.strip().lower()[:160]


def first_line(text: str) -> str:
    """The first line that says something (skips blank lines and bare tracebacks headers)."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in reversed(lines):
        if re.match(r"^\w*(Error|Exception)\b|^(E|error|fatal|FAILED)\b", ln):
            return ln[:300]
    return (lines[0] if lines else text.strip())[:300]


def is_failure(trace: Trace) -> bool:
    """A trace counts as a failure when its outcome says so, or it ends on an unrecovered tool error."""
    if trace.outcome.success is False:
        return True
    if trace.outcome.success is True:
        return False
    results = [s.tool_result for s in trace.steps if s.tool_result is not None]
    return bool(results) and results[-1].is_error


def analyze_failure(trace: Trace, pkg: SkillPackage) -> FailureAnalysis | None:
    """Locate the decisive error of a failed trace and attribute it to a section of the skill."""
    if not is_failure(trace):
        return None
    errors = [
        (i, s.tool_result)
        for i, s in enumerate(trace.steps)
        if s.tool_result is not None and s.tool_result.is_error
    ]
    error_steps = [i for i, _ in errors]
    index: int | None
    if errors:
        index, result = errors[-1]
        cause = result.output
    else:
        index = len(trace.steps) - 1 if trace.steps else None
        cause = trace.outcome.error or "the run ended without success"
    action = _action_before(trace, index)
    section, attribution = _attribute(pkg, action + " " + cause)
    return FailureAnalysis(
        trace_id=trace.id,
        source=trace.source.path,
        task=trace.task[:300],
        step=index,
        cause=first_line(cause) or "failure",
        signature=signature(cause) or "failure",
        recovery=_recovery_after(trace, error_steps),
        section=section,
        attribution=attribution,
    )


def _action_before(trace: Trace, index: int | None) -> str:
    if index is None:
        return ""
    for step in reversed(trace.steps[: index + 1]):
        if step.tool_call is not None:
            args = step.tool_call.arguments
            return f"{step.tool_call.name} {args if isinstance(args, str) else ' '.join(map(str, args.values()))}"
    return ""


def _recovery_after(trace: Trace, error_steps: list[int]) -> str | None:
    """The first successful call after an error whose command differs from the failed one."""
    for err in error_steps:
        failed = _action_before(trace, err)
        for j in range(err + 1, min(err + 8, len(trace.steps))):
            step = trace.steps[j]
            if step.tool_result is not None and not step.tool_result.is_error:
                done = _action_before(trace, j)
                if done and done != failed:
                    return done[:300]
    return None


def _attribute(pkg: SkillPackage, text: str) -> tuple[str | None, Attribution]:
    """Which section talks most about the failing action: followed-and-failed means misleading."""
    words = {w.lower() for w in _WORD.findall(text)}
    if not words:
        return None, "missing"
    lines = pkg.body.splitlines()
    best: tuple[float, str | None] = (0.0, None)
    for sec in sections(lines):
        body = " ".join(lines[sec.start + 1 : sec.body_end]).lower()
        section_words = {w.lower() for w in _WORD.findall(body)}
        if not section_words:
            continue
        overlap = len(words & section_words) / len(words)
        if overlap > best[0]:
            best = (overlap, normalize_heading(sec.heading))
    if best[1] is not None and best[0] >= 0.5:
        return best[1], "misleading"
    if best[1] is not None and best[0] >= 0.2:
        return best[1], "followed"
    return None, "missing"
