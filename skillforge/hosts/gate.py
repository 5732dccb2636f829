"""The install gate: every skill is validated, and security-scanned when ``skillforge.scan`` exists.

A failing skill is refused unless ``force``; with ``force`` the problems come back as notices so the
CLI still shows what was let through.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from skillforge.errors import ScanRefused, SpecError
from skillforge.skills.validate import validate_skill


def check_skill(skill_dir: Path, *, label: str, force: bool) -> list[str]:
    """Validate (and scan) the staged skill; raise ``SpecError``/``ScanRefused`` unless ``force``."""
    notices: list[str] = []
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
        notices.append(f"installed despite validation errors (--force): {summary}")
    notices.extend(_scan(skill_dir, label=label, force=force))
    return notices


def _scan(skill_dir: Path, *, label: str, force: bool) -> list[str]:
    """Run the security gate of ``skillforge.scan`` if that module is part of this build."""
    if importlib.util.find_spec("skillforge.scan") is None:
        return []
    scan = importlib.import_module("skillforge.scan")
    gate = getattr(scan, "gate", None)
    if gate is None:
        return []
    try:
        gate(skill_dir)
    except ScanRefused as exc:
        if not force:
            raise ScanRefused(exc.message, path=label, hint=exc.hint or "pass --force to install anyway") from None
        return [f"installed despite security findings (--force): {exc.message}"]
    return []
