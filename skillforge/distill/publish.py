"""Publish what a distill run wrote to the registry, one new version per changed skill."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel

from skillforge.distill.pipeline import SkillResult


class Published(BaseModel):
    name: str
    version: str | None
    created: bool
    """False when the registry already held identical content (nothing new was published)."""
    note: str = ""


def publish_skills(registry: Any, skills: list[SkillResult], *, sources: int) -> list[Published]:
    """Publish every valid skill folder with its provenance; invalid ones are left for the person to fix.

    A first publish is 0.1.0, later ones bump the minor version; re-distilling unchanged input
    publishes nothing (the registry reports identical content).
    """
    out: list[Published] = []
    for skill in sorted(skills, key=lambda s: s.name):
        if skill.errors:
            out.append(Published(name=skill.name, version=None, created=False, note="invalid, not published"))
            continue
        provenance = Path(skill.provenance) if skill.provenance and Path(skill.provenance).is_file() else None
        changelog = [f"{skill.new_rules} new rule(s), {skill.rules} in all"]
        result = registry.publish(
            Path(skill.path), bump="minor", message=f"distill from {sources} trace(s)", changelog=changelog,
            provenance=provenance,
        )
        out.append(Published(name=skill.name, version=result.version, created=result.created, note=result.reason))
    return out
