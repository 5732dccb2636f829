"""``uninstall``, ``update``, ``installed`` and ``hosts``: everything after install, driven by the lock."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from skillforge.errors import HostError, SkillforgeError
from skillforge.hosts.base import all_adapters, get_adapter
from skillforge.hosts.confine import entry_dir
from skillforge.hosts.fsops import Transaction
from skillforge.hosts.gate import check_skill
from skillforge.hosts.installer import _link_target, disk_status, put, release, resolve_project
from skillforge.hosts.lockfile import hash_tree, lock_path, locked, read_lock, skills_cli_hash, write_lock
from skillforge.hosts.results import (
    HostInfo,
    InstalledSkill,
    OtherToolSkill,
    Removal,
    UninstallReport,
    UpdateOutcome,
)
from skillforge.hosts.sources import SourceSpec, stage
from skillforge.models.lock import Lock, LockEntry, Scope


def lock_files(scope: Scope | None, project: Path | None) -> Iterator[tuple[Scope, Path | None, Path]]:
    """``(scope, project, lock path)`` for the project lock and/or the global lock."""
    scopes: list[Scope] = [scope] if scope else ["project", "global"]
    for sc in scopes:
        proj = resolve_project(sc, project) if sc == "project" else project
        yield sc, proj, lock_path(sc, proj)


def installed(project: Path | None = None, scope: Scope | None = None) -> list[InstalledSkill]:
    """Every lock entry (project, then global) with its drift status on disk."""
    rows = []
    for sc, proj, lp in lock_files(scope, project):
        for entry in sorted(read_lock(lp).skills, key=LockEntry.key):
            try:
                folder = entry_dir(entry, sc, proj)
            except HostError as exc:
                rows.append(
                    InstalledSkill(entry=entry, lock_file=str(lp), status="refused", detail=exc.message)
                )
                continue
            status, disk = disk_status(entry, folder)
            rows.append(InstalledSkill(entry=entry, lock_file=str(lp), status=status, disk_hash=disk))
    return rows


def other_tools(project: Path | None = None, scope: Scope | None = None) -> list[OtherToolSkill]:
    """Entries of the shared lock files that skillforge does not manage (kept, never changed)."""
    rows = []
    for _, _, lp in lock_files(scope, project):
        for name, raw in sorted(read_lock(lp).foreign().items()):
            rows.append(
                OtherToolSkill(
                    name=name,
                    source=str(raw.get("source", "")),
                    source_type=str(raw.get("sourceType", "")),
                    lock_file=str(lp),
                )
            )
    return rows


def uninstall(
    name: str,
    *,
    hosts: Sequence[str] | None = None,
    scope: Scope | None = None,
    project: Path | None = None,
    force: bool = False,
) -> UninstallReport:
    """Remove what the lock says we installed for ``name`` (all hosts, or only ``hosts``)."""
    for host in hosts or ():
        get_adapter(host)  # an unknown host name is an error, not "nothing to do"
    removals: list[Removal] = []
    touched: list[str] = []
    for sc, proj, lp in lock_files(scope, project):
        if not lp.exists():
            continue
        with locked(lp):
            lock = read_lock(lp)
            targets = [e for e in lock.skills if e.name == name and (not hosts or e.host in hosts)]
            if not targets:
                continue
            with Transaction() as tx:
                for entry in targets:
                    removals.append(release(tx, lock, entry, sc, proj, force=force))
                _sync(tx, lock, {e.host for e in targets}, sc, proj)
                write_lock(tx, lock, lp)
            touched.append(str(lp))
    if not removals:
        which = f" for {', '.join(hosts)}" if hosts else ""
        raise HostError(f"{name} is not installed{which}", hint="`skillforge installed` lists what is")
    return UninstallReport(name=name, removals=removals, lock_files=touched)


def update(
    name: str | None = None,
    *,
    hosts: Sequence[str] | None = None,
    scope: Scope | None = None,
    project: Path | None = None,
    force: bool = False,
    acknowledge: str | None = None,
    registry_path: Path | None = None,
) -> list[UpdateOutcome]:
    """Fetch each installed skill's source again (registry: latest or pinned) and replace unchanged copies.

    A copy edited by hand is reported as drift and left alone unless ``force``.
    """
    outcomes: list[UpdateOutcome] = []
    for sc, proj, lp in lock_files(scope, project):
        if not lp.exists():
            continue
        with locked(lp):
            lock = read_lock(lp)
            groups: dict[tuple[str, str], list[LockEntry]] = {}
            for entry in lock.skills:
                if (name is None or entry.name == name) and (not hosts or entry.host in hosts):
                    groups.setdefault((entry.name, entry.source.model_dump_json()), []).append(entry)
            for entries in groups.values():
                outcomes += _update_group(lock, lp, entries, sc, proj, force, acknowledge, registry_path)
    if name is not None and not outcomes:
        raise HostError(f"{name} is not installed", hint="`skillforge installed` lists what is")
    return outcomes


def _update_group(
    lock: Lock,
    lp: Path,
    entries: list[LockEntry],
    scope: Scope,
    project: Path | None,
    force: bool,
    acknowledge: str | None,
    registry_path: Path | None,
) -> list[UpdateOutcome]:
    first = entries[0]
    work = lock.model_copy(deep=True)  # only copied back when the whole group succeeded
    spec = SourceSpec(first.source.kind, first.source.ref, subdir=first.source.subdir)

    def outcome(entry: LockEntry, action: str, new: str | None = None, detail: str = "") -> UpdateOutcome:
        return UpdateOutcome(
            name=entry.name,
            host=entry.host,
            scope=scope,
            path=entry.path,
            action=action,  # type: ignore[arg-type]
            old_version=entry.version,
            new_version=new,
            detail=detail,
        )

    try:
        for entry in entries:  # refuse a hostile entry before fetching anything
            entry_dir(entry, scope, project)
        with stage(spec, registry_path) as staged:
            if staged.name != first.name:
                raise HostError(
                    f"the source now holds skill {staged.name!r}, not {first.name!r}", path=first.source.ref
                )
            override = check_skill(staged.dir, label=first.source.ref, force=force, acknowledge=acknowledge)
            digest = hash_tree(staged.dir)
            results, todo = [], []
            for entry in entries:
                status, _ = disk_status(entry, entry_dir(entry, scope, project))
                if entry.mode == "link" and entry.source.kind == "path" and status != "missing":
                    # A link to a working folder is always live; only the lock's record is refreshed.
                    if digest != entry.hash:
                        work.skills[work.skills.index(entry)] = entry.model_copy(
                            update={
                                "hash": digest,
                                "version": staged.version,
                                "computed_hash": skills_cli_hash(staged.dir),
                            }
                        )
                        work.touched.add(entry.name)
                        results.append(outcome(entry, "updated", staged.version, "linked folder changed"))
                    else:
                        results.append(outcome(entry, "up-to-date", staged.version))
                elif digest == entry.hash and status == "ok":
                    results.append(outcome(entry, "up-to-date", staged.version))
                elif status == "modified" and not force:
                    results.append(
                        outcome(entry, "drift-skipped", staged.version, "edited by hand; --force overwrites")
                    )
                else:
                    todo.append(entry)
            with Transaction() as tx:
                for mode in ("copy", "link"):
                    batch = [e for e in todo if e.mode == mode]
                    if batch:
                        target = _link_target(spec, staged, digest) if mode == "link" else None
                        adapters = [get_adapter(e.host) for e in batch]
                        put(
                            tx,
                            work,
                            staged,
                            digest,
                            adapters,
                            scope,
                            project,
                            target,
                            force=True,
                            override=override,
                        )
                        results += [outcome(e, "updated", staged.version) for e in batch]
                write_lock(tx, work, lp)
            lock.skills, lock.touched = work.skills, work.touched
            return sorted(results, key=lambda o: o.host)
    except SkillforgeError as exc:
        return [outcome(e, "failed", detail=str(exc)) for e in entries]


def _sync(tx: Transaction, lock: Lock, hosts: set[str], scope: Scope, project: Path | None) -> None:
    for host in sorted(hosts):
        get_adapter(host).sync(tx, scope, project, [e for e in lock.skills if e.host == host])


def list_hosts(project: Path | None = None) -> list[HostInfo]:
    """Every known host: detected or not, and where it reads skills (global and for ``project``)."""
    project = (project or Path.cwd()).absolute()
    infos = []
    for adapter in all_adapters():
        detection = adapter.detect()
        spec = adapter.spec
        infos.append(
            HostInfo(
                name=adapter.name,
                display=spec.display,
                detected=detection.found,
                reason=detection.reason,
                global_dir=str(adapter.skills_dir("global", None)) if adapter.supports("global") else None,
                project_dir=str(adapter.skills_dir("project", project))
                if adapter.supports("project")
                else None,
                global_reads=[str(p) for p in adapter.read_dirs("global", None)],
                project_reads=[str(p) for p in adapter.read_dirs("project", project)],
                verified=" / ".join(
                    f"{label} [{paths.status}]"
                    for label, paths in (("global", spec.global_), ("project", spec.project))
                    if paths is not None
                ),
                notes=spec.notes,
            )
        )
    return infos
