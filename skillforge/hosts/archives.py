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
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from skillforge.errors import InputError
from skillforge.hosts.limits import (
    MAX_DEPTH,
    MAX_FILE_BYTES,
    MAX_FILES,
    MAX_SKILL_BYTES,
    MAX_ZIP_DIRECTORY,
    Budget,
    FileNames,
    copy_fd,
    zip_directory,
)

ARCHIVE_SUFFIXES = (".zip", ".skill", ".tar.gz", ".tgz", ".tar")
# Copied skill folders skip version-control and cache litter.
SKIP_DIRS = frozenset({".git", ".hg", ".svn", "__pycache__", "node_modules"})
SKIP_FILES = frozenset({".DS_Store", "Thumbs.db"})


def is_archive(path: Path) -> bool:
    name = path.name.lower()
    return any(name.endswith(suffix) for suffix in ARCHIVE_SUFFIXES)


# What Windows' best-fit code pages (and NFKC-normalizing tools) read as a path separator: "∕", "⁄", "∖",
# besides the fullwidth "／" and "＼" that NFKC folds itself.
_SLASH_TWINS = str.maketrans({"\u2215": "/", "\u2044": "/", "\u2216": "\\"})


def safe_member(name: str, archive: Path) -> PurePosixPath | None:
    """The member's relative path, or None for the archive root; raise for anything that could escape.

    The name is also judged as NFKC reads it: "．．／x" or "‥/x" is "../x" to a tool that normalizes names
    and to Windows' best-fit code pages."""
    text = name.replace("\\", "/")
    folded = unicodedata.normalize("NFKC", name.translate(_SLASH_TWINS)).replace("\\", "/")
    if any(t.startswith("/") or (len(t) > 1 and t[1] == ":") for t in (text, folded)):
        raise InputError(
            f"archive member has an absolute path: {name!r}", path=archive, hint="refusing to unpack"
        )
    parts = [p for p in text.split("/") if p not in ("", ".")]
    if ".." in parts or ".." in folded.split("/"):
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
    except OSError as exc:  # a member this system cannot write: a name too long, a file where a folder is
        where = Path(str(exc.filename or ""))
        member = where.relative_to(dest).as_posix() if dest in where.parents else "the archive"
        raise InputError(
            f"cannot unpack {member}: {exc.strerror or exc}", path=archive, hint="rebuild the archive"
        ) from None


def _extract_zip(archive: Path, dest: Path) -> None:
    links: dict[PurePosixPath, str] = {}
    _check_zip_directory(archive)
    with zipfile.ZipFile(archive) as zf:
        infos = zf.infolist()
        _check_budget(archive, [(i.filename, i.file_size) for i in infos])
        names = FileNames(archive)
        for info in infos:
            rel = safe_member(info.filename, archive)
            if rel is None:
                continue
            names.add(str(rel), folder=info.is_dir())
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
        members = _tar_members(tf, archive)
        _check_budget(archive, [(m.name, m.size if m.isfile() else 0) for m in members])
        names = FileNames(archive)
        for member in members:
            rel = safe_member(member.name, archive)
            if rel is None:
                continue
            names.add(str(rel), folder=member.isdir())
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


def _check_zip_directory(archive: Path) -> None:
    """Refuse a zip by what its end record declares, before ``zipfile`` reads its whole member list."""
    declared = zip_directory(archive)
    if declared is None:
        return
    members, size = declared
    if members > MAX_FILES:
        raise InputError(f"archive has more than {MAX_FILES} members ({members}; limit MAX_FILES)", path=archive)
    if size > MAX_ZIP_DIRECTORY:
        raise InputError(
            f"archive's central directory (its member list) is {size} bytes (limit MAX_ZIP_DIRECTORY, "
            f"{MAX_ZIP_DIRECTORY})",
            path=archive,
        )


