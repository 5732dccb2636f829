"""One concurrency, rate and budget limit for model calls made by many processes.

With the Ray executor the analysts run on every node of a cluster, but the provider's limits and the
user's ``--concurrency`` and ``--budget`` hold for the run as a whole. ``CallLimiter`` is the state
behind one limiter actor: every call asks it for a slot before it goes out and gives the slot back
with what it really used. Per model it keeps

- at most ``concurrency`` calls in flight,
- at most ``requests_per_minute`` calls started in any 60 s window,
- at most ``tokens_per_minute`` tokens (estimated when the slot is taken, corrected on release),

and across models the budget: a call whose estimated cost would pass what is left is refused, and
so is every later one (the same rule as ``llm.budget.Budget``). Plain asyncio, no Ray: the actor
wraps it, tests drive it directly.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

WINDOW_S = 60.0
REPLACED = "replaced"
"""What ``acquire`` returns to a request of an owner that was forgotten (restarted) while it waited."""


@dataclass(frozen=True)
class RateLimits:
    """Cluster-wide limits of one model. None: no limit of that kind."""

    concurrency: int = 8
    requests_per_minute: int | None = None
    tokens_per_minute: int | None = None


@dataclass
class _ModelState:
    limits: RateLimits
    in_flight: int = 0
    started: deque[float] = field(default_factory=deque)
    """Start times of the calls in the current window (for requests per minute)."""
    tokens: dict[int, tuple[float, int]] = field(default_factory=dict)
    """Slot → (start time, tokens counted for it) within the current window (for tokens per minute)."""


@dataclass
class _Slot:
    model: str
    owner: str
    reserved_usd: float


class CallLimiter:
    """Slots for model calls under per-model limits and one budget; see the module docstring."""

    def __init__(
        self,
        limits: dict[str, RateLimits],
        *,
        budget_usd: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        window_s: float = WINDOW_S,
    ) -> None:
        self._limits = dict(limits)
        self._models: dict[str, _ModelState] = {}
        self._slots: dict[int, _Slot] = {}
        self._next = 0
        self._clock = clock
        self._window = window_s
        """The rate window: a minute (shorter in tests)."""
        self._changed = asyncio.Condition()
        self._epochs: dict[str, int] = {}
        self._incarnations: dict[str, int] = {}
        """Owner → the process ``forget`` last named as the live one."""
        """Owner → how many times it was forgotten: a request from before the last time is the dead process's."""
        self.budget_usd = budget_usd
        self.spent_usd = 0.0
        self.reserved_usd = 0.0
        self.exhausted = False
        self.max_in_flight = 0
        """Highest number of calls in flight at once, all models together (never above the limits)."""
        self.granted = 0
        """Slots given out: every call that went out to a model."""
        self.forgotten = 0
        """Slots freed for an owner that died holding them: calls cut short by a killed worker."""
        self.released = 0
        """Slots given back by their owner: calls that finished (with an answer or an error)."""

    def _state(self, model: str) -> _ModelState:
        state = self._models.get(model)
        if state is None:
            default = self._limits.get("*", RateLimits())
            state = self._models[model] = _ModelState(self._limits.get(model, default))
        return state

    def _wait_s(self, state: _ModelState, tokens: int) -> float | None:
        """0 when a call may start now, seconds until the rate window frees up, None to wait for a slot."""
        limits, now = state.limits, self._clock()
        while state.started and now - state.started[0] >= self._window:
            state.started.popleft()
        for slot in [s for s, (at, _) in state.tokens.items() if now - at >= self._window]:
            del state.tokens[slot]
        if state.in_flight >= limits.concurrency:
            return None
        waits = [0.0]
        if limits.requests_per_minute is not None and len(state.started) >= limits.requests_per_minute:
            waits.append(state.started[0] + self._window - now)
        if limits.tokens_per_minute is not None and state.tokens:
            used = sum(n for _, n in state.tokens.values())
            # A call larger than the whole allowance still goes out, alone in its window.
            if used + tokens > limits.tokens_per_minute:
                waits.append(min(at for at, _ in state.tokens.values()) + self._window - now)
        return max(waits)

    async def acquire(
        self, owner: str, model: str, tokens: int, cost_usd: float = 0.0, *, incarnation: int | None = None
    ) -> int | str:
        """Wait for a slot for one call of ``model`` estimated at ``tokens`` tokens and ``cost_usd``.
        Returns the slot id, ``REPLACED`` when the request came from a dead process of ``owner`` (it was
        forgotten while the request waited, or ``incarnation`` is not the one ``forget`` last named), or
        a message when the budget refuses the call (and every later one)."""
        state = self._state(model)
        epoch = self._epochs.get(owner, 0)
        async with self._changed:
            while True:
                if self._epochs.get(owner, 0) != epoch or (
                    incarnation is not None and self._incarnations.get(owner, incarnation) != incarnation
                ):
                    # Granting it would hand a slot to a process that can never give it back.
                    return REPLACED
                refusal = self._budget_refusal(cost_usd)
                if refusal is not None:
                    return refusal
                wait = self._wait_s(state, tokens)
                if wait == 0.0:
                    break
                try:
                    await asyncio.wait_for(self._changed.wait(), timeout=wait)
                except asyncio.TimeoutError:
                    pass
            slot = self._next
            self._next += 1
            now = self._clock()
            state.in_flight += 1
            state.started.append(now)
            state.tokens[slot] = (now, tokens)
            self.reserved_usd += cost_usd
            self._slots[slot] = _Slot(model, owner, cost_usd)
            self.max_in_flight = max(self.max_in_flight, sum(s.in_flight for s in self._models.values()))
            self.granted += 1
            return slot

    def _budget_refusal(self, cost_usd: float) -> str | None:
        if self.budget_usd is None:
            return None
        if self.exhausted or self.spent_usd + self.reserved_usd + cost_usd > self.budget_usd:
            self.exhausted = True
            return (
                f"budget of ${self.budget_usd:.4f} reached (spent ${self.spent_usd:.4f}, "
                f"in flight ${self.reserved_usd:.4f}, next call up to ${cost_usd:.4f})"
            )
        return None

    async def release(self, slot: int, tokens: int | None = None, cost_usd: float = 0.0) -> None:
        """Give ``slot`` back: ``tokens`` the call really used (None: keep the estimate), its real cost."""
        if self._free(slot, tokens, cost_usd):
            self.released += 1
            await self._notify()

    def _free(self, slot: int, tokens: int | None = None, cost_usd: float = 0.0) -> bool:
        held = self._slots.pop(slot, None)
        if held is None:
            return False  # released twice, or forgotten with its owner
        state = self._state(held.model)
        state.in_flight -= 1
        if tokens is not None and slot in state.tokens:
            state.tokens[slot] = (state.tokens[slot][0], tokens)
        self.reserved_usd = max(0.0, self.reserved_usd - held.reserved_usd)
        self.spent_usd += cost_usd
        return True

    async def _notify(self) -> None:
        async with self._changed:
            self._changed.notify_all()

    async def forget(self, owner: str, incarnation: int | None = None) -> int:
        """Release every slot ``owner`` holds (a worker that died cannot) and drop the requests it still
        had waiting (``acquire`` returns ``REPLACED`` to them); returns how many slots there were. The
        restarted worker calls this before it asks for any slot of its own, naming itself
        (``incarnation``, its process id), so a request of the dead process that arrives later is
        dropped too."""
        self._epochs[owner] = self._epochs.get(owner, 0) + 1
        if incarnation is not None:
            self._incarnations[owner] = incarnation
        mine = [slot for slot, held in self._slots.items() if held.owner == owner]
        for slot in mine:
            self._free(slot)
        self.forgotten += len(mine)
        await self._notify()  # also wakes the dead owner's waiting requests, to be dropped
        return len(mine)

    def holding(self, owner: str) -> int:
        """How many slots ``owner`` holds now: its calls in flight."""
        return sum(1 for held in self._slots.values() if held.owner == owner)

    def stats(self) -> dict[str, float]:
        """Spent and reserved dollars, the most calls seen in flight at once, slots granted, released and forgotten."""
        return {"spent_usd": self.spent_usd, "reserved_usd": self.reserved_usd, "max_in_flight": self.max_in_flight,
                "granted": self.granted, "forgotten": self.forgotten, "released": self.released}
