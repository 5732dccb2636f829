"""Creating, checking and repairing a registry.

Writes are atomic (objects first, then one ref transaction), so an interrupted command can only
leave: unreachable objects (harmless; ``git gc`` drops them), a git lock file from a git process that
was killed, a stale work tree or index cache, or — if a crash hit the middle of git's own ref
commit — a version commit whose tag is missing. ``heal`` fixes the last one before every write;
``check`` finds all of them and ``fix`` repairs what can be repaired without losing anything.

Damage from outside is handled too: settings in the registry's own ``.git/config`` that would make
git run a program (hooks, fsmonitor, filters, ...; see ``_git.EXEC_KEYS``) are findings that
``fix`` removes, and ``rescue`` rebuilds an empty or garbage ``.git/HEAD`` and an unparsable
``.git/config`` (the refs and tags hold everything else) before the repository is even opened.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path

from skillforge.errors import RegistryError
from skillforge.models.registry import Finding, FsckReport
from skillforge.registry import history, index, layout, publish, worktree
from skillforge.registry._git import (
    BRANCH,
    MAIN,
    REPAIR_HINT,
    ZERO,
    GitRepo,
    RefUpdate,
    exec_settings,
    read_config_file,
    unset_config,
)
from skillforge.registry.locking import write_lock

_COMMITTER = re.compile(rb"^committer (.+)$", re.MULTILINE)


def create(path: Path, *, timeout: float | None = None) -> GitRepo:
    """Create the registry at ``path`` (an empty or missing folder); safe when several processes race."""
    path.parent.mkdir(parents=True, exist_ok=True)
    init_lock = path.parent / f".{path.name}.init.lock"
    with write_lock(init_lock, registry=path, timeout=timeout, what="init"):
        if (path / ".git").exists():
            repo = GitRepo(path)
            adopt(repo)
            return repo
        if path.exists() and (not path.is_dir() or any(path.iterdir())):
            raise RegistryError(
                "exists and is not a skillforge registry (nor an empty folder)",
                path=path,
                hint="choose another location with --registry or SKILLFORGE_REGISTRY",
            )
        return GitRepo.init(path)


def adopt(repo: GitRepo) -> None:
    """Configure an existing repository for writing, if it is a registry (e.g. a fresh ``git clone``)."""
    if repo.is_configured():
        return
    head = repo.head() or repo.resolve("HEAD")
    if head is not None and repo.lookup(repo.commit_tree(head), layout.MARKER) is None:
        raise RegistryError(
            "is a git repository but not a skillforge registry (no registry.json)",
            path=repo.path,
            hint="choose another location with --registry or SKILLFORGE_REGISTRY",
        )
    repo.configure()


def heal(repo: GitRepo) -> None:
    """Before a write: recreate the tag of the newest version commit if a crash lost it."""
    head = repo.head()
    if head is None:
        return
    record = layout.parse_record(repo.commit_message(head))
    if record is not None and repo.resolve(layout.tag_ref(record.name, record.version)) is None:
        _create_tags(repo, [(head, record.name, record.version)])


def after_write(repo: GitRepo) -> list[str]:
    """After a write (still under the lock): refresh the work tree and the index; never fails the write."""
    warnings = []
    try:
        worktree.refresh(repo)
    except RegistryError as exc:
        warnings.append(f"the checked-out files were not refreshed ({exc.message}); {REPAIR_HINT}")
    try:
        index.load(repo, repo.head())
    except RegistryError as exc:
        warnings.append(f"the index was not updated ({exc.message}); {REPAIR_HINT}")
    try:
        repo.run("gc", "--auto", "--quiet")
    except RegistryError:
        pass  # housekeeping only; the next write tries again
    return warnings


_MINIMAL_CONFIG = (
    "[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = false\n\tlogallrefupdates = true\n"
)
_HEAD = f"ref: {MAIN}\n"
_HEAD_OK = re.compile(r"^(ref: refs/[^\s]+|[0-9a-f]{40})\n?$")


def metadata_findings(path: Path) -> list[Finding]:
    """Problems in ``.git/HEAD`` and ``.git/config`` that stop git from opening the registry at all."""
    git_dir = path / ".git"
    if not git_dir.is_dir() or not (git_dir / "objects").is_dir():
        return []
    found = []
    try:
        head = (git_dir / "HEAD").read_text(encoding="utf-8", errors="replace")
    except OSError:
        head = ""
    if not _HEAD_OK.match(head):
        found.append(Finding(kind="bad-head", message=".git/HEAD is empty or garbage"))
    if read_config_file(git_dir / "config") is None:
        found.append(Finding(kind="bad-config", message=".git/config does not parse"))
    return found


def rescue(path: Path) -> list[str]:
    """Rebuild ``.git/HEAD`` (-> main) and an unparsable ``.git/config``, keeping the old file aside.

    Versions live in refs and tags, so nothing is lost but remotes, which are named in the report.
    """
    git_dir = path / ".git"
    done: list[str] = []
    kinds = {f.kind for f in metadata_findings(path)}
    if "bad-head" in kinds:
        _replace(git_dir / "HEAD", _HEAD)
        done.append(f"rewrote .git/HEAD (it was empty or garbage) to point at {BRANCH}")
    if "bad-config" in kinds:
        kept = git_dir / "config.damaged"
        os.replace(git_dir / "config", kept)
        _replace(git_dir / "config", _MINIMAL_CONFIG)
        # remote URLs lived in the config; name what can still be seen so the person can re-add them
        old = kept.read_bytes().decode("utf-8", "replace")
        remotes = sorted(
            {p.name for p in (git_dir / "refs" / "skillforge" / "remotes").glob("*") if p.is_dir()}
            | set(re.findall(r'\[remote "([A-Za-z0-9._-]+)"\]', old))
        )
        lost = f"; re-add remote(s) {', '.join(remotes)} with `skillforge registry remote add`"
        done.append(
            "rebuilt .git/config (it did not parse; the old one is kept as .git/config.damaged)"
            + (lost if remotes else "")
        )
    return done


def _replace(path: Path, text: str) -> None:
    tmp = path.with_name(path.name + ".skillforge-tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)


def config_findings(repo: GitRepo) -> list[Finding]:
    """Settings in the registry's own ``.git/config`` that make git run a program or read more config."""
    return [
        Finding(
            kind="exec-config",
            message=f".git/config sets {key} = {value!r}, which makes git run a program or read other "
            "config (skillforge overrides it; other git tools would not)",
        )
        for key, value in repo.exec_settings
    ]


