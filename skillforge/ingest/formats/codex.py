"""OpenAI Codex CLI rollouts: ``~/.codex/sessions/YYYY/MM/DD/rollout-<ts>-<uuid>.jsonl``.

Every line is ``{timestamp, type, payload}``: ``session_meta`` first, then ``turn_context``,
``response_item`` (what the model saw and produced) and ``event_msg`` (the UI event stream). The two
streams overlap, so the reader takes each fact once:

* user prompts from ``event_msg user_message`` (clean); ``response_item`` user messages, which carry
  injected AGENTS.md / environment context, are used only when a file has no such events;
* assistant text from ``response_item`` messages (``event_msg agent_message`` only as a fallback);
* tool calls from ``response_item *_call`` items; their results from ``*_call_output`` items and the
  ``exec_command_end`` / ``patch_apply_end`` / ``mcp_tool_call_end`` events, merged by ``call_id`` into
  one result step, where an explicit exit code or success flag beats guessing from the output text.

A command still running when its first output came back ("Process running with session ID N") is
finished by ``write_stdin`` polls of session N. How it ended belongs to the command: its result takes
the exit code a poll reports and the complete output of its ``exec_command_end``; the poll itself only
fails when the poll does ("write_stdin failed: ..."), so one failed command is one error, not two.

Rollouts from 2025 CLIs without the envelope (a first ``{id, timestamp, instructions}`` line followed by
bare response items) are read too.
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
    iter_jsonl,
    looks_like_error,
    parse_arguments,
)
from skillforge.ingest.formats._chat_shapes import as_dict
from skillforge.ingest.limits import loads
from skillforge.models import Outcome, Skipped, Source, Step, ToolCall, ToolResult, Trace

NAME = "codex"

_ENVELOPE_TYPES = frozenset({"session_meta", "turn_context", "response_item", "event_msg", "compacted"})
ITEM_TYPES = frozenset(
    {
        "message",
        "reasoning",
        "function_call",
        "function_call_output",
        "custom_tool_call",
        "custom_tool_call_output",
        "local_shell_call",
        "web_search_call",
    }
)
_EXIT = re.compile(r"(?:Process exited with code|Exit code:?) (-?\d+)")
_RUNNING = re.compile(r"Process running with session ID (\d+)")
_HANDLER_ERROR = re.compile(r"(?:\w+ failed: |Unknown process id |failed to parse function arguments)")
"""How Codex's tool handlers answer a call they could not carry out (``write_stdin failed: stdin is
closed for this session``): one line, no exit code."""
_INJECTED = (
    "<environment_context>",
    "<user_instructions>",
    "<permissions instructions>",
    "# AGENTS.md instructions",
    "<user_shell_command>",
    "<turn_aborted>",
)
_REQUEST_MARK = "## My request for Codex:"


def sniff(probe: Probe) -> float:
    """The rollout envelope ``{timestamp, type, payload}`` with ``session_meta`` first is unmistakable."""
    if probe.kind not in ("jsonl", "json"):
        return 0.0
    records = [r for r in probe.lines if isinstance(r, dict)]
    if not records:
        return 0.0
    first = records[0]
    if first.get("type") == "session_meta" and isinstance(first.get("payload"), dict):
        return 0.98
    enveloped = [
        r for r in records if r.get("type") in _ENVELOPE_TYPES and isinstance(r.get("payload"), dict)
    ]
    if enveloped and len(enveloped) * 2 >= len(records):
        return 0.9
    legacy_head = "id" in first and "timestamp" in first and ("instructions" in first or "git" in first)
    items = [r for r in records[1:] if r.get("type") in ITEM_TYPES or r.get("record_type") == "state"]
    if legacy_head and items:
        return 0.85
    return 0.0


class Rollout:
    """Accumulates one session's steps, merging the overlapping streams as lines arrive.

    Its ``item`` half reads any OpenAI Responses API item, so the Responses transcript reader uses it too."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.meta: dict[str, Any] = {"host": "codex"}
        self.results: dict[str, tuple[int, bool]] = {}
        """call_id → (index of its result step, whether is_error came from an explicit signal)."""
        self.calls: set[str] = set()
        self.polled: dict[str, str] = {}
        """call_id of a write_stdin poll → the session id it polls."""
        self.sessions: dict[str, str] = {}
        """session id of a command still running → the call_id of the command."""
        self.item_users: list[int] = []
        self.event_users: list[int] = []
        self.item_answers: list[int] = []
        self.event_answers: list[int] = []
        self.error: str | None = None
        self.first_line: int | None = None

    # -- lines

    def session_meta(self, p: dict[str, Any]) -> None:
        for key, name in (
            ("id", "session_id"),
            ("cwd", "cwd"),
            ("originator", "originator"),
            ("cli_version", "cli_version"),
            ("source", "source"),
            ("model_provider", "model_provider"),
            ("timestamp", "started_at"),
        ):
            if isinstance(p.get(key), str):
                self.meta.setdefault(name, p[key])
        git = p.get("git")
        if isinstance(git, dict):
            self.meta["git"] = {k: v for k, v in sorted(git.items()) if isinstance(v, str)}

    def turn_context(self, p: dict[str, Any]) -> None:
        if isinstance(p.get("model"), str):
            self.meta.setdefault("model", p["model"])
        if isinstance(p.get("effort"), str):
            self.meta.setdefault("reasoning_effort", p["effort"])
        if isinstance(p.get("cwd"), str):
            self.meta.setdefault("cwd", p["cwd"])

    def item(self, p: dict[str, Any], ts: str | None) -> None:
        kind = str(p.get("type", ""))
        if kind == "message":
            self._message(p, ts)
        elif kind.endswith("_call_output"):
            self._output(p, ts)
        elif kind.endswith("_call"):
            self._call(kind, p, ts)

    def event(self, p: dict[str, Any], ts: str | None) -> None:
        kind = p.get("type")
        if kind == "user_message" and isinstance(p.get("message"), str):
            self.event_users.append(len(self.steps))
            text = p["message"] + ("\n[image]" if p.get("images") else "")
            self.steps.append(Step(role="user", text=clip(text.strip()), timestamp=ts))
        elif kind == "agent_message" and isinstance(p.get("message"), str):
            self.event_answers.append(len(self.steps))
            self.steps.append(Step(role="assistant", text=clip(p["message"]), timestamp=ts))
        elif kind == "exec_command_end":
            out = (
                p.get("aggregated_output")
                or "\n".join(str(p.get(k) or "") for k in ("stdout", "stderr")).strip()
            )
            code = p.get("exit_code") if isinstance(p.get("exit_code"), int) else None
            failed = p.get("status") == "failed" or (code is not None and code != 0)
            self._result(p.get("call_id"), str(out), failed, code, True, ts)
        elif kind == "patch_apply_end":
            out = "\n".join(str(p.get(k) or "") for k in ("stdout", "stderr")).strip()
            self._result(p.get("call_id"), out, p.get("success") is False, None, True, ts)
        elif kind == "mcp_tool_call_end":
            result = p.get("result")
            failed = isinstance(result, dict) and (
                "Err" in result or bool((result.get("Ok") or {}).get("isError"))
            )
            self._result(p.get("call_id"), as_text(result), failed, None, True, ts)
        elif kind == "token_count" and isinstance(p.get("info"), dict):
            usage = p["info"].get("total_token_usage")
            if isinstance(usage, dict):
                self.meta["usage"] = {k: v for k, v in sorted(usage.items()) if isinstance(v, int)}
        elif kind == "error" and isinstance(p.get("message"), str):
            self.error = p["message"]
            self.steps.append(Step(role="system", text=clip("error: " + p["message"]), timestamp=ts))
        elif kind == "turn_aborted":
            self.error = f"turn aborted: {p.get('reason', 'unknown')}"
        elif kind == "task_complete":
            self.error = None

    # -- pieces

    def _message(self, p: dict[str, Any], ts: str | None) -> None:
        role = p.get("role")
        text = as_text(p.get("content"))
        if role == "user":
            self.item_users.append(len(self.steps))
            self.steps.append(Step(role="user", text=clip(text.strip()), timestamp=ts))
        elif role == "assistant" and text.strip():
            self.item_answers.append(len(self.steps))
            self.steps.append(Step(role="assistant", text=clip(text), timestamp=ts))
        # developer / system messages are the harness's instructions, not part of the run

    def _call(self, kind: str, p: dict[str, Any], ts: str | None) -> None:
        call_id = p.get("call_id") or p.get("id")
        if isinstance(call_id, str):
            if call_id in self.calls:
                return
            self.calls.add(call_id)
        if kind == "function_call":
            name, args = p.get("name"), parse_arguments(p.get("arguments"))
            session = args.get("session_id") if isinstance(args, dict) else None
            if name == "write_stdin" and isinstance(call_id, str) and isinstance(session, (int, str)):
                self.polled[call_id] = str(session)
        elif kind == "custom_tool_call":
            name, args = p.get("name"), parse_arguments(p.get("input"))
        elif kind == "local_shell_call":
            action = as_dict(p.get("action"))
            name, args = "local_shell", {k: v for k, v in action.items() if k != "type"}
        else:  # web_search_call and other hosted tools: the action is the argument
            hosted = p.get("action")
            name = kind.removesuffix("_call")
            args = (
                hosted
                if isinstance(hosted, dict)
                else {k: v for k, v in p.items() if k not in ("type", "id", "status")}
            )
        call = ToolCall(
            name=str(name or kind),
            arguments=clip_arguments(args),
            id=call_id if isinstance(call_id, str) else None,
        )
        self.steps.append(Step(role="assistant", tool_call=call, timestamp=ts))

    def _output(self, p: dict[str, Any], ts: str | None) -> None:
        raw = p.get("output")
        code: int | None = None
        failed: bool | None = None
        if isinstance(raw, str) and raw.startswith("{"):
            try:
                parsed = loads(raw)
            except ValueError:
                parsed = None
            if isinstance(parsed, dict) and "output" in parsed:
                metadata = as_dict(parsed.get("metadata"))
                code = metadata.get("exit_code") if isinstance(metadata.get("exit_code"), int) else None
                raw = parsed["output"]
        if isinstance(raw, dict):  # {content, success}
            failed = raw.get("success") is False if "success" in raw else None
            raw = raw.get("content", raw)
        text = raw if isinstance(raw, str) else as_text(raw)
        if code is None:
            match = _EXIT.search(text[:300])
            code = int(match.group(1)) if match else None
        call_id = p.get("call_id")
        if isinstance(call_id, str) and code is None and failed is None and _HANDLER_ERROR.match(text):
            failed = True
        command = self._polled_command(call_id)
        running = _RUNNING.search(text[:300])
        if running and command is None and isinstance(call_id, str):
            self.sessions[running.group(1)] = call_id
        elif command is not None and code is not None:
            self._result(command, "", code != 0, code, True, ts)  # the polled command has ended
            code = None  # the poll's answer is the command's status, not a status of its own
            failed = bool(failed)
        definite = code is not None or failed is not None
        is_error = bool(failed) or (code is not None and code != 0) if definite else looks_like_error(text)
        self._result(call_id, text, is_error, code, definite, ts)

    def _polled_command(self, call_id: Any) -> str | None:
        """The call_id of the command a write_stdin poll reads from, when this file started it."""
        session = self.polled.get(call_id) if isinstance(call_id, str) else None
        command = self.sessions.get(session) if session is not None else None
        return command if command in self.results else None

    def _result(
        self, call_id: Any, output: str, is_error: bool, code: int | None, definite: bool, ts: str | None
    ) -> None:
        call_id = call_id if isinstance(call_id, str) else None
        if call_id is not None and call_id in self.results:
            index, was_definite = self.results[call_id]
            old = self.steps[index].tool_result
            assert old is not None
            if definite and not was_definite:
                old.is_error, old.exit_code = is_error, code if code is not None else old.exit_code
            elif definite:
                old.is_error = old.is_error or is_error
                old.exit_code = old.exit_code if old.exit_code is not None else code
            if output.strip() and (not old.output.strip() or _RUNNING.search(old.output[:300])):
                old.output = clip(output)  # the whole output of a command that was still running
            self.results[call_id] = (index, was_definite or definite)
            return
        if call_id is not None:
            self.results[call_id] = (len(self.steps), definite)
        result = ToolResult(output=clip(output), is_error=is_error, exit_code=code, call_id=call_id)
        self.steps.append(Step(role="tool", tool_result=result, timestamp=ts))

    # -- end

    def final_steps(self) -> list[Step]:
        drop = set(self.event_answers if self.item_answers else ())
        if self.event_users:
            drop.update(self.item_users)
        else:
            drop.update(i for i in self.item_users if self.steps[i].text.lstrip().startswith(_INJECTED))
        return [s for i, s in enumerate(self.steps) if i not in drop]


