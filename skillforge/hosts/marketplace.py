"""Export registry skills in formats hosts install natively.

- ``claude-marketplace``: a Claude Code plugin marketplace. ``OUT/.claude-plugin/marketplace.json``
  lists plugins under ``OUT/plugins/<plugin>/`` (``.claude-plugin/plugin.json`` + ``skills/<skill>/``).
  Grouping rule: one plugin per skill, named and versioned like the skill (``--group-by skill``, the
  default), or one plugin per registry tag (``--group-by tag``; untagged skills get their own plugin).
  A tag plugin's version is the component-wise sum of its skills' versions, so any skill's bump
  (major, minor or patch) raises it and Claude Code sees an update. Checked with
  ``claude plugin validate --strict`` (Claude Code 2.1.197).
- ``agents-dir``: a plain ``OUT/.agents/skills/<skill>/`` tree (copy it into a project or home).
- ``zip``: ``OUT/<skill>-<version>.zip`` per skill, the folder at the top, byte-identical on re-run.

Output is deterministic: sorted keys and entries, fixed zip timestamps.
"""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from skillforge.errors import InputError

if TYPE_CHECKING:  # git is loaded only when an export runs
    from skillforge.registry.store import Registry

ExportFormat = Literal["claude-marketplace", "agents-dir", "zip"]
GroupBy = Literal["skill", "tag"]
MANIFEST_DIR = ".claude-plugin"
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)


class ExportedSkill(BaseModel):
    name: str
    version: str
    description: str = ""
    tags: list[str] = Field(default_factory=list)
    plugin: str | None = None
    path: str = Field(description="where its folder (or zip) was written, relative to OUT")


class ExportReport(BaseModel):
    format: ExportFormat
    out: str
    marketplace: str | None = None
    skills: list[ExportedSkill]
    plugins: dict[str, str] = Field(default_factory=dict, description="plugin name -> version")


def export(
    out: Path,
    refs: Sequence[str] = (),
    *,
    fmt: ExportFormat = "claude-marketplace",
    registry_path: Path | None = None,
    marketplace: str = "skillforge-skills",
    owner: str = "skillforge",
    group_by: GroupBy = "skill",
    force: bool = False,
) -> ExportReport:
    """Write registry skills (``refs``: ``NAME[@VERSION]``; none: every skill, pinned or latest) to ``out``."""
    from skillforge.registry import open_registry

    _check_name(marketplace, "marketplace name")
    reg = open_registry(registry_path)
    try:
        chosen = _select(reg, refs)
        _prepare(out, force)
        if fmt == "zip":
            return _zips(reg, out, chosen)
        if fmt == "agents-dir":
            base = out / ".agents" / "skills"
            base.mkdir(parents=True, exist_ok=True)
            for skill in chosen:
                reg.export(skill.name, skill.version, base, replace=True)
                skill.path = f".agents/skills/{skill.name}"
            return ExportReport(format=fmt, out=str(out), skills=chosen)
        return _marketplace(reg, out, chosen, marketplace, owner, group_by)
    finally:
        close = getattr(reg, "close", None)
        if callable(close):
            close()


def _select(reg: Registry, refs: Sequence[str]) -> list[ExportedSkill]:
    summaries = {s.name: s for s in reg.skills()}
    wanted = [(r.partition("@")[0], r.partition("@")[2] or None) for r in refs] or [(n, None) for n in summaries]
    if not wanted:
        raise InputError("the registry holds no skills to export", hint="publish some first")
    chosen = []
    for name, version in sorted(dict(wanted).items()):
        resolved = reg.resolve(name, version)
        summary = summaries.get(name)
        description = _description(reg.read_file(name, resolved, "SKILL.md"))
        chosen.append(
            ExportedSkill(name=name, version=resolved, description=description,
                          tags=sorted(summary.tags) if summary else [], path="")
        )
    return chosen


def _description(skill_md: str) -> str:
    from skillforge.skills.frontmatter import split

    try:
        metadata, _ = split(skill_md)
    except Exception:  # published skills are validated; a bad one still exports, undescribed
        return ""
    text = metadata.get("description", "")
    return " ".join(text.split()) if isinstance(text, str) else ""