def check(repo: GitRepo, *, full: bool = True) -> FsckReport:
    """Find every problem (see the module docstring); changes nothing."""
    report = FsckReport(path=str(repo.path))
    add = report.findings.append
    report.findings += config_findings(repo)
    try:
        repo.run("rev-parse", "--git-dir")
    except RegistryError:
        return report  # git refuses this config; nothing more can be checked until repair
    for lock in worktree.stale_locks(repo):
        add(
            Finding(
                kind="stale-lock",
                message=f"git lock file {lock.relative_to(repo.git_dir)} left by an interrupted command",
            )
        )
    if repo.head(strict=False) is None and repo.has_history():
        add(Finding(kind="missing-main", message="the main branch is missing or damaged"))
        return report
    if full:
        clean, output = _git_fsck(repo)
        if not clean:
            detail = "; ".join(line for line in output.splitlines()[:5] if line.strip())
            add(Finding(kind="git-fsck", message=f"git fsck found damage: {detail}", fixable=False))
    head = repo.head()
    if head is None:
        return report
    try:
        _check_versions(repo, head, add)
    except RegistryError as exc:
        add(Finding(kind="unreadable", message=exc.message, fixable=False))
        return report
    cached = index._read(repo)
    if cached is not None and cached.head == head and cached != index.rebuild(repo, head):
        add(Finding(kind="stale-index", message="the index cache does not match git"))
    dirty = worktree.dirty(repo)
    if dirty:
        shown = ", ".join(dirty[:5]) + (" ..." if len(dirty) > 5 else "")
        add(Finding(kind="worktree", message=f"checked-out files differ from the registry: {shown}"))
    return report


