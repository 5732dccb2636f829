"""Registry fixtures: skill folders (``tests/factories.py``), a fresh registry, bare remotes, a git runner.

Tests may run git themselves (to build bare remotes and to check what the registry wrote); the
project code runs git only through ``skillforge.registry._git``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from skillforge.registry import Registry, open_registry

from ..factories import skill_md, write_skill_folder


def git(cwd: Path, *args: str) -> str:
    """Run git for a test's own checks (never used by the code under test)."""
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture(name="git")
def git_fixture() -> Callable[..., str]:
    """``git(cwd, *args)`` -> stdout, for tests that inspect what the registry wrote."""
    return git


@pytest.fixture
def make_skill(tmp_path: Path) -> Callable[..., Path]:
    """``make_skill("pdf-forms", body="...", files={"references/x.md": "..."})`` -> the skill folder."""
    counter = {"n": 0}

    def make(
        name: str,
        body: str = "Do the thing.",
        files: dict[str, str | bytes] | None = None,
        where: Path | None = None,
        description: str | None = None,
        tags: str = "demo",
    ) -> Path:
        counter["n"] += 1
        root = (where or tmp_path / f"src{counter['n']}") / name
        description = description or f"Handle {name} tasks. Use when the user asks about {name}."
        text = skill_md(name, description, f"# {name.title()}\n\n{body}\n", frontmatter=f"metadata:\n  tags: {tags}")
        return write_skill_folder(root, text, files)

    return make


@pytest.fixture
def registry(tmp_path: Path) -> Registry:
    reg = open_registry(tmp_path / "registry")
    yield reg
    reg.close()


@pytest.fixture
def bare_remote(tmp_path: Path) -> Path:
    """An empty bare repository standing in for the team's shared remote."""
    path = tmp_path / "remote.git"
    subprocess.run(["git", "init", "--quiet", "--bare", "--initial-branch=main", str(path)], check=True)
    return path
