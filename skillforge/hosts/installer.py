"""``install``: stage a skill, gate it, place it for each host, record it in the lock — all or nothing."""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from skillforge import config
from skillforge.errors import HostError
from skillforge.hosts.archives import check_linked_tree
from skillforge.hosts.base import HostAdapter, all_adapters, get_adapter
from skillforge.hosts.confine import check_host_dir, entry_dir
from skillforge.hosts.fsops import Transaction
from skillforge.hosts.gate import check_skill
from skillforge.hosts.lockfile import (
    from_lock_path,
    hash_tree,
    lock_path,
    locked,
    read_lock,
    skills_cli_hash,
    to_lock_path,
    write_lock,
)
from skillforge.hosts.results import InstallReport, Placement, Removal, Status
from skillforge.hosts.sources import SourceSpec, StagedSkill, parse_spec, stage
from skillforge.models.lock import LOCK_FILENAME, Lock, LockEntry, LockSource, Override, Scope


def install(
    source: str,
    *,
    hosts: Sequence[str] | None = None,
    scope: Scope = "project",
    project: Path | None = None,
    link: bool = False,
    force: bool = False,
    acknowledge: str | None = None,
    registry_path: Path | None = None,
    replace: bool = False,
) -> InstallReport:
    """Install ``source`` (``NAME[@VERSION]``, folder, archive or git URL) for ``hosts`` (None: all detected).

    ``force`` replaces folders skillforge did not install and lets a skill that fails validation
    through; high-severity security findings also need ``acknowledge`` (recorded in the lock).
    A skill of the same name installed from another source is replaced only with ``replace``
    (or ``force``); the same skill re-installed or updated needs neither.
    """
    project = resolve_project(scope, project)
    spec = parse_spec(source)
    adapters = select_hosts(hosts, scope)
    with stage(spec, registry_path) as staged:
        override = check_skill(staged.dir, label=source, force=force, acknowledge=acknowledge)
        notices = [f"installed despite failed {c} (--force)" for c in (override.checks if override else [])]
        digest = hash_tree(staged.dir)
        lp = lock_path(scope, project)
        with locked(lp):
            lock = read_lock(lp)
            if lock.notice:
                notices.append(lock.notice)
            check_lineage(lock, staged, digest, lp, replace=replace or force)
            link_target = _link_target(spec, staged, digest) if link else None
            with Transaction() as tx:
                placements, more = put(
                    tx,
                    lock,
                    staged,
                    digest,
                    adapters,
                    scope,
                    project,
                    link_target,
                    force=force,
                    override=override,
                )
                write_lock(tx, lock, lp)
    notices += more
    notices += [a.spec.notice for a in adapters if a.spec.notice]
    return InstallReport(
        name=staged.name,
        version=staged.version,
        source=staged.source,
        hash=digest,
        scope=scope,
        lock_file=str(lp),
        placements=placements,
        notices=notices,
    )


def find_project_root(start: Path | None = None) -> Path:
    """The nearest folder from ``start`` (default: the current folder) up that holds ``.git`` or a
    ``skills-lock.json``; ``start`` itself when there is none, so a subfolder shares the project lock."""
    here = (start or Path.cwd()).absolute()
    for folder in (here, *here.parents):
        if (folder / ".git").exists() or (folder / LOCK_FILENAME).is_file():
            return folder
    return here


def resolve_project(scope: Scope, project: Path | None) -> Path | None:
    """The absolute project folder for project installs (default: the project root around the cwd)."""
    if scope == "global" and project is None:
        return None
    folder = (project.expanduser() if project else find_project_root()).absolute()
    if not folder.is_dir():
        raise HostError("project folder does not exist", path=folder)
    return folder


def select_hosts(hosts: Sequence[str] | None, scope: Scope) -> list[HostAdapter]:
    """The named hosts, or every detected host that supports ``scope``."""
    if hosts:
        adapters = [get_adapter(name) for name in dict.fromkeys(hosts)]
        for adapter in adapters:
            if not adapter.supports(scope):
                other = "--project" if scope == "global" else "--global"
                raise HostError(f"{adapter.name} has no {scope} skills folder", hint=f"use {other}")
        return adapters
    found = [a for a in all_adapters() if a.spec.auto_detect and a.supports(scope) and a.detect().found]
    if not found:
        raise HostError(
            "no agent host detected on this machine", hint="name one with --host (see `skillforge hosts`)"
        )
    return found


