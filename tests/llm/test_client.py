"""LLMClient through litellm's real call path with the fake provider: cache, retries, timeouts, limits, budget."""

from __future__ import annotations

import asyncio
import time

import pytest

from skillforge.errors import BudgetExceeded, ProviderError, RateLimitError
from skillforge.llm.cache import ResponseCache
from skillforge.llm.client import LLMClient
from skillforge.llm.structured import build_request
from skillforge.models.llm import LLMRequest, LLMSettings
from skillforge.models.llm_outputs import MergeAnswer
from skillforge.testing.fake_model import STATS


def _request(n: int) -> LLMRequest:
    lessons = f'[{{"id": "L1", "kind": "pitfall", "title": "Pin the numpy version {n}", "body": "Unpinned numpy broke the build.", "target_skill": "py", "support": 1}}]'
    return build_request(f"merge:{n}", "merge", MergeAnswer, count=1, lessons=lessons)


class Sleeps:
    """Records the backoff delays the client asks for instead of waiting them out."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, delay: float) -> None:
        self.delays.append(delay)


def test_second_identical_call_is_a_cache_hit_with_zero_cost(cache: ResponseCache) -> None:
    client = LLMClient(LLMSettings(model="fake"), cache=cache)
    first = asyncio.run(client.complete(_request(1)))
    second = asyncio.run(client.complete(_request(1)))
    assert first.cost_usd > 0 and first.prompt_tokens > 0 and not first.cached
    assert second.cached and second.cost_usd == 0 and second.prompt_tokens == 0
    assert second.content == first.content
    assert client.stats.llm_calls == 1 and client.stats.cache_hits == 1
    assert STATS.calls == 1
    # A fresh client on the same cache directory (a re-run) makes no call at all.
    cache.flush()
    rerun = LLMClient(LLMSettings(model="fake"), cache=ResponseCache(cache.root))
    asyncio.run(rerun.complete(_request(1)))
    assert rerun.stats.llm_calls == 0 and STATS.calls == 1


def test_cost_comes_from_litellms_price_map(cache: ResponseCache) -> None:
    client = LLMClient(LLMSettings(model="fake"), cache=cache)
    response = asyncio.run(client.complete(_request(2)))
    # The fake is registered at $1 / $2 per million tokens in litellm's model cost map.
    expected = response.prompt_tokens * 1e-6 + response.completion_tokens * 2e-6
    assert response.cost_usd == pytest.approx(expected)
    assert client.stats.cost_known


def test_litellms_success_logging_runs_only_when_someone_listens(
    cache: ResponseCache, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no litellm callback registered, its per-call logging payload (CPU nobody reads) is skipped;
    a callback someone registers still sees every call, and the call keeps its price either way."""
    from litellm.integrations.custom_logger import CustomLogger
    from litellm.litellm_core_utils import litellm_logging

    from skillforge.llm import _litellm

    lit = _litellm.get_litellm()
    built: list[str] = []
    original = litellm_logging.Logging.async_success_handler

    async def counted(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        built.append("payload")
        return await original(self, *args, **kwargs)

    monkeypatch.setattr(litellm_logging.Logging, "async_success_handler", counted)

    async def settle() -> None:
        await asyncio.sleep(0.3)  # litellm's logging worker runs after the call returns

    async def call(n: int) -> float:
        response = await LLMClient(LLMSettings(model="fake"), cache=cache).complete(_request(n))
        await settle()
        return response.cost_usd

    assert asyncio.run(call(10)) > 0 and built == []

    class Listener(CustomLogger):  # type: ignore[misc]
        def __init__(self) -> None:
            super().__init__()
            self.seen = 0

        async def async_log_success_event(self, kwargs, response_obj, start_time, end_time):  # type: ignore[no-untyped-def]
            self.seen += 1

    listener = Listener()
    monkeypatch.setattr(lit, "callbacks", [listener])
    assert asyncio.run(call(11)) > 0 and built == ["payload"] and listener.seen == 1


def test_rate_limit_is_retried_honouring_retry_after(monkeypatch: pytest.MonkeyPatch, cache: ResponseCache) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_FAULTS", "rate_limit=1,retry_after=0.7")
    sleeps = Sleeps()
    client = LLMClient(LLMSettings(model="fake"), cache=cache, sleep=sleeps)
    response = asyncio.run(client.complete(_request(3)))
    assert response.content
    assert STATS.faults["rate_limit"] == 1 and STATS.calls == 2
    assert client.stats.retries == 1 and client.stats.llm_calls == 1
    assert len(sleeps.delays) == 1 and 0.7 <= sleeps.delays[0] <= 0.7 * 1.1 + 0.011


def test_timeouts_and_server_errors_back_off_exponentially(monkeypatch: pytest.MonkeyPatch, cache: ResponseCache) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_FAULTS", "timeout=1")
    sleeps = Sleeps()
    settings = LLMSettings(model="fake", backoff_base=2.0, backoff_max=30.0)
    client = LLMClient(settings, cache=cache, sleep=sleeps)
    asyncio.run(client.complete(_request(4)))
    assert STATS.faults["timeout"] == 1 and client.stats.retries == 1
    assert 1.0 <= sleeps.delays[0] <= 2.0  # first backoff: jittered within [base/2, base]


def test_a_slow_call_hits_the_per_call_timeout_and_fails_after_retries(
    monkeypatch: pytest.MonkeyPatch, cache: ResponseCache
) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_LATENCY", "2")
    settings = LLMSettings(model="fake", timeout=0.2, max_retries=1, backoff_base=0.01)
    client = LLMClient(settings, cache=cache)
    started = time.monotonic()
    with pytest.raises(ProviderError) as info:
        asyncio.run(client.complete(_request(5)))
    assert time.monotonic() - started < 1.5
    assert "timed out" in str(info.value) and "merge:5" in str(info.value)
    assert client.stats.failed_calls == 1 and client.stats.retries == 1
    assert len(cache) == 0


def test_persistent_rate_limit_gives_up_with_a_rate_limit_error(cache: ResponseCache) -> None:
    calls = 0

    class AlwaysLimited(LLMClient):
        async def _call_once(self, request: LLMRequest, max_tokens: int):  # type: ignore[override]
            nonlocal calls
            calls += 1
            raise RateLimitError("429 from provider", retry_after=0.0)

    client = AlwaysLimited(LLMSettings(model="fake", max_retries=3), cache=cache, sleep=Sleeps())
    with pytest.raises(RateLimitError):
        asyncio.run(client.complete(_request(6)))
    assert calls == 4 and client.stats.retries == 3 and client.stats.failed_calls == 1


def test_concurrency_limit_is_respected(monkeypatch: pytest.MonkeyPatch, cache: ResponseCache) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_LATENCY", "0.1")
    client = LLMClient(LLMSettings(model="fake", concurrency=3), cache=cache)

    async def run() -> None:
        await asyncio.gather(*(client.complete(_request(100 + i)) for i in range(10)))

    started = time.monotonic()
    asyncio.run(run())
    elapsed = time.monotonic() - started
    assert STATS.max_in_flight == 3 and client.max_in_flight == 3
    assert elapsed >= 0.4  # ceil(10 / 3) rounds of 0.1 s
    assert client.stats.llm_calls == 10


def test_budget_stops_before_it_is_exceeded(cache: ResponseCache) -> None:
    client = LLMClient(LLMSettings(model="fake", budget_usd=0.012, max_tokens=1000), cache=cache)

    async def run() -> list[object]:
        out: list[object] = []
        for i in range(20):
            try:
                out.append(await client.complete(_request(200 + i)))
            except BudgetExceeded as exc:
                out.append(exc)
        return out

    results = asyncio.run(run())
    made = [r for r in results if not isinstance(r, BudgetExceeded)]
    refused = [r for r in results if isinstance(r, BudgetExceeded)]
    assert made and refused
    # Once refused, every later call is refused too: the run stops cleanly.
    assert all(isinstance(r, BudgetExceeded) for r in results[len(made) :])
    assert client.stats.cost_usd <= 0.012
    assert client.budget.spent_usd == pytest.approx(client.stats.cost_usd)
    assert "re-run with a larger --budget" in str(refused[0])


def test_a_freed_slot_goes_to_the_waiting_call_before_the_answer_is_handled(monkeypatch: pytest.MonkeyPatch) -> None:
    """Calls sent together come back together: the call waiting for a slot must go out as soon as a
    slot frees, not after the finished answer has been validated and handled."""
    from skillforge.llm import _litellm

    events: list[str] = []
    real = _litellm.acompletion

    async def sending(**kwargs: object) -> object:
        events.append("sent")
        return await real(**kwargs)

    monkeypatch.setattr(_litellm, "acompletion", sending)
    client = LLMClient(LLMSettings(model="fake", concurrency=1, cache=False))
    requests = [_request(1), _request(2)]

    async def handled(request: LLMRequest) -> None:
        await client.complete(request)
        events.append("handled")

    async def both() -> None:
        await asyncio.gather(*(handled(r) for r in requests))

    asyncio.run(both())
    assert events == ["sent", "sent", "handled", "handled"]
