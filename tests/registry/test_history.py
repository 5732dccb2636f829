"""Reading the registry: list, versions, resolve, files, diff, export, rollback, pins, events."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from skillforge.errors import RegistryError, UnknownVersion
from skillforge.registry import Registry


def _edit(skill: Path, text: str, rel: str = "SKILL.md") -> None:
    path = skill / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text((path.read_text() if path.exists() else "") + text)


def test_list_summarises_each_skill(registry: Registry, make_skill) -> None:
    a = make_skill("pdf-forms", tags="pdf, forms")
    registry.publish(a)
    _edit(a, "\nmore\n")
    registry.publish(a, bump="minor")
    registry.publish(
        make_skill("git-bisect", description="Find a bad commit. Use when a regression appears.")
    )
    registry.pin("pdf-forms", "0.1.0")
    rows = registry.skills()
    assert [(r.name, r.latest, r.pinned, r.versions) for r in rows] == [
        ("git-bisect", "0.1.0", None, 1),
        ("pdf-forms", "0.2.0", "0.1.0", 2),
    ]
    assert rows[0].description == "Find a bad commit. Use when a regression appears."
    assert rows[1].tags == ["forms", "pdf"]
    assert rows[1].updated == registry.versions("pdf-forms")[0].date


def test_versions_are_semver_ordered_and_resolve_respects_pins(registry: Registry, make_skill) -> None:
    skill = make_skill("pdf-forms")
    for version in ("1.2.0", "1.9.0", "1.10.0"):
        _edit(skill, f"\n{version}\n")
        registry.publish(skill, version=version)
    assert [v.version for v in registry.versions("pdf-forms")] == ["1.10.0", "1.9.0", "1.2.0"]
    assert registry.resolve("pdf-forms") == "1.10.0"
    registry.pin("pdf-forms", "1.9.0", message="1.10 breaks forms")
    assert registry.pins() == {"pdf-forms": "1.9.0"}
    assert registry.resolve("pdf-forms") == "1.9.0"
    assert registry.resolve("pdf-forms", "1.2.0") == "1.2.0"
    assert registry.resolve("pdf-forms", "latest") == "1.10.0"
    assert "1.9.0" in registry.read_file("pdf-forms")
    with pytest.raises(
        UnknownVersion, match=r"pdf-forms@3.0.0 does not exist \(versions: 1.10.0, 1.9.0, 1.2.0\)"
    ):
        registry.resolve("pdf-forms", "3.0.0")
    with pytest.raises(UnknownVersion):
        registry.pin("pdf-forms", "3.0.0")
    assert registry.unpin("pdf-forms") is True
    assert registry.unpin("pdf-forms") is False
    assert registry.resolve("pdf-forms") == "1.10.0"
    assert registry.pins() == {}


def test_version_record_for_show(registry: Registry, make_skill) -> None:
    registry.publish(make_skill("pdf-forms"), message="first", changelog=["one"])
    record = registry.version("pdf-forms")
    assert (record.version, record.message, record.changelog, record.tag) == (
        "0.1.0",
        "first",
        ["one"],
        "pdf-forms@0.1.0",
    )


def test_files_read_file_and_diff(registry: Registry, make_skill) -> None:
    skill = make_skill("pdf-forms", files={"references/a.md": "alpha\nbeta\n", "references/old.md": "old\n"})
    registry.publish(skill)
    (skill / "references" / "a.md").write_text("alpha\nBETA\n")
    (skill / "references" / "old.md").unlink()
    (skill / "references" / "new.md").write_text("new\n")
    registry.publish(skill, bump="minor")
    assert registry.files("pdf-forms", "0.1.0")["references/a.md"] == "alpha\nbeta\n"
    assert sorted(registry.files("pdf-forms", "0.2.0")) == [
        "SKILL.md",
        "references/a.md",
        "references/new.md",
    ]
    assert registry.read_file("pdf-forms", "0.2.0", "references/new.md") == "new\n"
    with pytest.raises(RegistryError, match="has no file references/old.md"):
        registry.read_file("pdf-forms", "0.2.0", "references/old.md")
    text = registry.diff("pdf-forms", "0.1.0")
    assert text == registry.diff("pdf-forms", "0.1.0", "0.2.0")
    assert text.splitlines() == [
        "diff pdf-forms@0.1.0 pdf-forms@0.2.0 -- references/a.md",
        "--- a/references/a.md",
        "+++ b/references/a.md",
        "@@ -1,2 +1,2 @@",
        " alpha",
        "-beta",
        "+BETA",
        "diff pdf-forms@0.1.0 pdf-forms@0.2.0 -- references/new.md",
        "--- /dev/null",
        "+++ b/references/new.md",
        "@@ -0,0 +1 @@",
        "+new",
        "diff pdf-forms@0.1.0 pdf-forms@0.2.0 -- references/old.md",
        "--- a/references/old.md",
        "+++ /dev/null",
        "@@ -1 +0,0 @@",
        "-old",
    ]
    assert registry.diff("pdf-forms", "0.2.0", "0.2.0") == ""
    assert "+beta" in registry.diff("pdf-forms", "0.2.0", "0.1.0")


def test_rollback_is_a_new_version_with_byte_identical_content(
    registry: Registry, make_skill, tmp_path: Path, git
) -> None:
    blob = bytes(range(256))
    skill = make_skill(
        "pdf-forms",
        files={
            "assets/x.bin": blob,
            "scripts/go.sh": "#!/bin/sh\nexit 0\n",
            "references/r.md": "no newline at end",
        },
    )
    (skill / "scripts" / "go.sh").chmod(0o755)
    os.symlink("references/r.md", skill / "R.md")
    registry.publish(skill, provenance={"from": "v1"})
    original = registry.file_bytes("pdf-forms", "0.1.0")
    _edit(skill, "\nchanged\n")
    (skill / "assets" / "x.bin").write_bytes(b"other")
    registry.publish(skill, bump="minor", provenance={"from": "v2"})
    result = registry.rollback("pdf-forms", "0.1.0")
    assert (result.created, result.version, result.previous) == (True, "0.2.1", "0.2.0")
    assert registry.file_bytes("pdf-forms", "0.2.1") == original
    out_a = registry.export("pdf-forms", "0.1.0", tmp_path / "a")
    out_b = registry.export("pdf-forms", "0.2.1", tmp_path / "b")
    files_a = {
        p.relative_to(out_a): (p.read_bytes(), p.lstat().st_mode) for p in out_a.rglob("*") if not p.is_dir()
    }
    files_b = {
        p.relative_to(out_b): (p.read_bytes(), p.lstat().st_mode) for p in out_b.rglob("*") if not p.is_dir()
    }
    assert files_a == files_b
    newest = registry.versions("pdf-forms")[0]
    assert newest.rolled_back_from == "0.1.0"
    assert newest.message == "roll back to 0.1.0"
    assert registry.provenance("pdf-forms", "0.2.1") == {"from": "v1"}
    assert [v.version for v in registry.versions("pdf-forms")] == ["0.2.1", "0.2.0", "0.1.0"]
    assert git(registry.path, "rev-list", "--count", "main") == "3"
    assert git(registry.path, "rev-parse", "main^") == git(
        registry.path, "rev-parse", "pdf-forms@0.2.0^{commit}"
    )
    assert git(registry.path, "rev-parse", "pdf-forms@0.1.0:skills/pdf-forms") == git(
        registry.path, "rev-parse", "pdf-forms@0.2.1:skills/pdf-forms"
    )
    again = registry.rollback("pdf-forms", "0.1.0")
    assert again.created is False and "identical" in again.reason


def test_export_replaces_atomically_or_refuses(registry: Registry, make_skill, tmp_path: Path) -> None:
    skill = make_skill("pdf-forms", files={"references/gone.md": "x"})
    registry.publish(skill)
    (skill / "references" / "gone.md").unlink()
    _edit(skill, "\nv2\n")
    registry.publish(skill)
    dest = tmp_path / "out"
    registry.export("pdf-forms", "0.1.0", dest)
    assert (dest / "pdf-forms" / "references" / "gone.md").exists()
    with pytest.raises(RegistryError, match="already exists"):
        registry.export("pdf-forms", "0.1.1", dest, replace=False)
    path = registry.export("pdf-forms", None, dest)
    assert path == dest / "pdf-forms"
    assert not (path / "references" / "gone.md").exists()
    assert "v2" in (path / "SKILL.md").read_text()
    assert sorted(p.name for p in dest.iterdir()) == ["pdf-forms"]


def test_events_are_recorded_without_versions(registry: Registry, make_skill) -> None:
    registry.publish(make_skill("pdf-forms"))
    registry.record_event("pdf-forms", "evolve-rejected", {"round": 1, "reason": "regressed"})
    registry.record_event("pdf-forms", "evolve-rejected", {"round": 2})
    events = registry.events("pdf-forms")
    assert [(e["kind"], e["data"]) for e in events] == [
        ("evolve-rejected", {"round": 1, "reason": "regressed"}),
        ("evolve-rejected", {"round": 2}),
    ]
    assert [v.version for v in registry.versions("pdf-forms")] == ["0.1.0"]
    assert registry.events("other") == []


def test_unknown_skill_and_version_errors(registry: Registry, make_skill) -> None:
    registry.publish(make_skill("pdf-forms"))
    with pytest.raises(UnknownVersion, match="no skill named 'nope'"):
        registry.versions("nope")
    with pytest.raises(UnknownVersion, match="does not exist"):
        registry.files("pdf-forms", "0.9.0")
    with pytest.raises(UnknownVersion):
        registry.diff("pdf-forms", "0.1.0", "7.0.0")
    with pytest.raises(UnknownVersion):
        registry.rollback("pdf-forms", "7.0.0")
