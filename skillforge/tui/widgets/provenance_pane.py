"""Provenance: pick a section of the skill, see the lessons behind it and the traces they came from."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.syntax import Syntax
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from skillforge.models.provenance import ProvenanceRule
from skillforge.tui.provenance import ProvenanceView, SectionProvenance, rule_traces
from skillforge.tui.widgets.diff_view import THEME

MAX_EVIDENCE = 3


class ProvenancePane(Horizontal):
    """Left: the skill's sections with how many lessons back each; right: those lessons and their traces."""

    DEFAULT_CSS = """
    ProvenancePane #sections { width: 26; min-width: 16; height: 1fr; }
    ProvenancePane #rules-view { width: 1fr; border-left: solid $accent; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.view: ProvenanceView | None = None
        self.version = ""

    def compose(self) -> ComposeResult:
        yield OptionList(id="sections")
        with VerticalScroll(id="rules-view"):
            yield Static("", id="rules")

    def show(self, view: ProvenanceView, version: str) -> None:
        """List ``view``'s sections and show the first one's lessons."""
        self.view, self.version = view, version
        options = self.query_one("#sections", OptionList)
        options.clear_options()
        rules = self.query_one("#rules", Static)
        if view.raw is not None:
            options.add_option(Option("(not skillforge's format)", id="raw"))
            rules.update(
                Group(
                    Text("provenance in an unknown format:", style="bold"),
                    Syntax(view.raw, "json", theme=THEME, background_color="default"),
                )
            )
            return
        for index, section in enumerate(view.sections):
            count = f"{len(section.rules)}" if section.rules else "·"
            label = Text.assemble((f"{count:>2} ", "bold" if section.rules else "dim"), section.label)
            if not section.in_text:
                label.stylize("italic")
            options.add_option(Option(label, id=str(index)))
        if view.sections:
            options.highlighted = next((i for i, s in enumerate(view.sections) if s.rules), 0)
        self.show_section(options.highlighted or 0)

    def show_section(self, index: int) -> None:
        """Render the lessons of section ``index``."""
        rules = self.query_one("#rules", Static)
        view = self.view
        if view is None:
            return
        if not view.recorded:
            rules.update(
                Text(
                    f"No provenance recorded for version {self.version}.\n\n"
                    "Versions published by `skillforge distill` carry it; a folder published by hand does not.",
                    style="italic",
                )
            )
            return
        if not view.sections or index >= len(view.sections):
            rules.update(Text("this version has no sections", style="italic"))
            return
        rules.update(render_section(view, view.sections[index]))

    def on_option_list_option_highlighted(self, event: OptionList.OptionHighlighted) -> None:
        if event.option_id and event.option_id != "raw":
            self.show_section(int(event.option_id))


def render_section(view: ProvenanceView, section: SectionProvenance) -> RenderableType:
    """The lessons of one section: kind, support, the rule text, trace ids and a few quotes."""
    prov = view.provenance
    head = Text(section.label, style="bold underline")
    if not section.in_text:
        head.append("  (heading not in this version's text)", style="dim italic")
    parts: list[RenderableType] = [head]
    if prov is not None:
        parts.append(
            Text(
                f"analyzer: {prov.analyzer or 'unknown'} · {len(prov.sources)} source file(s) · {len(prov.rules)} rule(s)",
                style="dim",
            )
        )
    if not section.rules:
        parts.append(Text("\nno lessons recorded for this section", style="italic"))
    else:
        parts.append(
            Text.assemble(
                (f"{len(section.rules)} lesson(s); traces behind this section: ", "bold"),
                (", ".join(section.trace_ids), "bold magenta"),
            )
        )
    for rule in section.rules:
        parts.append(_rule(rule, view.markers))
    return Group(*parts)


def _rule(rule: ProvenanceRule, markers: set[str]) -> RenderableType:
    title = Text("\n● ", style="bold")
    title.append(rule.title, style="bold")
    title.append(f"  [{rule.kind}] support {rule.support}", style="cyan")
    if markers and rule.id not in markers:
        title.append("  (no longer in the text)", style="yellow")
    lines: list[RenderableType] = [title, Padding(Text(rule.text), (0, 0, 0, 2))]
    traces = rule_traces(rule)
    if traces:
        lines.append(
            Padding(Text.assemble(("traces: ", "dim"), (", ".join(traces), "magenta")), (0, 0, 0, 2))
        )
    for evidence in rule.evidence[:MAX_EVIDENCE]:
        where = evidence.trace_id + (f" step {evidence.step}" if evidence.step is not None else "")
        quote = Text.assemble(
            (f"{where}: ", "dim"), (f"“{evidence.quote}”" if evidence.quote else "(no quote)", "italic")
        )
        if evidence.source:
            quote.append(f"  {evidence.source}", style="dim")
        lines.append(Padding(quote, (0, 0, 0, 4)))
    if len(rule.evidence) > MAX_EVIDENCE:
        lines.append(Padding(Text(f"… {len(rule.evidence) - MAX_EVIDENCE} more", style="dim"), (0, 0, 0, 4)))
    return Group(*lines)
