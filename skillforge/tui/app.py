"""The skillforge TUI application."""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.binding import Binding

from skillforge.tui.dialogs import HelpScreen
from skillforge.tui.screens.browser import BrowserScreen


class SkillforgeApp(App[None]):
    TITLE = "skillforge"
    BINDINGS = [Binding("q", "quit", "Quit"), Binding("question_mark", "help", "Help")]

    def __init__(self, registry: Any) -> None:
        super().__init__()
        self.registry = registry

    def on_mount(self) -> None:
        self.push_screen(BrowserScreen(self.registry))

    def action_help(self) -> None:
        self.push_screen(HelpScreen())


def make_app(registry: Any = None) -> SkillforgeApp:
    """Build the app over ``registry`` (default: the configured registry). The CLI and tests both call this."""
    if registry is None:
        from skillforge.registry import open_registry

        registry = open_registry()
    return SkillforgeApp(registry)
