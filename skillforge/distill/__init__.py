"""Distill traces into skills: analyzers, consolidation, planning and patch application.

Names are imported lazily, so importing one submodule (or ``skillforge.skills``, which distill uses) does
not load the whole pipeline.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "DistillReport": "skillforge.distill.pipeline",
    "run_distill": "skillforge.distill.pipeline",
    "HeuristicAnalyzer": "skillforge.distill.heuristic.analyzer",
    "SkillGroup": "skillforge.distill.group",
    "group_lessons": "skillforge.distill.group",
    "SkillPlan": "skillforge.distill.plan",
    "plan_skill": "skillforge.distill.plan",
    "merge_duplicates": "skillforge.distill.lessons",
}

__all__ = [
    "DistillReport",
    "HeuristicAnalyzer",
    "SkillGroup",
    "SkillPlan",
    "group_lessons",
    "merge_duplicates",
    "plan_skill",
    "run_distill",
]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
