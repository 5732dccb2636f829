"""Where the messages are in a chat transcript file, shared by the OpenAI and Anthropic readers.

Both APIs' transcripts come in the same containers — a bare array of messages, JSONL of messages,
one ``{messages: [...]}`` object (optionally nested under ``request`` / ``params`` / ``body``), or a
JSONL / array of such objects — and differ only in how one message turns into steps. This module
walks the containers as streams and leaves the message semantics to the readers.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillforge.ingest.base import Probe, ReadOptions, as_text, clip, iter_json_array, iter_jsonl
from skillforge.ingest.limits import JSONStream, JSONTooDeep, error_text, open_input
from skillforge.models import Outcome, Skipped, Source, Step, Trace

MESSAGE_PATHS: tuple[tuple[str, ...], ...] = (
    ("messages",),
    ("traj",),  # tau-bench results
    ("request", "messages"),  # request/response logs
    ("params", "messages"),  # Anthropic Message Batches requests
    ("body", "messages"),  # OpenAI Batch API requests
)
_BULKY = frozenset({"tools", "functions", "raw_messages", "raw_response", "kwargs"})
"""Container fields that can be large and say nothing about the run (tool schemas, raw copies)."""

_CLAUDE_CODE_TYPES = frozenset(
    {
        "summary",
        "file-history-snapshot",
        "progress",
        "attachment",
        "permission-mode",
        "queue-operation",
        "last-prompt",
    }
)
_OPENAI_TEXT = re.compile(r'"tool_calls"\s*:\s*\[\s*\{|"tool_call_id"\s*:|"role"\s*:\s*"(?:tool|function)"')
_ANTHROPIC_TEXT = re.compile(
    r'"type"\s*:\s*"(?:tool_use|tool_result|thinking|redacted_thinking|server_tool_use)"'
)


@dataclass
class Conversation:
    """One transcript found in a file: its messages as a stream, and the container's other fields."""

    index: int
    messages: Iterator[tuple[int | None, Any]]
    """``(line, message)`` pairs; ``message`` is a ``Skipped`` where a record could not be read."""
    fields: dict[str, Any] = field(default_factory=dict)
    jsonl: bool = False


@dataclass
class Signals:
    """What the start of a file says about which API its messages follow."""

    openai: bool
    anthropic: bool
    mini_swe_agent: bool


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty dict (foreign files hold any shape anywhere)."""
    return value if isinstance(value, dict) else {}


def is_message(obj: Any, roles: Iterable[str]) -> bool:
    """A dict with a known ``role`` and message content."""
    return (
        isinstance(obj, dict)
        and str(obj.get("role")) in roles
        and ("content" in obj or "tool_calls" in obj or "function_call" in obj)
    )


def messages_path(obj: Any) -> tuple[str, ...] | None:
    """The key path of the message list inside a conversation object, or None."""
    if not isinstance(obj, dict):
        return None
    for keys in MESSAGE_PATHS:
        node: Any = obj
        for key in keys:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, list) and (not node or isinstance(node[0], dict)):
            return keys
    return None


def looks_like_agent_log(records: list[dict[str, Any]]) -> bool:
    """JSONL records written by an agent host (Claude Code, Codex), not bare API messages."""
    for rec in records:
        if "sessionId" in rec or "parentUuid" in rec or rec.get("type") in _CLAUDE_CODE_TYPES:
            return True
        if "payload" in rec and "type" in rec:
            return True
    return False


def scan_signals(text: str, messages: list[Any]) -> Signals:
    """Look for the API-specific markers in the probe's head text and the first messages."""
    roles = {m.get("role") for m in messages if isinstance(m, dict)}
    return Signals(
        openai=bool(_OPENAI_TEXT.search(text)) or bool(roles & {"tool", "function"}),
        anthropic=bool(_ANTHROPIC_TEXT.search(text)),
        mini_swe_agent="mswea_bash_command" in text or "<returncode>" in text,
    )


def split_container(obj: dict[str, Any]) -> tuple[list[Any], dict[str, Any]] | None:
    """``(messages, other fields)`` of an in-memory conversation object; nested fields are flattened."""
    keys = messages_path(obj)
    if keys is None:
        return None
    fields: dict[str, Any] = {}
    node = obj
    for key in keys[:-1]:
        fields.update({k: v for k, v in node.items() if k != key and k not in _BULKY})
        node = node[key]
    fields.update({k: v for k, v in node.items() if k != keys[-1] and k not in _BULKY})
    return node[keys[-1]], fields


