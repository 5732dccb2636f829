"""A lock file is data, not instructions: uninstall/update only act inside the entry's host folders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.errors import HostError
from skillforge.hosts import install, installed, uninstall, update

from ..factories import write_skill_folder


@pytest.fixture
def victim(tmp_path: Path, independent_hash) -> tuple[Path, str]:
    """A folder outside the project that a hostile lock entry points at, and its content hash."""
    folder = write_skill_folder(tmp_path / "victim" / "pdf-tools", "precious work\n", {"data.txt": "do not delete\n"})
    return folder, independent_hash(folder)


def _poison(project: Path, **fields: str) -> None:
    lock = project / ".skillforge/lock.json"
    data = json.loads(lock.read_text())
    (entry,) = data["skills"].values()
    entry["installs"][0].update(fields)
    lock.write_text(json.dumps(data, indent=2))


@pytest.mark.parametrize(
    "path",
    [
        "../victim/pdf-tools",  # climbs out with ..
        ".claude/skills/../../../victim/pdf-tools",  # .. after a legitimate prefix
        "ABSOLUTE",  # an absolute path elsewhere
        ".claude/skills/other-skill",  # inside the host folder, but not this entry's folder
        ".cursor/skills/pdf-tools",  # another host's folder
    ],
)
def test_hostile_path_with_a_matching_hash_is_refused(
    project: Path, make_skill, victim: tuple[Path, str], path: str, snapshot
) -> None:
    folder, digest = victim
    install(str(make_skill()), hosts=["claude-code"], project=project)
    if path == "ABSOLUTE":
        path = str(folder)
    elif path.endswith("other-skill") or path.startswith(".cursor"):
        target = project / path
        target.mkdir(parents=True)
        (target / "SKILL.md").write_text("someone else's\n")
        folder = target
    before = snapshot(folder.parent)
    _poison(project, path=path, hash=digest)
    lock_before = (project / ".skillforge/lock.json").read_bytes()

    for force in (False, True):
        with pytest.raises(HostError, match="lock entry 'pdf-tools' for host 'claude-code'") as info:
            uninstall("pdf-tools", project=project, force=force)
        assert info.value.path == str(project / ".skillforge/lock.json")
        assert "refusing to touch it" in info.value.message and path in info.value.message
    (outcome,) = update("pdf-tools", project=project, force=True)
    assert outcome.action == "failed" and ".skillforge/lock.json" in outcome.detail
    assert snapshot(folder.parent) == before
    assert (project / ".skillforge/lock.json").read_bytes() == lock_before
    (row,) = installed(project=project)
    assert row.status == "refused" and "refusing to touch it" in row.detail


def test_host_folder_symlinked_out_of_the_project_is_refused_for_a_lock_entry(
    project: Path, make_skill, tmp_path: Path, snapshot
) -> None:
    install(str(make_skill()), hosts=["claude-code"], project=project)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "pdf-tools").mkdir(parents=True)
    (elsewhere / "pdf-tools" / "SKILL.md").write_text("not ours\n")
    real = project / ".claude" / "skills"
    real.rename(project / ".claude" / "skills-was")
    real.symlink_to(elsewhere, target_is_directory=True)
    before = snapshot(elsewhere)
    with pytest.raises(HostError, match="outside the project"):
        uninstall("pdf-tools", project=project, force=True)
    assert snapshot(elsewhere) == before


def test_uninstall_cli_names_the_lock_file_and_entry(project: Path, make_skill, victim) -> None:
    folder, digest = victim
    install(str(make_skill()), hosts=["claude-code"], project=project)
    _poison(project, path="../victim/pdf-tools", hash=digest)
    result = CliRunner().invoke(cli, ["uninstall", "pdf-tools", "--project", str(project)])
    assert result.exit_code != 0
    assert str(project / ".skillforge/lock.json") in result.output and "pdf-tools" in result.output
    assert (folder / "data.txt").read_text() == "do not delete\n"


def test_ordinary_uninstall_and_update_still_work(project: Path, make_skill) -> None:
    src = make_skill()
    install(str(src), hosts=["claude-code", "codex"], project=project)
    make_skill(version="2.0.0")
    assert {o.action for o in update(project=project)} == {"updated"}
    uninstall("pdf-tools", project=project)
    assert not (project / ".claude/skills/pdf-tools").exists()
    assert not (project / ".agents/skills/pdf-tools").exists()


@pytest.mark.parametrize("name", ["{outside}", "../../victim-target/planted", "..", "Evil", "caf\u0065\u0301"])
def test_frozen_install_refuses_another_tools_entry_whose_name_leaves_agents_skills(
    project: Path, make_skill, tmp_path: Path, name: str
) -> None:
    """``skills-lock.json`` is committed to repositories: an entry of another tool named with an absolute
    path or ``..`` made ``install --frozen`` replace that folder (e.g. ~/.ssh) with the entry's source."""
    from skillforge.hosts.frozen import check, install_frozen
    from skillforge.hosts.lockfile import skills_cli_hash

    outside = tmp_path / "home" / ".ssh"
    outside.mkdir(parents=True)
    (outside / "id_rsa").write_text("PRIVATE KEY", encoding="utf-8")
    payload = make_skill("payload", folder=project / "vendor" / "payload")
    (project / ".agents" / "skills").mkdir(parents=True)
    entry = name.format(outside=outside)
    lock = {"version": 1, "skills": {entry: {"source": "./vendor/payload", "sourceType": "local",
                                              "computedHash": skills_cli_hash(payload)}}}
    (project / "skills-lock.json").write_text(json.dumps(lock), encoding="utf-8")
    with pytest.raises(HostError, match="invalid skill name"):
        install_frozen(project)
    assert (outside / "id_rsa").read_text(encoding="utf-8") == "PRIVATE KEY"
    assert not (tmp_path / "victim-target").exists()
    assert [r.status for r in check(project, "project") if r.name == entry] == ["refused"]
