"""Install from the skill view: pick hosts and scope, install the version shown, into a temporary HOME/project."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import SelectionList, Static

from skillforge.hosts import installed
from skillforge.registry import Registry
from skillforge.tui.app import make_app
from skillforge.tui.screens.install import InstallDialog
from skillforge.tui.screens.skill import SkillScreen

from .helpers import open_skill, plain, settle

pytestmark = pytest.mark.anyio


@pytest.fixture
def machine(tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A machine where only Claude Code is set up (~/.claude exists); no agent CLIs on PATH. Returns the project."""
    (isolated_home / ".claude").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    os.symlink(shutil.which("git") or "/usr/bin/git", bin_dir / "git")  # the registry still needs git
    monkeypatch.setenv("PATH", str(bin_dir))
    project = tmp_path / "project"
    project.mkdir()
    return project


async def open_dialog(pilot: Any, name: str) -> InstallDialog:
    await open_skill(pilot, name)
    await pilot.press("i")
    await settle(pilot)
    assert isinstance(pilot.app.screen, InstallDialog)
    return pilot.app.screen


async def test_install_into_the_project_for_the_hosts_picked(registry: Registry, machine: Path) -> None:
    app = make_app(registry, project=machine)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot, "pdf")
        hosts = dialog.query_one("#hosts", SelectionList)
        assert hosts.selected == ["claude-code"]  # detected, so ticked
        await pilot.press("down", "space")  # and Codex
        assert hosts.selected == ["claude-code", "codex"]
        status = plain(dialog.query_one("#install-status", Static).content)
        assert f"claude-code → {machine}/.claude/skills/pdf-forms" in status
        await pilot.click("#install")
        await settle(pilot)
        assert isinstance(app.screen, SkillScreen)
    expected = registry.file_bytes("pdf-forms", "0.3.0")
    for folder in (".claude/skills/pdf-forms", ".agents/skills/pdf-forms"):
        root = machine / folder
        assert {
            p.relative_to(root).as_posix(): p.read_bytes() for p in root.rglob("*") if p.is_file()
        } == expected
    entries = [(r.entry.host, r.entry.version, r.status) for r in installed(machine, "project")]
    assert entries == [("claude-code", "0.3.0", "ok"), ("codex", "0.3.0", "ok")]


async def test_install_globally_puts_the_skill_in_the_home_folder(
    registry: Registry, machine: Path, isolated_home: Path
) -> None:
    app = make_app(registry, project=machine)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot, "release-notes")  # pinned: the dialog installs the pinned 0.1.0
        await pilot.click("#global")
        assert plain(dialog.query_one("#install-status", Static).content) == (
            f"claude-code → {isolated_home}/.claude/skills/release-notes"
        )
        await pilot.press("ctrl+s")
        await settle(pilot)
    skill_md = isolated_home / ".claude/skills/release-notes/SKILL.md"
    assert skill_md.read_text() == registry.read_file("release-notes", "0.1.0")
    assert not (machine / ".claude").exists()
    assert [(r.entry.name, r.entry.version) for r in installed(None, "global")] == [
        ("release-notes", "0.1.0")
    ]


async def test_a_host_without_that_scope_is_refused_and_nothing_is_written(
    registry: Registry, machine: Path, isolated_home: Path
) -> None:
    app = make_app(registry, project=machine)
    async with app.run_test(size=(80, 24)) as pilot:
        dialog = await open_dialog(pilot, "pdf")
        hosts = dialog.query_one("#hosts", SelectionList)
        hosts.deselect_all()
        hosts.select("agents-md")
        await pilot.click("#global")
        assert "agents-md: no global folder" in plain(dialog.query_one("#install-status", Static).content)
        await pilot.click("#install")
        await settle(pilot)
        assert app.screen is dialog  # stays open, says why
        assert "not installed: agents-md has no global skills folder" in plain(
            dialog.query_one("#install-status", Static).content
        )
        await pilot.press("escape")
        assert isinstance(app.screen, SkillScreen)
    assert not (isolated_home / ".claude" / "skills").exists()
    assert installed(machine) == []