def iter_conversations(
    path: Path, probe: Probe, options: ReadOptions, roles: Iterable[str]
) -> Iterator[Conversation | Skipped]:
    """Every conversation in ``path``, whatever container holds it, streamed."""
    roles = frozenset(roles)
    if probe.kind == "jsonl":
        yield from _jsonl_conversations(path, probe, options, roles)
        return
    sk = probe.skeleton
    if isinstance(sk, dict):
        keys = messages_path(sk)
        if keys is None:  # a single response object: the caller reads its answer from the fields
            yield Conversation(0, iter(()), top_level_fields(path, "", skip=frozenset()))
            return
        parent = ".".join(keys[:-1])
        fields = top_level_fields(path, "", skip=_BULKY | {keys[0]}) if parent else {}
        fields.update(top_level_fields(path, parent, skip=_BULKY | {keys[-1]}))
        yield Conversation(0, _stream(path, ".".join(keys) + ".item"), fields)
    elif isinstance(sk, list) or probe.text.lstrip().startswith("["):
        # Also taken when the skeleton is missing (a damaged array read with a forced format):
        # the items before the damage are still read.
        yield from _array(path, roles)
    elif probe.text.lstrip().startswith("{"):
        yield Conversation(0, _stream(path, "messages.item"))


def _array(path: Path, roles: frozenset[str]) -> Iterator[Conversation | Skipped]:
    """A JSON array: either the messages of one conversation, or one conversation per item."""
    items = _stream(path, "item")
    first = next(items, None)
    if first is None:
        return
    if isinstance(first[1], Skipped):
        yield first[1]
        return
    if is_message(first[1], roles) or not messages_path(first[1]):
        yield Conversation(0, itertools.chain([first], items))
        return
    index = 0
    for _, item in itertools.chain([first], items):
        if isinstance(item, Skipped):
            yield item
            return
        split = split_container(item) if isinstance(item, dict) else None
        if split is None:
            yield Skipped(path=str(path), reason=f"array item {index} is not a conversation object")
        else:
            messages, fields = split
            yield Conversation(index, iter([(None, m) for m in messages]), fields)
        index += 1


def _jsonl_conversations(
    path: Path, probe: Probe, options: ReadOptions, roles: frozenset[str]
) -> Iterator[Conversation | Skipped]:
    first = next((r for r in probe.lines if isinstance(r, dict)), None)
    if first is None or is_message(first, roles) or not messages_path(first):
        yield Conversation(0, _jsonl_messages(path, options), jsonl=True)
        return
    index = 0
    for lineno, rec in iter_jsonl(path, max_line_bytes=options.max_line_bytes):
        if isinstance(rec, Skipped):
            yield rec
            continue
        split = split_container(rec) if isinstance(rec, dict) else None
        if split is None:
            yield Skipped(path=str(path), line=lineno, reason="not a conversation object (no messages list)")
            continue
        messages, fields = split
        yield Conversation(index, iter([(lineno, m) for m in messages]), fields, jsonl=True)
        index += 1


def _jsonl_messages(path: Path, options: ReadOptions) -> Iterator[tuple[int | None, Any]]:
    yield from iter_jsonl(path, max_line_bytes=options.max_line_bytes)


def _stream(path: Path, prefix: str) -> Iterator[tuple[int | None, Any]]:
    """Stream the items under ``prefix``; a damaged document ends the stream with one Skipped."""
    import ijson

    try:
        for item in iter_json_array(path, prefix):
            yield None, item
    except JSONTooDeep as exc:
        yield None, Skipped(path=str(path), reason=f"{exc.message}, stopped reading")
    except (ijson.JSONError, UnicodeDecodeError, ValueError) as exc:
        yield None, Skipped(path=str(path), reason=f"invalid JSON, stopped reading: {error_text(exc)}")


