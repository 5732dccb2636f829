"""Unpack skill archives (.zip, .skill, .tar.gz, .tgz, .tar) and copy skill trees without escaping them.

Every member name is checked before anything is written: absolute paths, drive letters, ``..``
components, device files and links that point outside the skill are refused (zip-slip, tar-slip),
and size and file-count limits stop archive bombs. Links that stay inside the skill are written as
plain copies of what they point to, so an installed skill never contains a symlink.
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

ARCHIVE_SUFFIXES = (".zip", ".skill", ".tar.gz", ".tgz", ".tar")
MAX_FILES = 5_000
MAX_TOTAL_BYTES = 100 * 1024 * 1024
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
        _check_budget(archive, len(infos), sum(i.file_size for i in infos))
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
        _check_budget(archive, len(members), sum(m.size for m in members if m.isfile()))
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


def _check_budget(archive: Path, count: int, total: int) -> None:
    if count > MAX_FILES:
        raise InputError(f"archive has {count} members (limit {MAX_FILES})", path=archive)
    if total > MAX_TOTAL_BYTES:
        raise InputError(f"archive unpacks to {total} bytes (limit {MAX_TOTAL_BYTES})", path=archive)


def _materialize_links(links: dict[PurePosixPath, str], dest: Path, archive: Path) -> None:
    """Replace each in-archive link by a copy of its target; refuse links that leave the skill."""
    root = dest.resolve()
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
        out = dest / rel
        out.parent.mkdir(parents=True, exist_ok=True)
        if resolved.is_dir():
            shutil.copytree(resolved, out)
        else:
            shutil.copyfile(resolved, out)


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def copy_skill_tree(src: Path, dest: Path) -> None:
    """Copy a skill folder to ``dest`` (must not exist), following only links that stay inside ``src``.

    Raises ``InputError`` for a link out of the skill, a device file, a link loop, or a tree over
    the limits. Version-control and cache folders are skipped.
    """
    root = src.resolve()
    budget = [0, 0]  # files, bytes
    _copy_dir(root, dest, root, src, budget, depth=0)


def _copy_dir(current: Path, out_dir: Path, root: Path, src: Path, budget: list[int], depth: int) -> None:
    if depth > 32:
        raise InputError("skill folder nests too deep (a symlink loop?)", path=src)
    out_dir.mkdir(parents=True, exist_ok=True)
    for entry in sorted(current.iterdir()):
        if entry.name in SKIP_DIRS or entry.name in SKIP_FILES:
            continue
        source = _checked_link(entry, root, src) if entry.is_symlink() else entry
        mode = source.stat().st_mode
        if stat.S_ISDIR(mode):
            _copy_dir(source, out_dir / entry.name, root, src, budget, depth + 1)
            continue
        if not stat.S_ISREG(mode):
            raise InputError(f"not a regular file: {entry.relative_to(root)}", path=src)
        budget[0] += 1
        budget[1] += source.stat().st_size
        if budget[0] > MAX_FILES or budget[1] > MAX_TOTAL_BYTES:
            raise InputError(
                f"skill folder is too large (limits: {MAX_FILES} files, {MAX_TOTAL_BYTES} bytes)", path=src
            )
        shutil.copy2(source, out_dir / entry.name)


def _checked_link(entry: Path, root: Path, src: Path) -> Path:
    target = entry.resolve()
    if not _inside(target, root):
        raise InputError(
            f"symlink {entry.relative_to(root)} points outside the skill ({os.readlink(entry)})",
            path=src,
            hint="copy the file into the skill folder instead",
        )
    if not target.exists():
        raise InputError(f"symlink {entry.relative_to(root)} points to nothing", path=src)
    return target
