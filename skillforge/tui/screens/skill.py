"""One skill: rendered SKILL.md, its files, provenance by section, and history with diff and rollback."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.markdown import Markdown
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Header, Static, TabbedContent, TabPane

from skillforge.errors import SkillforgeError
from skillforge.skills.frontmatter import split
from skillforge.tui import provenance
from skillforge.tui.data import SkillView, load_skill
from skillforge.tui.widgets.diff_view import THEME
from skillforge.tui.widgets.files import FilesPane
from skillforge.tui.widgets.history import HistoryPane
from skillforge.tui.widgets.provenance_pane import ProvenancePane

if TYPE_CHECKING:
    from skillforge.registry.store import Registry


class SkillMarkdown(Static):
    """SKILL.md's body rendered as one rich Markdown renderable.

    textual's Markdown widget mounts a widget per block, which takes most of a second for a
    60-item list; one renderable keeps opening a skill fast however long SKILL.md is.
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.source = ""

    def show(self, source: str) -> None:
        self.source = source
        self.update(Markdown(source, code_theme=THEME, hyperlinks=False))


class SkillScreen(Screen[None]):
    """Everything about one skill; data is read in a worker and shown when it arrives."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("1", "tab('skill-md')", "SKILL.md", show=False),
        Binding("2", "tab('files')", "Files", show=False),
        Binding("3", "tab('provenance')", "Provenance", show=False),
        Binding("4,h", "tab('history')", "History", show=False),
        Binding("e", "edit", "Edit"),
        Binding("i", "install", "Install"),
    ]
    DEFAULT_CSS = """
    SkillScreen #about { color: $text-muted; height: auto; max-height: 3; margin-bottom: 1; }
    SkillScreen #skill-md-scroll { padding: 0 1; }
    SkillScreen TabPane { padding: 0; }
    SkillScreen #history-pane, SkillScreen #files-pane, SkillScreen #provenance-pane { height: 1fr; }
    """

    def __init__(self, registry: Registry, name: str) -> None:
        super().__init__()
        self.registry = registry
        self.skill = name
        self.view: SkillView | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with TabbedContent(initial="skill-md", id="tabs"):
            with TabPane("1 SKILL.md", id="skill-md"), VerticalScroll(id="skill-md-scroll"):
                yield Static("", id="about")
                yield SkillMarkdown(id="skill-markdown")
            with TabPane("2 Files", id="files"):
                yield FilesPane(id="files-pane")
            with TabPane("3 Provenance", id="provenance"):
                yield ProvenancePane(id="provenance-pane")
            with TabPane("4 History", id="history"):
                yield HistoryPane(self.registry, id="history-pane")
        yield Footer(show_command_palette=False)

    def on_mount(self) -> None:
        self.title = self.skill
        self.sub_title = "loading…"
        self.load()

    @work(exclusive=True, thread=True, group="load")
    def load(self) -> None:
        """Read the skill (versions, files, provenance, events) off the UI thread."""
        try:
            view = load_skill(self.registry, self.skill)
        except SkillforgeError as exc:
            self.app.call_from_thread(
                self.notify, str(exc), title=f"cannot open {self.skill}", severity="error"
            )
            return
        self.app.call_from_thread(self.show, view)

    def show(self, view: SkillView) -> None:
        """Put ``view`` on every tab."""
        self.view = view
        pin = f" (pinned; latest {view.latest})" if view.pinned else ""
        self.sub_title = f"version {view.current}{pin} · {len(view.versions)} versions"
        text = view.files.get("SKILL.md", "")
        self.query_one("#about", Static).update(_about(text))
        self.query_one(SkillMarkdown).show(_body(text))
        self.query_one(FilesPane).show(view.files, view.binaries, f"{view.name}@{view.current}")
        self.query_one(ProvenancePane).show(provenance.build(view.files, view.provenance), view.current)
        self.query_one(HistoryPane).show(view)

    def on_history_pane_changed(self, event: HistoryPane.Changed) -> None:
        self.show(event.view)
        self.notify(event.note)

    def action_tab(self, tab: str) -> None:
        """Switch to ``tab`` and focus its main widget, so its keys work at once."""
        self.query_one("#tabs", TabbedContent).active = tab
        focus = {"history": "#timeline", "files": "#file-tree", "provenance": "#sections"}.get(tab)
        if focus:
            self.query_one(focus).focus()
        else:
            self.query_one("#skill-md-scroll").focus()

    def on_tabbed_content_tab_activated(self, event: TabbedContent.TabActivated) -> None:
        if event.pane.id == "history":
            self.query_one("#timeline", DataTable).focus()

    def action_edit(self) -> None:
        """Edit SKILL.md of the version shown; a save publishes a new version and reloads."""
        from skillforge.tui.screens.edit import EditScreen

        view = self.view
        if view is None:
            return

        def saved(version: str | None) -> None:
            if version:
                self.load()

        self.app.push_screen(
            EditScreen(self.registry, view.name, view.current, view.files.get("SKILL.md", "")), saved
        )

    def action_install(self) -> None:
        """Pick hosts and scope, then install the version shown."""
        from skillforge.tui.screens.install import InstallDialog

        if self.view is not None:
            self.app.push_screen(InstallDialog(self.registry, self.view.name, self.view.current))


def _about(text: str) -> Text:
    """The description and tags from the frontmatter, shown above the rendered body."""
    try:
        metadata, _ = split(text)
    except SkillforgeError:
        return Text("")
    about = Text(" ".join(str(metadata.get("description", "")).split()))
    meta = metadata.get("metadata")
    if isinstance(meta, dict) and meta.get("tags"):
        about.append(f"  tags: {meta['tags']}", style="italic")
    return about


def _body(text: str) -> str:
    try:
        _, body = split(text)
    except SkillforgeError:
        body = text
    return provenance.strip_markers(body)