def top_level_fields(path: Path, prefix: str, skip: frozenset[str]) -> dict[str, Any]:
    """Fields of the object at ``prefix`` (``""``: the document) except ``skip``, in one streaming pass."""
    import ijson

    out: dict[str, Any] = {}
    key: str | None = None
    builder: Any = None
    depth = 0
    try:
        with open_input(path) as fh:
            for pfx, event, value in ijson.parse(JSONStream(fh), use_float=True):
                if key is None:
                    if event == "map_key" and pfx == prefix:
                        key, builder, depth = value, (None if value in skip else ijson.ObjectBuilder()), 0
                    continue
                if builder is not None:
                    builder.event(event, value)
                if event in ("start_map", "start_array"):
                    depth += 1
                elif event in ("end_map", "end_array"):
                    depth -= 1
                if depth == 0:
                    if builder is not None:
                        out[key] = builder.value
                    key = None
    except (ijson.JSONError, UnicodeDecodeError, ValueError):
        pass  # the message stream reports the damage; the fields read so far are still good
    return out


def build_trace(
    path: Path,
    conv: Conversation,
    fmt: str,
    roles: Mapping[str, str],
    to_steps: Callable[[dict[str, Any]], list[Step]],
    skipped: list[Skipped],
) -> Trace | None:
    """Consume one conversation's message stream into a Trace (shared by the chat readers)."""
    steps: list[Step] = []
    first_line: int | None = None
    system = conv.fields.get("system")
    if system:
        steps.append(Step(role="system", text=clip(as_text(system))))
    for line, message in conv.messages:
        if isinstance(message, Skipped):
            skipped.append(message)
            continue
        if first_line is None:
            first_line = line
        if not isinstance(message, dict) or str(message.get("role")) not in roles:
            skipped.append(Skipped(path=str(path), line=line, reason="not a chat message (no known role)"))
            continue
        steps.extend(to_steps(message))
    final = conv.fields.get("final_message")
    if isinstance(final, dict):
        steps.extend(to_steps(final))
    if not steps:
        return None
    index = conv.index
    return Trace(
        id=Trace.make_id(str(path), index),
        source=Source(path=str(path), format=fmt, line=first_line if conv.jsonl else None, index=index),
        task=_task(conv.fields, steps),
        steps=steps,
        outcome=_outcome(conv.fields),
        metadata=_metadata(conv.fields),
    )


def _task(fields: dict[str, Any], steps: list[Step]) -> str:
    info = fields.get("info")
    task = info.get("task") if isinstance(info, dict) else None
    if isinstance(task, dict) and isinstance(task.get("instruction"), str) and task["instruction"].strip():
        return clip(task["instruction"].strip())
    return next((s.text.strip() for s in steps if s.role == "user" and s.text.strip()), "")


def _outcome(fields: dict[str, Any]) -> Outcome:
    reward = fields.get("reward")
    if isinstance(reward, (int, float)) and not isinstance(reward, bool):
        return Outcome(success=float(reward) == 1.0, reward=float(reward))
    return Outcome()


_METADATA_KEYS = ("task_id", "trial", "cost", "latency_sec", "context_window", "timestamp", "custom_id", "id")


def _metadata(fields: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    for key in _METADATA_KEYS:
        value = fields.get(key)
        if isinstance(value, (str, int, float)) and not isinstance(value, bool):
            meta["cost_usd" if key == "cost" else key] = value
    response = as_dict(fields.get("response"))
    model = fields.get("model") or response.get("model")
    if isinstance(model, str):
        meta["model"] = model
    usage = response.get("usage") or fields.get("usage")
    if isinstance(usage, dict):
        meta["usage"] = {k: v for k, v in sorted(usage.items()) if isinstance(v, (int, float))}
    stop = response.get("stop_reason") or _finish_reason(response)
    if isinstance(stop, str):
        meta["stop_reason"] = stop
    info = fields.get("info")
    if isinstance(info, dict):
        if isinstance(info.get("source"), str):
            meta["source"] = info["source"]
        if isinstance(info.get("user_cost"), (int, float)):
            meta["user_cost_usd"] = info["user_cost"]
    return dict(sorted(meta.items()))


def _finish_reason(response: dict[str, Any]) -> Any:
    choices = response.get("choices")
    return (
        choices[0].get("finish_reason")
        if isinstance(choices, list) and choices and isinstance(choices[0], dict)
        else None
    )
