"""The Ray executor's worker side: what runs in the cluster's processes, without importing Ray.

- ``read_items``: the body of the per-file read task (read, redact, slim copy), one item per trace.
- ``analyze_job`` / ``merge_job``: the work of one task over a given client, the same on a worker and
  in the driver's replay of the task against its cache.
- ``AnalystWorker``: the body of the analyst actors. ``analyze`` and ``merge`` are async generators
  (Ray streaming actor tasks): every model call that finishes is sent back to the driver at once as
  ``("call", key, task, response)``, so the driver's cache and journal hold it even if the driver is
  killed a moment later; the last item is ``("done", outcome, stats, hit keys)`` or
  ``("budget", message, stats, hit keys)``.

Workers never touch the response cache on disk (the driver owns it, wherever the workers run): a
task arrives with ``preload``, the cached answers the driver found for it, and a worker answers
those from memory (``TaskCache``). Every call that does go out first takes a slot from the cluster's limiter actor.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from skillforge.distill.consolidate import RuleSet
from skillforge.distill.model.analysts import LLMAnalyst
from skillforge.distill.model.call_limiter import REPLACED
from skillforge.distill.model.executor import Analysed, screen
from skillforge.distill.model.merge import LLMMergeStep
from skillforge.distill.model.trace_feed import read_redacted
from skillforge.errors import BudgetExceeded, ProviderError
from skillforge.ingest import ReadOptions
from skillforge.llm import _litellm
from skillforge.llm.budget import estimate_call
from skillforge.llm.cache import ResponseCache
from skillforge.llm.client import LLMClient
from skillforge.models import Lesson, Skipped, Trace
from skillforge.models.llm import CallFailure, LLMRequest, LLMResponse, LLMSettings, UsageStats
from skillforge.scan.poison import slim_trace

_T = TypeVar("_T")

Record = tuple[str, str, LLMResponse]
"""One finished call: cache key, task label, answer."""

ReadItem = tuple[str, Trace | Skipped, Trace | None]
"""``("trace", trace, slim copy)`` or ``("skip", skipped, None)``."""


def read_items(
    path: str, fmt: str | None, options: ReadOptions, redact_emails: bool, cwd: str | None = None
) -> Iterator[ReadItem]:
    """Every trace of one file, redacted and paired with its slim copy, in file order (the read task).

    A relative ``path`` is read from ``cwd``, the driver's working folder, when this node has it;
    traces record the path as the user gave it either way (ids and provenance depend on it)."""
    if cwd is not None and os.path.isdir(cwd):
        options = replace(options, base=Path(cwd))
    for item in read_redacted([Path(path)], fmt, options, redact_emails):
        if isinstance(item, Skipped):
            yield ("skip", item, None)
        else:
            yield ("trace", item, slim_trace(item))


class TaskCache(ResponseCache):
    """One task's response cache, in memory and never on disk: answers come from ``lookup``, every
    new answer goes to ``sink``, and the model's capabilities are the driver's, so the task sends the
    same requests (and cache keys) wherever it runs."""

    def __init__(
        self, lookup: Callable[[str], LLMResponse | None], caps: dict[str, bool], sink: Callable[[Record], None]
    ) -> None:
        super().__init__(Path("."))
        self.caps = dict(caps)
        self._lookup = lookup
        self._sink = sink

    @classmethod
    def preloaded(cls, preload: dict[str, LLMResponse], caps: dict[str, bool], sink: Callable[[Record], None]) -> TaskCache:
        """A worker's cache: the driver's answers for the task, then the answers the task gets."""
        answers = dict(preload)

        def keep(record: Record) -> None:
            answers[record[0]] = record[2]
            sink(record)

        return cls(answers.get, caps, keep)

    def get(self, key: str) -> LLMResponse | None:
        return self._lookup(key)

    def has(self, key: str) -> bool:
        return self._lookup(key) is not None

    def put(self, key: str, response: LLMResponse, *, task: str = "", then: Callable[[], None] | None = None) -> None:
        self._sink((key, task, response))

    def flush(self) -> None:
        return None

    def capabilities(self, model: str, version: str) -> dict[str, bool] | None:
        return dict(self.caps)

    def record_capabilities(self, model: str, version: str, value: dict[str, bool]) -> None:
        return None


class TaskClient(LLMClient):
    """An ``LLMClient`` over a ``TaskCache`` that takes the cache's capabilities as the model's
    (without reading litellm's package metadata for every task)."""

    def __init__(self, settings: LLMSettings, cache: TaskCache) -> None:
        # A worker makes its calls itself (the cluster spreads them); no helper processes of its own.
        super().__init__(settings.model_copy(update={"cache": True, "call_processes": 0}), cache=cache)
        self._known_caps = cache.caps

    def _capabilities(self) -> dict[str, bool]:
        return self._known_caps


def analyze_job(trace: Trace, slim: Trace, tool_steps: int, use_tools: bool) -> Callable[[LLMClient], Awaitable[Analysed]]:
    """One analyst on ``trace``, its lessons through the poisoned-lesson check (``screen``)."""

    async def work(client: LLMClient) -> Analysed:
        analyst = LLMAnalyst(client, tool_steps=tool_steps, use_tools=use_tools)
        return screen(await analyst.analyze(trace), slim)

    return work


def merge_job(lessons: list[Lesson], label: str) -> Callable[[LLMClient], Awaitable[tuple[RuleSet, list[CallFailure]]]]:
    """One merge node: the merged set and the failures of its calls."""

    async def work(client: LLMClient) -> tuple[RuleSet, list[CallFailure]]:
        failures: list[CallFailure] = []
        merged = await LLMMergeStep(client, failures)(lessons, label)
        return merged, failures

    return work


def rough_tokens(request: LLMRequest, max_tokens: int) -> int:
    """A cheap upper-side guess of a call's tokens for the tokens-per-minute window (4 chars a token)."""
    chars = sum(len(str(m.get("content") or "")) for m in request.messages)
    return chars // 4 + max_tokens


class ClusterClient(TaskClient):
    """An ``LLMClient`` whose calls take a slot from the cluster-wide limiter actor first.

    The budget lives in the limiter too (a worker's own ``Budget`` is unlimited), so it holds for the
    whole cluster; a refused slot raises ``BudgetExceeded`` like a local budget would."""

    def __init__(self, settings: LLMSettings, *, cache: TaskCache, limiter: Any, owner: str) -> None:
        super().__init__(settings.model_copy(update={"budget_usd": None}), cache)
        self._limiter = limiter
        self._owner = owner
        self._priced = settings.budget_usd is not None

    async def _call_once(self, request: LLMRequest, max_tokens: int) -> LLMResponse:
        # Counting tokens with litellm costs milliseconds: only a budget needs the priced estimate.
        cost = estimate_call(self.model, request.messages, request.tools, max_tokens).cost_usd if self._priced else 0.0
        slot = await self._limiter.acquire.remote(
            self._owner, self.model, rough_tokens(request, max_tokens), cost, os.getpid()
        )
        if slot == REPLACED:
            # Only a request of this worker's killed predecessor gets this; retried like a lost call.
            raise ProviderError(f"{request.task}: the limiter dropped a request of a replaced worker", status=503)
        if isinstance(slot, str):
            raise BudgetExceeded(
                f"{request.task}: {slot}", hint="re-run with a larger --budget; finished calls come from the cache"
            )
        used: int | None = 0
        spent = 0.0
        try:
            response = await super()._call_once(request, max_tokens)
            used, spent = response.prompt_tokens + response.completion_tokens, response.cost_usd
            return response
        finally:
            self._limiter.release.remote(slot, used, spent)


class AnalystWorker:
    """One analyst process of the cluster (wrapped as an async Ray actor by ``ray_executor``)."""

    def __init__(
        self, owner: str, settings: LLMSettings, caps: dict[str, bool], tool_steps: int, use_tools: bool, limiter: str
    ) -> None:
        self.owner = owner
        self.settings = settings
        self.caps = caps
        self.tool_steps = tool_steps
        self.use_tools = use_tools
        # The limiter is found by name, not passed as a handle: constructor arguments stay plain
        # values, which Ray can always hand to a restarted actor.
        import ray  # only ever imported inside a Ray worker

        self.limiter = ray.get_actor(limiter)
        # A restarted worker has the same owner name: slots its killed predecessor held are freed.
        self.limiter.forget.remote(owner, os.getpid())
        # Import litellm now, while the driver still waits for its first traces, not on the first call.
        _litellm.get_litellm()

    def pid(self) -> int:
        return os.getpid()

    async def analyze(
        self, trace: Trace, slim: Trace, preload: dict[str, LLMResponse]
    ) -> AsyncIterator[tuple[Any, ...]]:
        """Run one analyst on ``trace`` and screen its lessons; see the module docstring for the items."""
        async for item in self._run(analyze_job(trace, slim, self.tool_steps, self.use_tools), preload):
            yield item

    async def merge(
        self, lessons: list[Lesson], label: str, preload: dict[str, LLMResponse]
    ) -> AsyncIterator[tuple[Any, ...]]:
        """Run one merge node; the outcome is ``(RuleSet, failures)``."""
        async for item in self._run(merge_job(lessons, label), preload):
            yield item

    async def _run(
        self, work: Callable[[LLMClient], Awaitable[_T]], preload: dict[str, LLMResponse]
    ) -> AsyncIterator[tuple[Any, ...]]:
        records: asyncio.Queue[Record] = asyncio.Queue()
        client = ClusterClient(
            self.settings, cache=TaskCache.preloaded(preload, self.caps, records.put_nowait),
            limiter=self.limiter, owner=self.owner,
        )
        job = asyncio.ensure_future(work(client))
        while True:
            waiter = asyncio.ensure_future(records.get())
            await asyncio.wait({job, waiter}, return_when=asyncio.FIRST_COMPLETED)
            if waiter.done():
                key, task, response = waiter.result()
                yield ("call", key, task, response)
                continue
            waiter.cancel()
            break
        while not records.empty():
            key, task, response = records.get_nowait()
            yield ("call", key, task, response)
        stats: UsageStats = client.stats
        try:
            outcome = job.result()
        except BudgetExceeded as exc:
            yield ("budget", exc.message, stats, sorted(client.hit_keys))
            return
        yield ("done", outcome, stats, sorted(client.hit_keys))
