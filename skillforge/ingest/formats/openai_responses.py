"""OpenAI Responses API transcripts: items (``message``, ``function_call``, ``function_call_output``, …).

Shapes read (JSON documents are streamed, never loaded whole):

* a request body ``{model, instructions?, input: [items]}`` (also nested as ``request`` / ``body``), with
  the ``output`` of its response when the log keeps both (``{request, response}`` or side by side);
* a response object ``{object: "response", status, output: [items], error?, incomplete_details?}``;
* a bare JSON array of items, or JSONL with one item per line → one trace;
* JSONL of request or response objects → one trace per line.

The items mean what they mean in a Codex rollout (which is Responses items in an envelope), so the
steps are built by the Codex reader's ``Rollout``: calls and outputs paired by ``call_id``, an
``input`` message without ``type`` (``{role, content}``) read as a message. A response whose
``status`` is ``failed`` or ``incomplete`` gives the trace's outcome error.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skillforge.ingest.base import Probe, Reader, ReadOptions, as_text, clip, iter_jsonl
from skillforge.ingest.formats._agent_common import as_dict, iter_values, json_error, parse_errors
from skillforge.ingest.formats.codex import ITEM_TYPES, Rollout, task_of
from skillforge.models import Outcome, Skipped, Source, Trace

NAME = "openai-responses"

_CONTAINERS = ("", "request.", "body.", "response.")
_ITEM_PREFIXES = tuple(f"{c}{k}.item" for c in _CONTAINERS for k in ("input", "output"))
_FIELDS = ("model", "instructions", "status", "error", "incomplete_details", "id", "object")
_FIELD_PREFIXES = tuple(f"{c}{k}" for c in _CONTAINERS for k in _FIELDS)


def _is_item(value: Any, *, typed: bool = True) -> bool:
    """A Responses item; with ``typed=False`` also a message written without its type (``{role, content}``),
    which only an ``input`` list makes one (a bare list of those is a chat-completions transcript)."""
    if not isinstance(value, dict) or "payload" in value:
        return False
    kind = value.get("type")
    if kind in ITEM_TYPES:
        return True
    return (
        not typed
        and kind is None
        and value.get("role") in ("user", "assistant", "system", "developer")
        and "content" in value
        and "tool_calls" not in value
        and "tool_call_id" not in value
    )


def _is_items(value: Any, *, typed: bool = True) -> bool:
    return isinstance(value, list) and bool(value) and _is_item(value[0], typed=typed)


def _is_exchange(value: Any) -> bool:
    """A request body or response object holding Responses items."""
    if not isinstance(value, dict):
        return False
    if value.get("object") == "response" and isinstance(value.get("output"), list):
        return True
    for container in (value, as_dict(value.get("request")), as_dict(value.get("body")), as_dict(value.get("response"))):
        if "messages" not in container and (
            _is_items(container.get("input"), typed=False) or _is_items(container.get("output"))
        ):
            return True
    return False


def sniff(probe: Probe) -> float:
    """Responses items: ``function_call_output`` and ``input_text`` are this API's alone."""
    if probe.kind == "json":
        sk = probe.skeleton
        if _is_exchange(sk) or _is_items(sk):
            return 0.8
        return 0.0
    if probe.kind == "jsonl":
        records = [r for r in probe.lines if isinstance(r, dict)]
        if records and (all(_is_item(r) for r in records) or all(_is_exchange(r) for r in records)):
            return 0.75
    return 0.0


def _steps_of(items: Iterator[Any], rollout: Rollout) -> None:
    for item in items:
        if not isinstance(item, dict):
            continue
        if item.get("type") is None and "role" in item:
            item = {**item, "type": "message"}
        rollout.item(item, item.get("created_at") if isinstance(item.get("created_at"), str) else None)


def _trace(path: Path, index: int, line: int | None, rollout: Rollout, fields: dict[str, Any]) -> Trace | None:
    steps = rollout.final_steps()
    if not steps:
        return None
    meta: dict[str, Any] = {"host": "openai"}
    if isinstance(fields.get("model"), str):
        meta["model"] = fields["model"]
    if isinstance(fields.get("id"), str):
        meta["response_id"] = fields["id"]
    if isinstance(fields.get("instructions"), str) and fields["instructions"].strip():
        meta["instructions"] = clip(fields["instructions"])
    error: str | None = None
    if fields.get("status") in ("failed", "incomplete"):
        detail = as_dict(fields.get("error")).get("message") or as_dict(fields.get("incomplete_details")).get("reason")
        error = f"response {fields['status']}" + (f": {as_text(detail)}" if detail else "")
    return Trace(
        id=Trace.make_id(str(path), index),
        source=Source(path=str(path), format=NAME, line=line, index=index),
        task=task_of(steps),
        steps=steps,
        outcome=Outcome(success=False if error else None, error=error),
        metadata=dict(sorted(meta.items())),
    )


def _fields_of(record: dict[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for container in (as_dict(record.get("response")), as_dict(record.get("body")), as_dict(record.get("request")), record):
        for key in _FIELDS:
            if key in container and key not in fields:
                fields[key] = container[key]
    return fields


def _items_of(record: dict[str, Any]) -> Iterator[Any]:
    for container in (record, as_dict(record.get("request")), as_dict(record.get("body")), as_dict(record.get("response"))):
        for key in ("input", "output"):
            items = container.get(key)
            if isinstance(items, list):
                yield from items


def read(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """One trace per document, per item stream, or per request/response line."""
    if probe.kind == "jsonl":
        yield from _read_jsonl(path, options)
        return
    rollout, fields = Rollout(), dict[str, Any]()
    prefixes = ("item",) if isinstance(probe.skeleton, list) else _ITEM_PREFIXES + _FIELD_PREFIXES
    try:
        for prefix, value in iter_values(path, prefixes):
            if prefix.endswith("item"):
                _steps_of(iter([value]), rollout)
            else:
                fields.setdefault(prefix.rsplit(".", 1)[-1], value)
    except parse_errors() as exc:
        yield json_error(path, exc, what="Responses transcript")
        return
    trace = _trace(path, 0, None, rollout, fields)
    if trace is not None:
        yield trace


def _read_jsonl(path: Path, options: ReadOptions) -> Iterator[Trace | Skipped]:
    stream: Rollout | None = None
    first: int | None = None
    index = 0
    for lineno, rec in iter_jsonl(path, max_line_bytes=options.max_line_bytes):
        if isinstance(rec, Skipped):
            yield rec
        elif _is_item(rec):
            if stream is None:
                stream, first = Rollout(), lineno
            _steps_of(iter([rec]), stream)
        elif _is_exchange(rec):
            rollout = Rollout()
            _steps_of(_items_of(rec), rollout)
            trace = _trace(path, index, lineno, rollout, _fields_of(rec))
            if trace is not None:
                index += 1
                yield trace
        else:
            yield Skipped(path=str(path), line=lineno, reason="not a Responses API item or request/response object")
    if stream is not None:
        trace = _trace(path, index, first, stream, {})
        if trace is not None:
            yield trace


READERS = [
    Reader(
        name=NAME,
        sniff=sniff,
        read=read,
        description="OpenAI Responses API transcripts (input/output items, response objects, item JSONL)",
    )
]
