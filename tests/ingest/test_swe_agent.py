"""SWE-agent .traj reader, on the five real trajectories in tests/data/samples/swe_agent_traj/.

Expected counts were derived from the raw files with plain ``json`` (not the reader):
steps = 1 (the task message) + 2 per ``trajectory`` item (action + observation), or, for the
history-only ``function_calling_simple.traj``, 1 + its 5 assistant ``tool_calls`` messages + 5
``role: tool`` messages; errors = observations whose head holds a Python traceback or SWE-agent's
"Your proposed edit has introduced new syntax error(s)" (pydicom: step 3 traceback + 3 failed edits).
"""

from __future__ import annotations

import json
import shutil
import time
import tracemalloc
from pathlib import Path

import pytest

from skillforge.ingest.base import ReadOptions
from skillforge.ingest.detect import detect
from skillforge.ingest.formats.swe_agent import READERS
from skillforge.ingest.probe import probe
from skillforge.models import Skipped, Trace

SAMPLES = Path(__file__).parents[1] / "data" / "samples"
OURS = sorted((SAMPLES / "swe_agent_traj").glob("*.traj"))
READER = READERS[0]


def read_all(path: Path) -> list[Trace | Skipped]:
    return list(READER.read(path, probe(path), ReadOptions()))


def one_trace(path: Path) -> Trace:
    (trace,) = read_all(path)
    assert isinstance(trace, Trace), trace
    return trace


# file, steps, tool calls, errors, start of the task text
EXPECTED = [
    ("6e44b9__sweagenttestrepo-1c2844.traj", 11, 5, 0, "SyntaxError: invalid syntax\nI'm running `missing_colon.py`"),
    ("ctf_misc_networking_1.traj", 9, 4, 0, "We're currently solving the following CTF challenge."),
    ("function_calling_simple.traj", 11, 5, 0, "SyntaxError: invalid syntax\nI'm running `missing_colon.py`"),
    ("pydicom__pydicom-1458.traj", 25, 12, 4, "Pixel Representation attribute should be optional for pixel data handler"),
    ("swe-agent__test-repo-i1.traj", 11, 5, 0, "SyntaxError: invalid syntax\nI'm running `missing_colon.py`"),
]


@pytest.mark.parametrize(("name", "steps", "calls", "errors", "task"), EXPECTED, ids=[e[0] for e in EXPECTED])
def test_real_trajectories_counts_and_task(name: str, steps: int, calls: int, errors: int, task: str) -> None:
    path = SAMPLES / "swe_agent_traj" / name
    trace = one_trace(path)
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (steps, calls, errors)
    assert trace.task.startswith(task)
    assert "INSTRUCTIONS:" not in trace.task  # the template around the issue is cut away
    assert trace.id == Trace.make_id(str(path), 0)
    assert (trace.source.format, trace.source.index, trace.source.line) == ("swe-agent", 0, None)
    # every file says "submitted": an agent's own submission is not a verdict
    assert trace.outcome.success is None and trace.outcome.error is None
    assert trace.steps[0].role == "user"
    assert all(s.tool_result is not None for s in trace.steps if s.role == "tool")


def test_function_calling_names_arguments_and_ids_come_from_history() -> None:
    trace = one_trace(SAMPLES / "swe_agent_traj" / "6e44b9__sweagenttestrepo-1c2844.traj")
    calls = [s.tool_call for s in trace.steps if s.tool_call]
    assert [c.name for c in calls] == ["find_file", "open", "edit", "bash", "submit"]
    assert calls[0].arguments == {"file_name": "missing_colon.py"}
    assert calls[0].id == "call_fJuazlMUN5fQDQ73G6XSpYpx"
    assert calls[3].arguments == {"command": "python3 /SWE-agent__test-repo/tests/missing_colon.py"}
    # the final submit has no history message (never shown to the model): parsed from the action text
    assert (calls[4].arguments, calls[4].id) == ({"command": "submit"}, None)
    results = [s.tool_result for s in trace.steps if s.tool_result]
    assert [r.call_id for r in results[:4]] == [c.id for c in calls[:4]]
    assert results[3].output == "8.2"
    assert trace.metadata["model"] == "gpt-4o"
    assert trace.metadata["instance_id"] == "SWE-agent__test-repo-i1"
    assert trace.metadata["api_calls"] == 5 and trace.metadata["exit_status"] == "submitted"
    assert trace.metadata["submission"].lstrip().startswith("diff --git a/tests/missing_colon.py")


