"""Editing SKILL.md: live validation, saving as a new version with the chosen bump and message, refusals."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Select, Static, TextArea

from skillforge.registry import Registry
from skillforge.tui.app import make_app
from skillforge.tui.dialogs import ConfirmDialog
from skillforge.tui.screens.edit import EditScreen
from skillforge.tui.screens.skill import SkillScreen

from .helpers import open_skill, plain, settle

pytestmark = pytest.mark.anyio

NEW_PITFALL = "- Fields named with dots (`a.b`) are nested; use the full name."


async def start_edit(pilot: Any) -> TextArea:
    await open_skill(pilot, "pdf")
    await pilot.press("e")
    await settle(pilot)
    assert isinstance(pilot.app.screen, EditScreen)
    return pilot.app.screen.query_one("#editor", TextArea)


def status(app: Any) -> str:
    return plain(app.screen.query_one("#status", Static).content)


async def test_edit_saves_a_new_version_with_the_chosen_bump_and_message(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await start_edit(pilot)
        assert status(app) == "✓ valid: ctrl+s saves a new version"
        editor.move_cursor(editor.document.end)
        editor.insert(NEW_PITFALL[:-1])  # as pasted; the last character and the newline typed
        await pilot.press(NEW_PITFALL[-1], "enter")
        assert status(app).startswith("✓")
        # Pick "minor" in the bump list and write a message, as a person would (mouse + keys).
        await pilot.click("#bump")
        await pilot.press("down", "enter")
        assert app.screen.query_one("#bump", Select).value == "minor"
        await pilot.click("#message")
        await pilot.press(*"nested fields")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, SkillScreen)
        latest = registry.versions("pdf-forms")[0]
        assert (latest.version, latest.message) == ("0.4.0", "nested fields")
        saved = registry.read_file("pdf-forms", "0.4.0")
        assert saved == registry.read_file("pdf-forms", "0.3.0") + NEW_PITFALL + "\n"
        # Other files and the provenance come along unchanged.
        assert registry.read_file("pdf-forms", "0.4.0", "scripts/fields.py") == registry.read_file(
            "pdf-forms", "0.3.0", "scripts/fields.py"
        )
        assert registry.provenance("pdf-forms", "0.4.0") == registry.provenance("pdf-forms", "0.3.0")
        assert app.screen.sub_title == "version 0.4.0 · 4 versions"
        assert "nested; use the full name" in app.screen.query_one("#skill-markdown").source  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "name: pdf-forms",
            "name: PDF-Forms",
            "✗ line 2: Skill name 'PDF-Forms' must be lowercase (and 1 more)",
        ),
        ("license: MIT", "licence: MIT", "✗ line 4: Unexpected fields in frontmatter: licence."),
        ("license: MIT", "license: [MIT", "✗ line 4, column 10: Invalid YAML in frontmatter:"),
        ("description: Fill", "descr: Fill", "✗ line 3: Unexpected fields in frontmatter: descr."),
    ],
)
async def test_invalid_edit_is_refused_and_says_why_and_where(
    registry: Registry, old: str, new: str, expected: str
) -> None:
    before = [v.version for v in registry.versions("pdf-forms")]
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await start_edit(pilot)
        editor.text = editor.text.replace(old, new, 1)
        await pilot.pause()
        assert status(app).startswith(expected)
        editor.move_cursor((20, 0))
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)  # still editing, text kept
        assert new in editor.text
        assert [v.version for v in registry.versions("pdf-forms")] == before  # nothing published
        line = int(expected.split("line ")[1].split(":")[0].split(",")[0])
        assert editor.cursor_location[0] == line - 1  # the cursor jumped to the problem


async def test_renaming_the_skill_in_the_editor_is_refused(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await start_edit(pilot)
        editor.text = editor.text.replace("name: pdf-forms", "name: pdf-filler", 1)
        await pilot.pause()
        assert status(app) == "✗ line 2: Directory name 'pdf-forms' must match skill name 'pdf-filler'"


async def test_unchanged_text_publishes_nothing(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        await start_edit(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, EditScreen)
        assert registry.versions("pdf-forms")[0].version == "0.3.0"


async def test_leaving_with_changes_asks_first(registry: Registry) -> None:
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await start_edit(pilot)
        editor.move_cursor(editor.document.end)
        await pilot.press(*"x")
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDialog)
        await pilot.press("n")
        assert isinstance(app.screen, EditScreen) and editor.text.endswith("x")
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, SkillScreen)
        assert registry.versions("pdf-forms")[0].version == "0.3.0"
        await pilot.press("e")
        await settle(pilot)
        await pilot.press("escape")  # no changes: leaves at once
        assert isinstance(app.screen, SkillScreen)


async def test_external_editor_result_is_validated_and_saved(
    registry: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script = tmp_path / "fake_editor.py"  # a real program standing in for vim: edits the file it is given
    script.write_text(
        "import sys\nfrom pathlib import Path\np = Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('name: pdf-forms', 'name: Pdf') + '- From my editor.\\n')\n"
    )
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    app = make_app(registry)
    async with app.run_test(size=(80, 24)) as pilot:
        editor = await start_edit(pilot)
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert editor.text.endswith("- From my editor.\n")
        assert status(app).startswith("✗ line 2: Skill name 'Pdf' must be lowercase")
        editor.undo()  # the whole external edit is one undo step
        await pilot.pause()
        assert editor.text == registry.read_file("pdf-forms", "0.3.0")
        monkeypatch.setenv("EDITOR", f"{sys.executable} -c 'raise SystemExit(3)'")
        await pilot.press("ctrl+o")
        await pilot.pause()
        assert editor.text == registry.read_file("pdf-forms", "0.3.0")  # a failed editor changes nothing
