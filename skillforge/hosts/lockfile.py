"""Read and write ``skills-lock.json`` safely, and hash installed skill folders.

The project lock lives in the project root, the global one in the skillforge home. Writers hold an
inter-process file lock (kept in the skillforge home, so projects get no stray ``.lock`` files) and
replace the file atomically, so a crash never leaves a half-written lock.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from skillforge import config
from skillforge.errors import HostError
from skillforge.hosts.archives import SKIP_DIRS, SKIP_FILES
from skillforge.hosts.limits import COPY_CHUNK
from skillforge.models.lock import LOCK_FILENAME, LockEntry, LockFile, Scope


def lock_path(scope: Scope, project: Path | None) -> Path:
    """``<project>/skills-lock.json`` or ``<skillforge home>/skills-lock.json``."""
    if scope == "global":
        return config.home() / LOCK_FILENAME
    if project is None:
        raise HostError("a project install needs a project folder")
    return project / LOCK_FILENAME


def scope_base(scope: Scope, project: Path | None) -> Path:
    """The folder lock paths are relative to: the project root, or the home folder."""
    return Path.home() if scope == "global" else (project or Path.cwd())


def read_lock(path: Path) -> LockFile:
    """The lock at ``path`` (empty when missing); another tool's lock is refused, never overwritten."""
    if not path.exists():
        return LockFile()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HostError(f"lock file is unreadable: {exc}", path=path, hint="fix or delete it") from None
    if not isinstance(data, dict) or data.get("generator") != "skillforge":
        raise HostError(
            "lock file was not written by skillforge",
            path=path,
            hint="another tool (e.g. `npx skills`) uses the same name; move it aside to use skillforge here",
        )
    try:
        return LockFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = "/".join(map(str, first["loc"]))
        raise HostError(f"lock file is invalid at {where}: {first['msg']}", path=path) from None


def render_lock(lock: LockFile) -> bytes | None:
    """The bytes of the lock file (entries sorted, keys sorted), or None when it holds no entry."""
    if not lock.skills:
        return None
    lock = lock.model_copy(update={"skills": sorted(lock.skills, key=LockEntry.key)})
    text = json.dumps(lock.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    return text.encode("utf-8")


@contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold the inter-process lock that guards ``path`` (one writer per lock file at a time)."""
    from filelock import FileLock, Timeout

    locks = config.home() / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]
    try:
        with FileLock(str(locks / f"install-{digest}.lock"), timeout=60):
            yield
    except Timeout:
        raise HostError(
            "another skillforge install is still running", path=path, hint="wait and retry"
        ) from None


def hash_tree(root: Path) -> str:
    """``sha256:<hex>`` over the sorted (relative POSIX path, content) pairs of every file under ``root``.

    Symlinks are followed (a ``--link`` install hashes what the link shows the host); folders
    themselves and file modes do not count, so a copy and its original hash the same.
    """
    digest = hashlib.sha256()
    for rel, file in sorted(_files(root)):
        with file.open("rb") as handle:  # streamed: an installed folder may hold anything
            size = os.fstat(handle.fileno()).st_size
            digest.update(rel.encode("utf-8") + b"\0" + str(size).encode() + b"\0")
            while chunk := handle.read(COPY_CHUNK):
                digest.update(chunk)
    return "sha256:" + digest.hexdigest()


def _files(root: Path) -> Iterator[tuple[str, Path]]:
    # The same folders and files copy_skill_tree skips, so a --link install of a working folder
    # (with .git, __pycache__) hashes like the copy that was validated.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = sorted(d for d in dirnames if d not in SKIP_DIRS)
        for name in filenames:
            if name in SKIP_FILES:
                continue
            file = Path(dirpath) / name
            yield file.relative_to(root).as_posix(), file


def to_lock_path(path: Path, scope: Scope, project: Path | None) -> str:
    """How ``path`` is written in the lock: relative to the project, ``~/…`` under home, else absolute."""
    base = scope_base(scope, project).resolve()
    absolute = path.parent.resolve() / path.name  # keep a final symlink unresolved
    try:
        rel = absolute.relative_to(base).as_posix()
    except ValueError:
        return absolute.as_posix()
    return f"~/{rel}" if scope == "global" else rel


def from_lock_path(text: str, scope: Scope, project: Path | None) -> Path:
    """Inverse of :func:`to_lock_path`."""
    if text.startswith("~/"):
        return Path.home() / text[2:]
    path = Path(text)
    return path if path.is_absolute() else scope_base(scope, project) / path
