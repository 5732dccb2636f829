"""Turn a skill folder into git objects, and record a new version in one atomic step.

``prepare`` checks the folder (size limits and hard links from ``stat`` before anything is read,
then spec validation, names, symlinks, special files); ``write_tree`` streams it into blobs and
trees, which nothing points to yet. ``commit_version``
builds the new root tree, the commit and the annotated tag, then moves ``main`` and creates the
tag in a single ref transaction. A crash anywhere before that transaction leaves only unreachable
objects behind: the registry stays at the previous version and needs no repair.
"""

from __future__ import annotations

import difflib
import json
import os
import stat
from pathlib import Path
from typing import Any

from skillforge.errors import ConflictError, InputError, RegistryError, SkillforgeError, SpecError
from skillforge.hosts.limits import MAX_DEPTH, Budget, check_file
from skillforge.models.registry import PublishResult, VersionRecord
from skillforge.registry import history, layout
from skillforge.registry._git import (
    MAIN,
    MODE_EXEC,
    MODE_FILE,
    MODE_LINK,
    MODE_TREE,
    Entry,
    GitRepo,
    RefUpdate,
)
from skillforge.skills.frontmatter import split
from skillforge.skills.validate import find_skill_md, validate_skill


class Prepared:
    """A checked skill folder held in memory: its name, files and validation warnings."""

    def __init__(
        self, name: str, files: dict[str, tuple[int, bytes | Path]], warnings: list[str], source: str = ""
    ) -> None:
        self.name = name
        self.files = files
        """Relative POSIX path -> (git mode, the file to stream, or a symlink's target as bytes)."""
        self.warnings = warnings
        self.source = source
        """The resolved folder it was read from (recorded as the version's ``source``)."""
        self.declared_version: str | None = None
        """``metadata.version`` of SKILL.md, when it is a valid X.Y.Z."""


def prepare(skill_dir: Path) -> Prepared:
    """Validate ``skill_dir`` and read it, refusing anything that could escape; writes nothing."""
    skill_dir = Path(skill_dir)
    if not skill_dir.exists():
        raise InputError("skill folder does not exist", path=skill_dir)
    if not skill_dir.is_dir():
        raise InputError("not a folder; publish takes a skill folder containing SKILL.md", path=skill_dir)
    skill_md = find_skill_md(skill_dir)
    if skill_md is None:
        raise SpecError(
            "not a skill folder: SKILL.md is missing", path=skill_dir, hint="run `skillforge validate`"
        )
    root = skill_dir.resolve()
    files: dict[str, tuple[int, bytes | Path]] = {}
    # Limits and links first, from metadata only: validation below reads files.
    _collect(root, root, files, Budget(skill_dir), 0)
    report = validate_skill(skill_dir)
    if report.errors:
        first = report.errors[0]
        more = f" (and {len(report.errors) - 1} more)" if len(report.errors) > 1 else ""
        raise SpecError(
            f"skill is invalid: {first.message}{more}",
            path=skill_dir / (first.file or ""),
            line=first.line,
            hint="run `skillforge validate` for every problem",
        )
    metadata, _ = split(skill_md.read_text(encoding="utf-8"), path=str(skill_md))
    name = layout.check_name(str(metadata["name"]))
    warnings = [f"{p.file or 'SKILL.md'}: {p.message}" for p in report.warnings]
    prepared = Prepared(name, files, warnings, str(root))
    meta = metadata.get("metadata")
    declared = meta.get("version") if isinstance(meta, dict) else None
    if isinstance(declared, str) and _is_semver(declared):
        prepared.declared_version = declared
    return prepared


def _is_semver(text: str) -> bool:
    try:
        layout.parse_version(layout.check_version(text))
    except SkillforgeError:
        return False
    return True


def _collect(
    root: Path, folder: Path, out: dict[str, tuple[int, bytes | Path]], budget: Budget, depth: int
) -> None:
    if depth > MAX_DEPTH:
        raise InputError(f"skill folder nests deeper than {MAX_DEPTH} levels", path=folder)
    with os.scandir(folder) as it:
        children = sorted(it, key=lambda e: e.name)
    for child in children:
        if layout.ignored(child.name):
            continue
        path = Path(child.path)
        rel = path.relative_to(root).as_posix()
        if layout.unsafe_component(child.name):
            raise InputError(f"file name {child.name!r} cannot be stored in a skill", path=path)
        if child.is_symlink():
            # a link is a name in the tree as a file is: 'Tables.md' -> tables.md beside a real 'tables.md'
            # is one file on macOS and Windows
            budget.names.add(rel)
            out[rel] = (MODE_LINK, _link_target(root, path, rel).encode())
        elif child.is_dir(follow_symlinks=False):
            _collect(root, path, out, budget, depth + 1)
        elif child.is_file(follow_symlinks=False):
            budget.add(rel, child.stat(follow_symlinks=False))
            out[rel] = (file_mode(path), path)
        else:
            raise InputError(f"{rel} is not a regular file, folder or symlink", path=path)


