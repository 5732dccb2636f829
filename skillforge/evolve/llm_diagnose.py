"""Skill Diagnostician with a model: cluster a batch of failures by cause and attribute them to sections.

The model sees the batch (ids F1, F2, ... with cause, attribution, section, rule, fix and quotes)
and the skill's sections, and groups the failures by shared cause. Code checks that every id is
real and appears in exactly one cluster (one repair round otherwise), then counts each cluster's
failed traces itself and ranks by that count. Failures past ``MAX_FAILURES`` are clustered offline.
"""

from __future__ import annotations

from typing import Any

from skillforge.evolve.diagnose import diagnose
from skillforge.evolve.edits import skill_view
from skillforge.evolve.failures import signature
from skillforge.evolve.llm_failures import check_section
from skillforge.llm.client import LLMClient
from skillforge.llm.task import Ids, Task
from skillforge.models import SkillPackage
from skillforge.models.evolve import FailureAnalysis, FailureCluster
from skillforge.models.evolve_outputs import DiagnosisAnswer
from skillforge.skills.markdown import normalize_heading

MAX_FAILURES = 80
"""Most failures one diagnosis call sees; the rest are clustered by their error signature."""


class DiagnoseTask(Task[DiagnosisAnswer], kind="evolve-diagnose", prompt="evolve_diagnose"):
    """A batch of analysed failures clustered by shared cause, each cluster placed in the skill."""

    analyses: list[FailureAnalysis]
    pkg: SkillPackage

    @property
    def ids(self) -> Ids:
        return Ids("F", len(self.analyses))

    def inputs(self) -> dict[str, Any]:
        shown = {"step", "cause", "attribution", "section", "rule", "fix", "recovery"}
        rows = [
            {"task": a.task[:200], **a.model_dump(include=shown), "quotes": [e.quote for e in a.evidence[:2]]}
            for a in self.analyses
        ]
        return {"count": len(rows), "failures": self.ids.json(rows), "skill": skill_view(self.pkg)}

    def check(self, answer: DiagnosisAnswer) -> None:
        for cluster in answer.clusters:
            check_section(cluster.section, self.pkg)
        self.ids.check_partition((c.failures for c in answer.clusters), "cluster")


async def diagnose_with_model(
    client: LLMClient, analyses: list[FailureAnalysis], pkg: SkillPackage
) -> list[FailureCluster]:
    """Clusters of ``analyses``, most failed traces first. Raises the client's ``LLMError`` on failure."""
    if not analyses:
        return []
    shown, rest = analyses[:MAX_FAILURES], analyses[MAX_FAILURES:]
    task = DiagnoseTask(shown, pkg)
    answer = await task.run(client)
    clusters = []
    for drafted in answer.clusters:
        members = [shown[task.ids.index(fid)] for fid in drafted.failures]
        section = normalize_heading(drafted.section) if drafted.section else None
        rules = sorted({m.rule for m in members if m.rule and (section is None or m.section == section)})
        recoveries = sorted({m.recovery for m in members if m.recovery})
        trace_ids = sorted({m.trace_id for m in members})
        cause = " ".join(drafted.cause.split())
        clusters.append(
            FailureCluster(
                signature=signature(cause) or "failure",
                cause=cause,
                count=len(trace_ids),
                trace_ids=trace_ids,
                section=section,
                attribution=drafted.attribution,
                recovery=recoveries[0] if recoveries else None,
                steps=sorted({m.step for m in members if m.step is not None}),
                rule=rules[0] if rules else None,
                fix=" ".join(drafted.fix.split()),
            )
        )
    clusters += diagnose(rest)
    return sorted(clusters, key=lambda c: (-c.count, c.signature))
