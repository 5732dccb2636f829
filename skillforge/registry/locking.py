"""One writer at a time: an inter-process file lock around every registry write.

The lock is an OS-level lock (``flock``/``LockFileEx`` through ``filelock``), so a writer that
crashes or is killed releases it automatically: there is no stale lock to clean up. Readers never
take it; they see either the state before or after a write, because a write moves its refs in one
atomic transaction (see ``_git.py``).
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from filelock import FileLock, Timeout

from skillforge.errors import LockedError

DEFAULT_TIMEOUT = 60.0


def lock_timeout() -> float:
    """Seconds to wait for the lock: ``$SKILLFORGE_LOCK_TIMEOUT`` or 60."""
    try:
        return float(os.environ.get("SKILLFORGE_LOCK_TIMEOUT", DEFAULT_TIMEOUT))
    except ValueError:
        return DEFAULT_TIMEOUT


@contextmanager
def write_lock(
    lock_file: Path, *, registry: Path, timeout: float | None = None, what: str = "write"
) -> Iterator[None]:
    """Hold the registry's write lock; raise ``LockedError`` (naming the holder) after ``timeout`` s."""
    lock_file.parent.mkdir(parents=True, exist_ok=True)
    owner_file = lock_file.with_name(lock_file.name + ".owner")
    lock = FileLock(str(lock_file), timeout=lock_timeout() if timeout is None else timeout)
    try:
        lock.acquire(poll_interval=0.01)
    except Timeout:
        raise LockedError(
            f"the registry is busy: another process holds its lock ({_describe(owner_file)})",
            path=registry,
            hint="wait for it to finish and retry, or raise SKILLFORGE_LOCK_TIMEOUT (seconds)",
        ) from None
    try:
        owner = {"pid": os.getpid(), "since": time.time(), "command": " ".join(sys.argv[:3]), "action": what}
        owner_file.write_text(json.dumps(owner), encoding="utf-8")
        yield
    finally:
        lock.release()


def _describe(owner_file: Path) -> str:
    try:
        owner = json.loads(owner_file.read_text(encoding="utf-8"))
        age = max(0.0, time.time() - float(owner["since"]))
        return f"pid {owner['pid']}, {owner.get('action', 'write')} for {age:.0f}s"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"
