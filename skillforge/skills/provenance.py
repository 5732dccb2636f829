"""Where a skill's provenance lives and how it is read, merged and written.

Provenance is kept beside the skill folder, in ``<parent>/.provenance/<name>.json``, so the skill
itself stays clean (and ``skillforge distill`` never reads it back as input: dot-folders are skipped).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError

from skillforge.errors import InputError
from skillforge.models.provenance import Provenance, ProvenanceRule, ProvenanceSource

__all__ = ["Explanation", "explain_skill", "merge_provenance", "provenance_path", "read_provenance", "write_provenance"]

FOLDER = ".provenance"


def provenance_path(skill_dir: str | Path) -> Path:
    """``<parent>/.provenance/<folder name>.json`` for the skill at ``skill_dir``."""
    skill_dir = Path(skill_dir)
    return skill_dir.parent / FOLDER / f"{skill_dir.name}.json"


def read_provenance(skill_dir: str | Path) -> Provenance | None:
    """The provenance recorded for ``skill_dir``, or None when there is none."""
    path = provenance_path(skill_dir)
    if not path.is_file():
        return None
    try:
        return Provenance.model_validate_json(path.read_text(encoding="utf-8"))
    except (ValidationError, ValueError) as exc:
        raise InputError(f"provenance file is not valid: {exc}", path=path, hint="re-run skillforge distill") from None


def write_provenance(provenance: Provenance, skill_dir: str | Path) -> Path:
    """Write ``provenance`` atomically with sorted keys, so re-runs give identical bytes."""
    path = provenance_path(skill_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(provenance.model_dump(mode="json"), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def merge_provenance(old: Provenance | None, new: Provenance) -> Provenance:
    """``new`` plus the rules and sources of ``old`` that ``new`` does not replace."""
    if old is None:
        return new
    rules: dict[str, ProvenanceRule] = {r.id: r for r in old.rules}
    rules.update({r.id: r for r in new.rules})
    sources: dict[str, ProvenanceSource] = {s.path: s for s in old.sources}
    for source in new.sources:
        if source.path in sources:
            merged = sorted(set(sources[source.path].trace_ids) | set(source.trace_ids))
            sources[source.path] = source.model_copy(update={"trace_ids": merged})
        else:
            sources[source.path] = source
    return new.model_copy(
        update={
            "rules": sorted(rules.values(), key=lambda r: (r.file, r.section, r.id)),
            "sources": [sources[p] for p in sorted(sources)],
            "description": new.description or old.description,
        }
    )


class Explanation(BaseModel):
    """A skill's provenance, checked against the rules its files actually carry."""

    skill_dir: str
    provenance: Provenance
    unexplained: list[str] = Field(default_factory=list)
    """``sf:`` markers found in the skill with no provenance record (hand-added or from another tool)."""
    stale: list[str] = Field(default_factory=list)
    """Provenance rules whose marker is no longer in the skill (edited away)."""


def explain_skill(skill_dir: str | Path) -> Explanation:
    """Load the provenance of the skill at ``skill_dir`` and match it to the ``sf:`` markers in its files."""
    skill_dir = Path(skill_dir)
    provenance = read_provenance(skill_dir)
    if provenance is None:
        raise InputError(
            "no provenance recorded for this skill", path=skill_dir,
            hint=f"skillforge distill keeps it in {provenance_path(skill_dir)}",
        )
    markers: set[str] = set()
    for path in sorted(skill_dir.rglob("*.md")):
        try:
            markers.update(re.findall(r"sf:([0-9a-f]{10})", path.read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError):
            continue
    known = {r.id for r in provenance.rules}
    return Explanation(
        skill_dir=str(skill_dir), provenance=provenance,
        unexplained=sorted(markers - known), stale=sorted(known - markers),
    )
