"""Size limits for one skill folder, enforced by publish (registry) and install (hosts) alike.

They are checked from ``stat`` before any content is read, so an oversized or sparse file is
refused in milliseconds at no memory cost; content is then copied in chunks. A skill is
instructions plus a few scripts and assets: anything near these limits is almost certainly a
mistake (a data set, a build folder) or an attack (a sparse multi-gigabyte file, a bomb).
"""

from __future__ import annotations

import os
import stat
import struct
import unicodedata
from pathlib import Path

from skillforge.errors import InputError

MAX_FILE_BYTES = 10 * 1024 * 1024
"""Largest single file in a skill (10 MiB)."""
MAX_SKILL_BYTES = 100 * 1024 * 1024
"""Largest total size of all files in a skill (100 MiB)."""
MAX_FILES = 5_000
"""Most files (and archive members) in a skill."""
MAX_DEPTH = 32
"""Deepest folder nesting in a skill."""
COPY_CHUNK = 1024 * 1024
"""Bytes read at a time when copying or hashing a file."""
MAX_ZIP_DIRECTORY = MAX_FILES * 1024
"""Largest central directory of a zip (its list of members, ~100 bytes each): Python reads all of it into
memory, one object per member, before a member count can be looked at."""


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.0f} MiB" if size >= 1024 * 1024 else f"{size} bytes"


def same_file_key(rel: str) -> str:
    """The name ``rel`` has on a disk that ignores case and Unicode form and drops trailing dots and
    spaces (macOS, Windows): two paths with one key are one file there."""
    parts = []
    for part in rel.split("/"):
        folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", part).casefold())
        parts.append(folded.rstrip(". ") or folded)
    return "/".join(parts)


# Device names Windows opens instead of a file, whatever the extension ("aux.md" is AUX), and the characters
# it cannot hold in a name (':' names an alternate data stream of the file before it).
_WINDOWS_DEVICES = frozenset(
    {"con", "prn", "aux", "nul", "conin$", "conout$"}
    | {f"{port}{n}" for port in ("com", "lpt") for n in [*"0123456789", "\u00b9", "\u00b2", "\u00b3"]}
)
_WINDOWS_FORBIDDEN = frozenset('<>:"|?*\\') | frozenset(map(chr, range(32)))


def windows_problem(part: str) -> str | None:
    """Why Windows cannot store one path component ``part`` under that name, or None."""
    if part.split(".", 1)[0].rstrip(" ").casefold() in _WINDOWS_DEVICES:
        return "is a device name on Windows (CON, PRN, AUX, NUL, COM1-9, LPT1-9, with any extension)"
    bad = sorted(set(part) & _WINDOWS_FORBIDDEN)
    if bad:
        shown = " ".join(repr(c) for c in bad)
        return f"holds {shown}, which Windows does not allow in a name (':' writes a hidden stream of another file)"
    if part.endswith((" ", ".")) and part not in (".", ".."):
        return "ends in a space or a dot, which Windows drops (the file would get another name)"
    return None


class FileNames:
    """The paths of one skill, refusing two that would be one file on another system."""

    def __init__(self, where: str | Path) -> None:
        self.where = where
        self.seen: dict[str, str] = {}
        """Key (``same_file_key``) -> the path as first written."""
        self.files: set[str] = set()

    def add(self, rel: str, *, folder: bool = False) -> None:
        """Record ``rel`` (and the folders it is in); raise ``InputError`` when it collides with an earlier one.

        ``SKILL.md`` and ``skill.md``, ``é`` composed and decomposed, ``ref.md`` and fullwidth ``ｒｅｆ.md``,
        ``x.md`` and ``x.md.``: each pair is two files here and one on macOS or Windows, where the content
        an agent reads is whichever was written last, not necessarily the one every check here saw. A name
        Windows cannot hold (``windows_problem``: ``aux.md``, ``notes.md:stream``, ``x.md ``) is refused too.
        """
        parts = rel.split("/")
        for i in range(1, len(parts) + 1):
            exact = "/".join(parts[:i])
            first = self.seen.setdefault(same_file_key(exact), exact)
            if first != exact:
                raise InputError(
                    f"{first!r} and {exact!r} differ only in case, Unicode form or trailing dots: the same file "
                    "on macOS, Windows or to a tool that normalizes names; refused so every system gets the "
                    "content that was checked",
                    path=self.where,
                    hint="rename or remove one of them",
                )
            problem = windows_problem(parts[i - 1])
            if problem:
                raise InputError(
                    f"{exact!r} {problem}; refused so the skill installs the same on every system",
                    path=self.where,
                    hint="rename it",
                )
        if not folder:
            if rel in self.files:
                raise InputError(f"{rel!r} is in the skill twice", path=self.where, hint="keep one copy")
            self.files.add(rel)


