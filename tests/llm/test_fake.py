"""The fake model: offline, deterministic, registered through litellm's CustomLLM, answers derived from input."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from typing import Any

import pytest

from skillforge.distill.model.analysts import AnalystResult, AnalystTask, LLMAnalyst
from skillforge.distill.model.fix import FixTask
from skillforge.distill.model.merge import MergeTask
from skillforge.distill.model.skill_plan import PlanTask
from skillforge.evolve.llm_correct import CorrectTask
from skillforge.evolve.llm_failures import FailureTask
from skillforge.evolve.llm_optimize import OptimizeTask
from skillforge.llm import _litellm
from skillforge.llm.client import LLMClient
from skillforge.llm.task import Task
from skillforge.llm.trace_view import step_text
from skillforge.models import Evidence, Frontmatter, Lesson, SkillPackage, Trace
from skillforge.models.evolve import FailureCluster
from skillforge.models.llm import LLMSettings
from skillforge.testing import answers, queue, queued, reset
from skillforge.testing.fake_model import STATS, FaultConfig, hits


def run_all(analyst: LLMAnalyst, traces: list[Trace]) -> list[AnalystResult]:
    async def go() -> list[AnalystResult]:
        return list(await asyncio.wait_for(asyncio.gather(*(analyst.analyze(t) for t in traces)), 60))

    return asyncio.run(go())


def test_fake_is_a_litellm_custom_provider_with_prices_and_capabilities() -> None:
    lit = _litellm.get_litellm()
    providers = {item["provider"]: item["custom_handler"] for item in lit.custom_provider_map}
    assert isinstance(providers["skillforge-fake"], lit.CustomLLM)
    assert _litellm.supports_tools("skillforge-fake/fake") and _litellm.supports_schema("skillforge-fake/fake")
    assert not _litellm.supports_tools("skillforge-fake/fake-notools")
    assert _litellm.cost_for("skillforge-fake/fake", 1_000_000, 0) == pytest.approx(1.0)


def test_same_input_same_answer_and_answers_follow_the_input(sample_traces: list[Trace]) -> None:
    traces = [t for t in sample_traces if t.steps]

    def run() -> list[list[str]]:
        client = LLMClient(LLMSettings(model="fake", cache=False))
        analyst = LLMAnalyst(client)
        results = run_all(analyst, traces)
        return [[lesson.model_dump_json() for lesson in r.lessons] for r in results]

    first, second = run(), run()
    assert first == second
    # Not canned: traces with something reusable give lessons of their own (no lessons is a valid
    # answer for a run where nothing reusable happened), and every quote is a real line of its trace.
    answered = [json.dumps(r) for r in first if r]
    assert len(answered) >= 10 and len(set(answered)) == len(answered)
    for trace, lessons in zip(traces, first):
        for raw in lessons:
            for ev in json.loads(raw)["evidence"]:
                assert " ".join(ev["quote"].split()) in " ".join(step_text(trace.steps[ev["step"]]).split())


def test_fault_coin_is_deterministic_and_close_to_its_rate() -> None:
    keys = [f"request-{i}" for i in range(2000)]
    hit_keys = [k for k in keys if hits("malformed", k, 0.25)]
    assert hit_keys == [k for k in keys if hits("malformed", k, 0.25)]
    assert 0.2 < len(hit_keys) / len(keys) < 0.3
    assert FaultConfig.from_env() == FaultConfig()


def test_unknown_fault_name_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_FAULTS", "ratelimit=0.5")
    with pytest.raises(ValueError, match="unknown fault 'ratelimit'"):
        FaultConfig.from_env()


def test_latency_is_simulated_with_asyncio_sleep(monkeypatch: pytest.MonkeyPatch, failed_trace: Trace) -> None:
    import time

    monkeypatch.setenv("SKILLFORGE_FAKE_LATENCY", "0.3")
    client = LLMClient(LLMSettings(model="fake-notools", cache=False, concurrency=4))
    analyst = LLMAnalyst(client)
    started = time.monotonic()
    run_all(analyst, [failed_trace] * 4)
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 1.2  # four calls overlapped: one latency, not four (1.2 s)
    assert STATS.max_in_flight == 4


def test_importing_the_llm_layer_does_not_import_litellm() -> None:
    code = (
        "import sys\n"
        "import skillforge.llm.client, skillforge.llm.structured, skillforge.distill.model.analysts\n"
        "import skillforge.distill.consolidate, skillforge.testing.fake_model\n"
        "assert 'litellm' not in sys.modules, 'litellm imported eagerly'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def _inputs_only(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The conversation with every word of the templates gone: only the tagged inputs stay."""
    kept = []
    for m in messages:
        if m["role"] == "system":
            continue
        text = "\n".join(match.group(0) for match in re.finditer(r"<([a-z_]+)>.*?</\1>", m["content"], re.S))
        kept.append({**m, "content": "Reworded: " + text})
    return kept


def _skill() -> SkillPackage:
    body = ("# Django testing\n\n## Procedure\n\n- Run the failing test module with ./tests/runtests.py before editing.\n"
            "- Read the traceback from the bottom up.\n")
    return SkillPackage(frontmatter=Frontmatter(name="django-testing", description="Use when testing Django."), body=body)


def _tasks(trace: Trace) -> dict[str, Task]:  # type: ignore[type-arg]
    lessons = [
        Lesson(kind="pitfall", title=f"Never run migrations on the primary {i}", body="It locked the table.",
               target_skill="django-ops", evidence=[Evidence(trace_id="t", step=1, quote="migrations locked it")])
        for i in range(3)
    ]
    cluster = FailureCluster(signature="s", cause="ImportError: settings are not configured", count=2,
                             trace_ids=["a", "b"], section="Procedure", fix="Set DJANGO_SETTINGS_MODULE first")
    return {
        "analyst": AnalystTask.for_trace(trace),
        "merge": MergeTask(lessons, "merge:0:0"),
        "plan": PlanTask(lessons, []),
        "fix": FixTask("Bad_Name", ["name must be lowercase", "[vague] do better. Rule: Fix the cause"],
                       "---\nname: Bad_Name\ndescription: x\n---\n\n- Fix the cause <!-- sf:a1 -->\n", 1),
        "evolve-failure": FailureTask(trace, _skill()),
        "evolve-optimize": OptimizeTask(_skill(), [cluster]),
        "correct": CorrectTask(_skill(), "Run the test module instead of Read the traceback"),
    }


@pytest.mark.parametrize("kind", ["analyst", "merge", "plan", "fix", "evolve-failure", "evolve-optimize", "correct"])
def test_rewording_a_prompt_does_not_change_the_fake_answer(kind: str, failed_trace: Trace) -> None:
    task = _tasks(failed_trace)[kind]
    request = task.request()
    derived = answers.answer(request.messages, None)
    task.answer.model_validate_json(derived["content"])  # an answer of that task, not the fallback
    assert answers.answer(_inputs_only(request.messages), None) == derived


def test_queued_answers_come_first_per_task_type_then_the_derived_one(failed_trace: Trace) -> None:
    request = _tasks(failed_trace)["merge"].request()
    derived = answers.answer(request.messages, None)
    queue("merge", {"rules": [], "conflicts": []}, "{broken")
    queue("plan", {"new_skills": [], "assignments": []})
    assert json.loads(answers.answer(request.messages, None)["content"]) == {"rules": [], "conflicts": []}
    assert answers.answer(request.messages, None)["content"] == "{broken"
    assert answers.answer(request.messages, None) == derived
    assert queued("plan") == 1  # another task type's queue is untouched
    reset()
    assert queued("plan") == 0
