"""The Codex rollout reader on the real rollout and codemie-code's hand-written turn fixtures."""

from __future__ import annotations

import copy
import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from skillforge.ingest import inspect_paths
from skillforge.ingest.base import ReadOptions
from skillforge.ingest.detect import detect
from skillforge.ingest.formats import codex
from skillforge.ingest.probe import probe
from skillforge.models import Skipped, Trace

SAMPLES = Path(__file__).parents[1] / "data" / "samples"
ROLLOUTS = SAMPLES / "codex_rollout"
REAL = ROLLOUTS / "rollout-2026-05-11T13-28-45-019e1695-0522-7c83-8b39-0dd379793f80.jsonl"


def read(path: Path) -> tuple[list[Trace], list[Skipped]]:
    items = list(codex.READERS[0].read(path, probe(path), ReadOptions()))
    return [i for i in items if isinstance(i, Trace)], [i for i in items if isinstance(i, Skipped)]


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, recs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path



def test_real_rollout_exact_counts() -> None:
    # From the raw file with jq: 38 distinct response_item *_call call_ids (35 exec_command, 3 js), 38
    # *_call_output, 3 event_msg user_message, 3 response_item assistant messages -> 82 steps. Outputs
    # saying "Process exited with code N": 34 with 0, 1 with 1 (line 47, `ps` not permitted).
    (trace,), skipped = read(REAL)
    assert skipped == []
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (82, 38, 1)
    codes = [s.tool_result.exit_code for s in trace.steps if s.tool_result]
    assert (codes.count(0), codes.count(1), codes.count(None)) == (34, 1, 3)
    failed = next(s.tool_result for s in trace.steps if s.tool_result and s.tool_result.is_error)
    assert (
        failed.call_id == "call_3f7AXDMZ9PHz7zedrTO4twut" and "operation not permitted: ps" in failed.output
    )
    calls = {s.tool_call.id: s.tool_call for s in trace.steps if s.tool_call}
    results = [s.tool_result.call_id for s in trace.steps if s.tool_result]
    assert sorted(results) == sorted(calls)  # every call has exactly one result
    assert calls["call_3f7AXDMZ9PHz7zedrTO4twut"].arguments["cmd"].startswith("ps -ef")
    # Codex Desktop puts the mentioned files above the request; the task is the request.
    assert trace.task == (
        "analyze trascript and summarzie action items related to codemie and demo preapration, "
        "specifically focus on demo, User and Vadym"
    )
    assert trace.steps[0].text.startswith("# Files mentioned by the user:")  # the step keeps it all
    assert [s.text[:24] for s in trace.steps if s.role == "user"][1:] == [
        "there is a need for niki",
        "use app tools to go to A",
    ]
    meta = trace.metadata
    assert (meta["originator"], meta["cli_version"], meta["session_id"]) == (
        "Codex Desktop",
        "0.128.0-alpha.1",
        "019e1695-0522-7c83-8b39-0dd379793f80",
    )
    assert (meta["started_at"], meta["ended_at"]) == ("2026-05-11T10:28:45.482Z", "2026-05-11T11:48:14.988Z")
    assert trace.source.line == 1 and trace.id == Trace.make_id(str(REAL), 0)


def test_turn_fixtures_take_prompts_from_events_once() -> None:
    # turn-2.jsonl: two turns; each prompt appears as a response_item (line 6, 18) and an event (7, 19),
    # each answer as an event agent_message (10, 22) and a response_item (11, 23).
    (trace,), _ = read(ROLLOUTS / "turn-2.jsonl")
    assert [(s.role, s.text) for s in trace.steps] == [
        ("user", "Hello, Codex! Please explain what you do."),
        ("assistant", "I am Codex, an AI coding assistant by OpenAI."),
        ("user", "What languages can you work with?"),
        (
            "assistant",
            "I can work with many programming languages including Python, JavaScript, TypeScript, Go, "
            "and Rust.",
        ),
    ]
    assert not any(
        "environment_context" in s.text or "permissions instructions" in s.text for s in trace.steps
    )
    assert trace.metadata["model"] == "o4-mini" and trace.metadata["reasoning_effort"] == "medium"
    assert trace.metadata["usage"]["input_tokens"] == 1100  # the last token_count's running total
    (one,), _ = read(ROLLOUTS / "turn-1.jsonl")
    assert len(one.steps) == 2 and one.task == "Hello, Codex! Please explain what you do."


