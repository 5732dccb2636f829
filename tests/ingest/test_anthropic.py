"""The Anthropic Messages reader on fixtures derived from real Claude Code sessions.

How each fixture was derived: tests/data/fixtures/anthropic/SOURCES.md.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillforge.ingest import inspect_paths
from skillforge.ingest.base import ReadOptions
from skillforge.ingest.detect import detect
from skillforge.ingest.formats import anthropic, claude_code
from skillforge.ingest.probe import probe
from skillforge.models import Skipped, Trace

DATA = Path(__file__).parents[1] / "data"
SAMPLES = DATA / "samples"
FIXTURES = DATA / "fixtures" / "anthropic"
PROJECTS = SAMPLES / "claude_code_jsonl" / "projects"


def read(path: Path) -> tuple[list[Trace], list[Skipped]]:
    items = list(anthropic.READERS[0].read(path, probe(path), ReadOptions()))
    return [i for i in items if isinstance(i, Trace)], [i for i in items if isinstance(i, Skipped)]


def claude_code_trace(name: str) -> Trace:
    path = PROJECTS / name
    (trace,) = [
        t for t in claude_code.READERS[0].read(path, probe(path), ReadOptions()) if isinstance(t, Trace)
    ]
    return trace



def calls_and_results(trace: Trace) -> list[tuple[object, ...]]:
    out: list[tuple[object, ...]] = []
    for s in trace.steps:
        if s.tool_call:
            out.append(("call", s.tool_call.name, s.tool_call.id))
        elif s.tool_result:
            out.append(("result", s.tool_result.call_id, s.tool_result.is_error))
    return out


def test_request_body_matches_the_session_it_came_from() -> None:
    # conversation.json is 2b4ed4c0's session as one request: 9 tool_use, 9 tool_result (6 with
    # is_error true), plus the top-level system prompt as a first step.
    (trace,), skipped = read(FIXTURES / "conversation.json")
    assert skipped == []
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (21, 9, 6)
    assert trace.steps[0].role == "system" and trace.steps[0].text.startswith("You are Claude Code")
    source = claude_code_trace("-src-experiments-claude_p/2b4ed4c0-b905-41de-9238-273db3ec737a.jsonl")
    assert calls_and_results(trace) == calls_and_results(source)
    assert [s.text for s in trace.steps[1:]] == [s.text for s in source.steps]
    assert trace.task == source.task and trace.metadata == {"model": "claude-opus-4-5-20251101"}


def test_jsonl_of_messages() -> None:
    (trace,), _ = read(FIXTURES / "messages.jsonl")
    source = claude_code_trace("-tmp-private/4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl")
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (18, 6, 0)
    assert calls_and_results(trace) == calls_and_results(source)
    assert trace.task == "create hello.py, md and js" and trace.source.line == 1


def test_bare_array_of_messages(tmp_path: Path) -> None:
    lines = (FIXTURES / "messages.jsonl").read_text().splitlines()
    array = tmp_path / "messages.json"
    array.write_text("[\n" + ",\n".join(lines) + "\n]\n")
    (trace,), _ = read(array)
    assert (len(trace.steps), trace.tool_calls) == (18, 6) and trace.source.line is None


def test_response_object() -> None:
    (trace,), _ = read(FIXTURES / "response.json")
    assert [(s.role, s.tool_call.name if s.tool_call else None) for s in trace.steps] == [
        ("assistant", "Write"),
        ("assistant", "Write"),
        ("assistant", "Write"),
    ]
    assert trace.steps[0].text == "I'll create three simple files: hello.py, hello.md, and hello.js."
    assert trace.metadata["stop_reason"] == "tool_use"
    assert trace.metadata["usage"] == {
        "cache_creation_input_tokens": 35066,
        "cache_read_input_tokens": 0,
        "input_tokens": 3,
        "output_tokens": 395,
    }


def test_batch_requests_one_trace_per_line() -> None:
    traces, _ = read(FIXTURES / "batch.jsonl")
    assert [(t.source.index, t.source.line, t.metadata["custom_id"]) for t in traces] == [
        (0, 1, "abandoned-branch"),
        (1, 2, "main-branch"),
    ]
    prompts = [[s.text[:20] for s in t.steps if s.role == "user"] for t in traces]
    assert prompts[0][1] == "I very much like thi" and prompts[1][1] == "I actually don't lik"
    # The main branch is what the Claude Code reader keeps for the rewound session.
    source = claude_code_trace("-experiments-ideas/03eb5929-52b3-4b13-ada3-b93ae35806b8.jsonl")
    assert [s.text for s in traces[1].steps] == [s.text for s in source.steps][: len(traces[1].steps)]
    assert all("The user is talking about" not in s.text for t in traces for s in t.steps)  # thinking dropped


def test_tool_result_flags_and_fallbacks(tmp_path: Path) -> None:
    msgs = [
        {"role": "user", "content": "run the tests"},
        {
            "role": "assistant",
            "content": [
                {"type": "tool_use", "id": "t1", "name": "bash", "input": {"cmd": "pytest"}},
                {"type": "tool_use", "id": "t2", "name": "bash", "input": {"cmd": "ls"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "t1",
                    "content": "Exit code 1\n1 failed",
                    "is_error": True,
                },
                {
                    "type": "tool_result",
                    "tool_use_id": "t2",
                    "content": [
                        {"type": "text", "text": "ls: cannot access 'x': No such file or directory"},
                        {"type": "image", "source": {"type": "base64", "data": "AAAA"}},
                    ],
                },
                {"type": "text", "text": "also check the lint"},
            ],
        },
    ]
    path = tmp_path / "conv.json"
    path.write_text(json.dumps({"system": "be brief", "messages": msgs}))
    (trace,), _ = read(path)
    results = [s.tool_result for s in trace.steps if s.tool_result]
    assert [(r.call_id, r.is_error, r.exit_code) for r in results] == [("t1", True, 1), ("t2", True, None)]
    assert results[1].output.endswith("[image]")  # no flag: the shared heuristic reads the text
    assert trace.steps[-1].role == "user" and trace.steps[-1].text == "also check the lint"


def test_invalid_jsonl_line_is_skipped(tmp_path: Path) -> None:
    lines = (FIXTURES / "messages.jsonl").read_text().splitlines()
    lines[2] = lines[2][:-1]  # line 3 (the three tool results) loses its closing brace
    path = tmp_path / "messages.jsonl"
    path.write_text("\n".join(lines) + "\n")
    (trace,), skipped = read(path)
    assert [(s.line, s.reason) for s in skipped] == [(3, "truncated JSON")]
    assert (trace.tool_calls, sum(1 for s in trace.steps if s.tool_result)) == (6, 3)


def test_sniff_leaves_claude_code_and_openai_files_alone() -> None:
    for path in sorted((SAMPLES / "claude_code_jsonl").rglob("*.jsonl")) + sorted(
        (SAMPLES / "chat_tool_calls").glob("*")
    ):
        assert anthropic.sniff(probe(path)) == 0.0, path


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.json*")), ids=lambda p: p.name)
def test_detect_picks_anthropic(path: Path) -> None:
    reader, _, reason = detect(path)
    assert reader is not None and reader.name == "anthropic-messages", reason


def test_detect_does_not_claim_other_formats() -> None:
    others = [
        p
        for p in sorted(SAMPLES.rglob("*")) + sorted((DATA / "fixtures").rglob("*"))
        if p.is_file() and p.name != "SOURCES.md" and "anthropic" not in p.parts
    ]
    assert [
        str(p) for p in others if (r := detect(p)[0]) is not None and r.name == "anthropic-messages"
    ] == []


def test_inspect_counts() -> None:
    reports = {Path(r.path).name: r for r in inspect_paths([FIXTURES])}
    assert {n: (r.format, r.traces, r.steps, r.tool_calls, r.errors) for n, r in reports.items()} == {
        "batch.jsonl": ("anthropic-messages", 2, 24, 4, 0),
        "conversation.json": ("anthropic-messages", 1, 21, 9, 6),
        "messages.jsonl": ("anthropic-messages", 1, 18, 6, 0),
        "response.json": ("anthropic-messages", 1, 3, 3, 0),
    }