def _tar_members(tf: tarfile.TarFile, archive: Path) -> list[tarfile.TarInfo]:
    """The tar's members header by header, refusing the archive at the first one past ``MAX_FILES``.

    Empty members compress to almost nothing, so a small tar.gz holds millions; ``getmembers()``
    would read and keep every header before the count is looked at."""
    members: list[tarfile.TarInfo] = []
    for member in tf:
        members.append(member)
        if len(members) > MAX_FILES:
            raise InputError(f"archive has more than {MAX_FILES} members (limit MAX_FILES)", path=archive)
    return members


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
        if resolved.is_dir() and _inside(Path(os.path.abspath(out)), resolved):
            raise InputError(
                f"symlink {str(rel)!r} points to a folder that contains it ({target}): a link loop",
                path=archive,
                hint="refusing to unpack",
            )
        if out.exists() or out.is_symlink():
            raise InputError(f"archive member {str(rel)!r} is both a link and a file or folder", path=archive)
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            if resolved.is_dir():
                shutil.copytree(resolved, out)
            else:
                shutil.copyfile(resolved, out)
        except (OSError, shutil.Error) as exc:
            raise InputError(f"cannot unpack symlink {str(rel)!r}: {exc}", path=archive) from None


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def copy_skill_tree(src: Path, dest: Path, *, label: str | Path | None = None) -> None:
    """Copy a skill folder to ``dest`` (must not exist), following only links that stay inside ``src``.

    Raises ``InputError`` (naming ``label``, default ``src``) for a link out of the skill, a device
    file, a hard-linked file, a link loop, or a tree over the limits in ``limits.py``. Sizes are
    checked from ``stat`` before a byte is read; files are copied in chunks. Version-control and
    cache folders are skipped.

    The walk holds each folder open and opens its entries relative to it with ``O_NOFOLLOW``, so a
    folder swapped for a symlink while the copy runs is refused instead of followed: no path below
    the skill root is resolved again between the check and the read.
    """
    root = src.resolve()
    where = label if label is not None else src
    try:
        root_fd = os.open(root, _DIR_FLAGS)
    except OSError as exc:
        raise InputError(f"cannot open the skill folder: {exc.strerror}", path=where) from None
    try:
        _copy_dir(root_fd, (), dest, _Walk(root, root_fd, where, Budget(where), dest), depth=0)
    finally:
        os.close(root_fd)


_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | _NOFOLLOW | _CLOEXEC
# O_NONBLOCK: a FIFO swapped in after the type check must not hang the open (fstat then refuses it)
_FILE_FLAGS = os.O_RDONLY | _NOFOLLOW | _CLOEXEC | getattr(os, "O_NONBLOCK", 0)


@dataclass(frozen=True)
class _Walk:
    root: Path  # resolved skill root
    root_fd: int
    where: str | Path
    budget: Budget
    dest: Path  # the copy's root


