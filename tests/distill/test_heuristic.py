"""The offline analyzer on the real sample files: the lessons a person would expect, with real evidence."""

from __future__ import annotations

import re

from skillforge.distill.heuristic.actions import actions_of, command_family, error_line, normalize_signature
from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer
from skillforge.models import Lesson, Trace
from skillforge.skills.rules import tag


def _find(lessons: list[Lesson], pattern: str, kind: str | None = None) -> Lesson:
    found = [l for l in lessons if re.search(pattern, l.title + "\n" + l.body) and (kind is None or l.kind == kind)]
    assert found, f"no lesson matches {pattern!r}: {[l.title for l in lessons]}"
    return found[0]


def test_missing_file_recovery_in_mini_swe_agent(sample_lessons: list[Lesson], find_trace, occurs) -> None:  # type: ignore[no-untyped-def]
    lesson = _find(sample_lessons, r"missing file or path", kind="recovery")
    first = lesson.body.split("\n", 1)[0]
    assert "list the directory" in first and "use the path it shows" in first  # says what to correct
    assert "/Users/" not in lesson.body  # the absolute path became a placeholder
    trace = find_trace("mini_swe_agent_traj/github_issue.traj.json")
    mine = [e for e in lesson.evidence if e.trace_id == trace.id]
    failing = next(e for e in mine if "No such file" in e.quote)
    assert trace.steps[failing.step].tool_result is not None  # the quote is the tool's error output
    assert occurs(trace, failing.step, failing.quote)


def test_syntax_error_recovery_clusters_runs_and_is_actionable(sample_lessons: list[Lesson]) -> None:
    lesson = _find(sample_lessons, r"syntax error", kind="recovery")
    assert "re-issue the whole edit" in lesson.body
    assert lesson.harmful == 0
    assert lesson.target_skill == "coding-agent-playbook"


def test_sandbox_denial_is_not_a_failure(sample_lessons: list[Lesson]) -> None:
    # The Codex sample hits the sandbox once and escalates at once: no failure to learn from, and one
    # handled prompt is an anecdote, not a guardrail (tests/distill/test_trace_sessions.py has the
    # repeated case).
    assert not [l for l in sample_lessons if "operation not permitted" in l.body]


def test_failed_run_teaches_no_recovery(sample_lessons: list[Lesson], find_trace) -> None:  # type: ignore[no-untyped-def]
    failed = find_trace("django__django-15127.traj.json")  # outcome: not resolved
    for lesson in sample_lessons:
        if lesson.kind in ("recovery", "success_pattern", "procedure"):
            assert failed.id not in lesson.trace_ids, lesson.title
            assert lesson.harmful == 0, lesson.title


def test_work_order_from_successful_runs(sample_lessons: list[Lesson], sample_traces: dict[str, Trace]) -> None:
    lesson = _find(sample_lessons, r"^Work order that succeeded", kind="procedure")
    first = lesson.body.split("\n", 1)[0]
    assert first.startswith("To fix a bug, locate the code")
    assert not re.search(r"\d+/\d+ runs", lesson.body)  # no counts
    assert re.search(r"(?m)^1\. Locate the code", lesson.body)
    for trace_id in lesson.trace_ids:
        assert sample_traces[trace_id].outcome.success is not False  # only runs that did not fail


def test_permission_prompts_become_guardrails(sample_lessons: list[Lesson]) -> None:
    lesson = _find(sample_lessons, r"requires approval", kind="guardrail")
    assert "ask the user to approve it" in lesson.body


def test_no_run_specific_values_or_vague_actions_in_rule_lines(sample_lessons: list[Lesson]) -> None:
    from skillforge.distill.heuristic.abstract import instance_values
    from skillforge.skills.rules import rule_line

    for lesson in sample_lessons:
        if "source:trace" not in lesson.tags:
            continue
        first = rule_line(lesson)
        assert not instance_values(first), (first, instance_values(first))
        assert not re.search(r"(?i)fix the cause|retry with a corrected|retrying did not help|look further|"
                             r"worked in \d+|\(\d+/\d+ runs", first), first


def test_every_evidence_quote_occurs_in_its_step(sample_lessons: list[Lesson], sample_traces: dict[str, Trace], occurs) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for lesson in sample_lessons:
        if "source:trace" not in lesson.tags:
            continue  # document and ticket evidence is checked in their own test files
        assert lesson.evidence, lesson.title
        assert lesson.support >= len(lesson.trace_ids) >= 1
        for e in lesson.evidence:
            assert e.quote.strip(), lesson.title
            assert occurs(sample_traces[e.trace_id], e.step, e.quote), (lesson.title, e)
            checked += 1
    assert checked > 20


def test_no_junk_rules_about_trivial_commands(sample_lessons: list[Lesson]) -> None:
    for lesson in sample_lessons:
        first = lesson.body.split("\n", 1)[0]
        if tag(lesson, "section") == "commands":
            assert re.search(r"pytest|runtests|python tests/", first), first
            assert not re.search(r"with `(ls|cd|cat|echo|pwd)\b", first), first


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
    pitfalls = [l for l in lessons if l.kind == "pitfall" and tag(l, "area") == "django"]
    assert len(pitfalls) <= 4
    assert all(l.harmful >= 1 for l in pitfalls)


def test_iter_actions_releases_answered_calls_in_order_and_pairs_results_like_before() -> None:
    from skillforge.distill.heuristic.actions import iter_actions
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
