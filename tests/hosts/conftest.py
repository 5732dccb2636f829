"""Fixtures for host installs: skill folders written like real published skills, and a project folder."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from ..factories import skill_md, write_skill_folder

DESCRIPTION = "Extract text and tables from PDF files. Use when the user asks about the content of a PDF."
BODY = """
# {name}

1. Run `scripts/extract.sh FILE.pdf` to get the text.
2. For tables, read [the table guide](references/tables.md).
"""

MakeSkill = Callable[..., Path]


@pytest.fixture
def make_skill(tmp_path: Path) -> MakeSkill:
    """``make_skill("pdf-tools", version="1.0.0", extra={"references/x.md": "..."})`` → the skill folder."""

    def make(
        name: str = "pdf-tools",
        *,
        version: str = "1.0.0",
        folder: Path | None = None,
        extra: dict | None = None,
    ) -> Path:
        text = skill_md(
            name, DESCRIPTION, BODY.format(name=name), frontmatter=f'license: MIT\nmetadata:\n  version: "{version}"'
        )
        files = {
            "scripts/extract.sh": '#!/bin/sh\npdftotext "$1" -\n',
            "references/tables.md": "# Tables\n\nUse `camelot` for lattice tables.\n",
            **(extra or {}),
        }
        return write_skill_folder(folder or tmp_path / "src" / name, text, files, executable=["scripts/extract.sh"])

    return make


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def independent_hash(root: Path) -> str:
    """The lock's content hash, recomputed here without skillforge's code: sorted relpath + content."""
    digest = hashlib.sha256()
    files = sorted(
        (Path(d, f).relative_to(root).as_posix(), Path(d, f))
        for d, _, names in os.walk(root, followlinks=True)
        for f in names
    )
    for rel, path in files:
        data = path.read_bytes()
        digest.update(rel.encode() + b"\0" + str(len(data)).encode() + b"\0" + data)
    return "sha256:" + digest.hexdigest()


def snapshot(root: Path) -> dict[str, bytes | str]:
    """Every file (bytes) and symlink (target) under ``root``, for 'nothing changed' assertions."""
    found: dict[str, bytes | str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[rel] = "-> " + os.readlink(path)
            elif path.is_file():
                found[rel] = path.read_bytes()
            else:
                found[rel + "/"] = b""
    return found


@pytest.fixture(name="independent_hash")
def independent_hash_fixture() -> Callable[[Path], str]:
    return independent_hash


@pytest.fixture(name="snapshot")
def snapshot_fixture() -> Callable[[Path], dict[str, bytes | str]]:
    return snapshot


def lock_entries(lock_file: Path) -> list[dict]:
    """skillforge's installs for a ``skills-lock.json`` (from its sidecar), one dict per (name, host).

    Also checks the shared file lists each of those names in the skills CLI's shape.
    """
    import json

    from skillforge.hosts.lockfile import sidecar_path

    shared = json.loads(lock_file.read_text(encoding="utf-8"))
    assert shared["version"] == 1 and isinstance(shared["skills"], dict)
    side = json.loads(sidecar_path(lock_file).read_text(encoding="utf-8"))
    for name in side["skills"]:
        assert {"source", "sourceType", "computedHash"} <= set(shared["skills"][name])
    return [{"name": n, **i} for n, data in side["skills"].items() for i in data["installs"]]


@pytest.fixture(name="lock_entries")
def lock_entries_fixture() -> Callable[[Path], list[dict]]:
    return lock_entries
