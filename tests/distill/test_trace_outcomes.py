"""Outcome awareness and abstraction, end to end through the offline analyzer and the pipeline:
what failed runs did never appears as what worked, and runs that differ only in ids give one rule."""

from __future__ import annotations

from pathlib import Path

from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer
from skillforge.distill.lessons import generalize, merge_duplicates, merge_variants
from skillforge.models import Outcome, Source, Step, ToolCall, ToolResult, Trace
from skillforge.skills.rules import rule_line

_WORKED = ("recovery", "procedure", "success_pattern")


def _trace(name: str, path: str, success: bool) -> Trace:
    """An agent that reads a missing file, lists the folder, reads the right path, edits and tests."""
    calls = [
        ("Bash", f"cat /home/{name}/repo/src/{path}", ToolResult(
            output=f"cat: /home/{name}/repo/src/{path}: No such file or directory", exit_code=1)),
        ("Bash", "ls src/pkg", ToolResult(output=f"{path}\n__init__.py", exit_code=0)),
        ("Bash", f"cat src/pkg/{path}", ToolResult(output="def parse(x):\n    return x\n", exit_code=0)),
        ("Edit", f"src/pkg/{path}", ToolResult(output="The file has been updated.")),
        ("Bash", "python -m pytest tests/test_parse.py", ToolResult(
            output="1 passed" if success else "FAILED tests/test_parse.py::test_a - assert 1 == 2\n1 failed",
            exit_code=0 if success else 1)),
    ]
    steps = [Step(role="user", text=f"Fix parsing of header {name.upper()}12345 in the parser module")]
    for number, (tool, command, result) in enumerate(calls):
        arguments = {"file_path": command} if tool == "Edit" else {"command": command}
        steps.append(Step(role="assistant", tool_call=ToolCall(name=tool, arguments=arguments, id=str(number))))
        steps.append(Step(role="tool", tool_result=result.model_copy(update={"call_id": str(number)})))
    return Trace(id=name, source=Source(path=f"{name}.jsonl", format="claude-code"), task=steps[0].text,
                 steps=steps, outcome=Outcome(success=success))


def _lessons(traces: list[Trace]):  # type: ignore[no-untyped-def]
    # the same steps run_distill takes after the analyzer
    return merge_variants(merge_duplicates([generalize(l) for l in HeuristicAnalyzer().analyze(traces)]))


def test_rules_from_failed_runs_never_appear_as_what_worked() -> None:
    lessons = _lessons([_trace("alpha", "parse.py", success=False), _trace("beta", "parse.py", success=False)])
    worked = [l for l in lessons if l.kind in _WORKED]
    assert worked == [], [rule_line(l) for l in worked]
    assert all(l.helpful == 0 for l in lessons)


def test_what_worked_is_backed_by_successful_runs_only() -> None:
    lessons = _lessons([
        _trace("alpha", "parse.py", success=True),
        _trace("beta", "header.py", success=True),
        _trace("gamma", "parse.py", success=False),
    ])
    worked = [l for l in lessons if l.kind in _WORKED]
    assert worked, "two successful runs teach something"
    for lesson in worked:
        assert lesson.harmful == 0, rule_line(lesson)
        assert "gamma" not in lesson.trace_ids, rule_line(lesson)


def test_runs_differing_only_in_ids_and_paths_give_one_rule_with_their_support() -> None:
    lessons = _lessons([_trace("alpha", "parse.py", success=True), _trace("beta", "parse.py", success=True)])
    recoveries = [l for l in lessons if l.kind == "recovery"]
    assert len(recoveries) == 1, [rule_line(l) for l in recoveries]
    recovery = recoveries[0]
    assert recovery.support == 2 and set(recovery.trace_ids) == {"alpha", "beta"}
    assert recovery.helpful == 2 and recovery.harmful == 0
    for lesson in lessons:
        line = rule_line(lesson)
        assert "/home/" not in line and "ALPHA12345" not in line and "BETA12345" not in line, line


def test_pipeline_writes_one_rule_for_runs_that_differ_only_in_ids(tmp_path: Path) -> None:
    from skillforge.distill.pipeline import run_distill
    from skillforge.skills.provenance import read_provenance

    folder = tmp_path / "runs"
    folder.mkdir()
    for trace in (_trace("alpha", "parse.py", True), _trace("beta", "parse.py", True)):
        (folder / f"{trace.id}.json").write_text(trace.model_dump_json(), encoding="utf-8")
    report = run_distill([folder], tmp_path / "out", fmt="skillforge-trace")
    assert report.traces == 2
    text = "\n".join(p.read_text(encoding="utf-8") for p in (tmp_path / "out").rglob("*.md"))
    assert "/home/alpha" not in text.split("Evidence from")[0] and "ALPHA12345" not in text
    (skill,) = report.skills
    provenance = read_provenance(Path(skill.path))
    assert provenance is not None
    recoveries = [r for r in provenance.rules if r.kind == "recovery"]
    assert len(recoveries) == 1 and recoveries[0].support == 2 and recoveries[0].file == "SKILL.md"
