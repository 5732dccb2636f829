"""Interpreter-wide settings for commands that make many model calls; only the CLI changes them.

Library code leaves the interpreter as it found it. A command that runs the model pipeline (distill
``--model``, evolve, correct) may opt in, for the duration of the command:

* a shorter GIL switch interval — litellm runs part of every call in worker threads, and with the
  default 5 ms the event loop queues behind them while answers wait;
* litellm imported once up front and its ~400k long-lived objects frozen out of the cyclic collector
  (``gc.freeze``), so a full collection does not stall every call in flight for ~150 ms.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["SWITCH_INTERVAL_S", "tuned_for_model_calls"]

SWITCH_INTERVAL_S = 0.0005


@contextmanager
def tuned_for_model_calls() -> Iterator[None]:
    """Apply the settings above for the ``with`` block; the switch interval is restored afterwards
    (frozen objects stay frozen: they live as long as the process anyway)."""
    from skillforge.llm._litellm import get_litellm

    get_litellm()
    gc.collect()
    gc.freeze()
    switch = sys.getswitchinterval()
    sys.setswitchinterval(min(switch, SWITCH_INTERVAL_S))
    try:
        yield
    finally:
        sys.setswitchinterval(switch)
