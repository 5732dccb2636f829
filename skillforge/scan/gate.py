"""The gate publish and install put in front of a skill: refuse high-severity findings unless forced.

Forcing takes two things on purpose: ``force=True`` and an acknowledgement, a non-empty text the
caller records with the operation (the CLI's ``--acknowledge "why"``). ``decide`` returns the
record; ``gate`` returns it too but raises when the answer is no; ``screen`` scans a skill folder and
gates it, the one check publish (``registry.gate``) and install (``hosts.gate``) put in front of a skill.
"""

from __future__ import annotations

from pathlib import Path

from skillforge.errors import ScanRefused
from skillforge.models.scan import GateDecision, ScanReport
from skillforge.scan.paths import scan_skill


def decide(report: ScanReport, *, force: bool = False, acknowledge: str | None = None) -> GateDecision:
    """Whether an operation on the scanned content may go ahead, and why; never raises."""
    blocking = report.high
    ack = (acknowledge or "").strip() or None
    if not blocking:
        return GateDecision(allowed=True, summary="no high-severity findings")
    rules_hit = sorted({f.rule_id for f in blocking})
    summary = f"{len(blocking)} high-severity finding(s): " + ", ".join(rules_hit)
    if force and ack:
        return GateDecision(
            allowed=True,
            forced=True,
            acknowledgement=ack,
            blocking=blocking,
            summary=summary + " (forced, acknowledged)",
        )
    return GateDecision(allowed=False, forced=force, acknowledgement=ack, blocking=blocking, summary=summary)


def gate(report: ScanReport, *, force: bool = False, acknowledge: str | None = None) -> GateDecision:
    """The decision for ``report``; raises ``ScanRefused`` (exit code 4) when it has high-severity
    findings, unless ``force`` and a non-empty ``acknowledge`` are both given (``decision.forced``)."""
    decision = decide(report, force=force, acknowledge=acknowledge)
    if not decision.allowed:
        raise refusal(report, force=force)
    return decision


def screen(
    skill_dir: Path, *, force: bool, acknowledge: str | None, trust_content: bool
) -> tuple[ScanReport, GateDecision]:
    """The gate publish and install call: scan ``skill_dir`` and ``gate`` the report; returns the report
    with the decision.

    ``trust_content=False`` (install: someone else's skill) disregards the skill's own ignore markers.
    """
    report = scan_skill(Path(skill_dir), trust_content=trust_content)
    return report, gate(report, force=force, acknowledge=acknowledge)


def refusal(report: ScanReport, *, force: bool = False) -> ScanRefused:
    """The error refusing ``report``'s high-severity findings; its message is also what a forced
    operation records as the finding it let through."""
    decision = decide(report)
    first = decision.blocking[0]
    detail = f"{first.rule_id} at {first.location}: {first.excerpt}"
    more = len(decision.blocking) - 1
    if more:
        detail += f" (and {more} more)"
    if force:
        hint = 'forcing needs an explicit acknowledgement too: --force --acknowledge "<why this is safe>"'
    else:
        hint = (
            "run `skillforge scan` to see every finding; fix them, suppress a false positive with "
            '`skillforge: ignore[RULE]`, or pass --force --acknowledge "<why this is safe>"'
        )
    where = report.paths[0] if len(report.paths) == 1 else None
    return ScanRefused(f"security scan refused: {decision.summary}; {detail}", path=where, hint=hint)
