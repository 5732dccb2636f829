"""Archives (.zip, .skill, .tar, .tar.gz, ...) scanned without unpacking: member names, links, modes, contents."""

from __future__ import annotations

import posixpath
import stat
import tarfile
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path, PurePosixPath
from typing import IO

from skillforge.models.scan import Finding
from skillforge.scan import rules, vcs
from skillforge.scan.content import scan_text
from skillforge.scan.skill_names import NameClashes, hidden_name
from skillforge.scan.text import MAX_SCANNED_BYTES, decode, is_executable, is_media, text_chunks, visible

ARCHIVE_SUFFIXES = (".zip", ".skill", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
MAX_MEMBER_BYTES = 5 << 20
MAX_TOTAL_BYTES = 100 << 20
MAX_MEMBERS = 5_000


def is_archive(path: Path) -> bool:
    return path.name.lower().endswith(ARCHIVE_SUFFIXES)


# What Windows' best-fit code pages (and NFKC-normalizing tools) read as a path separator: "∕", "⁄", "∖",
# besides the fullwidth "／" and "＼" that NFKC folds itself.
_SLASH_TWINS = str.maketrans({"\u2215": "/", "\u2044": "/", "\u2216": "\\"})


def member_escapes(name: str) -> str | None:
    """Why extracting a member called ``name`` could write outside the target folder, or None.

    The name is judged as written and as NFKC reads it ("．．／x" and "‥/x" are "../x" there)."""
    for text in (name, unicodedata.normalize("NFKC", name.translate(_SLASH_TWINS))):
        text = text.replace("\\", "/")
        if text.startswith("/"):
            return "absolute path"
        if len(text) > 1 and text[1] == ":":
            return "drive-letter path"
        if ".." in text.split("/"):
            return "'..' component"
    return None


def link_escapes(member: str, target: str) -> str | None:
    """Why a link at ``member`` pointing to ``target`` leaves the archive's root, or None."""
    reason = member_escapes(target)
    if reason and reason != "'..' component":
        return f"link to an {reason}"
    joined = posixpath.normpath(posixpath.join(posixpath.dirname(member.replace("\\", "/")), target))
    if joined == ".." or joined.startswith(("../", "/")):
        return f"link pointing outside ({target})"
    return None


def scan_archive(path: Path, display: str) -> list[Finding]:
    """Findings for every risky member of an archive plus content findings for its text members."""
    try:
        return list(_scan(path, display))
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError) as exc:
        return [rules.make("binary-file", display, excerpt=f"unreadable archive: {exc}", severity="medium")]


def _scan(path: Path, display: str) -> Iterator[Finding]:
    if path.name.lower().endswith((".zip", ".skill")):
        yield from _scan_zip(path, display)
    else:
        yield from _scan_tar(path, display)


def _member_findings(
    name: str, display: str, mode: int, size: int, names: NameClashes, *, folder: bool = False
) -> Iterator[Finding]:
    where = f"{display}!{name}"
    reason = member_escapes(name)
    if reason:
        yield rules.make("archive-traversal", where, excerpt=f"{reason}: {visible(name)}")
    else:
        # as install reads the name: '.' and empty parts dropped ('./a//b' is 'a/b'), the root itself skipped
        rel = "/".join(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))
        if rel:
            yield from names.check(rel, where, folder=folder)
    yield from hidden_name(name, where)
    if size > MAX_MEMBER_BYTES:
        unread = size > MAX_SCANNED_BYTES  # content past that is not scanned: high, as for a folder's file
        yield rules.make("oversized-file", where, excerpt=f"{size} bytes unpacked", severity="high" if unread else None)
    parts = PurePosixPath(name.replace("\\", "/")).parts
    if stat.S_ISREG(mode) and mode & 0o111 and "scripts" not in parts:
        yield rules.make("unexpected-exec-bit", where, excerpt=f"mode {stat.filemode(mode)}")


def _content(name: str, display: str, fh: IO[bytes]) -> Iterator[Finding]:
    where = f"{display}!{name}"
    data = fh.read(MAX_MEMBER_BYTES)
    if is_executable(data):
        yield rules.make("binary-executable", where, excerpt="compiled executable")
        return
    text = decode(data)
    if text is None:
        if "assets" not in PurePosixPath(name).parts:
            media = is_media(data)
            yield rules.make(
                "binary-file",
                where,
                severity="low" if media else None,
                excerpt="image, font or document" if media else "binary content",
            )
        return
    # A long member is scanned to its end (up to MAX_SCANNED_BYTES), chunk by chunk.
    for before, chunk in text_chunks(data, fh.read):
        for finding in scan_text(name, chunk, file=where):
            yield finding.model_copy(update={"line": finding.line + before}) if finding.line else finding


