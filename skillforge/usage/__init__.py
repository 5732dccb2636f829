"""Which skills agents actually loaded, read from session logs with skillforge's own readers.

Public API: ``read_usage(paths, since=None) -> UsageReport`` and ``load_counts(paths)`` (name ->
sessions that loaded it), used by ``skillforge usage`` and ``doctor --usage``.
"""

from __future__ import annotations

from skillforge.usage.loads import SkillUsage, UsageReport, load_counts, read_usage, skill_loads

__all__ = ["SkillUsage", "UsageReport", "load_counts", "read_usage", "skill_loads"]
