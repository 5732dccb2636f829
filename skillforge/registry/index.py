"""The index: one entry per skill (latest version, description, date, tags), cached beside git.

``.git/skillforge/index.json`` records the ``main`` commit it describes. When ``main`` has moved,
only the skills whose ``skills/<name>`` tree changed are recomputed (one ``for-each-ref`` each), so
``list`` stays fast at thousands of skills and tens of thousands of tags. The file is a cache: it is
rebuilt from git whenever it is missing, unreadable or stale, and never committed.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import yaml

from skillforge.models.registry import IndexEntry, IndexFile
from skillforge.registry import history, layout
from skillforge.registry._git import GitRepo

# past this many changed skills one pass over all tags beats one for-each-ref per skill
_INCREMENTAL_LIMIT = 32


def index_path(repo: GitRepo) -> Path:
    return repo.git_dir / "skillforge" / "index.json"


def load(repo: GitRepo, head: str | None) -> IndexFile:
    """The index for commit ``head`` of ``main``: from the cache, updated, or rebuilt."""
    cached = _read(repo)
    if cached is not None and cached.head == head:
        return cached
    if head is None:
        return IndexFile(head=None)
    index = None
    if cached is not None and cached.head is not None:
        index = _update(repo, cached, head)
    if index is None:
        index = rebuild(repo, head)
    _write(repo, index)
    return index


def rebuild(repo: GitRepo, head: str) -> IndexFile:
    """Compute the whole index from git: tag names in one pass, then every skill's latest tag and
    SKILL.md in one batched object read (no per-skill round trips)."""
    skills = _skills_tree(repo, head)
    grouped = history.all_versions(repo)
    names = [n for n in skills if grouped.get(n)]
    latest = {n: layout.newest(grouped[n]) or "" for n in names}
    objects = repo.read_many(
        [layout.tag_ref(n, latest[n]) for n in names] + [f"{skills[n].sha}:SKILL.md" for n in names]
    )
    entries = {}
    for i, name in enumerate(names):
        tag, skill_md = objects[i], objects[len(names) + i]
        entries[name] = IndexEntry(
            name=name,
            latest=latest[name],
            updated=_object_date(tag[1] if tag else b""),
            versions=len(grouped[name]),
            tree=skills[name].sha,
            **_meta(skill_md[1] if skill_md else b""),
        )
    return IndexFile(head=head, skills=dict(sorted(entries.items())))


def _update(repo: GitRepo, cached: IndexFile, head: str) -> IndexFile | None:
    try:
        old = _skills_tree(repo, cached.head) if cached.head else {}
    except Exception:  # noqa: BLE001 - the old commit may be gone (gc, re-clone): rebuild instead
        return None
    new = _skills_tree(repo, head)
    changed = [n for n in set(old) | set(new) if (old.get(n) and old[n].sha) != (new.get(n) and new[n].sha)]
    if len(changed) > _INCREMENTAL_LIMIT:
        return None
    entries = dict(cached.skills)
    for name in changed:
        entries.pop(name, None)
        if name in new:
            found = [(v.version, v.date) for v in history.versions(repo, name)]
            if found:
                entries[name] = _entry(repo, name, new[name].sha, found)
    return IndexFile(head=head, skills=dict(sorted(entries.items())))


def _skills_tree(repo: GitRepo, commit: str) -> dict[str, Any]:
    entry = repo.lookup(repo.commit_tree(commit), layout.SKILLS)
    if entry is None or not entry.is_tree:
        return {}
    return {e.name: e for e in repo.tree(entry.sha) if e.is_tree and layout.is_safe_name(e.name)}


def _entry(repo: GitRepo, name: str, tree: str, found: list[tuple[str, datetime]]) -> IndexEntry:
    latest, updated = max(found, key=lambda pair: layout.parse_version(pair[0]))
    entry = repo.lookup(tree, "SKILL.md") or repo.lookup(tree, "skill.md")
    meta = _meta(repo.read(entry.sha)[1] if entry else b"")
    return IndexEntry(name=name, latest=latest, updated=updated, versions=len(found), tree=tree, **meta)


def _meta(skill_md: bytes) -> dict[str, Any]:
    """Description and topic tags from SKILL.md (lenient: this is display data, not validation)."""
    text = skill_md.decode("utf-8", "replace")
    meta: dict[str, Any] = {}
    parts = text.split("---", 2)
    if text.startswith("---") and len(parts) == 3:
        with contextlib.suppress(yaml.YAMLError):
            loaded = yaml.load(parts[1], Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
            meta = loaded if isinstance(loaded, dict) else {}
    raw_metadata = meta.get("metadata")
    metadata = raw_metadata if isinstance(raw_metadata, dict) else {}
    raw_tags = str(metadata.get("tags", "") or "")
    tags = sorted({t.strip() for t in raw_tags.replace(";", ",").split(",") if t.strip()})
    description = meta.get("description")
    return {"description": " ".join(str(description).split()) if description else "", "tags": tags}


def _object_date(data: bytes) -> datetime:
    """The tagger (or committer) date of a raw tag or commit object."""
    for line in data.split(b"\n\n", 1)[0].split(b"\n"):
        if line.startswith((b"tagger ", b"committer ")):
            stamp, tz = line.rsplit(b" ", 2)[-2:]
            sign = -1 if tz.startswith(b"-") else 1
            offset = timedelta(hours=int(tz[1:3]), minutes=int(tz[3:5])) * sign
            return datetime.fromtimestamp(int(stamp), timezone(offset))
    return datetime(1970, 1, 1, tzinfo=timezone.utc)


def _read(repo: GitRepo) -> IndexFile | None:
    try:
        return IndexFile.model_validate_json(index_path(repo).read_bytes())
    except (OSError, ValueError):
        return None


def _write(repo: GitRepo, index: IndexFile) -> None:
    """Atomic replace: concurrent readers see the old or the new file, never half of one."""
    path = index_path(repo)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".index-", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "wb") as handle:
            handle.write(index.model_dump_json().encode())
        os.replace(tmp, path)
    except OSError:
        # a read-only registry still works; the index is recomputed next time
        with contextlib.suppress(OSError, UnboundLocalError):
            os.unlink(tmp)