def fix(repo: GitRepo) -> FsckReport:
    """Repair what ``check`` reports as fixable (the caller holds the write lock), then check again."""
    repaired = []
    hooks = repo.git_dir / "skillforge" / "no-hooks"
    for key, value in exec_settings(read_config_file(repo.git_dir / "config") or [], hooks):
        unset_config(repo.git_dir / "config", key)
        if key.lower().startswith("filter."):  # a required filter without its commands breaks git
            unset_config(repo.git_dir / "config", key.rsplit(".", 1)[0] + ".required")
        repaired.append(f"removed {key} = {value!r} from .git/config")
    if repaired or not repo.is_configured_file():
        repo.reload_config()
        repo.configure()
    for lock in worktree.stale_locks(repo):
        lock.unlink(missing_ok=True)
        repaired.append(f"removed stale lock {lock.relative_to(repo.git_dir)}")
    if repo.head(strict=False) is None and repo.has_history():
        repaired.append(_restore_main(repo))
    head = repo.head()
    if head is not None:
        missing = _missing_tags(repo, head)
        if missing:
            _create_tags(repo, missing)
            repaired += [f"recreated tag {layout.tag_name(n, v)}" for _, n, v in missing]
        restored = _restore_pins(repo, head)
        if restored:
            repaired.append(restored)
            head = repo.head() or head
        index._write(repo, index.rebuild(repo, head))
        repaired.append("rebuilt the index")
        if worktree.dirty(repo):
            worktree.refresh(repo)
            repaired.append("restored the checked-out files")
    report = check(repo, full=True)
    report.repaired = repaired
    return report


def _records(repo: GitRepo, head: str) -> list[tuple[str, str, str]]:
    """``(commit, name, version)`` for every version commit reachable from ``main``."""
    out = []
    for rec in repo.run("log", "--format=%H%x00%B%x00%x1e", head).split("\x00\x1e"):
        commit, _, message = rec.strip("\n").partition("\x00")
        record = layout.parse_record(message) if commit else None
        if record is not None:
            out.append((commit, record.name, record.version))
    return out


def _missing_tags(repo: GitRepo, head: str) -> list[tuple[str, str, str]]:
    tags = _tag_commits(repo)
    return [(c, n, v) for c, n, v in _records(repo, head) if layout.tag_name(n, v) not in tags]


def _tag_commits(repo: GitRepo) -> dict[str, str]:
    out = {}
    for rec in repo.refs("refs/tags", fmt="%(refname:lstrip=2)%00%(*objectname)%00%(objectname)"):
        tag, peeled, obj = rec.lstrip("\n").split("\x00")[:3]
        out[tag] = peeled or obj
    return out


def _check_versions(repo: GitRepo, head: str, add: Callable[[Finding], None]) -> None:
    def report(kind: str, message: str, fixable: bool = False) -> None:
        add(Finding(kind=kind, message=message, fixable=fixable))

    tags = _tag_commits(repo)
    for commit, name, version in _records(repo, head):
        tag = layout.tag_name(name, version)
        if tag not in tags:
            report("missing-tag", f"version commit {commit[:12]} has no tag {tag}", fixable=True)
        elif tags[tag] != commit:
            report(
                "tag-mismatch", f"tag {tag} points to {tags[tag][:12]}, not its version commit {commit[:12]}"
            )
    orphans = repo.run(
        "for-each-ref", "--format=%(refname:lstrip=2)", f"--no-merged={MAIN}", "refs/tags"
    ).split()
    for tag in orphans:
        if history.split_tag(tag):
            report("orphan-tag", f"tag {tag} is not part of main's history")
    grouped = history.all_versions(repo)
    root = repo.commit_tree(head)
    skills = repo.lookup(root, layout.SKILLS)
    names = {e.name: e.sha for e in repo.tree(skills.sha)} if skills and skills.is_tree else {}
    for name in sorted(set(names) - set(grouped)):
        report("untagged-skill", f"skills/{name} has no version tag")
    tagged = sorted(set(names) & set(grouped))
    latest = {name: layout.newest(grouped[name]) or "" for name in tagged}
    stored = repo.object_ids(
        [f"{tags[layout.tag_name(n, latest[n])]}:{layout.skill_path(n)}" for n in tagged]
    )
    for name, sha in zip(tagged, stored, strict=True):
        if sha != names[name]:
            report(
                "content-mismatch",
                f"skills/{name} on main differs from its latest version {name}@{latest[name]}",
            )
    pins_entry = repo.lookup(root, layout.PINS)
    if pins_entry is not None:
        try:
            pins = layout.load_pins(repo.read(pins_entry.sha)[1]).pins
        except ValueError:
            report("bad-pins", f"{layout.PINS} is not valid", fixable=True)
            return
        for name, pin in sorted(pins.items()):
            if layout.tag_name(name, pin.version) not in tags:
                report(
                    "bad-pin",
                    f"{name} is pinned to {pin.version}, which does not exist (`skillforge unpin {name}`)",
                )


