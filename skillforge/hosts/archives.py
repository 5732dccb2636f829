"""Unpack skill archives (.zip, .skill, .tar.gz, .tgz, .tar) and copy skill trees without escaping them.

Every member name is checked before anything is written: absolute paths, drive letters, ``..``
components, device files and links that point outside the skill are refused (zip-slip, tar-slip),
and the size and file-count limits of ``limits.py`` (checked from metadata before anything is read)
stop archive bombs. Links that stay inside the skill are written as plain copies of what they point
to, so an installed skill never contains a symlink; hard-linked files are refused.
"""

from __future__ import annotations

import os
import posixpath
import shutil
import stat
import tarfile
import zipfile
from pathlib import Path, PurePosixPath

from skillforge.errors import InputError
from skillforge.hosts.limits import MAX_DEPTH, MAX_FILE_BYTES, MAX_FILES, MAX_SKILL_BYTES, Budget, copy_file

ARCHIVE_SUFFIXES = (".zip", ".skill", ".tar.gz", ".tgz", ".tar")
# Copied skill folders skip version-control and cache litter.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules"})
SKIP_FILES = frozenset({".DS_Store", "Thumbs.db"})


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(suffix) for suffix in ARCHIVE_SUFFIXES)


def safe_member(name: str, archive: Path) -> PurePosixPath | None:
    """The member's relative path, or None for the archive root; raise for anything that could escape."""
    text = name.replace("\\", "/")
    if text.startswith("/") or (len(text) > 1 and text[1] == ":"):
        raise InputError(
            f"archive member has an absolute path: {name!r}", path=archive, hint="refusing to unpack"
        )
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InputError(
            f"archive member escapes the skill with '..': {name!r}", path=archive, hint="refusing to unpack"
        )
    return PurePosixPath(*parts) if parts else None


def extract(archive: Path, dest: Path) -> None:
    """Unpack ``archive`` into the empty folder ``dest``; refuse the whole archive on the first bad member."""
    try:
        if archive.name.lower().endswith((".zip", ".skill")):
            _extract_zip(archive, dest)
        else:
            _extract_tar(archive, dest)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError) as exc:
        raise InputError(f"not a readable archive: {exc}", path=archive) from None


def _extract_zip(archive: Path, dest: Path) -> None:
    links: dict[PurePosixPath, str] = {}
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        _check_budget(archive, [(i.filename, i.file_size) for i in infos])
        for info in infos:
            rel = safe_member(info.filename, archive)
            if rel is None:
                continue
            mode = info.external_attr >> 16
            if stat.S_ISLNK(mode):
                links[rel] = zf.read(info).decode("utf-8", "replace")
            elif info.is_dir():
                (dest / rel).mkdir(parents=True, exist_ok=True)
            else:
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                with zf.open(info) as src, target.open("wb") as out:
                    shutil.copyfileobj(src, out)
    _materialize_links(links, dest, archive)


def _extract_tar(archive: Path, dest: Path) -> None:
    links: dict[PurePosixPath, str] = {}
    with tarfile.open(archive) as tf:
        members = tf.getmembers()
        _check_budget(archive, [(m.name, m.size if m.isfile() else 0) for m in members])
        for member in members:
            rel = safe_member(member.name, archive)
            if rel is None:
                continue
            if member.issym():
                links[rel] = member.linkname
            elif member.islnk():
                # A hard link names another member; resolve it relative to the archive root.
                if safe_member(member.linkname, archive) is None:
                    raise InputError(f"hard link to the archive root: {member.name!r}", path=archive)
                links[rel] = posixpath.relpath(member.linkname, str(rel.parent) or ".")
            elif member.isdir():
                (dest / rel).mkdir(parents=True, exist_ok=True)
            elif member.isfile():
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                src = tf.extractfile(member)
                if src is None:
                    raise InputError(f"cannot read archive member {member.name!r}", path=archive)
                with src, target.open("wb") as out:
                    shutil.copyfileobj(src, out)
            else:
                raise InputError(f"archive member is a device or pipe: {member.name!r}", path=archive)
    _materialize_links(links, dest, archive)


