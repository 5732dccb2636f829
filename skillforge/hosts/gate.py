"""The install gate: every skill is validated, and security-scanned when ``skillforge.scan`` exists.

A skill that fails validation is refused unless ``force``. High-severity scan findings are refused
unless ``force`` *and* an acknowledgement (the scan gate's rule, shared with publish). Whatever was
let through comes back as an ``Override`` that the lock file records next to the install.
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

from skillforge.errors import ScanRefused, SpecError
from skillforge.models.lock import Override
from skillforge.skills.validate import validate_skill


def check_skill(
    skill_dir: Path, *, label: str, force: bool, acknowledge: str | None = None
) -> Override | None:
    """Validate and scan the staged skill; raise ``SpecError``/``ScanRefused`` unless forced."""
    checks: list[str] = []
    report = validate_skill(skill_dir)
    if report.errors:
        summary = "; ".join(p.message for p in report.errors[:3])
        if len(report.errors) > 3:
            summary += f"; and {len(report.errors) - 3} more"
        if not force:
            raise SpecError(
                f"skill fails validation: {summary}",
                path=label,
                hint="run `skillforge validate` on it, or pass --force to install anyway",
            )
        checks.append(f"validation: {summary}")
    gate = _scan_gate()
    if gate is not None:
        try:
            gate(skill_dir)
        except ScanRefused as first:
            try:
                gate(skill_dir, force=force, acknowledge=acknowledge)
            except ScanRefused as exc:
                raise ScanRefused(exc.message, path=label, hint=exc.hint) from None
            checks.append(f"security scan: {first.message}")
    if not checks:
        return None
    return Override(checks=checks, acknowledgement=(acknowledge or "").strip() or None)


def _scan_gate() -> Callable[..., Any] | None:
    """``skillforge.scan``'s gate function, if this build has the scanner."""
    if importlib.util.find_spec("skillforge.scan") is None:
        return None
    candidate = getattr(importlib.import_module("skillforge.scan"), "gate", None)
    if callable(candidate):
        return candidate  # type: ignore[no-any-return]
    if importlib.util.find_spec("skillforge.scan.gate") is None:
        return None
    candidate = getattr(importlib.import_module("skillforge.scan.gate"), "gate", None)
    return candidate if callable(candidate) else None