def task_of(steps: list[Step]) -> str:
    """The first user prompt (past the files Codex Desktop lists above it)."""
    for step in steps:
        if step.role == "user" and step.text.strip():
            text = step.text
            if _REQUEST_MARK in text:  # Codex Desktop puts mentioned files above the request
                text = text.split(_REQUEST_MARK, 1)[1]
            return text.strip()
    return ""


def read(path: Path, _probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """Yield the rollout as one Trace (a Skipped for each unreadable line)."""
    rollout = Rollout()
    last_ts: str | None = None
    for lineno, rec in iter_jsonl(path, max_line_bytes=options.max_line_bytes):
        if isinstance(rec, Skipped):
            yield rec
            continue
        if not isinstance(rec, dict):
            yield Skipped(path=str(path), line=lineno, reason="not a JSON object")
            continue
        ts = rec.get("timestamp") if isinstance(rec.get("timestamp"), str) else None
        last_ts = ts or last_ts
        if rollout.first_line is None:
            rollout.first_line = lineno
        kind, payload = rec.get("type"), rec.get("payload")
        if not isinstance(payload, dict):
            if kind in ITEM_TYPES:  # legacy rollout: bare response items
                rollout.item(rec, ts)
            elif lineno == rollout.first_line and "id" in rec:
                rollout.session_meta({**rec, "timestamp": ts})
            continue
        if kind == "session_meta":
            rollout.session_meta(payload)
        elif kind == "turn_context":
            rollout.turn_context(payload)
        elif kind == "response_item":
            rollout.item(payload, ts)
        elif kind == "event_msg":
            rollout.event(payload, ts)
    steps = rollout.final_steps()
    if not steps:
        return
    meta = rollout.meta
    if last_ts:
        meta["ended_at"] = last_ts
    yield Trace(
        id=Trace.make_id(str(path), 0),
        source=Source(path=str(path), format=NAME, line=rollout.first_line, index=0),
        task=task_of(steps),
        steps=steps,
        outcome=Outcome(error=rollout.error),
        metadata=dict(sorted(meta.items())),
    )


READERS = [
    Reader(
        name=NAME,
        sniff=sniff,
        read=read,
        description="OpenAI Codex CLI rollouts (~/.codex/sessions/**/rollout-*.jsonl)",
    )
]
