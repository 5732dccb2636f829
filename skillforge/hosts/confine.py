"""Where install, update and uninstall may act: a host's own skill folders, inside the scope.

A lock file is data someone else may have written (it is committed to projects and shared), so a
lock entry's ``path`` is never trusted as an instruction: the folder it names must be
``<a skills folder of the entry's host in that scope>/<the entry's name>``, with no ``..``, and the
host folder must resolve (through any symlinks) inside the project, or the home folder for global
installs. Anything else is refused with the lock file and the entry named.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path, PurePosixPath

from skillforge.errors import HostError, InputError
from skillforge.hosts.base import HostAdapter, expand, get_adapter
from skillforge.hosts.lockfile import from_lock_path, lock_path, sidecar_path
from skillforge.models.lock import LockEntry, Scope
from skillforge.skills.validate import is_valid_name


def norm(path: Path) -> Path:
    """``path`` made absolute with ``.``/``..`` folded, symlinks left alone."""
    return Path(os.path.abspath(path))


def host_roots(adapter: HostAdapter, scope: Scope, project: Path | None) -> list[Path]:
    """The folders ``adapter`` may hold installed skills in for ``scope`` (install folder, env override)."""
    paths = adapter.paths(scope)
    if paths is None:
        return []
    found = [adapter.skills_dir(scope, project), expand(paths.install, project)]
    return list(dict.fromkeys(norm(p) for p in found))


def scope_bases(adapter: HostAdapter, scope: Scope, project: Path | None) -> list[Path]:
    """What a host folder must resolve inside: the project, or home (and an env override's folder)."""
    if scope == "project":
        return [norm(project or Path.cwd())]
    bases = [Path.home()]
    paths = adapter.paths(scope)
    if paths is not None and paths.env_override and os.environ.get(paths.env_override.var):
        bases.append(Path(os.environ[paths.env_override.var]).expanduser())
    return [norm(b) for b in bases]


def check_host_dir(folder: Path, adapter: HostAdapter, scope: Scope, project: Path | None) -> None:
    """Refuse a host skills folder that resolves, through a symlink, outside the scope."""
    real = _outside(folder, scope_bases(adapter, scope, project))
    if real is None:
        return
    where = "project" if scope == "project" else "home folder"
    raise HostError(
        f"{adapter.name}'s skills folder resolves to {real}, outside the {where}; refusing to write there",
        path=folder,
        hint="a symlinked skills folder must point inside the scope; replace the link with a real folder",
    )


def check_index_file(path: Path, adapter: HostAdapter, scope: Scope, project: Path | None) -> None:
    """Refuse an index file (``AGENTS.md``) that resolves, through a symlink, outside the scope: it is
    read and rewritten whole, so a link to ``~/.ssh/id_rsa`` would put the key in the project's file."""
    real = _outside(path, scope_bases(adapter, scope, project))
    if real is None:
        return
    where = "project" if scope == "project" else "home folder"
    raise HostError(
        f"{path.name} is a symlink to {real}, outside the {where}; refusing to read or rewrite it",
        path=path,
        hint="replace the link with a real file (or a link to a file in the project)",
    )


def _outside(folder: Path, bases: list[Path]) -> Path | None:
    """Where ``folder`` resolves (through symlinks) when that is outside every base; None when inside one."""
    real = folder.resolve()
    if any(real == b or b in real.parents for b in (base.resolve() for base in bases)):
        return None
    return real


def _plain_name(name: str) -> bool:
    """A valid skill name that is one folder name (no ``/`` or ``\\``)."""
    return is_valid_name(name) and "/" not in name and "\\" not in name


def entry_dir(entry: LockEntry, scope: Scope, project: Path | None) -> Path:
    """The installed folder ``entry`` names, after checking it is one this entry may act on.

    Raises ``HostError`` naming the lock file and the entry when the path leaves the host's skill
    folders (``..``, an absolute path elsewhere, another name, a symlinked folder out of the scope).
    """
    lock_file = sidecar_path(lock_path(scope, project))  # the file that holds the entry

    def refuse(why: str) -> HostError:
        return HostError(
            f"lock entry {entry.name!r} for host {entry.host!r} {why}; refusing to touch it",
            path=lock_file,
            hint="a lock entry only names a folder skillforge installed; fix or delete that entry",
        )

    if not _plain_name(entry.name):
        raise refuse("has an invalid skill name")
    try:
        adapter = get_adapter(entry.host)
    except InputError:
        raise refuse("names an unknown host") from None
    if not adapter.supports(scope):
        raise refuse(f"is in the {scope} lock, but that host has no {scope} skills folder")
    text = entry.path.replace("\\", "/")
    if ".." in PurePosixPath(text).parts:
        raise refuse(f"has path {entry.path!r}, which climbs out with '..'")
    path = norm(from_lock_path(entry.path, scope, project))
    roots = host_roots(adapter, scope, project)
    # a host folder symlinked inside the scope is recorded by where it resolves
    resolved_roots = {r.resolve() for r in roots}
    if path.name != entry.name or (path.parent not in roots and path.parent.resolve() not in resolved_roots):
        allowed = ", ".join(str(r / entry.name) for r in roots)
        raise refuse(
            f"has path {entry.path!r}, which is not its folder in {adapter.name}'s skills ({allowed})"
        )
    try:
        check_host_dir(path.parent, adapter, scope, project)
    except HostError as exc:
        raise refuse(f"has path {entry.path!r}: {exc.message}") from None
    return path


def foreign_entry_dir(name: str, folder: str, project: Path) -> Path:
    """``project/<folder>/<name>`` for a lock entry another tool wrote (``skills-lock.json``), after the
    same checks as ``entry_dir``: a valid skill name (no ``/``, ``..``, absolute path or look-alike
    spelling), and ``<folder>`` resolving inside the project."""
    lock_file = lock_path("project", project)
    if not isinstance(name, str) or not _plain_name(name) or name != unicodedata.normalize("NFKC", name).strip():
        raise HostError(
            f"lock entry {name!r} (added by another tool) has an invalid skill name; refusing to touch it",
            path=lock_file,
            hint="a skill name is lowercase letters, digits and hyphens; fix or delete that entry",
        )
    parent = norm(norm(project) / folder)
    real = _outside(parent, [norm(project)])
    if real is not None:
        raise HostError(
            f"{folder} resolves to {real}, outside the project; refusing to write there",
            path=parent,
            hint="a symlinked skills folder must point inside the project; replace the link with a real folder",
        )
    return parent / name
