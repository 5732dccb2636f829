"""What the distill pipeline asks of an analyzer.

Every analyzer has a ``name`` (recorded in provenance as who wrote the rules) and ``analyze``, which
turns the run's ``Intake`` into lessons: iterate it for the redacted traces (the offline
``HeuristicAnalyzer``), or read its ``paths`` yourself and say what was read with
``intake.read_elsewhere`` (the model analyzer).

The other steps are optional; where an analyzer leaves one out, the pipeline's own runs:

- ``consolidate(lessons)``: rules from the lessons (default: generalise, merge duplicates and variants);
- ``group(lessons, out, into)``: skills from the rules (default: ``group.group_lessons``); ``into`` is
  the one skill every rule goes to, or None;
- ``after_write(result, skill_dir)``: after each skill is written and validated (the model's fix rounds);
  may replace ``result.errors``;
- ``finish(report)``: once at the end, also after an error: complete the report, release what it holds.

Any step may return an awaitable instead of its value; any may raise ``BudgetExceeded`` to stop the
run cleanly: what was written stays, nothing more is written or published, and the report says so
(``report.budget_stopped``; ``skillforge distill`` exits with 3). An analyzer whose steps never wait
(returns values, not awaitables that suspend) can also be run by ``run_distill`` from inside a running
event loop.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from skillforge.distill.group import SkillGroup
from skillforge.distill.intake import Intake
from skillforge.distill.report import DistillReport, SkillResult
from skillforge.models import Lesson

__all__ = ["AfterWrite", "Analyzer", "Consolidate", "Finish", "Group"]


class Analyzer(Protocol):
    """Anything that turns what a run reads into lessons."""

    name: str

    def analyze(self, traces: Intake) -> list[Lesson] | Awaitable[list[Lesson]]: ...


# The optional steps, as the bound methods the pipeline looks up by name.
Consolidate = Callable[[list[Lesson]], "list[Lesson] | Awaitable[list[Lesson]]"]
Group = Callable[[list[Lesson], Path, "str | None"], "list[SkillGroup] | Awaitable[list[SkillGroup]]"]
AfterWrite = Callable[[SkillResult, Path], "None | Awaitable[None]"]
Finish = Callable[[DistillReport], "None | Awaitable[None]"]
