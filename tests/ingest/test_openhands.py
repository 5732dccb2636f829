"""OpenHands reader, on the real samples in tests/data/samples/openhands/ (two V0 event arrays and the
resolver output JSONL) and the constructed V1 event log in tests/data/fixtures/openhands/.

Expected counts were derived from the raw files with plain ``json``: every ``message`` action is a
user/assistant step, every other action except ``finish`` a tool call, every observation answering one
a tool step, ``finish`` the final assistant step. basic.json = message, edit, edit-observation, finish
→ 4 steps, 1 call. basic_interactions.json = 5 messages + finish → 6 steps, 0 calls. resolver line 1:
8 history items, 3 run/run_ipython actions; line 2: 44 items, 21 actions, of whose observations 8
start "[Your proposed edit has introduced new syntax error(s)" and 3 "[No exact match found" → 11
errors (no run observation has a non-zero exit code). Both lines say ``success: true``.
"""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path

import pytest

from skillforge.ingest.base import ReadOptions
from skillforge.ingest.detect import detect
from skillforge.ingest.formats.openhands import READERS
from skillforge.ingest.probe import probe
from skillforge.models import Skipped, Trace

DATA = Path(__file__).parents[1] / "data"
SAMPLES = DATA / "samples"
FOLDER = SAMPLES / "openhands"
V1 = DATA / "fixtures" / "openhands" / "v1_events.jsonl"
READER = READERS[0]


def read_all(path: Path) -> list[Trace | Skipped]:
    return list(READER.read(path, probe(path), ReadOptions()))


def traces(path: Path) -> list[Trace]:
    found = read_all(path)
    assert all(isinstance(t, Trace) for t in found), found
    return found  # type: ignore[return-value]


def test_v0_trajectory_basic() -> None:
    path = FOLDER / "basic.json"
    (trace,) = traces(path)
    assert [s.role for s in trace.steps] == ["user", "assistant", "tool", "assistant"]
    assert (trace.tool_calls, trace.errors) == (1, 0)
    assert trace.task == "Please create a simple 2048 game. No need to run it. Please finish the interaction after your finish coding."
    call = trace.steps[1].tool_call
    # the function the model called, with the arguments it sent (from tool_call_metadata.model_response)
    assert (call.name, call.id) == ("str_replace_editor", "toolu_017nBp7UfiGqyrA7j77HgtFP")
    assert call.arguments["command"] == "create" and call.arguments["path"] == "/workspace/game_2048.py"
    assert call.arguments["file_text"].startswith("import random\nimport keyboard")
    assert trace.steps[1].text.startswith("I'll help you create a simple 2048 game in Python.")
    result = trace.steps[2].tool_result
    assert result.call_id == call.id and result.output.startswith("--- /workspace/game_2048.py") and not result.is_error
    assert trace.steps[3].text.startswith("I've created a simple implementation of the 2048 game")
    assert trace.steps[0].timestamp == "2025-01-27T22:44:56.900854"
    assert trace.metadata == {
        "agent": "openhands", "events": 4, "model": "claude-3-5-sonnet-20241022",
        "started": "2025-01-27T22:44:56.900854", "ended": "2025-01-27T22:45:18.405685",
    }  # fmt: skip
    assert trace.id == Trace.make_id(str(path), 0) and trace.source.format == "openhands"
    assert trace.outcome.success is None


def test_v0_chat_only_interactions() -> None:
    (trace,) = traces(FOLDER / "basic_interactions.json")
    assert [s.role for s in trace.steps] == ["user", "assistant"] * 3
    assert trace.tool_calls == 0 and trace.task == "what's 1+1?"
    assert trace.steps[2].text == "No, I mean by Goldbach's conjecture!"
    assert trace.steps[-1].text == "All done! What's next on the agenda?"  # the finish action's message


