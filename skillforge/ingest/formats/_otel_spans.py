"""OpenTelemetry spans of any supported shape → normalized ``Span`` records and GenAI messages.

Decodes OTLP/JSON ``AnyValue`` attributes and flat SDK dicts, span times in any unit, status and
``error.type``, and the message conventions (current ``gen_ai.input/output.messages``, deprecated
``gen_ai.prompt``/``gen_ai.completion``, OpenLLMetry's indexed attributes and ``gen_ai.*`` span
events). Message lists go to a content-addressed store so a history repeated in every chat span is
kept once.
"""

from __future__ import annotations

import hashlib
import json
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from skillforge.ingest.base import as_text, clip, clip_arguments
from skillforge.ingest.base import parse_arguments as parse_args
from skillforge.ingest.formats._agent_common import as_dict
from skillforge.ingest.limits import loads

RESOURCE_SPANS = ("resourceSpans", "resource_spans")
SCOPE_SPANS = ("scopeSpans", "scope_spans", "instrumentationLibrarySpans")
MAX_ATTR_CHARS = 64 << 20  # a message-history attribute must stay whole to parse as JSON
_BULKY = (  # replaced by message keys, or of no use to a trace
    "gen_ai.input.",
    "gen_ai.output.",
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.system_instructions",
    "gen_ai.tool.definitions",
)
_EVENT_ROLES = {"gen_ai.system.message": "system", "gen_ai.user.message": "user",
                "gen_ai.assistant.message": "assistant", "gen_ai.tool.message": "tool"}  # fmt: skip


def span_like(d: Any) -> bool:
    if not isinstance(d, dict) or not isinstance(d.get("name"), str):
        return False
    return bool(
        ({"traceId", "trace_id"} & d.keys() and {"spanId", "span_id"} & d.keys())
        or (isinstance(d.get("context"), dict) and "trace_id" in d["context"])
    )


def export_like(d: Any) -> bool:
    return isinstance(d, dict) and any(isinstance(d.get(k), list) for k in RESOURCE_SPANS)


# --------------------------------------------------------------------------- spans


@dataclass
class Span:
    trace_id: str
    span_id: str
    parent_id: str
    name: str
    start: int
    end: int
    attrs: dict[str, Any]
    error: str | None
    resource: dict[str, Any]
    line: int | None
    seq: int
    inputs: array[int] = field(default_factory=lambda: array("I"))
    """Indexes into ``Collector.store``: 4 bytes per message, however often a history repeats."""
    outputs: array[int] = field(default_factory=lambda: array("I"))

    @property
    def op(self) -> str:
        op = self.attrs.get("gen_ai.operation.name")
        if isinstance(op, str) and op:
            return op
        tool_span = "gen_ai.tool.name" in self.attrs or self.name == "claude_code.tool"  # Claude Code tracing
        if tool_span and not self.inputs and not self.outputs:
            return "execute_tool"
        return self.name.split(" ", 1)[0]


class Collector:
    """Normalizes spans of any supported shape; message lists go to a content-addressed store."""

    def __init__(self) -> None:
        self.spans: list[Span] = []
        self.store: list[dict[str, Any]] = []
        self._index: dict[str, int] = {}

    def add_export(self, doc: dict[str, Any], line: int | None) -> None:
        for rs in next((doc[k] for k in RESOURCE_SPANS if isinstance(doc.get(k), list)), []):
            if not isinstance(rs, dict):
                continue
            resource = decode_attributes((rs.get("resource") or {}).get("attributes"))
            for ss in next((rs[k] for k in SCOPE_SPANS if isinstance(rs.get(k), list)), []):
                for span in ss.get("spans") or [] if isinstance(ss, dict) else []:
                    self.add_span(span, resource, line)

    def add_span(self, raw: Any, resource: dict[str, Any] | None, line: int | None) -> None:
        if not isinstance(raw, dict):
            return
        ctx = as_dict(raw.get("context"))
        attrs = decode_attributes(raw.get("attributes"))
        if resource is None:
            res = raw.get("resource")
            resource = decode_attributes(res.get("attributes") if isinstance(res, dict) else None)
        parent = _first(raw, "parentSpanId", "parent_span_id", "parentId", "parent_id")
        if isinstance(parent, dict):
            parent = parent.get("span_id")
        start = nanos(_first(raw, "startTimeUnixNano", "start_time_unix_nano", "startTime", "start_time"))
        end = nanos(_first(raw, "endTimeUnixNano", "end_time_unix_nano", "endTime", "end_time"))
        span = Span(
            trace_id=str(_first(raw, "traceId", "trace_id") or ctx.get("trace_id") or ""),
            span_id=str(_first(raw, "spanId", "span_id") or ctx.get("span_id") or ""),
            parent_id=str(parent or ""),
            name=str(raw.get("name") or ""),
            start=start,
            end=max(end, start),
            attrs={},
            error=_status_error(raw.get("status"), attrs),
            resource={k: v for k, v in resource.items() if k in ("service.name", "service.version")},
            line=line,
            seq=len(self.spans),
        )
        inputs, outputs = _messages(attrs, raw.get("events"))
        span.inputs = array("I", (self._keep(m) for m in inputs))
        span.outputs = array("I", (self._keep(m) for m in outputs))
        span.attrs = {
            k: clip(v, 2000) if isinstance(v, str) else v
            for k, v in attrs.items()
            if not k.startswith(_BULKY)
        }
        for key in ("gen_ai.tool.call.arguments", "gen_ai.tool.call.result"):
            if key in attrs:
                span.attrs[key] = attrs[key] if not isinstance(attrs[key], str) else clip(attrs[key], 1 << 20)
        self.spans.append(span)

    def _keep(self, message: dict[str, Any]) -> int:
        key = _message_key(message)
        index = self._index.get(key)
        if index is None:
            index = self._index[key] = len(self.store)
            self.store.append(_clip_message(message))
        return index


