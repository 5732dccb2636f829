"""mini-swe-agent reader, on the real runs in tests/data/samples/mini_swe_agent_traj/ (three SWE-bench
Verified trajectories with their report.json, two bare message-list test dumps) and the constructed v2
fixture in tests/data/fixtures/mini_swe_agent/.

Expected counts were derived from the raw files with plain ``json`` + ``re``: steps = 1 (task) +
every assistant message + every later user message; tool calls = assistant messages holding exactly
one ```bash/```mswea_bash_command block; errors = observations with ``<returncode>N</returncode>``,
N != 0, plus "Please always provide EXACTLY ONE action" format errors (django-15127: 1 + 1; xarray:
2 + 0; github_issue: 2 + 0). Success = ``resolved`` of the sibling report (11163 true, 15127 false,
xarray true); the bare dumps have no report.
"""

from __future__ import annotations

import json
import shutil
import tracemalloc
from pathlib import Path

import pytest

from skillforge.ingest.base import ReadOptions
from skillforge.ingest.detect import detect
from skillforge.ingest.formats.mini_swe_agent import READERS
from skillforge.ingest.probe import probe
from skillforge.models import Skipped, Trace

DATA = Path(__file__).parents[1] / "data"
SAMPLES = DATA / "samples"
FOLDER = SAMPLES / "mini_swe_agent_traj"
V2 = DATA / "fixtures" / "mini_swe_agent" / "acme__slugify-17.traj.json"
READER = READERS[0]


def read_all(path: Path) -> list[Trace | Skipped]:
    return list(READER.read(path, probe(path), ReadOptions()))


def one_trace(path: Path) -> Trace:
    (trace,) = read_all(path)
    assert isinstance(trace, Trace), trace
    return trace


# file, steps, tool calls, errors, success, start of the task
EXPECTED = [
    ("django__django-11163.traj.json", 27, 13, 0, True, "model_to_dict() should return an empty dict for an empty list"),
    ("django__django-15127.traj.json", 37, 17, 2, False, "LEVEL_TAGS not updated when using @override_settings"),
    ("pydata__xarray-4629.traj.json", 37, 18, 2, True, "merge(combine_attrs='override') does not copy attrs"),
    ("github_issue.traj.json", 21, 10, 2, None, "GitHub Issue: SyntaxError: invalid syntax"),
    ("local.traj.json", 5, 2, 0, None, "Blah blah blah"),
]