def _scan_zip(path: Path, display: str) -> Iterator[Finding]:
    # Function-level crossing into hosts: limits.py imports only ``errors``.
    from skillforge.hosts.limits import MAX_ZIP_DIRECTORY, zip_directory

    members, size = zip_directory(path) or (0, 0)
    if members > MAX_MEMBERS or size > MAX_ZIP_DIRECTORY:
        # zipfile would read the whole member list into memory on opening: judged from the end record alone
        listed = f"more than {MAX_MEMBERS} members ({members})" if members > MAX_MEMBERS else f"{members} members"
        yield rules.make(
            "oversized-file",
            display,
            excerpt=f"{listed} in a {size}-byte member list: not opened (an archive bomb?)",
            severity="high",
        )
        return
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
        yield from _budget(display, len(infos), sum(i.file_size for i in infos))
        names = NameClashes(display)
        for info in infos[:MAX_MEMBERS]:
            mode = info.external_attr >> 16
            yield from _member_findings(
                info.filename, display, mode or stat.S_IFREG, info.file_size, names, folder=info.is_dir()
            )
            if stat.S_ISLNK(mode):
                target = zf.read(info)[:4096].decode("utf-8", "replace")
                yield from _link(info.filename, target, display)
            elif not info.is_dir():
                with zf.open(info) as fh:
                    yield from _content(info.filename, display, fh)

        def read(name: str) -> bytes | None:
            info = zf.getinfo(name)
            regular = stat.S_ISREG(info.external_attr >> 16) or not info.external_attr >> 16
            if not regular or info.is_dir():
                return None
            with zf.open(info) as fh:
                return fh.read(vcs.MAX_CONFIG_BYTES + 1)

        yield from _repos([i.filename for i in infos], display, read)


def _scan_tar(path: Path, display: str) -> Iterator[Finding]:
    with tarfile.open(path) as tf:
        members = _tar_members(tf)
        yield from _budget(display, len(members), sum(m.size for m in members if m.isfile()))
        names = NameClashes(display)
        for m in members[:MAX_MEMBERS]:
            mode = m.mode | (stat.S_IFREG if m.isfile() else 0)
            yield from _member_findings(m.name, display, mode, m.size, names, folder=m.isdir())
            where = f"{display}!{m.name}"
            if m.issym():
                yield from _link(m.name, m.linkname, display)
            elif m.islnk():
                yield rules.make("archive-special", where, excerpt=f"hard link to {visible(m.linkname)}")
            elif m.ischr() or m.isblk() or m.isfifo() or m.isdev():
                yield rules.make("archive-special", where, excerpt="device file or FIFO")
            elif m.isfile():
                fh = tf.extractfile(m)
                if fh is not None:
                    with fh:
                        yield from _content(m.name, display, fh)

        last = {m.name: m for m in members}  # what getmember() gives, without reading the rest of the tar

        def read(name: str) -> bytes | None:
            member = last[name]
            fh = tf.extractfile(member) if member.isfile() else None
            if fh is None:
                return None
            with fh:
                return fh.read(vcs.MAX_CONFIG_BYTES + 1)

        yield from _repos([m.name for m in members], display, read)


def _tar_members(tf: tarfile.TarFile) -> list[tarfile.TarInfo]:
    """The tar's members header by header, stopping one past ``MAX_MEMBERS``: empty members compress to
    almost nothing, so a small tar.gz holds millions, and ``getmembers()`` reads and keeps every one."""
    members: list[tarfile.TarInfo] = []
    for member in tf:
        members.append(member)
        if len(members) > MAX_MEMBERS:
            break
    return members


def _repos(names: list[str], display: str, read: Callable[[str], bytes | None]) -> Iterator[Finding]:
    """Findings for the git repositories among the members (``vcs``): what git would obey once unpacked."""
    for repo in vcs.repo_dirs_in(names):
        where = f"{display}!{repo}" if repo else display
        yield from vcs.repo_findings(repo, where, vcs.member_reasons(repo, names, read))


def _link(name: str, target: str, display: str) -> Iterator[Finding]:
    where = f"{display}!{name}"
    reason = link_escapes(name, target)
    if reason:
        yield rules.make("archive-traversal", where, excerpt=visible(reason))
    else:
        yield rules.make("symlink", where, excerpt=f"-> {visible(target)}")


def _budget(display: str, count: int, total: int) -> Iterator[Finding]:
    if count > MAX_MEMBERS:
        # high: the members past the limit are not scanned, and install refuses the archive
        yield rules.make(
            "oversized-file",
            display,
            excerpt=f"more than {MAX_MEMBERS} members, only the first {MAX_MEMBERS} scanned (an archive bomb?)",
            severity="high",
        )
    elif total > MAX_TOTAL_BYTES:
        yield rules.make(
            "oversized-file", display, excerpt=f"{count} members, {total} bytes unpacked (an archive bomb?)"
        )
