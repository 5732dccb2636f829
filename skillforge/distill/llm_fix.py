"""Validation errors go back to the model: at most ``MAX_FIX_ROUNDS`` rounds per skill.

The model sees the problems and the SKILL.md and answers a ``FixAnswer`` (corrected name,
description and/or body); the correction is applied as a Patch through the one ``apply_patch``,
written, and validated again. What is still wrong after the last round is reported, not hidden.
"""

from __future__ import annotations

from pathlib import Path

from skillforge.distill.apply import apply_patch
from skillforge.errors import BudgetExceeded, LLMError, SkillforgeError
from skillforge.llm.client import LLMClient
from skillforge.llm.structured import build_request, complete_as
from skillforge.models import CreateFile, Patch
from skillforge.models.llm import CallFailure
from skillforge.models.llm_outputs import FixAnswer
from skillforge.skills.frontmatter import render as render_skill_md
from skillforge.skills.io import read_package, write_package
from skillforge.skills.validate import validate_skill

MAX_FIX_ROUNDS = 2


async def fix_skill(client: LLMClient, skill_dir: Path, problems: list[str], round_no: int) -> str | None:
    """One fix round for the skill at ``skill_dir``; returns a note of what changed, or None if nothing did."""
    skill_md = skill_dir / "SKILL.md"
    pkg = read_package(skill_dir)
    request = build_request(
        f"fix:{skill_dir.name}:{round_no}",
        "fix_validation",
        FixAnswer,
        name=skill_dir.name,
        problems="\n".join(f"- {p}" for p in problems),
        skill_md=skill_md.read_text(encoding="utf-8"),
    )
    answer = await complete_as(client, request, FixAnswer)
    front = pkg.frontmatter
    updates: dict[str, str] = {}
    if answer.name and answer.name != front.name:
        updates["name"] = answer.name
    if answer.description and answer.description != front.description:
        updates["description"] = answer.description
    body = answer.body if answer.body and answer.body.strip() else pkg.body
    if not updates and body == pkg.body:
        return None
    content = render_skill_md(front.model_copy(update=updates), body)
    patch = Patch(skill=front.name, edits=[CreateFile(file="SKILL.md", content=content)],
                  changelog=[f"fix validation (round {round_no}): " + ", ".join(sorted(updates) or ["body"])])
    # A Patch edits sections, not frontmatter; a corrected SKILL.md is applied as a re-creation of
    # the file over the same package (other files kept), through the one apply_patch.
    fixed, failed = apply_patch(pkg.model_copy(update={"body": ""}), patch)
    if failed:
        return None
    write_package(fixed, skill_dir)
    return patch.changelog[0]


async def validate_and_fix(
    client: LLMClient, skill_dir: Path, failures: list[CallFailure], max_rounds: int = MAX_FIX_ROUNDS
) -> tuple[list[str], int]:
    """Validate ``skill_dir``; while it has errors, run up to ``max_rounds`` fix rounds.
    Returns the errors left and the number of rounds used."""
    errors = [p.message for p in validate_skill(skill_dir).errors]
    rounds = 0
    while errors and rounds < max_rounds:
        rounds += 1
        try:
            changed = await fix_skill(client, skill_dir, errors, rounds)
        except BudgetExceeded:
            raise
        except (LLMError, SkillforgeError) as exc:
            failures.append(CallFailure(task=f"fix:{skill_dir.name}:{rounds}", error=exc.message, kind=type(exc).__name__))
            break
        errors = [p.message for p in validate_skill(skill_dir).errors]
        if changed is None:
            break
    return errors, rounds
