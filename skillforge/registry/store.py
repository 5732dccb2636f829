"""``Registry``: the public face of the git-backed skill store.

Every version is a commit on ``main`` plus an annotated tag ``<name>@<semver>``; history is never
rewritten. Reads need no lock and see a consistent snapshot (the ``main`` commit is resolved once
per call). Writes take the registry's file lock, write git objects, then move refs in one atomic
transaction; see ``publish.py`` and ``registry/LAYOUT.md``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

from skillforge.errors import InputError, RegistryError, UnknownVersion
from skillforge.models.registry import (
    FsckReport,
    Pin,
    PublishResult,
    RemoteInfo,
    SkillSummary,
    SkillVersion,
    SyncResult,
)
from skillforge.registry import content, gate, history, index, layout, publish, repair, sync
from skillforge.registry._git import REPAIR_HINT, GitRepo
from skillforge.registry.locking import write_lock

T = TypeVar("T")


def _serialized(method: Callable[..., T]) -> Callable[..., T]:
    """One call at a time per Registry object: the TUI calls it from worker threads."""

    @wraps(method)
    def wrapper(self: Registry, *args: Any, **kwargs: Any) -> T:
        with self._mutex:
            return method(self, *args, **kwargs)

    return wrapper


class Registry:
    """A skill registry at ``path`` (a git repository, created on the first write)."""

    def __init__(self, path: Path, *, lock_timeout: float | None = None) -> None:
        self.path = Path(path).expanduser()
        self.lock_timeout = lock_timeout
        self._repo: GitRepo | None = None
        self._writable = False
        self._mutex = threading.RLock()

    def __repr__(self) -> str:
        return f"Registry({str(self.path)!r})"

    def __enter__(self) -> Registry:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Stop the git helper processes this object started."""
        if self._repo is not None:
            self._repo.close()
            self._repo = None
            self._writable = False

    # ---- reading ------------------------------------------------------------------------------

    def exists(self) -> bool:
        """True when the registry has been created (by ``init`` or a first write)."""
        return (self.path / ".git").exists()

    def require(self) -> None:
        """Raise ``RegistryError`` unless a registry exists at ``path`` (for a path the user named)."""
        hint = "check the path; `skillforge registry init --registry PATH` creates a registry"
        if not self.path.exists():
            raise RegistryError("no registry here: the folder does not exist", path=self.path, hint=hint)
        if not self.path.is_dir():
            raise RegistryError("not a registry: this is a file, not a folder", path=self.path, hint=hint)
        if not self.exists():
            raise RegistryError(
                "not a skillforge registry (the folder has no .git)", path=self.path, hint=hint
            )

    @_serialized
    def skills(self) -> list[SkillSummary]:
        """Every skill, sorted by name: latest version, description, pin, date of latest, topic tags."""
        repo = self._open()
        if repo is None:
            return []
        head = repo.head()
        pins = self._pins(repo, head)
        return [
            SkillSummary(
                name=e.name,
                latest=e.latest,
                description=e.description,
                pinned=pins[e.name].version if e.name in pins else None,
                updated=e.updated,
                tags=e.tags,
                versions=e.versions,
            )
            for e in index.load(repo, head).skills.values()
        ]

    @_serialized
    def versions(self, name: str) -> list[SkillVersion]:
        """Every version of ``name``, newest first; ``UnknownVersion`` when there is no such skill."""
        found = history.versions(self._need(name), name)
        if not found:
            raise self._no_skill(name)
        return found

    @_serialized
    def version(self, name: str, version: str | None = None) -> SkillVersion:
        """The record of one version (``None``: the resolved one, i.e. pinned or latest)."""
        resolved = self.resolve(name, version)
        return next(v for v in history.versions(self._need(name), name) if v.version == resolved)

    @_serialized
    def resolve(self, name: str, version: str | None = None) -> str:
        """The version to use: ``version`` if it exists, else the pinned version, else the latest."""
        repo = self._need(name)
        known = history.version_names(repo, name)
        if not known:
            raise self._no_skill(name)
        if version is not None and version != "latest":
            layout.check_version(version)
            if version not in known:
                raise UnknownVersion(
                    f"{layout.tag_name(name, version)} does not exist",
                    path=self.path,
                    hint="versions: " + ", ".join(known[:8]) + (" ..." if len(known) > 8 else ""),
                )
            return version
        pin = self._pins(repo, repo.head()).get(name)
        if pin is not None and version is None and pin.version in known:
            return pin.version
        return known[0]

    @_serialized
    def read_file(self, name: str, version: str | None = None, relpath: str = "SKILL.md") -> str:
        """One file of a version as text (``version`` None: pinned or latest)."""
        repo, tree, resolved = self._tree(name, version)
        entry = repo.lookup(tree, layout.check_relpath(relpath))
        if entry is None or entry.is_tree:
            raise RegistryError(f"{layout.tag_name(name, resolved)} has no file {relpath}", path=self.path)
        try:
            return repo.read(entry.sha)[1].decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(f"{relpath} in {layout.tag_name(name, resolved)} is not text") from None

    @_serialized
    def files(self, name: str, version: str | None = None) -> dict[str, str]:
        """Text files of a version by relative path (binary files: see ``file_bytes``)."""
        repo, tree, _ = self._tree(name, version)
        return content.read_texts(repo, tree)

    @_serialized
    def file_bytes(self, name: str, version: str | None = None) -> dict[str, bytes]:
        """Every file of a version, byte for byte."""
        repo, tree, _ = self._tree(name, version)
        return content.read_bytes(repo, tree)

    @_serialized
    def export(self, name: str, version: str | None, dest: Path, *, replace: bool = True) -> Path:
        """Write a version to ``dest/<name>`` atomically (modes and internal symlinks kept); returns it."""
        repo, tree, _ = self._tree(name, version)
        return content.export(repo, tree, Path(dest), name, replace=replace)

    @_serialized
    def diff(self, name: str, v1: str, v2: str | None = None) -> str:
        """Unified diff of every file from ``v1`` to ``v2`` (``None``: the latest version)."""
        repo, old, first = self._tree(name, v1)
        _, new, second = self._tree(name, v2 or "latest")
        return content.unified_diff(repo, name, (first, old), (second, new))

    @_serialized
    def pins(self) -> dict[str, str]:
        """Pinned skills: name -> version."""
        repo = self._open()
        if repo is None:
            return {}
        return {name: pin.version for name, pin in self._pins(repo, repo.head()).items()}

    @_serialized
    def provenance(self, name: str, version: str | None = None) -> dict[str, Any] | None:
        """The provenance stored with a version (which lessons and traces produced it), or None."""
        repo, _, resolved = self._tree(name, version)
        raw = _blob_at(
            repo, repo.resolve(layout.tag_ref(name, resolved) + "^{commit}"), layout.provenance_path(name)
        )
        if raw is None:
            return None
        try:
            data = json.loads(raw)
        except ValueError:
            raise RegistryError(
                f"provenance of {layout.tag_name(name, resolved)} is not JSON", hint=REPAIR_HINT
            ) from None
        return data if isinstance(data, dict) else {"provenance": data}

    @_serialized
    def events(self, name: str) -> list[dict[str, Any]]:
        """Events recorded for ``name`` that are not versions (e.g. rejected evolve rounds), oldest first."""
        repo = self._open()
        raw = _blob_at(repo, repo.head(), layout.events_path(layout.check_name(name))) if repo else None
        return layout.parse_events(raw) if raw else []

    @_serialized
    def remotes(self) -> list[RemoteInfo]:
        repo = self._open()
        return [RemoteInfo(name=n, url=u) for n, u in sync.remotes(repo).items()] if repo else []

    # ---- writing ------------------------------------------------------------------------------

    @_serialized
    def init(self) -> Path:
        """Create the registry if it does not exist yet (idempotent); returns its path."""
        self._open(create=True)
        return self.path

    @_serialized
    def publish(
        self,
        skill_dir: Path,
        *,
        bump: str | None = "patch",
        version: str | None = None,
        message: str | None = None,
        provenance: dict[str, Any] | Path | None = None,
        changelog: list[str] | None = None,
        extra: dict[str, Any] | None = None,
        force: bool = False,
        acknowledge: str | None = None,
        check_source: bool = False,
        replace: bool = False,
    ) -> PublishResult:
        """Validate and scan ``skill_dir``, then record it as a new version (commit + tag, atomically).

        ``version`` wins over ``bump``; a first version defaults to 0.1.0. A version not above the
        latest is refused. Identical content is a no-op (``created`` False, ``reason`` says why).
        Spec errors refuse; warnings are returned. High-severity scan findings refuse unless
        ``force`` with an ``acknowledge`` text; the forced decision is kept in ``extra["scan"]``.
        Size limits (``skillforge.hosts.limits``) and hard links are checked before anything is read.

        With ``check_source`` (the ``publish`` command) the resolved folder is recorded as the
        version's ``source``, and a different folder published under a name whose latest version
        came from elsewhere is refused with ``ConflictError`` unless ``replace``. Callers that
        start from the registry's own content (evolve, corrections, the TUI) leave it off.
        """
        prov = publish.provenance_bytes(provenance)
        extra = dict(extra or {})
        prepared = publish.prepare(Path(skill_dir))
        verdict = gate.scan(Path(skill_dir), force=force, acknowledge=acknowledge)
        if verdict.record:
            extra["scan"] = verdict.record
        with self._writing("publish") as repo:
            tree = publish.write_tree(repo, prepared.files)
            result = publish.commit_version(
                repo,
                name=prepared.name,
                tree=tree,
                version=version,
                bump=bump,
                message=message,
                changelog=changelog,
                extra=extra,
                provenance=prov,
                warnings=prepared.warnings + verdict.warnings,
                source=prepared.source if check_source else None,
                replace=replace,
                declared=prepared.declared_version,
            )
        result.warnings += self._after_write_warnings
        return result

    @_serialized
    def rollback(
        self, name: str, version: str, message: str | None = None, *, bump: str = "patch"
    ) -> PublishResult:
        """Publish ``version``'s content (and provenance) as a new version; history stays as it was."""
        with self._writing("rollback") as repo:
            _, tree, resolved = self._tree(name, version)
            prov = self.provenance(name, resolved)
            result = publish.commit_version(
                repo,
                name=name,
                tree=tree,
                version=None,
                bump=bump,
                message=message or f"roll back to {resolved}",
                changelog=[f"restore the content of {resolved}"],
                extra={"rolled_back_from": resolved},
                provenance=publish.provenance_bytes(prov),
            )
        result.warnings += self._after_write_warnings
        return result

    @_serialized
    def pin(self, name: str, version: str, message: str | None = None) -> str:
        """Hold ``name`` at ``version`` for ``resolve`` (installs, updates, evolve); returns the commit."""
        with self._writing("pin") as repo:
            resolved = self.resolve(name, version)
            pins = layout.load_pins(_blob_at(repo, repo.head(), layout.PINS))
            pins.pins[name] = Pin(version=resolved, message=layout.check_text(message, "message") or None)
            return publish.commit_change(repo, layout.PINS, layout.dump_pins(pins), f"pin {name}@{resolved}")

    @_serialized
    def unpin(self, name: str) -> bool:
        """Remove ``name``'s pin; False when it was not pinned."""
        with self._writing("unpin") as repo:
            pins = layout.load_pins(_blob_at(repo, repo.head(), layout.PINS))
            if pins.pins.pop(layout.check_name(name), None) is None:
                return False
            publish.commit_change(repo, layout.PINS, layout.dump_pins(pins), f"unpin {name}")
            return True

    @_serialized
    def record_event(self, name: str, kind: str, data: dict[str, Any] | None = None) -> str:
        """Append an event (not a version) to ``events/<name>.jsonl``, e.g. a rejected evolve round."""
        with self._writing("event") as repo:
            old = _blob_at(repo, repo.head(), layout.events_path(layout.check_name(name))) or b""
            line = layout.event_line(kind, data or {}, datetime.now(timezone.utc))
            return publish.commit_change(repo, layout.events_path(name), old + line, f"event {name}: {kind}")

    @_serialized
    def add_remote(self, name: str, url: str) -> None:
        """Add a plain git remote (a bare repository path or URL) to push to and pull from."""
        with self._writing("remote") as repo:
            sync.add_remote(repo, name, url)

    @_serialized
    def remove_remote(self, name: str) -> None:
        with self._writing("remote") as repo:
            sync.remove_remote(repo, name)

    @_serialized
    def push(self, remote: str = "origin") -> SyncResult:
        """Send ``main`` and every version tag; refuses (changing nothing) when the remote is ahead."""
        with self._writing("push") as repo:
            return sync.push(repo, remote)

    @_serialized
    def pull(self, remote: str = "origin") -> SyncResult:
        """Fetch and merge; a conflict raises ``ConflictError`` and leaves local state untouched."""
        with self._writing("pull") as repo:
            return sync.pull(repo, remote)

    @_serialized
    def fsck(self, *, full: bool = True) -> FsckReport:
        """Check the registry (git objects, tags vs commits, index, work tree, locks, its own git
        config and HEAD); changes nothing."""
        damaged = repair.metadata_findings(self.path)
        if damaged:
            return FsckReport(path=str(self.path), findings=damaged)
        repo = self._open()
        if repo is None:
            return FsckReport(path=str(self.path))
        return repair.check(repo, full=full)

    @_serialized
    def repair(self) -> FsckReport:
        """Fix what ``fsck`` can fix (stale git locks, missing tags, index, work tree, a garbage HEAD or
        git config, program-running git settings); report the rest."""
        rescued: list[str] = []
        if repair.metadata_findings(self.path):
            self.close()
            lock = self.path / ".git" / "skillforge" / "write.lock"
            with write_lock(lock, registry=self.path, timeout=self.lock_timeout, what="repair"):
                rescued = repair.rescue(self.path)
        repo = self._open()
        if repo is None:
            return FsckReport(path=str(self.path), repaired=rescued)
        with write_lock(self._lock_file(repo), registry=self.path, timeout=self.lock_timeout, what="repair"):
            report = repair.fix(repo)
        report.repaired[:0] = rescued
        return report

    # ---- internals ----------------------------------------------------------------------------

    def _open(self, create: bool = False) -> GitRepo | None:
        if self._repo is not None and (self._writable or not create):
            return self._repo
        if self._repo is None and self.exists():
            self._repo = GitRepo(self.path)
        if not create:
            return self._repo
        if self._repo is not None and self._repo.is_configured():
            self._writable = True
            return self._repo
        self.close()
        # creating or adopting happens under the init lock, so racing first writers agree
        self._repo = repair.create(self.path, timeout=self.lock_timeout)
        self._writable = True
        return self._repo

    def _need(self, name: str) -> GitRepo:
        layout.check_name(name)
        repo = self._open()
        if repo is None:
            raise self._no_skill(name)
        return repo

    def _no_skill(self, name: str) -> UnknownVersion:
        return UnknownVersion(
            f"no skill named {name!r} in the registry", path=self.path, hint="`skillforge list` shows them"
        )

    def _tree(self, name: str, version: str | None) -> tuple[GitRepo, str, str]:
        repo = self._need(name)
        resolved = self.resolve(name, version)
        commit = repo.resolve(layout.tag_ref(name, resolved) + "^{commit}")
        entry = repo.lookup(repo.commit_tree(commit), layout.skill_path(name)) if commit else None
        if entry is None or not entry.is_tree:
            raise RegistryError(
                f"{layout.tag_name(name, resolved)} has no skill folder", path=self.path, hint=REPAIR_HINT
            )
        return repo, entry.sha, resolved

    def _pins(self, repo: GitRepo, head: str | None) -> dict[str, Pin]:
        try:
            return layout.load_pins(_blob_at(repo, head, layout.PINS)).pins
        except ValueError:
            raise RegistryError(f"{layout.PINS} is not valid", path=self.path, hint=REPAIR_HINT) from None

    def _lock_file(self, repo: GitRepo) -> Path:
        return repo.git_dir / "skillforge" / "write.lock"

    @contextmanager
    def _writing(self, what: str) -> Iterator[GitRepo]:
        repo = self._open(create=True)
        assert repo is not None
        self._after_write_warnings: list[str] = []
        with write_lock(self._lock_file(repo), registry=self.path, timeout=self.lock_timeout, what=what):
            repo.written.clear()
            repair.heal(repo)
            before = repo.head()
            yield repo
            if repo.head() != before:
                self._after_write_warnings = repair.after_write(repo)


def open_registry(path: Path | None = None, *, lock_timeout: float | None = None) -> Registry:
    """The registry at ``path`` (default: ``skillforge.config.registry_dir()``); nothing is created yet."""
    from skillforge.config import registry_dir

    return Registry(Path(path) if path is not None else registry_dir(), lock_timeout=lock_timeout)


def _blob_at(repo: GitRepo, commit: str | None, path: str) -> bytes | None:
    """Content of the file at ``path`` in ``commit`` (None when either does not exist)."""
    entry = repo.lookup(repo.commit_tree(commit), path) if commit else None
    return repo.read(entry.sha)[1] if entry and not entry.is_tree else None
