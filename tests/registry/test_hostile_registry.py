"""A registry whose own .git was tampered with: config that runs programs, GIT_* redirections,
corrupt objects, an empty HEAD, a garbage config. Nothing runs, nothing half-written, repair works."""

from __future__ import annotations

import subprocess
import zlib
from pathlib import Path

import pytest

from skillforge.errors import RegistryError
from skillforge.registry import Registry, open_registry


def _marker_script(path: Path, marker: Path, name: str) -> Path:
    path.write_text(f"#!/bin/sh\necho {name} >> {marker}\nexit 0\n")
    path.chmod(0o755)
    return path


def _set(reg: Registry, key: str, value: str) -> None:
    subprocess.run(["git", "config", "--file", str(reg.path / ".git/config"), key, value], check=True)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "ran.log"


def test_hooks_fsmonitor_and_filters_in_the_registry_config_never_run(
    registry: Registry, make_skill, tmp_path: Path, marker: Path
) -> None:
    skill = make_skill("pdf-forms", files={".gitattributes": "* filter=evil\n", "references/a.md": "A\n"})
    registry.publish(skill)
    hooks = tmp_path / "evil-hooks"
    hooks.mkdir()
    for hook in ("reference-transaction", "pre-auto-gc", "post-checkout", "post-index-change", "pre-commit"):
        _marker_script(hooks / hook, marker, hook)
    _set(registry, "core.hooksPath", str(hooks))
    _set(registry, "core.fsmonitor", str(_marker_script(tmp_path / "fsmonitor", marker, "fsmonitor")))
    _set(registry, "filter.evil.smudge", f"sh -c 'echo smudge >> {marker}; cat'")
    _set(registry, "filter.evil.clean", f"sh -c 'echo clean >> {marker}; cat'")
    _set(registry, "filter.evil.required", "true")
    registry.close()

    reg = open_registry(registry.path)
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + "\nmore\n")
    assert reg.publish(skill).version == "0.1.1"
    reg.pin("pdf-forms", "0.1.0")
    assert [s.name for s in reg.skills()] == ["pdf-forms"]
    assert "+more" in reg.diff("pdf-forms", "0.1.0")
    report = reg.fsck()
    assert not marker.exists(), marker.read_text()

    assert not report.ok
    flagged = {f.message.split(" = ")[0].removeprefix(".git/config sets ") for f in report.findings}
    assert {"core.hookspath", "core.fsmonitor", "filter.evil.smudge", "filter.evil.clean"} <= flagged
    repaired = reg.repair()
    assert any("core.hookspath" in line for line in repaired.repaired)
    assert repaired.ok, repaired.findings
    assert reg.fsck().ok
    assert not marker.exists()
    reg.close()


def test_config_that_includes_other_files_is_refused_until_repaired(
    registry: Registry, make_skill, tmp_path: Path, marker: Path
) -> None:
    registry.publish(make_skill("pdf-forms"))
    evil = tmp_path / "evil.cfg"
    evil.write_text(f"[core]\n\thooksPath = {tmp_path}\n")
    _set(registry, "include.path", str(evil))
    registry.close()

    reg = open_registry(registry.path)
    with pytest.raises(RegistryError, match="include.path") as info:
        reg.skills()
    assert "registry repair" in (info.value.hint or "")
    assert info.value.path == str(registry.path / ".git" / "config")
    findings = reg.fsck().findings
    assert [f.kind for f in findings] == ["exec-config"] and "include.path" in findings[0].message
    assert reg.repair().ok
    assert reg.resolve("pdf-forms") == "0.1.0"
    reg.close()


def test_caller_git_environment_does_not_redirect_the_registry(
    registry: Registry, make_skill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, git, marker: Path
) -> None:
    other = tmp_path / "other"
    subprocess.run(["git", "init", "-q", str(other)], check=True)
    hooks = tmp_path / "hooks"
    hooks.mkdir()
    _marker_script(hooks / "reference-transaction", marker, "env hook")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    monkeypatch.setenv("GIT_INDEX_FILE", str(tmp_path / "index"))
    monkeypatch.setenv("GIT_CONFIG_PARAMETERS", f"'core.hookspath'='{hooks}'")
    assert registry.publish(make_skill("pdf-forms")).version == "0.1.0"
    monkeypatch.delenv("GIT_DIR")
    monkeypatch.delenv("GIT_WORK_TREE")
    monkeypatch.delenv("GIT_INDEX_FILE")
    monkeypatch.delenv("GIT_CONFIG_PARAMETERS")
    assert git(registry.path, "tag") == "pdf-forms@0.1.0"
    assert git(other, "for-each-ref") == ""
    assert not marker.exists()


def _loose(reg: Registry, sha: str) -> Path:
    return reg.path / ".git" / "objects" / sha[:2] / sha[2:]


def _blob_sha(git, reg: Registry, spec: str) -> str:
    return git(reg.path, "rev-parse", spec)


