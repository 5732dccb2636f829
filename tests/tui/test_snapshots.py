"""Screens as a person sees them at 80x24: list, skill view, provenance, history with a diff, edit with an error.

Regenerate with ``pytest tests/tui/test_snapshots.py --snapshot-update`` and review the SVGs in
``tests/tui/__snapshots__/`` before committing them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot
from textual.widgets import TextArea

from skillforge.registry import Registry
from skillforge.tui.app import make_app

from .helpers import open_skill, settle

SIZE = (80, 24)


def steps(*keys: str, skill: str | None = None) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        if skill:
            await open_skill(pilot, skill)
        for key in keys:
            await pilot.press(key)
            await settle(pilot)
        await settle(pilot)

    return run_before


def test_skill_list(snap_compare: Any, registry: Registry) -> None:
    assert snap_compare(make_app(registry), terminal_size=SIZE, run_before=steps())


def test_skill_list_filtered(snap_compare: Any, registry: Registry) -> None:
    assert snap_compare(make_app(registry), terminal_size=SIZE, run_before=steps("slash", *"forms"))


def test_skill_view(snap_compare: Any, registry: Registry) -> None:
    assert snap_compare(make_app(registry), terminal_size=SIZE, run_before=steps(skill="pdf"))


def test_files(snap_compare: Any, registry: Registry) -> None:
    assert snap_compare(
        make_app(registry), terminal_size=SIZE, run_before=steps("2", "down", "down", skill="pdf")
    )


def test_provenance(snap_compare: Any, registry: Registry) -> None:
    assert snap_compare(make_app(registry), terminal_size=SIZE, run_before=steps("3", skill="pdf"))


def test_history(snap_compare: Any, registry: Registry) -> None:
    assert snap_compare(make_app(registry), terminal_size=SIZE, run_before=steps("4", "down", skill="pdf"))


def test_history_diff(snap_compare: Any, registry: Registry) -> None:
    keys = ("4", "down", "down", "down", "space", "up", "up", "up", "d")
    assert snap_compare(make_app(registry), terminal_size=SIZE, run_before=steps(*keys, skill="pdf"))


def test_history_diff_side_by_side(snap_compare: Any, registry: Registry) -> None:
    keys = ("4", "down", "down", "d", "s")
    assert snap_compare(make_app(registry), terminal_size=(100, 30), run_before=steps(*keys, skill="pdf"))


def test_edit_with_an_error(snap_compare: Any, registry: Registry) -> None:
    async def run_before(pilot: Pilot[Any]) -> None:
        await open_skill(pilot, "pdf")
        await pilot.press("e")
        await settle(pilot)
        editor = pilot.app.screen.query_one("#editor", TextArea)
        editor.cursor_blink = False  # a blinking cursor would make the picture depend on timing
        editor.move_cursor((1, 6))
        await pilot.press(*"PDF-", "ctrl+s")
        await settle(pilot)

    assert snap_compare(make_app(registry), terminal_size=SIZE, run_before=run_before)


def test_help(snap_compare: Any, registry: Registry) -> None:
    assert snap_compare(make_app(registry), terminal_size=SIZE, run_before=steps("question_mark"))
