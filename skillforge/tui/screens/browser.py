"""The skill list: every skill in the registry (one registry call), filterable as you type."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Input

from skillforge.errors import SkillforgeError
from skillforge.models.registry import SkillSummary
from skillforge.tui.data import LIST_COLUMNS, filter_skills, fit, list_widths
from skillforge.tui.screens.skill import SkillScreen

if TYPE_CHECKING:
    from skillforge.registry.store import Registry


class BrowserScreen(Screen[None]):
    """Name, latest version, pin, date of the latest version and description of every skill."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_filter", "Filter"),
        Binding("enter", "open", "Open", show=True, priority=False),
        Binding("f5", "reload", "Reload"),
        Binding("escape", "clear_filter", "Clear filter", show=False),
    ]
    DEFAULT_CSS = """
    BrowserScreen #filter { margin: 0 0; }
    BrowserScreen #skills { height: 1fr; }
    """

    def __init__(self, registry: Registry) -> None:
        super().__init__()
        self.registry = registry
        self.summaries: list[SkillSummary] = []
        self.shown: list[SkillSummary] = []

    def compose(self) -> ComposeResult:
        yield Header()
        yield Input(placeholder="/ filter by name, description, tags", id="filter")
        yield DataTable(id="skills", cursor_type="row", zebra_stripes=True)
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.title = "skillforge"
        self.sub_title = "loading skills…"
        self.query_one("#skills", DataTable).focus()
        self.action_reload()

    @work(exclusive=True, thread=True, group="load")
    def action_reload(self) -> None:
        """Read the skill list (one registry call; the index makes it cheap) off the UI thread."""
        try:
            summaries = self.registry.skills()
        except SkillforgeError as exc:
            self.app.call_from_thread(
                self.notify, str(exc), title="cannot read the registry", severity="error"
            )
            return
        self.app.call_from_thread(self._loaded, summaries)

    def _loaded(self, summaries: list[SkillSummary]) -> None:
        self.summaries = summaries
        self._fill(self.query_one("#filter", Input).value)

    def _fill(self, query: str) -> None:
        table: DataTable[Any] = self.query_one("#skills", DataTable)
        before = self.shown[table.cursor_row].name if 0 <= table.cursor_row < len(self.shown) else None
        table.clear(columns=True)
        self.shown = filter_skills(self.summaries, query)
        widths = list_widths(self.shown, table.size.width or self.app.size.width)
        for key in LIST_COLUMNS:
            table.add_column(key, key=key, width=widths[key])
        table.add_rows([_row(s, widths) for s in self.shown])
        names = [s.name for s in self.shown]
        if before in names:
            table.move_cursor(row=names.index(before), animate=False)
        total = len(self.summaries)
        if not total:
            self.sub_title = f"no skills in {self.registry.path} yet: `skillforge publish DIR` adds one"
        else:
            self.sub_title = f"{len(self.shown)} of {total} skills" if query.strip() else f"{total} skills"

    def on_input_changed(self, event: Input.Changed) -> None:
        self._fill(event.value)

    def on_input_submitted(self, _event: Input.Submitted) -> None:
        # Enter in the filter opens the best (first) match, as in fuzzy finders.
        table: DataTable[Any] = self.query_one("#skills", DataTable)
        table.focus()
        self.open_row(table.cursor_row)

    def on_key(self, event: events.Key) -> None:
        if event.key == "down" and isinstance(self.focused, Input):
            event.stop()
            self.query_one("#skills", DataTable).focus()

    def on_resize(self, _event: events.Resize) -> None:
        if self.summaries:
            self._fill(self.query_one("#filter", Input).value)

    def action_focus_filter(self) -> None:
        self.query_one("#filter", Input).focus()

    def action_clear_filter(self) -> None:
        self.query_one("#filter", Input).value = ""
        self.query_one("#skills", DataTable).focus()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.open_row(event.cursor_row)

    def action_open(self) -> None:
        self.open_row(self.query_one("#skills", DataTable).cursor_row)

    def open_row(self, row: int) -> None:
        """Open the skill shown in ``row``."""
        if 0 <= row < len(self.shown):
            self.app.push_screen(SkillScreen(self.registry, self.shown[row].name))

    def on_screen_resume(self) -> None:
        # Back from a skill: versions may have been published there, so the list is read again.
        if self.summaries:
            self.action_reload()


def _row(s: SkillSummary, widths: dict[str, int]) -> tuple[Any, ...]:
    return (
        Text(fit(s.name, widths["skill"]), style="bold"),
        s.latest,
        Text(s.pinned, style="bold yellow") if s.pinned else "",
        f"{s.updated:%Y-%m-%d}",
        fit(s.description, widths["description"]),
    )
