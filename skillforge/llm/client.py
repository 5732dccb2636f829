"""Async model calls: bounded concurrency, per-call timeout, retries with backoff, cache and budget.

One ``LLMClient`` per run. ``complete(request)`` checks the content-addressed cache first (a hit
costs nothing and counts no tokens), reserves the call's worst-case cost against the budget,
then calls ``litellm.acompletion`` inside an ``asyncio.Semaphore`` so at most ``concurrency``
calls are in flight. Rate limits, 5xx answers, connection errors and timeouts are retried with
exponential backoff and full jitter; a ``Retry-After`` header is honoured. Waiting happens
outside the semaphore, so a throttled call never holds a slot another call could use.
"""

from __future__ import annotations

import asyncio
import random
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from skillforge.errors import LLMError, ProviderError, RateLimitError
from skillforge.llm import _litellm, call_pool
from skillforge.llm.budget import Budget, estimate_call
from skillforge.llm.cache import ResponseCache, cache_key
from skillforge.models.llm import LLMRequest, LLMResponse, LLMSettings, ToolCallOut, UsageStats

CallSink = Callable[[str, LLMRequest, LLMResponse], None]
"""Told about every finished (non-cached) call: ``(cache key, request, response)``."""

# Beyond this a provider's Retry-After is treated as "give up for now" rather than waited out.
MAX_RETRY_AFTER_S = 300.0


