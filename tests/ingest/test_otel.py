"""OTel GenAI reader. No real GenAI span export exists in the samples (only the semconv JSON Schemas,
which must not be claimed), so the trace is the constructed OTLP/JSON fixture
tests/data/fixtures/otel_genai/weather_agent.otlp.json (see its SOURCES.md), checked here against
the spec's own schemas, and re-shaped into the other layouts exporters write.

Expected reading, from the fixture's spans: trace 4bf9… = user question, get_weather call + result,
text + get_forecast call, failed result (execute_tool status 2), final answer → 6 steps, 2 calls, 1
error; the three chat spans repeat the history (1 + 3 + 5 input messages) but each message is
replayed once. Trace 9c1e… = one user message, root span status 2 → success False.
"""

from __future__ import annotations

import copy
import json
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from skillforge.ingest.base import ReadOptions
from skillforge.ingest.detect import detect
from skillforge.ingest.formats.otel import READERS
from skillforge.ingest.probe import probe
from skillforge.models import Skipped, Trace

DATA = Path(__file__).parents[1] / "data"
SAMPLES = DATA / "samples"
FIXTURE = DATA / "fixtures" / "otel_genai" / "weather_agent.otlp.json"
INPUT_SCHEMA = SAMPLES / "otel_genai" / "semconv_gen-ai-input-messages.schema.json"
OUTPUT_SCHEMA = DATA / "fixtures" / "otel_genai" / "semconv_gen-ai-output-messages.schema.json"
READER = READERS[0]


def read_all(path: Path) -> list[Trace | Skipped]:
    return list(READER.read(path, probe(path), ReadOptions()))


def traces(path: Path) -> list[Trace]:
    found = read_all(path)
    assert all(isinstance(t, Trace) for t in found), found
    return found  # type: ignore[return-value]


def spans_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return doc["resourceSpans"][0]["scopeSpans"][0]["spans"]


def shape(trace: Trace) -> list[tuple[Any, ...]]:
    """What a trace says, without where it came from."""
    return [
        (s.role, s.text, s.tool_call.model_dump() if s.tool_call else None,
         s.tool_result.model_dump() if s.tool_result else None)  # fmt: skip
        for s in trace.steps
    ]


def test_fixture_messages_follow_the_semconv_schemas() -> None:
    inputs = json.loads(INPUT_SCHEMA.read_text())
    outputs = json.loads(OUTPUT_SCHEMA.read_text())
    checked = 0
    for span in spans_of(json.loads(FIXTURE.read_text())):
        for attr in span["attributes"]:
            schema = {"gen_ai.input.messages": inputs, "gen_ai.output.messages": outputs}.get(attr["key"])
            if schema is not None:
                jsonschema.validate(json.loads(attr["value"]["stringValue"]), schema)
                checked += 1
    assert checked == 7  # 4 chat spans with input, 3 with output


