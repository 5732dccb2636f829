"""Skill Diagnostician: cluster failures by cause, attribute them to sections, rank by what they explain."""

from __future__ import annotations

from collections import defaultdict

from skillforge.models.evolve import Attribution, FailureAnalysis, FailureCluster


def diagnose(analyses: list[FailureAnalysis]) -> list[FailureCluster]:
    """Group analyses with the same signature; most failures first, then by signature for a stable order."""
    groups: dict[str, list[FailureAnalysis]] = defaultdict(list)
    for analysis in analyses:
        groups[analysis.signature].append(analysis)
    clusters = []
    for sig, members in groups.items():
        members.sort(key=lambda a: (a.trace_id, a.step or 0))
        sections = sorted({m.section for m in members if m.section})
        attributions = {m.attribution for m in members}
        attribution: Attribution = (
            "misleading"
            if "misleading" in attributions
            else ("followed" if "followed" in attributions else "missing")
        )
        recoveries = sorted({m.recovery for m in members if m.recovery})
        rules = sorted({m.rule for m in members if m.rule})
        clusters.append(
            FailureCluster(
                signature=sig,
                cause=members[0].cause,
                count=len({m.trace_id for m in members}),
                trace_ids=sorted({m.trace_id for m in members}),
                section=sections[0] if sections else None,
                attribution=attribution,
                recovery=recoveries[0] if recoveries else None,
                steps=sorted({m.step for m in members if m.step is not None}),
                rule=rules[0] if rules else None,
            )
        )
    return sorted(clusters, key=lambda c: (-c.count, c.signature))
