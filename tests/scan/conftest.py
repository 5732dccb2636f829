"""Fixtures for the security scanner: the hostile and benign corpora, and a skill-folder builder."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from ..factories import skill_md, write_skill_folder

HOSTILE = Path(__file__).resolve().parent.parent / "data" / "hostile"

WriteSkill = Callable[..., Path]

@pytest.fixture
def write_skill(tmp_path: Path) -> WriteSkill:
    """``write_skill(files, name="demo", extra="")``: a skill folder in tmp; ``files`` maps paths to text/bytes.

    ``SKILL.md`` content is the body only; the frontmatter is added (``extra`` goes inside it).
    """

    def make(files: dict[str, str | bytes], name: str = "demo", extra: str = "") -> Path:
        files = dict(files)
        body = files.pop("SKILL.md", "# Demo\n\nNothing risky here.\n")
        text = skill_md(name, "Do the thing. Use when the thing needs doing.", "\n" + str(body), frontmatter=extra)
        return write_skill_folder(tmp_path / name, text, files)

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