def test_resolver_output_one_trace_per_line() -> None:
    path = FOLDER / "resolver_output.jsonl"
    first, second = traces(path)
    assert [(t.source.line, t.source.index) for t in (first, second)] == [(1, 0), (2, 1)]
    assert [t.id for t in (first, second)] == [Trace.make_id(str(path), 0), Trace.make_id(str(path), 1)]
    assert (len(first.steps), first.tool_calls, first.errors) == (8, 3, 0)
    assert (len(second.steps), second.tool_calls, second.errors) == (44, 21, 11)
    assert first.task == "Add MIT license\n\nWe can license this repo under the MIT license."
    assert second.task.startswith("Add a toggle for dark mode\n\nIt'd be nice if this app could also support dark mode")
    assert first.outcome.success is True and second.outcome.success is True
    # 2024 flattened events: the action type names the tool, its top-level fields are the arguments
    calls = [s.tool_call for s in first.steps if s.tool_call]
    assert [c.name for c in calls] == ["run", "run_ipython", "run"]
    assert calls[0].arguments == {"command": "touch LICENSE"}
    assert [s.tool_result.exit_code for s in first.steps if s.tool_result] == [0, None, 0]
    results = [s.tool_result for s in first.steps if s.tool_result]
    assert [r.call_id for r in results] == [c.id for c in calls]
    assert first.metadata["issue_number"] == 5 and first.metadata["issue_repo"] == "pr-viewer"
    assert first.metadata["git_patch"].startswith("diff --git a/LICENSE b/LICENSE")
    assert first.metadata["result_explanation"].startswith("The AI agent has successfully added the MIT License")
    assert first.metadata["accumulated_cost"] == 0.070713
    failed = [s.tool_result.output.split("]")[0] for s in second.steps if s.tool_result and s.tool_result.is_error]
    assert failed.count("[Your proposed edit has introduced new syntax error(s). Please understand the errors and retry your edit command.") == 8
    assert sum(f.startswith("[No exact match found in /workspace/src/PullRequestViewer.tsx") for f in failed) == 3


def test_v1_event_log() -> None:
    (trace,) = traces(V1)
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (18, 8, 3)
    assert trace.task == "Add a --verbose flag to cli.py that prints each processed file, then make sure the tests pass."
    calls = [s.tool_call for s in trace.steps if s.tool_call]
    assert [c.name for c in calls] == ["terminal", "terminal", "file_editor", "file_editor", "terminal", "grep",
                                       "file_editor", "terminal"]  # fmt: skip
    assert calls[0].arguments == {"command": "ls /workspace/app"}  # the LLM's security_risk is not an argument
    errors = [s.tool_result for s in trace.steps if s.tool_result and s.tool_result.is_error]
    assert [e.call_id for e in errors] == ["toolu_02", "toolu_05", "toolu_06"]
    assert errors[0].output.startswith("Cannot execute multiple commands at once.")
    assert errors[1].exit_code == 1
    assert errors[2].output.startswith("Tool 'grep' not found.")
    assert trace.steps[-1].role == "assistant" and trace.steps[-1].tool_call is None
    assert trace.steps[-1].text.startswith("Added --verbose to cli.py")
    assert trace.metadata["execution_status"] == "finished" and trace.metadata["events"] == 22
    assert trace.outcome.success is None


def test_v1_per_event_files_read_as_one_conversation(tmp_path: Path) -> None:
    """The SDK's on-disk layout: <conversation>/base_state.json + events/event-00000-<id>.json …"""
    conversation = tmp_path / "conv"
    events = conversation / "events"
    events.mkdir(parents=True)
    lines = V1.read_text().splitlines()
    for i, line in enumerate(lines):
        event = json.loads(line)
        (events / f"event-{i:05d}-{event['id']}.json").write_text(json.dumps(event, indent=2))
    state = {"id": "11111111-2222-3333-4444-555555555555", "agent": {"llm": {"model": "gpt-4o-mini"}, "tools": []},
             "execution_status": "finished", "max_iterations": 500, "stats": {}}  # fmt: skip
    (conversation / "base_state.json").write_text(json.dumps(state, indent=2))
    files = sorted(events.iterdir())
    for f in (files[0], files[7]):
        reader, _, reason = detect(f)
        assert reader is not None and reader.name == "openhands", reason
    (trace,) = traces(files[0])
    (from_jsonl,) = traces(V1)
    assert [s.model_dump() for s in trace.steps] == [s.model_dump() for s in from_jsonl.steps]
    assert trace.metadata["model"] == "gpt-4o-mini" and trace.metadata["event_files"] == 22
    assert read_all(files[7]) == []  # the conversation was read from its first file
    reader, _, _ = detect(conversation / "base_state.json")
    assert reader is not None and reader.name == "openhands"
    (skipped,) = read_all(conversation / "base_state.json")
    assert isinstance(skipped, Skipped) and skipped.reason.startswith("OpenHands conversation state, not a trace")


