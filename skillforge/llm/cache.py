"""Content-addressed, crash-safe cache of model answers on disk.

The key is the sha256 of the canonical JSON (sorted keys, no whitespace) of everything that
decides an answer: model, prompt template name and hash, messages, tools, output schema and
sampling parameters. Each entry is written to a temporary file and renamed into place, so a run
killed mid-write leaves either the whole entry or nothing; an entry that cannot be read is
deleted and counted as a miss. This is what makes a re-run free and a killed run resumable.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import json
import os
import queue
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from skillforge.models.llm import LLMRequest, LLMResponse

CACHE_VERSION = 1
"""Bumped when the entry layout changes, so old entries become misses instead of errors."""


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace: equal inputs give equal bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def cache_key(model: str, request: LLMRequest, params: dict[str, Any]) -> str:
    """The content address of a request: what the answer depends on, nothing else (not the task label)."""
    material = {
        "v": CACHE_VERSION,
        "model": model,
        "template": {"name": request.template, "hash": request.template_hash},
        "messages": request.messages,
        "tools": request.tools,
        "schema": request.output_schema,
        "params": params,
    }
    return hashlib.sha256(canonical_json(material).encode("utf-8")).hexdigest()


class ResponseCache:
    """Answers stored as ``<root>/<key[:2]>/<key>.json``.

    Writes go through one background thread so a slow disk never stalls the event loop that keeps
    model calls flowing; an answer waiting to be written is served from memory. The writer takes
    what has queued up in batches of at most ``batch_s`` seconds: with answers arriving every few
    milliseconds, waking it (and handing it the GIL) for each one cost the event loop more than the
    writing itself. ``flush()`` (also run at exit) waits for the writes; a kill loses at most the
    answers of the last batch window.
    """

    batch_s = 0.02
    """How long the writer lets answers queue up before it writes them (one wake-up per batch)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.corrupt = 0
        """Entries found unreadable (deleted and treated as misses) since this object was made."""
        self._made: set[Path] = set()
        self._pending: dict[str, LLMResponse] = {}
        self._lock = threading.Lock()
        self._queue: queue.SimpleQueue[tuple[str, LLMResponse, str, Callable[[], None] | None] | None] = (
            queue.SimpleQueue()
        )
        self._writer: threading.Thread | None = None
        self._registered = False
        self.error: BaseException | None = None

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> LLMResponse | None:
        """The stored answer, or None on a miss (including an unreadable entry, which is removed)."""
        with self._lock:
            pending = self._pending.get(key)
        if pending is not None:
            return pending
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except OSError:
            return None
        try:
            doc = json.loads(raw)
            if doc.get("key") != key:
                raise ValueError("entry does not belong to this key")
            return LLMResponse.model_validate(doc["response"])
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
            self.corrupt += 1
            with contextlib.suppress(OSError):
                path.unlink()
            return None

    def has(self, key: str) -> bool:
        with self._lock:
            if key in self._pending:
                return True
        return self._path(key).is_file()

    def put(self, key: str, response: LLMResponse, *, task: str = "", then: Callable[[], None] | None = None) -> None:
        """Queue an answer for an atomic write (temp file in the same folder, then rename); ``then``
        runs once the entry is on disk (the journal records a call only when its answer is safe)."""
        with self._lock:
            self._pending[key] = response
            if self._writer is None:
                self._writer = threading.Thread(target=self._write_loop, name="skillforge-cache-writer", daemon=True)
                self._writer.start()
                if not self._registered:
                    atexit.register(self.flush)
                    self._registered = True
        self._queue.put((key, response, task, then))

    def flush(self) -> None:
        """Wait until every queued answer is on disk."""
        with self._lock:
            writer = self._writer
            self._writer = None
        if writer is not None:
            self._queue.put(None)
            writer.join()

    def _write_loop(self) -> None:
        while True:
            item = self._queue.get()  # idle: block until there is something to write
            batch = [item]
            if item is not None:
                time.sleep(self.batch_s)  # let the answers of the next few milliseconds join this wake-up
                with contextlib.suppress(queue.Empty):
                    while batch[-1] is not None:
                        batch.append(self._queue.get_nowait())
            for entry in batch:
                if entry is None:
                    return
                self._write_queued(*entry)

    def _write_queued(self, key: str, response: LLMResponse, task: str, then: Callable[[], None] | None) -> None:
        try:
            self.write(key, response, task=task)
            if then is not None:
                then()
        except OSError as exc:  # a full disk costs the cache, not the run
            self.error = exc
        with self._lock:
            self._pending.pop(key, None)

    def write(self, key: str, response: LLMResponse, *, task: str = "") -> None:
        """Write one entry now (atomically)."""
        path = self._path(key)
        if path.parent not in self._made:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._made.add(path.parent)
        # pydantic serialises the answer in one native call; only the two strings around it need json.
        data = f'{{"key":{json.dumps(key)},"task":{json.dumps(task, ensure_ascii=False)},"response":'.encode()
        data += response.model_dump_json().encode("utf-8") + b"}"
        tmp = path.parent / f".tmp-{os.getpid()}-{threading.get_ident()}-{key[:16]}"
        try:
            with open(tmp, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise

    def capabilities(self, model: str, version: str) -> dict[str, bool] | None:
        """What litellm said ``model`` supports (tools, schema), as recorded by an earlier run."""
        try:
            doc = json.loads((self.root / "capabilities.json").read_text(encoding="utf-8"))
            value = doc[version][model]
            return {"tools": bool(value["tools"]), "schema": bool(value["schema"])}
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def record_capabilities(self, model: str, version: str, value: dict[str, bool]) -> None:
        """Remember ``value`` so a run answered wholly from the cache need not import litellm at all."""
        path = self.root / "capabilities.json"
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(doc, dict):
                doc = {}
        except (OSError, ValueError):
            doc = {}
        doc.setdefault(version, {})[model] = value
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".capabilities-{os.getpid()}.tmp")
        tmp.write_text(canonical_json(doc), encoding="utf-8")
        os.replace(tmp, path)

    def __len__(self) -> int:
        self.flush()
        if not self.root.is_dir():
            return 0
        return sum(1 for _ in self.root.glob("??/*.json"))
