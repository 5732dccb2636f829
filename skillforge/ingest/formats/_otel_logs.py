"""OpenTelemetry *log records* (events) → the same ``Span`` records the GenAI trace builder replays.

Two producers put agent runs in logs rather than spans:

* the GenAI semantic conventions' content events (``gen_ai.client.inference.operation.details`` and
  any record carrying ``gen_ai.input.messages`` / ``gen_ai.output.messages``), tied to a trace by
  ``traceId`` or ``gen_ai.conversation.id``;
* Claude Code's telemetry events (scope ``com.anthropic.claude_code[.events]``): ``user_prompt``
  (``prompt``), ``assistant_response`` (``response``), ``tool_result`` (``tool_name``, ``success``,
  ``error``, ``tool_input``/``tool_parameters``, ``tool_use_id``) and ``api_request`` (``model``,
  tokens, ``cost_usd``), one session per ``session.id`` — as OTLP ``resourceLogs`` or as a flattened
  stream of ``{_type: "log"|"metric", ts, name, attrs}`` records.

Each event becomes a zero-length pseudo-span (a tool result a 1 ns span, so its call sorts before its
result); metrics and operational events (hooks, plugins, decisions) carry no trace content and are
dropped.
"""

from __future__ import annotations

import json
from typing import Any

from skillforge.ingest.base import as_text
from skillforge.ingest.formats._otel_spans import Collector, decode_attributes, export_like, nanos, span_like

RESOURCE_LOGS = ("resourceLogs", "resource_logs")
SCOPE_LOGS = ("scopeLogs", "scope_logs")
_CONTENT_KEYS = ("gen_ai.input.messages", "gen_ai.output.messages", "gen_ai.prompt", "gen_ai.completion")
_TRUE = (True, "true", "True", "1", 1)


def logs_export_like(d: Any) -> bool:
    return isinstance(d, dict) and any(isinstance(d.get(k), list) for k in RESOURCE_LOGS)


def flat_event_like(d: Any) -> bool:
    """A flattened telemetry record: ``{_type: "log"|"metric", name, attrs, ts}``."""
    return isinstance(d, dict) and d.get("_type") in ("log", "metric") and isinstance(d.get("name"), str)


def add_record(col: Collector, record: Any, line: int | None) -> bool:
    """Add any supported record (trace or log export, span, log record, flat event); False if unknown."""
    if isinstance(record, list):
        return all([add_record(col, item, line) for item in record]) if record else True
    if not isinstance(record, dict):
        return False
    if export_like(record):
        col.add_export(record, line)
    elif logs_export_like(record):
        add_logs_export(col, record, line)
    elif span_like(record):
        col.add_span(record, None, line)
    elif isinstance(record.get("spans"), list):
        for span in record["spans"]:
            col.add_span(span, None, line)
    elif flat_event_like(record):
        if record["_type"] == "log":  # metrics carry no trace content
            attrs = decode_attributes(record.get("attrs", record.get("attributes")))
            resource = record.get("resource")
            resource = (
                decode_attributes(resource.get("attributes") if "attributes" in resource else resource)
                if isinstance(resource, dict)
                else {}
            )
            add_event(col, record["name"], attrs, record.get("ts", record.get("timestamp")), resource, line)
    elif "timeUnixNano" in record or "observedTimeUnixNano" in record:
        add_log_record(col, record, {}, line)
    else:
        return False
    return True


def add_logs_export(col: Collector, doc: dict[str, Any], line: int | None) -> None:
    for rl in next((doc[k] for k in RESOURCE_LOGS if isinstance(doc.get(k), list)), []):
        if not isinstance(rl, dict):
            continue
        resource = decode_attributes((rl.get("resource") or {}).get("attributes"))
        for sl in next((rl[k] for k in SCOPE_LOGS if isinstance(rl.get(k), list)), []):
            for rec in sl.get("logRecords") or [] if isinstance(sl, dict) else []:
                add_log_record(col, rec, resource, line)


def add_log_record(col: Collector, rec: Any, resource: dict[str, Any], line: int | None) -> None:
    """One OTLP ``LogRecord``: its event name from ``event.name``, ``eventName`` or the body."""
    if not isinstance(rec, dict):
        return
    attrs = decode_attributes(rec.get("attributes"))
    body = rec.get("body")
    body = body.get("stringValue") if isinstance(body, dict) else body
    name = attrs.get("event.name") or rec.get("eventName") or (body if isinstance(body, str) else "")
    at = rec.get("timeUnixNano") or rec.get("observedTimeUnixNano")
    trace_id = rec.get("traceId") or rec.get("trace_id")
    add_event(col, str(name), attrs, at, resource, line, trace_id=str(trace_id) if trace_id else None)


