"""Responsiveness over a registry of 1,000 skills (built with git fast-import like the registry benchmark,
plus one skill published through the real API), queried through the real registry."""

from __future__ import annotations

import importlib.util
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import DataTable

from skillforge.registry import Registry, open_registry
from skillforge.tui.app import make_app
from skillforge.tui.screens.browser import BrowserScreen
from skillforge.tui.screens.skill import SkillScreen
from skillforge.tui.widgets.diff_view import DiffView

from ..factories import skill_md, write_skill_folder
from .helpers import Counting

pytestmark = [pytest.mark.slow, pytest.mark.anyio]

SKILLS = 1000
BENCH = Path(__file__).parents[2] / "benchmarks" / "registry_bench.py"
LIMIT = 1.0  # seconds: "opening a skill or a diff well under a second"


def _bulk_builder() -> Any:
    """The registry benchmark's fast-import builder: same commits and tags publish makes, in seconds."""
    spec = importlib.util.spec_from_file_location("registry_bench", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


def build(path: Path, src: Path) -> Registry:
    _bulk_builder()(path, SKILLS, 1)
    reg = open_registry(path)
    folder = src / "pdf-forms"
    for v in range(5):
        rules = "".join(f"- Rule {r}: keep field {r} in mind.\n" for r in range(v * 10))
        text = skill_md("pdf-forms", "Fill PDF forms. Use when asked to fill a PDF form.", f"# PDF forms\n\n## Pitfalls\n{rules}")
        reg.publish(write_skill_folder(folder, text), bump="minor")
    return reg


async def until(pilot: Any, done: Callable[[], bool]) -> float:
    start = time.perf_counter()
    while not done():
        assert time.perf_counter() - start < 10, "the app never got there"
        await pilot.pause(0.002)
    return time.perf_counter() - start


async def test_list_open_and_diff_stay_under_a_second_with_1000_skills(tmp_path: Path) -> None:
    registry = build(tmp_path / "registry", tmp_path / "src")
    counting = Counting(registry)
    app = make_app(counting)
    async with app.run_test(size=(120, 40)) as pilot:
        await until(
            pilot,
            lambda: (
                isinstance(app.screen, BrowserScreen)
                and app.screen.query_one("#skills", DataTable).row_count > 0
            ),
        )
        assert app.screen.query_one("#skills", DataTable).row_count == SKILLS + 1
        assert counting.calls == {"skills": 1}  # the list reads the index once, never per row
        await pilot.press("slash", *"pdf-forms")
        opens, diffs = [], []
        for _ in range(3):
            start = time.perf_counter()
            await pilot.press("enter")
            await until(pilot, lambda: isinstance(app.screen, SkillScreen) and app.screen.view is not None)
            await pilot.pause()
            opens.append(time.perf_counter() - start)
            await pilot.press("4", "down", "down", "down", "down", "space", "up", "up", "up", "up")
            start = time.perf_counter()
            await pilot.press("d")
            await until(pilot, lambda: app.screen.query_one("#diff", DiffView).display)
            await pilot.pause()
            diffs.append(time.perf_counter() - start)
            assert app.screen.query_one("#diff", DiffView).title == "diff 0.1.0 → 0.5.0"
            await pilot.press("escape", "slash")
    registry.close()
    print(f"open: {opens}, diff: {diffs}")
    assert statistics.median(opens) < LIMIT
    assert statistics.median(diffs) < LIMIT
