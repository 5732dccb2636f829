"""Model calls in helper processes (``LLMSettings.call_processes``): the same answers, errors and
retries as calls made in this process, and a helper that dies costs a retry, not the run."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from skillforge.distill.model.analysts import AnalystResult, LLMAnalyst
from skillforge.ingest import read_paths
from skillforge.llm import call_pool
from skillforge.llm.client import LLMClient
from skillforge.models import Trace
from skillforge.models.llm import LLMSettings

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"


@pytest.fixture(autouse=True)
def fresh_helpers() -> Iterator[None]:
    """Helpers read the environment when they start: each test starts its own and stops them after."""
    call_pool._close_all()
    yield
    call_pool._close_all()


def _traces() -> list[Trace]:
    return [t for t in read_paths([SAMPLES / "mini_swe_agent_traj"]) if isinstance(t, Trace) and t.steps][:4]


def _analyse(processes: int, traces: list[Trace]) -> tuple[list[AnalystResult], LLMClient]:
    client = LLMClient(LLMSettings(model="fake", cache=False, concurrency=4, call_processes=processes))
    analyst = LLMAnalyst(client)

    async def run() -> list[AnalystResult]:
        return list(await asyncio.gather(*(analyst.analyze(t) for t in traces)))

    return asyncio.run(run()), client


def test_helpers_give_the_answers_calls_made_here_give() -> None:
    traces = _traces()
    here, local = _analyse(0, traces)
    there, pooled = _analyse(2, traces)
    assert there == here and any(r.lessons for r in here)
    assert pooled.stats.llm_calls == local.stats.llm_calls > len(traces)  # tool turns went through helpers too
    assert pooled.stats.cost_usd == pytest.approx(local.stats.cost_usd)
    assert pooled.stats.prompt_tokens == local.stats.prompt_tokens
    helpers_cpu, _ = call_pool.pool(2).cpu_s()
    assert helpers_cpu > 0  # the calls really ran in the helpers


def test_a_rate_limit_in_a_helper_comes_back_as_ours_and_is_retried(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_FAULTS", "rate_limit=1,retry_after=0.01")
    traces = _traces()[:2]
    results, client = _analyse(1, traces)
    assert client.stats.retries >= 2 and client.stats.failed_calls == 0
    assert all(r.failure is None for r in results)


def test_a_helper_killed_mid_call_costs_a_retry_not_the_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_LATENCY", "1.0")
    traces = _traces()[:2]
    client = LLMClient(LLMSettings(model="fake", cache=False, concurrency=4, call_processes=1, backoff_base=0.01))
    analyst = LLMAnalyst(client)

    async def run() -> list[AnalystResult]:
        work = asyncio.gather(*(analyst.analyze(t) for t in traces))
        # Kill the helper while both first calls wait for the model's answer.
        for _ in range(200):
            await asyncio.sleep(0.05)
            helpers = call_pool.pool(1)._helpers
            if helpers and sum(len(h.pending) for h in helpers) == len(traces):
                break
        pid = helpers[0].process.pid
        os.kill(pid, signal.SIGKILL)
        results = await work
        assert call_pool.pool(1)._helpers[0].process.pid != pid  # replaced
        return list(results)

    results = asyncio.run(run())
    assert client.stats.retries >= len(traces) and client.stats.failed_calls == 0
    assert all(r.failure is None for r in results)
