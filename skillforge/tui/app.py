"""The skillforge TUI application and ``make_app``, the factory the CLI, tests and benchmarks share."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual.app import App
from textual.binding import Binding, BindingType

from skillforge.tui.dialogs import HelpScreen
from skillforge.tui.screens.browser import BrowserScreen
from skillforge.tui.screens.skill import SkillScreen

if TYPE_CHECKING:
    from skillforge.registry.store import Registry


class SkillforgeApp(App[None]):
    """Browse, read, diff, edit, roll back and install the skills of one registry."""

    TITLE = "skillforge"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("question_mark", "help", "Help"),
    ]

    def __init__(self, registry: Registry, *, project: Path | None = None, skill: str | None = None) -> None:
        super().__init__()
        self.registry = registry
        self.project = project
        """Default folder for project-scope installs (None: the current folder)."""
        self.start_skill = skill

    def on_mount(self) -> None:
        self.push_screen(BrowserScreen(self.registry))
        if self.start_skill:
            self.push_screen(SkillScreen(self.registry, self.start_skill))
        self.run_worker(_warm_up, thread=True, group="warm-up")

    def action_help(self) -> None:
        if not isinstance(self.screen, HelpScreen):
            self.push_screen(HelpScreen())


def _warm_up() -> None:
    """Load the highlighters the skill view needs while the person looks at the list (first open is faster)."""
    from rich.markdown import Markdown
    from rich.syntax import Syntax

    for lexer in ("markdown", "python", "bash", "yaml", "json", "diff"):
        Syntax("", lexer).highlight("x\n")
    Markdown("# x\n\n- y `z`\n")


def make_app(registry: Registry | None = None, *, project: Path | None = None, skill: str | None = None) -> SkillforgeApp:
    """The app over ``registry`` (default: the configured one); ``skill`` opens that skill first."""
    if registry is None:
        from skillforge.registry import open_registry

        registry = open_registry()
    return SkillforgeApp(registry, project=project, skill=skill)