class Budget:
    """Running totals for one skill folder; ``add`` raises ``InputError`` when a limit is passed or two
    paths collide (``FileNames``)."""

    def __init__(self, where: str | Path) -> None:
        self.where = where
        self.files = 0
        self.bytes = 0
        self.names = FileNames(where)

    def add(self, rel: str, info: os.stat_result, *, name: str | None = None) -> None:
        """Count one regular file (from its ``lstat``/``fstat``) before anything is read from it.

        ``name``: where the file goes, when that is not ``rel`` (a link's copy)."""
        check_file(rel, info, self.where)
        self.names.add(name or rel)
        self.files += 1
        self.bytes += info.st_size
        if self.files > MAX_FILES:
            raise InputError(
                f"skill has more than {MAX_FILES} files (limit MAX_FILES)",
                path=self.where,
                hint="a skill holds instructions, scripts and small assets; move data elsewhere",
            )
        if self.bytes > MAX_SKILL_BYTES:
            raise InputError(
                f"skill is larger than {_mib(MAX_SKILL_BYTES)} in all (limit MAX_SKILL_BYTES), "
                f"passed at {rel}",
                path=self.where,
                hint="a skill holds instructions, scripts and small assets; move data elsewhere",
            )


def check_file(rel: str, info: os.stat_result, where: str | Path) -> None:
    """Refuse one file by its metadata: too large, or a hard link (its content is shared with a file
    that may lie outside the skill, e.g. ``ln ~/.ssh/id_rsa notes.md``)."""
    if info.st_size > MAX_FILE_BYTES:
        raise InputError(
            f"{rel} is {_mib(info.st_size)}, over the per-file limit of {_mib(MAX_FILE_BYTES)} "
            "(MAX_FILE_BYTES)",
            path=where,
            hint="a skill holds instructions, scripts and small assets; move data elsewhere",
        )
    if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
        raise InputError(
            f"{rel} is a hard link ({info.st_nlink} names share its content); refused because the "
            "other name may be a file outside the skill",
            path=where,
            hint=f"replace it with a plain copy (cp {rel} {rel}.tmp && mv {rel}.tmp {rel})",
        )


def copy_file(src: Path, dest: Path, rel: str, where: str | Path) -> None:
    """Copy one regular file in chunks, re-checking what was opened (it may have changed since ``stat``)."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    fd = os.open(src, flags)
    try:
        copy_fd(fd, os.fstat(fd), dest, rel, where)
    finally:
        os.close(fd)


def copy_fd(fd: int, info: os.stat_result, dest: Path, rel: str, where: str | Path) -> None:
    """Copy the open file ``fd`` (``info`` is its ``fstat``) to the new file ``dest`` in chunks.

    The caller keeps ``fd`` (it is read from its current offset and not closed).
    """
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"not a regular file: {rel}", path=where)
    check_file(rel, info, where)
    with dest.open("xb") as out:
        copied = 0
        while chunk := os.read(fd, COPY_CHUNK):
            copied += len(chunk)
            if copied > MAX_FILE_BYTES:
                raise InputError(f"{rel} grew past {_mib(MAX_FILE_BYTES)} while copying", path=where)
            out.write(chunk)
    os.chmod(dest, (info.st_mode & 0o777) | 0o600)  # permission bits only: never setuid/setgid


def zip_directory(path: Path) -> tuple[int, int] | None:
    """``(members, bytes)`` a zip's end record declares for its central directory (zip64 too), read from
    the file's last 64 KiB; None when there is no end record (``zipfile`` then refuses the file).

    The byte count is what ``zipfile.ZipFile`` reads and parses whole, whatever the member count says,
    so both are checked against the limits before it is opened.
    """
    with path.open("rb") as fh:
        fh.seek(0, os.SEEK_END)
        size = fh.tell()
        fh.seek(max(0, size - 65536 - 22))
        tail = fh.read()
        # The record ends the file but for its comment, whose length it states: the last signature that
        # agrees (a comment may hold the signature's bytes too).
        at = tail.rfind(b"PK\x05\x06")
        while at >= 0 and (len(tail) - at < 22 or struct.unpack_from("<H", tail, at + 20)[0] != len(tail) - at - 22):
            at = tail.rfind(b"PK\x05\x06", 0, at)
        if at < 0:
            return None
        members, directory = struct.unpack_from("<HI", tail, at + 10)
        if (members == 0xFFFF or directory == 0xFFFFFFFF) and at >= 20 and tail[at - 20 : at - 16] == b"PK\x06\x07":
            fh.seek(struct.unpack_from("<Q", tail, at - 12)[0])
            record = fh.read(56)
            if len(record) == 56 and record[:4] == b"PK\x06\x06":
                members, directory = struct.unpack_from("<QQ", record, 32)
        return members, directory
