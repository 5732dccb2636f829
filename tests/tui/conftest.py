"""Fixtures for the TUI tests: a fresh demo registry per test (real publishes, fixed dates)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from skillforge.registry import Registry

from .demo_registry import Clock, build_registry


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    return Clock(monkeypatch)


@pytest.fixture
def registry(tmp_path: Path, clock: Clock) -> Iterator[Registry]:
    """pdf-forms (3 versions, provenance, a rejected evolve round), git-bisect, release-notes (pinned)."""
    reg = build_registry(tmp_path / "registry", tmp_path / "src", clock)
    yield reg
    reg.close()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def no_animations(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tab underlines and scrolls jump instead of sliding: same end state, less waiting in every test."""
    monkeypatch.setenv("TEXTUAL_ANIMATIONS", "none")
