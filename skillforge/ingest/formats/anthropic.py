"""Anthropic Messages API transcripts: ``{role, content: [text | tool_use | tool_result | …]}``.

Shapes read: ``{"messages": [...], "system"?, "model"?}`` (also nested as ``request`` or a Message
Batches ``params``), a bare array of messages, JSONL of messages or of conversation objects, and a
single Messages API response (``{"type": "message", "role": "assistant", "content": [...]}``).

``StepAssembler`` turns content blocks into steps and is shared with the Claude Code reader, whose
``message`` objects are Messages API objects split over several lines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skillforge.ingest.base import (
    Probe,
    Reader,
    ReadOptions,
    as_text,
    clip,
    clip_arguments,
    looks_like_error,
    parse_arguments,
)
from skillforge.ingest.formats._chat_shapes import (
    as_dict,
    build_trace,
    is_message,
    iter_conversations,
    looks_like_agent_log,
    messages_path,
    scan_signals,
)
from skillforge.models import Skipped, Step, ToolCall, ToolResult, Trace

NAME = "anthropic-messages"

_ROLES = {"user": "user", "assistant": "assistant"}
_READ_ROLES = {**_ROLES, "system": "system", "developer": "system", "tool": "tool"}
"""Roles accepted when reading (``--format`` may force OpenAI-shaped messages in); sniff uses ``_ROLES``."""
_EXIT_CODE = re.compile(r"^(?:Error: )?Exit code (-?\d+)")
_IGNORED_BLOCKS = frozenset({"thinking", "redacted_thinking", "signature", "citations_delta"})


class StepAssembler:
    """Turn Anthropic content blocks into steps, message by message.

    Text an assistant writes before a tool call becomes that call's ``text``; a tool call or result
    seen twice (the same ``id``) is kept once, so a resumed or re-logged message is not double-counted.
    """

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self._text: list[str] = []
        self._text_ts: str | None = None
        self._calls: set[str] = set()
        self._results: set[str] = set()

    def add(
        self, role: str, content: Any, timestamp: str | None = None, *, is_error: bool | None = None
    ) -> None:
        """Add one message (or one line of a split message) of ``role`` with ``content``."""
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        if not isinstance(blocks, list):
            return
        if role == "assistant":
            self._assistant(blocks, timestamp)
            return
        self.flush()
        texts = []
        for block in blocks:
            if not isinstance(block, dict):
                continue
            kind = str(block.get("type", ""))
            if kind.endswith("tool_result"):
                self._result(block, timestamp, is_error)
            elif kind not in _IGNORED_BLOCKS:
                texts.append(block_text(block))
        text = "\n".join(t for t in texts if t)
        if text.strip():
            self.steps.append(
                Step(role="system" if role == "system" else "user", text=clip(text), timestamp=timestamp)
            )

    def flush(self) -> None:
        """End the current assistant message: leftover text becomes a plain assistant step."""
        text = "\n".join(self._text).strip()
        if text:
            self.steps.append(Step(role="assistant", text=clip(text), timestamp=self._text_ts))
        self._text, self._text_ts = [], None

    def _assistant(self, blocks: list[Any], timestamp: str | None) -> None:
        for block in blocks:
            if not isinstance(block, dict):
                continue
            kind = str(block.get("type", ""))
            if kind.endswith("tool_use"):
                self._call(block, timestamp)
            elif kind.endswith("tool_result"):  # server tools answer inside the assistant message
                self._result(block, timestamp, None)
            elif kind not in _IGNORED_BLOCKS:
                text = block_text(block)
                if text.strip():
                    self._text.append(text)
                    self._text_ts = self._text_ts or timestamp

    def _call(self, block: dict[str, Any], timestamp: str | None) -> None:
        call_id = str(block["id"]) if block.get("id") else None
        if call_id is not None and call_id in self._calls:
            return
        if call_id is not None:
            self._calls.add(call_id)
        text = "\n".join(self._text).strip()
        self._text, self._text_ts = [], None
        args = clip_arguments(parse_arguments(block.get("input")))
        call = ToolCall(name=str(block.get("name") or "tool"), arguments=args, id=call_id)
        self.steps.append(Step(role="assistant", text=clip(text), tool_call=call, timestamp=timestamp))

    def _result(self, block: dict[str, Any], timestamp: str | None, is_error: bool | None) -> None:
        call_id = str(block["tool_use_id"]) if block.get("tool_use_id") else None
        if call_id is not None and call_id in self._results:
            return
        if call_id is not None:
            self._results.add(call_id)
        content = block.get("content")
        error_block = "error_code" in as_dict(content)
        output = f"error: {as_dict(content)['error_code']}" if error_block else result_text(content)
        match = _EXIT_CODE.match(output)
        if "is_error" in block:
            flagged = bool(block["is_error"])
        elif is_error is not None:
            flagged = is_error
        else:
            flagged = error_block or looks_like_error(output)
        result = ToolResult(
            output=clip(output),
            is_error=flagged,
            exit_code=int(match.group(1)) if match else None,
            call_id=call_id,
        )
        self.steps.append(Step(role="tool", tool_result=result, timestamp=timestamp))


def block_text(block: dict[str, Any]) -> str:
    """The readable text of one content block; images and documents become a marker."""
    kind = block.get("type")
    text = block.get("text")
    if kind in ("image", "image_url"):
        return "[image]"
    if kind == "document":
        return "[document]"
    if isinstance(text, str):
        return text
    return as_text(block.get("content")) if "content" in block else ""


def result_text(content: Any) -> str:
    """A tool result's content (string, blocks, search hits or an object) as text."""
    if isinstance(content, list) and any(
        isinstance(b, dict) and "url" in b and "title" in b for b in content
    ):
        # web_search_tool_result: a list of hits, each with url and title
        return "\n".join(f"{b.get('title', '')} <{b.get('url', '')}>" for b in content if isinstance(b, dict))
    if isinstance(content, (dict, list)) and not as_text(content):
        return json.dumps(content, sort_keys=True, ensure_ascii=False)
    return as_text(content)


