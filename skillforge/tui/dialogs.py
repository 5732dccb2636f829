"""Small modal dialogs: a yes/no confirmation and the help screen."""

from __future__ import annotations

from typing import ClassVar

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Static


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True only on an explicit yes (y, or the Yes button)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Vertical { width: 64; max-width: 100%; height: auto; padding: 1 2;
        border: thick $warning; background: $surface; }
    ConfirmDialog #question { width: 100%; margin-bottom: 1; }
    ConfirmDialog Horizontal { height: auto; align: center middle; }
    ConfirmDialog Button { margin: 0 2; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Vertical():
            yield Label(self.question, id="question")
            with Horizontal():
                yield Button("Yes (y)", variant="warning", id="yes")
                yield Button("No (n)", variant="primary", id="no")

    def on_mount(self) -> None:
        # Enter on the focused button must not confirm a destructive action by accident.
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


KEYS = [
    ("/", "skills", "filter by name, description, tags (every word must match)"),
    ("enter", "skills", "open the highlighted skill"),
    ("f5", "skills", "read the list again"),
    ("1-4", "skill", "tabs: SKILL.md, Files, Provenance, History"),
    ("e", "skill", "edit SKILL.md; saving publishes a new version"),
    ("i", "skill", "install this version: pick hosts and scope"),
    ("space", "history", "mark a version to compare"),
    ("d", "history", "diff marked and highlighted versions (no mark: the one before)"),
    ("s", "history", "diff unified / side by side"),
    ("r", "history", "roll back to the highlighted version (asks first)"),
    ("ctrl+s", "edit", "validate and save as a new version"),
    ("ctrl+o", "edit", "edit in $VISUAL / $EDITOR instead"),
    ("escape", "anywhere", "back (edit: leave without saving)"),
    ("?  q", "anywhere", "this help, quit"),
]

NOTES = (
    "The mouse works on lists, tabs and buttons. Provenance: pick a section to see the lessons behind it "
    "and their trace ids. History: evolve ✓ / ✗ are rounds the gate accepted or rejected; a rollback "
    "publishes the old content as a new version, so nothing is lost."
)


class HelpScreen(ModalScreen[None]):
    """The key bindings and what each screen shows."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll { width: 90; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        with VerticalScroll() as box:
            box.border_title = "skillforge TUI: keys (escape closes)"
            yield Static(help_table())


def help_table() -> RenderableType:
    """The key table and a few notes, compact enough for 80x24."""
    table = Table(box=None, show_header=True, header_style="bold", padding=(0, 1), expand=True)
    table.add_column("key", style="bold yellow", no_wrap=True)
    table.add_column("where", style="cyan", no_wrap=True)
    table.add_column("what", ratio=1)
    for row in KEYS:
        table.add_row(*row)
    return Group(table, Text(""), Text(NOTES, style="dim"))
