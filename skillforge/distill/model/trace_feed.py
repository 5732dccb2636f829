"""Read and redact traces in a child process, so parsing never competes with the calls in flight.

Parsing JSON and running the redaction patterns cost a few milliseconds per trace: on the event
loop's process they would hold the GIL while model answers wait to be handled. The feed runs
``read_file`` + ``redact_trace`` in a child process (the second core) and streams the redacted
traces back as JSON through a bounded queue, so at most ``prefetch`` traces wait in memory.
Redaction happens in the child, before a trace ever reaches code that talks to a model; so does
the slim copy of each trace that the poisoned-lesson check reads.
Where a child process cannot be used, the same generator runs in a worker thread instead.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from skillforge.errors import InputError
from skillforge.ingest import ReadOptions, read_file
from skillforge.models import Skipped, Trace
from skillforge.redact import redact_skipped, redact_trace
from skillforge.scan.poison import slim_trace

_T = TypeVar("_T")

_END = "end"


def read_redacted(files: list[Path], fmt: str | None, options: ReadOptions, redact_emails: bool) -> Iterator[Trace | Skipped]:
    """Every trace of ``files`` in order, redacted, and a ``Skipped`` (redacted too: it may quote a
    record) for what could not be read."""
    for path in files:
        for item in read_file(path, fmt, options):
            if isinstance(item, Skipped):
                yield redact_skipped(item, redact_emails=redact_emails)
            else:
                yield redact_trace(item, redact_emails=redact_emails)


def _with_slim(items: Iterator[Trace | Skipped]) -> Iterator[tuple[Trace, Trace] | Skipped]:
    """Pair each trace with the slim copy the poisoned-lesson check needs (computed where it is read)."""
    for item in items:
        yield item if isinstance(item, Skipped) else (item, slim_trace(item))


def _produce(
    files: list[Path], fmt: str | None, options: ReadOptions, redact_emails: bool, out: Any, parent: int
) -> None:
    """Child process body: stream ``("trace", json, slim json)`` / ``("skip", json, "")``, then ``("end", ...)``.
    ``parent``: the run's process id."""
    _die_with_parent()
    if os.getppid() != parent:
        os._exit(0)  # the run died before this process could ask to die with it

    def put(item: tuple[str, str, str]) -> None:
        # A run killed outright (SIGKILL, OOM) cannot stop its reader: one that waits on a full queue
        # nobody reads any more would wait forever, holding its traces. It leaves when its parent is gone.
        while True:
            try:
                out.put(item, timeout=1.0)
                return
            except queue.Full:
                if os.getppid() != parent:
                    os._exit(0)

    try:
        for item in _with_slim(read_redacted(files, fmt, options, redact_emails)):
            if isinstance(item, Skipped):
                put(("skip", item.model_dump_json(), ""))
            else:
                put(("trace", item[0].model_dump_json(), item[1].model_dump_json()))
        put((_END, "", ""))
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises it as an InputError
        put(("error", f"{type(exc).__name__}: {exc}", ""))


def _die_with_parent() -> None:
    """On Linux, have the kernel end this process when the run's process dies (``PR_SET_PDEATHSIG``):
    a killed run must not leave its reader behind. Elsewhere ``put`` notices the orphaning itself."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return


class TraceFeed:
    """``await feed.next()`` gives the next redacted trace and its slim copy (None at the end);
    skips pile up in ``skipped``."""

    def __init__(
        self,
        files: list[Path],
        fmt: str | None,
        options: ReadOptions,
        *,
        redact_emails: bool = False,
        prefetch: int = 64,
        use_process: bool | None = None,
    ) -> None:
        self.skipped: list[Skipped] = []
        self._process: Any = None
        self._queue: Any = None
        self._local: Iterator[tuple[Trace, Trace] | Skipped] | None = None
        # A thread of its own: litellm runs part of every call on the loop's default executor, and
        # the next trace must not queue behind those.
        self._executor = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="skillforge-feed")
        if use_process is None:
            # fork is only safe while this process has no other threads (a held lock would be copied
            # locked); start-up of a spawned interpreter would cost more than it saves on small inputs.
            use_process = hasattr(os, "fork") and threading.active_count() == 1 and len(files) > 0
        if use_process:
            ctx = multiprocessing.get_context("fork")
            self._queue = ctx.Queue(maxsize=prefetch)
            self._process = ctx.Process(
                target=_produce, args=(files, fmt, options, redact_emails, self._queue, os.getpid()), daemon=True
            )
            self._process.start()
        else:
            self._local = _with_slim(read_redacted(files, fmt, options, redact_emails))

    async def next(self) -> tuple[Trace, Trace] | None:
        """The next ``(trace, slim copy)``, or None when every file has been read."""
        while True:
            if self._local is not None:
                item: tuple[Trace, Trace] | Skipped | None = await self._run(next, self._local, None)
                if item is None:
                    return None
                if isinstance(item, Skipped):
                    self.skipped.append(item)
                    continue
                return item
            kind, payload, slim = await self._run(self._get)
            if kind == _END:
                self.close()
                return None
            if kind == "error":
                self.close()
                raise InputError(f"reading the inputs failed: {payload}")
            if kind == "skip":
                self.skipped.append(Skipped.model_validate_json(payload))
                continue
            return Trace.model_validate_json(payload), Trace.model_validate_json(slim)

    async def _run(self, fn: Callable[..., _T], *args: Any) -> _T:
        return await asyncio.get_running_loop().run_in_executor(self._executor, fn, *args)

    def _get(self) -> tuple[str, str, str]:
        while True:
            try:
                item: tuple[str, str, str] = self._queue.get(timeout=1.0)
                return item
            except queue.Empty:
                if self._process is None or not self._process.is_alive():
                    code = getattr(self._process, "exitcode", None)
                    return ("error", f"the reader process stopped (exit code {code})", "")

    def close(self) -> None:
        """Stop the child process (if any) and the feed's thread; safe to call twice."""
        self._executor.shutdown(wait=False)
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join(timeout=5)
            self._process = None
        if self._queue is not None:
            self._queue.close()
            self._queue.cancel_join_thread()
            self._queue = None
