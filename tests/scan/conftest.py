"""Fixtures for the security scanner: the hostile and benign corpora, and a skill-folder builder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

HOSTILE = Path(__file__).resolve().parent.parent / "data" / "hostile"

WriteSkill = Callable[..., Path]

SKILL_HEAD = "---\nname: {name}\ndescription: Do the thing. Use when the thing needs doing.\n{extra}---\n\n"


@pytest.fixture
def write_skill(tmp_path: Path) -> WriteSkill:
    """``write_skill(files, name="demo", extra="")``: a skill folder in tmp; ``files`` maps paths to text/bytes.

    ``SKILL.md`` content is the body only; the frontmatter is added (``extra`` goes inside it).
    """

    def make(files: dict[str, str | bytes], name: str = "demo", extra: str = "") -> Path:
        root = tmp_path / name
        files = dict(files)
        body = files.pop("SKILL.md", "# Demo\n\nNothing risky here.\n")
        root.mkdir(parents=True, exist_ok=True)
        (root / "SKILL.md").write_text(
            SKILL_HEAD.format(name=name, extra=extra) + str(body), encoding="utf-8"
        )
        for rel, content in files.items():
            path = root / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                path.write_bytes(content)
            else:
                path.write_text(content, encoding="utf-8")
        return root

    return make


@pytest.fixture
def hostile_copy(tmp_path: Path) -> Callable[[str], Path]:
    """A writable copy of ``tests/data/hostile/<rel>`` (to add links, modes and big files)."""

    def copy(rel: str) -> Path:
        src = HOSTILE / rel
        dest = tmp_path / "copy" / src.name
        shutil.copytree(src, dest) if src.is_dir() else (
            dest.parent.mkdir(parents=True, exist_ok=True),
            shutil.copy2(src, dest),
        )
        return dest

    return copy
