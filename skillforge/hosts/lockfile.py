"""Read and write ``skills-lock.json`` safely, and hash installed skill folders.

The project lock lives in the project root, the global one in the skillforge home. Writers hold an
inter-process file lock (kept in the skillforge home, so projects get no stray ``.lock`` files) and
replace the file atomically, so a crash never leaves a half-written lock.
"""

from __future__ import annotations

import hashlib
import json
import os
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from skillforge import config
from skillforge.errors import HostError
from skillforge.hosts.archives import SKIP_DIRS, SKIP_FILES
from skillforge.hosts.fsops import Transaction
from skillforge.hosts.limits import COPY_CHUNK
from skillforge.models.lock import (
    LOCK_FILENAME,
    LOCKFILE_VERSION,
    SIDECAR,
    Install,
    Lock,
    LockEntry,
    LockSource,
    OwnerData,
    OwnerFile,
    Scope,
)


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


def sidecar_path(lp: Path) -> Path:
    """skillforge's own lock beside ``lp``: ``<project>/.skillforge/lock.json`` (global: ``<home>/lock.json``)."""
    if lp.parent == config.home():
        return lp.parent / "lock.json"
    return lp.parent / SIDECAR


def read_lock(path: Path) -> Lock:
    """The lock at ``path`` (empty when missing) with skillforge's sidecar, or skillforge's old shape.

    Entries of other tools are kept as read (``Lock.raw``); an old-shape skillforge lock is
    migrated in memory and written in the shared shape on the next change (``Lock.notice`` says so).
    """
    lock = Lock()
    if path.exists():
        data = _load(path)
        if isinstance(data, dict) and data.get("generator") == "skillforge":
            return _migrate(data, path)
        if not isinstance(data, dict) or data.get("version") != LOCKFILE_VERSION or not isinstance(
            data.get("skills"), dict
        ):
            raise HostError(
                "lock file is not a version 1 skills-lock.json",
                path=path,
                hint='expected {"version": 1, "skills": {...}} (the shape the `skills` CLI writes); fix or move it',
            )
        for name, raw in data["skills"].items():
            if not isinstance(raw, dict):
                raise HostError(f"lock file entry {name!r} is not an object", path=path)
            lock.raw[name] = raw
    side = sidecar_path(path)
    check_lock_dir(side, path.parent)
    if side.exists():
        try:
            owned = OwnerFile.model_validate(_load(side))
        except ValidationError as exc:
            raise _invalid(exc, side) from None
        for name, data in owned.skills.items():
            for install in data.installs:
                fields = install.model_dump()
                fields["source"] = _absolute_source(install.source, path.parent)
                lock.skills.append(LockEntry(name=name, **fields))
    lock.skills.sort(key=LockEntry.key)
    return lock


