"""The registry must not depend on the user's git configuration: hostile settings change nothing."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from skillforge.registry import open_registry


@pytest.fixture
def hostile_gitconfig(isolated_home: Path, tmp_path: Path) -> Path:
    """A global config that would break naive git use: signing, failing hooks, another branch name."""
    hooks = tmp_path / "evil-hooks"
    hooks.mkdir()
    for hook in (
        "pre-commit",
        "commit-msg",
        "reference-transaction",
        "pre-push",
        "post-checkout",
        "post-merge",
    ):
        script = hooks / hook
        script.write_text(f"#!/bin/sh\necho {hook} ran >> {tmp_path / 'hooks.log'}\nexit 1\n")
        script.chmod(0o755)
    config = isolated_home / ".gitconfig"
    config.write_text(
        "[commit]\n\tgpgSign = true\n[tag]\n\tgpgSign = true\n\tforceSignAnnotated = true\n"
        "[gpg]\n\tprogram = /bin/false\n"
        f"[core]\n\thooksPath = {hooks}\n\tautocrlf = true\n"
        "[init]\n\tdefaultBranch = trunk\n[push]\n\tfollowTags = true\n[pull]\n\trebase = true\n"
        "[diff]\n\tnoprefix = true\n\texternal = /bin/false\n"
    )
    return tmp_path / "hooks.log"


def test_hostile_global_config_changes_nothing(
    hostile_gitconfig: Path, make_skill, tmp_path: Path, bare_remote: Path
) -> None:
    # the remote's own hooks are the remote's business (a server may enforce policy with them); this
    # local stand-in opts out so the test sees only what runs on our side
    empty = tmp_path / "no-hooks"
    empty.mkdir()
    subprocess.run(["git", "config", "core.hooksPath", str(empty)], cwd=bare_remote, check=True)
    reg = open_registry(tmp_path / "reg")
    skill = make_skill("pdf-forms", files={"references/crlf.md": "line one\nline two\n"})
    assert reg.publish(skill).version == "0.1.0"
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + "\nmore\n")
    assert reg.publish(skill).version == "0.1.1"
    assert "+more" in reg.diff("pdf-forms", "0.1.0")
    reg.pin("pdf-forms", "0.1.0")
    reg.rollback("pdf-forms", "0.1.0")
    reg.add_remote("origin", str(bare_remote))
    assert reg.push().action == "pushed"
    assert reg.file_bytes("pdf-forms", "0.1.0")["references/crlf.md"] == b"line one\nline two\n"
    assert not hostile_gitconfig.exists(), hostile_gitconfig.read_text()
    branch = subprocess.run(
        ["git", "symbolic-ref", "HEAD"], cwd=reg.path, capture_output=True, text=True
    ).stdout
    assert branch.strip() == "refs/heads/main"
    assert reg.fsck().ok


def test_identity_falls_back_when_none_is_configured(
    make_skill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(var, raising=False)
    reg = open_registry(tmp_path / "reg")
    reg.publish(make_skill("pdf-forms"))
    version = reg.versions("pdf-forms")[0]
    assert (version.author, version.email) == ("skillforge", "skillforge@localhost")


def test_identity_from_user_config_is_kept(
    isolated_home: Path, make_skill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for var in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL"):
        monkeypatch.delenv(var, raising=False)
    (isolated_home / ".gitconfig").write_text("[user]\n\tname = Ada Lovelace\n\temail = ada@example.org\n")
    reg = open_registry(tmp_path / "reg")
    reg.publish(make_skill("pdf-forms"))
    assert reg.versions("pdf-forms")[0].author == "Ada Lovelace"
