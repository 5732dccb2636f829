"""``run_distill`` takes any analyzer: ``name`` + ``analyze``, and the optional steps it may take over.

The model analyzer is the pipeline's main user of the optional steps (see ``test_llm_pipeline``); here a
small analyzer built on the offline one shows the contract without a model.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from skillforge.distill.group import SkillGroup, group_lessons
from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer
from skillforge.distill.intake import Intake
from skillforge.distill.pipeline import run_distill
from skillforge.distill.report import DistillReport, SkillResult
from skillforge.errors import BudgetExceeded
from skillforge.models import Lesson
from skillforge.skills.provenance import read_provenance

SWE = Path(__file__).parent.parent / "data" / "samples" / "swe_agent_traj"


class OneSkill:
    """The offline lessons, all in one skill, with async steps and a note of every call."""

    name = "one-skill"

    def __init__(self, stop_after_write: bool = False) -> None:
        self.calls: list[str] = []
        self.stop_after_write = stop_after_write

    async def analyze(self, traces: Intake) -> list[Lesson]:
        self.calls.append("analyze")
        return HeuristicAnalyzer().analyze(traces)

    async def group(self, lessons: list[Lesson], out: Path, into: str | None) -> list[SkillGroup]:
        self.calls.append("group")
        return group_lessons(lessons, into=into or "everything-learned", min_rules=0)

    async def after_write(self, result: SkillResult, skill_dir: Path) -> None:
        self.calls.append(f"after_write {skill_dir.name}")
        result.errors.append("checked by the analyzer")
        if self.stop_after_write:
            raise BudgetExceeded("budget reached")

    def finish(self, report: DistillReport) -> None:
        self.calls.append(f"finish {len(report.skills)}")


def test_an_analyzer_with_only_analyze_gets_every_default_step(tmp_path: Path) -> None:
    class Plain:
        name = "plain"

        def analyze(self, traces: Intake) -> list[Lesson]:
            return HeuristicAnalyzer().analyze(traces)

    plain = run_distill([SWE], tmp_path / "plain", analyzer=Plain())
    default = run_distill([SWE], tmp_path / "default")
    assert plain.model is None and plain.analyzer == "plain"
    assert [s.name for s in plain.skills] == [s.name for s in default.skills] and plain.skills
    assert plain.lessons == default.lessons and plain.traces == default.traces == 5
    provenance = read_provenance(Path(plain.skills[0].path))
    assert provenance is not None and provenance.analyzer == "plain"


def test_optional_steps_replace_the_pipelines_own_in_order(tmp_path: Path) -> None:
    analyzer = OneSkill()
    report = run_distill([SWE], tmp_path / "out", analyzer=analyzer)
    assert [s.name for s in report.skills] == ["everything-learned"]
    assert (tmp_path / "out" / "everything-learned" / "SKILL.md").is_file()
    assert analyzer.calls == ["analyze", "group", "after_write everything-learned", "finish 1"]
    assert report.skills[0].errors == ["checked by the analyzer"]  # after_write may replace the errors


def test_a_budget_stop_in_a_step_ends_the_run_cleanly(tmp_path: Path) -> None:
    analyzer = OneSkill(stop_after_write=True)
    report = run_distill([SWE], tmp_path / "out", analyzer=analyzer)
    assert analyzer.calls[-1] == "finish 1"  # finish runs; the skill written before the stop is reported
    assert [s.name for s in report.skills] == ["everything-learned"]


def test_finish_runs_even_when_a_step_fails(tmp_path: Path) -> None:
    class Broken(OneSkill):
        async def group(self, lessons: list[Lesson], out: Path, into: str | None) -> list[SkillGroup]:
            raise RuntimeError("planner crashed")

    analyzer = Broken()
    with pytest.raises(RuntimeError, match="planner crashed"):
        run_distill([SWE], tmp_path / "out", analyzer=analyzer)
    assert analyzer.calls == ["analyze", "finish 0"]
    assert not (tmp_path / "out").exists()
