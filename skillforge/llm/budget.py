"""Token and cost accounting with litellm's own counters, and a budget that stops before it is exceeded.

Before each call the client reserves a worst-case estimate (prompt tokens counted by litellm's
tokenizer for the model, plus ``max_tokens`` of completion, priced from litellm's model cost
map). If spent + reserved + this estimate would pass the limit, the call is refused with
``BudgetExceeded`` and so is every later one: the run stops cleanly with what it has, and a
re-run with a larger budget resumes from the cache. After the call the reservation is replaced
by the real cost.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from skillforge.errors import BudgetExceeded
from skillforge.llm import _litellm


@dataclass(frozen=True)
class CallEstimate:
    """A priced guess of one call."""

    prompt_tokens: int
    completion_tokens: int
    cost_usd: float
    cost_known: bool


def estimate_call(
    model: str,
    messages: list[dict[str, Any]],
    tools: list[dict[str, Any]] | None,
    completion_tokens: int,
) -> CallEstimate:
    """Price ``messages`` (+ ``tools``) plus ``completion_tokens`` of answer for ``model``."""
    prompt_tokens = _litellm.count_tokens(model, messages, tools)
    cost = _litellm.cost_for(model, prompt_tokens, completion_tokens)
    return CallEstimate(prompt_tokens, completion_tokens, cost or 0.0, cost is not None)


class Budget:
    """Spent and reserved dollars against an optional limit. Thread- and task-safe."""

    def __init__(self, limit_usd: float | None = None) -> None:
        self.limit_usd = limit_usd
        self.spent_usd = 0.0
        self.reserved_usd = 0.0
        self.exhausted = False
        """Set by the first refused call; from then on every call is refused."""
        self._lock = threading.Lock()

    def reserve(self, estimate_usd: float, *, task: str = "") -> None:
        """Hold ``estimate_usd`` for a call about to start, or raise ``BudgetExceeded``."""
        with self._lock:
            if self.limit_usd is None:
                self.reserved_usd += estimate_usd
                return
            if self.exhausted or self.spent_usd + self.reserved_usd + estimate_usd > self.limit_usd:
                self.exhausted = True
                raise BudgetExceeded(
                    f"{task + ': ' if task else ''}budget of ${self.limit_usd:.4f} reached "
                    f"(spent ${self.spent_usd:.4f}, in flight ${self.reserved_usd:.4f}, "
                    f"next call up to ${estimate_usd:.4f})",
                    hint="re-run with a larger --budget; finished calls come from the cache",
                )
            self.reserved_usd += estimate_usd

    def settle(self, estimate_usd: float, actual_usd: float) -> None:
        """Replace a reservation by what the call really cost."""
        with self._lock:
            self.reserved_usd = max(0.0, self.reserved_usd - estimate_usd)
            self.spent_usd += actual_usd

    def release(self, estimate_usd: float) -> None:
        """Drop a reservation whose call did not happen or failed."""
        with self._lock:
            self.reserved_usd = max(0.0, self.reserved_usd - estimate_usd)

    @property
    def remaining_usd(self) -> float | None:
        if self.limit_usd is None:
            return None
        return max(0.0, self.limit_usd - self.spent_usd)
