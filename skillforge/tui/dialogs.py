"""Small modal dialogs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Grid
from textual.screen import ModalScreen
from textual.widgets import Button, Label, Markdown


class ConfirmDialog(ModalScreen[bool]):
    """Ask a yes/no question; dismisses with True only on an explicit yes."""

    BINDINGS = [("y", "answer(True)", "Yes"), ("n,escape", "answer(False)", "No")]
    DEFAULT_CSS = """
    ConfirmDialog { align: center middle; }
    ConfirmDialog > Grid { grid-size: 2; grid-gutter: 1 2; grid-rows: auto 3; padding: 1 2;
        width: 60; height: auto; border: thick $warning; background: $surface; }
    ConfirmDialog Label { column-span: 2; width: 100%; }
    ConfirmDialog Button { width: 100%; }
    """

    def __init__(self, question: str) -> None:
        super().__init__()
        self.question = question

    def compose(self) -> ComposeResult:
        with Grid():
            yield Label(self.question, id="question")
            yield Button("Yes (y)", variant="warning", id="yes")
            yield Button("No (n)", variant="primary", id="no")

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)


HELP = """\
# skillforge TUI

| key | where | action |
|---|---|---|
| `/` | skills | filter by name, description, tags |
| `enter` | skills | open the selected skill |
| `1` `2` `3` `4` | skill | SKILL.md, files, provenance, history |
| `e` | skill | edit SKILL.md (saved as a new version) |
| `space` | history | mark a version to compare |
| `d` | history | diff marked (or previous) version with the selected one |
| `r` | history | roll back to the selected version (as a new version) |
| `ctrl+s` | edit | validate and save as a new version |
| `escape` | anywhere | back |
| `q` | anywhere | quit |
"""


class HelpScreen(ModalScreen[None]):
    BINDINGS = [("escape,q,question_mark", "app.pop_screen", "Close")]
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > Markdown { width: 76; height: auto; max-height: 22; border: thick $accent; background: $surface; }
    """

    def compose(self) -> ComposeResult:
        yield Markdown(HELP)
