"""OpenAI chat-completions transcripts with tool calls.

Shapes read (all streamed; a JSON document is never loaded whole):

* a bare JSON array of messages, or JSONL with one message per line → one trace;
* one conversation object ``{messages: [...], ...}`` (an OpenHands LLM completion log adds
  ``response``, ``cost``, ``latency_sec``; its ``response.choices[0].message`` becomes the last step);
* JSONL (or a JSON array) of conversation objects, one trace each (fine-tuning sets, batch requests);
* tau-bench results: a JSON array of ``{task_id, reward, info, traj, trial}``, one trace per item;
* messages in OpenHands' non-function-calling form (``<function=name><parameter=p>…``) are parsed
  into tool calls, and ``EXECUTION RESULT of [name]:`` user messages into tool results.

The shape walking (``iter_conversations``) is shared with the Anthropic Messages reader, which
differs only in how one message becomes steps.
"""

from __future__ import annotations

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
from skillforge.models.trace import Role

NAME = "openai-chat"

_ROLES: dict[str, Role] = {
    "system": "system",
    "developer": "system",
    "user": "user",
    "assistant": "assistant",
    "tool": "tool",
    "function": "tool",
    "ipython": "tool",
}
_EXIT_CODE = re.compile(
    r"\[(?:The command completed with exit code|Command finished with exit code) (-?\d+)\.?\]"
    r"|Process exited with code (-?\d+)"
)
_FUNCTION = re.compile(r"<function=([^>\s]+)>(.*?)(?:</function>|\Z)", re.S)
_PARAMETER = re.compile(r"<parameter=([^>\s]+)>(.*?)</parameter>", re.S)
_EXECUTION_RESULT = re.compile(r"^EXECUTION RESULT of \[([^\]]+)\]:\n?", re.S)


# --------------------------------------------------------------------------- detection


def sniff(probe: Probe) -> float:
    """Score chat-completions shapes; tool_calls / role tool are what make a transcript OpenAI's."""
    if probe.kind == "json":
        sk = probe.skeleton
        if isinstance(sk, list) and sk and isinstance(sk[0], dict):
            first = sk[0]
            if isinstance(first.get("traj"), list) and ("reward" in first or "task_id" in first):
                return 0.95  # tau-bench results
            if is_message(first, _ROLES):
                return _score(probe, [first])
            if messages_path(first):
                return _score(probe, _first_messages(first))
        if isinstance(sk, dict):
            if sk.get("object") == "chat.completion" and isinstance(sk.get("choices"), list):
                return 0.8
            if messages_path(sk) and "trajectory_format" not in sk:
                response = sk.get("response")
                if isinstance(response, dict) and isinstance(response.get("choices"), list):
                    return 0.95  # OpenHands LLM completion log
                return _score(probe, _first_messages(sk))
        return 0.0
    if probe.kind == "jsonl":
        records = [r for r in probe.lines if isinstance(r, dict)]
        if not records or looks_like_agent_log(records):
            return 0.0
        if all(is_message(r, _ROLES) for r in records):
            return _score(probe, records)
        if all(messages_path(r) for r in records):
            return _score(probe, [m for r in records for m in _first_messages(r)])
    return 0.0


def _first_messages(container: dict[str, Any]) -> list[Any]:
    found: Any = container
    for key in messages_path(container) or ():
        found = as_dict(found).get(key)
    return found if isinstance(found, list) else []


def _score(probe: Probe, messages: list[Any]) -> float:
    sig = scan_signals(probe.text, messages)
    if sig.openai:
        return 0.6  # generic shape: a more specific reader (SWE-agent, mini-swe-agent) may claim it
    if sig.anthropic:
        return 0.1
    if sig.mini_swe_agent:
        return 0.2
    return 0.45


# --------------------------------------------------------------------------- messages → steps


