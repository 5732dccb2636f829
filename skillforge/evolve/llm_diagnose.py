"""Skill Diagnostician with a model: cluster a batch of failures by cause and attribute them to sections.

The model sees the batch (ids F1, F2, ... with cause, attribution, section, rule, fix and quotes)
and the skill's sections, and groups the failures by shared cause. Code checks that every id is
real and appears in exactly one cluster (one repair round otherwise), then counts each cluster's
failed traces itself and ranks by that count. Failures past ``MAX_FAILURES`` are clustered offline.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from skillforge.evolve.diagnose import diagnose
from skillforge.evolve.edits import headings, skill_view
from skillforge.evolve.failures import signature
from skillforge.llm.client import LLMClient
from skillforge.llm.structured import build_request, complete_as
from skillforge.models import SkillPackage
from skillforge.models.evolve import FailureAnalysis, FailureCluster
from skillforge.models.evolve_outputs import DiagnosisAnswer
from skillforge.models.llm import LLMRequest
from skillforge.skills.markdown import normalize_heading

MAX_FAILURES = 80
"""Most failures one diagnosis call sees; the rest are clustered by their error signature."""


def failures_json(analyses: list[FailureAnalysis]) -> str:
    """The batch as the prompt shows it, with ids F1, F2, ... by position."""
    rows = [
        {
            "id": f"F{i + 1}",
            "task": a.task[:200],
            "step": a.step,
            "cause": a.cause,
            "attribution": a.attribution,
            "section": a.section,
            "rule": a.rule,
            "fix": a.fix,
            "recovery": a.recovery,
            "quotes": [e.quote for e in a.evidence[:2]],
        }
        for i, a in enumerate(analyses)
    ]
    return json.dumps(rows, ensure_ascii=False, indent=1)


def diagnosis_request(analyses: list[FailureAnalysis], pkg: SkillPackage) -> LLMRequest:
    return build_request(
        "evolve-diagnose",
        "evolve_diagnose",
        DiagnosisAnswer,
        count=len(analyses),
        failures=failures_json(analyses),
        skill=skill_view(pkg),
    )


def _check(count: int, pkg: SkillPackage) -> Callable[[DiagnosisAnswer], None]:
    valid = {f"F{i + 1}" for i in range(count)}
    known = set(headings(pkg))

    def check(answer: DiagnosisAnswer) -> None:
        seen: set[str] = set()
        for cluster in answer.clusters:
            if cluster.section is not None and normalize_heading(cluster.section) not in known:
                raise ValueError(
                    f"section {cluster.section!r} is not a heading of the skill; use one from SECTIONS or null"
                )
            for fid in cluster.failures:
                key = fid.strip().upper()
                if key not in valid:
                    raise ValueError(f"cluster names unknown failure id {fid!r}")
                if key in seen:
                    raise ValueError(f"failure {key} is in more than one cluster")
                seen.add(key)
        missing = sorted(valid - seen, key=lambda f: int(f[1:]))
        if missing:
            raise ValueError(f"failures {', '.join(missing[:10])} are in no cluster")

    return check


async def diagnose_with_model(
    client: LLMClient, analyses: list[FailureAnalysis], pkg: SkillPackage
) -> list[FailureCluster]:
    """Clusters of ``analyses``, most failed traces first. Raises the client's ``LLMError`` on failure."""
    if not analyses:
        return []
    shown, rest = analyses[:MAX_FAILURES], analyses[MAX_FAILURES:]
    answer = await complete_as(
        client, diagnosis_request(shown, pkg), DiagnosisAnswer, check=_check(len(shown), pkg)
    )
    clusters = []
    for drafted in answer.clusters:
        members = [shown[int(fid.strip().upper()[1:]) - 1] for fid in drafted.failures]
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
