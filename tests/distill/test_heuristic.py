"""The offline analyzer on the real sample files: the lessons a person would expect, with real evidence."""

from __future__ import annotations

import re

from skillforge.distill.actions import actions_of, command_family, error_line, normalize_signature
from skillforge.distill.heuristic import HeuristicAnalyzer
from skillforge.distill.lessons import tag
from skillforge.models import Lesson, Trace


def _find(lessons: list[Lesson], pattern: str, kind: str | None = None) -> Lesson:
    found = [l for l in lessons if re.search(pattern, l.title + "\n" + l.body) and (kind is None or l.kind == kind)]
    assert found, f"no lesson matches {pattern!r}: {[l.title for l in lessons]}"
    return found[0]


def test_missing_file_recovery_in_mini_swe_agent(sample_lessons: list[Lesson], find_trace, occurs) -> None:  # type: ignore[no-untyped-def]
    lesson = _find(sample_lessons, r"No such file or directory", kind="recovery")
    assert lesson.title.startswith("When `cat` fails with")
    assert "`ls -la`" in lesson.body and "`tests/missing_colon.py`" in lesson.body
    trace = find_trace("mini_swe_agent_traj/github_issue.traj.json")
    mine = [e for e in lesson.evidence if e.trace_id == trace.id]
    assert {e.quote for e in mine} >= {"cat tests/missing_colon.py"}
    failing = next(e for e in mine if "No such file" in e.quote)
    assert trace.steps[failing.step].tool_result is not None  # the quote is the tool's error output
    assert occurs(trace, failing.step, failing.quote)


def test_syntax_error_recovery_clusters_swe_agent_and_openhands(sample_lessons: list[Lesson]) -> None:
    lesson = _find(sample_lessons, r"Your proposed edit has introduced new syntax error", kind="recovery")
    sources = {e.source for e in lesson.evidence}
    assert any(s.endswith("pydicom__pydicom-1458.traj") for s in sources)
    assert any(s.endswith("openhands/resolver_output.jsonl") for s in sources)
    assert lesson.support == 2
    assert "Do not resend the same call" in lesson.body
    assert lesson.target_skill == "coding-agent-playbook"


def test_sandbox_escalation_recovery_in_codex(sample_lessons: list[Lesson]) -> None:
    lesson = _find(sample_lessons, r"operation not permitted", kind="recovery")
    assert "`sandbox_permissions: require_escalated`" in lesson.body
    assert tag(lesson, "scope") == "general"


def test_fix_and_rerun_is_a_django_lesson(sample_lessons: list[Lesson], find_trace, occurs) -> None:  # type: ignore[no-untyped-def]
    lesson = _find(sample_lessons, r"ImproperlyConfigured", kind="recovery")
    assert lesson.target_skill == "django-development"
    assert "settings.configure()" in lesson.body  # the agent's own explanation, turned into an instruction
    trace = find_trace("django__django-15127.traj.json")
    assert all(occurs(trace, e.step, e.quote) for e in lesson.evidence)


def test_work_order_from_successful_runs(sample_lessons: list[Lesson], sample_traces: dict[str, Trace]) -> None:
    lesson = _find(sample_lessons, r"^Work order that succeeded", kind="procedure")
    assert lesson.support >= 5
    assert re.search(r"edit → test → submit", lesson.body)
    for trace_id in lesson.trace_ids:
        assert sample_traces[trace_id].outcome.success is not False  # only runs that did not fail


def test_permission_pitfalls_from_claude_code(sample_lessons: list[Lesson]) -> None:
    lesson = _find(sample_lessons, r"requires approval", kind="pitfall")
    assert "3×" in lesson.body and "permission or sandbox limit" in lesson.body


def test_unresolved_run_becomes_a_project_pitfall(sample_lessons: list[Lesson]) -> None:
    lesson = _find(sample_lessons, r"^Unresolved: LEVEL_TAGS", kind="pitfall")
    assert lesson.target_skill == "django-development"
    assert "`django/contrib/messages/storage/base.py`" in lesson.body


def test_every_evidence_quote_occurs_in_its_step(sample_lessons: list[Lesson], sample_traces: dict[str, Trace], occurs) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for lesson in sample_lessons:
        assert lesson.evidence, lesson.title
        assert lesson.support >= len(lesson.trace_ids) >= 1
        for e in lesson.evidence:
            assert e.quote.strip(), lesson.title
            assert occurs(sample_traces[e.trace_id], e.step, e.quote), (lesson.title, e)
            checked += 1
    assert checked > 50


