"""The model path follows the same quality rules as the offline analyzer (issue 12, item 6).

The fake model answers like a competent model following the prompts, so distilling real samples with
``--model fake`` must give lint-clean skills; lint problems a model can repair go back to it in the fix
round, and a fix that loses provenance markers is rejected. Nothing here touches the network.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.distill.model.analysts import LLMAnalyst
from skillforge.distill.model.fix import lint_problems, validate_and_fix
from skillforge.distill.model.merge import MergeTask
from skillforge.ingest import read_paths
from skillforge.llm.client import LLMClient
from skillforge.models import Evidence, Lesson, Trace
from skillforge.models.lint import Thresholds
from skillforge.models.llm import CallFailure, LLMRequest, LLMResponse, LLMSettings
from skillforge.models.llm_outputs import MergeAnswer
from skillforge.redact import redact_trace
from skillforge.skills.lint import lint_paths, load_skills
from skillforge.testing import answers, queue, reset
from skillforge.testing.fake_model import STATS

SAMPLES = Path(__file__).parent.parent / "data" / "samples"
SUBSET = ("swe_agent_traj", "mini_swe_agent_traj", "documents", "support_tickets", "claude_code_jsonl")


@pytest.fixture(autouse=True)
def _fake_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SKILLFORGE_FAKE_FAULTS", raising=False)
    monkeypatch.delenv("SKILLFORGE_FAKE_LATENCY", raising=False)
    monkeypatch.setenv("SKILLFORGE_NO_PROGRESS", "1")
    monkeypatch.setenv("SKILLFORGE_CACHE", str(tmp_path / "cache"))
    STATS.reset()
    reset()


@pytest.mark.slow
def test_fake_model_skills_meet_the_lint_thresholds(tmp_path: Path) -> None:
    inputs = tmp_path / "inputs"
    for sub in SUBSET:
        shutil.copytree(SAMPLES / sub, inputs / sub)
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["distill", str(inputs), "--model", "fake", "--no-publish", "-o", str(out)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    report = lint_paths([out])
    figures, limits = report.set, Thresholds()
    assert figures.skills >= 3 and figures.rules >= 10
    assert figures.run_specific is not None and figures.run_specific <= limits.run_specific
    assert figures.vague is not None and figures.vague <= limits.vague
    assert figures.near_duplicates is not None and figures.near_duplicates <= limits.near_duplicates
    assert figures.templated_descriptions == 0
    assert figures.boilerplate is not None and figures.boilerplate <= limits.boilerplate
    assert figures.description_similarity is not None and figures.description_similarity <= limits.description_similarity
    descriptions = [doc.description for doc in load_skills([out])]
    assert len(set(descriptions)) == len(descriptions)
    assert all(". Use when " in d and len(d) <= 300 for d in descriptions)


def _analyst_lessons(path: Path) -> list[Lesson]:
    trace = next(redact_trace(t) for t in read_paths([path]) if isinstance(t, Trace))
    analyst = LLMAnalyst(LLMClient(LLMSettings(model="fake", cache=False)))
    return asyncio.run(analyst.analyze(trace)).lessons


def test_a_failed_run_teaches_pitfalls_and_guardrails_never_what_worked() -> None:
    lessons = _analyst_lessons(SAMPLES / "mini_swe_agent_traj" / "django__django-15127.traj.json")
    assert lessons and {les.kind for les in lessons} <= {"pitfall", "guardrail", "failure_cause"}
    # Actionable and general: the rule names the tool, holds no path of the run, and says why.
    rule = lessons[0].body.split("\n", 1)[0]
    assert "`bash`" in rule and "because" in rule and "/testbed" not in rule


def test_a_resolved_run_with_a_retry_that_worked_teaches_a_recovery() -> None:
    lessons = _analyst_lessons(SAMPLES / "chat_tool_calls" / "fncall-llm-message.json")
    recovery = next(les for les in lessons if les.kind == "recovery")
    assert "`str_replace_editor`" in recovery.body and "/workspace" not in recovery.body.split("\n", 1)[0]


def test_merge_answer_joins_rules_that_differ_only_by_ids() -> None:
    def lesson(order: str, trace: str) -> Lesson:
        rule = f"Look up order {order} with `get_order_details` before calling `cancel_pending_order`, because the status decides."
        return Lesson(kind="guardrail", title=f"Check order {order} first", body=rule, target_skill="retail-support",
                      evidence=[Evidence(trace_id=trace, step=1, quote="get_order_details called")])

    other = Lesson(kind="pitfall", title="Quote globs in zsh", body="Quote globs in zsh, because zsh expands them.",
                   target_skill="zsh-tips", evidence=[Evidence(trace_id="t3", step=2, quote="zsh: no matches found")])
    request = MergeTask([lesson("#W2378156", "t1"), lesson("#W9931287", "t2"), other], "merge:test").request()
    answer = MergeAnswer.model_validate_json(answers.answer(request.messages, None)["content"])
    assert sorted(sorted(r.sources) for r in answer.rules) == [["L1", "L2"], ["L3"]]


def _skill(folder: Path, body: str, description: str = "Runs pytest on one test first. Use when a test fails.") -> Path:
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(f"---\nname: {folder.name}\ndescription: {description}\n---\n\n{body}",
                                     encoding="utf-8")
    return folder


VAGUE_BODY = (
    "# Pytest debugging\n\n## Pitfalls\n\n"
    "- Run the failing test alone with `pytest -x {test_file}`, because the full suite hides the first failure. <!-- sf:aaaa000001 -->\n"
    "- When `pytest` fails with an import error, find the cause before running it again. <!-- sf:aaaa000002 -->\n"
    "- Read the assertion message before editing the code under test, because it names the wrong value. <!-- sf:aaaa000003 -->\n"
)


def _capturing_client(seen: list[LLMRequest]) -> LLMClient:
    def record(key: str, request: LLMRequest, response: LLMResponse) -> None:
        seen.append(request)

    return LLMClient(LLMSettings(model="fake", cache=False), on_call=record)


def test_a_vague_rule_gets_a_fix_round_with_the_lint_problem_in_the_prompt(tmp_path: Path) -> None:
    skill = _skill(tmp_path / "pytest-debugging", VAGUE_BODY)
    assert any(p.startswith("[vague]") for p in lint_problems(skill))
    seen: list[LLMRequest] = []
    failures: list[CallFailure] = []
    errors, rounds = asyncio.run(validate_and_fix(_capturing_client(seen), skill, failures))
    assert errors == [] and rounds == 1 and failures == []
    prompt = "\n".join(str(m["content"]) for m in seen[0].messages)
    assert seen[0].task == "fix:pytest-debugging:1"
    assert "[vague]" in prompt and "Rule: When `pytest` fails with an import error, find the cause" in prompt
    text = (skill / "SKILL.md").read_text()
    assert "find the cause" not in text and lint_problems(skill) == []
    assert all(f"sf:aaaa00000{i}" in text for i in (1, 2, 3))  # every rule keeps its marker
    assert "Run the failing test alone" in text  # the rules that were fine are untouched


def test_a_clean_skill_costs_no_call(tmp_path: Path) -> None:
    body = VAGUE_BODY.replace("find the cause before running it again", "install the missing package with `pip`")
    skill = _skill(tmp_path / "pytest-debugging", body)
    seen: list[LLMRequest] = []
    assert asyncio.run(validate_and_fix(_capturing_client(seen), skill, [])) == ([], 0)
    assert seen == []


def test_a_fix_that_drops_a_marker_is_rejected_and_reported(tmp_path: Path) -> None:
    queue("fix", {"name": None, "description": None, "notes": "rewrote everything",
                  "body": "# Pytest debugging\n\n- Install the missing package with `pip` first.\n"})
    skill = _skill(tmp_path / "pytest-debugging", VAGUE_BODY)
    before = (skill / "SKILL.md").read_text()
    failures: list[CallFailure] = []
    errors, rounds = asyncio.run(validate_and_fix(_capturing_client([]), skill, failures))
    assert rounds == 1 and errors == []
    assert (skill / "SKILL.md").read_text() == before
    assert [f.kind for f in failures] == ["FixRejected"] and "sf:aaaa000001" in failures[0].error
    assert json.loads(json.dumps(failures[0].model_dump()))["task"] == "fix:pytest-debugging:1"