# --------------------------------------------------------------------------- detection


def _is_response(obj: Any) -> bool:
    return (
        isinstance(obj, dict)
        and obj.get("type") == "message"
        and obj.get("role") == "assistant"
        and isinstance(obj.get("content"), list)
    )


def sniff(probe: Probe) -> float:
    """Score Messages API shapes: typed content blocks, never OpenAI tool_calls, never Claude Code records."""
    if probe.kind == "json":
        sk = probe.skeleton
        if _is_response(sk):
            return 0.9
        if isinstance(sk, dict) and "trajectory_format" not in sk and messages_path(sk):
            return _score(probe, _messages(sk), top_level_system="system" in sk)
        if isinstance(sk, list) and sk and is_message(sk[0], _ROLES):
            return _score(probe, sk)
        if isinstance(sk, list) and sk and messages_path(sk[0]):
            return _score(probe, _messages(sk[0]), top_level_system="system" in sk[0])
        return 0.0
    if probe.kind == "jsonl":
        records = [r for r in probe.lines if isinstance(r, dict)]
        if not records or looks_like_agent_log(records):
            return 0.0
        if all(is_message(r, _ROLES) for r in records):
            return _score(probe, records)
        if all(messages_path(r) for r in records):
            return _score(
                probe, [m for r in records for m in _messages(r)], top_level_system="system" in records[0]
            )
    return 0.0


def _messages(container: dict[str, Any]) -> list[Any]:
    node: Any = container
    for key in messages_path(container) or ():
        node = node.get(key) if isinstance(node, dict) else None
    return node if isinstance(node, list) else []


def _score(probe: Probe, messages: list[Any], *, top_level_system: bool = False) -> float:
    sig = scan_signals(probe.text, messages)
    roles = {m.get("role") for m in messages if isinstance(m, dict)}
    if sig.openai or roles - set(_ROLES):
        return 0.0  # role tool / system inside messages / tool_calls: OpenAI's shape
    if sig.anthropic:
        return 0.85
    if top_level_system:
        return 0.55  # Anthropic keeps the system prompt beside the messages, OpenAI inside them
    return 0.35


# --------------------------------------------------------------------------- reading


def message_steps(message: dict[str, Any]) -> list[Step]:
    """One Messages API message as steps (used on its own, outside a split-message session)."""
    if message.get("tool_calls") or message.get("role") not in _ROLES:
        from skillforge.ingest.formats.openai_chat import message_steps as openai_steps

        return openai_steps(message)  # an OpenAI-shaped message in a file read with --format
    assembler = StepAssembler()
    timestamp = message.get("timestamp") if isinstance(message.get("timestamp"), str) else None
    assembler.add(str(message.get("role")), message.get("content"), timestamp)
    assembler.flush()
    return assembler.steps


def read(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """Yield one Trace per conversation (or response object) in ``path``."""
    for conv in iter_conversations(path, probe, options, _READ_ROLES):
        if isinstance(conv, Skipped):
            yield conv
            continue
        response = conv.fields.get("response")
        if _is_response(response):
            conv.fields["final_message"] = response
        elif _is_response(conv.fields):  # the file is one response object
            conv.fields = {
                "final_message": conv.fields,
                "model": conv.fields.get("model"),
                "response": conv.fields,
            }
        usage = (
            (conv.fields.get("response") or {}).get("usage")
            if isinstance(conv.fields.get("response"), dict)
            else None
        )
        if isinstance(usage, dict):
            conv.fields["usage"] = usage
        skipped: list[Skipped] = []
        trace = build_trace(path, conv, NAME, _READ_ROLES, message_steps, skipped)
        yield from skipped
        if trace is not None:
            yield trace


READERS = [
    Reader(
        name=NAME,
        sniff=sniff,
        read=read,
        description="Anthropic Messages API transcripts (tool_use / tool_result content blocks)",
    )
]
