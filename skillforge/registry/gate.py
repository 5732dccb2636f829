"""The security gate before a publish: ``skillforge.scan`` when this build has it.

High-severity findings refuse the publish unless the caller forces it with an acknowledgement
(the scan module's rule); a forced publish records the decision in the version's
``extra["scan"]`` so ``log`` shows forever what was let through.
"""

from __future__ import annotations

import importlib
import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Verdict:
    warnings: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)


def scan(skill_dir: Path, *, force: bool, acknowledge: str | None) -> Verdict:
    """Scan ``skill_dir``; raise ``ScanRefused`` on high severity unless forced and acknowledged."""
    if importlib.util.find_spec("skillforge.scan") is None:
        return Verdict()
    scanner = importlib.import_module("skillforge.scan")
    report = scanner.scan_skill(Path(skill_dir))
    decision = scanner.decide(report, force=force, acknowledge=acknowledge)
    if not decision.allowed:
        scanner.gate(report, force=force, acknowledge=acknowledge)  # raises ScanRefused with the details
    verdict = Verdict()
    if decision.forced:
        verdict.record = decision.model_dump(mode="json")
        verdict.warnings.append(f"published despite security findings: {decision.summary}")
    lower = [f for f in report.findings if f.severity != "high"]
    if lower:
        verdict.warnings.append(
            f"security scan: {len(lower)} lower-severity finding(s), "
            f"e.g. {lower[0].rule_id} at {lower[0].location} "
            "(run `skillforge scan` for all)"
        )
    return verdict