def test_agent_run_with_tool_spans() -> None:
    weather, failed = traces(FIXTURE)
    assert (len(weather.steps), weather.tool_calls, weather.errors) == (6, 2, 1)
    assert weather.task == "What's the weather in Paris, and do I need an umbrella tomorrow?"
    assert [s.role for s in weather.steps] == ["user", "assistant", "tool", "assistant", "tool", "assistant"]
    assert sum(s.text == weather.task for s in weather.steps) == 1  # history repeated in 3 spans, replayed once
    first_call, second_call = (s.tool_call for s in weather.steps if s.tool_call)
    assert first_call.model_dump() == {"name": "get_weather", "arguments": {"location": "Paris"}, "id": "call_VSPygqKTWdrhaFErNvMV18Yl"}
    assert (second_call.name, second_call.arguments) == ("get_forecast", {"location": "Paris", "days": 1})
    assert weather.steps[3].text == "Let me check tomorrow's forecast too."
    ok, bad = (s.tool_result for s in weather.steps if s.tool_result)
    assert (ok.output, ok.is_error, ok.call_id) == ("rainy, 57°F", False, first_call.id)
    # the execute_tool span failed (status 2, error.type timeout); the output is what the model was shown
    assert (bad.output, bad.is_error, bad.call_id) == ("Error: forecast service timed out", True, second_call.id)
    assert weather.steps[-1].text.startswith("It's rainy in Paris right now (57°F).")
    assert weather.steps[0].timestamp == "2025-05-06T09:00:00.010000+00:00"
    assert weather.outcome.success is None
    assert weather.metadata == {
        "spans": 6, "trace_ids": ["4bf92f3577b34da6a3ce929d0e0e4736"], "model": "gpt-4o", "provider": "openai",
        "agent": "WeatherAgent", "conversation_id": "conv_5j66UpCpwteGg4YSxUnt7lPY", "service_name": "weather-agent",
        "input_tokens": 297, "output_tokens": 88, "started": "2025-05-06T09:00:00+00:00",
        "ended": "2025-05-06T09:00:05.200000+00:00",
    }  # fmt: skip
    assert (weather.source.index, failed.source.index) == (0, 1)
    assert weather.id == Trace.make_id(str(FIXTURE), 0) and failed.id == Trace.make_id(str(FIXTURE), 1)

    assert [s.role for s in failed.steps] == ["user"]
    assert failed.task == "Summarize today's deploy log for the on-call channel."
    assert (failed.outcome.success, failed.outcome.error) == (False, "429: Rate limit reached for gpt-4o")
    assert failed.metadata["agent"] == "OpsAgent"


def test_collector_file_exporter_jsonl(tmp_path: Path) -> None:
    """One export per line, spans of one trace spread over two lines and out of order."""
    doc = json.loads(FIXTURE.read_text())
    spans = spans_of(doc)
    lines = []
    for part in (spans[3:], spans[:3]):
        batch = copy.deepcopy(doc)
        batch["resourceSpans"][0]["scopeSpans"][0]["spans"] = part
        lines.append(json.dumps(batch))
    path = tmp_path / "traces.jsonl"
    path.write_text("\n".join(lines) + "\n")
    reader, _, _ = detect(path)
    assert reader is not None and reader.name == "otel-genai"
    got = traces(path)
    assert [shape(t) for t in got] == [shape(t) for t in traces(FIXTURE)]
    assert [t.source.line for t in got] == [2, 1]  # the line holding each trace's first span


def _flat(span: dict[str, Any], resource: dict[str, Any]) -> dict[str, Any]:
    """The Python SDK's ``span.to_json()`` shape: plain attribute dict, ISO times, context ids."""

    def value(v: dict[str, Any]) -> Any:
        if "arrayValue" in v:
            return [value(x) for x in v["arrayValue"]["values"]]
        return int(v["intValue"]) if "intValue" in v else next(iter(v.values()))

    def iso(nanos: str) -> str:
        return datetime.fromtimestamp(int(nanos) / 1e9, tz=timezone.utc).isoformat().replace("+00:00", "Z")

    return {
        "name": span["name"],
        "context": {"trace_id": "0x" + span["traceId"], "span_id": "0x" + span["spanId"], "trace_state": "[]"},
        "kind": "SpanKind.CLIENT" if span["kind"] == 3 else "SpanKind.INTERNAL",
        "parent_id": "0x" + span["parentSpanId"] if span["parentSpanId"] else None,
        "start_time": iso(span["startTimeUnixNano"]),
        "end_time": iso(span["endTimeUnixNano"]),
        "status": {"status_code": "ERROR", "description": span["status"]["message"]} if span["status"] else {"status_code": "UNSET"},
        "attributes": {a["key"]: value(a["value"]) for a in span["attributes"]},
        "events": [],
        "links": [],
        "resource": {"attributes": resource, "schema_url": ""},
    }


