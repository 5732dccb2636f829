"""Distill traces into skills: the one pipeline, its analyzers, consolidation, grouping and planning
(``skills.patch`` applies the planned patches).

Names are imported lazily, so importing one submodule (or ``skillforge.skills``, which distill uses) does
not load the whole pipeline.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what mypy and IDEs see; at run time ``__getattr__`` imports each name on first use
    from skillforge.distill.group import SkillGroup as SkillGroup
    from skillforge.distill.group import group_lessons as group_lessons
    from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer as HeuristicAnalyzer
    from skillforge.distill.lessons import merge_duplicates as merge_duplicates
    from skillforge.distill.pipeline import run_distill as run_distill
    from skillforge.distill.plan import SkillPlan as SkillPlan
    from skillforge.distill.plan import plan_skill as plan_skill
    from skillforge.distill.report import DistillReport as DistillReport

# name -> module, the same pairs as the block above (tests/test_public_api.py keeps them equal).
_EXPORTS = {
    "DistillReport": "skillforge.distill.report",
    "run_distill": "skillforge.distill.pipeline",
    "HeuristicAnalyzer": "skillforge.distill.heuristic.analyzer",
    "SkillGroup": "skillforge.distill.group",
    "group_lessons": "skillforge.distill.group",
    "SkillPlan": "skillforge.distill.plan",
    "plan_skill": "skillforge.distill.plan",
    "merge_duplicates": "skillforge.distill.lessons",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        from skillforge.plugins import load_attr

        return load_attr(_EXPORTS[name], name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