def test_eval_output_record_and_paired_history(tmp_path: Path) -> None:
    """Evaluation output: instance_id + history (V0 events, or [action, observation] pairs) + test_result."""
    events = json.loads((FOLDER / "basic.json").read_text())
    record = {"instance_id": "demo__game-2048", "instruction": "Please create a simple 2048 game.",
              "instance": {"repo": "demo/game", "problem_statement": "Create a simple 2048 game in Python."},
              "metadata": {"agent_class": "CodeActAgent", "llm_config": {"model": "anthropic/claude-3-5-sonnet-20241022"}},
              "history": events, "metrics": {"accumulated_cost": 0.12}, "error": None,
              "test_result": {"git_patch": "diff --git a/game_2048.py b/game_2048.py", "report": {"resolved": False}}}  # fmt: skip
    resolver = [json.loads(line) for line in (FOLDER / "resolver_output.jsonl").read_text().splitlines()]
    flat = resolver[0]["history"]
    paired = dict(resolver[0], history=[flat[0:1], flat[1:3], flat[3:5], flat[5:7], flat[7:8]])
    path = tmp_path / "output.jsonl"
    path.write_text(json.dumps(record) + "\n" + json.dumps(paired) + "\n")
    reader, _, _ = detect(path)
    assert reader is not None and reader.name == "openhands"
    evaluated, pairs = traces(path)
    assert evaluated.task == "Create a simple 2048 game in Python."
    assert (evaluated.outcome.success, evaluated.metadata["agent_class"]) == (False, "CodeActAgent")
    assert evaluated.metadata["model"] == "anthropic/claude-3-5-sonnet-20241022"
    assert evaluated.metadata["instance_id"] == "demo__game-2048"
    assert (len(evaluated.steps), evaluated.tool_calls) == (4, 1)
    assert (len(pairs.steps), pairs.tool_calls, pairs.outcome.success) == (8, 3, True)


def test_error_observations_and_agent_error_state(tmp_path: Path) -> None:
    events = json.loads((FOLDER / "basic.json").read_text())[:2]  # user message + edit action (id 3)
    events += [
        {"id": 4, "timestamp": "2025-01-27T22:45:14", "source": "agent", "message": "Permission denied", "cause": 3,
         "observation": "error", "content": "Permission denied: /workspace/game_2048.py", "extras": {}},
        {"id": 5, "timestamp": "2025-01-27T22:45:15", "source": "agent", "action": "run", "message": "Running",
         "args": {"command": "ls -l /workspace", "thought": "Check permissions."}},
        {"id": 6, "timestamp": "2025-01-27T22:45:16", "source": "agent", "cause": 5, "observation": "run",
         "content": "ls: cannot access '/workspace': Input/output error", "extras": {"command": "ls -l /workspace",
         "metadata": {"exit_code": 2}}},
        {"id": 7, "timestamp": "2025-01-27T22:45:17", "source": "environment", "message": "", "observation":
         "agent_state_changed", "content": "", "extras": {"agent_state": "error"}},
    ]  # fmt: skip
    path = tmp_path / "trajectory.json"
    path.write_text(json.dumps(events, indent=2))
    (trace,) = traces(path)
    results = [s.tool_result for s in trace.steps if s.tool_result]
    assert [(r.is_error, r.exit_code) for r in results] == [(True, None), (True, 2)]
    assert results[0].call_id == "toolu_017nBp7UfiGqyrA7j77HgtFP" and results[1].call_id == "event-5"
    assert trace.outcome.success is False and trace.metadata["agent_state"] == "error"


