"""What an analyst sees of a trace: a compact outline, and tools to read the rest on demand.

A trace of thousands of steps does not fit a context window, and cutting it blindly loses the
step that mattered. The outline keeps the task, the outcome, every error and a numbered index of
the steps (long quiet stretches folded into one line); ``read_steps`` and ``grep_trace`` let the
analyst fetch the details it decides it needs. ``step_text`` is the one rendering of a step that
the outline, the tools and evidence verification all share, so a quote copied from any of them
is found again in the trace (``quotes.TraceIndex``). Used by distill's analysts and evolve's
failure analyzer; imports only ``models``.
"""

from __future__ import annotations

import bisect
import itertools
import json
import re
import time
from collections import Counter
from collections.abc import Iterator
from typing import Any

import regex

from skillforge.models import Step, Trace

OUTLINE_CHARS = 12_000
"""Rough size of the step index in an outline (the whole outline stays near 16k characters)."""
MAX_ERRORS_LISTED = 60
READ_STEPS_MAX = 12
"""Most steps one ``read_steps`` call returns."""
READ_STEP_CHARS = 3_000
READ_TOTAL_CHARS = 16_000
GREP_MAX_HITS = 30
GREP_BUDGET_S = 2.0
"""Seconds one grep may spend over the whole trace."""

TOOLS: list[dict[str, Any]] = [
    {
        "type": "function",
        "function": {
            "name": "read_steps",
            "description": "Return the full text of steps start..end (inclusive) of the trace, at most 12 steps.",
            "parameters": {
                "type": "object",
                "properties": {
                    "start": {"type": "integer", "description": "First step number, as in the outline."},
                    "end": {"type": "integer", "description": "Last step number (inclusive)."},
                },
                "required": ["start", "end"],
            },
        },
    },
    {
        "type": "function",
        "function": {
            "name": "grep_trace",
            "description": "Find lines matching a regular expression (case-insensitive) in every step; "
            "returns '[step] line' hits, at most 30.",
            "parameters": {
                "type": "object",
                "properties": {"pattern": {"type": "string", "description": "Python regular expression."}},
                "required": ["pattern"],
            },
        },
    },
]


def format_arguments(arguments: dict[str, Any] | str) -> str:
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False, sort_keys=True)


def step_text(step: Step) -> str:
    """Everything a step says: its text, the tool call (name and arguments) and the tool's output."""
    parts: list[str] = []
    if step.text:
        parts.append(step.text)
    if step.tool_call is not None:
        parts.append(f"{step.tool_call.name} {format_arguments(step.tool_call.arguments)}")
    if step.tool_result is not None and step.tool_result.output:
        parts.append(step.tool_result.output)
    return "\n".join(parts)


def is_error(step: Step) -> bool:
    return step.tool_result is not None and step.tool_result.is_error


def error_steps(trace: Trace) -> list[int]:
    return [i for i, s in enumerate(trace.steps) if is_error(s)]


def outcome_label(trace: Trace) -> str:
    """``failed`` / ``succeeded`` / ``unknown``, plus reward and error when the source gives them."""
    o = trace.outcome
    label = {True: "succeeded", False: "failed", None: "unknown"}[o.success]
    extra = []
    if o.reward is not None:
        extra.append(f"reward={o.reward:g}")
    if o.error:
        extra.append("error: " + _one_line(o.error, 300))
    return label + (" (" + "; ".join(extra) + ")" if extra else "")


def is_failure(trace: Trace) -> bool:
    """Does this trace call for the failure analyst (what went wrong) rather than the success one?"""
    if trace.kind != "trace":
        return False
    if trace.outcome.success is False or trace.outcome.error:
        return True
    return trace.outcome.success is None and bool(error_steps(trace))


def step_label(index: int, step: Step) -> str:
    if step.tool_result is not None:
        name = step.tool_call.name if step.tool_call is not None else ""
        return f"[{index}] tool{' ' + name if name else ''}{' (error)' if is_error(step) else ''}"
    if step.tool_call is not None:
        return f"[{index}] {step.role} -> {step.tool_call.name}"
    return f"[{index}] {step.role}"


