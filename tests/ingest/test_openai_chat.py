"""The OpenAI chat-completions reader on OpenHands' real message files and the tau-bench-shaped fixture."""

from __future__ import annotations

import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from skillforge.ingest import inspect_paths
from skillforge.ingest.base import ReadOptions
from skillforge.ingest.detect import detect
from skillforge.ingest.formats import openai_chat
from skillforge.ingest.probe import probe
from skillforge.models import Skipped, Trace

DATA = Path(__file__).parents[1] / "data"
SAMPLES = DATA / "samples"
CHAT = SAMPLES / "chat_tool_calls"
FNCALL = CHAT / "fncall-llm-message.json"
NONFNCALL = CHAT / "nonfncall-llm-message.json"
LLM_LOG = CHAT / "litellm_proxy__anthropic__claude-sonnet-4-20250514-1757015025.972.json"
TAU = DATA / "fixtures" / "openai_chat" / "tau_bench_results.json"
TASK = "Hello! Can you create a new Python file named hello.py that prints 'Hello, World!'?"


def read(path: Path) -> tuple[list[Trace], list[Skipped]]:
    items = list(openai_chat.READERS[0].read(path, probe(path), ReadOptions()))
    return [i for i in items if isinstance(i, Trace)], [i for i in items if isinstance(i, Skipped)]


def messages(path: Path = FNCALL) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))



def test_bare_message_array() -> None:
    # 14 messages: system, user, 6 assistant messages with one tool_call each, 6 tool messages -> 14 steps.
    # Errors: tool messages carry no flag, so the shared heuristic decides; only the first one
    # ("Ran into [Errno 2] No such file or directory ...") reads as a failure.
    (trace,), skipped = read(FNCALL)
    assert skipped == []
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (14, 6, 1)
    assert trace.task == TASK and trace.source.line is None
    assert [s.role for s in trace.steps[:4]] == ["system", "user", "assistant", "tool"]
    call = trace.steps[2].tool_call
    assert call is not None and (call.name, call.id) == (
        "str_replace_editor",
        "toolu_01AaHKJphyeTw3GFp4Xgiekv",
    )
    assert call.arguments == {
        "command": "create",
        "path": "/workspace/hello.py",
        "file_text": "print('Hello, World!')",
        "security_risk": "LOW",
    }
    assert trace.steps[2].text.startswith("I'll create a new Python file")  # the content rides on the call
    assert trace.steps[3].tool_result is not None and trace.steps[3].tool_result.is_error
    assert trace.steps[3].tool_result.call_id == call.id
    # "[The command completed with exit code 0.]" is OpenHands' own statement of the exit code.
    assert [s.tool_result.exit_code for s in trace.steps if s.tool_result] == [None, 0, None, None, 0, None]


def test_openhands_completion_log_adds_the_response() -> None:
    (trace,), _ = read(LLM_LOG)
    assert [s.role for s in trace.steps] == ["system", "user", "assistant"]
    final = trace.steps[-1].tool_call
    assert final is not None and final.name == "str_replace_editor" and final.arguments["command"] == "create"
    assert trace.metadata == {
        "context_window": 200000,
        "cost_usd": 0.016626000000000002,
        "latency_sec": 4.65870213508606,
        "model": "litellm_proxy/claude-sonnet-4-20250514",
        "stop_reason": "tool_calls",
        "timestamp": 1757015025.9723232,
        "usage": {
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "completion_tokens": 146,
            "prompt_tokens": 4812,
            "total_tokens": 4958,
        },
    }


def test_nonfncall_file() -> None:
    # Despite its name the file uses tool_calls: 10 messages, 4 calls, 4 results, no failure.
    (trace,), _ = read(NONFNCALL)
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (10, 4, 0)
    assert [s.tool_call.name for s in trace.steps if s.tool_call] == [
        "terminal",
        "str_replace_editor",
        "terminal",
        "finish",
    ]


