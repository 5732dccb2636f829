"""Expand input paths into files, refusing what must not be read."""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

from skillforge.models import Skipped

MAX_FILE_BYTES = 4 << 30
"""Files larger than this are refused outright (readers stream, but there is a limit to patience)."""

_IGNORED_DIRS = {".git", ".hg", ".svn", "__pycache__", "node_modules", ".venv", ".tox", ".mypy_cache"}
_IGNORED_NAMES = {".DS_Store", "SOURCES.md", "LICENSE", "LICENSE.md", "LICENSE.txt", "NOTICE"}

_LOOP = "symlink loop, not followed"
_OUTSIDE = "symlink points outside the input folder, not followed"


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path | Skipped]:
    """Yield every regular file under ``paths`` in sorted order, or a ``Skipped`` saying why not.

    Inside a folder, a symlink is followed only when its target is a file inside that folder, so an
    input folder cannot smuggle in ``/etc/passwd`` or a home directory; loops and broken links are
    reported. A path named explicitly (file or folder, symlink or not) is read: the user chose it.
    Unreadable folders are reported, never silently dropped.
    """
    for given in paths:
        root = Path(given)
        try:
            root.lstat()
        except FileNotFoundError:
            yield Skipped(path=str(root), reason="no such file or directory")
            continue
        except OSError as exc:
            yield Skipped(path=str(root), reason=f"cannot read: {exc.strerror or exc}")
            continue
        if root.is_symlink():
            target, problem = _resolve(root)
            if target is None:
                yield Skipped(path=str(root), reason=problem)
                continue
        if root.is_dir():
            yield from _walk(root, root.resolve())
        elif root.is_file():
            yield from _check_file(root)
        else:
            yield Skipped(path=str(root), reason="not a regular file or directory")


def _walk(top: Path, base: Path) -> Iterator[Path | Skipped]:
    """Depth-first, each folder's files (sorted) before its subfolders (sorted)."""
    stack = [top]
    while stack:
        here = stack.pop()
        try:
            with os.scandir(here) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            yield Skipped(path=str(here), reason=f"cannot read folder: {exc.strerror or exc}")
            continue
        subdirs: list[Path] = []
        for entry in entries:
            path = here / entry.name
            try:
                is_link = entry.is_symlink()
                is_dir = not is_link and entry.is_dir(follow_symlinks=False)
            except OSError as exc:
                yield Skipped(path=str(path), reason=f"cannot read: {exc.strerror or exc}")
                continue
            if is_dir:
                if entry.name not in _IGNORED_DIRS:
                    subdirs.append(path)
                continue
            if entry.name in _IGNORED_NAMES or entry.name.startswith("."):
                continue
            if is_link:
                yield from _check_link(path, base)
            else:
                yield from _check_file(path)
        stack.extend(reversed(subdirs))


def _check_link(path: Path, base: Path) -> Iterator[Path | Skipped]:
    target, problem = _resolve(path)
    if target is None:
        yield Skipped(path=str(path), reason=problem)
    elif not _inside(target, base):
        yield Skipped(path=str(path), reason=_OUTSIDE)
    elif target.is_dir():
        yield Skipped(path=str(path), reason="symlinked folder inside the input, read via its real path")
    else:
        yield from _check_file(path)


def _resolve(path: Path) -> tuple[Path | None, str]:
    """A symlink's final target, or None and why not (loop, broken)."""
    try:
        return path.resolve(strict=True), ""
    except RuntimeError:  # Python < 3.13 reports a loop this way
        return None, _LOOP
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return None, _LOOP
        if isinstance(exc, FileNotFoundError):
            return None, "broken symlink"
        return None, f"cannot follow symlink: {exc.strerror or exc}"


def _check_file(path: Path) -> Iterator[Path | Skipped]:
    try:
        st = path.stat()
    except OSError as exc:
        yield Skipped(path=str(path), reason=f"cannot stat: {exc.strerror or exc}")
        return
    if not stat.S_ISREG(st.st_mode):
        yield Skipped(path=str(path), reason="not a regular file (device, socket or pipe)")
        return
    if st.st_size > MAX_FILE_BYTES:
        yield Skipped(
            path=str(path), reason=f"file of {st.st_size >> 20} MiB exceeds the {MAX_FILE_BYTES >> 20} MiB limit"
        )
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
