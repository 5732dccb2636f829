"""The model client evolve and correct use: the same settings, cache folder and budget as ``distill --model``."""

from __future__ import annotations

from pathlib import Path

from skillforge import config
from skillforge.llm.cache import ResponseCache
from skillforge.llm.client import LLMClient
from skillforge.models.llm import LLMSettings


def make_client(settings: LLMSettings, *, cache_dir: Path | None = None) -> LLMClient:
    """A client whose answers are cached under ``cache_dir/llm`` (default ``config.cache_dir()``),
    shared with distill, so a re-run of the same evolve or correct makes no new calls."""
    root = cache_dir or config.cache_dir()
    return LLMClient(settings, cache=ResponseCache(root / "llm"))
