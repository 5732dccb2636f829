"""Validation errors and fixable lint problems go back to the model: at most ``MAX_FIX_ROUNDS`` rounds per skill.

The model sees the problems and the SKILL.md and answers a ``FixAnswer`` (corrected name,
description and/or body); the correction is applied as a Patch through the one ``apply_patch``,
written, and validated again. Besides spec errors, the problems include what ``skillforge lint``
flags in this skill that a rewrite can repair: rules holding run-specific values, vague rules, a
description that is a table of contents, boilerplate. A fix may reword rule lines but must keep
every ``<!-- sf:… -->`` marker (provenance and ``explain`` hang on them); a fix that loses one is
rejected and reported. What is still wrong after the last round is reported, not hidden.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from skillforge.errors import BudgetExceeded, LLMError, SkillforgeError
from skillforge.llm.client import LLMClient
from skillforge.llm.task import Task
from skillforge.models import CreateFile, Patch
from skillforge.models.llm import CallFailure
from skillforge.models.llm_outputs import FixAnswer
from skillforge.skills.frontmatter import render as render_skill_md
from skillforge.skills.io import read_package, write_package
from skillforge.skills.lint import lint_skill, load_skills
from skillforge.skills.lint_text import vague_match
from skillforge.skills.patch import apply_patch
from skillforge.skills.validate import validate_skill

__all__ = ["MAX_FIX_ROUNDS", "FixRejected", "FixTask", "fix_skill", "lint_problems", "validate_and_fix"]

MAX_FIX_ROUNDS = 2
MAX_LINT_PROBLEMS = 12
"""Lint problems sent per round (the first ones, in SKILL.md order): enough to act on, a bounded prompt."""
_MARKER = re.compile(r"<!--\s*sf:([^>\s]+)\s*-->")


class FixRejected(SkillforgeError):
    """A fix answer was not applied (it dropped provenance markers or added dangerous content); the skill
    stays as it was."""


def lint_problems(skill_dir: Path) -> list[str]:
    """What ``skillforge lint`` flags in the skill at ``skill_dir`` that a model can repair by rewording,
    one problem per line as the fix prompt shows it (``[metric] what to do. Rule: <rule>``)."""
    metrics = lint_skill(load_skills([skill_dir])[0])
    flagged = metrics.flagged
    problems: list[str] = []
    for item in flagged.get("run_specific", []):
        rule, _, label = item.rpartition("  [")
        problems.append(f"[run_specific] the rule holds a value from one run ({label.rstrip(']')}); replace it "
                        f"with a named placeholder such as {{path}} or {{order_id}}. Rule: {rule}")
    for rule in flagged.get("vague", []):
        problems.append(f"[vague] the action \"{vague_match(rule) or ''}\" does not say what to do; name the "
                        f"command or tool and the exact change. Rule: {rule}")
    for template in flagged.get("templated_description", []):
        problems.append(f"[templated_description] the description reads like a table of contents (\"{template}\"); "
                        "say what the skill does and when to use it, in the domain's words, without counts")
    for span in flagged.get("boilerplate", []):
        problems.append(f"[boilerplate] remove this text from the body, it carries no instruction. Text: {span}")
    return problems[:MAX_LINT_PROBLEMS]


class FixTask(Task[FixAnswer], kind="fix", prompt="fix_validation"):
    """Correct what validation and lint found in one skill's SKILL.md."""

    name: str
    problems: list[str]
    skill_md: str
    round_no: int

    def label(self) -> str:
        return f"fix:{self.name}:{self.round_no}"

    def inputs(self) -> dict[str, Any]:
        return {"name": self.name, "problems": "\n".join(f"- {p}" for p in self.problems), "skill_md": self.skill_md}


def _markers(text: str) -> set[str]:
    return set(_MARKER.findall(text))


async def fix_skill(client: LLMClient, skill_dir: Path, problems: list[str], round_no: int) -> str | None:
    """One fix round for the skill at ``skill_dir``; returns a note of what changed, or None if nothing did.

    Raises ``FixRejected`` (and leaves the skill as it was) when the corrected SKILL.md lost a marker."""
    skill_md = skill_dir / "SKILL.md"
    original = skill_md.read_text(encoding="utf-8")
    pkg = read_package(skill_dir)
    answer = await FixTask(skill_dir.name, problems, original, round_no).run(client)
    front = pkg.frontmatter
    updates: dict[str, str] = {}
    if answer.name and answer.name != front.name:
        updates["name"] = answer.name
    if answer.description and answer.description != front.description:
        updates["description"] = answer.description
    body = answer.body if answer.body and answer.body.strip() else pkg.body
    if not updates and body.strip() == pkg.body.strip():
        return None
    lost = sorted(_markers(pkg.body) - _markers(body))
    if lost:
        raise FixRejected(f"the fix dropped {len(lost)} rule marker(s) (sf:{', sf:'.join(lost[:5])}); "
                          "the skill was kept as it was", path=skill_md)
    content = render_skill_md(front.model_copy(update=updates), body)
    what = sorted(updates) + (["body"] if body.strip() != pkg.body.strip() else [])
    patch = Patch(skill=front.name, edits=[CreateFile(file="SKILL.md", content=content)],
                  changelog=[f"fix validation and lint (round {round_no}): " + ", ".join(what)])
    # A Patch edits sections, not frontmatter; a corrected SKILL.md is applied as a re-creation of
    # the file over the same package (other files kept), through the one apply_patch.
    fixed, failed = apply_patch(pkg.model_copy(update={"body": ""}), patch)
    if failed:
        return None
    from skillforge.scan import scan_rendered

    before = {(f.rule_id, f.excerpt) for f in scan_rendered(pkg) if f.severity == "high"}
    added = [f for f in scan_rendered(fixed) if f.severity == "high" and (f.rule_id, f.excerpt) not in before]
    if added:
        # The model's rewrite must not bring in what the scan gate keeps out of every distilled skill.
        raise FixRejected(f"the fix added {added[0].rule_id} ({added[0].excerpt}); the skill was kept as it was",
                          path=skill_md)
    write_package(fixed, skill_dir)
    return patch.changelog[0]


async def validate_and_fix(
    client: LLMClient, skill_dir: Path, failures: list[CallFailure], max_rounds: int = MAX_FIX_ROUNDS
) -> tuple[list[str], int]:
    """Validate and lint ``skill_dir``; while it has validation errors or fixable lint problems, run up
    to ``max_rounds`` fix rounds. Returns the validation errors left and the number of rounds used.

    A clean skill costs no call, so a re-run over clean output stays free; a skill that needs a fix
    sends the same prompt again on a re-run (same SKILL.md, same problems) and is answered from the cache."""
    errors = [p.message for p in validate_skill(skill_dir).errors]
    lint = _lint_or_none(skill_dir)
    rounds = 0
    while (errors or lint) and rounds < max_rounds:
        rounds += 1
        try:
            changed = await fix_skill(client, skill_dir, errors + lint, rounds)
        except BudgetExceeded:
            raise
        except (LLMError, SkillforgeError) as exc:
            failures.append(CallFailure(task=f"fix:{skill_dir.name}:{rounds}", error=exc.message, kind=type(exc).__name__))
            break
        errors = [p.message for p in validate_skill(skill_dir).errors]
        lint = _lint_or_none(skill_dir)
        if changed is None:
            break
    return errors, rounds


def _lint_or_none(skill_dir: Path) -> list[str]:
    # A SKILL.md that cannot be read is a validation error already; lint has nothing to add then.
    try:
        return lint_problems(skill_dir)
    except SkillforgeError:
        return []
