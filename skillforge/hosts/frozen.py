"""CI and team checks over the lock: ``install --frozen``, ``installed --check``, ``outdated``.

``install_frozen`` puts back exactly what the lock says: every source is fetched at its recorded
version (or commit) and must hash to the recorded value before anything is written; one mismatch
or missing source and nothing changes. Other tools' local entries (``sourceType: local``) are
restored into ``.agents/skills`` as ``skills experimental_install`` does, checked against their
``computedHash``; the lock files are not rewritten.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from skillforge.errors import HostError, SkillforgeError
from skillforge.hosts.base import get_adapter
from skillforge.hosts.confine import check_host_dir, entry_dir, foreign_entry_dir
from skillforge.hosts.fsops import Transaction
from skillforge.hosts.installer import _link_target, disk_status, find_project_root
from skillforge.hosts.lockfile import hash_tree, lock_path, locked, read_lock, skills_cli_hash
from skillforge.hosts.sources import SourceSpec, StagedSkill, parse_spec, stage
from skillforge.models.lock import LockEntry, Scope

CheckStatus = Literal["ok", "modified", "missing", "refused", "extra"]
# Where the skills CLI's experimental_install restores project skills (its "universal" folder).
AGENTS_DIR = ".agents/skills"


class FrozenReport(BaseModel):
    """What ``install --frozen`` put back."""

    lock_file: str
    restored: list[str] = Field(default_factory=list, description="NAME (HOST) rows written")
    unchanged: list[str] = Field(default_factory=list, description="rows already as the lock says")
    other_tools: list[str] = Field(default_factory=list, description="other tools' skills restored")
    skipped: list[str] = Field(default_factory=list, description="entries it cannot restore, and why")


class CheckRow(BaseModel):
    """One line of ``installed --check``."""

    name: str
    host: str
    path: str
    status: CheckStatus
    detail: str = ""


class OutdatedRow(BaseModel):
    """One line of ``outdated`` / ``update --dry-run``."""

    name: str
    hosts: list[str]
    current: str | None
    available: str | None
    detail: str = ""


@dataclass
class _Job:
    entries: list[LockEntry]
    staged: StagedSkill
    spec: SourceSpec


def _spec_for(entry: LockEntry) -> SourceSpec:
    """How to fetch exactly what ``entry`` recorded: the registry version, else its source."""
    src = entry.source
    if src.kind == "registry":
        return SourceSpec("registry", src.ref, version=entry.version)
    return SourceSpec(src.kind, src.ref, subdir=src.subdir)


def install_frozen(project: Path | None = None, *, registry_path: Path | None = None) -> FrozenReport:
    """Install exactly what the project lock records; raise ``HostError`` and change nothing on any mismatch."""
    project = (project or find_project_root()).absolute()
    lp = lock_path("project", project)
    if not lp.is_file():
        raise HostError("no skills-lock.json here to install from", path=lp, hint="run `skillforge install` first")
    report = FrozenReport(lock_file=str(lp))
    with locked(lp), ExitStack() as stack:
        lock = read_lock(lp)
        groups: dict[tuple[str, str, str | None], list[LockEntry]] = {}
        for entry in lock.skills:
            entry_dir(entry, "project", project)  # refuse a hostile entry before fetching anything
            key = (entry.name, entry.source.model_dump_json(), entry.version)
            groups.setdefault(key, []).append(entry)
        jobs = []
        for entries in groups.values():
            first = entries[0]
            spec = _spec_for(first)
            staged = stack.enter_context(stage(spec, registry_path))
            digest = hash_tree(staged.dir)
            wanted = {e.hash for e in entries}
            if wanted != {digest}:
                raise HostError(
                    f"{first.name}: {_describe(spec)} does not match the lock (hash {digest[:19]}…, "
                    f"lock {sorted(wanted)[0][:19]}…)",
                    path=lp,
                    hint="the source changed since the lock was written; run `skillforge update` and commit the lock",
                )
            jobs.append(_Job(entries, staged, spec))
        others = _other_tool_jobs(lock.foreign(), project, report, stack)
        with Transaction() as tx:
            for job in jobs:
                for entry in job.entries:
                    dest = entry_dir(entry, "project", project)
                    row = f"{entry.name} ({entry.host})"
                    if disk_status(entry, dest)[0] == "ok":
                        report.unchanged.append(row)
                        continue
                    check_host_dir(dest.parent, get_adapter(entry.host), "project", project)
                    target = _link_target(job.spec, job.staged, entry.hash) if entry.mode == "link" else None
                    tx.place(job.staged.dir, dest, link_target=target)
                    report.restored.append(row)
            for name, folder in others:
                tx.place(folder, foreign_entry_dir(name, AGENTS_DIR, project))
                report.other_tools.append(name)
    return report


def _other_tool_jobs(
    foreign: dict[str, dict[str, Any]], project: Path, report: FrozenReport, stack: ExitStack
) -> list[tuple[str, Path]]:
    """Other tools' local entries to restore (checked against ``computedHash``); others are skipped."""
    jobs = []
    for name, raw in sorted(foreign.items()):
        dest = foreign_entry_dir(name, AGENTS_DIR, project)
        if raw.get("sourceType") != "local" or not isinstance(raw.get("source"), str):
            report.skipped.append(f"{name}: {raw.get('sourceType')} source; restore it with the tool that added it")
            continue
        if dest.is_dir() and skills_cli_hash(dest) == raw.get("computedHash"):
            report.unchanged.append(f"{name} ({AGENTS_DIR})")
            continue
        try:
            spec = parse_spec(raw["source"], cwd=project)
            staged = stack.enter_context(stage(spec))
        except SkillforgeError as exc:
            raise HostError(f"{name} (added by another tool): {exc.message}", path=lock_path("project", project)) from None
        if skills_cli_hash(staged.dir) != raw.get("computedHash"):
            raise HostError(
                f"{name} (added by another tool): {raw['source']} does not match its computedHash",
                path=lock_path("project", project),
                hint="the source changed since the lock was written",
            )
        jobs.append((name, staged.dir))
    return jobs


