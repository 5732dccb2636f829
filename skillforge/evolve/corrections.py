"""Apply a person's natural-language correction to a skill as a new, reversible version.

Offline, the correction is recorded, dated, in a ``Corrections`` section. With a model it becomes
an anchored edit of the section it concerns (``llm_correct``). Either way the edit goes through
the one ``apply_patch``; an edit whose anchor is missing is reported and nothing is published.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from skillforge.errors import InputError, SpecError
from skillforge.evolve.optimize import section_edit
from skillforge.evolve.screen import check_rewrite
from skillforge.llm.client import LLMClient
from skillforge.models import Patch, SkillPackage
from skillforge.models.evolve import CorrectionResult
from skillforge.redact import redact_text
from skillforge.skills.io import read_package, write_package
from skillforge.skills.patch import apply_patch
from skillforge.skills.validate import validate_skill

if TYPE_CHECKING:
    from skillforge.registry.store import Registry

CORRECTIONS = "Corrections"


def clean_correction(text: str) -> str:
    """The correction on one line, secrets masked (it is sent to a model and kept in the registry)."""
    clean = " ".join(redact_text(text).split())
    if not clean:
        raise InputError("the correction is empty")
    return clean.replace("---", "—")


def correction_patch(pkg: SkillPackage, text: str, *, today: _dt.date | None = None) -> Patch:
    """Offline: record the correction, dated, in a ``Corrections`` section (created when missing)."""
    clean = clean_correction(text)
    day = (today or _dt.date.today()).isoformat()
    rule = f"- ({day}) {clean}"
    intro = "Corrections from people who use this skill; they override older rules."
    edit = section_edit(pkg, CORRECTIONS, rule, intro=intro)
    return Patch(skill=pkg.name, edits=[edit], changelog=[f"correction: {clean}"])


def _model_patch(client: LLMClient, pkg: SkillPackage, text: str) -> Patch:
    from skillforge.evolve.llm_correct import correction_with_model

    try:
        return asyncio.run(correction_with_model(client, pkg, clean_correction(text)))
    finally:
        if client.cache is not None:
            client.cache.flush()


def apply_correction(
    registry: Registry,
    name: str,
    text: str,
    *,
    today: _dt.date | None = None,
    client: LLMClient | None = None,
    from_version: str | None = None,
) -> CorrectionResult:
    """Publish the corrected skill as a new patch version; ``rollback`` undoes it like any version.

    The correction is applied to the latest version, or to ``from_version``; a pin never changes
    the base (it would silently drop the versions after it). ``previous`` is the latest version
    before the correction, the one ``rollback`` returns to. Raises ``SpecError`` (publishing
    nothing) when an edit cannot be applied or the result is invalid.
    """
    latest = registry.resolve(name, "latest")
    version = registry.resolve(name, from_version or "latest")
    pinned = registry.pins().get(name)
    work = Path(tempfile.mkdtemp(prefix="skillforge-correct-"))
    try:
        base = registry.export(name, version, work / "base")
        pkg = read_package(base)
        patch = (
            _model_patch(client, pkg, text)
            if client is not None
            else correction_patch(pkg, text, today=today)
        )
        corrected, problems = apply_patch(pkg, patch)
        if problems:
            raise SpecError(
                "the correction could not be applied: " + "; ".join(map(str, problems)),
                hint=f"nothing was published; {name} is still at {latest}. Quote the skill's own "
                "words in the correction, or run without --model to record it under Corrections",
            )
        if corrected == apply_patch(pkg, Patch(skill=pkg.name))[0]:
            raise SpecError(
                "the correction changes nothing in the skill", hint=f"{name} is still at {latest}"
            )
        out = write_package(corrected, work / "out" / name)
        report = validate_skill(out)
        if not report.ok():
            raise SpecError("corrected skill is invalid: " + "; ".join(p.message for p in report.errors))
        check_rewrite(base, out)
        extra: dict[str, Any] = {"correction": clean_correction(text), "based_on": version}
        if client is not None:
            extra["model"] = client.model
        published = registry.publish(
            out, bump="patch", message=patch.changelog[0], changelog=patch.changelog, extra=extra
        )
        return CorrectionResult(
            name=name,
            version=str(published.version),
            previous=latest,
            based_on=version,
            pinned=pinned,
            changelog=list(patch.changelog),
            model=client.model if client is not None else None,
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
