"""The shared skills-lock.json against the real vercel-labs ``skills`` CLI (pinned skills@1.5.26).

Skipped unless the CLI is installed: set ``SKILLFORGE_SKILLS_CLI`` to its ``bin/skills`` (``.ci/run``
installs it with ``npm install skills@1.5.26``) or put ``skills`` on PATH. Everything is local: the
skills come from folders in the project, HOME is a temporary folder, telemetry is off.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from skillforge.hosts import install, installed, other_tools
from skillforge.hosts.frozen import check, install_frozen
from skillforge.hosts.lockfile import skills_cli_hash

SKILLS = os.environ.get("SKILLFORGE_SKILLS_CLI") or shutil.which("skills")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not SKILLS, reason="the `skills` CLI is not installed (SKILLFORGE_SKILLS_CLI)"),
]


def _skills(cwd: Path, *args: str) -> str:
    env = {**os.environ, "HOME": os.environ["HOME"], "DISABLE_TELEMETRY": "1", "DO_NOT_TRACK": "1", "CI": "1"}
    done = subprocess.run([str(SKILLS), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _git(cwd: Path, *args: str) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@t", "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path, make_skill) -> Path:
    project = tmp_path / "repo"
    project.mkdir()
    _git(project, "init", "-q", ".")
    for name in ("pdf-tidy", "csv-clean"):
        make_skill(name, folder=project / "src" / name)
    return project


def _names(project: Path) -> list[str]:
    return sorted(json.loads((project / "skills-lock.json").read_text())["skills"])


def _fresh_clone(project: Path, dest: Path) -> Path:
    _git(project, "add", "src", "skills-lock.json", ".skillforge")
    _git(project, "commit", "-qm", "skills")
    _git(dest.parent, "clone", "-q", str(project), str(dest))
    return dest


@pytest.mark.parametrize("skillforge_first", [True, False])
def test_both_tools_share_one_lock(repo: Path, tmp_path: Path, skillforge_first: bool) -> None:
    def ours() -> None:
        install(str(repo / "src/pdf-tidy"), hosts=["claude-code"], project=repo)

    def theirs() -> None:
        _skills(repo, "add", "./src/csv-clean", "-a", "claude-code", "-y", "--copy")

    for step in (ours, theirs) if skillforge_first else (theirs, ours):
        step()
    assert _names(repo) == ["csv-clean", "pdf-tidy"], "neither tool dropped the other's entry"
    lock = json.loads((repo / "skills-lock.json").read_text())["skills"]
    assert lock["pdf-tidy"]["computedHash"] == skills_cli_hash(repo / "src/pdf-tidy")
    assert lock["csv-clean"]["computedHash"] == skills_cli_hash(repo / "src/csv-clean"), "same hash algorithm"
    assert lock["pdf-tidy"]["source"] == "./src/pdf-tidy" and lock["pdf-tidy"]["sourceType"] == "local"
    assert [r.entry.name for r in installed(project=repo, scope="project")] == ["pdf-tidy"]
    assert [o.name for o in other_tools(project=repo, scope="project")] == ["csv-clean"]
    assert all(r.status == "ok" for r in check(repo, "project"))

    # The skills CLI restores both from a fresh clone; skillforge's record survives its rewrite.
    clone = _fresh_clone(repo, tmp_path / "clone-skills")
    _skills(clone, "experimental_install")
    assert _names(clone) == ["csv-clean", "pdf-tidy"]
    for name in ("csv-clean", "pdf-tidy"):
        assert skills_cli_hash(clone / ".agents/skills" / name) == lock[name]["computedHash"]
    assert [r.entry.name for r in installed(project=clone, scope="project")] == ["pdf-tidy"]

    # skillforge --frozen restores both in another fresh clone, with identical hashes.
    clone2 = tmp_path / "clone-skillforge"
    _git(tmp_path, "clone", "-q", str(repo), str(clone2))
    before = (clone2 / "skills-lock.json").read_bytes()
    report = install_frozen(clone2)
    assert report.restored == ["pdf-tidy (claude-code)"] and report.other_tools == ["csv-clean"]
    assert skills_cli_hash(clone2 / ".claude/skills/pdf-tidy") == lock["pdf-tidy"]["computedHash"]
    assert skills_cli_hash(clone2 / ".agents/skills/csv-clean") == lock["csv-clean"]["computedHash"]
    assert (clone2 / "skills-lock.json").read_bytes() == before
    # ... and the skills CLI still reads that lock.
    listed = json.loads(_skills(clone2, "list", "--json"))
    assert {"csv-clean", "pdf-tidy"} <= {s["name"] for s in listed}