class LLMClient:
    """Calls one model for a whole run and keeps the run's usage totals in ``stats``."""

    def __init__(
        self,
        settings: LLMSettings,
        *,
        cache: ResponseCache | None = None,
        budget: Budget | None = None,
        on_call: CallSink | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings = settings
        self.model = _litellm.resolve_model(settings.model)
        self.cache = cache if settings.cache else None
        self.budget = budget or Budget(settings.budget_usd)
        self.on_call = on_call
        self.stats = UsageStats()
        self._sleep = sleep
        self._semaphore: asyncio.Semaphore | None = None
        self._in_flight = 0
        self.max_in_flight = 0
        """Highest number of simultaneous calls seen (the concurrency limit is never passed)."""
        self.hit_keys: set[str] = set()
        self._caps: dict[str, bool] | None = None
        """Cache keys answered from the cache in this run."""

    @property
    def supports_tools(self) -> bool:
        return self._capabilities()["tools"]

    @property
    def supports_schema(self) -> bool:
        return self._capabilities()["schema"]

    def _capabilities(self) -> dict[str, bool]:
        """What litellm knows the model supports; remembered in the cache folder, so that a re-run
        answered from the cache never pays the seconds it takes to import litellm."""
        if self._caps is None:
            version = _litellm.litellm_version()
            stored = self.cache.capabilities(self.model, version) if self.cache is not None else None
            if stored is None:
                stored = {"tools": _litellm.supports_tools(self.model), "schema": _litellm.supports_schema(self.model)}
                if self.cache is not None:
                    self.cache.record_capabilities(self.model, version, stored)
            self._caps = stored
        return self._caps

    def params(self, request: LLMRequest) -> dict[str, Any]:
        """Sampling parameters that decide the answer (and so belong in the cache key)."""
        return {
            "temperature": self.settings.temperature,
            "max_tokens": request.max_tokens or self.settings.max_tokens,
            "schema_in_request": bool(request.output_schema and self.supports_schema),
        }

    def key(self, request: LLMRequest) -> str:
        return cache_key(self.model, request, self.params(request))

    def cached(self, request: LLMRequest) -> bool:
        """Is the answer to ``request`` already cached (for dry-run estimates)?"""
        return self.cache is not None and self.cache.has(self.key(request))

    async def complete(self, request: LLMRequest) -> LLMResponse:
        """Answer ``request``: from the cache, or from the model with retries. Raises an ``LLMError``."""
        key = self.key(request)
        if self.cache is not None:
            hit = self.cache.get(key)
            if hit is not None:
                self.stats.cache_hits += 1
                self.hit_keys.add(key)
                return hit.model_copy(update={"cached": True, "cost_usd": 0.0, "prompt_tokens": 0, "completion_tokens": 0})
        max_tokens = request.max_tokens or self.settings.max_tokens
        reserved = 0.0
        if self.budget.limit_usd is not None:
            # Counting tokens costs milliseconds per call; only a budget needs the estimate up front.
            reserved = estimate_call(self.model, request.messages, request.tools, max_tokens).cost_usd
        self.budget.reserve(reserved, task=request.task)
        try:
            response = await self._call_with_retries(request, max_tokens)
        except BaseException:
            self.budget.release(reserved)
            raise
        self.budget.settle(reserved, response.cost_usd)
        self.stats.llm_calls += 1
        stage = request.task.split(":", 1)[0]
        self.stats.calls_by_stage[stage] = self.stats.calls_by_stage.get(stage, 0) + 1
        self.stats.prompt_tokens += response.prompt_tokens
        self.stats.completion_tokens += response.completion_tokens
        self.stats.cost_usd += response.cost_usd
        sink = self.on_call
        if self.cache is not None:
            then = (lambda: sink(key, request, response)) if sink is not None else None
            self.cache.put(key, response, task=request.task, then=then)
        elif sink is not None:
            sink(key, request, response)
        return response

    async def _call_with_retries(self, request: LLMRequest, max_tokens: int) -> LLMResponse:
        attempt = 0
        while True:
            try:
                return await self._call_once(request, max_tokens)
            except (RateLimitError, ProviderError) as exc:
                if not _retryable(exc) or attempt >= self.settings.max_retries:
                    self.stats.failed_calls += 1
                    raise
                delay = self._delay(exc, attempt)
                if delay is None:
                    self.stats.failed_calls += 1
                    raise
                attempt += 1
                self.stats.retries += 1
                await self._sleep(delay)
            except LLMError:
                self.stats.failed_calls += 1
                raise

    def _delay(self, exc: LLMError, attempt: int) -> float | None:
        retry_after: float | None = getattr(exc, "retry_after", None)
        if retry_after is not None:
            if retry_after > MAX_RETRY_AFTER_S:
                return None
            # A little jitter on top, so calls told "retry in 1 s" do not all come back at once.
            return retry_after + random.uniform(0, 0.1 * retry_after + 0.01)
        ceiling = min(self.settings.backoff_max, self.settings.backoff_base * (2**attempt))
        return random.uniform(ceiling / 2, ceiling)

    async def _call_once(self, request: LLMRequest, max_tokens: int) -> LLMResponse:
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": request.messages,
            "temperature": self.settings.temperature,
            "max_tokens": max_tokens,
            "timeout": self.settings.timeout,
            # Retries are ours (with Retry-After); litellm's and the OpenAI SDK's are switched off.
            "num_retries": 0,
            "max_retries": 0,
        }
        if self.settings.api_base:
            kwargs["api_base"] = self.settings.api_base
        if self.settings.api_key:
            kwargs["api_key"] = self.settings.api_key
        if request.tools:
            kwargs["tools"] = request.tools
        if request.output_schema is not None and self.supports_schema:
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.output_name or "answer", "schema": request.output_schema},
            }
        if self._semaphore is None:
            self._semaphore = asyncio.Semaphore(self.settings.concurrency)
        pooled = self.settings.call_processes  # litellm runs in helper processes (call_pool)
        parts: dict[str, Any] = {}
        raw: Any = None
        async with self._semaphore:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
            try:
                if pooled:
                    call = call_pool.pool(pooled).acompletion(kwargs, request.task)
                    parts = await _with_timeout(call, self.settings.timeout)
                else:
                    raw = await _with_timeout(_litellm.acompletion(**kwargs), self.settings.timeout)
            except Exception as exc:
                raise _litellm.to_skillforge_error(exc, task=request.task) from exc
            finally:
                self._in_flight -= 1
        # Answers come back in bursts (calls sent together return together). Let the call waiting for
        # the slot just freed go out before this answer is handled: each slot refills after the burst's
        # arrivals, not after all of their handling (validation, tools, the next prompt).
        await asyncio.sleep(0)
        return self._convert(parts if pooled else _litellm.answer_parts(raw))

    def _convert(self, parts: dict[str, Any]) -> LLMResponse:
        calls = [ToolCallOut(id=i, name=name, arguments=arguments) for i, name, arguments in parts["tool_calls"]]
        prompt_tokens, completion_tokens = parts["prompt_tokens"], parts["completion_tokens"]
        cost = parts["cost"]
        if cost is None:
            cost = _litellm.cost_for(self.model, prompt_tokens, completion_tokens)
        if cost is None:
            self.stats.cost_known = False
        return LLMResponse(
            content=parts["content"],
            tool_calls=calls,
            finish_reason=parts["finish_reason"],
            model=self.model,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=float(cost or 0.0),
        )


async def _with_timeout(call: Awaitable[Any], seconds: float) -> Any:
    """Await ``call`` for at most ``seconds`` (TimeoutError after), without wait_for's extra task where
    ``asyncio.timeout`` exists: one loop turn less before every call's request goes out."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await call
    return await asyncio.wait_for(call, timeout=seconds)


def _retryable(exc: LLMError) -> bool:
    if isinstance(exc, RateLimitError):
        return True
    status = getattr(exc, "status", None)
    return status is None or status == 408 or status >= 500
