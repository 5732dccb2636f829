"""Resume log: an append-only JSONL record of every model call a run finished.

The answers themselves live in the content-addressed cache, which is what makes a killed run
resume without redoing finished calls; the journal says which calls an earlier, interrupted run
of the same command had finished, so the report can state how much was resumed and a test can
check that nothing was paid for twice. One line per call, flushed as it is written; a line torn
by a kill is ignored on reading.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path
from typing import Any, TextIO

from skillforge.models.llm import LLMRequest, LLMResponse


def run_id(parts: list[Any]) -> str:
    """A stable id for "the same command on the same input": hash of its defining parts."""
    material = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


class Journal:
    """Append-only call log at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._fh: TextIO | None = None
        self._previous = self._read()

    def _read(self) -> dict[str, dict[str, Any]]:
        entries: dict[str, dict[str, Any]] = {}
        try:
            with self.path.open("r", encoding="utf-8") as fh:
                for line in fh:
                    try:
                        entry = json.loads(line)
                    except json.JSONDecodeError:
                        continue  # the last line of a killed run may be torn
                    if isinstance(entry, dict) and isinstance(entry.get("key"), str):
                        entries[entry["key"]] = entry
        except OSError:
            pass
        return entries

    @property
    def previous_keys(self) -> set[str]:
        """Keys of calls finished by earlier runs with this journal (read when it was opened)."""
        return set(self._previous)

    def record(self, key: str, request: LLMRequest, response: LLMResponse) -> None:
        """Append one finished call (usable as ``LLMClient(on_call=journal.record)``)."""
        entry = {
            "key": key,
            "task": request.task,
            "prompt_tokens": response.prompt_tokens,
            "completion_tokens": response.completion_tokens,
            "cost_usd": response.cost_usd,
            "at": round(time.time(), 3),
        }
        line = json.dumps(entry, sort_keys=True) + "\n"
        with self._lock:
            if self._fh is None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                self._fh = self.path.open("a", encoding="utf-8")
            # One write and flush per line: a kill loses at most the line being written.
            self._fh.write(line)
            self._fh.flush()

    def close(self) -> None:
        with self._lock:
            if self._fh is not None:
                self._fh.close()
                self._fh = None

    def entries(self) -> list[dict[str, Any]]:
        """Every entry on disk now, earlier runs included."""
        return list(self._read().values())