def _describe(spec: SourceSpec) -> str:
    return f"{spec.ref}@{spec.version}" if spec.kind == "registry" else f"{spec.kind} {spec.ref}"


def check(project: Path | None = None, scope: Scope | None = None) -> list[CheckRow]:
    """Every installed skill against the lock: ``ok``, ``modified``, ``missing``, ``refused``, or ``extra``
    (a skill folder in a host folder skillforge uses that no lock entry names)."""
    from skillforge.hosts.manage import lock_files

    rows: list[CheckRow] = []
    for sc, proj, lp in lock_files(scope, project):
        lock = read_lock(lp)
        known = {e.name for e in lock.skills} | set(lock.foreign())
        folders: set[Path] = set()
        for entry in lock.skills:
            try:
                dest = entry_dir(entry, sc, proj)
            except HostError as exc:
                rows.append(CheckRow(name=entry.name, host=entry.host, path=entry.path, status="refused", detail=exc.message))
                continue
            folders.add(dest.parent)
            status, _ = disk_status(entry, dest)
            rows.append(CheckRow(name=entry.name, host=entry.host, path=entry.path, status=status))
        if sc == "project" and proj is not None:
            for name, raw in sorted(lock.foreign().items()):
                rows.append(_other_row(name, raw, proj))
        for folder in sorted(folders):
            for child in sorted(folder.iterdir()) if folder.is_dir() else []:
                if child.name.startswith(".") or child.name in known or not (child / "SKILL.md").is_file():
                    continue
                rows.append(
                    CheckRow(name=child.name, host="-", path=str(child), status="extra", detail="not in the lock")
                )
    return rows


def _other_row(name: str, raw: dict[str, Any], project: Path) -> CheckRow:
    """Another tool's entry: found in ``.agents/skills`` or a host folder with its ``computedHash``?"""
    from skillforge.hosts.base import all_adapters

    try:
        places = [foreign_entry_dir(name, AGENTS_DIR, project)]
    except HostError as exc:
        return CheckRow(name=name, host="(other tool)", path="", status="refused", detail=exc.message)
    places += [a.skill_path(name, "project", project) for a in all_adapters() if a.supports("project")]
    present = [p for p in dict.fromkeys(places) if p.is_dir()]
    if not present:
        return CheckRow(name=name, host="(other tool)", path="", status="missing")
    for place in present:
        if skills_cli_hash(place) == raw.get("computedHash"):
            return CheckRow(name=name, host="(other tool)", path=str(place.relative_to(project)), status="ok")
    return CheckRow(name=name, host="(other tool)", path=str(present[0].relative_to(project)), status="modified")


def outdated(
    project: Path | None = None, scope: Scope | None = None, *, registry_path: Path | None = None
) -> list[OutdatedRow]:
    """Installed skills whose source now holds something else (registry: a newer or pinned version)."""
    from skillforge.hosts.manage import lock_files

    rows: list[OutdatedRow] = []
    for _, _, lp in lock_files(scope, project):
        groups: dict[tuple[str, str], list[LockEntry]] = {}
        for entry in read_lock(lp).skills:
            groups.setdefault((entry.name, entry.source.model_dump_json()), []).append(entry)
        for entries in groups.values():
            row = _outdated_row(entries, registry_path)
            if row is not None:
                rows.append(row)
    return sorted(rows, key=lambda r: r.name)


def _outdated_row(entries: Sequence[LockEntry], registry_path: Path | None) -> OutdatedRow | None:
    first = entries[0]
    hosts = sorted(e.host for e in entries)
    spec = SourceSpec(first.source.kind, first.source.ref, subdir=first.source.subdir)
    if spec.kind == "git":
        return None  # needs the network; `update` fetches it
    try:
        with stage(spec, registry_path) as staged:
            digest = hash_tree(staged.dir)
            if all(e.hash == digest for e in entries):
                return None
            return OutdatedRow(name=first.name, hosts=hosts, current=first.version, available=staged.version,
                               detail=f"{spec.kind} {spec.ref} changed")
    except SkillforgeError as exc:
        return OutdatedRow(name=first.name, hosts=hosts, current=first.version, available=None, detail=exc.message)