def test_flat_span_list_with_plain_attributes(tmp_path: Path) -> None:
    doc = json.loads(FIXTURE.read_text())
    resource = {"service.name": "weather-agent"}
    flat = [_flat(s, resource) for s in spans_of(doc)]
    as_array = tmp_path / "spans.json"
    as_array.write_text(json.dumps(flat, indent=4))
    as_object = tmp_path / "export.json"
    as_object.write_text(json.dumps({"spans": flat}))
    expected = [shape(t) for t in traces(FIXTURE)]
    for path in (as_array, as_object):
        reader, _, reason = detect(path)
        assert reader is not None and reader.name == "otel-genai", reason
        got = traces(path)
        assert [shape(t) for t in got] == expected
        assert got[0].metadata["service_name"] == "weather-agent"
        assert got[1].outcome.error == "429: Rate limit reached for gpt-4o"


def test_traces_sharing_a_conversation_id_are_one_trace(tmp_path: Path) -> None:
    doc = json.loads(FIXTURE.read_text())
    for span in spans_of(doc):
        if span["traceId"].startswith("9c1e"):
            span["attributes"].append({"key": "gen_ai.conversation.id", "value": {"stringValue": "conv_5j66UpCpwteGg4YSxUnt7lPY"}})
    path = tmp_path / "one_conversation.json"
    path.write_text(json.dumps(doc))
    (trace,) = traces(path)
    assert len(trace.steps) == 7 and trace.steps[-1].text == "Summarize today's deploy log for the on-call channel."
    assert len(trace.metadata["trace_ids"]) == 2 and trace.outcome.success is False


def test_deprecated_attribute_conventions(tmp_path: Path) -> None:
    """gen_ai.system + OpenLLMetry's indexed gen_ai.prompt/completion, and gen_ai.content.* span events."""
    spans = [
        {"traceId": "aa" * 16, "spanId": "01" * 8, "name": "openai.chat", "startTimeUnixNano": "1700000000000000000",
         "endTimeUnixNano": "1700000001000000000", "status": {"code": "STATUS_CODE_OK"},
         "attributes": {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o-mini",
                        "gen_ai.prompt.0.role": "system", "gen_ai.prompt.0.content": "Be brief.",
                        "gen_ai.prompt.1.role": "user", "gen_ai.prompt.1.content": "List the repo files.",
                        "gen_ai.completion.0.role": "assistant", "gen_ai.completion.0.finish_reason": "tool_calls",
                        "gen_ai.completion.0.tool_calls.0.id": "call_1", "gen_ai.completion.0.tool_calls.0.name": "shell",
                        "gen_ai.completion.0.tool_calls.0.arguments": "{\"cmd\": \"ls\"}"}},
        {"traceId": "aa" * 16, "spanId": "02" * 8, "name": "openai.chat", "startTimeUnixNano": "1700000002000000000",
         "endTimeUnixNano": "1700000003000000000", "attributes": {"gen_ai.system": "openai"},
         "events": [{"name": "gen_ai.content.prompt", "attributes": {"gen_ai.prompt": json.dumps([
                        {"role": "user", "content": "List the repo files."},
                        {"role": "assistant", "content": None, "tool_calls": [{"id": "call_1", "type": "function",
                         "function": {"name": "shell", "arguments": "{\"cmd\": \"ls\"}"}}]},
                        {"role": "tool", "tool_call_id": "call_1", "content": "ls: cannot open directory '.': Permission denied"}])}},
                    {"name": "gen_ai.content.completion", "attributes": {"gen_ai.completion": json.dumps(
                        [{"role": "assistant", "content": "I can't read the directory: permission denied."}])}}]},
    ]  # fmt: skip
    path = tmp_path / "openllmetry.json"
    path.write_text(json.dumps({"spans": spans}))
    (trace,) = traces(path)
    assert [s.role for s in trace.steps] == ["user", "assistant", "tool", "assistant"]
    assert trace.task == "List the repo files."
    assert trace.steps[1].tool_call.model_dump() == {"name": "shell", "arguments": {"cmd": "ls"}, "id": "call_1"}
    result = trace.steps[2].tool_result
    assert result.call_id == "call_1" and result.is_error  # no span flag: the output reads as an error
    assert trace.metadata["provider"] == "openai" and trace.metadata["model"] == "gpt-4o-mini"


