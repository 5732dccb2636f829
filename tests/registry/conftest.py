"""Registry fixtures: skill folders built from a dict, a fresh registry, bare remotes, a git runner.

Tests may run git themselves (to build bare remotes and to check what the registry wrote); the
project code runs git only through ``skillforge.registry._git``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from skillforge.registry import Registry, open_registry

SKILL_MD = """---
name: {name}
description: {description}
metadata:
  tags: {tags}
---
# {title}

{body}
"""


def skill_md(
    name: str, body: str = "Do the thing.", description: str | None = None, tags: str = "demo"
) -> str:
    description = description or f"Handle {name} tasks. Use when the user asks about {name}."
    return SKILL_MD.format(name=name, description=description, tags=tags, title=name.title(), body=body)


def build_file_tree(root: Path, files: dict[str, str | bytes]) -> Path:
    """Write ``files`` (relative path -> text or bytes) under ``root``; returns ``root``."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


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
        **kw: str,
    ) -> Path:
        counter["n"] += 1
        root = (where or tmp_path / f"src{counter['n']}") / name
        return build_file_tree(root, {"SKILL.md": skill_md(name, body, **kw), **(files or {})})

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
