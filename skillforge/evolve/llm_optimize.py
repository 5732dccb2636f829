"""Skill Optimizer with a model: a diagnosis becomes a Patch of anchored edits to the current skill.

The model sees the skill (its sections and SKILL.md) and the ranked clusters (ids C1, C2, ...)
and answers edits in the Patch format distill uses. Code turns each draft into a Patch edit,
applies the patch with the one ``apply_patch`` to a scratch copy and validates the result.
Problems with the patch itself — a draft missing what its operation needs, a candidate that fails
the spec or grows SKILL.md past the line limit — go back to the model, at most
``MAX_FIX_ROUNDS`` times. An edit whose anchor is missing is not one of them: ``apply_patch``
reports it when the round applies the patch, and nothing guesses a different anchor.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillforge.evolve.edits import describe, skill_view, to_edits
from skillforge.llm.client import LLMClient
from skillforge.llm.structured import follow_up
from skillforge.llm.task import Ids, Task
from skillforge.models import Evidence, Patch, SkillPackage
from skillforge.models.evolve import FailureCluster
from skillforge.models.evolve_outputs import OptimizeAnswer
from skillforge.models.llm import LLMRequest
from skillforge.skills.io import write_package
from skillforge.skills.patch import apply_patch
from skillforge.skills.validate import MAX_SKILL_MD_LINES, validate_skill

MAX_FIX_ROUNDS = 2
"""Most rounds in which the patch's problems go back to the model (distill's fix stage uses the same number)."""


@dataclass
class Optimized:
    """The optimizer's patch, how many fix rounds it took, and the problems still left."""

    patch: Patch
    fix_rounds: int = 0
    problems: list[str] = field(default_factory=list)


class OptimizeTask(Task[OptimizeAnswer], kind="evolve-optimize", prompt="evolve_optimize"):
    """Anchored edits of ``pkg`` for the ranked failure clusters."""

    pkg: SkillPackage
    clusters: list[FailureCluster]

    def inputs(self) -> dict[str, Any]:
        shown = {"cause", "section", "attribution", "rule", "fix", "recovery"}
        rows = [{"failures": c.count, **c.model_dump(include=shown)} for c in self.clusters]
        return {"skill": skill_view(self.pkg), "count": len(rows), "clusters": self.ids.json(rows)}

    def check(self, answer: OptimizeAnswer) -> None:
        for i, edit in enumerate(answer.edits):
            for ref in edit.clusters:
                try:
                    self.ids.index(ref)
                except ValueError as exc:
                    raise ValueError(f"edit {i}: {exc}") from None

    @property
    def ids(self) -> Ids:
        return Ids("C", len(self.clusters))


def fix_request(request: LLMRequest, answer: OptimizeAnswer, problems: list[str], round_no: int) -> LLMRequest:
    """The same conversation plus the last patch and what is wrong with it."""
    previous = {"role": "assistant", "content": answer.model_dump_json(exclude_defaults=True)}
    return follow_up(request, "evolve_optimize_fix", f"evolve-optimize:fix{round_no}", after=[previous],
                     problems="\n".join(f"- {p}" for p in problems))


def build_patch(
    pkg: SkillPackage, clusters: list[FailureCluster], answer: OptimizeAnswer
) -> tuple[Patch, list[str]]:
    """The answer's edits as a Patch with changelog and evidence; problems of drafts left out."""
    edits, kept, problems = to_edits(answer.edits)
    changelog: list[str] = []
    evidence: list[Evidence] = []
    for edit, index in zip(edits, kept, strict=False):
        draft = answer.edits[index]
        ids = sorted({Ids("C", len(clusters)).index(c) for c in draft.clusters})
        addressed = [clusters[i] for i in ids]
        failures = sum(c.count for c in addressed)
        why = draft.reason.strip() or (addressed[0].cause if addressed else "")
        line = (
            describe(edit)
            + (f" for {failures} failure(s)" if addressed else "")
            + (f": {why}" if why else "")
        )
        changelog.append(line[:300])
        for cluster in addressed:
            evidence.extend(Evidence(trace_id=t, quote=cluster.cause[:200]) for t in cluster.trace_ids)
    unique = sorted(
        {(e.trace_id, e.quote): e for e in evidence}.values(), key=lambda e: (e.trace_id, e.quote)
    )
    return Patch(skill=pkg.name, edits=edits, changelog=changelog, evidence=unique), problems


def candidate_problems(pkg: SkillPackage, patch: Patch) -> list[str]:
    """What is wrong with the skill the patch makes: spec errors, SKILL.md grown past the line limit."""
    if not patch.edits:
        return []
    candidate, _ = apply_patch(pkg, patch)
    work = Path(tempfile.mkdtemp(prefix="skillforge-optimize-"))
    try:
        folder = write_package(candidate, work / pkg.name)
        problems = [p.message for p in validate_skill(folder).errors]
        lines = (folder / "SKILL.md").read_text(encoding="utf-8").count("\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # Compared with the skill as apply_patch normalises it, so only growth the patch causes counts.
    unchanged, _ = apply_patch(pkg, Patch(skill=pkg.name))
    if lines >= MAX_SKILL_MD_LINES and len(candidate.body.splitlines()) > len(unchanged.body.splitlines()):
        problems.append(
            f"SKILL.md would have {lines} lines; keep it under {MAX_SKILL_MD_LINES}: put the detail "
            "in a file under references/ (create_file) and point to it from a line SKILL.md already has"
        )
    return problems


async def optimize_with_model(
    client: LLMClient, pkg: SkillPackage, clusters: list[FailureCluster], *, max_rounds: int = MAX_FIX_ROUNDS
) -> Optimized:
    """The model's patch for ``clusters``. Raises the client's ``LLMError`` when a call fails."""
    if not clusters:
        return Optimized(Patch(skill=pkg.name))
    task = OptimizeTask(pkg, clusters)
    request = task.request()
    answer = await task.run(client, request=request)
    rounds = 0
    while True:
        patch, problems = build_patch(pkg, clusters, answer)
        problems += candidate_problems(pkg, patch)
        if not problems or rounds >= max_rounds:
            return Optimized(patch, rounds, problems)
        rounds += 1
        request = fix_request(request, answer, problems, rounds)
        answer = await task.run(client, request=request)