def test_no_junk_rules_about_trivial_commands(sample_lessons: list[Lesson]) -> None:
    for lesson in sample_lessons:
        first = lesson.body.split("\n", 1)[0]
        assert not re.search(r"with `(ls|cd|cat|echo|pwd)\b[^`]*` \(worked", first), first
        if tag(lesson, "section") == "commands":
            assert re.search(r"pytest|runtests|python tests/", first), first


def test_output_is_deterministic_and_order_independent(sample_traces: dict[str, Trace]) -> None:
    traces = list(sample_traces.values())
    forward = HeuristicAnalyzer().analyze(traces)
    backward = HeuristicAnalyzer().analyze(reversed(traces))
    assert [l.model_dump() for l in forward] == [l.model_dump() for l in backward]


def test_error_signatures_cluster_across_paths_and_numbers() -> None:
    a = normalize_signature("cat: /Users/alice/repo/tests/x.py: No such file or directory")
    b = normalize_signature("cat: /home/bob/work/src/mod/y.py: No such file or directory")
    assert a == b == "cat: <path>: No such file or directory"
    assert normalize_signature("zsh:1: operation not permitted: ps") == normalize_signature(
        "zsh:17: operation not permitted: ps"
    )
    assert normalize_signature("KeyError: 0x7f3a9c and id 3f2a9c1d") == "KeyError: <hex> and id <hex>"


def test_error_line_and_families_on_real_output(find_trace) -> None:  # type: ignore[no-untyped-def]
    trace = find_trace("django__django-15127.traj.json")
    failed = next(a for a in actions_of(trace) if a.failed)
    assert error_line(failed.output).startswith("django.core.exceptions.ImproperlyConfigured: Requested setting")
    assert command_family("cd /repo && python -m pytest tests/x.py -q") == "pytest"
    assert command_family("cat <<'EOF' > reproduce.py\nprint(1)\nEOF") == "cat >"
    assert command_family("./tests/runtests.py messages_tests") == "runtests.py"
    assert command_family("sed -i 's/a/b/' f.py") == "sed -i"


def test_many_unsuccessful_runs_aggregate_instead_of_flooding(sample_traces: dict[str, Trace], find_trace) -> None:  # type: ignore[no-untyped-def]
    failed = find_trace("django__django-15127.traj.json")
    copies = [failed.model_copy(update={"id": f"{failed.id}-{n}"}) for n in range(8)]
    lessons = HeuristicAnalyzer().analyze([*sample_traces.values(), *copies])
    pitfalls = [l for l in lessons if l.kind == "pitfall" and l.target_skill == "django-development"]
    unresolved = [l for l in pitfalls if l.title.startswith("Unresolved:")]
    assert len(unresolved) == 1  # the same unresolved task, once, with its support
    assert unresolved[0].support >= 5
    assert len(pitfalls) <= 4


def test_iter_actions_releases_answered_calls_in_order_and_pairs_results_like_before() -> None:
    from skillforge.distill.actions import iter_actions
    from skillforge.models import Source, Step, ToolCall, ToolResult

    def call(name: str, cid: str | None) -> Step:
        return Step(role="assistant", tool_call=ToolCall(name="Bash", arguments={"command": name}, id=cid))

    def result(cid: str | None, out: str, error: bool = False) -> Step:
        return Step(role="tool", tool_result=ToolResult(output=out, is_error=error, call_id=cid))

    steps = [
        call("ls a", "1"), call("ls b", "2"),  # two parallel calls, answered out of order
        result("2", "b"), result("1", "a"),
        call("pytest", "3"), result("1", "late"),  # an answered id: goes to the first pending call
        call("git status", None), result(None, "clean"),  # no id: the first pending call
        call("make", "5"),  # never answered
    ]
    trace = Trace(id="t", source=Source(path="s.jsonl", format="claude-code"), task="t", steps=steps)
    stream = iter_actions(trace)
    first = next(stream)
    assert (first.command, first.output, first.result_step) == ("ls a", "a", 3)
    rest = list(stream)
    assert [(a.command, a.output, a.failed) for a in rest] == [
        ("ls b", "b", False), ("pytest", "late", False), ("git status", "clean", False), ("make", "", None)
    ]
    assert [(a.command, a.output) for a in actions_of(trace)] == [(a.command, a.output) for a in [first, *rest]]
