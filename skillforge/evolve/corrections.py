"""Apply a person's natural-language correction to a skill as a new, reversible version."""

from __future__ import annotations

import datetime as _dt
import shutil
import tempfile
from pathlib import Path
from typing import Any

from skillforge.distill.apply import apply_patch
from skillforge.errors import InputError, SpecError
from skillforge.models import AddSection, AppendToSection, Patch, SkillPackage
from skillforge.redact import redact_text
from skillforge.skills.io import read_package, write_package
from skillforge.skills.markdown import normalize_heading, sections
from skillforge.skills.validate import validate_skill

CORRECTIONS = "Corrections"


def correction_patch(pkg: SkillPackage, text: str, *, today: _dt.date | None = None) -> Patch:
    """Offline: record the correction, dated, in a ``Corrections`` section (created when missing)."""
    clean = " ".join(redact_text(text).split())
    if not clean:
        raise InputError("the correction is empty")
    if "---" in clean:
        clean = clean.replace("---", "—")
    day = (today or _dt.date.today()).isoformat()
    rule = f"- ({day}) {clean}"
    headings = {normalize_heading(s.heading) for s in sections(pkg.body.splitlines())}
    edit = (
        AppendToSection(heading=CORRECTIONS, content=rule)
        if CORRECTIONS in headings
        else AddSection(heading=CORRECTIONS, content="Corrections from people who use this skill; they override older rules.\n\n" + rule)
    )
    return Patch(skill=pkg.name, edits=[edit], changelog=[f"correction: {clean}"])


def apply_correction(registry: Any, name: str, text: str, *, today: _dt.date | None = None) -> Any:
    """Publish the corrected skill as a new patch version; ``rollback`` undoes it like any version."""
    version = registry.resolve(name)
    work = Path(tempfile.mkdtemp(prefix="skillforge-correct-"))
    try:
        base = registry.export(name, version, work / "base")
        pkg = read_package(base)
        patch = correction_patch(pkg, text, today=today)
        corrected, problems = apply_patch(pkg, patch)
        if problems:
            raise SpecError("correction could not be applied: " + "; ".join(map(str, problems)))
        out = write_package(corrected, work / "out" / name)
        report = validate_skill(out)
        if not report.ok():
            raise SpecError("corrected skill is invalid: " + "; ".join(p.message for p in report.errors))
        return registry.publish(out, bump="patch", message=patch.changelog[0], changelog=patch.changelog,
                                extra={"correction": text, "based_on": version})
    finally:
        shutil.rmtree(work, ignore_errors=True)