def _any_value(v: Any) -> Any:
    """Decode an OTLP/JSON ``AnyValue`` (``intValue`` arrives as a string)."""
    if not isinstance(v, dict):
        return v
    if "stringValue" in v:
        return v["stringValue"]
    if "intValue" in v:
        try:
            return int(v["intValue"])
        except (TypeError, ValueError):
            return v["intValue"]
    for key in ("doubleValue", "boolValue", "bytesValue"):
        if key in v:
            return v[key]
    if "arrayValue" in v:
        return [_any_value(x) for x in (v["arrayValue"] or {}).get("values") or []]
    if "kvlistValue" in v:
        return decode_attributes((v["kvlistValue"] or {}).get("values"))
    return None


def _first(raw: dict[str, Any], *keys: str) -> Any:
    return next((raw[k] for k in keys if raw.get(k) not in (None, "")), None)


def decode_attributes(raw: Any) -> dict[str, Any]:
    if isinstance(raw, dict):
        return dict(raw)
    out: dict[str, Any] = {}
    for item in raw or []:
        if isinstance(item, dict) and isinstance(item.get("key"), str):
            out[item["key"]] = _any_value(item.get("value"))
    return out


def nanos(value: Any) -> int:
    """Span times: unix nanos (int or string), other unix units by magnitude, or ISO-8601."""
    if isinstance(value, str):
        if value.strip().lstrip("-").isdigit():
            value = int(value)
        else:
            try:
                stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return 0
            if stamp.tzinfo is None:
                stamp = stamp.replace(tzinfo=timezone.utc)
            return int(stamp.timestamp() * 1_000_000) * 1000
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        for scale, floor in ((1, 10**17), (1000, 10**14), (10**6, 10**11)):
            if value >= floor:
                return int(value * scale)
        return int(value * 10**9)
    return 0


def iso_nanos(nanos: int) -> str | None:
    return datetime.fromtimestamp(nanos / 1e9, tz=timezone.utc).isoformat() if nanos else None


def _status_error(status: Any, attrs: dict[str, Any]) -> str | None:
    code: Any = None
    message = ""
    if isinstance(status, dict):
        code = status.get("code", status.get("status_code"))
        message = as_text(status.get("message") or status.get("description"))
    failed = code in (2, "2", "STATUS_CODE_ERROR", "ERROR", "StatusCode.ERROR") or bool(
        attrs.get("error.type")
    )
    if not failed:
        return None
    kind = attrs.get("error.type")
    return ": ".join(str(p) for p in (kind, message) if p) or "error"


# --------------------------------------------------------------------------- messages


def _json_list(value: Any, role: str) -> list[Any]:
    if isinstance(value, str):
        try:
            value = loads(value)
        except ValueError:
            return [{"role": role, "parts": [{"type": "text", "content": value}]}] if value.strip() else []
    if isinstance(value, dict):
        value = [value]
    return value if isinstance(value, list) else []


def _normalize(message: Any, default_role: str) -> dict[str, Any] | None:
    """Semconv ``{role, parts}``; OpenAI-style ``{role, content, tool_calls, tool_call_id}`` converted."""
    if not isinstance(message, dict):
        return None
    if isinstance(message.get("message"), dict):  # deprecated gen_ai.choice body
        message = message["message"]
    role = str(message.get("role") or default_role)
    if isinstance(message.get("parts"), list):
        return {"role": role, "parts": [p for p in message["parts"] if isinstance(p, dict)]}
    parts: list[dict[str, Any]] = []
    if role == "tool":
        parts.append(
            {
                "type": "tool_call_response",
                "id": message.get("tool_call_id") or message.get("id"),
                "response": as_text(message.get("content")),
            }
        )
    elif message.get("content") is not None:
        parts.append({"type": "text", "content": as_text(message.get("content"))})
    for call in message.get("tool_calls") or []:
        if isinstance(call, dict):
            fn = as_dict(call.get("function")) or call
            parts.append(
                {
                    "type": "tool_call",
                    "id": call.get("id"),
                    "name": fn.get("name"),
                    "arguments": fn.get("arguments"),
                }
            )
    return {"role": role, "parts": parts}


