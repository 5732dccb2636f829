"""Team remotes over a local bare repository: push, pull, merges, conflicts that lose nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillforge.errors import ConflictError, InputError, RegistryError
from skillforge.registry import Registry, open_registry


def _grow(skill: Path, text: str) -> None:
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + text)


@pytest.fixture
def pair(tmp_path: Path, bare_remote: Path) -> tuple[Registry, Registry]:
    """Two registries (two team members) sharing ``bare_remote`` as origin."""
    alice, bob = open_registry(tmp_path / "alice"), open_registry(tmp_path / "bob")
    for reg in (alice, bob):
        reg.init()
        reg.add_remote("origin", str(bare_remote))
    return alice, bob


def test_push_then_pull_into_an_empty_registry(
    pair: tuple[Registry, Registry], make_skill, bare_remote: Path, git
) -> None:
    alice, bob = pair
    skill = make_skill("pdf-forms", files={"references/r.md": "r\n"})
    alice.publish(skill, provenance={"p": 1})
    _grow(skill, "\nv2\n")
    alice.publish(skill, changelog=["add v2"])
    alice.pin("pdf-forms", "0.1.0")
    pushed = alice.push()
    assert (pushed.action, pushed.tags) == ("pushed", ["pdf-forms@0.1.0", "pdf-forms@0.1.1"])
    assert git(bare_remote, "tag", "--list").split() == ["pdf-forms@0.1.0", "pdf-forms@0.1.1"]
    assert alice.push().action == "up-to-date"

    pulled = bob.pull()
    assert (pulled.action, pulled.tags) == ("fast-forward", ["pdf-forms@0.1.0", "pdf-forms@0.1.1"])
    assert bob.file_bytes("pdf-forms", "0.1.1") == alice.file_bytes("pdf-forms", "0.1.1")
    assert bob.versions("pdf-forms")[0].changelog == ["add v2"]
    assert bob.pins() == {"pdf-forms": "0.1.0"} and bob.resolve("pdf-forms") == "0.1.0"
    assert bob.provenance("pdf-forms", "0.1.0") == {"p": 1}
    assert (bob.path / "skills" / "pdf-forms" / "references" / "r.md").read_text() == "r\n"
    assert bob.pull().action == "up-to-date"
    assert bob.fsck().ok


def test_different_skills_on_each_side_merge(pair: tuple[Registry, Registry], make_skill, git) -> None:
    alice, bob = pair
    alice.publish(make_skill("pdf-forms"))
    alice.push()
    bob.pull()
    bob.publish(make_skill("git-bisect"))
    bob.pin("pdf-forms", "0.1.0")
    bob.record_event("pdf-forms", "evolve-rejected", {"by": "bob"})
    bob.push()
    alice_skill = make_skill("pdf-forms", body="Alice's better steps.")
    alice.publish(alice_skill)
    alice.record_event("pdf-forms", "evolve-rejected", {"by": "alice"})
    with pytest.raises(ConflictError, match="pull origin"):
        alice.push()
    merged = alice.pull()
    assert merged.action == "merged" and merged.tags == ["git-bisect@0.1.0"]
    assert [s.name for s in alice.skills()] == ["git-bisect", "pdf-forms"]
    assert alice.resolve("pdf-forms", "latest") == "0.1.1"
    assert alice.pins() == {"pdf-forms": "0.1.0"}
    assert sorted(e["data"]["by"] for e in alice.events("pdf-forms")) == ["alice", "bob"]
    assert git(alice.path, "rev-list", "--parents", "-1", "main").count(" ") == 2
    assert alice.fsck().ok
    assert alice.push().action == "pushed"
    assert bob.pull().action == "fast-forward"
    assert bob.files("pdf-forms", "0.1.1") == alice.files("pdf-forms", "0.1.1")
    assert bob.fsck().ok


def test_same_version_with_different_content_stops_and_loses_nothing(
    pair: tuple[Registry, Registry], make_skill, git
) -> None:
    alice, bob = pair
    alice.publish(make_skill("pdf-forms"))
    alice.push()
    bob.pull()
    bob.publish(make_skill("pdf-forms", body="Bob's version."), message="bob")
    bob.push()
    alice.publish(make_skill("pdf-forms", body="Alice's version."), message="alice")
    refs_before = git(alice.path, "show-ref")
    files_before = (alice.path / "skills" / "pdf-forms" / "SKILL.md").read_text()
    with pytest.raises(ConflictError) as info:
        alice.pull()
    message = str(info.value)
    assert (
        "both sides changed pdf-forms (yours: 0.1.1; origin: 0.1.1). Nothing was changed locally" in message
    )
    assert "skillforge export pdf-forms@0.1.1 -o DIR" in (info.value.hint or "")
    refs_after = "\n".join(
        line for line in git(alice.path, "show-ref").splitlines() if "refs/skillforge/" not in line
    )
    assert refs_after == refs_before
    assert (alice.path / "skills" / "pdf-forms" / "SKILL.md").read_text() == files_before
    assert "Alice's version." in alice.read_file("pdf-forms", "0.1.1")
    assert alice.versions("pdf-forms")[0].message == "alice"
    with pytest.raises(ConflictError, match="different content; nothing was pushed"):
        alice.push()
    assert "Bob's version." in bob.read_file("pdf-forms", "0.1.1")
    assert alice.fsck().ok


def test_both_sides_change_one_skill_at_different_versions_is_a_conflict(
    pair: tuple[Registry, Registry], make_skill
) -> None:
    alice, bob = pair
    skill = make_skill("pdf-forms")
    alice.publish(skill)
    alice.push()
    bob.pull()
    bob.publish(make_skill("pdf-forms", body="bob"), version="0.3.0")
    bob.push()
    alice.publish(make_skill("pdf-forms", body="alice"), version="0.2.0")
    with pytest.raises(ConflictError, match=r"both sides changed pdf-forms \(yours: 0.2.0; origin: 0.3.0\)"):
        alice.pull()
    assert alice.resolve("pdf-forms") == "0.2.0"


def test_remote_management_and_errors(registry: Registry, bare_remote: Path, make_skill) -> None:
    registry.init()
    with pytest.raises(RegistryError, match="nothing to push"):
        registry.add_remote("origin", str(bare_remote)) or registry.push()
    assert [(r.name, r.url) for r in registry.remotes()] == [("origin", str(bare_remote))]
    with pytest.raises(RegistryError, match="already exists"):
        registry.add_remote("origin", "/elsewhere")
    for bad in ("-x", "a b", "../up", ""):
        with pytest.raises(InputError):
            registry.add_remote(bad, "/x")
    with pytest.raises(InputError):
        registry.add_remote("backup", "--upload-pack=evil")
    with pytest.raises(RegistryError, match="no remote named 'nope'"):
        registry.pull("nope")
    assert registry.pull().action == "up-to-date"
    registry.remove_remote("origin")
    assert registry.remotes() == []
    registry.add_remote("broken", str(bare_remote.parent / "missing.git"))
    registry.publish(make_skill("pdf-forms"))
    with pytest.raises(RegistryError, match="git ls-remote failed"):
        registry.push("broken")


def test_a_plain_git_clone_of_the_remote_is_a_usable_registry(
    pair: tuple[Registry, Registry], make_skill, bare_remote: Path, tmp_path: Path, git
) -> None:
    alice, _ = pair
    alice.publish(make_skill("pdf-forms"))
    alice.push()
    git(tmp_path, "clone", "-q", str(bare_remote), "carol")
    carol = open_registry(tmp_path / "carol")
    assert carol.resolve("pdf-forms") == "0.1.0"
    skill = make_skill("pdf-forms", body="carol's")
    assert carol.publish(skill).version == "0.1.1"
    assert carol.push("origin").tags == ["pdf-forms@0.1.1"]
    assert alice.pull().action == "fast-forward"
    assert "carol's" in alice.read_file("pdf-forms")


def test_shallow_clone_helper_for_host_installs(bare_remote: Path, tmp_path: Path, git) -> None:
    from skillforge.registry._git import shallow_clone

    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "--initial-branch=main")
    (work / "SKILL.md").write_text("x")
    git(work, "add", "SKILL.md")
    git(work, "commit", "-qm", "one")
    git(work, "push", "-q", str(bare_remote), "main")
    commit = shallow_clone(str(bare_remote), tmp_path / "copy")
    assert commit == git(work, "rev-parse", "HEAD")
    assert (tmp_path / "copy" / "SKILL.md").read_text() == "x"
    with pytest.raises(RegistryError, match="git clone failed"):
        shallow_clone(str(tmp_path / "missing.git"), tmp_path / "copy2")
    with pytest.raises(RegistryError, match="invalid git URL"):
        shallow_clone("--upload-pack=touch /tmp/pwned", tmp_path / "copy3")
