"""OpenTelemetry GenAI spans (semantic conventions for generative AI).

Shapes read (streamed span by span):

* OTLP/JSON exports ``{"resourceSpans": [{resource, scopeSpans: [{scope, spans: [...]}]}]}``, as one
  document or as JSONL with one export per line (the collector's file exporter);
* flat span lists: ``{"spans": [...]}``, a JSON array of spans or JSONL of spans, with attributes as
  OTLP ``[{key, value: {stringValue|intValue|…}}]`` or as a plain dict (SDK console/JSON exporters).

Spans are grouped into traces by ``gen_ai.conversation.id`` (else ``traceId``) and replayed in time
order: a span's ``gen_ai.input.messages`` at its start, its ``gen_ai.output.messages`` at its end,
``execute_tool`` spans as tool calls and results (an error when ``status.code`` is 2 or ``error.type``
is set). Chat spans repeat the whole history in every input; messages already replayed are not
repeated (a message store keyed by content keeps that linear in memory). Deprecated forms are read
too: ``gen_ai.system``, ``gen_ai.prompt``/``gen_ai.completion`` (JSON or indexed
``gen_ai.prompt.0.content``) and the ``gen_ai.content.*`` / ``gen_ai.*.message`` span events.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from skillforge.ingest.base import (
    Probe,
    Reader,
    ReadOptions,
    clip,
    clip_arguments,
    iter_jsonl,
    looks_like_error,
)
from skillforge.ingest.formats._agent_common import iter_values, json_error, parse_errors
from skillforge.ingest.formats._otel_logs import (
    RESOURCE_LOGS,
    SCOPE_LOGS,
    add_log_record,
    add_record,
    flat_event_like,
    logs_export_like,
)
from skillforge.ingest.formats._otel_spans import (
    MAX_ATTR_CHARS,
    RESOURCE_SPANS,
    SCOPE_SPANS,
    Collector,
    Span,
    decode_attributes,
    export_like,
    iso_nanos,
    json_text,
    span_like,
    tool_arguments,
)
from skillforge.models import Outcome, Skipped, Source, Step, ToolCall, ToolResult, Trace

NAME = "otel-genai"

_CHAT_OPS = {"chat", "text_completion", "generate_content", "completion"}

# --------------------------------------------------------------------------- detection


def sniff(probe: Probe) -> float:
    """OTLP trace exports (0.95), flat span lists (0.85–0.9), and log exports or flattened telemetry
    streams that carry GenAI or Claude Code events (0.85); metrics-only files and schemas are not."""
    sk = probe.skeleton
    agentic = "gen_ai." in probe.text or "claude_code" in probe.text
    first: Any = None
    if probe.kind == "json":
        if isinstance(sk, dict) and isinstance(sk.get("spans"), list) and sk["spans"]:
            first = sk["spans"][0]
        else:
            first = sk[0] if isinstance(sk, list) and sk else sk
    elif probe.kind == "jsonl" and probe.lines:
        first = probe.lines[0]
    if export_like(first):
        return 0.95
    if span_like(first):
        return 0.9 if agentic else 0.85
    if (logs_export_like(first) or flat_event_like(first)) and agentic:
        return 0.85
    return 0.0


# --------------------------------------------------------------------------- reading


def read(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """Collect every span (bounded per span), then yield one trace per conversation / trace id."""
    col = Collector()
    # Single-line documents and JSONL whose first line is damaged (which the probe may take for one
    # broken document) are read line by line.
    by_line = probe.kind == "jsonl" or (bool(probe.lines) and all(isinstance(r, dict) for r in probe.lines))
    if by_line:
        for lineno, record in iter_jsonl(path, max_line_bytes=options.max_line_bytes):
            if isinstance(record, Skipped):
                yield record
            elif not add_record(col, record, lineno):
                yield Skipped(
                    path=str(path), line=lineno, reason="not an OTLP export, span or telemetry event"
                )
    else:
        try:
            _collect_document(path, probe, col)
        except parse_errors() as exc:
            yield json_error(path, exc, what="span export")
            return
    for index, spans in enumerate(_group(col.spans)):
        yield _TraceBuilder(path, index, spans, col.store).build()


def _collect_document(path: Path, probe: Probe, col: Collector) -> None:
    sk = probe.skeleton
    if isinstance(sk, list) or (isinstance(sk, dict) and isinstance(sk.get("spans"), list)):
        prefix = "item" if isinstance(sk, list) else "spans.item"
        for _, item in iter_values(path, (prefix,), max_chars=MAX_ATTR_CHARS):
            add_record(col, item, None)
        return
    # One export document, streamed record by record; a resource applies to the records after it.
    resource: dict[str, Any] = {}
    prefixes = {f"{r}.item.resource" for r in (*RESOURCE_SPANS, *RESOURCE_LOGS)}
    prefixes |= {f"{r}.item.{s}.item.spans.item" for r in RESOURCE_SPANS for s in SCOPE_SPANS}
    prefixes |= {f"{r}.item.{s}.item.logRecords.item" for r in RESOURCE_LOGS for s in SCOPE_LOGS}
    for prefix, value in iter_values(path, prefixes, max_chars=MAX_ATTR_CHARS):
        if prefix.endswith(".resource"):
            resource = decode_attributes(value.get("attributes")) if isinstance(value, dict) else {}
        elif prefix.endswith(".logRecords.item"):
            add_log_record(col, value, resource, None)
        else:
            col.add_span(value, resource, None)


def _group(spans: list[Span]) -> list[list[Span]]:
    """Spans by conversation id (merging the traces that share one), else by trace id; ordered."""
    by_trace: dict[str, list[Span]] = {}
    for span in spans:
        by_trace.setdefault(span.trace_id, []).append(span)
    groups: dict[str, list[Span]] = {}
    for trace_id, members in by_trace.items():
        conv = next(
            (
                s.attrs["gen_ai.conversation.id"]
                for s in sorted(members, key=_order)
                if s.attrs.get("gen_ai.conversation.id")
            ),
            None,
        )
        groups.setdefault(f"conversation:{conv}" if conv else f"trace:{trace_id}", []).extend(members)
    ordered = [sorted(g, key=_order) for g in groups.values()]
    return sorted(ordered, key=lambda g: (_order(g[0]), g[0].trace_id))


def _order(span: Span) -> tuple[int, int]:
    return span.start, span.seq


class _TraceBuilder:
    """Replays one trace's spans in time order into steps, without repeating history."""

    def __init__(self, path: Path, index: int, spans: list[Span], store: list[dict[str, Any]]) -> None:
        self.path, self.index, self.spans, self.store = path, index, spans, store
        self.steps: list[Step] = []
        self.seen: Counter[int] = Counter()  # messages already replayed (multiset)
        self.calls: set[str] = set()  # tool-call ids already shown
        self.results: dict[str, int] = {}  # tool-call id → step index of its result
        self.stand_ins: set[int] = set()  # results whose output is only the span's error text

    def build(self) -> Trace:
        ids = {s.span_id for s in self.spans}
        parents = {s.span_id: s.parent_id for s in self.spans}
        timeline = []
        for s in self.spans:
            depth = _depth(s.span_id, parents, ids)
            timeline.append(((s.start, 1, depth, s.seq), "start", s))
            # ends sort before starts at the same instant (a chat ends, its tool starts), except an
            # instant span's own end, which must follow its start
            timeline.append(((s.end, 2 if s.end == s.start else 0, -depth, s.seq), "end", s))
        for _, phase, span in sorted(timeline, key=lambda t: t[0]):
            if span.op == "execute_tool":
                self._tool_span(span, phase)
            elif phase == "start":
                self._replay(span.inputs, span.start, dedupe=True)
            else:
                self._replay(span.outputs, span.end, dedupe=span.op not in _CHAT_OPS)
        task = next((s.text for s in self.steps if s.role == "user" and s.text), "")
        return Trace(
            id=Trace.make_id(str(self.path), self.index),
            source=Source(path=str(self.path), format=NAME, line=self.spans[0].line, index=self.index),
            task=task,
            steps=self.steps,
            outcome=self._outcome(ids),
            metadata=self._metadata(),
        )

    def _replay(self, keys: Iterable[int], at: int, *, dedupe: bool) -> None:
        pending = Counter(self.seen) if dedupe else Counter()
        for key in keys:
            if pending[key] > 0:
                pending[key] -= 1
                continue
            self.seen[key] += 1
            self._emit(self.store[key], iso_nanos(at))

    def _emit(self, message: dict[str, Any], stamp: str | None) -> None:
        role = message.get("role")
        texts = [p["content"] for p in message["parts"] if p["type"] == "text" and p["content"]]
        calls = [p for p in message["parts"] if p["type"] == "tool_call" and p.get("id") not in self.calls]
        responses = [p for p in message["parts"] if p["type"] == "tool_call_response"]
        text = "\n".join(texts)
        if role == "system":
            return
        if role == "assistant" and calls:
            for n, p in enumerate(calls):
                call = ToolCall(name=p["name"], arguments=p["arguments"], id=p.get("id"))
                self.steps.append(
                    Step(role="assistant", text=text if n == 0 else "", tool_call=call, timestamp=stamp)
                )
                if p.get("id"):
                    self.calls.add(p["id"])
        elif text and role in ("user", "assistant"):
            self.steps.append(Step(role=role, text=text, timestamp=stamp))
        for p in responses:
            call_id = p.get("id")
            if call_id in self.results:
                index = self.results[call_id]
                result = self.steps[index].tool_result
                if result is not None and (not result.output or index in self.stand_ins):
                    result.output = p["response"]  # what the model was actually shown
                continue
            output = p["response"]
            self._result(ToolResult(output=output, is_error=looks_like_error(output), call_id=call_id), stamp)

    def _tool_span(self, span: Span, phase: str) -> None:
        call_id = span.attrs.get("gen_ai.tool.call.id") or span.attrs.get("tool_use_id")
        call_id = str(call_id) if call_id not in (None, "") else None
        if phase == "start":
            if call_id is None or call_id not in self.calls:
                name = str(
                    span.attrs.get("gen_ai.tool.name")
                    or span.attrs.get("tool_name")
                    or span.name.removeprefix("execute_tool ").strip()
                    or "tool"
                )
                args = span.attrs.get("gen_ai.tool.call.arguments", span.attrs.get("tool_input"))
                args = tool_arguments(args)
                self.steps.append(
                    Step(
                        role="assistant",
                        tool_call=ToolCall(name=name, arguments=clip_arguments(args), id=call_id),
                        timestamp=iso_nanos(span.start),
                    )
                )
                if call_id:
                    self.calls.add(call_id)
            return
        raw = span.attrs.get("gen_ai.tool.call.result")
        output = clip(json_text(raw)) or (span.error or "")
        if call_id is not None and call_id in self.results:
            result = self.steps[self.results[call_id]].tool_result
            if result is not None and span.error:
                result.is_error = True
            return
        is_error = span.error is not None or (raw is not None and looks_like_error(output))
        if raw is None and span.error:
            self.stand_ins.add(len(self.steps))
        self._result(ToolResult(output=output, is_error=is_error, call_id=call_id), iso_nanos(span.end))

    def _result(self, result: ToolResult, stamp: str | None) -> None:
        if result.call_id:
            self.results[result.call_id] = len(self.steps)
        self.steps.append(Step(role="tool", tool_result=result, timestamp=stamp))

    def _outcome(self, ids: set[str]) -> Outcome:
        # The run failed when its agent or root operation did; a failed tool call is a step's error.
        roots = [s for s in self.spans if s.parent_id not in ids and s.op != "execute_tool"]
        failed = next(
            (s for s in (*roots, *(s for s in self.spans if s.op == "invoke_agent")) if s.error), None
        )
        return Outcome(success=False, error=failed.error) if failed else Outcome()

    def _metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {
            "spans": len(self.spans),
            "trace_ids": sorted({s.trace_id for s in self.spans}),
        }
        first = {
            "model": ("gen_ai.request.model", "gen_ai.response.model"),
            "provider": ("gen_ai.provider.name", "gen_ai.system"),
            "agent": ("gen_ai.agent.name",),
            "conversation_id": ("gen_ai.conversation.id",),
        }
        for out, keys in first.items():
            value = next(
                (s.attrs[k] for s in self.spans for k in keys if isinstance(s.attrs.get(k), str)), None
            )
            if value:
                meta[out] = value
        service = next(
            (s.resource["service.name"] for s in self.spans if s.resource.get("service.name")), None
        )
        if service:
            meta["service_name"] = service
        usage = (
            ("input_tokens", ("gen_ai.usage.input_tokens", "gen_ai.usage.prompt_tokens")),
            ("output_tokens", ("gen_ai.usage.output_tokens", "gen_ai.usage.completion_tokens")),
        )
        for out, keys in usage:
            values = [
                v
                for s in self.spans
                if s.op != "invoke_agent"
                if isinstance(v := _first_int(s.attrs, keys), int)
            ]
            if values:
                meta[out] = sum(values)
        costs = [s.attrs["cost_usd"] for s in self.spans if isinstance(s.attrs.get("cost_usd"), (int, float))]
        if costs:
            meta["cost_usd"] = round(sum(costs), 6)
        api_errors = sum(1 for s in self.spans if s.op == "api_error")
        if api_errors:
            meta["api_errors"] = api_errors
        meta["started"] = iso_nanos(self.spans[0].start)
        meta["ended"] = iso_nanos(max(s.end for s in self.spans))
        return {k: v for k, v in meta.items() if v is not None}


def _first_int(attrs: dict[str, Any], keys: tuple[str, ...]) -> int | None:
    return next(
        (attrs[k] for k in keys if isinstance(attrs.get(k), int) and not isinstance(attrs.get(k), bool)), None
    )


def _depth(span_id: str, parents: dict[str, str], ids: set[str]) -> int:
    depth, current, seen = 0, parents.get(span_id, ""), {span_id}
    while current in ids and current not in seen:
        seen.add(current)
        depth += 1
        current = parents.get(current, "")
    return depth


READERS = [
    Reader(
        name=NAME,
        sniff=sniff,
        read=read,
        description="OpenTelemetry GenAI spans: OTLP/JSON exports (document or JSONL) and flat span lists",
    )
]
