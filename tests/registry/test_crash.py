"""Crashes and half-written states: the registry stays at the previous version, and the next command
repairs or reports what is left, naming ``skillforge registry repair``."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from skillforge.errors import LockedError, RegistryError
from skillforge.registry import Registry, open_registry
from skillforge.registry._git import GitRepo


def _state(registry: Registry, git) -> tuple[str, str, str]:
    path = registry.path
    return (
        git(path, "rev-parse", "main"),
        git(path, "tag", "--list"),
        (path / "skills" / "pdf-forms" / "SKILL.md").read_text(),
    )


def _grow(skill: Path, text: str) -> None:
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + text)


def _run_crashing(registry_path: Path, skill: Path, when: str) -> subprocess.CompletedProcess[str]:
    """Publish in a child process that dies (os._exit) before or after git moves the refs."""
    script = textwrap.dedent(f"""
        import os
        from pathlib import Path
        from skillforge.registry import open_registry
        from skillforge.registry._git import GitRepo

        original = GitRepo.update_refs
        def dying(self, updates, reason):
            if {when!r} == "after":
                original(self, updates, reason)
            elif {when!r} == "half":
                original(self, updates[:1], reason)
            os._exit(9)
        GitRepo.update_refs = dying
        open_registry(Path({str(registry_path)!r})).publish(Path({str(skill)!r}), message="doomed")
    """)
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)


def test_exception_before_the_ref_update_leaves_the_previous_version(
    registry: Registry, make_skill, monkeypatch: pytest.MonkeyPatch, git
) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(skill)
    before = _state(registry, git)
    _grow(skill, "\nnew step\n")

    def crash(*_: object, **__: object) -> None:
        raise RuntimeError("power cut")

    monkeypatch.setattr(GitRepo, "update_refs", crash)
    with pytest.raises(RuntimeError, match="power cut"):
        registry.publish(skill)
    monkeypatch.undo()
    assert _state(registry, git) == before
    assert [v.version for v in registry.versions("pdf-forms")] == ["0.1.0"]
    assert registry.fsck().ok
    assert registry.publish(skill).version == "0.1.1"
    assert registry.fsck().ok


def test_process_killed_before_the_ref_update(registry: Registry, make_skill, git) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(skill)
    before = _state(registry, git)
    _grow(skill, "\nnew step\n")
    done = _run_crashing(registry.path, skill, "before")
    assert done.returncode == 9, done.stderr
    assert _state(registry, git) == before
    fresh = open_registry(registry.path)
    assert fresh.fsck().ok
    assert fresh.publish(skill).version == "0.1.1"
    assert fresh.skills()[0].latest == "0.1.1"


def test_process_killed_after_the_ref_update_is_repaired_by_the_next_write(
    registry: Registry, make_skill
) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(skill)
    _grow(skill, "\nnew step\n")
    assert _run_crashing(registry.path, skill, "after").returncode == 9
    fresh = open_registry(registry.path)
    assert fresh.resolve("pdf-forms") == "0.1.1"
    assert fresh.skills()[0].latest == "0.1.1"
    report = fresh.fsck()
    assert [f.kind for f in report.findings] == ["worktree"]
    assert report.findings[0].fixable
    fixed = fresh.repair()
    assert fixed.ok and "restored the checked-out files" in fixed.repaired
    assert "new step" in (registry.path / "skills" / "pdf-forms" / "SKILL.md").read_text()


def test_a_version_commit_whose_tag_was_lost_is_healed(registry: Registry, make_skill) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(skill)
    _grow(skill, "\nstep two\n")
    assert _run_crashing(registry.path, skill, "half").returncode == 9
    fresh = open_registry(registry.path)
    report = fresh.fsck()
    assert any(
        f.kind == "missing-tag" and "pdf-forms@0.1.1" in f.message and f.fixable for f in report.findings
    )
    _grow(skill, "\nstep three\n")
    result = fresh.publish(skill)
    assert result.version == "0.1.2"
    assert [v.version for v in fresh.versions("pdf-forms")] == ["0.1.2", "0.1.1", "0.1.0"]
    assert fresh.versions("pdf-forms")[1].message == "doomed"
    assert fresh.fsck().ok


def test_repair_recreates_lost_tags(registry: Registry, make_skill, git) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(skill, message="one", changelog=["first"])
    _grow(skill, "\nstep two\n")
    registry.publish(skill)
    git(registry.path, "tag", "-d", "pdf-forms@0.1.0")
    assert [v.version for v in registry.versions("pdf-forms")] == ["0.1.1"]
    report = registry.repair()
    assert "recreated tag pdf-forms@0.1.0" in report.repaired
    assert report.ok
    old = registry.versions("pdf-forms")[1]
    assert (old.version, old.message, old.changelog) == ("0.1.0", "one", ["first"])


def test_stale_git_lock_gives_a_clear_error_and_repair_clears_it(registry: Registry, make_skill) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(skill)
    lock = registry.path / ".git" / "refs" / "heads" / "main.lock"
    lock.write_text("")
    _grow(skill, "\nmore\n")
    with pytest.raises(RegistryError) as info:
        registry.publish(skill)
    assert "interrupted" in info.value.message
    assert info.value.hint == "run `skillforge registry repair`"
    assert [f.kind for f in registry.fsck().findings] == ["stale-lock"]
    report = registry.repair()
    assert report.ok and report.repaired[0] == "removed stale lock refs/heads/main.lock"
    assert registry.publish(skill).version == "0.1.1"


def test_corrupt_index_cache_is_rebuilt(registry: Registry, make_skill) -> None:
    registry.publish(make_skill("pdf-forms"))
    registry.publish(make_skill("git-bisect"))
    cache = registry.path / ".git" / "skillforge" / "index.json"
    cache.write_text('{"format": 1, "head": "trunc')
    assert [s.name for s in open_registry(registry.path).skills()] == ["git-bisect", "pdf-forms"]
    cache.write_text('{"format": 1, "head": null, "skills": {}}')
    assert [s.name for s in open_registry(registry.path).skills()] == ["git-bisect", "pdf-forms"]


def test_missing_object_gives_a_clear_error(registry: Registry, make_skill, git) -> None:
    skill = make_skill("pdf-forms", files={"references/big.md": "unique content 42\n"})
    registry.publish(skill)
    blob = git(registry.path, "rev-parse", "main:skills/pdf-forms/references/big.md")
    (registry.path / ".git" / "objects" / blob[:2] / blob[2:]).unlink()
    fresh = open_registry(registry.path)
    with pytest.raises(RegistryError) as info:
        fresh.files("pdf-forms")
    assert "missing or unreadable" in info.value.message and "repair" in (info.value.hint or "")
    report = fresh.fsck()
    assert any(f.kind == "git-fsck" and not f.fixable for f in report.findings)


def test_invalid_pins_file_is_reported_and_repair_restores_the_last_good_one(
    registry: Registry, make_skill, git
) -> None:
    registry.publish(make_skill("pdf-forms"))
    registry.pin("pdf-forms", "0.1.0")
    (registry.path / "pins.json").write_text("{not json")
    git(registry.path, "commit", "-qam", "hand edit")
    fresh = open_registry(registry.path)
    with pytest.raises(RegistryError, match="pins.json is not valid"):
        fresh.resolve("pdf-forms")
    assert any(f.kind == "bad-pins" for f in fresh.fsck().findings)
    report = fresh.repair()
    assert report.ok, report.findings
    assert fresh.pins() == {"pdf-forms": "0.1.0"}


def test_a_busy_registry_raises_locked_error_naming_the_holder(registry: Registry, make_skill) -> None:
    skill = make_skill("pdf-forms")
    registry.publish(skill)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from skillforge.registry.locking import write_lock
            with write_lock(Path({str(registry.path / ".git" / "skillforge" / "write.lock")!r}),
                            registry=Path('.'), what="publish"):
                print("locked", flush=True)
                time.sleep(30)
        """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        busy = open_registry(registry.path, lock_timeout=0.3)
        _grow(skill, "\nmore\n")
        started = time.monotonic()
        with pytest.raises(LockedError) as info:
            busy.publish(skill)
        assert time.monotonic() - started < 5
        assert f"pid {holder.pid}, publish" in info.value.message
        assert "SKILLFORGE_LOCK_TIMEOUT" in (info.value.hint or "")
        assert busy.resolve("pdf-forms") == "0.1.0"
    finally:
        holder.kill()
        holder.wait()
    assert open_registry(registry.path).publish(skill).version == "0.1.1"


def test_damaged_main_is_reported_never_overwritten_and_repair_restores_it(
    registry: Registry, make_skill, git
) -> None:
    registry.publish(make_skill("pdf-forms"))
    registry.publish(make_skill("git-bisect"))
    head = git(registry.path, "rev-parse", "main")
    (registry.path / ".git" / "refs" / "heads" / "main").write_text("garbage from a torn write\n")
    fresh = open_registry(registry.path)
    for call in (
        fresh.skills,
        lambda: fresh.publish(make_skill("third-skill")),
        lambda: fresh.pin("pdf-forms", "0.1.0"),
    ):
        with pytest.raises(RegistryError) as info:
            call()
        assert "main branch is missing or damaged" in info.value.message
        assert info.value.hint == "run `skillforge registry repair`"
    assert [f.kind for f in fresh.fsck().findings] == ["missing-main"]
    report = fresh.repair()
    assert report.ok and report.repaired[0] == f"restored main to {head[:12]} from its reflog"
    assert [s.name for s in fresh.skills()] == ["git-bisect", "pdf-forms"]
    assert fresh.publish(make_skill("third-skill")).created