def put(
    tx: Transaction,
    lock: Lock,
    staged: StagedSkill,
    digest: str,
    adapters: Sequence[HostAdapter],
    scope: Scope,
    project: Path | None,
    link_target: Path | None,
    *,
    force: bool,
    override: Override | None = None,
) -> tuple[list[Placement], list[str]]:
    """Place ``staged`` for every adapter and update ``lock`` in memory; checks everything before writing."""
    by_dest: dict[Path, list[HostAdapter]] = {}
    for adapter in adapters:
        dest = _norm(adapter.skill_path(staged.name, scope, project))
        check_host_dir(dest.parent, adapter, scope, project)
        by_dest.setdefault(dest, []).append(adapter)
    for dest in by_dest:
        check_replaceable(dest, lock, scope, project, force=force)
    now = datetime.now(timezone.utc).replace(microsecond=0)
    computed = skills_cli_hash(staged.dir)
    lock.touched.add(staged.name)
    placements: list[Placement] = []
    notices: list[str] = []
    for dest, group in sorted(by_dest.items()):
        use_link = link_target is not None and all(a.link_ok() for a in group)
        if link_target is not None and not use_link:
            names = ", ".join(a.name for a in group if not a.link_ok())
            notices.append(f"{names}: symlinked skills are not discovered, so {dest.name} was copied instead")
        link = _relative_link(link_target, dest, scope, project) if use_link and link_target else None
        tx.place(staged.dir, dest, link_target=link)
        path_text = to_lock_path(dest, scope, project)
        fields = {
            "name": staged.name,
            "version": staged.version,
            "source": staged.source,
            "hash": digest,
            "computed_hash": computed,
            "scope": scope,
            "path": path_text,
            "mode": "link" if use_link else "copy",
            "link_target": str(link) if link is not None else None,
            "override": override,
            "installed_at": now,
        }
        # Every entry that shares this folder (another host reading it) now holds the new content.
        for entry in [e for e in lock.skills if _norm(from_lock_path(e.path, scope, project)) == dest]:
            lock.skills[lock.skills.index(entry)] = entry.model_copy(update=fields)
        for adapter in group:
            old = next((e for e in lock.skills if e.key() == (staged.name, adapter.name)), None)
            if old is not None and old.path != path_text:
                notices += _retire(tx, lock, old, scope, project)
            index = adapter.paths(scope).index_file if adapter.paths(scope) else None  # type: ignore[union-attr]
            entry = LockEntry(host=adapter.name, index_file=index, **fields)  # type: ignore[arg-type]
            lock.skills = [e for e in lock.skills if e.key() != entry.key()] + [entry]
            placements.append(
                Placement(
                    host=adapter.name,
                    path=path_text,
                    mode=entry.mode,
                    also_read_by=_readers(dest, adapter, scope, project),
                )
            )
    for adapter in adapters:
        adapter.sync(tx, scope, project, [e for e in lock.skills if e.host == adapter.name])
    return placements, notices


def same_source(a: LockSource, b: LockSource) -> bool:
    """True when two sources are the same place (the resolved git commit does not count)."""
    return (a.kind, a.ref, a.subdir or None) == (b.kind, b.ref, b.subdir or None)


def describe_source(source: LockSource) -> str:
    sub = f"#{source.subdir}" if source.subdir else ""
    return f"{source.kind} {source.ref}{sub}"


def check_lineage(lock: Lock, staged: StagedSkill, digest: str, lp: Path, *, replace: bool) -> None:
    """Refuse, unless ``replace``, a skill that only shares its name with one installed from elsewhere.

    Same source, or byte-identical content, is the same skill: reinstalling and updating need nothing.
    """
    if replace:
        return
    other_tool = lock.foreign().get(staged.name)
    if other_tool is not None:
        raise HostError(
            f"{staged.name} is in the lock file, installed by another tool (the `skills` CLI?) from "
            f"{other_tool.get('source', '?')}",
            path=lp,
            hint="pass --replace to let skillforge manage it from now on, or pick another skill",
        )
    for entry in sorted(lock.skills, key=LockEntry.key):
        other = entry.name == staged.name and not same_source(entry.source, staged.source)
        if other and entry.hash != digest:
            raise HostError(
                f"{entry.name} is already installed (for {entry.host}) from {describe_source(entry.source)}; "
                f"{describe_source(staged.source)} is a different skill with the same name",
                path=lp,
                hint="pass --replace to replace the installed one, or uninstall it first",
            )


