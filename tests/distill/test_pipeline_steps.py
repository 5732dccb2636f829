"""``run_distill`` takes any analyzer: ``name`` + ``analyze``, and the optional steps it may take over.

The model analyzer is the pipeline's main user of the optional steps (see ``test_llm_pipeline``); here a
small analyzer built on the offline one shows the contract without a model.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge import plugins
from skillforge.cli import cli
from skillforge.distill.group import SkillGroup, group_lessons
from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer
from skillforge.distill.intake import Intake
from skillforge.distill.pipeline import run_distill, run_distill_async
from skillforge.distill.report import DistillReport, SkillResult
from skillforge.errors import BudgetExceeded, SkillforgeError
from skillforge.hookspecs import hookimpl
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


def files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_run_distill_offline_works_inside_a_running_event_loop(tmp_path: Path) -> None:
    # A notebook, a TUI or an async service calls the sync API from inside its loop.
    async def main() -> DistillReport:
        return run_distill([SWE], tmp_path / "inside")

    inside = asyncio.run(main())
    outside = run_distill([SWE], tmp_path / "outside")
    assert inside.skills and [s.name for s in inside.skills] == [s.name for s in outside.skills]
    assert files(tmp_path / "inside") == files(tmp_path / "outside")


def test_an_analyzer_that_waits_inside_a_running_loop_is_told_to_await(tmp_path: Path) -> None:
    class Waits(OneSkill):
        async def analyze(self, traces: Intake) -> list[Lesson]:
            self.calls.append("analyze")
            await asyncio.sleep(0)
            return HeuristicAnalyzer().analyze(traces)

    analyzer = Waits()

    async def main() -> DistillReport:
        return run_distill([SWE], tmp_path / "out", analyzer=analyzer)

    with pytest.raises(SkillforgeError, match="running event loop") as err:
        asyncio.run(main())
    assert "run_distill_async" in (err.value.hint or "")
    assert analyzer.calls == ["analyze", "finish 0"]  # cleaned up; nothing written
    assert not (tmp_path / "out").exists()

    async def awaited() -> DistillReport:
        return await run_distill_async([SWE], tmp_path / "out", analyzer=Waits())

    assert [s.name for s in asyncio.run(awaited()).skills] == ["everything-learned"]


class Metered(OneSkill):
    """An offline analyzer with a budget of its own, spent before it learns anything."""

    name = "metered"

    def analyze(self, traces: Intake) -> list[Lesson]:  # type: ignore[override]
        for _ in traces:
            raise BudgetExceeded("metered analyzer: out of credits")
        return []


def test_a_budget_stop_in_any_step_stops_the_run_and_the_report_says_so(tmp_path: Path) -> None:
    stopped = OneSkill(stop_after_write=True)
    report = run_distill([SWE], tmp_path / "a", analyzer=stopped)
    assert report.budget_stopped and report.stopped and report.model is None

    analyzer = Metered()
    report = run_distill([SWE], tmp_path / "b", analyzer=analyzer)
    assert report.stopped and report.skills == [] and not (tmp_path / "b").exists()
    assert report.traces == 1 and analyzer.calls == ["finish 0"]  # what was read is still counted


def test_cli_exits_3_and_publishes_nothing_when_an_offline_analyzer_stops_at_its_budget(tmp_path: Path) -> None:
    class Plugin:
        @hookimpl
        def register_analyzers(self, register: Callable[[str, Callable[[], Metered]], None]) -> None:
            register("metered", Metered)

    plugin = Plugin()
    plugins.pm.register(plugin, name="metered-test")
    try:
        registry = tmp_path / "registry"
        result = CliRunner().invoke(cli, ["distill", str(SWE), "-o", str(tmp_path / "out"), "--analyzer", "metered",
                                          "--registry", str(registry), "--json"])
    finally:
        plugins.pm.unregister(plugin, name="metered-test")
    assert result.exit_code == 3, result.output
    report = json.loads(result.stdout)
    assert report["budget_stopped"] is True and report["skills"] == []
    assert not registry.exists() or not any(registry.rglob("SKILL.md"))
