"""The Ray executor: ``distill --model M --executor ray [--ray-address ADDR]`` over a Ray cluster.

Imported only when that executor is chosen (Ray is an optional extra: ``skillforge[ray]``).

- **Where**: no address starts a local Ray runtime in this process; ``auto`` or ``host:port`` joins a
  running cluster, ``ray://host:10001`` joins through Ray Client (needs ``ray[client]``).
- **Reading**: one Ray task per input file reads, redacts and makes the slim copy of each trace,
  streaming its traces back (a Ray generator, so a large file never sits whole in the object store).
  The driver takes the files' streams in input order, which keeps every trace's index, the
  clustering decisions and the merge tree's leaves exactly those of the local executor.
- **Analysts and merges**: async analyst actors, one per CPU of the cluster (and at least one per
  node), each running many analyses at once; every model call first takes a slot from one limiter actor (``call_limiter``:
  concurrency, requests/min and tokens/min per model, and the budget), so the limits hold for the
  cluster, not per process. The consolidation tree's merge steps run on the same actors.
- **Cache and journal**: the driver owns both (no shared filesystem needed, Ray Client works too).
  Each finished call streams back to the driver with its cache record, is written to the response
  cache and then journalled, exactly as a local call is. Before a task is sent, the driver replays it
  against its cache: a task answered wholly from the cache never leaves the driver, and one that was
  interrupted half-way is sent with the answers it already has (``preload``), so a rerun after the
  driver was killed makes no call that had finished.
- **Faults**: read tasks are retried by Ray (``max_retries``). A killed analyst actor is restarted
  (``max_restarts``), but its tasks are retried by the driver, not by Ray: Ray would resend a task
  with its first preload and pay again for the calls the killed attempt had finished and streamed
  back, so the driver replays the task against its cache again and resends it to another actor with
  those answers (up to ``TASK_RETRIES`` times). Calls are counted as their answers arrive, so the
  report counts a killed attempt's calls too. The limiter frees the slots a dead worker held. A task
  that still fails in Ray (``RayError``: task error, actor died again, lost object, out of memory)
  becomes a failed analysis or an unmerged node in the report, as a failed model call does.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections import deque
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path
from typing import Any, TypeVar

from skillforge.distill.consolidate import MergeStep, RuleSet
from skillforge.distill.model.analysts import AnalystResult, LLMAnalyst
from skillforge.distill.model.call_limiter import CallLimiter, RateLimits
from skillforge.distill.model.executor import Analysed, Feed
from skillforge.distill.model.ray_worker import (
    AnalystWorker,
    Record,
    TaskCache,
    TaskClient,
    analyze_job,
    merge_job,
    read_items,
)
from skillforge.errors import BudgetExceeded, InputError, SkillforgeError
from skillforge.ingest import ReadOptions
from skillforge.llm.client import LLMClient
from skillforge.models import Lesson, Skipped, Trace
from skillforge.models.llm import CallFailure, LLMRequest, LLMResponse, UsageStats

_T = TypeVar("_T")

READ_LOOKAHEAD = 4
"""Files being read ahead of the one whose traces the driver is taking."""
READ_BUFFER = 32
"""Traces one read task may have waiting in the object store before it pauses."""
TASK_RETRIES = 3
"""Times a task is sent again after its analyst actor died (and Ray retries a read task)."""
RETRY_PAUSE_S = 0.5
"""First pause before a task goes again to an actor it was already sent to (doubling each time)."""
FORWARDED_ENV = ("SKILLFORGE_FAKE_", "LITELLM_LOCAL_MODEL_COST_MAP")
"""Environment the workers need to give the same answers (fake-model knobs, litellm's price map).
Provider credentials are not sent: workers read their own (set them in the cluster's environment)."""


def _import_ray() -> Any:
    """Ray as an untyped module (the boundary where its types stop), or an error saying how to get it."""
    try:
        import ray
    except ImportError as exc:
        raise SkillforgeError(
            "the Ray executor needs Ray, which is not installed", hint='pip install "skillforge[ray]"'
        ) from exc
    module: Any = ray
    return module


def rate_limits(concurrency: int) -> RateLimits:
    """The cluster-wide limits: ``--concurrency``, and requests/tokens per minute from
    ``SKILLFORGE_REQUESTS_PER_MINUTE`` / ``SKILLFORGE_TOKENS_PER_MINUTE`` when set."""

    def number(name: str) -> int | None:
        raw = os.environ.get(name, "").strip()
        if not raw:
            return None
        try:
            value = int(raw)
        except ValueError:
            raise InputError(f"{name} must be a whole number, not {raw!r}") from None
        return value if value > 0 else None

    return RateLimits(
        concurrency=concurrency,
        requests_per_minute=number("SKILLFORGE_REQUESTS_PER_MINUTE"),
        tokens_per_minute=number("SKILLFORGE_TOKENS_PER_MINUTE"),
    )


class _LimiterActor:
    """``CallLimiter`` as an async actor (its methods run on the actor's event loop)."""

    def __init__(self, limits: dict[str, RateLimits], budget_usd: float | None) -> None:
        self.limiter = CallLimiter(limits, budget_usd=budget_usd)

    async def acquire(
        self, owner: str, model: str, tokens: int, cost_usd: float, incarnation: int | None = None
    ) -> int | str:
        return await self.limiter.acquire(owner, model, tokens, cost_usd, incarnation=incarnation)

    async def release(self, slot: int, tokens: int | None, cost_usd: float) -> None:
        await self.limiter.release(slot, tokens, cost_usd)

    async def forget(self, owner: str, incarnation: int | None = None) -> int:
        return await self.limiter.forget(owner, incarnation)

    async def holding(self, owner: str) -> int:
        return self.limiter.holding(owner)

    async def stats(self) -> dict[str, float]:
        return self.limiter.stats()


class _Miss(BaseException):
    """Raised by the replay cache at the first call it cannot answer (BaseException: no ``except
    LLMError`` on the way may turn it into a failed call)."""


def _never(record: Record) -> None:
    raise AssertionError("a replay never makes a call")


def _short(exc: BaseException) -> str:
    """One line for the report: a task error's own cause, else the first line of Ray's message."""
    cause = getattr(exc, "cause", None)
    text = f"{type(cause).__name__}: {cause}" if isinstance(cause, BaseException) else str(exc)
    lines = text.strip().splitlines()
    return (lines[0] if lines else type(exc).__name__)[:300]


class _RayFeed:
    """Read tasks per file, their streams taken in input order (``Feed``)."""

    def __init__(self, ray: Any, read: Any, files: list[Path], fmt: str | None, options: ReadOptions,
                 redact_emails: bool) -> None:
        self.skipped: list[Skipped] = []
        self._ray = ray
        self._read = read
        self._args = (fmt, options, redact_emails, os.getcwd())
        self._files = deque(str(p) for p in files)
        self._running: deque[Any] = deque()
        self._current: Any = None
        self._fill()

    def _fill(self) -> None:
        while self._files and len(self._running) < READ_LOOKAHEAD:
            self._running.append(self._read.remote(self._files.popleft(), *self._args))

    async def next(self) -> tuple[Trace, Trace] | None:
        while True:
            if self._current is None:
                if not self._running:
                    return None
                self._current = self._running.popleft()
                self._fill()
            try:
                ref = await self._current.__anext__()
                kind, item, slim = await ref
            except StopAsyncIteration:
                self._current = None
                continue
            except self._ray.exceptions.RayError as exc:
                self.close()
                raise InputError(f"reading the inputs failed: {exc}") from exc
            if kind == "skip":
                self.skipped.append(item)
                continue
            return item, slim

    def close(self) -> None:
        for gen in [self._current, *self._running]:
            if gen is not None:
                try:
                    self._ray.cancel(gen)
                except Exception:  # noqa: BLE001 - a finished or already cancelled task
                    pass
        self._current = None
        self._running.clear()
        self._files.clear()


class RayExecutor:
    """The analysis stage's work on a Ray cluster; see the module docstring."""

    def __init__(self, client: LLMClient, analyst: LLMAnalyst, *, address: str | None = None,
                 workers: int | None = None) -> None:
        self.client = client
        self.analyst = analyst
        self.ray = ray = _import_ray()
        self._started = False
        self.workers: list[Any] = []
        self.limiter: Any = None
        self._seen: set[str] = set()
        self._load: list[int] = []
        if not ray.is_initialized():
            self._init(address)
            self._started = True
        try:
            self._caps = {"tools": client.supports_tools, "schema": client.supports_schema}
            budget = client.budget.remaining_usd
            limiter_cls = ray.remote(_LimiterActor)
            limiter_name = f"skillforge-limiter-{uuid.uuid4().hex}"
            self.limiter = limiter_cls.options(num_cpus=0, max_concurrency=10_000, name=limiter_name).remote(
                {"*": rate_limits(client.settings.concurrency)}, budget
            )
            # One analyst actor per CPU of the cluster, at least one per node (spread over the nodes):
            # handling a call's answer costs CPU, and one actor's event loop uses one core.
            nodes = sum(1 for node in ray.nodes() if node.get("Alive"))
            count = workers or max(1, nodes, int(ray.cluster_resources().get("CPU", 0)))
            worker_cls = ray.remote(AnalystWorker)
            # No task retries by Ray (see the module docstring): ``_run`` resends a dead actor's tasks.
            self.workers = [
                worker_cls.options(
                    num_cpus=0, max_concurrency=10_000, max_restarts=-1, max_task_retries=0, scheduling_strategy="SPREAD"
                ).remote(f"analyst-{i}", client.settings, self._caps, analyst.tool_steps, analyst.use_tools, limiter_name)
                for i in range(count)
            ]
            self._load = [0] * count
            self._read = ray.remote(read_items).options(
                num_returns="streaming", max_retries=TASK_RETRIES, _generator_backpressure_num_objects=READ_BUFFER
            )
        except BaseException:
            # Actors that did start, and a runtime started for this run, must not outlive it.
            self.close()
            raise

    def _init(self, address: str | None) -> None:
        env = {k: v for k, v in os.environ.items() if k.startswith(FORWARDED_ENV)}
        kwargs: dict[str, Any] = {
            "runtime_env": {"env_vars": env},
            "log_to_driver": False,
            "configure_logging": False,
            "include_dashboard": False,
        }
        if address is None:
            # A local runtime for this run only; a shared machine gets no more than it asks for.
            cpus = os.environ.get("SKILLFORGE_RAY_CPUS")
            store = os.environ.get("SKILLFORGE_RAY_OBJECT_STORE_MB")
            if cpus:
                kwargs["num_cpus"] = int(cpus)
            if store:
                kwargs["object_store_memory"] = int(store) * 1024 * 1024
        elif address.startswith("ray://"):
            # Ray Client takes only what its server-side init understands here.
            kwargs = {"runtime_env": kwargs["runtime_env"]}
        else:
            del kwargs["include_dashboard"]
        try:
            self.ray.init(address=address, **kwargs)
        except (ConnectionError, RuntimeError, ValueError) as exc:
            raise SkillforgeError(
                f"could not start or join the Ray cluster{f' at {address}' if address else ''}: {exc}",
                hint="check --ray-address (auto, host:port or ray://host:10001) and that the cluster is up",
            ) from exc

    # --- the executor seam ---------------------------------------------------------------------

    def feed(self, files: list[Path], fmt: str | None, options: ReadOptions, redact_emails: bool) -> Feed:
        return _RayFeed(self.ray, self._read, files, fmt, options, redact_emails)

    async def analyze(self, trace: Trace, slim: Trace) -> Analysed:
        job = analyze_job(trace, slim, self.analyst.tool_steps, self.analyst.use_tools)
        try:
            return await self._run(job, "analyze", trace, slim)
        except self.ray.exceptions.RayError as exc:
            failure = CallFailure(task=f"analyst:{trace.id}", error=_short(exc), kind=type(exc).__name__)
            return Analysed(AnalystResult(trace_id=trace.id, failure=failure))

    def merge_step(self, failures: list[CallFailure]) -> MergeStep:
        async def step(lessons: list[Lesson], label: str) -> RuleSet:
            try:
                merged, failed = await self._run(merge_job(lessons, label), "merge", lessons, label)
            except self.ray.exceptions.RayError as exc:
                # As ``LLMMergeStep`` does when its call fails: the node keeps its lessons unmerged.
                failures.append(CallFailure(task=label, error=_short(exc), kind=type(exc).__name__))
                return RuleSet(lessons=list(lessons))
            failures.extend(failed)
            return merged

        return step

    def close(self) -> None:
        for actor in [*self.workers, self.limiter]:
            if actor is None:
                continue
            try:
                self.ray.kill(actor)
            except Exception:  # noqa: BLE001 - already gone
                pass
        self.workers = []
        self.limiter = None
        if self._started:
            self.ray.shutdown()
            self._started = False

    # --- driver-side cache: replay first, then send with what is known ----------------------------

    async def _run(self, job: Callable[[LLMClient], Awaitable[_T]], method: str, *args: Any) -> _T:
        """``job``'s result: from the driver's cache alone when every call is there, else from
        ``method`` on an analyst actor, sent with the answers known so far. When the actor dies, the
        task is replayed again (now with the answers its killed attempt streamed back) and sent to
        another actor, up to ``TASK_RETRIES`` times; a Ray error after that is raised."""
        made: dict[str, LLMResponse] = {}
        """The answers this task's attempts have streamed back."""
        tried: set[int] = set()
        for attempt in range(TASK_RETRIES + 1):
            done, preload = await self._replay(job, made)
            if done is not None:
                return done
            try:
                result: _T = await self._remote(method, args, preload, made, tried)
                return result
            except self.ray.exceptions.RayActorError:
                if attempt == TASK_RETRIES:
                    raise
                if len(tried) >= len(self.workers):
                    # Only restarting actors are left: a task sent to one fails at once.
                    await asyncio.sleep(RETRY_PAUSE_S * 2**attempt)
        raise AssertionError("unreachable")

    async def _replay(
        self, job: Callable[[LLMClient], Awaitable[_T]], made: dict[str, LLMResponse]
    ) -> tuple[_T | None, dict[str, LLMResponse]]:
        """Run ``job`` against the driver's cache (and ``made``) only: its result if every call was
        answered, else None and the answers found before the first miss (to be sent with the task)."""
        cache = self.client.cache
        if cache is None and not made:
            return None, {}
        hits: dict[str, LLMResponse] = {}

        def lookup(key: str) -> LLMResponse | None:
            hit = made.get(key) or (cache.get(key) if cache is not None else None)
            if hit is None:
                raise _Miss()
            hits[key] = hit
            return hit

        client = TaskClient(self.client.settings, TaskCache(lookup, self._caps, _never))
        try:
            result = await job(client)
        except _Miss:
            return None, hits
        self._fold(client.stats, client.hit_keys, made)
        return result, {}

    async def _remote(
        self, method: str, args: tuple[Any, ...], preload: dict[str, LLMResponse], made: dict[str, LLMResponse],
        tried: set[int],
    ) -> Any:
        """Run ``method`` on the least busy analyst actor not ``tried`` yet for this task, taking its
        calls into the cache (and ``made``) as they come."""
        untried = [i for i in range(len(self.workers)) if i not in tried] or list(range(len(self.workers)))
        slot = min(untried, key=lambda i: self._load[i])
        tried.add(slot)
        self._load[slot] += 1
        try:
            actor_method = getattr(self.workers[slot], method).options(num_returns="streaming")
            stream = actor_method.remote(*args, preload)
            async for ref in stream:
                item = await ref
                if item[0] == "call":
                    self._record(item[1], item[2], item[3], made)
                    continue
                kind, outcome, stats, hits = item
                self._fold(stats, set(hits), made)
                if kind == "budget":
                    raise BudgetExceeded(
                        outcome, hint="re-run with a larger --budget; finished calls come from the cache"
                    )
                return outcome
        finally:
            self._load[slot] -= 1
        raise SkillforgeError(f"the Ray {method} task ended without a result")

    def _record(self, key: str, task: str, response: LLMResponse, made: dict[str, LLMResponse]) -> None:
        """A call finished on a worker: counted at once (its attempt may yet die), then into the
        driver's cache and (once on disk) the journal."""
        made[key] = response
        stage = task.split(":", 1)[0]
        self.client.stats.add(UsageStats(
            llm_calls=1, prompt_tokens=response.prompt_tokens, completion_tokens=response.completion_tokens,
            cost_usd=response.cost_usd, calls_by_stage={stage: 1},
        ))
        self.client.budget.settle(0.0, response.cost_usd)
        if key in self._seen:
            return  # the same request made twice: paid twice, but cached and journalled once
        self._seen.add(key)
        sink = self.client.on_call
        cache = self.client.cache

        def journal() -> None:
            if sink is not None:
                sink(key, LLMRequest(task=task, template="", template_hash="", messages=[]), response)

        if cache is not None:
            cache.put(key, response, task=task, then=journal)
        else:
            journal()

    def _fold(self, stats: UsageStats, hits: set[str], made: Mapping[str, LLMResponse]) -> None:
        """Add one task's usage to the run's totals (what the report shows), less what is counted
        elsewhere: its calls were counted as they came (``_record``), and the answers a retry got
        from its own killed attempts (``made``) are no cache hits."""
        own = hits & made.keys()
        self.client.stats.add(stats.model_copy(update={
            "llm_calls": 0, "prompt_tokens": 0, "completion_tokens": 0, "cost_usd": 0.0, "calls_by_stage": {},
            "cache_hits": stats.cache_hits - len(own),
        }))
        self.client.hit_keys |= hits - own
