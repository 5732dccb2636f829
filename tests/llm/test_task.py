"""One task shape for every model stage: typed inputs, a check on the repair path, a scripted fake to drive it."""

from __future__ import annotations

import asyncio

import pytest

from skillforge.distill.model.analysts import AnalystTask, FailureAnalystTask
from skillforge.distill.model.fix import FixTask
from skillforge.distill.model.merge import MergeTask
from skillforge.distill.model.skill_plan import PlanTask
from skillforge.errors import OutputParseError
from skillforge.evolve.llm_correct import CorrectTask
from skillforge.evolve.llm_diagnose import DiagnoseTask
from skillforge.evolve.llm_failures import FailureTask
from skillforge.evolve.llm_optimize import OptimizeTask
from skillforge.llm.client import LLMClient
from skillforge.llm.task import Ids, Task
from skillforge.models import Evidence, Lesson
from skillforge.models.llm import CallFailure, LLMRequest, LLMResponse, LLMSettings
from skillforge.models.llm_outputs import MergeAnswer, MergedRule
from skillforge.testing import queue, queued
from skillforge.testing.prompt_inputs import KINDS

STAGES: list[type[Task]] = [  # type: ignore[type-arg]
    AnalystTask, FailureAnalystTask, MergeTask, PlanTask, FixTask, FailureTask, DiagnoseTask, OptimizeTask, CorrectTask,
]


def _lesson(title: str, trace: str) -> Lesson:
    return Lesson(kind="pitfall", title=title, body=title + ", because the run showed it.", target_skill="django-ops",
                  evidence=[Evidence(trace_id=trace, step=1, quote="migrations locked the table")])


def _client(seen: list[LLMRequest]) -> LLMClient:
    def record(key: str, request: LLMRequest, response: LLMResponse) -> None:
        seen.append(request)

    return LLMClient(LLMSettings(model="fake", cache=False), on_call=record)


@pytest.mark.parametrize("stage", STAGES, ids=lambda s: s.__name__)
def test_every_stage_names_its_template_answer_and_a_kind_the_fake_knows(stage: type[Task]) -> None:  # type: ignore[type-arg]
    from skillforge.llm.prompts import load_prompt

    assert "schema" in load_prompt(stage.prompt).placeholders
    assert KINDS[stage.answer.__name__] == stage.kind  # queue(stage.kind, ...) reaches this stage


def test_ids_render_rows_and_check_what_an_answer_names() -> None:
    ids = Ids("F", 3)
    assert ids.json([{"x": 1}, {"x": 2}, {"x": 3}]).count('"id": "F') == 3
    assert ids.index(" f2 ") == 1
    with pytest.raises(ValueError, match="unknown id 'F4'"):
        ids.index("F4")
    ids.check_partition([["F1", "F3"], ["f2"]], "cluster")
    with pytest.raises(ValueError, match="F1 is in more than one cluster"):
        ids.check_partition([["F1"], ["F1", "F2", "F3"]], "cluster")
    with pytest.raises(ValueError, match="F2, F3 are in no cluster"):
        ids.check_partition([["F1"]], "cluster")


def test_a_queued_answer_that_fails_the_check_gets_the_repair_round() -> None:
    lessons = [_lesson("Never run migrations on the primary", "t1"), _lesson("Back up before migrating", "t2")]
    bad = MergeAnswer(rules=[MergedRule(title="Run migrations on a replica", body="Use the replica.", kind="pitfall",
                                        target_skill="django-ops", sources=["L1", "L9"])])
    good = MergeAnswer(rules=[MergedRule(title="Run migrations on a replica first", body="Use the replica.", kind="pitfall",
                                         target_skill="django-ops", sources=["L1", "L2"])])
    queue("merge", bad, good)
    seen: list[LLMRequest] = []
    answer = asyncio.run(MergeTask(lessons, "merge:0:0").run(_client(seen)))
    assert answer == good and queued("merge") == 0
    assert [r.task for r in seen] == ["merge:0:0", "merge:0:0:repair"]
    assert "unknown lesson id 'L9'" in seen[1].messages[-1]["content"]  # the check's words went back to the model


def test_attempt_reports_a_stage_whose_answer_stays_unusable() -> None:
    lessons = [_lesson("Never run migrations on the primary", "t1")]
    queue("merge", "not json", '{"rules": [{"title": "x"}]}')
    failures: list[CallFailure] = []
    assert asyncio.run(MergeTask(lessons, "merge:1:0").attempt(_client([]), failures)) is None
    assert [(f.task, f.kind) for f in failures] == [("merge:1:0", OutputParseError.__name__)]


def test_without_queued_answers_the_fake_derives_one() -> None:
    lessons = [_lesson("Never run migrations on the primary", "t1"), _lesson("Never run migrations on the primary db", "t2")]
    answer = asyncio.run(MergeTask(lessons, "merge:0:0").run(_client([])))
    assert [sorted(r.sources) for r in answer.rules] == [["L1", "L2"]]
