"""Fixtures for the LLM layer: real sample traces (redacted), a fresh cache, fake-model knobs."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillforge.ingest import read_paths
from skillforge.llm.cache import ResponseCache
from skillforge.models import Trace
from skillforge.redact import redact_trace
from skillforge.testing import reset
from skillforge.testing.fake_model import STATS

SAMPLES = Path(__file__).parent.parent / "data" / "samples"


@pytest.fixture(autouse=True)
def fake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No fault or latency leaks in from the environment; fake counters start at zero, no answer is queued."""
    monkeypatch.delenv("SKILLFORGE_FAKE_FAULTS", raising=False)
    monkeypatch.delenv("SKILLFORGE_FAKE_LATENCY", raising=False)
    STATS.reset()
    reset()


@pytest.fixture(scope="session")
def sample_traces() -> list[Trace]:
    """Every trace the readers get out of tests/data/samples, redacted as the pipeline would."""
    return [redact_trace(t) for t in read_paths([SAMPLES]) if isinstance(t, Trace)]


@pytest.fixture
def failed_trace(sample_traces: list[Trace]) -> Trace:
    """The mini-swe-agent django run that failed (SWE-bench report says unresolved), with tool errors."""
    return next(t for t in sample_traces if "django__django-15127" in t.source.path)


@pytest.fixture
def cache(tmp_path: Path) -> ResponseCache:
    return ResponseCache(tmp_path / "cache")