def _prepare(out: Path, force: bool) -> None:
    """``out`` must be new or empty; ``force`` replaces only what an export writes there."""
    if out.exists() and not out.is_dir():
        raise InputError("output is a file, not a folder", path=out)
    if out.is_dir() and any(out.iterdir()):
        if not force:
            raise InputError("output folder is not empty", path=out, hint="pick a new folder or pass --force")
        for name in (MANIFEST_DIR, "plugins", ".agents"):
            target = out / name
            if target.is_symlink() or target.is_file():
                target.unlink()
            elif target.is_dir():
                shutil.rmtree(target)
    out.mkdir(parents=True, exist_ok=True)


def _marketplace(
    reg: Registry, out: Path, chosen: list[ExportedSkill], marketplace: str, owner: str, group_by: GroupBy
) -> ExportReport:
    groups: dict[str, list[ExportedSkill]] = {}
    for skill in chosen:
        plugin = _plugin_name(skill.tags[0]) if group_by == "tag" and skill.tags else skill.name
        groups.setdefault(plugin, []).append(skill)
    entries = []
    versions: dict[str, str] = {}
    for plugin, skills in sorted(groups.items()):
        root = out / "plugins" / plugin
        (root / "skills").mkdir(parents=True, exist_ok=True)
        for skill in skills:
            reg.export(skill.name, skill.version, root / "skills", replace=True)
            skill.plugin = plugin
            skill.path = f"plugins/{plugin}/skills/{skill.name}"
        if len(skills) == 1 and skills[0].name == plugin:
            version, description = skills[0].version, skills[0].description
        else:
            version = _sum_versions([s.version for s in skills])
            description = f"Skills tagged {plugin}: " + ", ".join(s.name for s in skills)
        description = description or f"The {plugin} skill"
        versions[plugin] = version
        manifest = {"name": plugin, "description": description, "version": version, "author": {"name": owner}}
        _write_json(root / MANIFEST_DIR / "plugin.json", manifest)
        entries.append(
            {"name": plugin, "source": f"./plugins/{plugin}", "description": description, "version": version}
        )
    catalog = {
        "name": marketplace,
        "owner": {"name": owner},
        "metadata": {"description": f"Agent Skills exported from a skillforge registry ({len(chosen)} skills)"},
        "plugins": entries,
    }
    _write_json(out / MANIFEST_DIR / "marketplace.json", catalog)
    return ExportReport(format="claude-marketplace", out=str(out), marketplace=marketplace, skills=chosen,
                        plugins=versions)


def _zips(reg: Registry, out: Path, chosen: list[ExportedSkill]) -> ExportReport:
    import tempfile

    for skill in chosen:
        target = out / f"{skill.name}-{skill.version}.zip"
        with tempfile.TemporaryDirectory(prefix="skillforge-zip-") as tmp:
            folder = Path(reg.export(skill.name, skill.version, Path(tmp)))
            files = sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink())
            with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
                for file in files:
                    info = zipfile.ZipInfo(f"{skill.name}/{file.relative_to(folder).as_posix()}", _ZIP_TIME)
                    info.external_attr = (0o100000 | (file.stat().st_mode & 0o777)) << 16
                    info.compress_type = zipfile.ZIP_DEFLATED
                    archive.writestr(info, file.read_bytes())
        skill.path = target.name
    return ExportReport(format="zip", out=str(out), skills=chosen)


def _sum_versions(versions: list[str]) -> str:
    """Component-wise sum of ``X.Y.Z`` versions: rises whenever any one of them is bumped."""
    total = [0, 0, 0]
    for version in versions:
        parts = re.match(r"^(\d+)\.(\d+)\.(\d+)", version)
        if parts:
            total = [t + int(p) for t, p in zip(total, parts.groups(), strict=False)]
    return ".".join(map(str, total))


def _plugin_name(tag: str) -> str:
    """A registry tag as a plugin name (kebab-case)."""
    name = re.sub(r"[^a-z0-9]+", "-", tag.lower()).strip("-")
    return name or "skills"


def _check_name(name: str, what: str) -> None:
    if not re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", name):
        raise InputError(f"{what} must be kebab-case (lowercase letters, digits, hyphens): {name!r}")


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