def _check_budget(archive: Path, members: list[tuple[str, int]]) -> None:
    """Refuse an archive by its declared sizes, before anything is unpacked."""
    if len(members) > MAX_FILES:
        raise InputError(f"archive has {len(members)} members (limit {MAX_FILES})", path=archive)
    for name, size in members:
        if size > MAX_FILE_BYTES:
            raise InputError(
                f"archive member {name!r} unpacks to {size} bytes (per-file limit {MAX_FILE_BYTES})",
                path=archive,
            )
    total = sum(size for _, size in members)
    if total > MAX_SKILL_BYTES:
        raise InputError(f"archive unpacks to {total} bytes (limit {MAX_SKILL_BYTES})", path=archive)


def _materialize_links(links: dict[PurePosixPath, str], dest: Path, archive: Path) -> None:
    """Replace each in-archive link by a copy of its target; refuse links that leave the skill."""
    root = dest.resolve()
    copied = 0
    for rel, target in sorted(links.items()):
        if target.startswith("/") or "\\" in target or (len(target) > 1 and target[1] == ":"):
            raise InputError(f"symlink {str(rel)!r} points outside the skill ({target})", path=archive)
        resolved = Path(os.path.normpath(root / rel.parent / target))
        if not _inside(resolved, root):
            raise InputError(f"symlink {str(rel)!r} points outside the skill ({target})", path=archive)
        if not resolved.exists():
            raise InputError(
                f"symlink {str(rel)!r} points to nothing inside the skill ({target})", path=archive
            )
        # every copy counts against the skill's size: a thousand links to one big member are a bomb
        copied += sum(p.stat().st_size for p in [resolved, *resolved.rglob("*")] if p.is_file())
        if copied > MAX_SKILL_BYTES:
            raise InputError(f"archive links unpack to over {MAX_SKILL_BYTES} bytes", path=archive)
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if resolved.is_dir():
            shutil.copytree(resolved, out)
        else:
            shutil.copyfile(resolved, out)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def copy_skill_tree(src: Path, dest: Path, *, label: str | Path | None = None) -> None:
    """Copy a skill folder to ``dest`` (must not exist), following only links that stay inside ``src``.

    Raises ``InputError`` (naming ``label``, default ``src``) for a link out of the skill, a device
    file, a hard-linked file, a link loop, or a tree over the limits in ``limits.py``. Sizes are
    checked from ``stat`` before a byte is read; files are copied in chunks. Version-control and
    cache folders are skipped.
    """
    root = src.resolve()
    where = label if label is not None else src
    _copy_dir(root, dest, root, where, Budget(where), depth=0)


def _copy_dir(
    current: Path, out_dir: Path, root: Path, where: str | Path, budget: Budget, depth: int
) -> None:
    if depth > MAX_DEPTH:
        raise InputError(f"skill folder nests deeper than {MAX_DEPTH} levels (a symlink loop?)", path=where)
    out_dir.mkdir(parents=True, exist_ok=True)
    for entry in sorted(current.iterdir()):
        if entry.name in SKIP_DIRS or entry.name in SKIP_FILES:
            continue
        source = _checked_link(entry, root, where) if entry.is_symlink() else entry
        info = source.stat()
        rel = entry.relative_to(root).as_posix() if root in entry.parents else entry.name
        if stat.S_ISDIR(info.st_mode):
            _copy_dir(source, out_dir / entry.name, root, where, budget, depth + 1)
            continue
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"not a regular file: {rel}", path=where)
        budget.add(rel, info)
        copy_file(source, out_dir / entry.name, rel, where)


def _checked_link(entry: Path, root: Path, where: str | Path) -> Path:
    target = entry.resolve()
    if not _inside(target, root):
        raise InputError(
            f"symlink {entry.relative_to(root)} points outside the skill ({os.readlink(entry)})",
            path=where,
            hint="copy the file into the skill folder instead",
        )
    if not target.exists():
        raise InputError(f"symlink {entry.relative_to(root)} points to nothing", path=where)
    return target
