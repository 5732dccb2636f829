"""A person's correction, turned by a model into anchored edits of the section it concerns.

The model sees the skill (sections and SKILL.md) and the correction, and answers edits in the
Patch format; a draft missing what its operation needs gets the repair round. Whether its anchor
exists is for ``apply_patch`` to report: the caller publishes nothing when an edit is refused.
"""

from __future__ import annotations

from skillforge.evolve.edits import describe, skill_view, to_edits
from skillforge.llm.client import LLMClient
from skillforge.llm.structured import build_request, complete_as
from skillforge.models import Patch, SkillPackage
from skillforge.models.evolve_outputs import CorrectionAnswer
from skillforge.models.llm import LLMRequest


def correction_request(pkg: SkillPackage, correction: str) -> LLMRequest:
    return build_request("correct", "correct", CorrectionAnswer, skill=skill_view(pkg), correction=correction)


def _check(answer: CorrectionAnswer) -> None:
    _, _, problems = to_edits(answer.edits)
    if problems:
        raise ValueError("; ".join(problems))


async def correction_with_model(client: LLMClient, pkg: SkillPackage, correction: str) -> Patch:
    """The model's patch for ``correction`` (already redacted). Raises the client's ``LLMError`` on failure."""
    answer = await complete_as(client, correction_request(pkg, correction), CorrectionAnswer, check=_check)
    edits, _, _ = to_edits(answer.edits)
    changelog = [f"correction: {correction}"] + [describe(e) for e in edits]
    return Patch(skill=pkg.name, edits=edits, changelog=changelog)