def _load(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HostError(f"lock file is unreadable: {exc}", path=path, hint="fix or delete it") from None


def _invalid(exc: ValidationError, path: Path, prefix: tuple[str, ...] = ()) -> HostError:
    first = exc.errors()[0]
    where = "/".join(map(str, prefix + tuple(first["loc"])))
    return HostError(f"lock file is invalid at {where}: {first['msg']}", path=path)


def _migrate(data: dict[str, Any], path: Path) -> Lock:
    """An old skillforge lock (``generator``, ``lockfile_version``, a list of entries) as a :class:`Lock`."""
    entries = data.get("skills")
    if not isinstance(entries, list):
        raise HostError("lock file is invalid at skills: not a list", path=path)
    lock = Lock(notice=f"{path}: migrated skillforge's old lock to the shared skills-lock.json (+ {SIDECAR})")
    for index, item in enumerate(entries):
        try:
            lock.skills.append(LockEntry.model_validate(item))
        except ValidationError as exc:
            raise _invalid(exc, path, ("skills", str(index))) from None
    lock.skills.sort(key=LockEntry.key)
    lock.touched = {e.name for e in lock.skills}
    return lock


def write_lock(tx: Transaction, lock: Lock, lp: Path) -> None:
    """Write ``skills-lock.json`` and the sidecar in ``tx`` (a file left with no entry is deleted)."""
    side = sidecar_path(lp)
    check_lock_dir(side, lp.parent)
    tx.write_file(lp, render_lock(lock, lp))
    tx.write_file(side, render_sidecar(lock, lp))


def check_lock_dir(path: Path, base: Path) -> None:
    """Refuse a lock file whose folder resolves, through a symlink, outside ``base`` (the project, or
    skillforge's home for the global lock): a symlinked ``.skillforge`` must not redirect the write."""
    real = path.parent.resolve()
    root = base.resolve()
    if real != root and root not in real.parents:
        raise HostError(
            f"the lock file's folder resolves to {real}, outside {root}; refusing to read or write it there",
            path=path,
            hint=f"replace the symlink {path.parent} with a real folder",
        )


def render_lock(lock: Lock, path: Path) -> bytes | None:
    """The bytes of ``skills-lock.json`` at ``path``, or None when it holds no entry at all.

    Names are sorted and entries keep the ``skills`` CLI's key order, so either tool rewriting the
    file changes only what changed. Entries this operation did not touch are written back as read.
    """
    by_name = _by_name(lock)
    out: dict[str, dict[str, Any]] = {}
    for name in sorted(set(by_name) | set(lock.raw)):
        raw = lock.raw.get(name)
        if name in by_name and (name in lock.touched or raw is None):
            out[name] = _shared_entry(name, by_name[name], raw or {}, path.parent)
        elif raw is not None and name not in lock.touched:
            out[name] = raw
    if not out:
        return None
    text = json.dumps({"version": LOCKFILE_VERSION, "skills": out}, indent=2, ensure_ascii=False) + "\n"
    return text.encode("utf-8")


def render_sidecar(lock: Lock, path: Path) -> bytes | None:
    """The bytes of skillforge's sidecar for the lock at ``path`` (keys sorted), or None when empty."""
    skills = {}
    for name, entries in _by_name(lock).items():
        installs = []
        for entry in entries:
            fields = entry.model_dump(mode="json", exclude={"name"})
            fields["source"] = _portable_source(entry.source, path.parent).model_dump(mode="json")
            installs.append(Install.model_validate(fields))
        skills[name] = OwnerData(installs=installs)
    if not skills:
        return None
    data = OwnerFile(skills=skills).model_dump(mode="json")
    return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


def _by_name(lock: Lock) -> dict[str, list[LockEntry]]:
    by_name: dict[str, list[LockEntry]] = {}
    for entry in sorted(lock.skills, key=LockEntry.key):
        by_name.setdefault(entry.name, []).append(entry)
    return by_name


def _shared_entry(name: str, entries: list[LockEntry], raw: dict[str, Any], base: Path) -> dict[str, Any]:
    """The shared entry for ``name``: the ``skills`` CLI's fields from the newest install."""
    newest = max(entries, key=lambda e: (e.installed_at, e.host))
    source = _portable_source(newest.source, base)
    shared: dict[str, Any] = {"source": source.ref}
    kind = newest.source.kind
    if kind == "path":
        shared["sourceType"] = "local"
    elif kind == "git":
        shared["sourceType"] = "git"
        if newest.source.subdir:
            shared["skillPath"] = f"{newest.source.subdir}/SKILL.md"
    else:  # the skills CLI cannot fetch these; the entry still lists the skill for both tools
        shared["sourceType"] = "skillforge"
        if kind == "registry":
            shared["source"] = f"{name}@{newest.version}" if newest.version else name
        elif newest.source.subdir:
            shared["source"] = f"{source.ref}#{newest.source.subdir}"
    shared["computedHash"] = newest.computed_hash or ""
    # Keys another tool added to this entry stay (the skills CLI's own fields are ours to rewrite).
    rest = {k: v for k, v in raw.items() if k not in _SHARED_KEYS}
    return {**shared, **rest}


_SHARED_KEYS = frozenset({"source", "sourceUrl", "ref", "sourceType", "skillPath", "computedHash"})


def _portable_source(source: LockSource, base: Path) -> LockSource:
    """A local source inside ``base`` (the lock's folder) as ``./relative``, so a clone elsewhere works."""
    if source.kind not in ("path", "archive") or not Path(source.ref).is_absolute():
        return source
    try:
        rel = Path(os.path.abspath(source.ref)).relative_to(Path(os.path.abspath(base)))
    except ValueError:
        return source
    return source.model_copy(update={"ref": "./" + rel.as_posix() if rel.parts else "."})


def _absolute_source(source: LockSource, base: Path) -> LockSource:
    """Inverse of :func:`_portable_source`."""
    if source.kind not in ("path", "archive") or Path(source.ref).is_absolute():
        return source
    return source.model_copy(update={"ref": os.path.abspath(base / source.ref)})


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


def skills_cli_hash(root: Path) -> str:
    """The ``skills`` CLI's ``computedHash``: sha256 hex over (relative path, content) of every file.

    Same files and order as skills@1.5.26 ``computeSkillFolderHash``: ``.git`` and ``node_modules``
    skipped, symlinks followed, paths sorted with JavaScript ``localeCompare`` (see :func:`js_locale_key`)
    and fed in with no separator.
    """
    files = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames[:] = [d for d in dirnames if d not in (".git", "node_modules")]
        files += [Path(dirpath, name) for name in filenames]
    digest = hashlib.sha256()
    for file in sorted(files, key=lambda f: js_locale_key(f.relative_to(root).as_posix())):
        digest.update(file.relative_to(root).as_posix().encode("utf-8"))
        with file.open("rb") as handle:
            while chunk := handle.read(COPY_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


# ICU root collation order of printable ASCII, as Node 20's String.prototype.localeCompare sorts it
# (measured): punctuation, then digits, then letters, case ignored at first.
_ICU_ASCII = " _-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$0123456789abcdefghijklmnopqrstuvwxyz"
_ICU_RANK = {ch: i for i, ch in enumerate(_ICU_ASCII)}


def js_locale_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...], tuple[int, ...]]:
    """A sort key that orders file paths as JavaScript ``a.localeCompare(b)`` does (ICU root).

    Three levels, as ICU compares them: base characters (case and accents ignored), then accents,
    then case (lowercase first). Exact for ASCII paths; other characters sort after ASCII by code point.
    """
    primary: list[int] = []
    secondary: list[int] = []
    tertiary: list[int] = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.combining(ch):
            secondary[-1:] = [ord(ch)] if secondary else []
            continue
        low = ch.lower()
        primary.append(_ICU_RANK.get(low, len(_ICU_ASCII) + ord(low)))
        secondary.append(0)
        tertiary.append(1 if ch != low else 0)
    return tuple(primary), tuple(secondary), tuple(tertiary)


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
