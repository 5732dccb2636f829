"""Turn what the user typed into a staged skill folder.

Sources: ``NAME[@VERSION] | PATH | GIT_URL[#subdir] | ARCHIVE[#subdir]``.

Every source ends up as a fresh copy in a private staging folder named after the skill, with no
symlinks and nothing outside the skill, so validation, scanning and installing all look at exactly
the bytes that will be installed. Only ``skillforge.registry`` talks to git.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from skillforge.errors import HostError, InputError, SkillforgeError, SpecError, UnknownVersion
from skillforge.hosts.archives import copy_skill_tree, extract, is_archive, safe_member
from skillforge.hosts.limits import windows_problem
from skillforge.models.lock import LockSource
from skillforge.skills.frontmatter import split
from skillforge.skills.validate import find_skill_md, is_valid_name

_URL = re.compile(r"^(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
_NAME_VERSION = re.compile(r"^(?P<name>[^@/\\\s]+)(?:@(?P<version>[^@/\\\s]+))?$")


@dataclass(frozen=True)
class SourceSpec:
    """A parsed install argument."""

    kind: str  # registry | path | git | archive
    ref: str
    version: str | None = None
    subdir: str | None = None

    def lock_source(self, commit: str | None = None) -> LockSource:
        return LockSource(kind=self.kind, ref=self.ref, subdir=self.subdir, commit=commit)  # type: ignore[arg-type]


@dataclass(frozen=True)
class StagedSkill:
    """A skill copied into staging, ready to validate and install."""

    name: str
    version: str | None
    source: LockSource
    dir: Path


def parse_spec(text: str, cwd: Path | None = None) -> SourceSpec:
    """Decide what kind of source ``text`` is; a bare name is a registry skill (``./name`` is a folder)."""
    cwd = cwd or Path.cwd()
    text = text.strip()
    if not text:
        raise InputError("nothing to install", hint="give a skill name, a folder, an archive or a git URL")
    if _URL.match(text):
        url, _, subdir = text.partition("#")
        if is_archive(Path(url.split("?")[0])) and not url.endswith(".git"):
            raise InputError(
                f"remote archives are not downloaded: {url}", hint="download it and install the file"
            )
        return SourceSpec("git", url, subdir=_checked_subdir(subdir, url))
    whole = Path(os.path.abspath(cwd / Path(text).expanduser()))
    if whole.exists():
        return _local(whole, None)
    base, sep, subdir = text.partition("#")
    if sep:
        candidate = Path(os.path.abspath(cwd / Path(base).expanduser()))
        if candidate.is_file() and is_archive(candidate):
            return SourceSpec("archive", str(candidate), subdir=_checked_subdir(subdir, base))
    if text.startswith((".", "/", "~")) or "/" in text or "\\" in text:
        raise InputError(f"no such file or folder: {text}")
    match = _NAME_VERSION.match(text)
    if not match or not is_valid_name(match["name"]):
        raise InputError(f"not a skill name, folder, archive or git URL: {text!r}")
    return SourceSpec("registry", match["name"], version=match["version"])


def skill_folders(root: Path) -> list[Path]:
    """``root`` if it holds SKILL.md, else its direct subfolders that do (hidden ones skipped), sorted:
    what ``install DIR --all`` and ``publish DIR`` take (``distill`` writes ``out/<name>/SKILL.md``)."""
    root = root.expanduser()
    if not root.is_dir():
        raise InputError("not a folder", path=root)
    if find_skill_md(root):
        return [root]
    return [
        child
        for child in sorted(root.iterdir())
        if child.is_dir()
        and not child.is_symlink()
        and not child.name.startswith(".")
        and find_skill_md(child)
    ]


def _local(path: Path, subdir: str | None) -> SourceSpec:
    if path.is_dir():
        return SourceSpec("path", str(path))
    if is_archive(path):
        return SourceSpec("archive", str(path), subdir=subdir)
    raise InputError("not a skill folder or a .zip/.skill/.tar.gz archive", path=path)


def _checked_subdir(subdir: str, where: str) -> str | None:
    if not subdir:
        return None
    rel = safe_member(subdir, Path(where))
    return rel.as_posix() if rel is not None else None


@contextmanager
def stage(spec: SourceSpec, registry_path: Path | None = None) -> Iterator[StagedSkill]:
    """Fetch ``spec`` into a temporary staging folder; it is deleted when the block ends.

    Errors name what the user gave (the folder, ``ARCHIVE#member``, ``URL#path``), never the
    temporary staging folder, which is gone by the time anyone reads the message.
    """
    with tempfile.TemporaryDirectory(prefix="skillforge-stage-") as tmp:
        work = Path(tmp)
        shown: dict[Path, str] = {}  # staging folder -> how the user names it
        try:
            staged = _fetch(spec, work, registry_path, shown)
        except SkillforgeError as exc:
            raise _user_facing(exc, shown) from None
        yield staged


def _fetch(spec: SourceSpec, work: Path, registry_path: Path | None, shown: dict[Path, str]) -> StagedSkill:
    version = spec.version
    commit = None
    if spec.kind in ("path", "archive") and not Path(spec.ref).exists():
        raise InputError(
            "the skill's source no longer exists", path=spec.ref, hint="reinstall from where it is now"
        )
    if spec.kind == "registry":
        shown[work / "export"] = f"{spec.ref}@{spec.version or 'latest'} (registry)#"
        root, version, commit = _from_registry(spec, work / "export", registry_path)
        shown[root] = f"{spec.ref}@{version} (registry)#"
    elif spec.kind == "path":
        root = Path(spec.ref)
    elif spec.kind == "archive":
        raw = work / "raw"
        raw.mkdir()
        shown[raw] = f"{spec.ref}#"
        extract(Path(spec.ref), raw)
        root = _skill_root(raw, spec.subdir, spec.ref)
    else:
        clone = work / "clone"
        shown[clone] = f"{spec.ref}#"
        commit = _git_clone(spec.ref, clone)
        root = _skill_root(clone, spec.subdir, spec.ref)
    label = _show(str(root), shown)
    # Copy first (sizes and links are checked from metadata before a byte is read), then read the
    # name from the copy, so nothing reads a file of the source that the limits would refuse.
    copy = work / "copy"
    shown[copy] = label if spec.kind == "path" else label.rstrip("/") + ("/" if "#" in label[:-1] else "#")
    copy_skill_tree(root, copy, label=label)
    name = read_name(copy)
    staged = work / "skill" / name
    shown[staged] = shown[copy]
    staged.parent.mkdir()
    os.rename(copy, staged)
    if spec.kind != "registry":
        version = _metadata_version(staged)
    return StagedSkill(name=name, version=version, source=spec.lock_source(commit), dir=staged)


def _show(text: str, shown: dict[Path, str]) -> str:
    """``text`` with every staging path in it replaced by the user's name for that place."""
    pairs = [(v, label) for folder, label in shown.items() for v in {str(folder), str(folder.resolve())}]
    bases = sorted(pairs, key=lambda pair: len(pair[0]), reverse=True)
    for base, label in bases:
        while base in text:
            start = text.index(base)
            end = start + len(base)
            if end < len(text) and text[end] not in "/ \t\n'\":),":
                break  # a longer name that only starts like ``base``
            while end < len(text) and not text[end].isspace() and text[end] not in "'\":),":
                end += 1
            rel = text[start + len(base) : end].strip("/")
            if label.endswith(("#", "/")):
                replacement = label + rel if rel else label[:-1]
            else:
                replacement = str(Path(label, rel)) if rel else label
            text = text[:start] + replacement + text[end:]
    return text


def _user_facing(exc: SkillforgeError, shown: dict[Path, str]) -> SkillforgeError:
    """``exc`` with every staging path replaced by the user's own name for it (changed in place)."""
    exc.message = _show(exc.message, shown)
    exc.args = (exc.message,)
    exc.path = _show(exc.path, shown) if exc.path else exc.path
    exc.hint = _show(exc.hint, shown) if exc.hint else exc.hint
    return exc


def read_name(skill_dir: Path) -> str:
    """The skill's ``name`` from SKILL.md, checked so it is safe to use as a folder name."""
    skill_md = find_skill_md(skill_dir)
    if skill_md is None:
        raise SpecError(
            "no SKILL.md in the skill folder", path=skill_dir, hint="point at the folder that holds SKILL.md"
        )
    try:
        metadata, _ = split(skill_md.read_text(encoding="utf-8"), path=str(skill_md))
    except UnicodeDecodeError:
        raise SpecError("SKILL.md is not valid UTF-8", path=skill_md) from None
    name = metadata.get("name")
    if not isinstance(name, str) or not is_valid_name(name):
        raise SpecError(
            f"SKILL.md has no valid name ({name!r})", path=skill_md, hint="lowercase letters, digits, hyphens"
        )
    name = name.strip()
    # The name becomes a folder name: a decomposed or compatibility form (``cafe`` + U+0301, full-width
    # letters) would make a second folder that looks the same as the composed one.
    if unicodedata.normalize("NFKC", name) != name:
        raise SpecError(
            f"SKILL.md name {name!r} is not in Unicode normal form (NFKC: "
            f"{unicodedata.normalize('NFKC', name)!r})",
            path=skill_md,
            hint="write the name with composed characters; two spellings would install as two look-alike folders",
        )
    problem = windows_problem(name)
    if problem:
        raise SpecError(f"SKILL.md name {name!r} {problem}: no host folder can hold it there", path=skill_md,
                        hint="choose another name")
    return name


def _metadata_version(skill_dir: Path) -> str | None:
    skill_md = find_skill_md(skill_dir)
    assert skill_md is not None
    metadata, _ = split(skill_md.read_text(encoding="utf-8"))
    meta = metadata.get("metadata")
    version = meta.get("version") if isinstance(meta, dict) else None
    return version if isinstance(version, str) and version else None


def _skill_root(tree: Path, subdir: str | None, where: str) -> Path:
    """The folder holding SKILL.md: ``subdir`` if given, the root, or the single top-level folder.

    A clone or unpacked archive is untrusted: the folder picked must resolve inside it, so a
    symlinked top-level folder or a ``#subdir`` through a symlink cannot pull in a folder from
    elsewhere on this machine.
    """
    real = tree.resolve()
    if subdir:
        root = tree / subdir
        if not _inside_tree(root, real):
            raise InputError(
                f"{subdir!r} leads outside the source through a symlink",
                path=where,
                hint="refusing to copy it",
            )
        if not root.is_dir():
            raise InputError(f"no folder {subdir!r} in the source", path=where)
        return root
    if find_skill_md(tree):
        return tree
    children = [c for c in tree.iterdir() if c.is_dir() and not c.name.startswith(".")]
    if len(children) == 1 and not _inside_tree(children[0], real):
        raise InputError(
            f"the source's only folder {children[0].name!r} is a symlink out of the source",
            path=where,
            hint="refusing to copy it",
        )
    if len(children) == 1 and find_skill_md(children[0]):
        return children[0]
    found = sorted(
        p.parent.relative_to(tree).as_posix()
        for p in [*tree.glob("*/*/SKILL.md"), *tree.glob("*/SKILL.md")]
        if not _through_link(p.parent, tree)
    )
    hint = f"pick one with #SUBDIR, e.g. #{found[0]}" if found else "a skill folder holds SKILL.md"
    raise InputError("no single skill at the top of the source", path=where, hint=hint)


def _inside_tree(path: Path, real_tree: Path) -> bool:
    real = path.resolve()
    return real == real_tree or real_tree in real.parents


def _through_link(path: Path, tree: Path) -> bool:
    """True when some folder from ``tree`` down to ``path`` is a symlink."""
    rel = path.relative_to(tree)
    return any((tree / Path(*rel.parts[: i + 1])).is_symlink() for i in range(len(rel.parts)))


def _from_registry(spec: SourceSpec, dest: Path, registry_path: Path | None) -> tuple[Path, str, str | None]:
    # Imported here, not at the top: the registry loads git, which installing from a folder never needs.
    from skillforge.registry import open_registry

    reg = open_registry(path=registry_path)
    try:
        try:
            version = reg.resolve(spec.ref, spec.version)
        except UnknownVersion as exc:
            hint = (
                f"to install the folder ./{spec.ref}, write ./{spec.ref}"
                if Path(spec.ref).is_dir()
                else exc.hint
            )
            raise UnknownVersion(exc.message, path=exc.path, hint=hint) from None
        dest.mkdir(parents=True)
        commit = getattr(reg.version(spec.ref, version), "commit", None)  # recorded: the exact bytes
        return Path(reg.export(spec.ref, version, dest)), version, commit
    finally:
        close = getattr(reg, "close", None)
        if callable(close):
            close()


def _git_clone(url: str, dest: Path) -> str:
    """Clone through the registry's git helper (the only module allowed to run git)."""
    from skillforge.registry._git import shallow_clone  # loads GitPython: only when a URL is installed

    try:
        return shallow_clone(url, dest)
    except SkillforgeError:
        raise
    except Exception as exc:  # the helper's own git errors; shown as one line
        shutil.rmtree(dest, ignore_errors=True)
        raise HostError(f"git clone failed: {exc}", path=url) from None
