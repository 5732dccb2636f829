"""Content-addressed, crash-safe cache of model answers on disk.

The key is the sha256 of the canonical JSON (sorted keys, no whitespace) of everything that
decides an answer: model, prompt template name and hash, messages, tools, output schema and
sampling parameters. Each entry is written to a temporary file and renamed into place, so a run
killed mid-write leaves either the whole entry or nothing; an entry that cannot be read is
deleted and counted as a miss. This is what makes a re-run free and a killed run resumable.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
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
    """Answers stored as ``<root>/<key[:2]>/<key>.json``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.corrupt = 0
        """Entries found unreadable (deleted and treated as misses) since this object was made."""

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> LLMResponse | None:
        """The stored answer, or None on a miss (including an unreadable entry, which is removed)."""
        path = self._path(key)
        try:
            raw = path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError:
            return None
        try:
            doc = json.loads(raw)
            if doc.get("key") != key:
                raise ValueError("entry does not belong to this key")
            return LLMResponse.model_validate(doc["response"])
        except (ValueError, KeyError, TypeError, AttributeError, ValidationError):
            self.corrupt += 1
            try:
                path.unlink()
            except OSError:
                pass
            return None

    def has(self, key: str) -> bool:
        return self._path(key).is_file()

    def put(self, key: str, response: LLMResponse, *, task: str = "") -> None:
        """Store an answer atomically (temp file in the same folder, then rename)."""
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = {"key": key, "task": task, "response": response.model_dump(mode="json")}
        data = canonical_json(doc).encode("utf-8")
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise

    def __len__(self) -> int:
        if not self.root.is_dir():
            return 0
        return sum(1 for _ in self.root.glob("??/*.json"))
