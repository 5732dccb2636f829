"""A real litellm call path over HTTP (openai/<model> + api_base) against a loopback server in the test."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

from skillforge.distill.model.analysts import AnalystResult, LLMAnalyst
from skillforge.llm.client import LLMClient
from skillforge.models import Trace
from skillforge.models.llm import LLMSettings
from skillforge.testing.server import FakeOpenAIServer


def run_all(analyst: LLMAnalyst, traces: list[Trace]) -> list[AnalystResult]:
    async def go() -> list[AnalystResult]:
        return list(await asyncio.wait_for(asyncio.gather(*(analyst.analyze(t) for t in traces)), 60))

    return asyncio.run(go())


def _settings(server: FakeOpenAIServer, **kw: Any) -> LLMSettings:
    return LLMSettings(model="openai/loopback-model", api_base=server.api_base, api_key="sk-loopback", cache=False, **kw)


def test_concurrency_limit_is_respected_over_http(sample_traces: list[Trace]) -> None:
    traces = [t for t in sample_traces if t.steps][:9]
    with FakeOpenAIServer(latency=0.15) as server:
        client = LLMClient(_settings(server, concurrency=3))
        analyst = LLMAnalyst(client)
        results = run_all(analyst, traces)
    assert server.max_in_flight == 3
    assert server.requests == 9 == client.stats.llm_calls
    assert all(r.failure is None for r in results)
    assert sum(len(r.lessons) for r in results) > 0


def test_429_with_retry_after_is_retried(failed_trace: Trace) -> None:
    with FakeOpenAIServer(rate_limit_first=2, retry_after=0.3) as server:
        client = LLMClient(_settings(server, max_retries=3))
        started = time.monotonic()
        result = asyncio.run(LLMAnalyst(client).analyze(failed_trace))
        elapsed = time.monotonic() - started
    assert result.failure is None and result.lessons
    assert server.rate_limited == 2 and server.requests == 3  # no hidden SDK retries on top of ours
    assert client.stats.retries == 2 and client.stats.llm_calls == 1
    assert elapsed >= 0.6  # waited Retry-After twice
    gaps = [b - a for a, b in zip(server.request_times, server.request_times[1:])]
    assert all(gap >= 0.3 for gap in gaps)


def test_malformed_output_gets_one_repair_round_then_is_reported(failed_trace: Trace) -> None:
    def break_everything(messages: list[dict[str, Any]], content: str) -> str:
        return content[: len(content) // 2]

    with FakeOpenAIServer(rewrite=break_everything) as server:
        client = LLMClient(_settings(server))
        result = asyncio.run(LLMAnalyst(client).analyze(failed_trace))
    assert server.requests == 2
    assert result.failure is not None and result.failure.kind == "OutputParseError"
    assert f"analyst:{failed_trace.id}" in result.failure.error
    assert result.lessons == []


def test_fabricated_evidence_quote_is_dropped_and_reported(failed_trace: Trace) -> None:
    invented = "Segmentation fault (core dumped) while importing the ORM"

    def fabricate(messages: list[dict[str, Any]], content: str) -> str:
        data = json.loads(content)
        fake = dict(data["lessons"][0], title="Reinstall the ORM after a segfault")
        fake["evidence"] = [{"step": 3, "quote": invented}]
        data["lessons"].append(fake)
        return json.dumps(data)

    with FakeOpenAIServer(rewrite=fabricate) as server:
        result = asyncio.run(LLMAnalyst(LLMClient(_settings(server))).analyze(failed_trace))
    titles = [lesson.title for lesson in result.lessons]
    assert "Reinstall the ORM after a segfault" not in titles and titles
    assert [(d.title, d.quote) for d in result.dropped] == [("Reinstall the ORM after a segfault", invented)]
    assert result.dropped[0].trace_id == failed_trace.id


def test_cost_unknown_model_is_reported_not_guessed(failed_trace: Trace) -> None:
    with FakeOpenAIServer() as server:
        client = LLMClient(_settings(server))
        asyncio.run(LLMAnalyst(client).analyze(failed_trace))
    assert client.stats.cost_known is False and client.stats.cost_usd == 0.0
    assert client.stats.prompt_tokens > 0
