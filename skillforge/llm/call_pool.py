"""Model calls made in helper processes, so litellm's per-call CPU runs on other cores.

A call through litellm costs milliseconds of CPU on the caller's side (building the request, the
provider SDK, parsing and pricing the answer). One event loop on one core makes a few hundred calls a
second at most; with short latencies and many calls in flight, that core, not the model, sets the
pace. ``LLMSettings.call_processes = N`` hands each call's ``litellm.acompletion`` to one of N helper
processes (least busy first) and gets back the finished answer; everything else stays where it was:
prompts, the response cache, retries, budget, the journal. The answers are the same, only where
litellm runs differs.

Helpers are started on first use (``python -m skillforge.llm.call_pool FD``, each with its own event
loop), shared by the clients of this process and stopped at exit; one that dies fails its calls in
flight as a retryable provider error and is replaced on the next call. A helper sees the environment
(API keys, ``LITELLM_*``) as it was when it started. Nothing here is a thread
in the calling process: answers are read by the caller's event loop (``add_reader``).
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import os
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from skillforge.errors import (
    AuthError,
    ContextWindowError,
    LLMError,
    ProviderError,
    RateLimitError,
    SkillforgeError,
)

__all__ = ["CallPool", "pool"]

_ERRORS: dict[str, type[LLMError]] = {
    cls.__name__: cls for cls in (LLMError, RateLimitError, ContextWindowError, AuthError, ProviderError)
}


def error_of(exc: BaseException, task: str) -> tuple[str, str, str | None, float | None, int | None]:
    """A litellm error as our error's plain parts: class name, message, hint, retry_after, status."""
    from skillforge.llm import _litellm

    err = _litellm.to_skillforge_error(exc, task=task)
    name = type(err).__name__ if type(err).__name__ in _ERRORS else "ProviderError"
    return name, err.message, err.hint, getattr(err, "retry_after", None), getattr(err, "status", None)


def _rebuild(parts: tuple[str, str, str | None, float | None, int | None]) -> LLMError:
    name, message, hint, retry_after, status = parts
    if name == "RateLimitError":
        return RateLimitError(message, retry_after=retry_after, hint=hint)
    if name == "ProviderError":
        return ProviderError(message, status=status, hint=hint)
    return _ERRORS.get(name, ProviderError)(message, hint=hint)


