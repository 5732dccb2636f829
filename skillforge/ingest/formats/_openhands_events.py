"""OpenHands events → steps: the V0 event schema (and its flattened 2024 form) and V1 SDK events.

Used by ``openhands.py``; each builder folds events one at a time, so a 50,000-event stream costs the
steps it keeps, not the events it read.
"""

from __future__ import annotations

from typing import Any

from skillforge.ingest.base import as_text, clip, clip_arguments, looks_like_error, parse_arguments
from skillforge.ingest.formats._agent_common import as_dict, extract_task
from skillforge.models import Outcome, Step, ToolCall, ToolResult
from skillforge.models.trace import Role

_ARG_NOISE = {
    "thought", "keep_prompt", "is_confirmed", "action_risk", "confirmation_state", "security_risk", "hidden",
    "blocking", "impl_source", "kernel_init_code", "images_urls", "image_urls", "wait_for_response",
    "include_extra", "translated_ipython_code", "timeout", "kind",
}  # fmt: skip
_EVENT_KEYS = {
    "id",
    "timestamp",
    "source",
    "message",
    "cause",
    "tool_call_metadata",
    "llm_metrics",
    "action",
    "observation",
    "success",
}
_SILENT_ACTIONS = {"system", "recall", "change_agent_state", "null", "condensation", "agent_state_changed"}
_SILENT_OBSERVATIONS = {"recall", "agent_state_changed", "null", "think", "user_rejected_no_op"}
_FLAGLESS_OK = {"edit", "read", "browse", "write", "mcp"}  # typed results: failures arrive as "error"
_TOOL_ERRORS = ("[No exact match found", "[Error", "ERROR:")

# --------------------------------------------------------------------------- V0 events → steps


