"""All-or-nothing file operations for installs: place folders, remove them, rewrite files, roll back.

Each new folder is first written to a hidden temporary folder next to its target and then renamed
into place; whatever it replaces is only moved aside. If any step of a multi-host install fails,
everything done so far is undone, so a failed install leaves no half-installed skill behind.
"""

from __future__ import annotations

import errno
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from skillforge.errors import HostError

_READ_ONLY = {errno.EACCES, errno.EPERM, errno.EROFS}


def remove_path(path: Path) -> None:
    """Delete a file, symlink (never its target) or folder; missing is fine."""
    if path.is_symlink() or path.is_file():
        path.unlink()
    elif path.is_dir():
        shutil.rmtree(path)


def _rmdir_if_empty(path: Path) -> Callable[[], None]:
    def undo() -> None:
        if path.is_dir() and not any(path.iterdir()):
            path.rmdir()

    return undo


def os_error(exc: OSError, path: Path, action: str) -> HostError:
    """Translate an OSError into a one-line HostError that says what to do."""
    if exc.errno in _READ_ONLY:
        return HostError(
            f"cannot {action}: the location is read-only", path=path, hint="check its permissions"
        )
    if exc.errno == errno.ENOTDIR:
        return HostError(f"cannot {action}: part of the path is a file, not a folder", path=path)
    return HostError(f"cannot {action}: {exc.strerror or exc}", path=path)


def current_umask() -> int:
    """The process umask, read without changing it where the OS allows (Linux ``/proc``)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    old = os.umask(0o022)  # elsewhere: read by setting and restoring it
    os.umask(old)
    return old


class Transaction:
    """Collects undo and commit steps; use as ``with Transaction() as tx:`` (rolls back on any error)."""

    def __init__(self) -> None:
        self._undo: list[Callable[[], None]] = []
        self._commit: list[Callable[[], None]] = []

    def __enter__(self) -> Transaction:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if kind is None:
            for step in self._commit:
                try:
                    step()
                except OSError:
                    pass  # leftover hidden .skillforge-old-* folders are harmless
        else:
            self.rollback()

    def rollback(self) -> None:
        for step in reversed(self._undo):
            try:
                step()
            except OSError:
                pass  # best effort: keep undoing the rest
        self._undo.clear()
        self._commit.clear()

    def ensure_dir(self, folder: Path) -> None:
        """Create ``folder`` and missing parents; a file in the way or a read-only parent is a HostError."""
        missing = []
        current = folder
        while not current.is_dir():
            if current.exists() or current.is_symlink():
                raise HostError("expected a folder but found a file", path=current, hint="move the file away")
            missing.append(current)
            if current.parent == current:
                break
            current = current.parent
        for path in reversed(missing):
            try:
                path.mkdir()
            except OSError as exc:
                raise os_error(exc, path, "create the folder") from None
            self._undo.append(_rmdir_if_empty(path))

    def place(self, staged: Path, dest: Path, *, link_target: Path | None = None) -> None:
        """Put a copy of ``staged`` (or a symlink to ``link_target``) at ``dest``, replacing what is there."""
        self.ensure_dir(dest.parent)
        token = secrets.token_hex(4)
        tmp = dest.parent / f".{dest.name}.skillforge-tmp-{token}"
        try:
            if link_target is not None:
                os.symlink(link_target, tmp, target_is_directory=True)
            else:
                shutil.copytree(staged, tmp)
        except OSError as exc:
            remove_path(tmp)
            raise os_error(exc, dest.parent, f"write {dest.name}") from None
        old = None
        if dest.exists() or dest.is_symlink():
            old = dest.parent / f".{dest.name}.skillforge-old-{token}"
            try:
                os.rename(dest, old)
            except OSError as exc:
                remove_path(tmp)
                raise os_error(exc, dest, "replace the installed folder") from None
        try:
            os.rename(tmp, dest)
        except OSError as exc:
            if old is not None:
                os.rename(old, dest)
            remove_path(tmp)
            raise os_error(exc, dest, "move the new folder into place") from None

        def undo() -> None:
            remove_path(dest)
            if old is not None:
                os.rename(old, dest)

        self._undo.append(undo)
        if old is not None:
            self._commit.append(lambda: remove_path(old))

    def remove(self, dest: Path) -> None:
        """Remove ``dest`` (a folder or a symlink); restored if the transaction rolls back."""
        if not (dest.exists() or dest.is_symlink()):
            return
        old = dest.parent / f".{dest.name}.skillforge-old-{secrets.token_hex(4)}"
        try:
            os.rename(dest, old)
        except OSError as exc:
            raise os_error(exc, dest, "remove the installed folder") from None
        self._undo.append(lambda: os.rename(old, dest))
        self._commit.append(lambda: remove_path(old))

    def write_file(self, path: Path, data: bytes | None) -> None:
        """Atomically replace ``path`` with ``data`` (None deletes it); rollback restores the old bytes."""
        before = path.read_bytes() if path.is_file() else None
        if data == before:
            return
        try:
            if data is None:
                path.unlink(missing_ok=True)
            else:
                self.ensure_dir(path.parent)
                mode = (path.stat().st_mode & 0o777) if path.is_file() else 0o666 & ~current_umask()
                fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
                with os.fdopen(fd, "wb") as handle:
                    handle.write(data)
                    os.fchmod(handle.fileno(), mode)  # mkstemp makes 0600; a lock or AGENTS.md is shared
                os.replace(tmp, path)
        except OSError as exc:
            raise os_error(exc, path, "write the file") from None

        def undo() -> None:
            if before is None:
                path.unlink(missing_ok=True)
            else:
                path.write_bytes(before)

        self._undo.append(undo)
