"""Turn a skill argument (a folder or a registry NAME[@VERSION]) into a folder on disk."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from skillforge.errors import InputError


def split_ref(ref: str) -> tuple[str, str | None]:
    """``name@1.2.3`` → (``name``, ``1.2.3``); ``name`` → (``name``, None)."""
    name, _, version = ref.partition("@")
    return name, version or None


@contextmanager
def skill_folder(ref: str, registry_path: Path | None = None) -> Iterator[Path]:
    """Yield a folder holding the skill: ``ref`` itself when it is a folder, else an export from the registry."""
    path = Path(ref)
    if path.is_dir():
        yield path
        return
    name, version = split_ref(ref)
    # "writer@1.0.0" has a suffix (".0") but is a registry reference; "writer.md" or "a/b" is a missing folder.
    if "/" in name or "\\" in name or (version is None and path.suffix):
        raise InputError("no such skill folder", path=ref)
    from skillforge.registry import open_registry

    registry = open_registry(registry_path)
    resolved = registry.resolve(name, version)
    tmp = Path(tempfile.mkdtemp(prefix="skillforge-skill-"))
    try:
        yield registry.export(name, resolved, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
