"""Helpers for driving the app with Pilot and reading what it shows."""

from __future__ import annotations

import io
from typing import Any

from rich.console import Console

from skillforge.registry import Registry


async def settle(pilot: Any) -> None:
    """Let workers (registry calls) finish and the screen catch up with their results."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_skill(pilot: Any, name: str) -> None:
    """Filter the list down to ``name`` and open it, as a person would: /, type, enter."""
    await settle(pilot)
    await pilot.press("slash", *name)
    await pilot.press("enter")
    await settle(pilot)


def screen_text(app: Any) -> str:
    """What the terminal shows right now, as plain text (the same render textual's screenshots use)."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens, simplify=True)
    )
    return console.export_text()


def plain(renderable: Any, width: int = 300) -> str:
    """A widget's content as plain text, wide enough that nothing wraps."""
    console = Console(width=width, file=io.StringIO(), record=True, color_system=None)
    console.print(renderable)
    return "\n".join(line.rstrip() for line in console.export_text().splitlines())


class Counting:
    """Passes every call to the real registry and counts them by method name (to see what a screen asks for)."""

    def __init__(self, registry: Registry) -> None:
        self._registry = registry
        self.calls: dict[str, int] = {}

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._registry, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] = self.calls.get(name, 0) + 1
            return attr(*args, **kwargs)

        return call