def write_tree(repo: GitRepo, files: dict[str, tuple[int, bytes | Path]]) -> str:
    """Store the files as blobs and nested trees; returns the top tree (unreachable until committed).

    Files are streamed into git in chunks, never read whole into memory.
    """
    nested: dict[str, Any] = {}
    for rel, (mode, data) in files.items():
        *dirs, leaf = rel.split("/")
        node = nested
        for part in dirs:
            node = node.setdefault(part, {})
        sha = repo.write("blob", data) if isinstance(data, bytes) else _write_file_blob(repo, rel, data)
        node[leaf] = Entry(mode, sha, leaf)

    def build(node: dict[str, Any]) -> str:
        entries = [v if isinstance(v, Entry) else Entry(MODE_TREE, build(v), k) for k, v in node.items()]
        return repo.write_tree(entries)

    return build(nested)


def _write_file_blob(repo: GitRepo, rel: str, path: Path) -> str:
    """Stream one file into a blob, re-checking what was opened (it may have changed since ``stat``)."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{rel} is not a regular file", path=path)
        check_file(rel, info, path.parent)
        return repo.write_stream("blob", info.st_size, handle)


def _link_target(root: Path, link: Path, rel: str) -> str:
    target = os.readlink(link)
    if os.path.isabs(target):
        raise InputError(
            f"symlink {rel} -> {target} is absolute", path=link, hint="make it relative to the skill folder"
        )
    try:
        resolved = (link.parent / target).resolve()
    except (OSError, RuntimeError):
        raise InputError(f"symlink {rel} -> {target} loops", path=link) from None
    if resolved != root and root not in resolved.parents:
        raise InputError(f"symlink {rel} -> {target} points outside the skill folder", path=link)
    if not resolved.exists():
        raise InputError(f"symlink {rel} -> {target} is broken", path=link)
    return target


def commit_version(
    repo: GitRepo,
    *,
    name: str,
    tree: str,
    version: str | None,
    bump: str | None,
    message: str | None,
    changelog: list[str] | None,
    extra: dict[str, Any] | None,
    provenance: bytes | None,
    warnings: list[str] | None = None,
    source: str | None = None,
    replace: bool = False,
    declared: str | None = None,
) -> PublishResult:
    """Record ``tree`` as the next version of ``name`` (the caller holds the write lock).

    Without an explicit ``version``, the folder's ``declared`` ``metadata.version`` is used when it
    is newer than the latest (a skill marked 1.1.0 becomes @1.1.0); otherwise ``bump`` applies.

    ``source`` says where the content comes from (a folder). When the latest version records a
    different source and the content does not read as an edit of it (``same_lineage``), this is
    another skill that only shares the name: refused (``ConflictError``) unless ``replace``.
    Without ``source`` (evolve, corrections, edits that start from the registry's own content)
    the latest version's source is carried over.
    """
    head = repo.head()
    root = repo.commit_tree(head) if head else None
    known = history.version_names(repo, name)
    latest = known[0] if known else None
    current = repo.lookup(root, layout.skill_path(name)) if root else None
    if latest is not None and current is not None and current.sha == tree:
        return PublishResult(
            name=name,
            version=latest,
            created=False,
            commit=head or "",
            previous=latest,
            reason=f"content is identical to {layout.tag_name(name, latest)}; nothing published",
            warnings=warnings or [],
        )
    if version is None and declared is not None and declared not in known:
        if latest is None or layout.parse_version(declared) > layout.parse_version(latest):
            version = declared
    new_version = _next_version(name, latest, known, version, bump)
    extra = dict(extra or {})
    previous_source = _recorded_source(repo, name, latest)
    moved = source is not None and previous_source and source != previous_source
    if moved and not (current is not None and current.is_tree and same_lineage(repo, current.sha, tree)):
        if not replace:
            raise ConflictError(
                f"{name} in the registry was published from {previous_source}; {source} is a different "
                f"folder, so it would silently become {name}@{new_version}. Nothing was published",
                path=source,
                hint="pass --replace if it really is the new version of that skill (recorded in the log), "
                "or rename the skill",
            )
        extra["replaced_source"] = previous_source
    if source is not None or previous_source:
        extra["source"] = source if source is not None else previous_source
    record = VersionRecord(
        name=name,
        version=new_version,
        message=layout.check_text(message, "message"),
        changelog=[layout.check_text(line, "changelog line") for line in changelog or []],
        previous=latest,
        extra=dict(sorted((extra or {}).items())),
    )
    new_root = repo.write_path(root, layout.skill_path(name), Entry(MODE_TREE, tree, name))
    prov_entry = Entry(MODE_FILE, repo.write("blob", provenance), "") if provenance is not None else None
    new_root = repo.write_path(new_root, layout.provenance_path(name), prov_entry)
    new_root = ensure_marker(repo, new_root)
    text = layout.record_message(record)
    committer = repo.ident("COMMITTER")
    commit = repo.write_commit(new_root, [head] if head else [], text, repo.ident("AUTHOR"), committer)
    tag = repo.write_tag(commit, layout.tag_name(name, new_version), committer, text)
    repo.update_refs(
        [RefUpdate(MAIN, commit, head), RefUpdate(layout.tag_ref(name, new_version), tag, None)],
        reason=f"skillforge publish {layout.tag_name(name, new_version)}",
    )
    return PublishResult(
        name=name, version=new_version, created=True, commit=commit, previous=latest, warnings=warnings or []
    )


def same_lineage(repo: GitRepo, old_tree: str, new_tree: str) -> bool:
    """True when ``new_tree`` reads as an edit of ``old_tree``, not another skill with the same name.

    Either at least half of the old version's files are unchanged, or SKILL.md is mostly the same
    text (a teammate's checkout in another folder, a copy moved elsewhere).
    """
    old, new = repo.flatten(old_tree), repo.flatten(new_tree)
    if old and sum(1 for path, e in old.items() if path in new and new[path].sha == e.sha) * 2 >= len(old):
        return True
    if "SKILL.md" not in old or "SKILL.md" not in new:
        return False
    before, after = (_content_lines(repo.read(t["SKILL.md"].sha)[1]) for t in (old, new))
    return difflib.SequenceMatcher(None, before, after).ratio() >= 0.5


def _content_lines(data: bytes) -> list[str]:
    """The description and the non-blank body lines of a SKILL.md: what tells two skills apart
    (the frontmatter skeleton is the same for every skill)."""
    text = data.decode("utf-8", "replace")
    try:
        metadata, body = split(text)
    except Exception:  # a stored SKILL.md always parsed once; compare raw text if it does not now
        metadata, body = {}, text
    description = metadata.get("description") if isinstance(metadata, dict) else None
    lines = [line.strip() for line in body.splitlines() if line.strip()][:5000]
    return [str(description or ""), *lines]


def _recorded_source(repo: GitRepo, name: str, version: str | None) -> str | None:
    """The ``source`` recorded with ``name@version`` (None when none was, e.g. older versions)."""
    if version is None:
        return None
    commit = repo.resolve(layout.tag_ref(name, version) + "^{commit}")
    record = layout.parse_record(repo.commit_message(commit)) if commit else None
    found = record.extra.get("source") if record is not None else None
    return found if isinstance(found, str) and found else None


def _next_version(
    name: str, latest: str | None, known: list[str], version: str | None, bump: str | None
) -> str:
    if version is None:
        return layout.bump(latest, bump or "patch")
    wanted = layout.parse_version(layout.check_version(version))
    if version in known:
        raise RegistryError(
            f"{layout.tag_name(name, version)} already exists",
            hint="publish with --bump or a higher --version",
        )
    if latest is not None and wanted <= layout.parse_version(latest):
        raise RegistryError(
            f"version {version} is not greater than the latest, {latest}",
            hint=f"use --bump or a version above {latest}",
        )
    return version


def commit_change(repo: GitRepo, path: str, data: bytes | None, message: str) -> str:
    """A plain commit that sets (or removes) one file, e.g. ``pins.json``; returns the commit id."""
    head = repo.head()
    root = repo.commit_tree(head) if head else None
    entry = Entry(MODE_FILE, repo.write("blob", data), "") if data is not None else None
    new_root = ensure_marker(repo, repo.write_path(root, path, entry))
    committer = repo.ident("COMMITTER")
    commit = repo.write_commit(new_root, [head] if head else [], message, repo.ident("AUTHOR"), committer)
    repo.update_refs([RefUpdate(MAIN, commit, head)], reason=f"skillforge: {message.splitlines()[0]}")
    return commit


def ensure_marker(repo: GitRepo, root: str) -> str:
    """Every registry tree carries ``registry.json`` so a clone is recognisable as a registry."""
    if repo.lookup(root, layout.MARKER) is not None:
        return root
    blob = repo.write("blob", layout.MARKER_CONTENT.encode())
    return repo.write_path(root, layout.MARKER, Entry(MODE_FILE, blob, layout.MARKER))


def file_mode(path: Path) -> int:
    """Git mode for a file on disk (links and executable bits preserved)."""
    info = path.lstat()
    if stat.S_ISLNK(info.st_mode):
        return MODE_LINK
    return MODE_EXEC if info.st_mode & 0o111 else MODE_FILE


def provenance_bytes(provenance: dict[str, Any] | Path | None) -> bytes | None:
    """Canonical JSON bytes for a provenance dict or JSON file (None stays None)."""
    if provenance is None:
        return None
    data: object = provenance
    if isinstance(provenance, (str, Path)):
        try:
            data = json.loads(Path(provenance).read_text(encoding="utf-8"))
        except OSError as exc:
            raise InputError(f"cannot read provenance: {exc.strerror}", path=provenance) from None
        except ValueError as exc:
            raise InputError(f"provenance is not JSON: {exc}", path=provenance) from None
    if not isinstance(data, dict):
        raise InputError("provenance must be a JSON object")
    return layout.canonical_json(data)