def check_replaceable(dest: Path, lock: Lock, scope: Scope, project: Path | None, *, force: bool) -> None:
    """Refuse to overwrite a folder skillforge did not install, or one edited by hand, unless ``force``."""
    if not (dest.exists() or dest.is_symlink()) or force:
        return
    owners = [e for e in lock.skills if _norm(from_lock_path(e.path, scope, project)) == dest]
    if not owners:
        raise HostError(
            "a folder with this name exists and was not installed by skillforge",
            path=dest,
            hint="remove it, or pass --force to replace it",
        )
    if disk_status(owners[0], dest)[0] == "modified":
        raise HostError(
            "installed files were edited by hand since skillforge installed them",
            path=dest,
            hint="pass --force to overwrite them (`skillforge installed` shows drift)",
        )


def disk_status(entry: LockEntry, dest: Path) -> tuple[Status, str | None]:
    """``ok``, ``modified`` (content differs from the lock) or ``missing``, plus the hash on disk."""
    if not (dest.exists() or dest.is_symlink()):
        return "missing", None
    if (entry.mode == "link") != dest.is_symlink() or not dest.is_dir():
        return "modified", None
    disk = hash_tree(dest)
    return ("ok" if disk == entry.hash else "modified"), disk


def release(
    tx: Transaction, lock: Lock, entry: LockEntry, scope: Scope, project: Path | None, *, force: bool
) -> Removal:
    """Drop ``entry`` from ``lock`` and remove its folder unless another entry still uses it."""
    dest = entry_dir(entry, scope, project)  # a lock entry is data: never act outside the host folders
    lock.touched.add(entry.name)
    lock.skills = [e for e in lock.skills if e.key() != entry.key()]
    shared = any(_norm(from_lock_path(e.path, scope, project)) == dest for e in lock.skills)
    status, _ = disk_status(entry, dest)
    if shared or status == "missing":
        return Removal(host=entry.host, path=entry.path, removed=False)
    if status == "modified" and not force:
        raise HostError(
            "installed files were edited by hand; not removing them",
            path=dest,
            hint="pass --force to remove them anyway",
        )
    tx.remove(dest)
    return Removal(host=entry.host, path=entry.path, removed=True)


def _retire(tx: Transaction, lock: Lock, old: LockEntry, scope: Scope, project: Path | None) -> list[str]:
    """The host now reads another folder: remove the old copy, keeping it if it was edited by hand."""
    try:
        release(tx, lock, old, scope, project, force=False)
    except HostError as exc:
        lock.skills = [e for e in lock.skills if e.key() != old.key()]
        return [f"left {old.path} in place ({exc.message}); {old.host} now uses the new folder"]
    return []


def _link_target(spec: SourceSpec, staged: StagedSkill, digest: str) -> Path:
    """What ``--link`` points at: the source folder itself, or a content-addressed copy in the store.

    A linked source folder is shown whole, including what the checked copy skips (``.git``,
    ``node_modules``, caches), so it is refused when any symlink in it leads out of it.
    """
    if spec.kind == "path":
        root = Path(spec.ref).resolve()
        check_linked_tree(root, spec.ref)
        return root
    target = config.home() / "store" / staged.name / digest.split(":")[1][:16] / staged.name
    if not target.is_dir():
        tmp = target.parent / f".{staged.name}.tmp-{os.getpid()}"
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.parent.mkdir(parents=True, exist_ok=True)
        shutil.copytree(staged.dir, tmp)
        os.replace(tmp, target)
    return target


def _relative_link(target: Path, dest: Path, scope: Scope, project: Path | None) -> Path:
    """A link to a folder inside the project is relative, so the checkout can move; else absolute."""
    if scope != "project" or project is None:
        return target
    root = Path(os.path.abspath(project))
    try:
        Path(os.path.abspath(target)).relative_to(root)
    except ValueError:
        return target
    return Path(os.path.relpath(os.path.abspath(target), os.path.abspath(dest.parent)))


def _readers(dest: Path, adapter: HostAdapter, scope: Scope, project: Path | None) -> list[str]:
    folder = dest.parent
    others = [a for a in all_adapters() if a.name != adapter.name and a.supports(scope)]
    return sorted(a.name for a in others if folder in {_norm(p) for p in a.read_dirs(scope, project)})


def _norm(path: Path) -> Path:
    return Path(os.path.abspath(path))