class V0Builder:
    """Folds V0 (and flattened 2024) events into steps, pairing observations with their actions."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.task = ""
        self.model: str | None = None
        self.first: str | None = None
        self.last: str | None = None
        self.agent_state: str | None = None
        self.error: str | None = None
        self.cost: float | None = None
        self.events = 0
        self._calls: dict[str, str] = {}  # event id → tool call id, for pairing by ``cause``
        self._pending: list[str] = []  # unanswered call ids in order (flattened events have no cause)
        self._finish_ids: set[str] = set()

    def add(self, e: Any) -> None:
        if not isinstance(e, dict):
            return
        self.events += 1
        stamp = e.get("timestamp") if isinstance(e.get("timestamp"), str) else None
        if stamp:
            self.first = self.first or stamp
            self.last = stamp
        metrics = e.get("llm_metrics")
        if isinstance(metrics, dict) and isinstance(metrics.get("accumulated_cost"), (int, float)):
            self.cost = float(metrics["accumulated_cost"])
        if isinstance(e.get("action"), str):
            self._action(e, stamp)
        elif isinstance(e.get("observation"), str):
            self._observation(e, stamp)

    def _action(self, e: dict[str, Any], stamp: str | None) -> None:
        kind = e["action"]
        raw_args = e.get("args")  # flattened 2024 events keep the arguments at the top level
        args: dict[str, Any] = (
            raw_args if isinstance(raw_args, dict) else {k: v for k, v in e.items() if k not in _EVENT_KEYS}
        )
        source = e.get("source", "agent" if kind != "message" or self.task else "user")
        meta = as_dict(e.get("tool_call_metadata"))
        self._note_model(meta)
        if kind in _SILENT_ACTIONS:
            return
        if kind == "message":
            text = clip(as_text(args.get("content") or e.get("message")))
            role: Role = "user" if source == "user" else "assistant"
            if role == "user" and not self.task:
                self.task = extract_task(text)
            self.steps.append(Step(role=role, text=text, timestamp=stamp))
            return
        thought = as_text(args.get("thought") or args.get("reasoning_content"))
        if kind == "finish":
            text = as_text(args.get("final_thought") or e.get("message") or thought or args.get("outputs"))
            self.steps.append(Step(role="assistant", text=clip(text), timestamp=stamp))
            if isinstance(meta.get("tool_call_id"), str):
                self._finish_ids.add(meta["tool_call_id"])
            return
        call_id = meta.get("tool_call_id") if isinstance(meta.get("tool_call_id"), str) else None
        if call_id is None:
            call_id = f"event-{e['id']}" if "id" in e else f"step-{len(self.steps)}"
        name = str(meta.get("function_name") or kind)
        arguments = _model_arguments(meta, call_id)
        if arguments is None:
            arguments = {k: v for k, v in args.items() if k not in _ARG_NOISE and v not in (None, "", [], {})}
        call = ToolCall(name=name, arguments=clip_arguments(arguments), id=call_id)
        self.steps.append(Step(role="assistant", text=clip(thought), tool_call=call, timestamp=stamp))
        if "id" in e:
            self._calls[str(e["id"])] = call_id
        self._pending.append(call_id)

    def _observation(self, e: dict[str, Any], stamp: str | None) -> None:
        kind = e["observation"]
        raw_extras = e.get("extras")
        extras: dict[str, Any] = raw_extras if isinstance(raw_extras, dict) else e
        if kind == "agent_state_changed":
            state = extras.get("agent_state")
            self.agent_state = state if isinstance(state, str) else self.agent_state
            if state == "error":
                self.error = as_text(e.get("content") or e.get("message")) or "agent error"
            return
        meta = as_dict(e.get("tool_call_metadata"))
        call_id = meta.get("tool_call_id") if isinstance(meta.get("tool_call_id"), str) else None
        if call_id is None and e.get("cause") is not None:
            call_id = self._calls.get(str(e["cause"]))
        if call_id is None and kind not in _SILENT_OBSERVATIONS and self._pending:
            call_id = self._pending[0]
        if call_id in self._finish_ids or kind in _SILENT_OBSERVATIONS and call_id not in self._pending:
            return
        if call_id in self._pending:
            self._pending.remove(call_id)
        output = as_text(e.get("content") if e.get("content") is not None else e.get("message"))
        code = _exit_code(extras)
        if kind == "error" or e.get("success") is False:
            is_error = True
        elif code is not None:
            is_error = code != 0
        elif kind in _FLAGLESS_OK:
            is_error = False
        else:
            is_error = looks_like_error(output) or output.lstrip().startswith(_TOOL_ERRORS)
        result = ToolResult(output=clip(output), is_error=is_error, exit_code=code, call_id=call_id)
        self.steps.append(Step(role="tool", tool_result=result, timestamp=stamp))

    def _note_model(self, meta: dict[str, Any]) -> None:
        response = meta.get("model_response")
        if self.model is None and isinstance(response, dict) and isinstance(response.get("model"), str):
            self.model = response["model"]

    def outcome(self) -> Outcome:
        if self.agent_state == "error" or self.error:
            return Outcome(success=False, error=self.error or "agent error")
        return Outcome()

    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"agent": "openhands", "events": self.events}
        for key, value in (("model", self.model), ("started", self.first), ("ended", self.last),
                           ("agent_state", self.agent_state), ("accumulated_cost", self.cost)):  # fmt: skip
            if value is not None:
                meta[key] = value
        return meta


def _exit_code(extras: dict[str, Any]) -> int | None:
    for holder in (extras, extras.get("metadata")):
        if (
            isinstance(holder, dict)
            and isinstance(holder.get("exit_code"), int)
            and not isinstance(holder.get("exit_code"), bool)
        ):
            return int(holder["exit_code"])
    return None


def _model_arguments(meta: dict[str, Any], call_id: str) -> dict[str, Any] | str | None:
    """The arguments the model actually sent, from the completion kept in ``tool_call_metadata``."""
    response = meta.get("model_response")
    choices = response.get("choices") if isinstance(response, dict) else None
    if not isinstance(choices, list) or not choices or not isinstance(choices[0], dict):
        return None
    message = as_dict(choices[0].get("message"))
    calls = [c for c in message.get("tool_calls") or [] if isinstance(c, dict)]
    chosen = next((c for c in calls if c.get("id") == call_id), calls[0] if len(calls) == 1 else None)
    fn = chosen.get("function") if chosen and isinstance(chosen.get("function"), dict) else None
    return _clean(parse_arguments(fn.get("arguments"))) if fn else None


def _clean(arguments: dict[str, Any] | str) -> dict[str, Any] | str:
    """Drop bookkeeping keys (``security_risk``, ``kind``…) the model or the SDK adds to arguments."""
    if isinstance(arguments, dict):
        return {k: v for k, v in arguments.items() if k not in _ARG_NOISE and v is not None}
    return arguments


# --------------------------------------------------------------------------- V1 events → steps


class V1Builder:
    """Folds V1 SDK events (``kind``-tagged) into steps."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.task = ""
        self.events = 0
        self.first: str | None = None
        self.last: str | None = None
        self.status: str | None = None
        self.error: str | None = None
        self._finish: set[str] = set()

    def add(self, e: dict[str, Any]) -> None:
        self.events += 1
        kind = e.get("kind")
        stamp = e.get("timestamp") if isinstance(e.get("timestamp"), str) else None
        if stamp:
            self.first = self.first or stamp
            self.last = stamp
        if kind == "MessageEvent":
            msg = as_dict(e.get("llm_message"))
            text = clip(as_text(msg.get("content")))
            role: Role = "user" if e.get("source") == "user" or msg.get("role") == "user" else "assistant"
            if role == "user" and not self.task:
                self.task = extract_task(text)
            self.steps.append(Step(role=role, text=text, timestamp=stamp))
        elif kind == "ActionEvent":
            self._action(e, stamp)
        elif kind in ("ObservationEvent", "AgentErrorEvent", "UserRejectObservation"):
            self._observation(e, kind, stamp)
        elif kind == "ConversationStateUpdateEvent" and e.get("key") == "execution_status":
            self.status = e.get("value") if isinstance(e.get("value"), str) else self.status
        elif kind == "ConversationErrorEvent":
            self.error = f"{e.get('code') or 'error'}: {as_text(e.get('detail'))}".strip()

    def _action(self, e: dict[str, Any], stamp: str | None) -> None:
        thought = as_text(e.get("thought")) or as_text(e.get("reasoning_content"))
        tool_call = as_dict(e.get("tool_call"))
        action = as_dict(e.get("action"))
        name = str(e.get("tool_name") or tool_call.get("name") or action.get("kind") or "tool")
        call_id = e.get("tool_call_id") or tool_call.get("id")
        call_id = str(call_id) if call_id is not None else None
        if name == "finish" or action.get("kind") == "FinishAction":
            self.steps.append(
                Step(role="assistant", text=clip(as_text(action.get("message")) or thought), timestamp=stamp)
            )
            if call_id:
                self._finish.add(call_id)
            return
        arguments = _clean(parse_arguments(tool_call["arguments"])) if "arguments" in tool_call else None
        if not arguments:
            arguments = _clean(action)
        call = ToolCall(name=name, arguments=clip_arguments(arguments), id=call_id)
        self.steps.append(Step(role="assistant", text=clip(thought), tool_call=call, timestamp=stamp))

    def _observation(self, e: dict[str, Any], kind: Any, stamp: str | None) -> None:
        call_id = str(e["tool_call_id"]) if e.get("tool_call_id") is not None else None
        if call_id in self._finish:
            return
        code: int | None = None
        if kind == "AgentErrorEvent":
            output, is_error = as_text(e.get("error")), True
        elif kind == "UserRejectObservation":
            output, is_error = f"Action rejected: {as_text(e.get('rejection_reason'))}", True
        else:
            obs = as_dict(e.get("observation"))
            output = (
                as_text(obs.get("content")) if obs.get("content") is not None else as_text(obs.get("output"))
            )
            code = _exit_code(obs)
            is_error = bool(obs.get("is_error")) or (code is not None and code != 0)
        result = ToolResult(output=clip(output), is_error=is_error, exit_code=code, call_id=call_id)
        self.steps.append(Step(role="tool", tool_result=result, timestamp=stamp))

    def outcome(self) -> Outcome:
        if self.error or self.status in ("error", "stuck"):
            return Outcome(success=False, error=self.error or self.status)
        return Outcome()

    def meta(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"agent": "openhands", "sdk": "v1", "events": self.events}
        for key, value in (("started", self.first), ("ended", self.last), ("execution_status", self.status)):
            if value is not None:
                meta[key] = value
        return meta
