"""Publish what a distill run wrote to the registry, one new version per changed skill."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import BaseModel

from skillforge.distill.pipeline import SkillResult
from skillforge.distill.plan import MARKER_RE
from skillforge.errors import ConflictError, InputError, ScanRefused, SkillforgeError, SpecError
from skillforge.models.provenance import Provenance
from skillforge.skills.provenance import write_provenance

if TYPE_CHECKING:
    from skillforge.registry.store import Registry

_PER_SKILL = (ScanRefused, SpecError, InputError, ConflictError)
"""Refusals about one skill (its scan, spec, size, name): the other skills are still published.
Anything else (a locked or damaged registry) would refuse every skill alike, so it stops the run."""


class Published(BaseModel):
    name: str
    version: str | None
    created: bool
    """False when the registry already held identical content (nothing new was published)."""
    note: str = ""
    refused: bool = False
    """True when this skill was not published; ``note`` says why."""
    exit_code: int = 0
    """The exit code the refusal maps to (4 for a security scan refusal, 1 otherwise)."""


def registry_seed(registry: Registry) -> Callable[[str, Path], str | None] | None:
    """For ``run_distill(seed=...)``: exports the registry's latest version of a skill, with its
    provenance, into the output folder, and lists the rule ids of every skill it holds (``rule_ids``,
    so a run deepens the skill that already holds its rules); None when the registry does not exist yet."""
    if not registry.exists():
        return None
    return _RegistrySeed(registry)


class _RegistrySeed:
    def __init__(self, registry: Registry) -> None:
        self.registry = registry
        self.names = {s.name for s in registry.skills()}

    def __call__(self, name: str, out: Path) -> str | None:
        if name not in self.names:
            return None
        version = self.registry.version(name)
        self.registry.export(name, version.version, out)
        provenance = self.registry.provenance(name, version.version)
        if provenance:
            write_provenance(Provenance.model_validate(provenance), out / name)
        return version.version

    def rule_ids(self) -> dict[str, set[str]]:
        """Each skill's rule ids, from the ``sf:`` markers of its latest SKILL.md."""
        known = {}
        for name in sorted(self.names):
            try:
                known[name] = set(MARKER_RE.findall(self.registry.read_file(name)))
            except SkillforgeError:  # a version without a readable SKILL.md holds no rules to match
                continue
        return known


def publish_skills(registry: Registry, skills: list[SkillResult], *, sources: int) -> list[Published]:
    """Publish every valid skill folder with its provenance; every skill the registry refuses is
    reported (``refused``, with the reason) and the others are still published.

    A first publish is 0.1.0, later ones bump the minor version; re-distilling unchanged input
    publishes nothing (the registry reports identical content). Invalid skills are left for the
    person to fix.
    """
    out: list[Published] = []
    for skill in sorted(skills, key=lambda s: s.name):
        if skill.errors:
            out.append(Published(name=skill.name, version=None, created=False, refused=True,
                                 exit_code=SpecError.exit_code, note="invalid (see the errors above), not published"))
            continue
        provenance = Path(skill.provenance) if skill.provenance and Path(skill.provenance).is_file() else None
        changelog = [f"{skill.new_rules} new rule(s), {skill.rules} in all"]
        try:
            result = registry.publish(
                Path(skill.path), bump="minor", message=f"distill from {sources} trace(s)", changelog=changelog,
                # A skill the registry held under this name was fetched and deepened before writing
                # (``registry_seed``), so this version keeps its rules. Record the folder as its source.
                provenance=provenance, check_source=True, replace=True,
            )
        except _PER_SKILL as exc:
            out.append(Published(name=skill.name, version=None, created=False, refused=True,
                                 exit_code=exc.exit_code, note=_reason(exc)))
            continue
        out.append(Published(name=skill.name, version=result.version, created=result.created, note=result.reason))
    return out


def _reason(exc: SkillforgeError) -> str:
    """The refusal without the skill's path or the generic advice: the name is printed beside it, and
    the command says once what to do about all refusals."""
    return exc.message
