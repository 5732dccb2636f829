"""Moved to ``skillforge.testing.fake_model``; this name stays only until the last importers move."""

from __future__ import annotations

from skillforge.testing.fake_model import (
    FABRICATED_QUOTE,
    FAKE_MODELS,
    FAKE_PROVIDER,
    STATS,
    FaultConfig,
    hits,
)

__all__ = ["FABRICATED_QUOTE", "FAKE_MODELS", "FAKE_PROVIDER", "STATS", "FaultConfig", "hits"]
