"""Install the version shown into agent hosts: pick the hosts and the scope (a project folder or global)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, RadioButton, RadioSet, SelectionList, Static

from skillforge.errors import SkillforgeError
from skillforge.hosts.results import HostInfo, InstallReport
from skillforge.models.lock import Scope

if TYPE_CHECKING:
    from skillforge.registry.store import Registry


class InstallDialog(ModalScreen["InstallReport | None"]):
    """Dismisses with the install report, or None when cancelled."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+s", "install", "Install", priority=True),
    ]
    DEFAULT_CSS = """
    InstallDialog { align: center middle; }
    InstallDialog > Vertical { width: 78; max-width: 100%; height: auto; max-height: 100%;
        border: thick $accent; background: $surface; padding: 0 1; }
    InstallDialog #hosts { height: auto; max-height: 9; }
    InstallDialog #scope { layout: horizontal; width: 100%; height: auto; }
    InstallDialog #project-dir { width: 100%; }
    InstallDialog #install-status { height: auto; max-height: 4; }
    InstallDialog Horizontal { height: auto; align: right middle; }
    InstallDialog Button { margin: 0 1; }
    """

    def __init__(self, registry: Registry, name: str, version: str) -> None:
        super().__init__()
        self.registry = registry
        self.skill = name
        self.version = version
        self.hosts: list[HostInfo] = []

    def compose(self) -> ComposeResult:
        with Vertical() as box:
            box.border_title = f"install {self.skill}@{self.version}"
            yield Label("hosts (space toggles; detected ones are ticked)")
            yield SelectionList[str](id="hosts")
            with RadioSet(id="scope"):
                yield RadioButton("project folder", value=True, id="project")
                yield RadioButton("global (home folder)", id="global")
            yield Input(id="project-dir", placeholder="project folder")
            yield Static("", id="install-status")
            with Horizontal():
                yield Button("Install (ctrl+s)", variant="success", id="install")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        from skillforge.hosts import list_hosts

        project = getattr(self.app, "project", None) or Path.cwd()
        self.query_one("#project-dir", Input).value = str(project)
        self.hosts = list_hosts(project)
        hosts = self.query_one("#hosts", SelectionList)
        for info in self.hosts:
            label = Text.assemble(
                info.display, (f"  {info.name}", "dim"), ("  detected" if info.detected else "", "green")
            )
            hosts.add_option((label, info.name, info.detected))
        hosts.highlighted = 0
        hosts.focus()
        self._explain()

    def scope(self) -> Scope:
        return "global" if self.query_one("#global", RadioButton).value else "project"

    def on_radio_set_changed(self, _event: RadioSet.Changed) -> None:
        self.query_one("#project-dir", Input).disabled = self.scope() == "global"
        self._explain()

    def on_selection_list_selected_changed(self, _event: SelectionList.SelectedChanged[str]) -> None:
        self._explain()

    def _explain(self) -> None:
        """Say where the chosen hosts will read the skill from, before anything is written."""
        chosen = set(self.query_one("#hosts", SelectionList).selected)
        scope = self.scope()
        lines = []
        for info in self.hosts:
            if info.name in chosen:
                folder = info.global_dir if scope == "global" else info.project_dir
                lines.append(
                    f"{info.name} → {folder}/{self.skill}" if folder else f"{info.name}: no {scope} folder"
                )
        self.query_one("#install-status", Static).update(
            Text("\n".join(lines) or "pick at least one host", style="dim")
        )

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "install":
            self.action_install()
        else:
            self.action_cancel()

    def action_install(self) -> None:
        hosts = list(self.query_one("#hosts", SelectionList).selected)
        if not hosts:
            self.query_one("#install-status", Static).update(Text("pick at least one host", style="bold red"))
            return
        project = (
            Path(self.query_one("#project-dir", Input).value).expanduser()
            if self.scope() == "project"
            else None
        )
        self.query_one("#install", Button).disabled = True
        self.install(hosts, self.scope(), project)

    @work(exclusive=True, thread=True, group="install")
    def install(self, hosts: list[str], scope: Scope, project: Path | None) -> None:
        """Run the hosts library's install off the UI thread."""
        from skillforge.hosts import install

        try:
            report = install(
                f"{self.skill}@{self.version}",
                hosts=hosts,
                scope=scope,
                project=project,
                registry_path=self.registry.path,
            )
        except (SkillforgeError, OSError) as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._done, report)

    def _failed(self, error: str) -> None:
        self.query_one("#install-status", Static).update(Text(f"not installed: {error}", style="bold red"))
        self.query_one("#install", Button).disabled = False

    def _done(self, report: InstallReport) -> None:
        where = "; ".join(f"{p.host}: {p.path}" for p in report.placements)
        notices = "".join(f"\n{n}" for n in report.notices)
        self.app.notify(
            f"installed {report.name} {report.version} ({report.scope}) — {where}{notices}", timeout=8
        )
        self.dismiss(report)

    def action_cancel(self) -> None:
        self.dismiss(None)