def test_truncated_export_and_damaged_jsonl_line(tmp_path: Path) -> None:
    data = FIXTURE.read_bytes()
    cut = tmp_path / "cut.json"
    cut.write_bytes(data[: len(data) // 2])
    reader, _, _ = detect(cut)
    assert reader is not None and reader.name == "otel-genai"
    (skipped,) = read_all(cut)
    assert isinstance(skipped, Skipped) and skipped.line == cut.read_bytes().count(b"\n") + 1
    assert skipped.reason == "truncated JSON (the file ends mid-document); span export not read"

    compact = json.dumps(json.loads(data))
    damaged = tmp_path / "traces.jsonl"
    damaged.write_text(compact[:5000] + "\n" + compact + "\n" + "{}\n")
    found = read_all(damaged)
    assert [(type(x).__name__, getattr(x, "line", None)) for x in found[:2]] == [("Skipped", 1), ("Skipped", 3)]
    assert found[1].reason == "not an OTLP export, span or telemetry event"
    assert [len(t.steps) for t in found[2:]] == [6, 1]


@pytest.mark.parametrize("name", ["semconv_gen-ai-input-messages.schema.json", "semconv_gen-ai-tool-definitions.schema.json"])
def test_semconv_schemas_are_not_traces(name: str) -> None:
    path = SAMPLES / "otel_genai" / name
    assert READER.sniff(probe(path)) == 0
    reader, _, _ = detect(path)
    assert reader is None or reader.name != "otel-genai"


def test_detect_picks_otel_and_no_sample_is_claimed() -> None:
    reader, _, reason = detect(FIXTURE)
    assert reader is not None and reader.name == "otel-genai", reason
    others = [p for p in sorted(SAMPLES.rglob("*")) if p.is_file() and p.name != "SOURCES.md"]
    assert [p.name for p in others if (r := detect(p)[0]) is not None and r.name == "otel-genai"] == []


@pytest.mark.slow
def test_long_conversation_history_is_kept_once(tmp_path: Path) -> None:
    """200 chat spans, each re-sending the whole history: the file grows quadratically, memory must not."""
    turns = 200
    history: list[dict[str, Any]] = []
    spans = []
    for i in range(turns):
        history.append({"role": "user", "parts": [{"type": "text", "content": f"question {i}: " + "q" * 200}]})
        answer = {"role": "assistant", "parts": [{"type": "text", "content": f"answer {i}: " + "a" * 200}], "finish_reason": "stop"}
        start = 1_700_000_000_000_000_000 + i * 10**9
        spans.append({"traceId": "ab" * 16, "spanId": f"{i:016x}", "parentSpanId": "", "name": "chat m", "kind": 3,
                      "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 5 * 10**8), "status": {},
                      "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}},
                                     {"key": "gen_ai.input.messages", "value": {"stringValue": json.dumps(history)}},
                                     {"key": "gen_ai.output.messages", "value": {"stringValue": json.dumps([answer])}}]})  # fmt: skip
        history.append({k: v for k, v in answer.items() if k != "finish_reason"})
    path = tmp_path / "long.json"
    path.write_text(json.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [{"scope": {}, "spans": spans}]}]}))
    size = path.stat().st_size
    seen = probe(path)
    tracemalloc.start()
    try:
        (trace,) = list(READER.read(path, seen, ReadOptions()))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert isinstance(trace, Trace) and len(trace.steps) == 2 * turns
    assert [s.role for s in trace.steps[:4]] == ["user", "assistant", "user", "assistant"]
    assert trace.steps[-1].text.startswith(f"answer {turns - 1}: ")
    assert peak < size / 5, f"peak {peak / 1e6:.1f} MB for a {size / 1e6:.1f} MB file"


CLAUDE_TELEMETRY = DATA / "fixtures" / "otel_genai" / "claude_code_telemetry.jsonl"


