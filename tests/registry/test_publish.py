"""Publishing: versions, no-ops, validation, and everything that must be refused."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from skillforge.errors import InputError, RegistryError, SkillforgeError, SpecError, UnknownVersion
from skillforge.registry import Registry, open_registry


def test_first_publish_creates_registry_commit_and_annotated_tag(registry: Registry, make_skill, git) -> None:
    assert not registry.exists()
    result = registry.publish(make_skill("pdf-forms"), message="first cut")
    assert (result.name, result.version, result.created, result.previous) == (
        "pdf-forms",
        "0.1.0",
        True,
        None,
    )
    assert registry.exists()
    path = registry.path
    assert git(path, "cat-file", "-t", "pdf-forms@0.1.0") == "tag"
    assert (
        git(path, "rev-parse", "pdf-forms@0.1.0^{commit}") == result.commit == git(path, "rev-parse", "main")
    )
    assert git(path, "rev-list", "--count", "main") == "1"
    assert (path / "skills" / "pdf-forms" / "SKILL.md").read_text().startswith("---\nname: pdf-forms")
    assert git(path, "status", "--porcelain") == ""


def test_bumps_and_explicit_versions(registry: Registry, make_skill, git) -> None:
    skill = make_skill("pdf-forms")
    md = skill / "SKILL.md"
    seen = [registry.publish(skill).version]
    for how in ("patch", "minor", "major"):
        md.write_text(md.read_text() + f"\n{how}\n")
        seen.append(registry.publish(skill, bump=how).version)
    md.write_text(md.read_text() + "\nexplicit\n")
    seen.append(registry.publish(skill, version="1.10.0").version)
    assert seen == ["0.1.0", "0.1.1", "0.2.0", "1.0.0", "1.10.0"]
    assert [v.version for v in registry.versions("pdf-forms")] == [
        "1.10.0",
        "1.0.0",
        "0.2.0",
        "0.1.1",
        "0.1.0",
    ]
    assert git(registry.path, "rev-list", "--count", "main") == "5"


def test_version_not_above_latest_is_refused(registry: Registry, make_skill) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(skill, version="1.2.0")
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + "\nmore\n")
    for version in ("1.2.0", "1.1.9", "0.9.0"):
        with pytest.raises(RegistryError, match="not greater than the latest, 1.2.0|already exists"):
            registry.publish(skill, version=version)
    with pytest.raises(InputError, match="not semantic versioning"):
        registry.publish(skill, version="v2.0.0")
    with pytest.raises(InputError, match="not semantic versioning"):
        registry.publish(skill, version="2.0")
    assert registry.resolve("pdf-forms") == "1.2.0"
    assert registry.publish(skill, version="1.3.0-rc.1").version == "1.3.0-rc.1"


def test_identical_content_is_a_noop_that_says_so(registry: Registry, make_skill, git) -> None:
    skill = make_skill("pdf-forms")
    first = registry.publish(skill)
    again = registry.publish(skill, message="same again", version="9.9.9")
    assert again.created is False
    assert again.version == "0.1.0"
    assert again.commit == first.commit
    assert "identical to pdf-forms@0.1.0" in again.reason
    assert git(registry.path, "tag", "--list") == "pdf-forms@0.1.0"


def test_log_fields_record_message_changelog_extra_and_author(registry: Registry, make_skill, git) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(
        skill,
        message="first\n\nlonger body",
        changelog=["add steps", "add pitfalls"],
        extra={"evolve": {"decision": "accepted", "delta": 0.25}},
    )
    (v,) = registry.versions("pdf-forms")
    assert v.message == "first\n\nlonger body"
    assert v.changelog == ["add steps", "add pitfalls"]
    assert v.extra == {"evolve": {"decision": "accepted", "delta": 0.25}}
    assert (v.author, v.email) == ("Test Committer", "committer@example.com")
    assert v.date.tzinfo is not None
    assert git(registry.path, "log", "-1", "--format=%an <%ae>") == "Test Author <author@example.com>"
    body = git(registry.path, "cat-file", "-p", "pdf-forms@0.1.0")
    assert "pdf-forms@0.1.0: first" in body and "- add pitfalls" in body


def test_provenance_is_stored_beside_the_version_and_cleared_when_absent(
    registry: Registry, make_skill, tmp_path: Path
) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(skill, provenance={"lines": {"3": ["trace-1"]}})
    prov_file = tmp_path / "prov.json"
    prov_file.write_text('{"lines": {"4": ["trace-2"]}}')
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + "\nv2\n")
    registry.publish(skill, provenance=prov_file)
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + "\nv3\n")
    registry.publish(skill)
    assert registry.provenance("pdf-forms", "0.1.0") == {"lines": {"3": ["trace-1"]}}
    assert registry.provenance("pdf-forms", "0.1.1") == {"lines": {"4": ["trace-2"]}}
    assert registry.provenance("pdf-forms", "0.1.2") is None
    assert not (registry.path / "provenance" / "pdf-forms.json").exists()
    with pytest.raises(InputError, match="not JSON"):
        (tmp_path / "bad.json").write_text("{nope")
        registry.publish(skill, provenance=tmp_path / "bad.json")


def test_invalid_skill_is_refused_with_the_reason(registry: Registry, tmp_path: Path) -> None:
    bad = tmp_path / "bad-skill"
    bad.mkdir()
    (bad / "SKILL.md").write_text("---\nname: bad-skill\n---\nbody\n")
    with pytest.raises(SpecError, match="description"):
        registry.publish(bad)
    not_skill = tmp_path / "notes"
    not_skill.mkdir()
    (not_skill / "README.md").write_text("hello")
    with pytest.raises(SpecError, match="SKILL.md is missing"):
        registry.publish(not_skill)
    with pytest.raises(InputError, match="does not exist"):
        registry.publish(tmp_path / "missing")
    with pytest.raises(InputError, match="not a folder"):
        registry.publish(not_skill / "README.md")
    mismatch = tmp_path / "other-name"
    mismatch.mkdir()
    (mismatch / "SKILL.md").write_text("---\nname: pdf-forms\ndescription: Use when x.\n---\nbody\n")
    with pytest.raises(SpecError, match="must match skill name"):
        registry.publish(mismatch)
    assert not registry.exists() or registry.skills() == []


def test_validation_warnings_do_not_block(registry: Registry, make_skill) -> None:
    skill = make_skill("pdf-forms", description="Fills PDF forms.")
    result = registry.publish(skill)
    assert result.created
    assert any("when to use" in w for w in result.warnings)


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/b", "..", "UPPER", "x--y", "-x", "", "a@b"])
def test_names_that_could_escape_are_refused_everywhere(
    registry: Registry, make_skill, name: str, git
) -> None:
    registry.publish(make_skill("pdf-forms"))
    for call in (
        lambda: registry.versions(name),
        lambda: registry.resolve(name),
        lambda: registry.read_file(name, "0.1.0"),
        lambda: registry.pin(name, "0.1.0"),
        lambda: registry.rollback(name, "0.1.0"),
    ):
        with pytest.raises(SkillforgeError) as info:
            call()
        assert isinstance(info.value, (InputError, UnknownVersion))
    assert git(registry.path, "tag", "--list") == "pdf-forms@0.1.0"


def test_paths_inside_a_version_cannot_escape(registry: Registry, make_skill) -> None:
    registry.publish(make_skill("pdf-forms"))
    for rel in ("../registry.json", "/etc/passwd", "references/../../x", ""):
        with pytest.raises(InputError):
            registry.read_file("pdf-forms", "0.1.0", rel)


def test_symlinks_outside_the_skill_are_refused(registry: Registry, make_skill, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("token")
    skill = make_skill("pdf-forms")
    os.symlink("../../secret.txt", skill / "leak.txt")
    with pytest.raises(InputError, match="points outside the skill folder"):
        registry.publish(skill)
    (skill / "leak.txt").unlink()
    os.symlink(str(secret), skill / "leak.txt")
    with pytest.raises(InputError, match="absolute"):
        registry.publish(skill)
    (skill / "leak.txt").unlink()
    os.symlink("nowhere.md", skill / "leak.txt")
    with pytest.raises(InputError, match="broken"):
        registry.publish(skill)
    assert not registry.exists() or registry.skills() == []


def test_internal_symlinks_exec_bits_and_binary_files_survive(
    registry: Registry, make_skill, tmp_path: Path
) -> None:
    png = bytes(range(256)) * 4
    skill = make_skill(
        "pdf-forms",
        files={
            "scripts/run.sh": "#!/bin/sh\necho hi\n",
            "assets/logo.png": png,
            "references/guide.md": "guide\n",
        },
    )
    (skill / "scripts" / "run.sh").chmod(0o755)
    os.symlink("references/guide.md", skill / "GUIDE.md")
    (skill / ".git").mkdir()
    (skill / ".git" / "config").write_text("ignored")
    (skill / "__pycache__").mkdir()
    (skill / "__pycache__" / "x.pyc").write_bytes(b"\0")
    registry.publish(skill)
    out = registry.export("pdf-forms", "0.1.0", tmp_path / "out")
    assert sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if not p.is_dir()) == [
        "GUIDE.md",
        "SKILL.md",
        "assets/logo.png",
        "references/guide.md",
        "scripts/run.sh",
    ]
    assert os.readlink(out / "GUIDE.md") == "references/guide.md"
    assert (out / "assets" / "logo.png").read_bytes() == png
    assert (out / "scripts" / "run.sh").stat().st_mode & stat.S_IXUSR
    assert not (out / "references" / "guide.md").stat().st_mode & stat.S_IXUSR
    assert "assets/logo.png" not in registry.files("pdf-forms", "0.1.0")
    assert registry.file_bytes("pdf-forms", "0.1.0")["assets/logo.png"] == png


def test_messages_with_nul_bytes_are_refused(registry: Registry, make_skill) -> None:
    with pytest.raises(InputError, match="NUL"):
        registry.publish(make_skill("pdf-forms"), message="a\x00b")


def test_registry_location_follows_config(
    make_skill, isolated_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    reg = open_registry()
    assert reg.path == isolated_home / ".skillforge" / "registry"
    monkeypatch.setenv("SKILLFORGE_REGISTRY", str(tmp_path / "team-reg"))
    reg2 = open_registry()
    reg2.publish(make_skill("pdf-forms"))
    assert (tmp_path / "team-reg" / "skills" / "pdf-forms" / "SKILL.md").exists()


def test_refuses_to_take_over_a_non_empty_folder_or_foreign_repo(make_skill, tmp_path: Path, git) -> None:
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(RegistryError, match="not a skillforge registry"):
        open_registry(busy).publish(make_skill("pdf-forms"))
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    git(foreign, "init", "-q")
    (foreign / "a.txt").write_text("a")
    git(foreign, "add", "a.txt")
    git(foreign, "commit", "-qm", "x")
    with pytest.raises(RegistryError, match="not a skillforge registry"):
        open_registry(foreign).publish(make_skill("pdf-forms"))
    assert (busy / "notes.txt").read_text() == "mine"
    assert git(foreign, "log", "--oneline").count("\n") == 0


def test_reads_on_a_missing_registry_are_empty_not_errors(tmp_path: Path) -> None:
    reg = open_registry(tmp_path / "none")
    assert reg.skills() == [] and reg.pins() == {} and reg.remotes() == []
    with pytest.raises(UnknownVersion, match="no skill named 'x'"):
        reg.resolve("x")
    assert not (tmp_path / "none").exists()