def test_text_parsed_actions_use_the_first_word_as_tool_name() -> None:
    trace = one_trace(SAMPLES / "swe_agent_traj" / "pydicom__pydicom-1458.traj")
    calls = [s.tool_call for s in trace.steps if s.tool_call]
    assert [c.name for c in calls] == [
        "create", "edit", "python", "find_file", "open", "edit", "edit", "edit", "edit", "python", "rm", "submit",
    ]  # fmt: skip
    assert calls[0].arguments == {"command": "create reproduce_bug.py"}
    assert calls[1].arguments["command"].startswith("edit 1:1\nimport numpy as np")
    failed = [s.tool_result.output.splitlines()[0] for s in trace.steps if s.tool_result and s.tool_result.is_error]
    assert failed[0] == "Traceback (most recent call last):"
    assert failed[1:] == ["Your proposed edit has introduced new syntax error(s). Please understand the fixes and "
                          "retry your edit commmand."] * 3  # fmt: skip
    assert trace.steps[1].text.startswith("First, I'll create a new Python script to reproduce the bug")


def test_demonstrations_are_not_the_task_or_steps() -> None:
    # 0.x files put a worked demonstration (is_demo) before the real issue in history
    for name in ("pydicom__pydicom-1458.traj", "swe-agent__test-repo-i1.traj"):
        trace = one_trace(SAMPLES / "swe_agent_traj" / name)
        assert not any("--- DEMONSTRATION ---" in s.text for s in trace.steps)
        assert trace.steps[0].text.startswith("We're currently solving the following issue within our repository.")


def test_history_only_file_pairs_tool_results_with_call_ids() -> None:
    trace = one_trace(SAMPLES / "swe_agent_traj" / "function_calling_simple.traj")
    calls = [s.tool_call for s in trace.steps if s.tool_call]
    results = [s.tool_result for s in trace.steps if s.tool_result]
    assert [c.name for c in calls] == ["find_file", "open", "edit", "bash", "submit"]
    assert [r.call_id for r in results] == [c.id for c in calls]
    assert calls[4].arguments == {}
    assert trace.metadata == {"agent": "swe-agent"}  # no info block in this file


def test_ctf_submission_is_kept_in_metadata() -> None:
    trace = one_trace(SAMPLES / "swe_agent_traj" / "ctf_misc_networking_1.traj")
    assert trace.metadata["submission"] == "flag{d316759c281bf925d600be698a4973d5}"
    assert [s.tool_call.name for s in trace.steps if s.tool_call] == ["tshark", "tshark", "tshark", "submit"]


@pytest.mark.parametrize("status", ["exit_cost", "exit_format", "exit_error"])
def test_exit_status_errors_mark_the_run_failed(tmp_path: Path, status: str) -> None:
    doc = json.loads((SAMPLES / "swe_agent_traj" / "swe-agent__test-repo-i1.traj").read_text())
    doc["info"]["exit_status"] = status
    path = tmp_path / "run.traj"
    path.write_text(json.dumps(doc, indent=4))
    trace = one_trace(path)
    assert (trace.outcome.success, trace.outcome.error) == (False, status)
    assert trace.metadata["exit_status"] == status