def tool_result_step(output_text: str, call_id: str | None, timestamp: str | None = None) -> Step:
    """A tool message: the exit code when the text states one, otherwise the shared error heuristic."""
    match = _EXIT_CODE.search(output_text[:200]) or _EXIT_CODE.search(output_text[-400:])
    exit_code = int(next(g for g in match.groups() if g is not None)) if match else None
    is_error = exit_code != 0 if exit_code is not None else looks_like_error(output_text)
    return Step(
        role="tool",
        tool_result=ToolResult(
            output=clip(output_text), is_error=is_error, exit_code=exit_code, call_id=call_id
        ),
        timestamp=timestamp,
    )


def message_steps(message: dict[str, Any]) -> list[Step]:
    """One chat-completions message as steps (one step per tool call; text rides on the first call)."""
    role = _ROLES.get(str(message.get("role")))
    timestamp = message.get("timestamp") if isinstance(message.get("timestamp"), str) else None
    if role is None:
        return []
    content = message.get("content")
    if isinstance(content, list) and any(
        isinstance(b, dict) and str(b.get("type", "")).endswith(("tool_use", "tool_result")) for b in content
    ):
        from skillforge.ingest.formats.anthropic import message_steps as anthropic_steps

        return anthropic_steps({**message, "role": "user" if role == "tool" else role})
    text = as_text(content)
    if role == "tool":
        call_id = message.get("tool_call_id") or message.get("name")
        return [tool_result_step(text, str(call_id) if call_id else None, timestamp)]
    if role == "user":
        result = _EXECUTION_RESULT.match(text)
        if result:  # OpenHands non-function-calling form: a tool result sent as user text
            return [tool_result_step(text[result.end() :], None, timestamp)]
    if role != "assistant":
        return [Step(role=role, text=clip(text), timestamp=timestamp)]
    calls = _tool_calls(message)
    if not calls and "<function=" in text:
        text, calls = _embedded_calls(text)
    if not calls:
        return [Step(role="assistant", text=clip(text), timestamp=timestamp)]
    return [
        Step(role="assistant", text=clip(text) if i == 0 else "", tool_call=call, timestamp=timestamp)
        for i, call in enumerate(calls)
    ]


def _tool_calls(message: dict[str, Any]) -> list[ToolCall]:
    calls = []
    raw_calls = message.get("tool_calls") or []
    if isinstance(message.get("function_call"), dict):  # the pre-tools API
        raw_calls = [*raw_calls, {"function": message["function_call"]}]
    for raw in raw_calls if isinstance(raw_calls, list) else []:
        if not isinstance(raw, dict):
            continue
        fn = as_dict(raw.get("function")) or raw
        name = fn.get("name")
        if not name:
            continue
        args = clip_arguments(parse_arguments(fn.get("arguments")))
        calls.append(ToolCall(name=str(name), arguments=args, id=str(raw["id"]) if raw.get("id") else None))
    return calls


def _embedded_calls(text: str) -> tuple[str, list[ToolCall]]:
    calls = []
    for match in _FUNCTION.finditer(text):
        params = {name: value.strip("\n") for name, value in _PARAMETER.findall(match.group(2))}
        calls.append(ToolCall(name=match.group(1), arguments=clip_arguments(params)))
    first = _FUNCTION.search(text)
    return (text[: first.start()].rstrip() if first else text), calls


# --------------------------------------------------------------------------- reading


def _final_message(fields: dict[str, Any]) -> dict[str, Any] | None:
    """The assistant answer of a completion log / chat.completion object: ``choices[0].message``."""
    response = as_dict(fields.get("response")) or fields
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict):
            return {"role": "assistant", **message}
    return None


def read(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """Yield one Trace per conversation in ``path`` and a Skipped for every unreadable record."""
    for conv in iter_conversations(path, probe, options, _ROLES):
        if isinstance(conv, Skipped):
            yield conv
            continue
        final = _final_message(conv.fields)
        if final is not None:
            conv.fields["final_message"] = final
        skipped: list[Skipped] = []
        trace = build_trace(path, conv, NAME, _ROLES, message_steps, skipped)
        yield from skipped
        if trace is not None:
            yield trace


READERS = [
    Reader(
        name=NAME,
        sniff=sniff,
        read=read,
        description="OpenAI chat-completions transcripts (tool_calls), OpenHands LLM logs, tau-bench results",
    )
]
