"""History: the timeline of versions and evolve decisions; diff two versions; roll back to one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.console import Group, RenderableType
from rich.text import Text
from textual import events, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import DataTable, Static

from skillforge.errors import SkillforgeError
from skillforge.tui.data import SkillView, fit, load_skill
from skillforge.tui.dialogs import ConfirmDialog
from skillforge.tui.timeline import TimelineEntry, build_timeline
from skillforge.tui.widgets.diff_view import DiffView

if TYPE_CHECKING:
    from skillforge.registry.store import Registry


class HistoryPane(Vertical):
    """Versions and events, newest first; below, the highlighted entry's details or a diff."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "mark", "Mark"),
        Binding("d", "diff", "Diff"),
        Binding("s", "split", "Split/unified", show=False),
        Binding("r", "rollback", "Roll back"),
    ]
    DEFAULT_CSS = """
    HistoryPane #timeline { height: auto; max-height: 45%; }
    HistoryPane #history-detail { height: 1fr; border-top: solid $accent; }
    HistoryPane #entry { padding: 0 1; }
    """

    class Changed(Message):
        """The skill got a new version here (a rollback); ``view`` is the fresh state."""

        def __init__(self, view: SkillView, note: str) -> None:
            super().__init__()
            self.view = view
            self.note = note

    def __init__(self, registry: Registry, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.registry = registry
        self.view: SkillView | None = None
        self.entries: list[TimelineEntry] = []
        self.marked: str | None = None

    def compose(self) -> ComposeResult:
        yield DataTable(id="timeline", cursor_type="row", zebra_stripes=True)
        with VerticalScroll(id="history-detail"):
            yield Static("", id="entry")
            yield DiffView(id="diff")

    def show(self, view: SkillView) -> None:
        """Fill the timeline from ``view`` and keep the mark when that version still exists."""
        self.view = view
        self.entries = build_timeline(view.versions, view.events)
        if self.marked not in {e.key for e in self.entries}:
            self.marked = None
        self._fill()
        self._show_entry(0)

    def _fill(self) -> None:
        table: DataTable[Any] = self.query_one("#timeline", DataTable)
        row = table.cursor_row
        table.clear(columns=True)
        widths = {
            "mark": 2,
            "version": max([len(e.version or "") for e in self.entries] + [7]),
            "date": 10,
            "what": max([len(e.badge) for e in self.entries] + [4]),
        }
        width = table.size.width or self.app.size.width
        widths["message"] = max(width - sum(widths.values()) - 2 * 5 - 1, 12)
        for key, label in (
            ("mark", ""),
            ("version", "version"),
            ("date", "date"),
            ("what", "what"),
            ("message", "message"),
        ):
            table.add_column(label, key=key, width=widths[key])
        current = self.view.current if self.view else None
        for entry in self.entries:
            table.add_row(
                self._mark(entry),
                Text(entry.version or "·", style="bold" if entry.version == current else ""),
                f"{entry.date:%Y-%m-%d}",
                Text(entry.badge, style=_badge_style(entry.badge)),
                fit(entry.summary, widths["message"]),
                key=entry.key,
            )
        if 0 < row < len(self.entries):
            table.move_cursor(row=row, animate=False)

    def on_resize(self, _event: events.Resize) -> None:
        if self.entries:
            self._fill()

    def _mark(self, entry: TimelineEntry) -> Text:
        current = self.view is not None and entry.version == self.view.current
        return Text(
            ("●" if entry.key == self.marked else " ") + ("◀" if current else " "), style="bold yellow"
        )

    def selected(self) -> TimelineEntry | None:
        table: DataTable[Any] = self.query_one("#timeline", DataTable)
        if not self.entries:
            return None
        return self.entries[min(table.cursor_row, len(self.entries) - 1)]

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        event.stop()
        self._show_entry(event.cursor_row)

    def _show_entry(self, row: int) -> None:
        if not self.entries:
            return
        self.query_one("#diff", DiffView).display = False
        entry_view = self.query_one("#entry", Static)
        entry_view.display = True
        entry_view.update(render_entry(self.entries[min(row, len(self.entries) - 1)]))

    # ---- actions ------------------------------------------------------------------------------

    def action_mark(self) -> None:
        """Mark (or unmark) the highlighted version as one side of a diff."""
        entry = self.selected()
        if entry is None or not entry.is_version:
            self.notify("only versions can be compared", severity="warning")
            return
        self.marked = None if self.marked == entry.key else entry.key
        table: DataTable[Any] = self.query_one("#timeline", DataTable)
        for item in self.entries:
            table.update_cell(item.key, "mark", self._mark(item))

    def action_diff(self) -> None:
        """Diff the marked version with the highlighted one (no mark: with the version before it)."""
        entry = self.selected()
        if entry is None or entry.version is None or self.view is None:
            self.notify("pick a version (events have no content to compare)", severity="warning")
            return
        other = self.marked if self.marked and self.marked != entry.version else self._previous(entry.version)
        if other is None:
            self.notify(
                f"{entry.version} is the first version: mark another one with space", severity="warning"
            )
            return
        order = [v.version for v in self.view.versions]  # newest first
        new, old = sorted([other, entry.version], key=order.index)
        self.load_diff(old, new)

    def _previous(self, version: str) -> str | None:
        names = [v.version for v in self.view.versions] if self.view else []
        index = names.index(version)
        return names[index + 1] if index + 1 < len(names) else None

    @work(exclusive=True, thread=True, group="diff")
    def load_diff(self, old: str, new: str) -> None:
        """Ask the registry for the diff off the UI thread, then show it."""
        assert self.view is not None
        try:
            text = self.registry.diff(self.view.name, old, new)
        except SkillforgeError as exc:
            self.app.call_from_thread(self.notify, str(exc), title="diff failed", severity="error")
            return
        self.app.call_from_thread(self._show_diff, text, old, new)

    def _show_diff(self, text: str, old: str, new: str) -> None:
        self.query_one("#entry", Static).display = False
        diff = self.query_one("#diff", DiffView)
        diff.show(text, old, new)
        diff.display = True
        self.query_one("#history-detail", VerticalScroll).scroll_home(animate=False)

    def action_split(self) -> None:
        """Switch the diff between unified and side by side."""
        diff = self.query_one("#diff", DiffView)
        diff.toggle_split()

    def action_rollback(self) -> None:
        """Ask, then publish the highlighted version's content as a new version."""
        entry = self.selected()
        view = self.view
        if entry is None or entry.version is None or view is None:
            self.notify("pick a version to roll back to", severity="warning")
            return
        if entry.version == view.latest:
            self.notify(f"{entry.version} is already the latest version", severity="warning")
            return
        target = entry.version

        def decided(yes: bool | None) -> None:
            if yes:
                self.rollback(target)

        self.app.push_screen(
            ConfirmDialog(
                f"Roll {view.name} back to {target}?\n\n"
                f"This publishes {target}'s content as a new version after {view.latest}; "
                "no history is removed and it can be undone the same way."
            ),
            decided,
        )

    @work(exclusive=True, thread=True, group="write")
    def rollback(self, target: str) -> None:
        """Roll back in the registry and reload, off the UI thread."""
        assert self.view is not None
        name = self.view.name
        try:
            result = self.registry.rollback(name, target)
            view = load_skill(self.registry, name)
        except SkillforgeError as exc:
            self.app.call_from_thread(self.notify, str(exc), title="rollback failed", severity="error")
            return
        note = f"rolled back to {target} as {result.version}" if result.created else result.reason
        if view.pinned:
            note += f"; {name} is pinned to {view.pinned}, which installs still use"
        self.post_message(self.Changed(view, note))


def render_entry(entry: TimelineEntry) -> RenderableType:
    """Everything recorded about one timeline entry: message, changelog, decision."""
    title = Text.assemble(
        (entry.version or "event", "bold"),
        "  ",
        (entry.badge, _badge_style(entry.badge)),
        "  ",
        (entry.when, "dim"),
        ("  " + entry.author if entry.author else "", "dim"),
    )
    parts: list[RenderableType] = [title]
    if entry.message:
        parts.append(Text(entry.message))
    elif entry.summary and not entry.is_version:
        parts.append(Text(entry.summary))
    if entry.changelog:
        parts.append(Text("changelog", style="bold underline"))
        parts += [Text(f"• {line}") for line in entry.changelog]
    if entry.decision:
        parts.append(Text("decision", style="bold underline"))
        parts += [Text(f"  {line}", style="italic") for line in entry.decision]
    if entry.is_version:
        parts.append(Text("space marks · d diffs · r rolls back to this version", style="dim"))
    return Group(*parts)


def _badge_style(badge: str) -> str:
    if badge.endswith("✗"):
        return "bold red"
    if badge.endswith("✓"):
        return "bold green"
    return {"rollback": "yellow", "edit": "cyan", "correction": "magenta"}.get(badge, "")
