"""Skill Optimizer: turn a diagnosis into a Patch (the same anchored edits distill uses)."""

from __future__ import annotations

from skillforge.models import AddSection, AppendToSection, Evidence, Patch, SkillPackage
from skillforge.models.evolve import FailureCluster
from skillforge.skills.markdown import normalize_heading, sections

GUARDRAILS = "Guardrails"


def guardrail_text(cluster: FailureCluster) -> str:
    """One rule: the observed failure, stated so an agent can avoid it, with the recovery seen in traces."""
    runs = f"{cluster.count} failed run{'s' if cluster.count != 1 else ''}"
    rule = f"- {cluster.cause.rstrip('.')} (seen in {runs})"
    if cluster.recovery:
        rule += f"; what worked instead: `{cluster.recovery}`"
    return rule


def optimize(pkg: SkillPackage, clusters: list[FailureCluster], *, max_rules: int = 5) -> Patch:
    """Offline optimizer: add a guardrail per failure cluster the skill does not already cover."""
    present = pkg.body
    rules: list[str] = []
    changelog: list[str] = []
    evidence: list[Evidence] = []
    for cluster in clusters[:max_rules]:
        rule = guardrail_text(cluster)
        if cluster.cause.rstrip(".") in present or rule in rules:
            continue
        rules.append(rule)
        where = f" (section {cluster.section}, {cluster.attribution})" if cluster.section else ""
        changelog.append(f"guardrail for '{cluster.cause[:80]}' from {cluster.count} failure(s){where}")
        evidence.extend(Evidence(trace_id=t, quote=cluster.cause[:200]) for t in cluster.trace_ids)
    if not rules:
        return Patch(skill=pkg.name)
    edit = section_edit(
        pkg, GUARDRAILS, "\n".join(rules), intro="Failures seen when this skill was used, and how to avoid them:"
    )
    return Patch(skill=pkg.name, edits=[edit], changelog=changelog, evidence=evidence)


def section_edit(pkg: SkillPackage, heading: str, content: str, *, intro: str) -> AppendToSection | AddSection:
    """Append ``content`` to section ``heading``, or add the section (``intro`` first) when the skill lacks it."""
    headings = {normalize_heading(s.heading) for s in sections(pkg.body.splitlines())}
    if heading in headings:
        return AppendToSection(heading=heading, content=content)
    return AddSection(heading=heading, content=f"{intro}\n\n{content}")
