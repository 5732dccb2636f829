"""CI and team workflow: frozen installs, drift checks, outdated, project-root discovery, bulk installs, umask."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.errors import HostError
from skillforge.hosts import install, installed
from skillforge.hosts.frozen import check, install_frozen, outdated
from skillforge.hosts.lockfile import skills_cli_hash


def _clone(project: Path, dest: Path) -> Path:
    """What a teammate's fresh checkout holds: the lock and the skill sources, no installed folders."""
    shutil.copytree(project, dest, ignore=shutil.ignore_patterns(".claude", ".agents", ".cursor"))
    return dest


@pytest.fixture
def team(project: Path, make_skill) -> Path:
    (project / ".git").mkdir()
    make_skill("pdf-tools", folder=project / "skills-src/pdf-tools")
    make_skill("csv-tools", folder=project / "skills-src/csv-tools")
    install(str(project / "skills-src/pdf-tools"), hosts=["claude-code", "codex"], project=project)
    install(str(project / "skills-src/csv-tools"), hosts=["claude-code"], project=project)
    return project


def test_frozen_install_restores_a_fresh_clone_byte_for_byte(team: Path, tmp_path: Path) -> None:
    clone = _clone(team, tmp_path / "clone")
    lock_before = (clone / "skills-lock.json").read_bytes()
    report = install_frozen(clone)
    assert sorted(report.restored) == ["csv-tools (claude-code)", "pdf-tools (claude-code)", "pdf-tools (codex)"]
    for rel in (".claude/skills/pdf-tools", ".agents/skills/pdf-tools", ".claude/skills/csv-tools"):
        name = rel.rsplit("/", 1)[1]
        assert skills_cli_hash(clone / rel) == skills_cli_hash(team / "skills-src" / name)
    assert (clone / "skills-lock.json").read_bytes() == lock_before, "a frozen install never rewrites the lock"
    assert all(r.status == "ok" for r in check(clone)), "a frozen clone passes the check"
    assert install_frozen(clone).restored == [], "a second run has nothing to do"


def test_frozen_install_refuses_a_changed_source_and_changes_nothing(team: Path, tmp_path: Path, snapshot) -> None:
    clone = _clone(team, tmp_path / "clone")
    (clone / "skills-src/csv-tools/SKILL.md").write_text("---\nname: csv-tools\ndescription: changed.\n---\n")
    before = snapshot(clone)
    with pytest.raises(HostError, match="csv-tools: .* does not match the lock"):
        install_frozen(clone)
    assert snapshot(clone) == before
    shutil.rmtree(clone / "skills-src/csv-tools")
    result = CliRunner().invoke(cli, ["install", "--frozen", "--project", str(clone)])
    assert result.exit_code != 0 and "no longer exists" in result.output


def test_installed_check_exit_codes(team: Path) -> None:
    runner = CliRunner()
    ok = runner.invoke(cli, ["installed", "--check", "--project", str(team)])
    assert ok.exit_code == 0, ok.output
    (team / ".claude/skills/pdf-tools/SKILL.md").write_text("edited\n")
    shutil.rmtree(team / ".claude/skills/csv-tools")
    stray = team / ".claude/skills/stray"
    stray.mkdir()
    (stray / "SKILL.md").write_text("---\nname: stray\ndescription: x\n---\n")
    rows = {(r.name, r.host): r.status for r in check(team)}
    assert rows[("pdf-tools", "claude-code")] == "modified"
    assert rows[("csv-tools", "claude-code")] == "missing"
    assert rows[("stray", "-")] == "extra"
    assert rows[("pdf-tools", "codex")] == "ok"
    bad = runner.invoke(cli, ["installed", "--check", "--project", str(team)])
    assert bad.exit_code == 1 and "differ from the lock" in bad.output


def test_outdated_and_update_dry_run(team: Path) -> None:
    assert outdated(team) == []
    runner = CliRunner()
    assert runner.invoke(cli, ["update", "--dry-run", "--project", str(team)]).exit_code == 0
    skill_md = team / "skills-src/pdf-tools/SKILL.md"
    skill_md.write_text(skill_md.read_text().replace('version: "1.0.0"', 'version: "1.1.0"'))
    (row,) = outdated(team)
    assert (row.name, row.hosts, row.current, row.available) == ("pdf-tools", ["claude-code", "codex"], "1.0.0", "1.1.0")
    lock_before = (team / "skills-lock.json").read_bytes()
    result = runner.invoke(cli, ["update", "--dry-run", "--project", str(team)])
    assert result.exit_code == 1 and "1.1.0" in result.output
    assert (team / "skills-lock.json").read_bytes() == lock_before, "a dry run changes nothing"


def test_project_root_is_found_from_a_subfolder(team: Path, make_skill, monkeypatch) -> None:
    sub = team / "src/deep/er"
    sub.mkdir(parents=True)
    monkeypatch.chdir(sub)
    report = install(str(make_skill("json-tools")), hosts=["claude-code"])
    assert report.lock_file == str(team / "skills-lock.json")
    assert (team / ".claude/skills/json-tools/SKILL.md").is_file()
    assert not (sub / "skills-lock.json").exists() and not (sub / ".claude").exists()
    assert {r.entry.name for r in installed()} == {"pdf-tools", "csv-tools", "json-tools"}


def test_install_all_and_several_sources(project: Path, make_skill, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name in ("a-skill", "b-skill", "c-skill"):
        make_skill(name, folder=out / name)
    (out / "notes").mkdir()
    result = CliRunner().invoke(cli, ["install", str(out), "--all", "--host", "codex", "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project / ".agents/skills").iterdir()) == ["a-skill", "b-skill", "c-skill"]
    result = CliRunner().invoke(
        cli, ["install", str(make_skill("d-skill")), str(make_skill("e-skill")), "--host", "codex", "--project", str(project)]
    )
    assert result.exit_code == 0, result.output
    assert len(json.loads((project / "skills-lock.json").read_text())["skills"]) == 5


def test_lock_and_agents_md_follow_the_umask(project: Path, make_skill) -> None:
    old = os.umask(0o022)
    try:
        install(str(make_skill()), hosts=["claude-code", "agents-md"], project=project)
    finally:
        os.umask(old)
    for rel in ("skills-lock.json", ".skillforge/lock.json", "AGENTS.md"):
        assert (project / rel).stat().st_mode & 0o777 == 0o644, rel


def test_link_inside_the_project_is_relative_and_survives_a_move(project: Path, make_skill, tmp_path: Path) -> None:
    src = make_skill("pdf-tools", folder=project / "skills-src/pdf-tools")
    install(str(src), hosts=["claude-code"], project=project, link=True)
    link = project / ".claude/skills/pdf-tools"
    assert link.is_symlink() and os.readlink(link) == "../../skills-src/pdf-tools"
    moved = tmp_path / "moved"
    project.rename(moved)
    assert (moved / ".claude/skills/pdf-tools/SKILL.md").read_text() == (moved / "skills-src/pdf-tools/SKILL.md").read_text()
    assert [r.status for r in check(moved)] == ["ok"]
