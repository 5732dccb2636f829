"""History: the timeline with messages, changelogs and evolve decisions; diffs; rollback and its cancel."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import DataTable, Static

from skillforge.registry import Registry
from skillforge.tui.app import make_app
from skillforge.tui.dialogs import ConfirmDialog
from skillforge.tui.screens.skill import SkillScreen
from skillforge.tui.widgets.diff_view import ADDED, DiffView

from .helpers import open_skill, plain, screen_text, settle

pytestmark = pytest.mark.anyio


def timeline(app: Any) -> list[list[str]]:
    table: DataTable[Any] = app.screen.query_one("#timeline", DataTable)
    return [[str(c).strip() for c in table.get_row_at(i)] for i in range(table.row_count)]


async def open_history(pilot: Any, name: str = "pdf") -> None:
    await open_skill(pilot, name)
    await pilot.press("4")
    await settle(pilot)


async def test_timeline_interleaves_versions_and_rejected_evolve_rounds(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_history(pilot)
        assert [row[:4] for row in timeline(app)] == [
            ["◀", "0.3.0", "2025-03-08", "evolve ✓"],
            ["", "·", "2025-03-04", "evolve ✗"],
            ["", "0.2.0", "2025-03-03", "publish"],
            ["", "0.1.0", "2025-03-01", "first"],
        ]
        assert timeline(app)[1][4].startswith("rejected: 1 held-out task regressed")
        detail = plain(app.screen.query_one("#entry", Static).content)
        assert "evolve round 1: 1 failure cluster(s); held-out pass rate 3/5 → 5/5" in detail
        assert "• add pitfall: NeedAppearances" in detail  # changelog
        assert "evolve round 1 from 0.2.0: accepted" in detail
        assert "held-out tasks passed: 3/5 → 5/5" in detail
        assert "improvements: fill-1040, fill-w9" in detail
        await pilot.press("down")
        detail = plain(app.screen.query_one("#entry", Static).content)
        assert "evolve round 1 from 0.2.0: rejected" in detail
        assert "held-out tasks passed: 4/5 → 3/5" in detail
        assert "regressions: fill-w9" in detail
        assert "• append to Procedure: flatten after filling" in detail  # the edit that was not published
        await pilot.press("down")
        detail = plain(app.screen.query_one("#entry", Static).content)
        assert "XFA forms: explain why they fail" in detail
        assert "• add XFA pitfall\n• add references/xfa.md" in detail


async def test_diff_between_two_marked_versions_is_coloured(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_history(pilot)
        await pilot.press("down", "down", "down", "space")  # mark 0.1.0
        assert timeline(app)[3][0] == "●"
        await pilot.press("up", "up", "up", "d")  # highlight 0.3.0, diff
        await settle(pilot)
        diff = app.screen.query_one("#diff", DiffView)
        assert diff.display and not app.screen.query_one("#entry", Static).display
        assert diff.title == "diff 0.1.0 → 0.3.0"
        assert [(f.path, f.added, f.removed) for f in diff.files] == [
            ("SKILL.md", 2, 0),
            ("references/xfa.md", 4, 0),
        ]
        text = plain(diff.content)
        assert "+- XFA forms cannot be filled with pypdf" in text
        assert "+- Set `writer.set_need_appearances_writer(True)`" in text
        # Same content the registry's own diff has, line for line.
        added = registry.diff("pdf-forms", "0.1.0", "0.3.0").splitlines()
        registry_lines = {line[1:] for line in added if line.startswith("+") and not line.startswith("+++")}
        assert all(line in text for line in registry_lines)
        rendered = app.console.render(diff.content, app.console.options.update_width(76))
        styles = [seg.style for seg in rendered if seg.style and seg.text.strip()]
        assert any(s.bgcolor == ADDED.bgcolor for s in styles)  # added lines on green
        assert (
            len({s.color for s in styles if s.color is not None}) >= 3
        )  # markdown syntax colours, not one colour

        await pilot.press("s")
        assert diff.split
        text = plain(diff.content)
        assert "side by side" in text
        line = next(line for line in text.splitlines() if "## Pitfalls" in line)
        assert line.count("## Pitfalls") == 2  # the same context line on both sides

        await pilot.press("down")  # moving on shows that entry again
        assert not diff.display


async def test_diff_without_a_mark_compares_with_the_previous_version(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_history(pilot)
        await pilot.press("down", "down", "d")
        await settle(pilot)
        diff = app.screen.query_one("#diff", DiffView)
        assert diff.title == "diff 0.1.0 → 0.2.0"
        await pilot.press("down", "d")  # the first version has nothing before it
        await settle(pilot)
        assert not diff.display
        await pilot.press("up", "up", "d")  # an event has no content: nothing to diff
        await settle(pilot)
        assert not diff.display


async def test_rollback_asks_then_publishes_the_old_content_as_a_new_version(registry: Registry) -> None:
    before = registry.file_bytes("pdf-forms", "0.1.0")
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_history(pilot)
        await pilot.press("down", "down", "down", "r")
        assert isinstance(app.screen, ConfirmDialog)
        assert "Roll pdf-forms back to 0.1.0?" in screen_text(app)
        await pilot.press("y")
        await settle(pilot)
        assert isinstance(app.screen, SkillScreen)
        # In the registry: a new version whose files are byte-identical to 0.1.0's.
        versions = registry.versions("pdf-forms")
        assert versions[0].version == "0.3.1" and versions[0].rolled_back_from == "0.1.0"
        assert registry.file_bytes("pdf-forms", "0.3.1") == before
        # On screen at once: the new version on top of the timeline, and the other tabs show it.
        assert timeline(app)[0][:4] == ["◀", "0.3.1", timeline(app)[0][2], "rollback"]
        assert app.screen.sub_title == "version 0.3.1 · 4 versions"
        assert "XFA" not in app.screen.query_one("#skill-markdown").source  # type: ignore[attr-defined]
        await pilot.press("escape")  # back on the (still filtered) list, which was read again
        await settle(pilot)
        assert [str(c) for c in app.screen.query_one("#skills", DataTable).get_row_at(0)[:2]] == [
            "pdf-forms",
            "0.3.1",
        ]


@pytest.mark.parametrize("answer", ["n", "escape", "click-no"])
async def test_cancelled_rollback_changes_nothing(registry: Registry, answer: str) -> None:
    before = [v.version for v in registry.versions("pdf-forms")]
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_history(pilot)
        await pilot.press("down", "down", "r")
        assert isinstance(app.screen, ConfirmDialog)
        if answer == "click-no":
            await pilot.click("#no")
        else:
            await pilot.press(answer)
        await settle(pilot)
        assert isinstance(app.screen, SkillScreen)
        assert [v.version for v in registry.versions("pdf-forms")] == before
        assert timeline(app)[0][1] == "0.3.0"


async def test_rollback_is_confirmed_with_the_mouse_too(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_history(pilot)
        await pilot.press("down", "down", "r")
        await pilot.click("#yes")
        await settle(pilot)
        assert registry.versions("pdf-forms")[0].rolled_back_from == "0.2.0"
        assert registry.read_file("pdf-forms", "0.3.1") == registry.read_file("pdf-forms", "0.2.0")