def test_claude_code_telemetry_stream() -> None:
    """Flattened Claude Code events: prompts, tool results and responses of one session.id."""
    reader, _, reason = detect(CLAUDE_TELEMETRY)
    assert reader is not None and reader.name == "otel-genai", reason
    (trace,) = traces(CLAUDE_TELEMETRY)
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (13, 5, 1)
    assert trace.task == "The CLI test for --verbose fails; find out why and fix it."
    assert [s.text for s in trace.steps if s.role == "user"] == [trace.task, "Commit it with a message."]
    calls = [s.tool_call for s in trace.steps if s.tool_call]
    assert [c.name for c in calls] == ["Bash", "Read", "Edit", "Bash", "Bash"]
    assert calls[0].arguments["full_command"] == "pytest -q tests/test_cli.py" and calls[0].id == "toolu_01HkqV3"
    failed = trace.steps[2].tool_result
    assert failed.is_error and failed.call_id == "toolu_01HkqV3" and failed.output.startswith("Exit code 1\nFAILED")
    assert trace.steps[9].text.startswith("Fixed: --verbose was parsed but never used")
    meta = trace.metadata
    assert (meta["input_tokens"], meta["output_tokens"], meta["cost_usd"], meta["api_errors"]) == (21_040, 471, 0.0361, 1)
    assert meta["conversation_id"] == "5f1e0c2a-7d3b-4a9e-b1c4-2e8f6a0d9c13" and meta["service_name"] == "claude-code"
    assert meta["model"] == "claude-sonnet-4-5-20250929"
    assert trace.outcome.success is None  # a failed tool call is a step's error, not a failed run
    assert trace.source.line == 2  # the first record with content (line 1 is a metric)


def _otlp_logs(records: list[dict[str, Any]]) -> dict[str, Any]:
    """The same events as Claude Code's OTLP log exporter sends them."""

    def value(v: Any) -> dict[str, Any]:
        return {"stringValue": v} if isinstance(v, str) else {"intValue": str(v)}

    log_records = []
    for r in records:
        if r["_type"] != "log":
            continue
        stamp = datetime.fromisoformat(r["ts"].replace("Z", "+00:00"))
        log_records.append({
            "timeUnixNano": str(int(stamp.timestamp() * 1000) * 1_000_000),
            "observedTimeUnixNano": str(int(stamp.timestamp() * 1000) * 1_000_000),
            "severityNumber": 9, "body": {"stringValue": "claude_code." + r["name"]},
            "attributes": [{"key": "event.name", "value": {"stringValue": r["name"]}},
                           *({"key": k, "value": value(v)} for k, v in r["attrs"].items())],
        })  # fmt: skip
    resource = [{"key": k, "value": {"stringValue": v}} for k, v in records[0]["resource"].items()]
    return {"resourceLogs": [{"resource": {"attributes": resource},
                              "scopeLogs": [{"scope": {"name": "com.anthropic.claude_code.events", "version": "2.1.42"},
                                             "logRecords": log_records}]}]}  # fmt: skip


