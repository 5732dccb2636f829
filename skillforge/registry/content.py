"""A skill version's files: read them, diff two versions, write one out as a folder (atomically)."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from pathlib import Path

from skillforge.errors import RegistryError
from skillforge.hosts.limits import MAX_FILE_BYTES, MAX_FILES, MAX_SKILL_BYTES
from skillforge.registry import layout
from skillforge.registry._git import MODE_EXEC, MODE_LINK, REPAIR_HINT, Entry, GitRepo


def entries(repo: GitRepo, tree: str) -> dict[str, Entry]:
    """Every file of a skill tree by relative path; refuses paths that could escape on export."""
    found = repo.flatten(tree)
    for path in found:
        if any(layout.unsafe_component(part) for part in path.split("/")):
            raise RegistryError(f"unsafe path {path!r} stored in the registry", hint=REPAIR_HINT)
    return found


def read_bytes(repo: GitRepo, tree: str) -> dict[str, bytes]:
    return {path: repo.read(e.sha)[1] for path, e in entries(repo, tree).items()}


def read_texts(repo: GitRepo, tree: str) -> dict[str, str]:
    """Text files only (UTF-8); binary files are left out (``read_bytes`` has them all)."""
    out = {}
    for path, data in read_bytes(repo, tree).items():
        try:
            out[path] = data.decode("utf-8")
        except UnicodeDecodeError:
            continue
    return out


def unified_diff(repo: GitRepo, name: str, old: tuple[str, str], new: tuple[str, str]) -> str:
    """A unified diff over all files of two versions: ``old``/``new`` are ``(version, tree)``."""
    before, after = entries(repo, old[1]), entries(repo, new[1])
    chunks: list[str] = []
    for path in sorted(set(before) | set(after)):
        a, b = before.get(path), after.get(path)
        if a and b and a.sha == b.sha and a.mode == b.mode:
            continue
        chunks.append(f"diff {name}@{old[0]} {name}@{new[0]} -- {path}")
        if a and b and a.mode != b.mode:
            chunks += [f"old mode {a.mode:06o}", f"new mode {b.mode:06o}"]
        if a and b and a.sha == b.sha:
            continue
        left = _lines(repo, a)
        right = _lines(repo, b)
        if left is None or right is None:
            chunks.append(
                f"Binary files {'a/' + path if a else '/dev/null'} and "
                f"{'b/' + path if b else '/dev/null'} differ"
            )
            continue
        chunks += difflib.unified_diff(
            left,
            right,
            fromfile=f"a/{path}" if a else "/dev/null",
            tofile=f"b/{path}" if b else "/dev/null",
            lineterm="",
        )
    return "\n".join(chunks) + ("\n" if chunks else "")


def _lines(repo: GitRepo, entry: Entry | None) -> list[str] | None:
    if entry is None:
        return []
    try:
        text = repo.read(entry.sha)[1].decode("utf-8")
    except UnicodeDecodeError:
        return None
    lines = text.splitlines()
    if text and not text.endswith("\n"):
        lines[-1] += "\n\\ No newline at end of file"
    return lines


def export(repo: GitRepo, tree: str, dest: Path, name: str, *, replace: bool = True) -> Path:
    """Write the skill to ``dest/<name>`` via a temporary sibling folder and one rename.

    A reader of ``dest/<name>`` sees the old folder or the complete new one, never a mix. With
    ``replace`` False an existing ``dest/<name>`` is an error.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    target = dest / name
    if target.exists() and not replace:
        raise RegistryError("already exists", path=target, hint="pass --force to replace it")
    files = entries(repo, tree)
    check_limits(repo, files, name)
    staging = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".tmp", dir=dest))
    try:
        for path, entry in files.items():
            out = staging / path
            out.parent.mkdir(parents=True, exist_ok=True)
            data = repo.read(entry.sha)[1]
            if entry.mode == MODE_LINK:
                _check_link(staging, out, data.decode("utf-8", "replace"), path)
            write_file(out, entry.mode, data)
        _check_links_resolved(staging, files)
        staging.chmod(0o755)
        old = None
        if target.exists() or target.is_symlink():
            old = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".old", dir=dest))
            os.replace(target, old / name)
        try:
            os.replace(staging, target)
        except OSError:
            if old is not None:
                os.replace(old / name, target)
            raise
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def check_limits(repo: GitRepo, files: dict[str, Entry], name: str) -> None:
    """Refuse a stored skill over the size limits (a pulled registry may hold anything) before reading it."""
    if len(files) > MAX_FILES:
        raise RegistryError(f"{name} has {len(files)} files (limit MAX_FILES = {MAX_FILES})", path=repo.path)
    total = 0
    sizes = repo.object_sizes([e.sha for e in files.values()])
    for path, size in zip(files, sizes, strict=True):
        if size is None:
            raise RegistryError(f"{name}/{path} is missing from git", path=repo.path, hint=REPAIR_HINT)
        if size > MAX_FILE_BYTES:
            raise RegistryError(
                f"{name}/{path} is {size} bytes, over the per-file limit (MAX_FILE_BYTES = {MAX_FILE_BYTES})",
                path=repo.path,
            )
        total += size
    if total > MAX_SKILL_BYTES:
        raise RegistryError(
            f"{name} is {total} bytes in all, over the limit (MAX_SKILL_BYTES = {MAX_SKILL_BYTES})",
            path=repo.path,
        )


def _check_link(root: Path, link: Path, target: str, path: str) -> None:
    """A stored symlink must stay inside the exported folder (a hostile remote may push one)."""
    resolved = os.path.normpath(os.path.join(link.parent, target))
    if os.path.isabs(target) or not (resolved + os.sep).startswith(str(root) + os.sep):
        raise RegistryError(
            f"symlink {path} -> {target} would point outside the skill; refused", hint=REPAIR_HINT
        )


def _check_links_resolved(root: Path, files: dict[str, Entry]) -> None:
    """Every stored symlink, resolved through the links written beside it, stays inside the folder.

    ``_check_link`` reads one target as text; a chain (``a/b/s -> ../../..`` under a folder that is
    itself reached through another link) only shows where it lands once the whole tree exists."""
    real_root = os.path.realpath(root)
    for path, entry in files.items():
        if entry.mode != MODE_LINK:
            continue
        landed = os.path.realpath(root / path)
        if landed != real_root and not landed.startswith(real_root + os.sep):
            raise RegistryError(
                f"symlink {path} resolves outside the skill (through other links); refused", hint=REPAIR_HINT
            )


def write_file(path: Path, mode: int, data: bytes) -> None:
    """Write one exported file with its git mode."""
    if mode == MODE_LINK:
        os.symlink(data.decode(), path)
        return
    path.write_bytes(data)
    if mode == MODE_EXEC:
        path.chmod(path.stat().st_mode | 0o111)
