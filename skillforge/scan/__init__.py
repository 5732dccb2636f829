"""Security checks on skills and traces: injection, secrets, dangerous scripts, hidden Unicode, risky
files and archives, and poisoned lessons in distillation.

Public API (used by ``skillforge scan``, registry publish, host install and the distill pipeline)::

    scan_paths(paths) -> ScanReport          # skill folders and/or trace folders/files, archives
    scan_skill(skill_dir) -> ScanReport
    scan_trace(trace) -> list[Finding]       # on a normalized Trace
    decide(report, ...) -> GateDecision      # may an operation go ahead? a record to store
    gate(report, ...) -> GateDecision        # the same, but raises ScanRefused when the answer is no
    poisoned_lessons(lessons, traces) -> (kept, quarantined)
    scan_rendered(package) -> list[Finding]  # a SkillPackage as distill is about to write it

Every rule (id, severity, what it catches, fix hint) is in ``skillforge.scan.rules.RULES``.
"""

from __future__ import annotations

from skillforge.models.scan import Finding, GateDecision, QuarantinedLesson, ScanReport
from skillforge.scan.gate import decide, gate
from skillforge.scan.paths import scan_paths, scan_skill
from skillforge.scan.poison import poisoned_lessons
from skillforge.scan.rendered import scan_rendered
from skillforge.scan.rules import RULES
from skillforge.scan.trace import scan_trace

__all__ = [
    "RULES",
    "Finding",
    "GateDecision",
    "QuarantinedLesson",
    "ScanReport",
    "decide",
    "gate",
    "poisoned_lessons",
    "scan_paths",
    "scan_rendered",
    "scan_skill",
    "scan_trace",
]