def _restore_main(repo: GitRepo) -> str:
    """Point ``main`` back at its last commit (from the reflog, else the newest version commit)."""
    commit, source = _main_from_reflog(repo), "its reflog"
    if commit is None:
        newest = repo.refs("refs/tags", fmt="%(*objectname)")
        dated = sorted(((repo.run("show", "-s", "--format=%ct", c), c) for c in newest if c), reverse=True)
        if not dated:
            raise RegistryError(
                "main is damaged and no version commit is left to restore it from", path=repo.path
            )
        commit, source = dated[0][1], "the newest version commit (later pin changes may need redoing)"
    (repo.git_dir / "refs" / "heads" / "main").unlink(missing_ok=True)
    repo.update_refs([RefUpdate(MAIN, commit, "")], reason="skillforge repair: restore main")
    return f"restored main to {commit[:12]} from {source}"


def _restore_pins(repo: GitRepo, head: str) -> str | None:
    """Commit the newest valid ``pins.json`` from history when the current one does not parse."""
    entry = repo.lookup(repo.commit_tree(head), layout.PINS)
    if entry is None or _valid_pins(repo.read(entry.sha)[1]):
        return None
    for commit in repo.run("log", "--format=%H", head, "--", layout.PINS).split():
        old = repo.lookup(repo.commit_tree(commit), layout.PINS)
        data = repo.read(old.sha)[1] if old else None
        if data is not None and _valid_pins(data):
            publish.commit_change(
                repo, layout.PINS, data, f"repair: restore {layout.PINS} from {commit[:12]}"
            )
            return f"restored {layout.PINS} from commit {commit[:12]}"
    publish.commit_change(repo, layout.PINS, None, f"repair: remove unreadable {layout.PINS}")
    return f"removed unreadable {layout.PINS} (no valid earlier version)"


def _valid_pins(data: bytes) -> bool:
    try:
        layout.load_pins(data)
    except ValueError:
        return False
    return True


def _create_tags(repo: GitRepo, missing: list[tuple[str, str, str]]) -> None:
    updates = []
    for commit, name, version in missing:
        _, data = repo.read(commit)
        found = _COMMITTER.search(data.split(b"\n\n", 1)[0])
        tagger = found.group(1).decode() if found else repo.ident("COMMITTER")
        tag = repo.write_tag(commit, layout.tag_name(name, version), tagger, repo.commit_message(commit))
        updates.append(RefUpdate(layout.tag_ref(name, version), tag, None))
    repo.update_refs(updates, reason="skillforge repair: recreate version tags")


def _main_from_reflog(repo: GitRepo) -> str | None:
    """The last commit ``main`` pointed to according to its reflog, if that commit still exists."""
    try:
        lines = (repo.git_dir / "logs" / "refs" / "heads" / BRANCH).read_text(errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        parts = line.split(" ", 2)
        if len(parts) > 1 and len(parts[1]) == 40 and parts[1] != ZERO:
            try:
                if repo.read(parts[1])[0] == "commit":
                    return parts[1]
            except RegistryError:
                continue
    return None


def _git_fsck(repo: GitRepo) -> tuple[bool, str]:
    """``git fsck`` (objects and connectivity): (clean, output)."""
    status, out, err = repo.run_status("fsck", "--no-dangling", "--no-progress")
    text = "\n".join(t for t in (out, err) if t)
    return status == 0 and not any(w in text for w in ("error", "missing", "broken")), text