def _copy_dir(dir_fd: int, parts: tuple[str, ...], out_dir: Path, walk: _Walk, depth: int) -> None:
    """Copy the open folder ``dir_fd`` (at ``root/parts``, no symlink on the way) into ``out_dir``."""
    if depth > MAX_DEPTH:
        raise InputError(
            f"skill folder nests deeper than {MAX_DEPTH} levels (a symlink loop?)", path=walk.where
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    with os.scandir(dir_fd) as entries:
        names = sorted(e.name for e in entries)
    for name in names:
        if name in SKIP_DIRS or name in SKIP_FILES:
            continue
        rel = "/".join((*parts, name))
        try:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            raise InputError(f"{rel} vanished while copying", path=walk.where) from None
        if stat.S_ISLNK(info.st_mode):
            target = _checked_link(walk, parts, name, dir_fd)
            fd = _open_under(walk, target, rel)
            child_parts = target
        else:
            fd = _open_entry(dir_fd, name, info, rel, walk.where)
            child_parts = (*parts, name)
        try:
            opened = os.fstat(fd)
            if stat.S_ISDIR(opened.st_mode):
                _copy_dir(fd, child_parts, out_dir / name, walk, depth + 1)
                continue
            copy_name = (out_dir / name).relative_to(walk.dest).as_posix()
            rel = "/".join(child_parts)  # where the bytes really are (a link's target)
            walk.budget.add(rel, opened, name=copy_name)
            copy_fd(fd, opened, out_dir / name, rel, walk.where)
        finally:
            os.close(fd)


def _open_entry(dir_fd: int, name: str, info: os.stat_result, rel: str, where: str | Path) -> int:
    """Open the folder or regular file ``name`` in ``dir_fd`` without following a link; it must still
    be what ``info`` (its ``lstat``) said, so nothing swapped in after the check is read."""
    if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
        raise InputError(f"not a regular file: {rel}", path=where)
    try:
        fd = os.open(name, _DIR_FLAGS if stat.S_ISDIR(info.st_mode) else _FILE_FLAGS, dir_fd=dir_fd)
    except OSError:
        raise InputError(
            f"{rel} changed while copying (replaced by a symlink?)",
            path=where,
            hint="install again once nothing is changing the folder",
        ) from None
    opened = os.fstat(fd)
    if (opened.st_dev, opened.st_ino) != (info.st_dev, info.st_ino):
        os.close(fd)
        raise InputError(
            f"{rel} changed while copying",
            path=where,
            hint="install again once nothing is changing the folder",
        )
    return fd


def _open_under(walk: _Walk, parts: tuple[str, ...], rel: str) -> int:
    """Open ``root/parts`` one component at a time from the root's descriptor, following no symlink."""
    fd = os.dup(walk.root_fd)
    try:
        for index, name in enumerate(parts):
            try:
                info = os.stat(name, dir_fd=fd, follow_symlinks=False)
            except OSError:
                info = None
            last = index == len(parts) - 1
            if info is None or stat.S_ISLNK(info.st_mode) or (not last and not stat.S_ISDIR(info.st_mode)):
                raise InputError(
                    f"symlink {rel} changed while copying",
                    path=walk.where,
                    hint="install again once nothing is changing the folder",
                )
            child = _open_entry(fd, name, info, rel, walk.where)
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise
    return fd


def _checked_link(walk: _Walk, parts: tuple[str, ...], name: str, dir_fd: int) -> tuple[str, ...]:
    """Where the link ``root/parts/name`` leads, as parts under the root; refuse a link out of it.

    Resolving is only the check; the target is then opened component by component under the root's
    descriptor (``_open_under``), so a link changed in between is refused, not followed.
    """
    rel = "/".join((*parts, name))
    try:
        text = os.readlink(name, dir_fd=dir_fd)
    except OSError:
        raise InputError(f"{rel} changed while copying", path=walk.where) from None
    target = walk.root.joinpath(*parts, name).resolve()
    if not _inside(target, walk.root):
        raise InputError(
            f"symlink {rel} points outside the skill ({text})",
            path=walk.where,
            hint="copy the file into the skill folder instead",
        )
    if not target.exists():
        raise InputError(f"symlink {rel} points to nothing", path=walk.where)
    return target.relative_to(walk.root).parts


def check_linked_tree(root: Path, where: str | Path) -> None:
    """Refuse a folder that ``--link`` would expose beyond what a copy holds.

    A linked host folder shows the whole source, including the folders a copy skips (``.git``,
    ``node_modules``, caches), so every symlink anywhere in the tree must stay inside it, and no
    file may be a hard link (its other name may be a file outside the folder). Nor may it hold a git
    repository whose settings run code (``core.fsmonitor`` runs on the ``git status`` a shell prompt
    does in the host folder): the scan judged a copy, which has no ``.git``.
    """
    from skillforge.scan.vcs import git_dir_findings, is_git_dir  # loaded by the install gate already

    root = root.resolve()
    repos: list[Path] = []  # a repository's own folders (.git/modules/x) are judged with it
    for folder, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(folder)
        rel_folder = here.relative_to(root).as_posix()
        if any(r == here or r in here.parents for r in repos):
            found = []
        else:
            found = git_dir_findings(here, "" if rel_folder == "." else rel_folder, rel_folder)
            repos += [here] if is_git_dir(here) else []
        for finding in found:
            raise InputError(
                f"{finding.file} is a git repository that runs code when git is used in it "
                f"({finding.excerpt}); a linked install would expose it",
                path=where,
                hint="install without --link (a copy leaves .git out), or remove those settings and hooks",
            )
        for name in [*dirnames, *filenames]:
            path = Path(folder, name)
            rel = path.relative_to(root).as_posix()
            info = path.lstat()
            if stat.S_ISLNK(info.st_mode):
                if not _inside(path.resolve(), root):
                    raise InputError(
                        f"symlink {rel} points outside the skill ({os.readlink(path)}); a linked install "
                        "would expose what it points to",
                        path=where,
                        hint="remove the link, or install without --link: a copy skips it",
                    )
            elif stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
                raise InputError(
                    f"{rel} is a hard link; a linked install would expose the file it shares content with",
                    path=where,
                    hint="replace it with a plain copy, or install without --link",
                )
