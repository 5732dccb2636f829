"""A person's correction, turned by a model into anchored edits of the section it concerns.

The model sees the skill (sections and SKILL.md) and the correction, and answers edits in the
Patch format; a draft missing what its operation needs gets the repair round. Whether its anchor
exists is for ``apply_patch`` to report: the caller publishes nothing when an edit is refused.
"""

from __future__ import annotations

from typing import Any

from skillforge.evolve.edits import describe, skill_view, to_edits
from skillforge.llm.client import LLMClient
from skillforge.llm.task import Task
from skillforge.models import Patch, SkillPackage
from skillforge.models.evolve_outputs import CorrectionAnswer


class CorrectTask(Task[CorrectionAnswer], kind="correct", prompt="correct"):
    """A person's correction of ``pkg`` as anchored edits."""

    pkg: SkillPackage
    correction: str

    def inputs(self) -> dict[str, Any]:
        return {"skill": skill_view(self.pkg), "correction": self.correction}

    def check(self, answer: CorrectionAnswer) -> None:
        _, _, problems = to_edits(answer.edits)
        if problems:
            raise ValueError("; ".join(problems))


async def correction_with_model(client: LLMClient, pkg: SkillPackage, correction: str) -> Patch:
    """The model's patch for ``correction`` (already redacted). Raises the client's ``LLMError`` on failure."""
    answer = await CorrectTask(pkg, correction).run(client)
    edits, _, _ = to_edits(answer.edits)
    changelog = [f"correction: {correction}"] + [describe(e) for e in edits]
    return Patch(skill=pkg.name, edits=edits, changelog=changelog)