def render_outline(trace: Trace, *, budget_chars: int = OUTLINE_CHARS) -> str:
    """The compact outline an analyst starts from (deterministic for a given trace)."""
    errors = error_steps(trace)
    lines = [
        f"TRACE {trace.id} ({trace.kind}, {trace.source.format}: {trace.source.path})",
        "TASK: " + (_one_line(trace.task, 800) or "(not recorded)"),
        "OUTCOME: " + outcome_label(trace),
        f"SIZE: {len(trace.steps)} steps, {trace.tool_calls} tool calls, {len(errors)} tool errors",
        "",
        "ERRORS:",
    ]
    for i in errors[:MAX_ERRORS_LISTED]:
        lines.append(f"{step_label(i, trace.steps[i])}: {_one_line(step_text(trace.steps[i]), 200)}")
    if len(errors) > MAX_ERRORS_LISTED:
        lines.append(f"... and {len(errors) - MAX_ERRORS_LISTED} more errors (grep_trace finds them)")
    if not errors:
        lines.append("(none)")
    lines += ["", "STEP INDEX:"]
    lines += _step_index(trace, set(errors), budget_chars)
    return "\n".join(lines)


def _step_index(trace: Trace, errors: set[int], budget_chars: int) -> list[str]:
    n = len(trace.steps)
    if n == 0:
        return ["(no steps)"]
    width = max(24, min(160, budget_chars // n - 16))
    if n * (width + 16) <= budget_chars:
        return _index_lines(trace, set(range(n)), width)
    # Too many steps for one line each: keep the ends, user turns and the neighbourhood of every
    # error (errors first when space runs out); fold each quiet stretch into a one-line summary.
    ends = set(range(min(5, n))) | set(range(max(0, n - 5), n))
    near = {j for e in errors for j in (e - 1, e + 1) if 0 <= j < n}
    users = {i for i, s in enumerate(trace.steps) if s.role == "user"}

    def rank(i: int) -> tuple[int, int]:
        return (0 if i in ends else 1 if i in errors else 2 if i in near else 3, i)

    ordered = sorted(ends | errors | near | users, key=rank)
    slots = max(1, budget_chars // (width + 16))
    while True:
        lines = _index_lines(trace, set(ordered[:slots]), width)
        if sum(len(line) + 1 for line in lines) <= budget_chars or slots <= 8:
            return lines
        slots = slots * 2 // 3


def _index_lines(trace: Trace, keep: set[int], width: int) -> list[str]:
    n = len(trace.steps)
    lines: list[str] = []
    i = 0
    while i < n:
        if i in keep:
            lines.append(f"{step_label(i, trace.steps[i])}: {_one_line(step_text(trace.steps[i]), width)}")
            i += 1
            continue
        j = i
        while j < n and j not in keep:
            j += 1
        lines.append(_fold(trace.steps, i, j - 1))
        i = j
    return lines


def _fold(steps: list[Step], start: int, end: int) -> str:
    roles = Counter(s.role for s in steps[start : end + 1])
    tools = Counter(s.tool_call.name for s in steps[start : end + 1] if s.tool_call is not None)
    role_text = ", ".join(f"{r} {c}" for r, c in sorted(roles.items()))
    tool_text = ", ".join(f"{t}x{c}" for t, c in sorted(tools.items(), key=lambda kv: (-kv[1], kv[0]))[:5])
    return f"[{start}-{end}] {end - start + 1} steps: {role_text}" + (f" (tools: {tool_text})" if tool_text else "")


def read_steps(trace: Trace, start: int, end: int) -> str:
    """Tool: the full text of steps ``start..end`` (clamped to the trace and to READ_STEPS_MAX)."""
    n = len(trace.steps)
    if n == 0:
        return "The trace has no steps."
    start = max(0, min(int(start), n - 1))
    end = max(start, min(int(end), n - 1, start + READ_STEPS_MAX - 1))
    out: list[str] = []
    used = 0
    for i in range(start, end + 1):
        text = step_text(trace.steps[i])
        if len(text) > READ_STEP_CHARS:
            text = text[:READ_STEP_CHARS] + f"\n[... {len(text) - READ_STEP_CHARS} more characters]"
        block = f"=== {step_label(i, trace.steps[i])} ===\n{text}"
        if used + len(block) > READ_TOTAL_CHARS and out:
            out.append(f"(stopped before step {i}: output limit; ask for fewer steps)")
            break
        out.append(block)
        used += len(block)
    return "\n".join(out)


_LOOKS_AROUND = re.compile(r"\$|(?<!\[)\^|\\[AZzBGmM]|\(\?<|\(\?!")
"""Pattern syntax whose match depends on what lies beyond the matched line: ``grep_trace`` then
tests line by line only."""


def grep_trace(
    trace: Trace, pattern: str, *, max_hits: int = GREP_MAX_HITS, budget_s: float = GREP_BUDGET_S
) -> str:
    """Tool: ``[step] line`` for lines matching ``pattern`` (case-insensitive; a bad regex is taken literally).

    The pattern comes from the model, which may have read a trace written to make it ask for a
    catastrophic one (``(a|aa)+$`` against a long line): the whole search gets ``budget_s`` seconds
    (the ``regex`` module's timeout), then the model is told to simplify it.
    """
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)
    except (regex.error, ValueError, OverflowError):
        compiled = regex.compile(regex.escape(pattern), regex.IGNORECASE)
    # Lines are searched one by one only where a search of the whole step found something (most lines
    # hold no match), unless the pattern looks past its match (anchors, negative lookaround, \B), where
    # a line can match while the whole text does not.
    whole = None if _LOOKS_AROUND.search(pattern) else compiled
    hits: list[str] = []
    total = 0
    deadline = time.monotonic() + budget_s
    try:
        for i, step in enumerate(trace.steps):
            for line in _matching_lines(step_text(step), compiled, whole, deadline):
                total += 1
                if len(hits) < max_hits:
                    hits.append(f"[{i}] {_one_line(line, 240)}")
    except TimeoutError:
        return (
            f"Searching for {pattern!r} took longer than {budget_s:g} s (nested repetition?): "
            "use a plain word or a simpler pattern."
        )
    if not hits:
        return f"No line matches {pattern!r}."
    if total > len(hits):
        hits.append(f"({total - len(hits)} more hits not shown; narrow the pattern)")
    return "\n".join(hits)


def _matching_lines(text: str, line_pattern: Any, whole: Any, deadline: float) -> Iterator[str]:
    """The lines of ``text`` (``str.splitlines``) that ``line_pattern`` matches. With ``whole`` (the same
    pattern, free of context assertions) the text is searched as one string from line to line: a line
    that matches holds the leftmost match from its own start on, so the lines before it are skipped."""
    lines = text.splitlines()
    if whole is None or len(lines) < 2:
        for line in lines:
            if line_pattern.search(line, timeout=_left(deadline)):
                yield line
        return
    starts = list(itertools.accumulate(map(len, text.splitlines(keepends=True)), initial=0))
    pos = 0
    while pos < len(text):
        found = whole.search(text, pos, timeout=_left(deadline))
        if found is None:
            return
        n = bisect.bisect_right(starts, found.start()) - 1
        if n >= len(lines):
            return
        # The match may run on into the next line; the line itself decides.
        if line_pattern.search(lines[n], timeout=_left(deadline)):
            yield lines[n]
        pos = starts[n + 1]


def _left(deadline: float) -> float:
    return max(1e-6, deadline - time.monotonic())


def run_tool(trace: Trace, name: str, arguments: str) -> str:
    """Execute an analyst's tool call; bad arguments come back as a message the model can act on."""
    try:
        args = json.loads(arguments or "{}")
        if not isinstance(args, dict):
            raise TypeError("arguments must be a JSON object")
        if name == "read_steps":
            end = args["end"] if "end" in args else args["start"]
            return read_steps(trace, int(args["start"]), int(end))
        if name == "grep_trace":
            return grep_trace(trace, str(args["pattern"]))
    except (ValueError, KeyError, TypeError) as exc:
        return f"Tool error: {type(exc).__name__}: {exc}"
    return f"Unknown tool {name!r}; use read_steps or grep_trace."


def error_windows(trace: Trace, *, budget_chars: int = 12_000) -> str:
    """For models without tool calling: the steps around each error (or the last steps of a success)."""
    errors = error_steps(trace)
    n = len(trace.steps)
    if n == 0:
        return "(no steps)"
    spans = [(max(0, e - 2), min(n - 1, e + 1)) for e in errors] or [(max(0, n - 4), n - 1)]
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if merged and a <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(b, merged[-1][1]))
        else:
            merged.append((a, b))
    per_step = 1_200
    out: list[str] = []
    used = 0
    for a, b in merged:
        for i in range(a, b + 1):
            text = step_text(trace.steps[i])
            if len(text) > per_step:
                text = text[:per_step] + f"\n[... {len(text) - per_step} more characters]"
            block = f"=== {step_label(i, trace.steps[i])} ===\n{text}"
            if used + len(block) > budget_chars:
                out.append("(further windows left out: size limit)")
                return "\n".join(out)
            out.append(block)
            used += len(block)
    return "\n".join(out)


def _one_line(text: str, width: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"
