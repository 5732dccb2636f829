"""Moved to ``skillforge.testing.server``; this name stays only until the last importers move."""

from __future__ import annotations

from skillforge.testing.server import FakeOpenAIServer

__all__ = ["FakeOpenAIServer"]