def _event(ts: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": ts, "type": "event_msg", "payload": payload}


def _item(ts: str, payload: dict[str, Any]) -> dict[str, Any]:
    return {"timestamp": ts, "type": "response_item", "payload": payload}


def test_results_from_outputs_and_events_merge_by_call_id(tmp_path: Path) -> None:
    # The real rollout's first 10 lines plus records in the shapes the CLI writes (trace_formats.md §5).
    recs = records(REAL)[:10]
    ts = recs[-1]["timestamp"]
    ok_call = recs[3]["payload"]["call_id"]  # line 4, its output (line 5) says exit code 0
    running = copy.deepcopy(recs[3])
    running["payload"].update(call_id="call_long", arguments=json.dumps({"cmd": "pytest -x"}))
    patch = "*** Begin Patch\n*** Update File: a.py\n@@\n-x = 1\n+x = 2\n*** End Patch"
    recs += [
        _event(
            ts,
            {
                "type": "exec_command_end",
                "call_id": ok_call,
                "exit_code": 0,
                "status": "completed",
                "aggregated_output": "same output again",
            },
        ),
        running,
        _item(
            ts,
            {
                "type": "function_call_output",
                "call_id": "call_long",
                "output": "Chunk ID: 1\nWall time: 10.0 seconds\n"
                "Process running with session ID 7\nOutput:\n..F",
            },
        ),
        _event(
            ts,
            {
                "type": "exec_command_end",
                "call_id": "call_long",
                "exit_code": 2,
                "status": "failed",
                "aggregated_output": "..F\n1 failed",
            },
        ),
        _item(
            ts,
            {
                "type": "custom_tool_call",
                "name": "apply_patch",
                "input": patch,
                "call_id": "call_patch",
                "status": "completed",
            },
        ),
        _event(
            ts,
            {
                "type": "patch_apply_end",
                "call_id": "call_patch",
                "success": False,
                "stderr": "Failed to find expected lines in a.py",
            },
        ),
        _item(
            ts,
            {
                "type": "custom_tool_call_output",
                "call_id": "call_patch",
                "output": json.dumps(
                    {
                        "output": "Failed to find expected lines in a.py",
                        "metadata": {"exit_code": 1, "duration_seconds": 0.0},
                    }
                ),
            },
        ),
        _item(
            ts,
            {
                "type": "web_search_call",
                "status": "completed",
                "action": {"type": "search", "query": "codex rollout format"},
            },
        ),
        _event(
            ts,
            {
                "type": "exec_command_end",
                "call_id": "call_event_only",
                "exit_code": 0,
                "status": "completed",
                "aggregated_output": "done",
            },
        ),
    ]
    (trace,), _ = read(write_jsonl(tmp_path / "rollout.jsonl", recs))
    results = {s.tool_result.call_id: s.tool_result for s in trace.steps if s.tool_result}
    assert (
        sum(1 for s in trace.steps if s.tool_result) == len(results) == 6
    )  # 3 real + long + patch + event-only
    assert results[ok_call].is_error is False and results[ok_call].output.startswith("Chunk ID: bd7d7c")
    assert (results["call_long"].is_error, results["call_long"].exit_code) == (True, 2)
    assert (results["call_patch"].is_error, results["call_patch"].exit_code) == (True, 1)
    assert results["call_event_only"].output == "done"
    calls = [s.tool_call for s in trace.steps if s.tool_call]
    assert [c.name for c in calls][-3:] == ["exec_command", "apply_patch", "web_search"]
    assert calls[-2].arguments == patch and calls[-1].arguments["query"] == "codex rollout format"
    assert trace.errors == 2


def test_error_event_and_abort_become_the_outcome(tmp_path: Path) -> None:
    recs = records(ROLLOUTS / "turn-1.jsonl")[:-1]  # drop task_complete
    recs.append(
        _event(recs[-1]["timestamp"], {"type": "error", "message": "stream disconnected before completion"})
    )
    (trace,), _ = read(write_jsonl(tmp_path / "err.jsonl", recs))
    assert trace.outcome.error == "stream disconnected before completion"
    assert trace.steps[-1].role == "system"
    recs[-1] = _event(recs[-1]["timestamp"], {"type": "turn_aborted", "reason": "interrupted"})
    (trace,), _ = read(write_jsonl(tmp_path / "abort.jsonl", recs))
    assert trace.outcome.error == "turn aborted: interrupted"
    (done,), _ = read(ROLLOUTS / "turn-1.jsonl")
    assert done.outcome.error is None


def test_legacy_rollout_without_envelope(tmp_path: Path) -> None:
    # 2025 CLIs wrote a header line and then the bare response items (no timestamp/type/payload envelope).
    real = [r["payload"] for r in records(REAL)[3:5]]  # a real function_call and its output
    recs = [
        {
            "id": "5973b6c0-94b8-487b-a530-2aeb6098ae0e",
            "timestamp": "2025-04-18T16:31:18.123Z",
            "instructions": None,
            "git": {"branch": "main"},
        },
        {"record_type": "state"},
        {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "list the plugins"}]},
        *real,
        {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "Done."}]},
    ]
    path = write_jsonl(tmp_path / "rollout-2025-04-18T16-31-18-5973b6c0.jsonl", recs)
    assert codex.sniff(probe(path)) >= 0.8
    (trace,), _ = read(path)
    assert [s.role for s in trace.steps] == ["user", "assistant", "tool", "assistant"]
    assert trace.task == "list the plugins" and trace.metadata["session_id"] == recs[0]["id"]
    assert trace.steps[2].tool_result is not None and trace.steps[2].tool_result.exit_code == 0