def _as_text_form(msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """OpenHands' non-function-calling conversion: calls written into the text, results sent as user text."""
    out = []
    for m in msgs:
        if m["role"] == "assistant" and m.get("tool_calls"):
            text = m["content"] or ""
            for tc in m["tool_calls"]:
                params = "".join(
                    f"<parameter={k}>\n{v}\n</parameter>\n"
                    for k, v in json.loads(tc["function"]["arguments"]).items()
                )
                text += f"\n\n<function={tc['function']['name']}>\n{params}</function>"
            out.append({"role": "assistant", "content": text})
        elif m["role"] == "tool":
            out.append({"role": "user", "content": f"EXECUTION RESULT of [{m['name']}]:\n{m['content']}"})
        else:
            out.append(m)
    return out


def test_calls_embedded_in_text_are_parsed(tmp_path: Path) -> None:
    path = tmp_path / "nonfncall-text.json"
    path.write_text(json.dumps(_as_text_form(messages(NONFNCALL)), indent=2))
    (trace,), _ = read(path)
    (native,), _ = read(NONFNCALL)
    assert (len(trace.steps), trace.tool_calls) == (10, 4)
    assert [(s.tool_call.name, s.tool_call.arguments) for s in trace.steps if s.tool_call] == [
        (s.tool_call.name, s.tool_call.arguments) for s in native.steps if s.tool_call
    ]
    assert trace.steps[2].text == native.steps[2].text  # the prose before <function=...> stays as text
    outputs = [s.tool_result.output for s in trace.steps if s.tool_result]
    assert outputs == [s.tool_result.output for s in native.steps if s.tool_result]


def test_tau_bench_results_one_trace_per_item() -> None:
    traces, skipped = read(TAU)
    assert skipped == []
    assert [(t.source.index, t.outcome.success, t.outcome.reward) for t in traces] == [
        (0, True, 1.0),
        (1, False, 0.0),
    ]
    # item 1 = first 8 messages: Errno 2 failure + the "Error: ..." tool message tau-bench writes.
    assert [(len(t.steps), t.tool_calls, t.errors) for t in traces] == [(14, 6, 1), (8, 3, 2)]
    assert traces[0].task.startswith("You want a Python file named hello.py")  # info.task.instruction
    assert traces[1].metadata == {"source": "user", "task_id": 1, "trial": 0, "user_cost_usd": 0.0021}
    assert traces[0].id != traces[1].id == Trace.make_id(str(TAU), 1)


def test_jsonl_of_messages_skips_a_bad_line(tmp_path: Path) -> None:
    lines = [json.dumps(m) for m in messages()]
    lines[5] = lines[5][:40]  # line 6 (a tool message) cut mid-write
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(lines) + "\n")
    (trace,), skipped = read(path)
    assert [(s.line, s.reason) for s in skipped] == [(6, "invalid JSON (Unterminated string starting at)")]
    assert (len(trace.steps), trace.tool_calls) == (13, 6) and trace.source.line == 1


def test_jsonl_and_array_of_conversations(tmp_path: Path) -> None:
    convs = [{"messages": messages(), "model": "gpt-4o"}, {"messages": messages(NONFNCALL)}]
    jsonl = tmp_path / "conversations.jsonl"
    jsonl.write_text("".join(json.dumps(c) + "\n" for c in convs))
    traces, _ = read(jsonl)
    assert [(t.source.index, t.source.line, t.tool_calls, t.metadata.get("model")) for t in traces] == [
        (0, 1, 6, "gpt-4o"),
        (1, 2, 4, None),
    ]
    array = tmp_path / "conversations.json"
    array.write_text(json.dumps(convs, indent=1))
    assert [(t.source.index, t.tool_calls) for t in read(array)[0]] == [(0, 6), (1, 4)]


def test_damaged_array_keeps_what_came_before(tmp_path: Path) -> None:
    text = TAU.read_text()
    damaged = tmp_path / "tau_cut.json"
    damaged.write_text(text[: text.index('"task_id": 1')])  # cut inside item 1
    items = list(openai_chat.READERS[0].read(damaged, probe(damaged), ReadOptions()))
    assert isinstance(items[0], Trace) and items[0].outcome.reward == 1.0
    assert isinstance(items[1], Skipped) and items[1].reason.startswith("invalid JSON, stopped reading")
    assert len(items) == 2


@pytest.mark.slow
def test_large_array_streams(tmp_path: Path) -> None:
    msgs = messages()
    big = tmp_path / "big.json"
    with big.open("w") as fh:  # 20,002 messages: the 12 call/result messages repeated with new ids
        fh.write("[" + json.dumps(msgs[0]) + ",\n" + json.dumps(msgs[1]))
        body = [json.dumps(m) for m in msgs[2:]]
        for k in range(20_000 // len(body)):
            fh.write(",\n" + ",\n".join(b.replace("toolu_", f"toolu_{k}_") for b in body))
        fh.write("]\n")
    tracemalloc.start()
    started = time.perf_counter()
    try:
        (trace,), _ = read(big)
        held, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert (len(trace.steps), trace.tool_calls) == (2 + 12 * 1666, 6 * 1666)
    assert peak - held < 16 << 20, f"reading overhead {(peak - held) >> 20} MiB"  # ijson streams the array
    assert time.perf_counter() - started < 60


@pytest.mark.parametrize("path", [FNCALL, NONFNCALL, LLM_LOG, TAU], ids=lambda p: p.name[:20])
def test_detect_picks_openai_chat(path: Path) -> None:
    reader, _, reason = detect(path)
    assert reader is not None and reader.name == "openai-chat", reason


def test_detect_does_not_claim_other_formats() -> None:
    others = [
        p
        for p in sorted(SAMPLES.rglob("*")) + sorted((DATA / "fixtures").rglob("*"))
        if p.is_file() and p.name != "SOURCES.md" and not {"chat_tool_calls", "openai_chat"} & set(p.parts)
    ]
    assert [str(p) for p in others if (r := detect(p)[0]) is not None and r.name == "openai-chat"] == []


def test_inspect_counts() -> None:
    reports = inspect_paths([CHAT, TAU])
    assert [
        (Path(r.path).name[:12], r.format, r.traces, r.steps, r.tool_calls, r.errors) for r in reports
    ] == [
        ("fncall-llm-m", "openai-chat", 1, 14, 6, 1),
        ("litellm_prox", "openai-chat", 1, 3, 1, 0),
        ("nonfncall-ll", "openai-chat", 1, 10, 4, 0),
        ("tau_bench_re", "openai-chat", 2, 22, 9, 3),
    ]
