"""The security gate before a publish: the scan gate (``skillforge.scan.gate.screen``) shared with install.

High-severity findings refuse the publish unless the caller forces it with an acknowledgement
(the scan module's rule); a forced publish records the decision in the version's
``extra["scan"]`` so ``log`` shows forever what was let through.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass
class Verdict:
    warnings: list[str] = field(default_factory=list)
    record: dict[str, Any] = field(default_factory=dict)


def scan(skill_dir: Path, *, force: bool, acknowledge: str | None) -> Verdict:
    """Scan ``skill_dir``; raise ``ScanRefused`` on high severity unless forced and acknowledged."""
    # Imported on the first publish: the scanner's rule tables cost about as much to import as the
    # registry itself, and list/log/show never scan.
    from skillforge.scan.gate import screen

    report, decision = screen(Path(skill_dir), force=force, acknowledge=acknowledge, trust_content=True)
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
