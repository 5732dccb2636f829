"""The OpenAI Responses API reader on the (synthetic, API-shaped) fixtures and on damage."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillforge.ingest import read_file
from skillforge.ingest.detect import detect
from skillforge.models import Skipped, Trace

FIXTURES = Path(__file__).parents[1] / "data" / "fixtures" / "openai_responses"
SAMPLES = Path(__file__).parents[1] / "data" / "samples"


def traces(path: Path) -> tuple[list[Trace], list[Skipped]]:
    items = list(read_file(path))
    return [i for i in items if isinstance(i, Trace)], [i for i in items if isinstance(i, Skipped)]


@pytest.mark.parametrize("name", ["exchange.json", "incomplete_response.json", "items.jsonl"])
def test_detected_as_responses(name: str) -> None:
    reader, _, _ = detect(FIXTURES / name)
    assert reader is not None and reader.name == "openai-responses"


def test_request_and_response_pair_parallel_calls_by_call_id() -> None:
    (trace,), skipped = traces(FIXTURES / "exchange.json")
    assert skipped == []
    assert trace.task == "Is the v2.3 tag built and are its tests green?"  # a message item without `type`
    calls = [s.tool_call for s in trace.steps if s.tool_call]
    results = {s.tool_result.call_id: s.tool_result for s in trace.steps if s.tool_result}
    assert [(c.name, c.id, c.arguments) for c in calls] == [
        ("get_build", "call_build", {"tag": "v2.3"}),
        ("get_test_report", "call_tests", {"tag": "v2.3"}),
    ]
    assert results["call_build"].is_error is False and results["call_tests"].is_error is True
    assert trace.steps[-1].role == "assistant" and trace.steps[-1].text.startswith("The v2.3 build succeeded")
    assert (trace.metadata["model"], trace.metadata["response_id"]) == ("gpt-4.1-2025-04-14", "resp_01")
    assert trace.outcome.error is None


def test_incomplete_response_is_the_outcome() -> None:
    (trace,), _ = traces(FIXTURES / "incomplete_response.json")
    assert (trace.outcome.success, trace.outcome.error) == (False, "response incomplete: max_output_tokens")
    assert [s.tool_call.name for s in trace.steps if s.tool_call] == ["search_docs"]


def test_item_jsonl_is_one_trace_with_exit_codes() -> None:
    (trace,), skipped = traces(FIXTURES / "items.jsonl")
    assert skipped == [] and trace.source.line == 1
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (6, 2, 1)
    failed = next(s.tool_result for s in trace.steps if s.tool_result and s.tool_result.is_error)
    assert (failed.call_id, failed.exit_code) == ("call_sed", 2)


def test_jsonl_of_responses_is_one_trace_per_line_and_bad_lines_are_named(tmp_path: Path) -> None:
    response = json.loads((FIXTURES / "incomplete_response.json").read_text(encoding="utf-8"))
    path = tmp_path / "responses.jsonl"
    path.write_text(json.dumps(response) + "\n{broken\n" + json.dumps({**response, "id": "resp_03"}) + "\n")
    found, skipped = traces(path)
    assert [t.metadata["response_id"] for t in found] == ["resp_02", "resp_03"]
    assert [s.line for s in skipped] == [2]


def test_chat_transcripts_are_not_claimed() -> None:
    # A bare list of {role, content} messages is a chat-completions transcript (or an old mini-swe-agent
    # dump); only an `input` list makes an untyped message a Responses item.
    claimed = [
        p
        for p in sorted(SAMPLES.rglob("*")) + sorted((SAMPLES.parent / "fixtures").rglob("*"))
        if p.is_file() and p.name != "SOURCES.md" and "openai_responses" not in p.parts
        and (r := detect(p)[0]) is not None and r.name == "openai-responses"
    ]
    assert claimed == []
