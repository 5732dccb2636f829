"""LLM analysts on real sample traces: outline, tools, step budget, prompts per outcome, verified evidence."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from skillforge.distill.model.analysts import AnalystTask, LLMAnalyst
from skillforge.distill.model.evidence import verify_lessons
from skillforge.ingest import read_paths
from skillforge.llm.client import LLMClient
from skillforge.llm.quotes import TraceIndex
from skillforge.llm.trace_view import error_steps, grep_trace, read_steps, render_outline, run_tool
from skillforge.models import Trace
from skillforge.models.llm import LLMSettings
from skillforge.models.llm_outputs import EvidenceDraft, LessonDraft
from skillforge.redact import redact_trace
from skillforge.testing.fake_model import STATS

SAMPLES = Path(__file__).parent.parent / "data" / "samples"


def _read(relative: str) -> list[Trace]:
    return [redact_trace(t) for t in read_paths([SAMPLES / relative]) if isinstance(t, Trace)]


@pytest.fixture(scope="module")
def django_failed() -> Trace:
    """mini-swe-agent on django__django-15127: unresolved per its SWE-bench report; errors at steps 10 and 18."""
    return _read("mini_swe_agent_traj/django__django-15127.traj.json")[0]


@pytest.fixture(scope="module")
def xarray_resolved() -> Trace:
    return _read("mini_swe_agent_traj/pydata__xarray-4629.traj.json")[0]


@pytest.fixture(autouse=True)
def _no_faults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLFORGE_FAKE_FAULTS", raising=False)
    monkeypatch.delenv("SKILLFORGE_FAKE_LATENCY", raising=False)
    STATS.reset()


def test_outline_has_task_outcome_every_error_and_a_step_index(django_failed: Trace) -> None:
    outline = render_outline(django_failed)
    assert outline.startswith(f"TRACE {django_failed.id} ")
    assert "TASK: LEVEL_TAGS not updated when using @override_settings" in outline
    assert "OUTCOME: failed" in outline
    assert error_steps(django_failed) == [10, 18]
    assert "[10] tool (error): Traceback (most recent call last)" in outline
    assert "[18] tool (error): Please always provide EXACTLY ONE action" in outline
    index = outline.split("STEP INDEX:")[1]
    assert all(f"\n[{i}] " in index for i in range(len(django_failed.steps)))


def test_outline_of_a_huge_trace_stays_small_and_keeps_every_error(django_failed: Trace) -> None:
    # 100 copies of a real trace back to back: 3,700 steps, 200 errors.
    huge = django_failed.model_copy(update={"steps": django_failed.steps * 100})
    outline = render_outline(huge)
    assert len(outline) < 30_000
    assert "SIZE: 3700 steps" in outline
    errors = outline.split("ERRORS:")[1].split("STEP INDEX:")[0]
    assert errors.count("tool (error)") == 60
    assert "... and 140 more errors (grep_trace finds them)" in errors
    index = outline.split("STEP INDEX:")[1]
    assert "[3699]" in index and "steps: " in index  # the end is shown, quiet stretches are folded
    last = error_steps(huge)[-1]
    assert last == 99 * 37 + 18
    assert read_steps(huge, last, last).startswith(f"=== [{last}] tool (error) ===")
    assert f"[{last}] " in grep_trace(huge, "EXACTLY ONE action") or "more hits" in grep_trace(huge, "EXACTLY ONE")


def test_tools_read_steps_and_grep_the_real_trace(django_failed: Trace) -> None:
    text = read_steps(django_failed, 9, 10)
    assert "=== [9] assistant -> bash ===" in text and "python3 reproduce_issue.py" in text
    assert "=== [10] tool (error) ===" in text and "Traceback (most recent call last)" in text
    assert read_steps(django_failed, 0, 100).count("=== [") == 12  # capped per call
    hits = grep_trace(django_failed, r"ImproperlyConfigured")
    assert hits.splitlines()[0].startswith("[10] ")
    assert grep_trace(django_failed, "(unbalanced") .startswith("No line matches")  # bad regex taken literally
    assert run_tool(django_failed, "read_steps", '{"start": "x"}').startswith("Tool error:")
    assert run_tool(django_failed, "rm", "{}").startswith("Unknown tool")


def test_a_catastrophic_grep_pattern_is_stopped_not_run_forever() -> None:
    """A trace can talk the model into grepping for ``(a|aa)+$`` next to a long run of a's: with
    Python's ``re`` that search never ends (and blocks every other analyst on the event loop)."""
    from skillforge.models import Source, Step

    trap = Trace(id="trap", source=Source(path="trap.jsonl", format="openai-chat"),
                 steps=[Step(role="tool", text="a" * 60 + "!"), Step(role="tool", text="ERROR: disk full")])
    answer = run_tool(trap, "grep_trace", '{"pattern": "(a|aa)+$"}')
    assert "took longer than" in answer and "simpler pattern" in answer
    assert grep_trace(trap, "(a|aa)+$", budget_s=0.05).startswith("Searching for '(a|aa)+$' took longer")
    assert grep_trace(trap, "disk FULL") == "[1] ERROR: disk full"  # ordinary patterns as before