def test_claude_code_events_as_otlp_logs(tmp_path: Path) -> None:
    records = [json.loads(line) for line in CLAUDE_TELEMETRY.read_text().splitlines()]
    doc = _otlp_logs(records)
    as_json = tmp_path / "logs.json"
    as_json.write_text(json.dumps(doc, indent=2))
    half = len(doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"]) // 2
    batches = []
    for part in (slice(0, half), slice(half, None)):
        batch = copy.deepcopy(doc)
        batch["resourceLogs"][0]["scopeLogs"][0]["logRecords"] = doc["resourceLogs"][0]["scopeLogs"][0]["logRecords"][part]
        batches.append(json.dumps(batch))
    as_jsonl = tmp_path / "logs.jsonl"
    as_jsonl.write_text("\n".join(batches) + "\n")
    (expected,) = traces(CLAUDE_TELEMETRY)
    for path in (as_json, as_jsonl):
        reader, _, reason = detect(path)
        assert reader is not None and reader.name == "otel-genai", reason
        (trace,) = traces(path)
        assert shape(trace) == shape(expected)
        assert trace.metadata["cost_usd"] == 0.0361


def test_genai_content_events_on_log_records(tmp_path: Path) -> None:
    """Semconv 'content capturing enabled on event attributes': the messages ride on a log record."""
    doc = json.loads(FIXTURE.read_text())
    chat = next(s for s in spans_of(doc) if s["spanId"] == "b7ad6b7169203331")
    record = {"timeUnixNano": chat["endTimeUnixNano"], "traceId": chat["traceId"], "spanId": chat["spanId"],
              "eventName": "gen_ai.client.inference.operation.details",
              "attributes": [a for a in chat["attributes"] if a["key"] != "gen_ai.operation.name"]}  # fmt: skip
    path = tmp_path / "events.json"
    path.write_text(json.dumps({"resourceLogs": [{"resource": {"attributes": []}, "scopeLogs": [{"logRecords": [record]}]}]}))
    (trace,) = traces(path)
    assert [s.role for s in trace.steps] == ["user", "assistant"]
    assert trace.steps[1].tool_call.name == "get_weather"
    assert trace.metadata["trace_ids"] == ["4bf92f3577b34da6a3ce929d0e0e4736"]


def test_metrics_only_export_is_not_claimed(tmp_path: Path) -> None:
    metrics = [json.loads(line) for line in CLAUDE_TELEMETRY.read_text().splitlines() if '"_type": "metric"' in line]
    path = tmp_path / "metrics.jsonl"
    path.write_text("\n".join(json.dumps(m) for m in metrics).replace("claude_code", "app") + "\n")
    assert READER.sniff(probe(path)) == 0


def test_claude_code_tracing_tool_spans(tmp_path: Path) -> None:
    """Claude Code's beta tracing: claude_code.interaction > claude_code.tool spans (no gen_ai messages)."""

    def span(span_id: str, name: str, start: int, attrs: dict[str, Any], parent: str = "", error: str = "") -> dict[str, Any]:
        return {"traceId": "77" * 16, "spanId": span_id, "parentSpanId": parent, "name": name, "kind": 1,
                "startTimeUnixNano": str(1_756_720_000_000_000_000 + start * 10**6),
                "endTimeUnixNano": str(1_756_720_000_000_000_000 + (start + 50) * 10**6),
                "attributes": [{"key": k, "value": {"stringValue": v}} for k, v in attrs.items()],
                "status": {"code": 2, "message": error} if error else {}}  # fmt: skip

    spans = [
        span("88" * 8, "claude_code.interaction", 0, {"session.id": "s-9"}),
        span("01" * 8, "claude_code.llm_request", 5, {"model": "claude-sonnet-4-5"}, "88" * 8),
        span("02" * 8, "claude_code.tool", 60, {"tool_name": "Bash", "tool_use_id": "toolu_9", "gen_ai.tool.call.id": "toolu_9",
                                                "tool_input": "{\"command\": \"make test\"}"}, "88" * 8, error="Exit code 2"),
        span("03" * 8, "claude_code.tool", 120, {"tool_name": "Read", "tool_use_id": "toolu_10"}, "88" * 8),
    ]  # fmt: skip
    path = tmp_path / "traces.json"
    path.write_text(json.dumps({"resourceSpans": [{"resource": {"attributes": []}, "scopeSpans": [
        {"scope": {"name": "com.anthropic.claude_code.tracing"}, "spans": spans}]}]}))  # fmt: skip
    (trace,) = traces(path)
    calls = [s.tool_call for s in trace.steps if s.tool_call]
    assert [(c.name, c.id) for c in calls] == [("Bash", "toolu_9"), ("Read", "toolu_10")]
    assert calls[0].arguments == {"command": "make test"}
    results = [s.tool_result for s in trace.steps if s.tool_result]
    assert [(r.is_error, r.output) for r in results] == [(True, "Exit code 2"), (False, "")]
    assert trace.outcome.success is None  # a failed tool is not a failed interaction