def test_truncated_copy_is_skipped_with_line(tmp_path: Path) -> None:
    data = (SAMPLES / "swe_agent_traj" / "pydicom__pydicom-1458.traj").read_bytes()
    path = tmp_path / "cut.traj"
    path.write_bytes(data[: len(data) // 2])
    reader, _, _ = detect(path)
    assert reader is not None and reader.name == "swe-agent"  # the start still looks like a .traj
    (skipped,) = read_all(path)
    assert isinstance(skipped, Skipped)
    assert skipped.reason == "truncated JSON (the file ends mid-document); trajectory not read"
    assert skipped.line == path.read_bytes().count(b"\n") + 1


def test_garbled_copy_names_the_broken_line(tmp_path: Path) -> None:
    lines = (SAMPLES / "swe_agent_traj" / "swe-agent__test-repo-i1.traj").read_text().splitlines()
    lines[40] = lines[40] + ",,"
    path = tmp_path / "garbled.traj"
    path.write_text("\n".join(lines))
    (skipped,) = read_all(path)
    assert isinstance(skipped, Skipped)
    assert skipped.line == 41 and skipped.reason.startswith("invalid JSON (")


@pytest.mark.parametrize("path", OURS, ids=[p.name for p in OURS])
def test_detect_picks_swe_agent(path: Path) -> None:
    reader, _, reason = detect(path)
    assert reader is not None and reader.name == "swe-agent", reason


def test_no_other_sample_is_detected_as_swe_agent() -> None:
    others = [p for p in sorted(SAMPLES.rglob("*")) if p.is_file() and p.name != "SOURCES.md" and p not in OURS]
    claimed = [p.name for p in others if (r := detect(p)[0]) is not None and r.name == "swe-agent"]
    assert claimed == []


def test_streams_a_large_1x_trajectory_with_bounded_memory(tmp_path: Path) -> None:
    """1.x repeats the whole conversation in every step's ``query``: the reader must not build it."""
    history = [{"role": "system", "content": "SETTING", "agent": "main", "message_type": "system_prompt"},
               {"role": "user", "content": "ISSUE:\nfix the flaky test\n\nINSTRUCTIONS:\n...", "agent": "main",
                "message_type": "observation"}]  # fmt: skip
    path = tmp_path / "big.traj"
    steps = 200
    with path.open("w") as fh:
        fh.write('{"environment": "main", "trajectory": [')
        for i in range(steps):
            item = {"action": f"python test_{i}.py", "observation": "Traceback (most recent call last):\n" if i % 5 == 0
                    else "ok", "response": "", "thought": f"attempt {i}", "execution_time": 0.1,
                    "state": {"open_file": "n/a", "working_dir": "/repo"}, "query": history, "extra_info": {}}  # fmt: skip
            fh.write(("," if i else "") + json.dumps(item, indent=2))
            history = [*history, {"role": "user", "content": f"observation {i} " + "y" * 1500, "agent": "main"}]
        fh.write('], "history": ' + json.dumps(history[:2]) + ', "info": {"exit_status": "submitted"}}')
    size = path.stat().st_size
    assert size > 30_000_000
    tracemalloc.start()
    try:
        trace = one_trace(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (1 + 2 * steps, steps, steps // 5)
    assert trace.task == "fix the flaky test"
    assert peak < size / 5, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


def test_reading_the_samples_folder_is_fast_and_deterministic(tmp_path: Path) -> None:
    folder = tmp_path / "runs"
    shutil.copytree(SAMPLES / "swe_agent_traj", folder)
    start = time.perf_counter()
    first = [one_trace(p).model_dump() for p in sorted(folder.glob("*.traj"))]
    assert time.perf_counter() - start < 2
    assert first == [one_trace(p).model_dump() for p in sorted(folder.glob("*.traj"))]
    json.dumps(first)  # metadata is JSON-serializable


FIXTURES = Path(__file__).parents[1] / "data" / "fixtures" / "swe_agent"


@pytest.mark.parametrize(
    ("name", "failed"),
    [
        # Real 0.x runs (excerpts): the edit command's refusal, EnIGMA's flag check and the harness's kill.
        ("commit0_no_file_open.traj", ["No file open. Use the `open` command first."] * 2),
        ("enigma_wrong_flag_timeout.traj", ["Wrong flag!", "\nEXECUTION TIMED OUT"]),
    ],
)
def test_refusals_of_swe_agent_commands_are_errors(name: str, failed: list[str]) -> None:
    trace = one_trace(FIXTURES / name)
    assert [s.tool_result.output for s in trace.steps if s.tool_result and s.tool_result.is_error] == failed


@pytest.mark.parametrize(
    ("observation", "is_error"),
    [
        ("Usage: goto <line>", True),
        ("File reproduce.py not found", True),
        ("The path /testbed/x.py does not exist. Please provide a valid path.", True),
        ("No replacement was performed, old_str `a` did not appear verbatim in /testbed/x.py.", True),
        ("Operation 'vim x.py' is not supported by this environment.", True),
        ("output line\nEXECUTION TIMED OUT BECAUSE NO OUTPUT WAS PRODUCED FOR MORE THAN 60.0 SECONDS.", True),
        ('No matches found for "foo" in /testbed', False),  # a search that found nothing did its job
        ("File updated. Please review the changes and make sure they are correct", False),
        ("[File: /testbed/x.py (10 lines total)]\n1:Usage: goto <line>", False),
    ],
)
def test_refusal_is_read_at_the_start_of_the_observation(observation: str, is_error: bool, tmp_path: Path) -> None:
    traj = {
        "environment": "swe_main",
        "trajectory": [{"action": "goto 5", "observation": observation, "thought": "t", "response": "t"}],
        "history": [{"role": "system", "content": "s", "agent": "primary"}, {"role": "user", "content": "task"}],
        "info": {"exit_status": "submitted"},
    }
    path = tmp_path / "x.traj"
    path.write_text(json.dumps(traj, indent=2), encoding="utf-8")
    (result,) = [s.tool_result for s in one_trace(path).steps if s.tool_result]
    assert result.is_error is is_error