def test_bad_lines_are_skipped_with_their_line_number(tmp_path: Path) -> None:
    lines = REAL.read_bytes().splitlines(keepends=True)[:12]
    lines[4] = b'{"timestamp": "x", "type": response_item}\n'  # line 5 (the output of line 4's call)
    damaged = tmp_path / "rollout.jsonl"
    damaged.write_bytes(b"".join(lines) + lines[11].rstrip()[:-2])  # line 13 cut mid-write
    (trace,), skipped = read(damaged)
    assert [s.line for s in skipped] == [5, 13]
    assert skipped[1].reason == "truncated JSON"
    # calls on lines 4, 7, 8, 12; outputs on 9 and 10 (line 5 is the damaged one)
    assert trace.tool_calls == 4 and sum(1 for s in trace.steps if s.tool_result) == 2


@pytest.mark.slow
def test_20k_line_rollout_streams(tmp_path: Path) -> None:
    recs = records(REAL)
    head, pair = recs[:2], recs[3:5]  # session_meta, user_message; a real call and its output
    big = tmp_path / "rollout-big.jsonl"
    with big.open("w", encoding="utf-8") as fh:
        fh.write("".join(json.dumps(r) + "\n" for r in head))
        text = "\n".join(json.dumps(r) for r in pair)
        for k in range(10_000):
            fh.write(text.replace(pair[0]["payload"]["call_id"], f"call_{k}") + "\n")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        (trace,), skipped = read(big)
        held, peak = tracemalloc.get_traced_memory()  # ``held`` is the finished trace
    finally:
        tracemalloc.stop()
    assert skipped == [] and (trace.tool_calls, len(trace.steps)) == (10_000, 20_001)
    # The outputs are non-ASCII text, so the trace itself takes ~2x the 60 MiB file (measured 133 MiB);
    # what reading adds on top of the result must stay small and independent of the file size.
    assert peak - held < 16 << 20, f"reading overhead {(peak - held) >> 20} MiB"
    assert time.perf_counter() - started < 60


@pytest.mark.parametrize("path", sorted(ROLLOUTS.glob("*.jsonl")), ids=lambda p: p.name[:14])
def test_detect_picks_codex(path: Path) -> None:
    reader, _, reason = detect(path)
    assert reader is not None and reader.name == "codex", reason


def test_detect_does_not_claim_other_formats() -> None:
    others = [
        p
        for p in sorted(SAMPLES.rglob("*")) + sorted((SAMPLES.parent / "fixtures").rglob("*"))
        if p.is_file() and p.name != "SOURCES.md" and not {"codex_rollout", "codex"} & set(p.parts)
    ]
    assert [str(p) for p in others if (r := detect(p)[0]) is not None and r.name == "codex"] == []


def test_inspect_counts() -> None:
    (report,) = inspect_paths([REAL])
    assert (report.format, report.traces, report.steps, report.tool_calls, report.errors) == (
        "codex",
        1,
        82,
        38,
        1,
    )


UNIFIED_EXEC = Path(__file__).parents[1] / "data" / "fixtures" / "codex" / "unified_exec_polls.jsonl"


def test_polled_command_owns_its_exit_and_a_failed_poll_is_an_error() -> None:
    # Real codex-tui 0.125.0 lines: `sed` and `rg` answer "Process running with session ID N"; write_stdin
    # polls of N report "Process exited with code N"; exec_command_end brings the command's whole output.
    (trace,), skipped = read(UNIFIED_EXEC)
    assert skipped == []
    results = {s.tool_result.call_id: s.tool_result for s in trace.steps if s.tool_result}
    calls = [s.tool_call.id for s in trace.steps if s.tool_call]
    assert sorted(results) == sorted(calls)
    rg, rg_poll = results["call_NqXBF7JK4NH5M85YXgojxxmC"], results["call_6YhDEiPvTJjMNdn6h89qlZOC"]
    assert (rg.is_error, rg.exit_code) == (True, 2)
    assert rg.output.startswith("rg: node_modules/opencode-ai: No such file or directory")
    assert (rg_poll.is_error, rg_poll.exit_code) == (False, None)  # the failure is counted once, on `rg`
    sed, sed_poll = results["call_zOko7eyx8Gir3nKA0m2HzUYU"], results["call_DB5AJii3vOjg1IAlyKDuOfK2"]
    assert (sed.is_error, sed.exit_code) == (False, 0) and sed.output.startswith("---\nname: brainstorming")
    assert (sed_poll.is_error, sed_poll.exit_code) == (False, None)
    interrupt = results["call_T8WFc2EjJV2QZKr07SfDPwmE"]  # Ctrl-C sent to a session without a tty
    assert interrupt.is_error and interrupt.output.startswith("write_stdin failed: stdin is closed")
    assert trace.errors == 2
