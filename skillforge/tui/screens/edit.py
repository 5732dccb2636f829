"""Edit SKILL.md with live validation; saving publishes a new version."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Select, Static, TextArea

from skillforge.tui.data import check_skill_md, publish_edit


class EditScreen(Screen[str | None]):
    """Dismisses with the new version on save, or None when cancelled."""

    BINDINGS = [Binding("ctrl+s", "save", "Save"), Binding("escape", "cancel", "Cancel")]
    DEFAULT_CSS = """
    EditScreen TextArea { height: 1fr; }
    EditScreen #status { height: 1; padding: 0 1; }
    EditScreen #status.invalid { background: $error; color: $text; }
    EditScreen #status.valid { background: $success-darken-2; }
    EditScreen Horizontal { height: 3; }
    EditScreen #bump { width: 20; }
    EditScreen #message { width: 1fr; }
    """

    def __init__(self, registry: Any, name: str, version: str) -> None:
        super().__init__()
        self.registry = registry
        self.skill = name
        self.version = version

    def compose(self) -> ComposeResult:
        yield Header()
        yield TextArea(self.registry.read_file(self.skill, self.version), language="markdown", id="editor")
        yield Static("", id="status")
        with Horizontal():
            yield Select([("patch", "patch"), ("minor", "minor"), ("major", "major")], value="patch", allow_blank=False, id="bump")
            yield Input(placeholder="what changed and why", id="message")
        yield Footer()

    def on_mount(self) -> None:
        self.title = f"edit {self.skill} (from {self.version})"
        self.query_one("#editor", TextArea).focus()
        self._check()

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        self._check()

    def _check(self) -> bool:
        result = check_skill_md(self.skill, self.query_one("#editor", TextArea).text)
        status = self.query_one("#status", Static)
        status.set_classes("valid" if result.ok else "invalid")
        where = f"line {result.line}: " if result.line and not result.ok else ""
        status.update(("✓ " if result.ok else "✗ ") + where + result.message)
        return result.ok

    def action_save(self) -> None:
        if not self._check():
            self.notify("fix the error shown below the editor before saving", title="cannot save", severity="error")
            return
        self.save(
            self.query_one("#editor", TextArea).text,
            str(self.query_one("#bump", Select).value),
            self.query_one("#message", Input).value,
        )

    @work(exclusive=True, thread=True, group="write")
    def save(self, content: str, bump: str, message: str) -> None:
        try:
            result = publish_edit(self.registry, self.skill, self.version, content, bump=bump, message=message)
        except Exception as exc:  # noqa: BLE001 - shown to the person, the editor keeps their text
            self.app.call_from_thread(self.notify, str(exc), title="save failed", severity="error")
            return
        if not getattr(result, "created", True):
            self.app.call_from_thread(self.notify, "no changes: nothing published", severity="warning")
            return
        self.app.call_from_thread(self.notify, f"saved {self.skill} {result.version}")
        self.app.call_from_thread(self.dismiss, str(result.version))

    def action_cancel(self) -> None:
        self.dismiss(None)