@pytest.mark.parametrize("damage", ["wrong-content", "garbage"])
def test_publish_on_a_corrupt_object_it_reuses_fails_cleanly(
    registry: Registry, make_skill, git, damage: str
) -> None:
    skill = make_skill("pdf-forms", files={"references/a.md": "alpha beta\n"})
    registry.publish(skill)
    sha = _blob_sha(git, registry, "pdf-forms@0.1.0:skills/pdf-forms/references/a.md")
    path = _loose(registry, sha)
    path.chmod(0o644)
    if damage == "wrong-content":  # well-formed, but not what its id says
        path.write_bytes(zlib.compress(b"blob 11\x00gamma delt\n"))
    else:
        path.write_bytes(b"\x00garbage, not zlib")
    main_before = git(registry.path, "rev-parse", "refs/heads/main")
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + "\nv2\n")

    with pytest.raises(RegistryError, match=f"{sha}.*(corrupt|unreadable)") as info:
        registry.publish(skill)
    assert "repair" in (info.value.hint or "")
    assert git(registry.path, "rev-parse", "refs/heads/main") == main_before
    assert git(registry.path, "tag") == "pdf-forms@0.1.0"


def test_repair_rebuilds_an_empty_head_and_a_garbage_config(
    registry: Registry, make_skill, bare_remote: Path
) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(skill)
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + "\nv2\n")
    registry.publish(skill)
    registry.add_remote("origin", str(bare_remote))
    registry.close()
    git_dir = registry.path / ".git"

    (git_dir / "HEAD").write_text("")
    reg = open_registry(registry.path)
    with pytest.raises(RegistryError, match="damaged") as info:
        reg.skills()
    assert "registry repair" in (info.value.hint or "")
    assert [f.kind for f in reg.fsck().findings] == ["bad-head"]
    report = reg.repair()
    assert report.ok and report.repaired[0].startswith("rewrote .git/HEAD")
    assert [v.version for v in reg.versions("pdf-forms")] == ["0.1.1", "0.1.0"]
    reg.close()

    damaged = "[core\n\tthis is = = not git config\n\x00\x01\n" + (git_dir / "config").read_text()
    (git_dir / "config").write_text(damaged)
    reg = open_registry(registry.path)
    assert [f.kind for f in reg.fsck().findings] == ["bad-config"]
    report = reg.repair()
    assert report.ok, report.findings
    assert any("rebuilt .git/config" in line and "origin" in line for line in report.repaired)
    assert (git_dir / "config.damaged").is_file()
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + "\nv3\n")
    assert reg.publish(skill).version == "0.1.2"
    assert reg.fsck().ok
    reg.close()


def test_remote_programs_from_the_registry_config_never_run(
    registry: Registry, make_skill, tmp_path: Path, bare_remote: Path, marker: Path
) -> None:
    empty = tmp_path / "no-hooks"
    empty.mkdir()
    subprocess.run(["git", "config", "core.hooksPath", str(empty)], cwd=bare_remote, check=True)
    skill = make_skill("pdf-forms")
    registry.publish(skill)
    registry.add_remote("origin", str(bare_remote))
    for key in ("uploadpack", "receivepack"):
        script = _marker_script(tmp_path / key, marker, key)
        _set(registry, f"remote.origin.{key}", f"{script}; git-{key[:-4]}-pack")
    _set(registry, "core.sshCommand", str(_marker_script(tmp_path / "ssh", marker, "ssh")))
    registry.close()

    reg = open_registry(registry.path)
    assert reg.push("origin").action == "pushed"
    assert reg.pull("origin").action == "up-to-date"
    assert not marker.exists(), marker.read_text()
    kinds = {f.message.split(" = ")[0] for f in reg.fsck().findings}
    assert {".git/config sets remote.origin.uploadpack", ".git/config sets core.sshcommand"} <= kinds
    reg.close()


def test_a_moved_registry_is_still_consistent(registry: Registry, make_skill, tmp_path: Path) -> None:
    registry.publish(make_skill("pdf-forms"))
    registry.close()
    moved = tmp_path / "moved-registry"
    registry.path.rename(moved)
    reg = open_registry(moved)
    assert reg.fsck().ok, reg.fsck().findings
    assert reg.resolve("pdf-forms") == "0.1.0"
    reg.close()


def test_a_symlink_chain_pushed_by_a_hostile_client_cannot_export_a_file_from_outside(
    registry: Registry, make_skill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each stored link reads as inside the skill on its own (``a/…/j/s -> ../../..``), but ``notes.md``
    goes through it and then climbs out: only the tree as written shows where it lands."""
    import os
    from types import SimpleNamespace

    import skillforge.registry.gate as gate
    import skillforge.registry.publish as publish

    secret = tmp_path / "home" / ".ssh" / "id_rsa"
    secret.parent.mkdir(parents=True)
    secret.write_text("PRIVATE KEY")
    skill = make_skill("chain")
    deep = skill / "a/b/c/d/e/f/g/h/i/j"
    deep.mkdir(parents=True)
    os.symlink("../" * 10, deep / "s")
    # Read as text, the 11 ".." cancel a..j and s; resolved, s is the skill root and they climb to "/".
    os.symlink("a/b/c/d/e/f/g/h/i/j/s/" + "../" * 11 + str(secret).lstrip("/"), skill / "notes.md")
    # The attacker's own client skips the checks a real publish makes.
    with monkeypatch.context() as patched:
        patched.setattr(publish, "_link_target", lambda root, link, rel: os.readlink(link))
        patched.setattr(gate, "scan", lambda *a, **k: SimpleNamespace(record=None, warnings=[]))
        registry.publish(skill)
    out = tmp_path / "out"
    with pytest.raises(RegistryError, match="resolves outside the skill"):
        registry.export("chain", None, out)
    assert not (out / "chain").exists()
    assert [p.name for p in out.iterdir()] == []  # no staging folder left behind
