"""Built-in readers, one module per format. Each module exposes ``READERS: list[Reader]``."""

from __future__ import annotations

import importlib
from functools import cache

from skillforge.ingest.base import Reader

BUILTIN_MODULES = (
    "claude_code",
    "codex",
    "openai_chat",
    "anthropic",
    "swe_agent",
    "mini_swe_agent",
    "openhands",
    "otel",
    "tickets",
    "documents",
    "skillforge_trace",
)

FORMAT_NAMES = (
    "claude-code",
    "codex",
    "openai-chat",
    "anthropic-messages",
    "swe-agent",
    "mini-swe-agent",
    "openhands",
    "otel-genai",
    "tickets-csv",
    "tickets-json",
    "markdown",
    "text",
    "html",
    "skillforge-trace",
)


@cache
def all_readers() -> dict[str, Reader]:
    """Every reader by format name, in a fixed order (ties in sniffing go to the earlier one)."""
    readers: dict[str, Reader] = {}
    for module_name in BUILTIN_MODULES:
        module = importlib.import_module(f"{__name__}.{module_name}")
        for reader in module.READERS:
            readers[reader.name] = reader
    return readers
