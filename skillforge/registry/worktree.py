"""The registry's checked-out files and git's own lock files.

The checked-out ``skills/`` folder is a read-only view of ``main`` for people browsing the
registry; skillforge never reads it. It is refreshed after every write (only changed files are
rewritten) and restored by ``repair`` if someone edited it.
"""

from __future__ import annotations

from pathlib import Path

from skillforge.registry._git import MAIN, GitRepo


def refresh(repo: GitRepo) -> None:
    """Make the checked-out files match ``main``."""
    if repo.head() is None:
        return
    repo.run("read-tree", "--reset", "-u", MAIN)


def dirty(repo: GitRepo) -> list[str]:
    """Paths where the checked-out files differ from ``main``."""
    if repo.head() is None:
        return []
    out = repo.run("status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames")
    return sorted(rec[3:] for rec in out.split("\x00") if rec)


def stale_locks(repo: GitRepo) -> list[Path]:
    """Git lock files (``*.lock``) in the repository, which only an interrupted git leaves behind."""
    found = [repo.git_dir / name for name in ("index.lock", "packed-refs.lock", "HEAD.lock", "config.lock")]
    found = [p for p in found if p.exists()]
    refs = repo.git_dir / "refs"
    if refs.is_dir():
        found += sorted(p for p in refs.rglob("*.lock") if p.is_file())
    return found
