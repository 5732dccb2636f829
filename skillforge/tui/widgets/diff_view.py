"""Show a diff between two versions, unified or side by side, with each file's syntax coloured."""

from __future__ import annotations

from functools import lru_cache

from rich.console import Group, RenderableType
from rich.style import Style
from rich.syntax import Syntax
from rich.table import Table
from rich.text import Span, Text
from textual.widgets import Static

from skillforge.tui.diffs import FileDiff, Hunk, parse_diff, side_by_side

THEME = "monokai"
REMOVED = Style(bgcolor="#4b1818")
ADDED = Style(bgcolor="#173d1f")
NUMBER = Style(color="#75715e")


class DiffView(Static):
    """A diff of ``Registry.diff`` text; ``split`` toggles side-by-side (default: unified)."""

    DEFAULT_CSS = """
    DiffView { width: 1fr; height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self.split = False
        self.files: list[FileDiff] = []
        self.title = ""

    def show(self, text: str, old: str, new: str) -> None:
        """Parse and display the diff from ``old`` to ``new``."""
        self.files = parse_diff(text)
        self.title = f"diff {old} → {new}"
        self.refresh_diff()

    def toggle_split(self) -> None:
        self.split = not self.split
        self.refresh_diff()

    def refresh_diff(self) -> None:
        self.update(render_diff(self.title, self.files, split=self.split))


def render_diff(title: str, files: list[FileDiff], *, split: bool) -> RenderableType:
    """The whole diff as one renderable: a title line, then per file a header and its hunks."""
    mode = "side by side" if split else "unified"
    parts: list[RenderableType] = [Text.assemble((title, "bold"), (f"   {mode} (s toggles)", "dim"))]
    if not files:
        parts.append(Text("no changes between these versions", style="italic"))
    for file in files:
        parts.append(_file_header(file))
        old_lines, new_lines = _highlighted(file)
        for hunk in file.hunks:
            parts.append(Text(hunk.header, style="cyan dim"))
            parts.append(
                _split(hunk, old_lines, new_lines) if split else _unified(hunk, old_lines, new_lines)
            )
    return Group(*parts)


def _file_header(file: FileDiff) -> Text:
    header = Text.assemble(
        ("\n" + file.path, "bold underline"),
        ("  +", ""),
        (str(file.added), "green"),
        (" -", ""),
        (str(file.removed), "red"),
    )
    if file.notes:
        header.append("  (" + "; ".join(file.notes) + ")", style="dim")
    return header


def _unified(hunk: Hunk, old: dict[int, Text], new: dict[int, Text]) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(justify="right", style=NUMBER, width=4)
    table.add_column(justify="right", style=NUMBER, width=4)
    table.add_column(ratio=1)
    for line in hunk.lines:
        if line.tag == "-":
            body = _line(old, line.old, line.text, "-", REMOVED)
        elif line.tag == "+":
            body = _line(new, line.new, line.text, "+", ADDED)
        else:
            body = _line(new, line.new, line.text, " ", None)
        table.add_row(_no(line.old), _no(line.new), body)
    return table


def _split(hunk: Hunk, old: dict[int, Text], new: dict[int, Text]) -> Table:
    table = Table.grid(padding=(0, 1), expand=True)
    table.add_column(justify="right", style=NUMBER, width=4)
    table.add_column(ratio=1)
    table.add_column(justify="right", style=NUMBER, width=4)
    table.add_column(ratio=1)
    for row in side_by_side(hunk):
        changed = row.kind != "same"
        left = (
            _line(old, row.old_no, row.old, "", REMOVED if changed else None)
            if row.old is not None
            else Text("")
        )
        right = (
            _line(new, row.new_no, row.new, "", ADDED if changed else None)
            if row.new is not None
            else Text("")
        )
        table.add_row(_no(row.old_no), left, _no(row.new_no), right)
    return table


def _no(number: int | None) -> str:
    return "" if number is None else str(number)


def _line(
    lines: dict[int, Text], number: int | None, raw: str, prefix: str, background: Style | None
) -> Text:
    text = lines.get(number, Text(raw)).copy() if number is not None else Text(raw)
    if prefix:
        text = Text(prefix) + text
    if background is not None:
        text.stylize(background)
        text.style = background
    return text


def _highlighted(file: FileDiff) -> tuple[dict[int, Text], dict[int, Text]]:
    """Each side's diff lines highlighted together, so multi-line constructs colour correctly."""
    old = {line.old: line.text for h in file.hunks for line in h.lines if line.old is not None}
    new = {line.new: line.text for h in file.hunks for line in h.lines if line.new is not None}
    lexer = _lexer(file.path)
    return _colour(old, lexer), _colour(new, lexer)


def _colour(lines: dict[int, str], lexer: str) -> dict[int, Text]:
    if not lines:
        return {}
    numbers = sorted(lines)
    code = "\n".join(lines[n] for n in numbers)
    highlighted = Syntax(code, lexer, theme=THEME).highlight(code)
    # Keep the theme's foreground only: the diff's own red/green backgrounds must show through.
    highlighted.spans = [
        Span(s.start, s.end, _fg(s.style)) for s in highlighted.spans if not isinstance(s.style, str)
    ]
    highlighted.style = ""
    split = highlighted.split("\n", allow_blank=True)
    return {n: split[i] if i < len(split) else Text(lines[n]) for i, n in enumerate(numbers)}


def _fg(style: Style | str) -> Style:
    assert isinstance(style, Style)
    return Style(color=style.color, bold=style.bold, italic=style.italic, underline=style.underline)


@lru_cache(maxsize=64)
def _lexer(path: str) -> str:
    return Syntax.guess_lexer(path)
