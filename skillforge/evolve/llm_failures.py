"""Failure Analyzer with a model: one call per failed trace, every quote checked against the trace.

The model sees the trace outline, the steps around each error and the skill (its sections and
SKILL.md). It answers which step went wrong and why, which section and rule of the skill were
followed, missing or misleading, and what the skill should say instead. Code then checks the
answer: evidence quotes must occur in the trace (an answer with none is not used: the offline
analysis of that trace stands in, and a note says so), a quoted rule must occur in SKILL.md, and
a section must be one of the skill's headings (a wrong one gets the repair round).
"""

from __future__ import annotations

from typing import Any

from skillforge.evolve.edits import headings, skill_view
from skillforge.evolve.failures import analyze_failure
from skillforge.llm.client import LLMClient
from skillforge.llm.quotes import TraceIndex, normalize
from skillforge.llm.task import Task
from skillforge.llm.trace_view import error_windows, render_outline
from skillforge.models import Evidence, SkillPackage, Trace
from skillforge.models.evolve import FailureAnalysis
from skillforge.models.evolve_outputs import FailureAnswer
from skillforge.skills.markdown import normalize_heading


def check_section(section: str | None, pkg: SkillPackage) -> None:
    """A section an answer names must be a heading of the skill (or null)."""
    if section is not None and normalize_heading(section) not in set(headings(pkg)):
        raise ValueError(f"section {section!r} is not a heading of the skill; use one from SECTIONS or null")


class FailureTask(Task[FailureAnswer], kind="evolve-failure", prompt="evolve_failure"):
    """Why one trace failed with the skill installed, and what the skill should say instead."""

    trace: Trace
    pkg: SkillPackage

    def label(self) -> str:
        return f"evolve-failure:{self.trace.id}"

    def inputs(self) -> dict[str, Any]:
        return {"skill": skill_view(self.pkg), "outline": render_outline(self.trace), "windows": error_windows(self.trace)}

    def check(self, answer: FailureAnswer) -> None:
        steps = len(self.trace.steps)
        if not 0 <= answer.step < max(1, steps):
            raise ValueError(f"step {answer.step} is not a step of this trace (0..{steps - 1})")
        check_section(answer.section, self.pkg)


async def analyze_with_model(
    client: LLMClient, trace: Trace, pkg: SkillPackage
) -> tuple[FailureAnalysis | None, list[str]]:
    """The model's analysis of ``trace`` (None when the trace did not fail) and notes on what was not used.

    Raises the client's ``LLMError`` when the call fails; the caller decides what stands in.
    """
    offline = analyze_failure(trace, pkg)
    if offline is None:
        return None, []
    answer = await FailureTask(trace, pkg).run(client)
    index = TraceIndex.of(trace)
    evidence: list[Evidence] = []
    for draft in answer.evidence:
        found = index.find(draft.quote, draft.step)
        if found is not None:
            item = Evidence(trace_id=trace.id, step=found[0], quote=found[1], source=trace.source.path)
            if item not in evidence:
                evidence.append(item)
    if not evidence:
        note = f"trace {trace.id}: no evidence quote of the model occurs in the trace; the heuristic analysis is used"
        return offline, [note]
    notes = []
    rule = " ".join(answer.rule.split()) if answer.rule and answer.rule.strip() else None
    if rule is not None and normalize(rule) not in normalize(pkg.body):
        notes.append(f"trace {trace.id}: the quoted rule {rule[:60]!r} does not occur in SKILL.md; left out")
        rule = None
    return (
        FailureAnalysis(
            trace_id=trace.id,
            source=trace.source.path,
            task=trace.task[:300],
            step=answer.step,
            cause=" ".join(answer.cause.split()),
            # The observed error's signature keeps the offline diagnosis usable if the model's fails.
            signature=offline.signature,
            recovery=offline.recovery,
            section=normalize_heading(answer.section) if answer.section else None,
            attribution=answer.attribution,
            rule=rule,
            fix=" ".join(answer.fix.split()),
            evidence=sorted(evidence, key=lambda e: (e.step or 0, e.quote)),
            analyzer=client.model,
        ),
        notes,
    )
