"""Read a skill folder into a SkillPackage and write one back: atomic, deterministic, confined to the folder."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path, PurePosixPath

from skillforge.errors import SpecError
from skillforge.models import Frontmatter, SkillPackage
from skillforge.skills.frontmatter import render, split
from skillforge.skills.validate import find_skill_md

__all__ = ["check_relative_path", "read_package", "write_package"]

_SKIP_DIRS = {".git", "__pycache__", ".DS_Store"}


def check_relative_path(rel: str) -> str:
    """Return ``rel`` as a clean POSIX path inside a skill folder; raise ``SpecError`` if it could escape."""
    if not rel or "\x00" in rel or "\\" in rel:
        raise SpecError(f"invalid file path {rel!r} in skill", hint="use a relative POSIX path like references/x.md")
    path = PurePosixPath(rel)
    if path.is_absolute() or any(part in ("..", "") for part in path.parts) or rel.startswith("~"):
        raise SpecError(f"file path {rel!r} escapes the skill folder", hint="use a path relative to the skill folder")
    clean = path.as_posix()
    if clean in (".", "SKILL.md") or clean.lower() == "skill.md":
        raise SpecError(f"{clean!r} is not a file the package may carry separately")
    return clean


def read_package(skill_dir: str | Path) -> SkillPackage:
    """Load the folder: SKILL.md frontmatter and body, plus every other UTF-8 text file.

    Binary files (images in ``assets/``) cannot live in a SkillPackage; they are left out here and
    ``write_package`` keeps them in place when it rewrites the folder.
    """
    root = Path(skill_dir)
    skill_md = find_skill_md(root) if root.is_dir() else None
    if skill_md is None:
        raise SpecError("not a skill folder: SKILL.md is missing", path=root)
    try:
        content = skill_md.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise SpecError(f"SKILL.md is not valid UTF-8 (byte {exc.start})", path=skill_md) from None
    data, body = split(content, str(skill_md))
    try:
        front = Frontmatter.model_validate(data)
    except ValueError as exc:
        raise SpecError(f"frontmatter does not match the spec: {_first_error(exc)}", path=skill_md) from None
    files: dict[str, str] = {}
    for path in sorted(_walk(root)):
        rel = path.relative_to(root).as_posix()
        if path == skill_md:
            continue
        try:
            files[rel] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    return SkillPackage(frontmatter=front, body=body, files=files)


def write_package(pkg: SkillPackage, skill_dir: str | Path) -> Path:
    """Write ``pkg`` to ``skill_dir`` atomically and return the folder.

    The whole folder is built in a temporary sibling and renamed into place, so a reader never sees
    half a skill. Files are written in sorted order with ``\\n`` line endings; the same package
    always gives the same bytes. Binary files already in the folder are carried over.
    """
    target = Path(skill_dir)
    for rel in pkg.files:
        check_relative_path(rel)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    try:
        _write_file(staging / "SKILL.md", render(pkg.frontmatter, pkg.body))
        for rel in sorted(pkg.files):
            _write_file(staging / rel, pkg.files[rel])
        if target.exists():
            _carry_binary_files(target, staging, set(pkg.files))
        os.chmod(staging, 0o755)
        _swap_into_place(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def _write_file(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.replace("\r\n", "\n")
    if data and not data.endswith("\n"):
        data += "\n"
    path.write_bytes(data.encode("utf-8"))


def _walk(root: Path) -> list[Path]:
    found = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if d not in _SKIP_DIRS)
        for name in filenames:
            if name in _SKIP_DIRS:
                continue
            path = Path(dirpath) / name
            if path.is_symlink() or not path.is_file():
                continue  # a symlink inside a skill could point anywhere; never read through it
            found.append(path)
    return found


def _carry_binary_files(old: Path, staging: Path, text_files: set[str]) -> None:
    for path in _walk(old):
        rel = path.relative_to(old).as_posix()
        if rel in text_files or rel.lower() == "skill.md":
            continue
        try:
            path.read_text(encoding="utf-8")
            continue  # a text file the package dropped on purpose (delete_file)
        except UnicodeDecodeError:
            pass
        dest = staging / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)


def _swap_into_place(staging: Path, target: Path) -> None:
    if not target.exists():
        staging.rename(target)
        return
    backup = target.with_name(f".{target.name}.old-{os.getpid()}")
    if backup.exists():
        shutil.rmtree(backup)
    target.rename(backup)
    try:
        staging.rename(target)
    except BaseException:
        backup.rename(target)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        first = errors()[0]
        return f"{'.'.join(map(str, first.get('loc', ())))}: {first.get('msg', '')}"
    return str(exc)
