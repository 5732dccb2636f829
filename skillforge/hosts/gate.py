"""The install gate: every skill is validated and security-scanned (``skillforge.scan.gate.screen``).

A skill that fails validation is refused unless ``force``. High-severity scan findings are refused
unless ``force`` *and* an acknowledgement (the scan gate's rule, shared with publish). Whatever was
let through comes back as an ``Override`` that the lock file records next to the install.
"""

from __future__ import annotations

from pathlib import Path

from skillforge.errors import ScanRefused, SpecError
from skillforge.models.lock import Override
from skillforge.skills.validate import validate_skill


def check_skill(
    skill_dir: Path, *, label: str, force: bool, acknowledge: str | None = None
) -> Override | None:
    """Validate and scan the staged skill; raise ``SpecError``/``ScanRefused`` unless forced."""
    checks: list[str] = []
    validation = validate_skill(skill_dir)
    if validation.errors:
        summary = "; ".join(p.message for p in validation.errors[:3])
        if len(validation.errors) > 3:
            summary += f"; and {len(validation.errors) - 3} more"
        if not force:
            raise SpecError(
                f"skill fails validation: {summary}",
                path=label,
                hint="run `skillforge validate` on it, or pass --force to install anyway",
            )
        checks.append(f"validation: {summary}")
    # Imported on the first install: `skillforge hosts`, `installed` and `doctor` never scan.
    from skillforge.scan.gate import refusal, screen

    try:
        report, decision = screen(skill_dir, force=force, acknowledge=acknowledge, trust_content=False)
    except ScanRefused as exc:
        raise ScanRefused(exc.message, path=label, hint=exc.hint) from None
    if decision.forced:
        checks.append(f"security scan: {refusal(report).message}")
    if not checks:
        return None
    return Override(checks=checks, acknowledgement=(acknowledge or "").strip() or None)
