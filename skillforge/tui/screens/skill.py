"""One skill: rendered SKILL.md, its files, provenance, and history with diff and rollback."""

from __future__ import annotations

from typing import Any

from rich.syntax import Syntax
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Markdown, Static, TabbedContent, TabPane, Tree

from skillforge.tui.data import provenance_rows
from skillforge.tui.dialogs import ConfirmDialog


class SkillScreen(Screen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("1", "tab('skill-md')", "SKILL.md"),
        Binding("2", "tab('files')", "Files"),
        Binding("3", "tab('provenance')", "Provenance"),
        Binding("4", "tab('history')", "History"),
        Binding("e", "edit", "Edit"),
        Binding("space", "mark", "Mark", show=False),
        Binding("d", "diff", "Diff"),
        Binding("r", "rollback", "Roll back"),
    ]
    DEFAULT_CSS = """
    SkillScreen #history-pane Horizontal { height: 1fr; }
    SkillScreen #versions { width: 46; }
    SkillScreen #diff-scroll { width: 1fr; border-left: solid $accent; }
    SkillScreen #file-view { width: 1fr; border-left: solid $accent; }
    SkillScreen #file-tree { width: 30; }
    """

    def __init__(self, registry: Any, name: str) -> None:
        super().__init__()
        self.registry = registry
        self.skill = name
        self.versions: list[Any] = []
        self.marked: str | None = None
        self.current: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="skill-md", id="tabs"):
            with TabPane("SKILL.md", id="skill-md"), VerticalScroll():
                yield Markdown("", id="skill-markdown")
            with TabPane("Files", id="files"), Horizontal():
                yield Tree("files", id="file-tree")
                with VerticalScroll(id="file-view"):
                    yield Static("", id="file-content")
            with TabPane("Provenance", id="provenance"):
                table: DataTable[str] = DataTable(id="provenance-table", cursor_type="row")
                table.add_columns("section", "rule", "support", "traces")
                yield table
            with TabPane("History", id="history", classes="history"), Horizontal(id="history-pane"):
                versions: DataTable[str] = DataTable(id="versions", cursor_type="row")
                versions.add_columns(" ", "version", "date", "message")
                yield versions
                with VerticalScroll(id="diff-scroll"):
                    yield Static("select a version and press d to see its diff", id="diff")
        yield Footer()

    def on_mount(self) -> None:
        self.title = self.skill
        self.load()

    @work(exclusive=True, thread=True, group="load")
    def load(self) -> None:
        versions = self.registry.versions(self.skill)
        current = self.registry.resolve(self.skill)
        files = self.registry.files(self.skill, current)
        provenance = self.registry.provenance(self.skill, current)
        self.app.call_from_thread(self._show, versions, current, files, provenance)

    def _show(self, versions: list[Any], current: str, files: dict[str, str], provenance: Any) -> None:
        self.versions, self.current = versions, current
        self.sub_title = f"version {current}"
        self.query_one("#skill-markdown", Markdown).update(_strip_frontmatter(files.get("SKILL.md", "")))
        tree = self.query_one("#file-tree", Tree)
        tree.clear()
        tree.root.expand()
        for path in sorted(files):
            tree.root.add_leaf(path, data=files[path])
        prov = self.query_one("#provenance-table", DataTable)
        prov.clear()
        rows = provenance_rows(provenance)
        for row in rows:
            prov.add_row(*row)
        if not rows:
            prov.add_row("", "no provenance recorded for this version", "", "")
        table = self.query_one("#versions", DataTable)
        table.clear()
        for v in versions:
            mark = "●" if v.version == self.marked else ""
            table.add_row(mark, str(v.version), str(v.date)[:16], (v.message or "").splitlines()[0][:60] if v.message else "", key=str(v.version))

    def on_tree_node_selected(self, event: Tree.NodeSelected[str]) -> None:
        if event.node.data is None:
            return
        lexer = Syntax.guess_lexer(str(event.node.label), code=event.node.data)
        self.query_one("#file-content", Static).update(Syntax(event.node.data, lexer, word_wrap=True))

    def action_tab(self, tab: str) -> None:
        self.query_one("#tabs", TabbedContent).active = tab
        if tab == "history":
            self.query_one("#versions", DataTable).focus()

    def _selected_version(self) -> str | None:
        table = self.query_one("#versions", DataTable)
        if not table.row_count:
            return None
        row_key, _ = table.coordinate_to_cell_key(table.cursor_coordinate)
        return str(row_key.value)

    def action_mark(self) -> None:
        selected = self._selected_version()
        self.marked = None if selected == self.marked else selected
        self._show_marks()

    def _show_marks(self) -> None:
        table = self.query_one("#versions", DataTable)
        for row_index, v in enumerate(self.versions):
            table.update_cell_at((row_index, 0), "●" if str(v.version) == self.marked else "")

    def action_diff(self) -> None:
        self.action_tab("history")
        selected = self._selected_version()
        if selected is None:
            return
        older = self.marked
        if older is None or older == selected:
            names = [str(v.version) for v in self.versions]
            index = names.index(selected)
            if index + 1 >= len(names):
                self.query_one("#diff", Static).update(f"{selected} is the first version: nothing to compare")
                return
            older = names[index + 1]
        self.show_diff(older, selected)

    @work(exclusive=True, thread=True, group="diff")
    def show_diff(self, v1: str, v2: str) -> None:
        text = self.registry.diff(self.skill, v1, v2)
        self.app.call_from_thread(self._render_diff, v1, v2, text)

    def _render_diff(self, v1: str, v2: str, text: str) -> None:
        body = text or f"no changes between {v1} and {v2}"
        self.query_one("#diff", Static).update(Syntax(body, "diff", word_wrap=True))
        self.sub_title = f"diff {v1} → {v2}"

    def action_rollback(self) -> None:
        self.action_tab("history")
        target = self._selected_version()
        if target is None:
            return
        if target == self.current:
            self.notify(f"{self.skill} is already at {target}", severity="warning")
            return

        def decided(yes: bool | None) -> None:
            if yes:
                self.do_rollback(target)

        self.app.push_screen(
            ConfirmDialog(f"Roll {self.skill} back to {target}? This publishes a new version with that content."),
            decided,
        )

    @work(exclusive=True, thread=True, group="write")
    def do_rollback(self, target: str) -> None:
        try:
            result = self.registry.rollback(self.skill, target)
        except Exception as exc:  # noqa: BLE001 - shown to the person, the UI keeps running
            self.app.call_from_thread(self.notify, str(exc), title="rollback failed", severity="error")
            return
        self.app.call_from_thread(self.notify, f"rolled back to {target} as {result.version}")
        self.app.call_from_thread(self.load)

    def action_edit(self) -> None:
        from skillforge.tui.screens.edit import EditScreen

        if self.current is None:
            return

        def saved(version: str | None) -> None:
            if version:
                self.load()

        self.app.push_screen(EditScreen(self.registry, self.skill, self.current), saved)


def _strip_frontmatter(text: str) -> str:
    if text.startswith("---"):
        parts = text.split("---", 2)
        if len(parts) == 3:
            return parts[2].lstrip("\n")
    return text
