"""Browsing: the skill list and its filter, a skill's SKILL.md, files and provenance, help, footer, mouse."""

from __future__ import annotations

from typing import Any

import pytest
from rich.syntax import Syntax
from textual.widgets import DataTable, Input, OptionList, Static, Tree

from skillforge.registry import Registry
from skillforge.tui.app import make_app
from skillforge.tui.dialogs import HelpScreen
from skillforge.tui.screens.browser import BrowserScreen
from skillforge.tui.screens.skill import SkillMarkdown, SkillScreen

from .demo_registry import TRACES
from .helpers import Counting, open_skill, plain, screen_text, settle

pytestmark = pytest.mark.anyio


def rows(table: DataTable[Any]) -> list[list[str]]:
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_list_shows_every_skill_with_latest_pin_and_date(registry: Registry) -> None:
    counting = Counting(registry)
    app = make_app(counting)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert counting.calls == {"skills": 1}  # one call for the whole list, nothing per row
        table = app.screen.query_one("#skills", DataTable)
        assert [r[:4] for r in rows(table)] == [
            ["git-bisect", "0.1.0", "", "2025-03-02"],
            ["pdf-forms", "0.3.0", "", "2025-03-08"],
            ["release-notes", "0.1.1", "0.1.0", "2025-03-06"],
        ]
        assert rows(table)[1][4].startswith("Fill, read and flatten PDF forms")
        assert app.screen.sub_title == "3 skills"


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("pdf", ["pdf-forms"]),
        ("debugging", ["git-bisect"]),
        ("RELEASE use", ["release-notes"]),
        ("use when", None),
        ("nothing-like-this", []),
    ],
)
async def test_filter_matches_name_description_and_tags(
    registry: Registry, query: str, expected: list[str] | None
) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("slash", *query)
        table = app.screen.query_one("#skills", DataTable)
        names = [r[0] for r in rows(table)]
        assert names == (expected if expected is not None else ["git-bisect", "pdf-forms", "release-notes"])
        assert app.screen.sub_title == f"{len(names)} of 3 skills"
        await pilot.press("escape")  # clears the filter
        assert app.screen.query_one("#filter", Input).value == ""
        assert len(rows(table)) == 3


async def test_open_skill_from_filtered_list_renders_skill_md(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_skill(pilot, "pdf")
        screen = app.screen
        assert isinstance(screen, SkillScreen) and screen.skill == "pdf-forms"
        assert screen.sub_title == "version 0.3.0 · 3 versions"
        markdown = screen.query_one("#skill-markdown", SkillMarkdown).source
        assert markdown.startswith("# PDF forms")
        assert "## Pitfalls" in markdown and "sf:" not in markdown  # provenance markers are not for reading
        text = screen_text(app)
        assert "Fill, read and flatten PDF forms with pypdf" in text  # the description, above the body
        assert "List the fields first" in text
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)


async def test_files_tab_lists_the_tree_and_shows_a_file_highlighted(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_skill(pilot, "pdf")
        await pilot.press("2")
        tree = app.screen.query_one("#file-tree", Tree)
        labels = [str(tree.get_node_at_line(i).label) for i in range(tree.last_line + 1)]  # type: ignore[union-attr]
        assert labels == ["SKILL.md", "references/", "xfa.md", "scripts/", "fields.py"]
        await pilot.press("down", "down", "down", "down")
        shown = app.screen.query_one("#file-content", Static).content
        assert isinstance(shown, Syntax)
        assert shown.code == registry.read_file("pdf-forms", "0.3.0", "scripts/fields.py")
        assert shown.lexer is not None and "python" in str(shown.lexer).lower()


async def test_provenance_shows_lessons_and_traces_for_the_selected_section(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(100, 40)) as pilot:
        await open_skill(pilot, "pdf")
        await pilot.press("3")
        sections = app.screen.query_one("#sections", OptionList)
        labels = [str(sections.get_option_at_index(i).prompt) for i in range(sections.option_count)]
        assert labels == [" · PDF forms", " · When to use", " 3 Procedure", " 3 Pitfalls"]
        text = screen_text(app)  # the first section with lessons is shown at once
        assert "List the fields before filling  [procedure] support 3" in text
        assert f"{TRACES['a']}, {TRACES['b']}, {TRACES['c']}" in text
        assert "KeyError: '/Name'" in text
        await pilot.press("down")
        text = plain(app.screen.query_one("#rules", Static).content)
        assert "Ask viewers to regenerate appearances  [recovery] support 2" in text
        assert f"3 lesson(s); traces behind this section: {TRACES['a']}, {TRACES['c']}, {TRACES['d']}" in text
        assert "List the fields" not in text
        # Lessons are listed in reading order: where their <!-- sf:id --> marker sits in SKILL.md.
        assert text.index("regenerate appearances") < text.index("Checkbox values") < text.index("XFA forms")
        await pilot.press("up", "up")
        assert "no lessons recorded for this section" in screen_text(app)


async def test_provenance_says_so_when_none_was_recorded(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_skill(pilot, "git-bisect")
        await pilot.press("3")
        assert "No provenance recorded for version 0.1.0." in screen_text(app)


async def test_help_screen_and_footer_keys(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert "/ Filter" in screen_text(app).splitlines()[-1]
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert "roll back to the highlighted version (asks first)" in screen_text(app)
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)
        await open_skill(pilot, "pdf")
        footer = screen_text(app).splitlines()[-1]
        for key in ("esc Back", "e Edit", "i Install", "q Quit", "? Help"):
            assert key in footer
        await pilot.press("4")
        footer = screen_text(app).splitlines()[-1]
        for key in ("space Mark", "d Diff", "r Roll back", "? Help"):
            assert key in footer  # all of them fit in 80 columns


async def test_mouse_opens_a_skill_and_switches_tabs(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#skills", DataTable)
        await pilot.click(table, offset=(3, 2))  # header is row 0; pdf-forms is the second row
        await pilot.click(table, offset=(3, 2))
        await settle(pilot)
        assert isinstance(app.screen, SkillScreen) and app.screen.skill == "pdf-forms"
        await pilot.click("#tabs Tab#--content-tab-history")
        await settle(pilot)
        assert app.screen.query_one("#tabs").active == "history"  # type: ignore[attr-defined]


async def test_the_ui_stays_responsive_while_the_registry_is_busy(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        # Another call holds the registry (as a long git operation would); reads happen in workers, so keys still work.
        registry._mutex.acquire()
        try:
            await pilot.press("enter")
            await pilot.pause()
            assert isinstance(app.screen, SkillScreen) and app.screen.sub_title == "loading…"
            await pilot.press("question_mark")
            assert isinstance(app.screen, HelpScreen)
            await pilot.press("escape")
        finally:
            registry._mutex.release()
        await settle(pilot)
        assert app.screen.sub_title == "version 0.1.0 · 1 versions"


async def test_opening_a_skill_directly_and_an_unknown_one(registry: Registry) -> None:
    app = make_app(registry, skill="release-notes")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert isinstance(app.screen, SkillScreen)
        assert app.screen.sub_title == "version 0.1.0 (pinned; latest 0.1.1) · 2 versions"
        await pilot.press("escape")
        assert isinstance(app.screen, BrowserScreen)
    app = make_app(registry, skill="no-such-skill")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.screen.sub_title == "loading…"  # nothing to show; the error is a notification
        assert any("no skill named 'no-such-skill'" in n.message for n in app._notifications)
