"""Bad input and bad places: a clear error, nothing half-installed; drift is never silently overwritten."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from skillforge.errors import HostError, InputError, SpecError
from skillforge.hosts import install, installed, uninstall, update


def test_host_folder_that_is_a_file_rolls_back_every_host(project: Path, make_skill, snapshot) -> None:
    (project / ".claude").mkdir()
    (project / ".claude/skills").write_text("not a folder\n")
    before = snapshot(project)
    # codex is placed first (sorted by destination), then claude-code fails: codex must be undone.
    with pytest.raises(HostError, match="found a file") as info:
        install(str(make_skill()), hosts=["codex", "claude-code"], project=project)
    assert info.value.path == str(project / ".claude/skills")
    assert snapshot(project) == before


@pytest.fixture
def unwritable(tmp_path: Path) -> Iterator[Path]:
    """A folder this process cannot write into (chmod for normal users; sysfs when running as root)."""
    if os.geteuid() == 0:
        if not sys.platform.startswith("linux") or not Path("/sys/kernel").is_dir():
            pytest.skip("running as root without sysfs: no read-only folder available")
        yield Path("/sys/kernel")
        return
    folder = tmp_path / "readonly"
    folder.mkdir()
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


def test_read_only_location_is_a_clear_error(unwritable: Path, make_skill) -> None:
    with pytest.raises(HostError, match="read-only"):
        install(str(make_skill()), hosts=["claude-code"], project=unwritable)
    assert not (unwritable / ".claude").exists()
    assert not (unwritable / "skills-lock.json").exists()


def test_name_clash_with_a_folder_we_did_not_install(project: Path, make_skill) -> None:
    theirs = project / ".claude/skills/pdf-tools"
    theirs.mkdir(parents=True)
    (theirs / "SKILL.md").write_text("hand-written skill\n")
    with pytest.raises(HostError, match="not installed by skillforge") as info:
        install(str(make_skill()), hosts=["claude-code"], project=project)
    assert "--force" in (info.value.hint or "")
    assert (theirs / "SKILL.md").read_text() == "hand-written skill\n"
    assert not (project / "skills-lock.json").exists()

    install(str(make_skill()), hosts=["claude-code"], project=project, force=True)
    assert "hand-written" not in (theirs / "SKILL.md").read_text()
    assert installed(project=project)[0].status == "ok"


def test_reinstall_of_our_own_unchanged_copy_needs_no_force(project: Path, make_skill) -> None:
    src = make_skill()
    install(str(src), hosts=["cline"], project=project)
    install(str(src), hosts=["cline"], project=project)
    assert [r.entry.host for r in installed(project=project)] == ["cline"]


def test_skill_failing_validation_is_refused_unless_forced(project: Path, make_skill) -> None:
    src = make_skill()
    text = (src / "SKILL.md").read_text()
    (src / "SKILL.md").write_text(text.replace("license: MIT", "license: MIT\ntriggers: pdf"))
    with pytest.raises(SpecError, match="fails validation: Unexpected fields in frontmatter: triggers"):
        install(str(src), hosts=["codex"], project=project)
    assert os.listdir(project) == []
    report = install(str(src), hosts=["codex"], project=project, force=True)
    allowed = "['allowed-tools', 'compatibility', 'description', 'license', 'metadata', 'name']"
    assert report.notices == [
        "installed despite failed validation: Unexpected fields in frontmatter: triggers."
        f" Only {allowed} are allowed. (--force)"
    ]
    (row,) = installed(project=project)
    assert row.entry.override is not None and row.entry.override.checks[0].startswith(
        "validation: Unexpected fields"
    )


def test_unsafe_skill_name_is_refused_even_with_force(project: Path, make_skill) -> None:
    src = make_skill()
    (src / "SKILL.md").write_text(
        (src / "SKILL.md").read_text().replace("name: pdf-tools", "name: ../../escape")
    )
    with pytest.raises(SpecError, match="no valid name"):
        install(str(src), hosts=["codex"], project=project, force=True)
    assert os.listdir(project) == []


def test_unknown_host_names_the_known_ones(project: Path, make_skill) -> None:
    with pytest.raises(InputError, match="unknown host 'claude'") as info:
        install(str(make_skill()), hosts=["claude"], project=project)
    assert "claude-code" in (info.value.hint or "")


def test_lock_file_of_another_shape_is_not_overwritten(project: Path, make_skill) -> None:
    foreign = '{"lockfile": 3, "packages": ["x"]}\n'
    (project / "skills-lock.json").write_text(foreign)
    with pytest.raises(HostError, match="not a version 1 skills-lock.json"):
        install(str(make_skill()), hosts=["codex"], project=project)
    assert (project / "skills-lock.json").read_text() == foreign
    assert not (project / ".agents").exists()


def test_default_hosts_are_the_detected_ones(project: Path, make_skill) -> None:
    with pytest.raises(HostError, match="no agent host detected"):
        install(str(make_skill()), project=project)
    (Path.home() / ".claude").mkdir()
    (Path.home() / ".cline").mkdir()
    report = install(str(make_skill()), project=project)
    assert sorted(p.host for p in report.placements) == ["claude-code", "cline"]


def test_drift_is_reported_and_kept_until_forced(project: Path, make_skill) -> None:
    src = make_skill()
    install(str(src), hosts=["windsurf"], project=project)
    edited = project / ".windsurf/skills/pdf-tools/references/tables.md"
    edited.write_text("# My own notes\n")
    assert installed(project=project)[0].status == "modified"

    make_skill(version="2.0.0")
    (outcome,) = update("pdf-tools", project=project)
    assert outcome.action == "drift-skipped"
    assert edited.read_text() == "# My own notes\n"
    with pytest.raises(HostError, match="edited by hand"):
        install(str(src), hosts=["windsurf"], project=project)
    with pytest.raises(HostError, match="edited by hand"):
        uninstall("pdf-tools", project=project)
    assert edited.read_text() == "# My own notes\n"

    (outcome,) = update("pdf-tools", project=project, force=True)
    assert (outcome.action, outcome.new_version) == ("updated", "2.0.0")
    assert installed(project=project)[0].status == "ok"


def test_missing_copy_is_restored_by_update(project: Path, make_skill) -> None:
    import shutil

    install(str(make_skill()), hosts=["claude-code"], project=project)
    shutil.rmtree(project / ".claude/skills/pdf-tools")
    assert installed(project=project)[0].status == "missing"
    (outcome,) = update(project=project)
    assert outcome.action == "updated"
    assert installed(project=project)[0].status == "ok"


def test_update_reports_a_source_that_is_gone(project: Path, make_skill) -> None:
    import shutil

    src = make_skill()
    install(str(src), hosts=["codex"], project=project)
    lock_before = (project / "skills-lock.json").read_bytes()
    shutil.rmtree(src)
    (outcome,) = update(project=project)
    assert outcome.action == "failed"
    assert outcome.detail == f"{src}: the skill's source no longer exists (reinstall from where it is now)"
    assert (project / "skills-lock.json").read_bytes() == lock_before


def test_shared_folder_is_removed_with_its_last_host(project: Path, make_skill, lock_entries) -> None:
    install(str(make_skill()), hosts=["codex", "gemini-cli", "opencode"], project=project)
    folder = project / ".agents/skills/pdf-tools"
    entries = lock_entries(project / "skills-lock.json")
    assert sorted(e["host"] for e in entries) == ["codex", "gemini-cli", "opencode"]
    assert {e["path"] for e in entries} == {".agents/skills/pdf-tools"}

    report = uninstall("pdf-tools", hosts=["codex"], project=project)
    assert [r.removed for r in report.removals] == [False] and folder.is_dir()
    report = uninstall("pdf-tools", hosts=["gemini-cli", "opencode"], project=project)
    assert not folder.exists()
    with pytest.raises(HostError, match="not installed"):
        uninstall("pdf-tools", project=project)
