"""Expand input paths into files, refusing what must not be read."""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from skillforge.models import Skipped

MAX_FILE_BYTES = 4 << 30
"""Files larger than this are refused outright (readers stream, but there is a limit to patience)."""

_IGNORED_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", ".tox", ".mypy_cache"}
_IGNORED_NAMES = {".DS_Store", "SOURCES.md", "LICENSE", "LICENSE.md", "LICENSE.txt", "NOTICE"}


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | Skipped]:
    """Yield every regular file under ``paths`` in sorted order, or a ``Skipped`` saying why not.

    A symlink is followed only when its target stays inside the root it was found under, so an
    input folder cannot smuggle in ``/etc/passwd`` or a home directory.
    """
    for given in paths:
        root = Path(given)
        if not root.exists() and not root.is_symlink():
            yield Skipped(path=str(root), reason="no such file or directory")
            continue
        if root.is_file():
            yield from _check_file(root, root.parent.resolve())
            continue
        if not root.is_dir():
            yield Skipped(path=str(root), reason="not a regular file or directory")
            continue
        base = root.resolve()
        for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
            here = Path(dirpath)
            kept = []
            for d in sorted(dirnames):
                if d in _IGNORED_DIRS:
                    continue
                sub = here / d
                if sub.is_symlink():
                    if not _inside(sub.resolve(), base):
                        yield Skipped(path=str(sub), reason="symlink points outside the input folder, not followed")
                    else:
                        yield Skipped(path=str(sub), reason="symlinked folder inside the input, read via its real path")
                    continue
                kept.append(d)
            dirnames[:] = kept
            for name in sorted(filenames):
                if name in _IGNORED_NAMES or name.startswith("."):
                    continue
                yield from _check_file(here / name, base)


def _check_file(path: Path, base: Path) -> Iterator[Path | Skipped]:
    if path.is_symlink():
        target = path.resolve()
        if not _inside(target, base):
            yield Skipped(path=str(path), reason="symlink points outside the input folder, not followed")
            return
        if not target.is_file():
            yield Skipped(path=str(path), reason="broken symlink")
            return
    if not path.is_file():
        yield Skipped(path=str(path), reason="not a regular file")
        return
    try:
        size = path.stat().st_size
    except OSError as exc:
        yield Skipped(path=str(path), reason=f"cannot stat: {exc.strerror}")
        return
    if size > MAX_FILE_BYTES:
        yield Skipped(path=str(path), reason=f"file of {size >> 20} MiB exceeds the {MAX_FILE_BYTES >> 20} MiB limit")
        return
    if not os.access(path, os.R_OK):
        yield Skipped(path=str(path), reason="permission denied")
        return
    yield path


def _inside(target: Path, base: Path) -> bool:
    try:
        target.relative_to(base)
    except ValueError:
        return False
    return True
