"""The offline distill pipeline on one huge Claude Code session: memory bounded by the trace itself.

The session is the throughput benchmark's: a real sample (tests/data/samples/claude_code_jsonl)
repeated with fresh ids into one long conversation that hits the same few errors thousands of times.
"""

from __future__ import annotations

import re

import gc
import importlib.util
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from skillforge.distill.pipeline import run_distill
from skillforge.ingest import read_paths
from skillforge.models import Trace

ROOT = Path(__file__).parents[2]


def _benchmark_builder() -> Callable[[Path, int], None]:
    spec = importlib.util.spec_from_file_location("ingest_throughput", ROOT / "benchmarks" / "ingest_throughput.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build  # type: ignore[no-any-return]


def _peak(fn: Callable[[], Any]) -> tuple[Any, int]:
    gc.collect()
    tracemalloc.start()
    try:
        value = fn()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_50mb_session_is_distilled_in_little_more_memory_than_reading_it(tmp_path: Path) -> None:
    session = tmp_path / "session.jsonl"
    _benchmark_builder()(session, 50)
    size = session.stat().st_size
    reps = sum(1 for _ in session.open("rb")) // 22  # the sample's 22 conversation records, repeated

    traces, read_peak = _peak(lambda: [t for t in read_paths([session]) if isinstance(t, Trace)])
    del traces
    report, distill_peak = _peak(lambda: run_distill([session], tmp_path / "out", redact_emails=False))

    assert (report.traces, len(report.skills)) == (1, 1)
    folder = tmp_path / "out" / report.skills[0].name
    skill = (folder / "SKILL.md").read_text(encoding="utf-8")
    details = "\n".join(p.read_text(encoding="utf-8") for p in (folder / "references").glob("*.md"))
    # Each repetition fails the same way; the folded digest still counts every failure (references/ says how
    # often, SKILL.md holds the rule alone).
    assert "requires approval" in skill
    counts = {int(n) for n in re.findall(r"(\d+) time\(s\) in 1 run\(s\)", details)}
    assert counts & {reps, 2 * reps}, (reps, counts)
    # Redaction used to copy the whole trace and the digest kept every repeated error with its call:
    # distill peaked at 0.25x the file above what reading costs (tracemalloc). Now it stays near the read peak.
    extra = distill_peak - read_peak
    assert extra < size * 0.1, f"distill peak {distill_peak >> 20} MiB, read {read_peak >> 20} MiB, file {size >> 20} MiB"


def test_intake_lets_go_of_a_trace_before_the_reader_builds_the_next(monkeypatch: pytest.MonkeyPatch) -> None:
    import weakref

    from skillforge.distill import intake
    from skillforge.models import Skipped

    alive_while_reading: list[bool] = []

    def reader(paths: list[str], fmt: str | None, options: object) -> Iterator[Trace | Skipped]:
        last: weakref.ref[Trace] | None = None
        for item in read_paths(paths, fmt):
            if last is not None:
                gc.collect()
                alive_while_reading.append(last() is not None)
            if isinstance(item, Trace):
                last = weakref.ref(item)
            yield item

    count = 0
    monkeypatch.setattr(intake, "read_paths", reader)  # the real reader, watched
    for trace in intake.Intake([ROOT / "tests" / "data" / "samples" / "claude_code_jsonl"]):
        count += 1
        del trace  # the analyzer is done with it
    assert count >= 3 and alive_while_reading and not any(alive_while_reading)
