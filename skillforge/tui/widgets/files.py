"""The files of a version: a folder tree and the highlighted file."""

from __future__ import annotations

from rich.syntax import Syntax
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Static, Tree
from textual.widgets.tree import TreeNode

from skillforge.tui.widgets.diff_view import THEME


class FilesPane(Horizontal):
    """Left: the version's files as a tree; right: the highlighted file, syntax coloured."""

    DEFAULT_CSS = """
    FilesPane #file-tree { width: 24; min-width: 16; }
    FilesPane #file-view { width: 1fr; border-left: solid $accent; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.files: dict[str, str] = {}
        self.binaries: dict[str, int] = {}

    def compose(self) -> ComposeResult:
        tree: Tree[str] = Tree("files", id="file-tree")
        tree.show_root = False
        yield tree
        with VerticalScroll(id="file-view"):
            yield Static("", id="file-content")

    def show(self, files: dict[str, str], binaries: dict[str, int], title: str) -> None:
        """Fill the tree with ``files`` (path -> text) and ``binaries`` (path -> size); show SKILL.md."""
        self.files, self.binaries = files, binaries
        tree: Tree[str] = self.query_one("#file-tree", Tree)
        tree.clear()
        tree.root.set_label(title)
        folders: dict[str, TreeNode[str]] = {"": tree.root}
        # SKILL.md first, then folders, then other files, as the spec describes a skill.
        for path in sorted([*files, *binaries], key=lambda p: (p != "SKILL.md", "/" not in p, p)):
            parent = ""
            for part in path.split("/")[:-1]:
                key = f"{parent}/{part}" if parent else part
                if key not in folders:
                    folders[key] = folders[parent].add(part + "/", expand=True)
                parent = key
            folders[parent].add_leaf(path.rsplit("/", 1)[-1], data=path)
        tree.root.expand()
        tree.cursor_line = 0  # the viewer starts on SKILL.md, so does the cursor
        self.open_file("SKILL.md" if "SKILL.md" in files else next(iter(sorted(files)), ""))

    def open_file(self, path: str) -> None:
        """Show ``path`` in the viewer."""
        content = self.query_one("#file-content", Static)
        self.query_one("#file-view", VerticalScroll).border_title = path
        if path in self.binaries:
            content.update(f"binary file, {self.binaries[path]:,} bytes")
            return
        if path not in self.files:
            content.update("no files")
            return
        text = self.files[path]
        lexer = Syntax.guess_lexer(path, code=text)
        content.update(
            Syntax(text, lexer, theme=THEME, line_numbers=True, word_wrap=True, background_color="default")
        )

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        if event.node.data:
            self.open_file(event.node.data)
