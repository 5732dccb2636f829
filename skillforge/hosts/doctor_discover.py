"""Which skills a host would load: every folder it reads in both scopes, plus Claude Code plugin skills.

Pure reading: nothing here writes or follows a link outside the folders a host reads. Skills are
parsed with the same frontmatter reader ``validate`` uses; a SKILL.md that does not parse is still
listed (under its folder name) so doctor can report it as invalid rather than silently skip it.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from skillforge.errors import SkillforgeError
from skillforge.hosts.base import HostAdapter
from skillforge.skills.frontmatter import split
from skillforge.skills.validate import find_skill_md

Origin = Literal["project", "global", "admin", "plugin"]
MAX_DIRS_PER_ROOT = 2000  # as Codex's loader: a huge tree is cut, not walked forever


class LoadedSkill(BaseModel):
    """One skill folder as a host would see it."""

    name: str
    description: str
    path: str
    skill_md: str
    origin: Origin
    root: str
    root_index: int  # position of ``root`` among the folders the host reads in this scope
    lines: int
    chars: int
    parsed: bool

    @property
    def key(self) -> str:
        """The name as hosts compare it loosely: case-folded, ``_`` read as ``-``."""
        return self.name.casefold().replace("_", "-")


def host_skills(adapter: HostAdapter, project: Path | None, *, scan_depth: int = 1,
                plugins: str | None = None) -> list[LoadedSkill]:
    """Every skill ``adapter``'s host loads for ``project`` (global scope always; project when given).

    A folder reached twice (two read folders, or a link into a folder already read) counts once, as
    hosts deduplicate by real path.
    """
    found: list[LoadedSkill] = []
    scopes: list[Literal["project", "global"]] = ["global", "project"] if project else ["global"]
    for scope in scopes:
        try:
            roots = adapter.read_dirs(scope, project)
        except SkillforgeError:
            continue
        for index, root in enumerate(roots):
            if root.name.upper() == "AGENTS.MD":  # the index fallback host reads a file, not a folder
                continue
            origin: Origin = "admin" if scope == "global" and not _under_home(root) else scope
            for folder in _skill_folders(root, scan_depth):
                found.append(_load(folder, origin, root, index))
    if plugins == "claude":
        found += claude_plugin_skills()
    return _dedupe(found)


def _under_home(path: Path) -> bool:
    try:
        path.relative_to(Path.home())
        return True
    except ValueError:
        return False


def _skill_folders(root: Path, depth: int) -> list[Path]:
    """Folders holding a SKILL.md under ``root``, at most ``depth`` levels down; hidden folders skipped."""
    if not root.is_dir():
        return []
    found: list[Path] = []
    queue, seen = [(root, 0)], 0
    while queue:
        folder, level = queue.pop(0)
        try:
            children = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
        except OSError:
            continue
        for child in children:
            if not child.is_dir():
                continue
            seen += 1
            if seen > MAX_DIRS_PER_ROOT:
                return found
            if find_skill_md(child) is not None:
                found.append(child)
            elif level + 1 < depth:
                queue.append((child, level + 1))
    return found


def _load(folder: Path, origin: Origin, root: Path, index: int, namespace: str | None = None) -> LoadedSkill:
    skill_md = find_skill_md(folder) or folder / "SKILL.md"
    try:
        text = skill_md.read_text(encoding="utf-8", errors="replace")
    except OSError:
        text = ""
    name, description, parsed = folder.name, "", False
    try:
        meta, _ = split(text)
        if isinstance(meta.get("name"), str) and meta["name"].strip():
            name = " ".join(meta["name"].split())
        if isinstance(meta.get("description"), str):
            description = " ".join(meta["description"].split())  # hosts list it on one line
        parsed = True
    except SkillforgeError:
        pass
    if namespace:
        name = f"{namespace}:{name}"
    return LoadedSkill(
        name=name,
        description=description,
        path=str(folder),
        skill_md=str(skill_md),
        origin=origin,
        root=str(root),
        root_index=index,
        lines=text.count("\n") + (0 if text.endswith("\n") or not text else 1),
        chars=len(text),
        parsed=parsed,
    )


def _dedupe(skills: list[LoadedSkill]) -> list[LoadedSkill]:
    seen: set[str] = set()
    kept = []
    for skill in skills:
        real = os.path.realpath(skill.skill_md)
        if real not in seen:
            seen.add(real)
            kept.append(skill)
    return kept


def claude_plugin_skills() -> list[LoadedSkill]:
    """Skills of the Claude Code plugins installed for this user (``~/.claude/plugins/installed_plugins.json``),
    skipping plugins ``~/.claude/settings.json`` disables; named ``plugin:skill`` as Claude Code lists them."""
    base = _claude_dir()
    index = base / "plugins" / "installed_plugins.json"
    try:
        data = json.loads(index.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return []
    enabled = _enabled_plugins(base / "settings.json")
    plugins = data.get("plugins") if isinstance(data, dict) else None
    found = []
    for key, installs in sorted((plugins or {}).items()):
        if enabled.get(key) is False:
            continue
        for install in installs if isinstance(installs, list) else [installs]:
            path = install.get("installPath") if isinstance(install, dict) else None
            if not isinstance(path, str):
                continue
            root = Path(path) / "skills"
            plugin = key.split("@")[0]
            found += [_load(folder, "plugin", root, 0, namespace=plugin) for folder in _skill_folders(root, 1)]
    return found


def _claude_dir() -> Path:
    configured = os.environ.get("CLAUDE_CONFIG_DIR")
    return Path(configured).expanduser() if configured else Path.home() / ".claude"


def _enabled_plugins(settings: Path) -> dict[str, bool]:
    try:
        data = json.loads(settings.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    enabled = data.get("enabledPlugins") if isinstance(data, dict) else None
    return {k: bool(v) for k, v in enabled.items()} if isinstance(enabled, dict) else {}