@pytest.mark.parametrize(
    "pattern",
    ["error", "Traceback|failed", r"^\s*File", r"\bnpm\b", r"(?<!no )error", r"foo(?!\s)", r"[^a-z]ERR",
     r"e\s+t", r"s\S*\n?t", "x*", "", "(", r"\d{3}", r"[\s\S]{0,3}error", "error$"],
)
def test_grep_finds_exactly_the_lines_a_line_by_line_search_finds(pattern: str) -> None:
    """grep_trace skips lines a search of the whole step rules out; the lines it reports must be those
    a plain line-by-line search reports, for patterns that span lines, match empty or look around too."""
    import regex

    from skillforge.llm.trace_view import step_text

    traces = [t for t in _read("") if t.steps]
    try:
        compiled = regex.compile(pattern, regex.IGNORECASE | regex.VERSION0)
    except regex.error:
        compiled = regex.compile(regex.escape(pattern), regex.IGNORECASE)
    for trace in traces:
        expected = [f"[{i}] {line}" for i, step in enumerate(trace.steps)
                    for line in step_text(step).splitlines() if compiled.search(line)]
        got = grep_trace(trace, pattern, max_hits=10**9)
        lines = [] if got.startswith("No line matches") else got.splitlines()
        assert [line.split(" ", 1)[0] for line in lines] == [e.split(" ", 1)[0] for e in expected], trace.id

def test_failed_and_successful_traces_get_different_prompts(django_failed: Trace, xarray_resolved: Trace) -> None:
    assert AnalystTask.for_trace(django_failed).prompt == "analyst_failure"
    assert AnalystTask.for_trace(xarray_resolved).prompt == "analyst_success"
    client = LLMClient(LLMSettings(model="fake", cache=False))
    analyst = LLMAnalyst(client)
    assert analyst.first_request(django_failed).template == "analyst_failure"
    assert "did not succeed" in analyst.first_request(django_failed).messages[0]["content"]
    assert "reusable pattern that made it work" in analyst.first_request(xarray_resolved).messages[0]["content"]


def test_tool_using_analyst_reads_the_error_and_quotes_it(django_failed: Trace) -> None:
    client = LLMClient(LLMSettings(model="fake", cache=False))
    result = asyncio.run(LLMAnalyst(client).analyze(django_failed))
    assert result.failure is None and result.tool_calls >= 1  # it read steps before answering
    assert client.stats.llm_calls == 2  # one turn with tool calls, one answer
    # a failed run teaches what to avoid, quoting the error it read, never a "what worked" rule
    assert {lesson.kind for lesson in result.lessons} <= {"pitfall", "failure_cause", "guardrail"}
    lesson = next(lesson for lesson in result.lessons if any("ImproperlyConfigured" in e.quote for e in lesson.evidence))
    assert any(e.step == 10 for e in lesson.evidence)
    assert all(e.trace_id == django_failed.id and e.source == django_failed.source.path for e in lesson.evidence)


def test_step_budget_forces_an_answer(django_failed: Trace) -> None:
    client = LLMClient(LLMSettings(model="fake", cache=False, tool_steps=1))
    result = asyncio.run(LLMAnalyst(client).analyze(django_failed))
    assert result.failure is None and result.lessons
    assert client.stats.llm_calls == 2  # the tool turn, then the closing "answer now" turn without tools


def test_model_without_tool_calling_gets_error_windows_in_one_call(django_failed: Trace) -> None:
    client = LLMClient(LLMSettings(model="fake-notools", cache=False))
    analyst = LLMAnalyst(client)
    request = analyst.first_request(django_failed)
    assert request.tools is None
    assert "=== [10] tool (error) ===" in request.messages[-1]["content"]
    result = asyncio.run(analyst.analyze(django_failed))
    assert client.stats.llm_calls == 1 and result.tool_calls == 0
    assert any("ImproperlyConfigured" in e.quote for lesson in result.lessons for e in lesson.evidence)


def test_fabricated_quotes_are_dropped_misnumbered_ones_corrected(django_failed: Trace) -> None:
    drafts = [
        LessonDraft(
            kind="failure_cause",
            title="Configure settings before importing django.contrib.messages",
            body="The import touched settings before settings.configure().",
            target_skill="Django Testing",
            # right quote, wrong step number, different whitespace and case
            evidence=[EvidenceDraft(step=3, quote="DJANGO.core.exceptions.ImproperlyConfigured:   Requested setting")],
        ),
        LessonDraft(
            kind="pitfall",
            title="Reinstall django when migrations segfault",
            body="invented",
            target_skill="django",
            evidence=[EvidenceDraft(step=10, quote="Segmentation fault (core dumped) in migrate")],
        ),
    ]
    verified = verify_lessons(django_failed, drafts, TraceIndex.of(django_failed))
    assert [lesson.title for lesson in verified.lessons] == ["Configure settings before importing django.contrib.messages"]
    kept = verified.lessons[0]
    assert kept.evidence[0].step == 10
    assert kept.evidence[0].quote == "django.core.exceptions.ImproperlyConfigured: Requested setting"  # the trace's own text
    assert kept.target_skill == "django-testing"
    assert [(d.title, d.reason) for d in verified.dropped] == [
        ("Reinstall django when migrations segfault", "no evidence quote occurs in the trace")
    ]