def _indexed(attrs: dict[str, Any], prefix: str, default_role: str) -> list[dict[str, Any]]:
    """OpenLLMetry-style ``gen_ai.prompt.0.role`` / ``.content`` / ``.tool_calls.0.name`` attributes."""
    rows: dict[int, dict[str, Any]] = {}
    for key, value in attrs.items():
        if not key.startswith(prefix + "."):
            continue
        head, _, rest = key[len(prefix) + 1 :].partition(".")
        if not head.isdigit() or not rest:
            continue
        row = rows.setdefault(int(head), {})
        if rest.startswith("tool_calls."):
            idx, _, sub = rest[len("tool_calls.") :].partition(".")
            if idx.isdigit():
                calls = row.setdefault("tool_calls", {})
                calls.setdefault(int(idx), {})[sub] = value
        else:
            row[rest] = value
    out = []
    for _, row in sorted(rows.items()):
        calls = row.pop("tool_calls", {})
        row["tool_calls"] = [calls[i] for i in sorted(calls)]
        message = _normalize(row, default_role)
        if message is not None:
            out.append(message)
    return out


def _messages(attrs: dict[str, Any], events: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Input and output messages of one span, from whichever convention the producer used."""
    inputs: list[Any] = []
    outputs: list[Any] = []
    sources = (
        ("gen_ai.input.messages", inputs, "user"),
        ("gen_ai.output.messages", outputs, "assistant"),
        ("gen_ai.prompt", inputs, "user"),
        ("gen_ai.completion", outputs, "assistant"),
    )
    for key, bucket, role in sources:
        if key in attrs:
            bucket.extend(m for m in (_normalize(x, role) for x in _json_list(attrs[key], role)) if m)
    if not inputs:
        inputs = _indexed(attrs, "gen_ai.prompt", "user")
    if not outputs:
        outputs = _indexed(attrs, "gen_ai.completion", "assistant")
    for event in events or []:
        if not isinstance(event, dict):
            continue
        name = event.get("name")
        ev = decode_attributes(event.get("attributes"))
        if name == "gen_ai.content.prompt" and not inputs:
            inputs = [
                m for m in (_normalize(x, "user") for x in _json_list(ev.get("gen_ai.prompt"), "user")) if m
            ]
        elif name == "gen_ai.content.completion" and not outputs:
            outputs = [
                m
                for m in (
                    _normalize(x, "assistant") for x in _json_list(ev.get("gen_ai.completion"), "assistant")
                )
                if m
            ]
        elif name in _EVENT_ROLES or name == "gen_ai.choice":
            body = ev.get("gen_ai.event.content", ev)
            body = loads(body) if isinstance(body, str) and body.startswith("{") else body
            message = _normalize(body, _EVENT_ROLES.get(str(name), "assistant"))
            if message:
                (outputs if name == "gen_ai.choice" else inputs).append(message)
    return inputs, outputs


def _message_key(message: dict[str, Any]) -> str:
    """Identity of a message across spans: role + text + tool-call ids (formatting ignored)."""
    sig = [str(message.get("role"))]
    for p in message.get("parts") or []:
        kind = p.get("type")
        if kind == "text":
            sig.append("t" + as_text(p.get("content")).strip())
        elif kind == "tool_call":
            sig.append(
                "c" + (str(p["id"]) if p.get("id") else f"{p.get('name')}({json_text(p.get('arguments'))})")
            )
        elif kind == "tool_call_response":
            sig.append("r" + (str(p["id"]) if p.get("id") else json_text(p.get("response"))))
    return hashlib.sha256("\x1e".join(sig).encode("utf-8", "replace")).hexdigest()[:24]


def tool_arguments(value: Any) -> dict[str, Any] | str:
    """Tool-call arguments as OTel carries them: a JSON string, an object, nothing, or any other value."""
    if isinstance(value, str):
        return parse_args(value)
    if isinstance(value, dict):
        return value
    return {} if value is None else json_text(value)


def json_text(value: Any) -> str:
    if value is None:
        return ""
    return (
        value
        if isinstance(value, str)
        else json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)
    )


def _clip_message(message: dict[str, Any]) -> dict[str, Any]:
    parts: list[dict[str, Any]] = []
    for p in message.get("parts") or []:
        kind = p.get("type")
        if kind == "text":
            parts.append({"type": "text", "content": clip(as_text(p.get("content")))})
        elif kind == "tool_call":
            args = p.get("arguments")
            args = tool_arguments(args)
            parts.append(
                {
                    "type": "tool_call",
                    "id": p.get("id"),
                    "name": str(p.get("name") or "tool"),
                    "arguments": clip_arguments(args),
                }
            )
        elif kind == "tool_call_response":
            parts.append(
                {
                    "type": "tool_call_response",
                    "id": p.get("id"),
                    "response": clip(json_text(p.get("response"))),
                }
            )
    return {"role": message.get("role"), "parts": parts}