@pytest.mark.parametrize(("name", "steps", "calls", "errors", "success", "task"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_real_runs_counts_outcome_and_task(
    name: str, steps: int, calls: int, errors: int, success: bool | None, task: str
) -> None:
    path = FOLDER / name
    trace = one_trace(path)
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (steps, calls, errors)
    assert trace.outcome.success is success
    assert trace.task.startswith(task)
    assert "<pr_description>" not in trace.task and "You can execute bash commands" not in trace.task
    assert trace.id == Trace.make_id(str(path), 0)
    assert (trace.source.format, trace.source.index) == ("mini-swe-agent", 0)
    assert all(s.tool_call.name == "bash" for s in trace.steps if s.tool_call)


def test_swebench_run_metadata_and_report() -> None:
    trace = one_trace(FOLDER / "django__django-15127.traj.json")
    meta = trace.metadata
    assert meta["exit_status"] == "Submitted"  # the agent's word, not the verdict
    assert trace.outcome.success is False and trace.outcome.error is None
    assert meta["report"] == "django__django-15127.report.json"
    assert meta["tests_status"]["FAIL_TO_PASS"] == {"failure": 1, "success": 0}
    assert meta["tests_status"]["PASS_TO_PASS"] == {"failure": 0, "success": 1}
    assert (meta["instance_id"], meta["version"], meta["trajectory_format"]) == (
        "django__django-15127", "1.15.0", "mini-swe-agent-1",
    )  # fmt: skip
    assert meta["model"] == "google/gemini-3-pro-preview"
    assert meta["api_calls"] == 18 and 0.2 < meta["instance_cost"] < 0.21
    assert meta["submission"].startswith("diff --git a/django/contrib/messages/storage/base.py")
    json.dumps(meta)


def test_actions_observations_and_format_error() -> None:
    trace = one_trace(FOLDER / "django__django-15127.traj.json")
    first = trace.steps[1]
    assert first.tool_call is not None and first.tool_call.arguments == {"command": "ls -R"}
    assert first.text.startswith("I need to explore the codebase") and "```" not in first.text
    assert trace.steps[2].tool_result.exit_code == 0
    failing = [s.tool_result for s in trace.steps if s.tool_result and s.tool_result.exit_code == 1]
    assert len(failing) == 1 and failing[0].is_error and failing[0].output.startswith("Traceback (most recent call last)")
    # the answer with two bash blocks runs nothing: no tool call, then the format error as a failed step
    i = next(i for i, s in enumerate(trace.steps) if s.tool_result and s.tool_result.exit_code is None and s.tool_result.is_error)
    assert trace.steps[i - 1].role == "assistant" and trace.steps[i - 1].tool_call is None
    assert trace.steps[i].tool_result.output.startswith("Please always provide EXACTLY ONE action in triple backticks, found 2")
    # the submit command's observation is the submitted diff, not an error
    last_call, last_result = trace.steps[-2].tool_call, trace.steps[-1].tool_result
    assert "COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT" in last_call.arguments["command"]
    assert last_result.output.startswith("diff --git") and not last_result.is_error


def test_bare_message_list_with_mswea_blocks() -> None:
    trace = one_trace(FOLDER / "local.traj.json")
    assert [s.role for s in trace.steps] == ["user", "assistant", "tool", "assistant", "tool"]
    assert trace.steps[1].tool_call.arguments == {"command": "echo 'hello world'"}
    assert trace.steps[1].text == "Here be some dummy command:"
    assert (trace.steps[2].tool_result.output, trace.steps[2].tool_result.exit_code) == ("hello world", 0)
    assert trace.metadata == {"agent": "mini-swe-agent"}


def test_v2_tool_calling_fixture() -> None:
    trace = one_trace(V2)
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (11, 4, 2)
    calls = [s.tool_call for s in trace.steps if s.tool_call]
    assert [c.id for c in calls] == ["toolu_01A", "toolu_01B", "toolu_01C", "toolu_01D"]
    results = [s.tool_result for s in trace.steps if s.tool_result and s.tool_result.call_id]
    assert [r.call_id for r in results] == ["toolu_01A", "toolu_01B", "toolu_01C", "toolu_01D"]
    assert [r.exit_code for r in results] == [0, 1, 0, None]
    assert results[0].output == "src/slugify.py:4:def slugify(text):\n"  # raw output, not the JSON wrapper
    assert results[3].output.startswith("diff --git a/src/slugify.py") and not results[3].is_error
    rejected = trace.steps[3]
    assert (rejected.role, rejected.text) == ("assistant", "The function lowercases but never strips.")
    assert trace.steps[4].tool_result.is_error and trace.steps[4].tool_result.output.startswith("Tool call error:")
    assert trace.task.startswith("slugify() keeps leading whitespace")
    assert trace.steps[1].timestamp == "2025-11-18T23:35:03+00:00"
    assert trace.metadata["trajectory_format"] == "mini-swe-agent-1.1"
    assert trace.metadata["model"] == "anthropic/claude-sonnet-4-5-20250929"
    assert trace.outcome.success is None


def test_limits_exceeded_run_failed(tmp_path: Path) -> None:
    doc = json.loads(V2.read_text())
    doc["messages"] = doc["messages"][:7] + [
        {"role": "exit", "content": "LimitsExceeded", "extra": {"exit_status": "LimitsExceeded", "submission": ""}}
    ]
    doc["info"]["exit_status"], doc["info"]["submission"] = "LimitsExceeded", ""
    path = tmp_path / "limits.traj.json"
    path.write_text(json.dumps(doc))
    trace = one_trace(path)
    assert (trace.outcome.success, trace.outcome.error) == (False, "LimitsExceeded")
    assert len(trace.steps) == 7


def test_report_json_is_reported_not_read_as_a_trace() -> None:
    for name in ("django__django-11163", "django__django-15127", "pydata__xarray-4629"):
        path = FOLDER / f"{name}.report.json"
        reader, _, _ = detect(path)
        assert reader is not None and reader.name == "mini-swe-agent"
        assert read_all(path) == [
            Skipped(path=str(path), reason=f"SWE-bench report; used as the outcome of {name}.traj.json")
        ]


def test_without_report_success_is_unknown_and_nested_report_is_understood(tmp_path: Path) -> None:
    traj = tmp_path / "django__django-11163.traj.json"
    shutil.copy(FOLDER / traj.name, traj)
    trace = one_trace(traj)
    assert trace.outcome.success is None and trace.metadata["exit_status"] == "Submitted"
    # the harness's own layout: report.json = {instance_id: {...}}
    body = json.loads((FOLDER / "django__django-15127.report.json").read_text())
    (tmp_path / "report.json").write_text(json.dumps({"django__django-11163": body}))
    assert one_trace(traj).outcome.success is False
    lone = tmp_path / "report.json"
    assert read_all(lone)[0].reason == "SWE-bench report, not a trace (no matching .traj.json beside it)"


def test_truncated_copy_is_skipped_with_line(tmp_path: Path) -> None:
    data = (FOLDER / "pydata__xarray-4629.traj.json").read_bytes()
    path = tmp_path / "cut.traj.json"
    path.write_bytes(data[: len(data) * 2 // 3])
    reader, _, _ = detect(path)
    assert reader is not None and reader.name == "mini-swe-agent"
    (skipped,) = read_all(path)
    assert isinstance(skipped, Skipped)
    assert skipped.reason == "truncated JSON (the file ends mid-document); trajectory not read"
    assert skipped.line == path.read_bytes().count(b"\n") + 1


def test_garbled_bare_list_names_the_line(tmp_path: Path) -> None:
    lines = (FOLDER / "github_issue.traj.json").read_text().splitlines()
    lines[10] = lines[10].replace('"role"', "role")
    path = tmp_path / "garbled.traj.json"
    path.write_text("\n".join(lines))
    (skipped,) = list(READER.read(path, probe(FOLDER / "github_issue.traj.json"), ReadOptions()))
    assert isinstance(skipped, Skipped) and skipped.line == 11 and skipped.reason.startswith("invalid JSON")


TRAJECTORIES = sorted([*FOLDER.glob("*.traj.json"), V2])


@pytest.mark.parametrize("path", TRAJECTORIES, ids=[p.name for p in TRAJECTORIES])
def test_detect_picks_mini_swe_agent(path: Path) -> None:
    reader, _, reason = detect(path)
    assert reader is not None and reader.name == "mini-swe-agent", reason


def test_no_other_sample_is_detected_as_mini_swe_agent() -> None:
    others = [p for p in sorted(SAMPLES.rglob("*")) if p.is_file() and p.name != "SOURCES.md" and p.parent != FOLDER]
    claimed = [p.name for p in others if (r := detect(p)[0]) is not None and r.name == "mini-swe-agent"]
    assert claimed == []


@pytest.mark.slow
def test_streams_a_long_run_with_bounded_memory(tmp_path: Path) -> None:
    """800 turns with 50 KB outputs: the trace keeps clipped steps, never the whole document."""
    doc = json.loads((FOLDER / "django__django-11163.traj.json").read_text())
    head, turn = doc["messages"][:2], doc["messages"][2:4]
    big = dict(turn[1], content="<returncode>0</returncode>\n<output>\n" + "z" * 50_000 + "\n</output>")
    path = tmp_path / "long.traj.json"
    with path.open("w") as fh:
        fh.write('{"info": ' + json.dumps(doc["info"]) + ', "messages": [')
        fh.write(",".join(json.dumps(m) for m in head))
        for _ in range(800):
            fh.write("," + json.dumps(turn[0]) + "," + json.dumps(big))
        fh.write('], "trajectory_format": "mini-swe-agent-1", "instance_id": "long"}')
    size = path.stat().st_size
    tracemalloc.start()
    try:
        trace = one_trace(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (len(trace.steps), trace.tool_calls) == (1 + 1_600, 800)
    assert len(trace.steps[2].tool_result.output) < 8_100  # clipped
    assert peak < size / 2, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