def test_truncated_array_and_damaged_jsonl_line(tmp_path: Path) -> None:
    data = (FOLDER / "basic.json").read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[: len(data) // 2])
    reader, _, _ = detect(cut)
    assert reader is not None and reader.name == "openhands"
    (skipped,) = read_all(cut)
    assert isinstance(skipped, Skipped) and skipped.line == cut.read_bytes().count(b"\n") + 1
    assert skipped.reason == "truncated JSON (the file ends mid-document); event array not read"

    first, second = (FOLDER / "resolver_output.jsonl").read_text().splitlines()
    damaged = tmp_path / "output.jsonl"
    damaged.write_text(first[: len(first) // 2] + "\n" + second + "\n")
    skipped, trace = read_all(damaged)
    assert isinstance(skipped, Skipped) and (skipped.path, skipped.line) == (str(damaged), 1)
    assert skipped.reason.startswith(("truncated JSON", "invalid JSON"))
    assert isinstance(trace, Trace) and trace.source.line == 2 and trace.task.startswith("Add a toggle for dark mode")


OURS = [FOLDER / "basic.json", FOLDER / "basic_interactions.json", FOLDER / "resolver_output.jsonl", V1]


@pytest.mark.parametrize("path", OURS, ids=[p.name for p in OURS])
def test_detect_picks_openhands(path: Path) -> None:
    reader, _, reason = detect(path)
    assert reader is not None and reader.name == "openhands", reason


def test_no_other_sample_is_detected_as_openhands() -> None:
    # chat_tool_calls/ holds OpenHands *LLM logs* (plain chat messages): those belong to openai-chat
    others = [p for p in sorted(SAMPLES.rglob("*")) if p.is_file() and p.name != "SOURCES.md" and p.parent != FOLDER]
    claimed = [p.name for p in others if (r := detect(p)[0]) is not None and r.name == "openhands"]
    assert claimed == []


def _write_events(path: Path, count: int, big_every: int = 0) -> None:
    with path.open("w") as fh:
        fh.write('[{"id": 0, "timestamp": "2025-01-01T00:00:00", "source": "user", "message": "go", '
                 '"action": "message", "args": {"content": "Fix the flaky test"}}')  # fmt: skip
        for i in range(1, count, 2):
            big = big_every and i % big_every == 1
            action = {"id": i, "timestamp": "2025-01-01T00:00:01", "source": "agent", "message": "Running command",
                      "action": "run", "args": {"command": f"pytest -k case_{i}", "thought": "try again"}}
            result = {"id": i + 1, "timestamp": "2025-01-01T00:00:02", "source": "agent", "cause": i, "observation": "run",
                      "content": "E" * 200_000 if big else "ok", "extras": {"metadata": {"exit_code": int(i % 3 == 0)}}}  # fmt: skip
            fh.write("," + json.dumps(action) + "," + json.dumps(result))
        fh.write("]")


@pytest.mark.slow
def test_streams_a_50k_event_trajectory(tmp_path: Path) -> None:
    path = tmp_path / "trajectory.json"
    _write_events(path, 50_001)
    start = time.perf_counter()
    (trace,) = traces(path)
    elapsed = time.perf_counter() - start
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (50_001, 25_000, 8_333)
    assert elapsed < 10, f"{elapsed:.1f}s"


def test_huge_outputs_are_clipped_and_memory_stays_bounded(tmp_path: Path) -> None:
    path = tmp_path / "trajectory.json"
    _write_events(path, 601, big_every=2)  # 300 observations of 200 KB: a 60 MB file
    size = path.stat().st_size
    tracemalloc.start()
    try:
        (trace,) = traces(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert max(len(s.tool_result.output) for s in trace.steps if s.tool_result) < 8_100
    assert peak < size / 8, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


@pytest.mark.slow
def test_resolver_jsonl_yields_trace_by_trace(tmp_path: Path) -> None:
    line = (FOLDER / "resolver_output.jsonl").read_text().splitlines()[1]
    path = tmp_path / "output.jsonl"
    path.write_text((line + "\n") * 400)
    size = path.stat().st_size
    seen = probe(path)  # the probe parses up to 1 MiB of first lines; measure the reading alone
    tracemalloc.start()
    try:
        count = 0
        for trace in READER.read(path, seen, ReadOptions()):
            assert isinstance(trace, Trace) and trace.errors == 11
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 400
    assert peak < size / 20, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"
