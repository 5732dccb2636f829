"""Team remotes over plain git: push and pull ``main`` and the version tags.

Pull fetches into a private namespace (``refs/skillforge/remotes/<remote>/``), decides everything,
and only then moves local refs in one transaction, so a conflict changes nothing locally. Merging
works per skill: a skill changed on one side only takes that side; a skill changed on both sides
(or a version tag that means different content on each side) is a conflict. Pins merge per skill,
event logs are unions.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from skillforge.errors import ConflictError, InputError, RegistryError, ScanRefused
from skillforge.models.registry import PinsFile, SyncAction, SyncResult
from skillforge.registry import history, layout
from skillforge.registry._git import MAIN, MODE_FILE, MODE_TREE, Entry, GitRepo, RefUpdate

_REMOTE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CHUNK = 1000


def add_remote(repo: GitRepo, name: str, url: str) -> None:
    check_remote_name(name)
    if not url or url.startswith("-") or "\n" in url:
        raise InputError(f"invalid remote URL {url!r}")
    if name in remotes(repo):
        raise RegistryError(
            f"remote {name!r} already exists", hint=f"`skillforge registry remote remove {name}` first"
        )
    repo.run("remote", "add", name, url)


def remove_remote(repo: GitRepo, name: str) -> None:
    _need_remote(repo, name)
    repo.run("remote", "remove", name)


def check_remote_name(name: str) -> str:
    if not _REMOTE_NAME.match(name or ""):
        raise InputError(
            f"invalid remote name {name!r}", hint="use letters, digits, '.', '_' or '-', e.g. origin"
        )
    return name


def push(repo: GitRepo, remote: str) -> SyncResult:
    """Push ``main`` and every version tag the remote lacks; refuse if the remote has unpulled work."""
    _need_remote(repo, remote)
    head = repo.head()
    if head is None:
        raise RegistryError("nothing to push: the registry has no versions yet")
    theirs = _ls_remote(repo, remote)
    remote_main = theirs.get(MAIN)
    to_send, clashes = [], []
    for tag, (obj, peeled) in _local_tags(repo).items():
        ref = f"refs/tags/{tag}"
        if ref not in theirs:
            to_send.append(tag)
        elif theirs[ref] != obj and theirs.get(ref + "^{}", theirs[ref]) != peeled:
            clashes.append(tag)
    if clashes:
        raise ConflictError(
            f"{remote} already has {_names(clashes)} with different content; nothing was pushed",
            hint=f"run `skillforge registry pull {remote}` to see the conflict",
        )
    if (
        remote_main
        and remote_main != head
        and not (_have(repo, remote_main) and repo.is_ancestor(remote_main, head))
    ):
        raise ConflictError(
            f"{remote} has changes this registry does not have; nothing was pushed",
            hint=f"run `skillforge registry pull {remote}` first",
        )
    specs = [f"refs/tags/{t}:refs/tags/{t}" for t in sorted(to_send)]
    # tags first (in bounded batches), main last: a remote never gets a main whose tags are missing
    for start in range(0, max(0, len(specs) - _CHUNK), _CHUNK):
        _push(repo, remote, specs[start : start + _CHUNK])
    _push(
        repo,
        remote,
        specs[max(0, len(specs) - _CHUNK) :] + ([f"{head}:{MAIN}"] if remote_main != head else []),
    )
    return SyncResult(
        remote=remote,
        action="pushed" if to_send or remote_main != head else "up-to-date",
        commit=head,
        tags=sorted(to_send),
    )


def _push(repo: GitRepo, remote: str, specs: list[str]) -> None:
    if not specs:
        return
    status, out, err = repo.run_status("push", "--atomic", "--porcelain", "--no-verify", remote, *specs)
    if status == 0:
        return
    rejected = [line for line in out.splitlines() if line.startswith("!")]
    if rejected:
        raise ConflictError(
            f"{remote} refused the push ({rejected[0].split(chr(9))[-1].strip()}); nothing was pushed",
            hint=f"run `skillforge registry pull {remote}` first",
        )
    raise RegistryError(f"git push to {remote} failed: {' '.join(err.split())[:400]}")


def pull(repo: GitRepo, remote: str) -> SyncResult:
    """Fetch ``remote`` and merge it; raise ``ConflictError`` (changing nothing) on a conflict."""
    _need_remote(repo, remote)
    if MAIN not in _ls_remote(repo, remote):
        return SyncResult(remote=remote, action="up-to-date", commit=repo.head())
    ns = f"refs/skillforge/remotes/{remote}"
    repo.run(
        "fetch",
        "--no-tags",
        "--prune",
        "--quiet",
        "--no-write-fetch-head",
        "--refmap=",
        remote,
        f"+{MAIN}:{ns}/main",
        f"+refs/tags/*:{ns}/tags/*",
    )
    theirs = repo.resolve(f"{ns}/main")
    ours = repo.head()
    assert theirs is not None
    remote_tags = _local_tags(repo, f"{ns}/tags")
    local_tags = _local_tags(repo)
    clashes = [
        t
        for t, (_, peeled) in remote_tags.items()
        if t in local_tags
        and local_tags[t][1] != peeled
        and not _same_content(repo, t, local_tags[t][1], peeled)
    ]
    new_tags = sorted(t for t in remote_tags if t not in local_tags and history.split_tag(t))
    _check_incoming(repo, remote, f"{ns}/tags", theirs, {t: remote_tags[t] for t in new_tags})
    conflicts: list[str] = []
    action: SyncAction
    if ours is not None and (ours == theirs or repo.is_ancestor(theirs, ours)):
        action, new_head = "up-to-date", ours
    elif ours is None or repo.is_ancestor(ours, theirs):
        action, new_head = "fast-forward", theirs
    else:
        action = "merged"
        tree, conflicts = merge(repo, repo.merge_base(ours, theirs), ours, theirs)
        new_head = ""
    if conflicts or clashes:
        raise _conflict(remote, conflicts, clashes, local_tags, remote_tags, repo)
    if action == "merged":
        assert ours is not None  # a merge happens only when both sides have a head
        committer = repo.ident("COMMITTER")
        new_head = repo.write_commit(
            tree, [ours, theirs], f"Merge {remote}/main\n", repo.ident("AUTHOR"), committer
        )
    updates = [RefUpdate(MAIN, new_head, ours)] if new_head != ours else []
    updates += [RefUpdate(f"refs/tags/{t}", remote_tags[t][0], None) for t in new_tags]
    if updates:
        repo.update_refs(updates, reason=f"skillforge pull {remote}")
    if action == "up-to-date" and new_tags:
        action = "fast-forward"
    return SyncResult(remote=remote, action=action, commit=new_head, tags=new_tags)


def _check_incoming(
    repo: GitRepo, remote: str, prefix: str, theirs: str, tags: dict[str, tuple[str, str]]
) -> None:
    """Refuse a pull (changing nothing) whose new version tags a hostile remote could abuse.

    Each new tag must name a commit on the remote's ``main`` whose tree holds the skill's folder, and
    that folder must pass the checks ``export`` makes (paths, links, sizes) and the install-strength
    scan gate (the skill's own ignore markers disregarded): content pulled from a team remote never
    went through this registry's publish gate. A version published there with ``--force
    --acknowledge`` (its record says so, and ``log`` shows it) is let through.
    """
    if not tags:
        return
    on_main = {
        rec.lstrip("\n")[len(prefix) + 1 :]
        for rec in repo.refs(prefix, fmt="%(refname)", merged=theirs)
    }
    bad = sorted(t for t in tags if t not in on_main)
    if bad:
        raise RegistryError(
            f"pull from {remote} refused: {_names(bad)} not version(s) of {remote}'s main; "
            "nothing was changed locally",
            path=repo.path,
            hint=f"the remote's tags are damaged or hostile; ask whoever manages {remote}",
        )
    from skillforge.registry import content

    seen: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="skillforge-pull-") as tmp:
        for tag, (obj, commit) in sorted(tags.items()):
            name = history.split_tag(tag)
            assert name is not None
            entry = repo.lookup(repo.commit_tree(commit), layout.skill_path(name[0]))
            if entry is None or not entry.is_tree:
                raise RegistryError(
                    f"pull from {remote} refused: {tag} has no skill folder; nothing was changed locally",
                    path=repo.path,
                )
            if entry.sha in seen:
                continue
            seen.add(entry.sha)
            try:
                folder = content.export(repo, entry.sha, Path(tmp) / entry.sha, name[0])
            except RegistryError as exc:
                raise RegistryError(
                    f"pull from {remote} refused: {tag}: {exc.message}; nothing was changed locally",
                    path=repo.path,
                ) from None
            from skillforge.scan.gate import refusal
            from skillforge.scan.paths import scan_skill

            report = scan_skill(folder, trust_content=False)
            if report.high and not _forced(repo, obj):
                err = refusal(report)
                raise ScanRefused(
                    f"pull from {remote} refused: {tag}: {err.message}; nothing was changed locally",
                    path=repo.path,
                    hint=f"{remote} holds a version published without the scan gate; ask whoever "
                    "published it to fix it, or to publish it with --force --acknowledge",
                )
            shutil.rmtree(folder.parent, ignore_errors=True)


def _forced(repo: GitRepo, obj: str) -> bool:
    """True when the version record in tag (or commit) ``obj`` says its scan findings were forced."""
    kind, data = repo.read(obj)
    if kind not in ("tag", "commit"):
        return False
    record = layout.parse_record(data.split(b"\n\n", 1)[-1].decode("utf-8", "replace"))
    scan = record.extra.get("scan") if record else None
    return isinstance(scan, dict) and scan.get("forced") is True and bool(scan.get("acknowledgement"))


def merge(repo: GitRepo, base: str | None, ours: str, theirs: str) -> tuple[str, list[str]]:
    """Three-way merge of two registry commits, one skill (file, pin) at a time."""
    trees = [repo.commit_tree(c) if c else None for c in (base, ours, theirs)]
    b, o, t = ({e.name: e for e in repo.tree(tr)} if tr else {} for tr in trees)
    merged: dict[str, Entry] = {}
    conflicts: list[str] = []
    for name in sorted(set(b) | set(o) | set(t)):
        eb, eo, et = b.get(name), o.get(name), t.get(name)
        if name in (layout.SKILLS, layout.PROVENANCE, layout.EVENTS) and all(
            e is None or e.is_tree for e in (eb, eo, et)
        ):
            sub, lost = _merge_dir(repo, name, eb, eo, et)
            conflicts += lost
            if sub is not None:
                merged[name] = Entry(MODE_TREE, sub, name)
        elif name == layout.PINS:
            entry, lost = _merge_pins(repo, eb, eo, et)
            conflicts += lost
            if entry is not None:
                merged[name] = entry
        else:
            chosen, ok = _pick(eb, eo, et)
            if not ok:
                conflicts.append(name)
            elif chosen is not None:
                merged[name] = chosen
    return repo.write_tree(merged.values()), conflicts


def _merge_dir(repo: GitRepo, top: str, *entries: Entry | None) -> tuple[str | None, list[str]]:
    b, o, t = ({e.name: e for e in repo.tree(x.sha)} if x else {} for x in entries)
    merged, conflicts = {}, []
    for name in sorted(set(b) | set(o) | set(t)):
        chosen, ok = _pick(b.get(name), o.get(name), t.get(name))
        if not ok and top == layout.EVENTS and o.get(name) and t.get(name):
            chosen, ok = _union_events(repo, o[name], t[name]), True
        if not ok:
            if top == layout.SKILLS:
                conflicts.append(name)
            elif top != layout.PROVENANCE:  # provenance follows its skill, which is reported already
                conflicts.append(f"{top}/{name}")
            continue
        if chosen is not None:
            merged[name] = chosen
    return (repo.write_tree(merged.values()) if merged else None), conflicts


def _pick(base: Entry | None, ours: Entry | None, theirs: Entry | None) -> tuple[Entry | None, bool]:
    def key(e: Entry | None) -> tuple[int, str] | None:
        return (e.mode, e.sha) if e else None

    if key(ours) == key(theirs) or key(theirs) == key(base):
        return ours, True
    if key(ours) == key(base):
        return theirs, True
    return None, False


def _merge_pins(repo: GitRepo, *entries: Entry | None) -> tuple[Entry | None, list[str]]:
    b, o, t = (layout.load_pins(repo.read(e.sha)[1] if e else None).pins for e in entries)
    merged, conflicts = {}, []
    for name in sorted(set(b) | set(o) | set(t)):
        pb, po, pt = b.get(name), o.get(name), t.get(name)
        if po == pt or pt == pb:
            chosen = po
        elif po == pb:
            chosen = pt
        else:
            conflicts.append(f"the pin of {name}")
            continue
        if chosen is not None:
            merged[name] = chosen
    blob = repo.write("blob", layout.dump_pins(PinsFile(pins=merged)))
    return Entry(MODE_FILE, blob, layout.PINS), conflicts


def _union_events(repo: GitRepo, ours: Entry, theirs: Entry) -> Entry:
    mine = repo.read(ours.sha)[1].splitlines(keepends=True)
    seen = set(mine)
    extra = [line for line in repo.read(theirs.sha)[1].splitlines(keepends=True) if line not in seen]
    return Entry(MODE_FILE, repo.write("blob", b"".join(mine + extra)), ours.name)


def _conflict(
    remote: str,
    conflicts: list[str],
    clashes: list[str],
    local_tags: dict[str, tuple[str, str]],
    remote_tags: dict[str, tuple[str, str]],
    repo: GitRepo,
) -> ConflictError:
    """A message naming each skill both sides changed, with the versions each side has alone."""
    skills = sorted({c for c in conflicts if layout.is_safe_name(c)} | {t.split("@")[0] for t in clashes})
    others = sorted(c for c in conflicts if not layout.is_safe_name(c))

    def only(tags: dict[str, tuple[str, str]], other: dict[str, tuple[str, str]], name: str) -> list[str]:
        found = [
            t.split("@", 1)[1]
            for t in tags
            if t.startswith(name + "@") and tags[t][1] != other.get(t, ("", ""))[1]
        ]
        return layout.sort_newest_first([v for v in found if history.split_tag(f"{name}@{v}")])

    parts = []
    for name in skills:
        mine, theirs = only(local_tags, remote_tags, name), only(remote_tags, local_tags, name)
        parts.append(f"{name} (yours: {', '.join(mine) or 'none'}; {remote}: {', '.join(theirs) or 'none'})")
    parts += others
    example = next(
        (f"{n}@{only(local_tags, remote_tags, n)[0]}" for n in skills if only(local_tags, remote_tags, n)),
        "NAME@VERSION",
    )
    return ConflictError(
        f"pull from {remote} stopped: both sides changed {'; '.join(parts)}. Nothing was changed locally",
        path=repo.path,
        hint=f"keep yours with `skillforge export {example} -o DIR`, make a fresh registry from {remote} "
        "(move this one aside, then `git clone` the remote), and publish the exported folder there "
        "as a new version",
    )


def _same_content(repo: GitRepo, tag: str, a: str, b: str) -> bool:
    parsed = history.split_tag(tag)
    if parsed is None:
        return False
    path = layout.skill_path(parsed[0])
    ea = repo.lookup(repo.commit_tree(a), path) if _have(repo, a) else None
    eb = repo.lookup(repo.commit_tree(b), path) if _have(repo, b) else None
    return ea is not None and eb is not None and ea.sha == eb.sha


def _local_tags(repo: GitRepo, prefix: str = "refs/tags") -> dict[str, tuple[str, str]]:
    """Tag name -> (object id, commit id) under ``prefix``."""
    out = {}
    for rec in repo.refs(prefix, fmt="%(refname)%00%(objectname)%00%(*objectname)"):
        ref, obj, peeled = rec.lstrip("\n").split("\x00")[:3]
        out[ref[len(prefix) + 1 :]] = (obj, peeled or obj)
    return out


def _have(repo: GitRepo, sha: str) -> bool:
    return repo.run_status("cat-file", "-e", sha)[0] == 0


def _need_remote(repo: GitRepo, name: str) -> None:
    check_remote_name(name)
    if name not in remotes(repo):
        raise RegistryError(
            f"no remote named {name!r}", hint=f"`skillforge registry remote add {name} URL` first"
        )


def _names(tags: list[str]) -> str:
    shown = ", ".join(sorted(tags)[:5])
    return shown + (f" and {len(tags) - 5} more" if len(tags) > 5 else "")


def remotes(repo: GitRepo) -> dict[str, str]:
    """Configured remotes: name -> URL."""
    status, out, _ = repo.run_status("config", "--get-regexp", r"^remote\..*\.url$")
    found = {}
    for line in out.splitlines() if status == 0 else []:
        key, _, url = line.partition(" ")
        found[key[len("remote.") : -len(".url")]] = url
    return dict(sorted(found.items()))


def _ls_remote(repo: GitRepo, remote: str) -> dict[str, str]:
    """The remote's refs (``ref -> id``; peeled tags appear as ``ref^{}``)."""
    refs = {}
    for line in repo.run("ls-remote", "--", remote).splitlines():
        sha, _, ref = line.partition("\t")
        if ref:
            refs[ref] = sha
    return refs
