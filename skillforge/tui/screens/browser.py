"""The skill list: every skill in the registry, filterable."""

from __future__ import annotations

from typing import Any

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input

from skillforge.tui.data import matches


class BrowserScreen(Screen[None]):
    BINDINGS = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("enter", "open", "Open", show=True),
        Binding("f5", "reload", "Reload"),
    ]

    def __init__(self, registry: Any) -> None:
        super().__init__()
        self.registry = registry
        self.summaries: list[Any] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="filter: name, description, tags  (/)", id="filter")
        table: DataTable[str] = DataTable(id="skills", cursor_type="row", zebra_stripes=True)
        table.add_columns("skill", "version", "pin", "updated", "description")
        yield table
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#skills", DataTable).focus()
        self.action_reload()

    @work(exclusive=True, thread=True, group="load")
    def action_reload(self) -> None:
        summaries = sorted(self.registry.list(), key=lambda s: s.name)
        self.app.call_from_thread(self._show, summaries)

    def _show(self, summaries: list[Any]) -> None:
        self.summaries = summaries
        self._fill(self.query_one("#filter", Input).value)

    def _fill(self, query: str) -> None:
        table = self.query_one("#skills", DataTable)
        table.clear()
        for s in self.summaries:
            if not matches(s, query):
                continue
            updated = str(getattr(s, "updated", "") or "")[:10]
            pinned = getattr(s, "pinned", None)
            pin = "📌 " + str(pinned) if pinned else ""
            description = (s.description or "").replace("\n", " ")
            table.add_row(s.name, str(s.latest), pin, updated, description[:80], key=s.name)
        self.sub_title = f"{table.row_count} of {len(self.summaries)} skills"

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        self.query_one("#skills", DataTable).focus()

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(str(event.row_key.value))

    def action_open(self) -> None:
        table = self.query_one("#skills", DataTable)
        if table.row_count:
            row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
            self._open(str(row_key.value))

    def _open(self, name: str) -> None:
        from skillforge.tui.screens.skill import SkillScreen

        self.app.push_screen(SkillScreen(self.registry, name))