def add_event(
    col: Collector,
    name: str,
    attrs: dict[str, Any],
    at: Any,
    resource: dict[str, Any],
    line: int | None,
    *,
    trace_id: str | None = None,
) -> None:
    """Turn one named event into a pseudo-span the trace builder understands."""
    event = name.removeprefix("claude_code.")
    session = attrs.get("session.id") or attrs.get("gen_ai.conversation.id")
    base: dict[str, Any] = {}
    if session:
        base["gen_ai.conversation.id"] = str(session)
    group = trace_id or (f"session:{session}" if session else "events")
    if any(k in attrs for k in _CONTENT_KEYS):
        _add(col, group, "chat", at, {**attrs, **base}, resource, line)
    elif event == "user_prompt" and attrs.get("prompt"):
        message = {"role": "user", "parts": [{"type": "text", "content": as_text(attrs["prompt"])}]}
        _add(col, group, "user_prompt", at, {**base, "gen_ai.input.messages": [message]}, resource, line)
    elif event == "assistant_response" and attrs.get("response"):
        message = {"role": "assistant", "parts": [{"type": "text", "content": as_text(attrs["response"])}]}
        extra = {"gen_ai.response.model": attrs["model"]} if attrs.get("model") else {}
        _add(col, group, "chat", at, {**base, **extra, "gen_ai.output.messages": [message]}, resource, line)
    elif event == "tool_result":
        _add_tool(col, group, at, attrs, base, resource, line)
    elif event == "api_error":  # retried by the client: counted, not a failed run
        _add(
            col,
            group,
            "api_error",
            at,
            {**base, "error.message": as_text(attrs.get("error"))},
            resource,
            line,
        )
    elif event == "api_request":
        usage = {
            "gen_ai.request.model": attrs.get("model"),
            "gen_ai.usage.input_tokens": _int(attrs.get("input_tokens")),
            "gen_ai.usage.output_tokens": _int(attrs.get("output_tokens")),
            "cost_usd": _float(attrs.get("cost_usd")),
        }
        _add(
            col,
            group,
            "api_request",
            at,
            {**base, **{k: v for k, v in usage.items() if v is not None}},
            resource,
            line,
        )


def _add_tool(
    col: Collector,
    group: str,
    at: Any,
    attrs: dict[str, Any],
    base: dict[str, Any],
    resource: dict[str, Any],
    line: int | None,
) -> None:
    args = attrs.get("tool_input", attrs.get("tool_parameters", attrs.get("gen_ai.tool.call.arguments")))
    failed = "success" in attrs and attrs["success"] not in _TRUE
    tool: dict[str, Any] = {
        **base,
        "gen_ai.tool.name": str(attrs.get("tool_name") or attrs.get("gen_ai.tool.name") or "tool"),
        "gen_ai.tool.call.arguments": args if args is not None else {},
    }
    call_id = attrs.get("tool_use_id") or attrs.get("gen_ai.tool.call.id")
    if call_id:
        tool["gen_ai.tool.call.id"] = str(call_id)
    result = attrs.get("tool_result", attrs.get("tool_output", attrs.get("gen_ai.tool.call.result")))
    if result is not None:
        tool["gen_ai.tool.call.result"] = result
    status = None
    if failed:
        status = {"code": 2, "message": as_text(attrs.get("error")) or "tool call failed"}
    _add(col, group, "execute_tool", at, tool, resource, line, status=status, length=1)


def _add(
    col: Collector,
    group: str,
    op: str,
    at: Any,
    attrs: dict[str, Any],
    resource: dict[str, Any],
    line: int | None,
    *,
    status: dict[str, Any] | None = None,
    length: int = 0,
) -> None:
    attrs = {**attrs, "gen_ai.operation.name": op}
    for key in _CONTENT_KEYS:  # keep structured messages as the span reader expects them: JSON text
        if isinstance(attrs.get(key), list):
            attrs[key] = json.dumps(attrs[key], ensure_ascii=False)
    start = nanos(at)
    span = {
        "traceId": group,
        "spanId": f"event-{len(col.spans)}",
        "name": op,
        "startTimeUnixNano": start,
        "endTimeUnixNano": start + length,
        "attributes": attrs,
        "status": status or {},
    }
    col.add_span(span, resource, line)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _float(value: Any) -> float | None:
    try:
        return float(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None