class _Helper:
    """One helper process and the calls it has in flight."""

    def __init__(self) -> None:
        ours, theirs = socket.socketpair()
        # The helper imports this very skillforge, wherever it was imported from.
        here = str(Path(__file__).resolve().parent.parent.parent)
        path = os.pathsep.join(filter(None, [here, os.environ.get("PYTHONPATH")]))
        self.process = subprocess.Popen(
            [sys.executable, "-m", "skillforge.llm.call_pool", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": path},
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.pending: dict[int, asyncio.Future[Any]] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self.cpu_s = 0.0
        """The helper's CPU time as of its last answer."""
        self.fake_cpu_s = 0.0
        """Of that, what the offline fake model spent composing answers (``--model fake`` only)."""
        self.alive = True

    def watch(self, loop: asyncio.AbstractEventLoop) -> None:
        """Read answers on ``loop`` (again, when a new event loop makes calls)."""
        if self.loop is loop:
            return
        if self.loop is not None and not self.loop.is_closed():
            self.loop.remove_reader(self.conn.fileno())
        self.loop = loop
        loop.add_reader(self.conn.fileno(), self._readable)

    def _readable(self) -> None:
        try:
            while self.conn.poll():
                number, kind, payload, (self.cpu_s, self.fake_cpu_s) = self.conn.recv()
                future = self.pending.pop(number, None)
                if future is None or future.done():
                    continue  # its caller gave up (timeout, cancel)
                if kind == "ok":
                    future.set_result(payload)
                else:
                    future.set_exception(_rebuild(payload))
        except (EOFError, OSError):
            self.stop()

    def stop(self) -> None:
        """Stop the helper; its calls in flight fail as retryable provider errors."""
        reason = f"the model-call helper process (pid {self.process.pid}) stopped"
        if self.alive and self.loop is not None and not self.loop.is_closed():
            self.loop.remove_reader(self.conn.fileno())
        self.alive = False
        for future in self.pending.values():
            if not future.done() and not future.get_loop().is_closed():
                future.set_exception(ProviderError(reason, status=503))
        self.pending.clear()
        self.conn.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()


class CallPool:
    """``await pool.acompletion(kwargs)``: one ``litellm.acompletion`` in a helper process, as ``answer_parts``."""

    def __init__(self, processes: int) -> None:
        self.processes = processes
        self._helpers: list[_Helper] = []
        self._numbers = itertools.count()

    def start(self) -> None:
        """Start the helpers now (they import litellm, which takes seconds) rather than on the first call."""
        for helper in self._helpers:
            if helper.alive and helper.process.poll() is not None:
                helper.stop()
        self._helpers = [h for h in self._helpers if h.alive]
        while len(self._helpers) < self.processes:
            self._helpers.append(_Helper())

    async def acompletion(self, kwargs: dict[str, Any], task: str = "") -> dict[str, Any]:
        self.start()
        helper = min(self._helpers, key=lambda h: len(h.pending))
        helper.watch(asyncio.get_running_loop())
        number = next(self._numbers)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        helper.pending[number] = future
        try:
            helper.conn.send((number, kwargs, task))
        except OSError:
            helper.stop()
        try:
            return await future
        finally:
            helper.pending.pop(number, None)

    def cpu_s(self) -> tuple[float, float]:
        """CPU time the helpers have used as of their last answers, and the fake model's part of it."""
        return sum(h.cpu_s for h in self._helpers), sum(h.fake_cpu_s for h in self._helpers)

    def close(self) -> None:
        for helper in self._helpers:
            helper.stop()
        self._helpers = []


_POOLS: dict[int, CallPool] = {}


def pool(processes: int) -> CallPool:
    """The process-wide pool of ``processes`` helpers (started on first use, stopped at exit)."""
    if os.name != "posix":
        raise SkillforgeError("model calls in helper processes need a POSIX system", hint="leave --call-processes at 0")
    if processes not in _POOLS:
        _POOLS[processes] = CallPool(processes)
    return _POOLS[processes]


@atexit.register
def _close_all() -> None:
    for each in _POOLS.values():
        each.close()


# --------------------------------------------------------------------------- the helper's side


def _serve(fd: int) -> None:
    """Helper process body: answer ``(number, kwargs, task)`` requests concurrently until the caller goes away."""
    from skillforge.llm import _litellm

    _litellm.get_litellm()
    conn = Connection(fd)
    asyncio.run(_serve_loop(conn))


async def _serve_loop(conn: Connection) -> None:
    from skillforge.llm import _litellm

    loop = asyncio.get_running_loop()
    closed = asyncio.Event()
    tasks: set[asyncio.Task[None]] = set()

    async def one(number: int, kwargs: dict[str, Any], task: str) -> None:
        try:
            raw = await _litellm.acompletion(**kwargs)
            reply: tuple[Any, ...] = (number, "ok", _litellm.answer_parts(raw), _cpu())
        except Exception as exc:  # noqa: BLE001 - every failure goes back to the caller, translated
            reply = (number, "error", error_of(exc, task), _cpu())
        try:
            conn.send(reply)
        except OSError:
            closed.set()

    def take(message: Any) -> None:
        if message is None:
            closed.set()
            return
        task = loop.create_task(one(*message))
        tasks.add(task)
        task.add_done_callback(tasks.discard)

    def read() -> None:
        # Reading never waits for our own sends: a caller blocked writing a request is always drained.
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):
                loop.call_soon_threadsafe(closed.set)
                return
            loop.call_soon_threadsafe(take, message)

    threading.Thread(target=read, name="skillforge-call-reader", daemon=True).start()
    await closed.wait()


def _cpu() -> tuple[float, float]:
    fake = sys.modules.get("skillforge.testing.fake_model")
    return time.process_time(), (fake.STATS.answer_cpu_s if fake is not None else 0.0)


if __name__ == "__main__":
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    _serve(int(sys.argv[1]))
