"""Edit SKILL.md with live validation; ctrl+s publishes it as a new version (bump and message chosen here)."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Footer, Header, Input, Label, Select, Static, TextArea

from skillforge.errors import SkillforgeError
from skillforge.tui.data import BUMPS, LiveCheck, check_skill_md, publish_edit
from skillforge.tui.dialogs import ConfirmDialog

if TYPE_CHECKING:
    from skillforge.registry.store import Registry


class EditScreen(Screen[str | None]):
    """Dismisses with the new version after a save, or None when left without saving."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("ctrl+o", "external", "$EDITOR", priority=True),
        Binding("escape", "cancel", "Cancel"),
    ]
    DEFAULT_CSS = """
    EditScreen #editor { height: 1fr; }
    EditScreen #status { height: auto; max-height: 3; padding: 0 1; }
    EditScreen #status.invalid { background: $error 40%; }
    EditScreen #status.valid { background: $success 25%; }
    EditScreen #save-row { height: 3; }
    EditScreen #save-row Label { padding: 1 1 0 1; }
    EditScreen #bump { width: 16; }
    EditScreen #message { width: 1fr; }
    """

    def __init__(self, registry: Registry, name: str, version: str, content: str) -> None:
        super().__init__()
        self.registry = registry
        self.skill = name
        self.version = version
        self.original = content
        self.check = LiveCheck(True, "")
        self.saving = False

    def compose(self) -> ComposeResult:
        yield Header()
        yield TextArea(
            self.original, language="markdown", id="editor", show_line_numbers=True, soft_wrap=True
        )
        yield Static("", id="status")
        with Horizontal(id="save-row"):
            yield Label("bump")
            yield Select([(b, b) for b in BUMPS], value="patch", allow_blank=False, id="bump")
            yield Input(placeholder="message: what changed and why", id="message")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.title = f"edit {self.skill}"
        self.sub_title = f"from {self.version}; saving publishes a new version"
        self.query_one("#editor", TextArea).focus()
        self._validate()

    def on_text_area_changed(self, _event: TextArea.Changed) -> None:
        self._validate()

    def _validate(self) -> LiveCheck:
        self.check = check_skill_md(self.skill, self.query_one("#editor", TextArea).text)
        status = self.query_one("#status", Static)
        status.set_classes("valid" if self.check.ok else "invalid")
        status.update(Text(self.check.describe()))
        return self.check

    def action_save(self) -> None:
        """Publish the text as a new version, unless it is invalid or unchanged."""
        editor = self.query_one("#editor", TextArea)
        check = self._validate()
        if not check.ok:
            if check.line:
                # Put the cursor where the problem is, so the person can fix it at once.
                editor.move_cursor((check.line - 1, max((check.column or 1) - 1, 0)))
            editor.focus()
            self.notify(check.describe(), title="not saved: SKILL.md is invalid", severity="error")
            return
        if editor.text == self.original:
            self.notify("nothing changed, so nothing was published", severity="warning")
            return
        if self.saving:
            return
        self.saving = True
        self.save(
            editor.text, str(self.query_one("#bump", Select).value), self.query_one("#message", Input).value
        )

    @work(exclusive=True, thread=True, group="write")
    def save(self, content: str, bump: str, message: str) -> None:
        """Publish off the UI thread; on failure the editor keeps the text and shows why."""
        try:
            result = publish_edit(
                self.registry, self.skill, self.version, content, bump=bump, message=message
            )
        except (SkillforgeError, OSError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._saved, result.version, result.created, result.reason, result.warnings)

    def _failed(self, error: str) -> None:
        self.saving = False
        self.notify(error, title="save failed", severity="error", timeout=10)

    def _saved(self, version: str, created: bool, reason: str, warnings: list[str]) -> None:
        self.saving = False
        if not created:
            self.notify(reason or "no changes: nothing published", severity="warning")
            return
        self.notify(f"saved {self.skill} {version}" + ("".join(f"\n⚠ {w}" for w in warnings)))
        self.dismiss(version)

    def action_external(self) -> None:
        """Edit the text in $VISUAL / $EDITOR (the app steps aside meanwhile); the result is validated here."""
        editor = self.query_one("#editor", TextArea)
        command = shlex.split(os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi")
        with tempfile.TemporaryDirectory(prefix="skillforge-edit-") as tmp:
            path = Path(tmp) / "SKILL.md"  # the name tells the editor it is Markdown
            path.write_text(editor.text, encoding="utf-8")
            try:
                with self.app.suspend():
                    done = subprocess.run([*command, str(path)], check=False)
            except SuspendNotSupported:
                # No terminal to hand over (headless or web): run the editor without one.
                done = subprocess.run([*command, str(path)], check=False, stdin=subprocess.DEVNULL)
            except OSError as exc:
                self.notify(f"cannot run {command[0]}: {exc.strerror}", severity="error")
                return
            text = path.read_text(encoding="utf-8")
        if done.returncode != 0:
            self.notify(
                f"{command[0]} exited with {done.returncode}; text left as it was", severity="warning"
            )
            return
        if text != editor.text:
            editor.replace(text, editor.document.start, editor.document.end)  # one undo step
        editor.focus()

    def action_cancel(self) -> None:
        """Leave; asks first when there are unsaved changes."""
        if self.query_one("#editor", TextArea).text == self.original:
            self.dismiss(None)
            return

        def decided(discard: bool | None) -> None:
            if discard:
                self.dismiss(None)

        self.app.push_screen(
            ConfirmDialog("Discard your changes to SKILL.md? Nothing was published."), decided
        )
