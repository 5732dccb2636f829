"""Fixtures for the offline distill tests: the real sample files, read and redacted once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer
from skillforge.ingest import read_paths
from skillforge.models import Lesson, Trace
from skillforge.redact import redact_trace

SAMPLES = Path(__file__).parent.parent / "data" / "samples"


@pytest.fixture(scope="session")
def sample_traces() -> dict[str, Trace]:
    """Every trace the readers get from tests/data/samples, redacted, by id."""
    return {t.id: redact_trace(t) for t in read_paths([SAMPLES]) if isinstance(t, Trace)}


@pytest.fixture(scope="session")
def sample_lessons(sample_traces: dict[str, Trace]) -> list[Lesson]:
    """What the heuristic analyzer learns from all samples."""
    return HeuristicAnalyzer().analyze(sample_traces.values())


def trace_by_path(traces: dict[str, Trace], suffix: str) -> Trace:
    """The (first) trace read from the sample file whose path ends with ``suffix``."""
    return next(t for t in traces.values() if t.source.path.endswith(suffix))


def step_strings(trace: Trace, step: int) -> list[str]:
    """All text a step holds: its text, every string in its tool-call arguments, its tool output."""
    found: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    s = trace.steps[step]
    found.append(s.text)
    if s.tool_call is not None:
        walk(s.tool_call.arguments)
    if s.tool_result is not None:
        found.append(s.tool_result.output)
    return found


def quote_occurs(trace: Trace, step: int | None, quote: str) -> bool:
    if step is None:
        return quote in trace.task
    return any(quote in text for text in step_strings(trace, step))


@pytest.fixture(scope="session")
def find_trace(sample_traces: dict[str, Trace]):  # type: ignore[no-untyped-def]
    """``find_trace("github_issue.traj.json")``: the sample trace read from that file."""
    return lambda suffix: trace_by_path(sample_traces, suffix)


@pytest.fixture(scope="session")
def occurs():  # type: ignore[no-untyped-def]
    """``occurs(trace, step, quote)``: does the quote really occur in that step (or the task)?"""
    return quote_occurs
