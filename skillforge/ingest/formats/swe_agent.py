"""SWE-agent ``.traj`` files: one pretty-printed JSON object per run.

Shapes read (0.x and 1.x, text-parsed and function-calling configs):

* ``{environment, trajectory, history, info, replay_config?}`` — ``trajectory`` holds one
  ``{action, observation, thought, response, state, execution_time?, query?}`` item per step and is
  preferred; ``history`` (the chat shown to the model) supplies the task and, for function-calling
  configs, the real tool name, arguments and call id of each action;
* ``{history}`` only (demonstration files) — steps are derived from the chat.

The document is streamed: each trajectory item is built without its ``query``/``messages`` copy of
the whole conversation (1.x repeats it in every step), so memory follows the longest step, not the
file.
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
from skillforge.ingest.formats._agent_common import (
    as_dict,
    command_name,
    extract_task,
    iter_values,
    json_error,
    parse_errors,
)
from skillforge.ingest.limits import loads
from skillforge.models import Outcome, Skipped, Source, Step, ToolCall, ToolResult, Trace

NAME = "swe-agent"

# --------------------------------------------------------------------------- detection


def sniff(probe: Probe) -> float:
    """A ``.traj`` object: a ``trajectory`` of action/observation steps or a SWE-agent ``history``."""
    if probe.kind != "json" or not isinstance(probe.skeleton, dict):
        return 0.0
    sk = probe.skeleton
    traj = sk.get("trajectory")
    if isinstance(traj, list) and traj and isinstance(traj[0], dict):
        if {"action", "observation"} <= traj[0].keys() and ({"thought", "response"} & traj[0].keys()):
            return 0.95
    history = sk.get("history")
    if isinstance(history, list) and history and isinstance(history[0], dict):
        first = history[0]
        if "role" in first and ("message_type" in first or "agent" in first):
            return 0.9
    if (
        sk.get("environment") in ("swe_main", "main")
        and isinstance(sk.get("info"), dict)
        and "trajectory" in sk
    ):
        return 0.85
    return 0.0


# --------------------------------------------------------------------------- reading

_REFUSAL = re.compile(
    r"(?:Usage: \S|No file open(?:ed)?\b|File .{1,300}? not found\b|Error: |The path \S.* does not exist|"
    r"File already exists at: |No replacement was performed|Invalid `\w+`|goto allows only one line number|"
    r"Wrong flag!|Operation '.*' is not supported by this environment|Your bash command contained syntax errors|"
    r"The command '.*' was cancelled because it took more than|Command '.*' not found in list of available)"
)
"""How SWE-agent's own commands and harness turn an action down, at the start of the observation (the
tools in ``tools/*/bin`` and ``config/commands/*.sh``, the templates in ``sweagent/agent/agents.py``).
The exit status never reaches the trajectory, so these texts are the only sign the action failed."""
_TIMED_OUT = "EXECUTION TIMED OUT"
"""0.x's note when it killed a command (alone, or after the output: "... BECAUSE NO OUTPUT WAS PRODUCED")."""


def _failed(observation: str) -> bool:
    return (
        looks_like_error(observation)
        or bool(_REFUSAL.match(observation.lstrip()))
        or _TIMED_OUT in observation
    )


_PREFIXES = ("environment", "trajectory.item", "history.item", "info", "replay_config")
_SKIP = (
    "trajectory.item.query",
    "trajectory.item.messages",
    "trajectory.item.extra_info",
    "replay_config.agent.templates",
    "replay_config.agent.tools",
    "replay_config.env",
)


def read(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """Yield the one trace of a ``.traj`` file (or a ``Skipped`` if the JSON is damaged)."""
    environment: str | None = None
    trajectory: list[dict[str, Any]] = []
    history: list[dict[str, Any]] = []
    info: dict[str, Any] = {}
    replay: Any = None
    try:
        for prefix, value in iter_values(path, _PREFIXES, skip=_SKIP):
            if prefix == "trajectory.item" and isinstance(value, dict):
                trajectory.append(_slim_step(value))
            elif prefix == "history.item" and isinstance(value, dict):
                history.append(_slim_message(value))
            elif prefix == "info" and isinstance(value, dict):
                info = value
            elif prefix == "environment" and isinstance(value, str):
                environment = value
            elif prefix == "replay_config":
                replay = value
    except parse_errors() as exc:
        yield json_error(path, exc, what="trajectory")
        return
    if not trajectory and not history:
        yield Skipped(path=str(path), reason="SWE-agent file with neither trajectory nor history steps")
        return
    yield _build(path, environment, trajectory, history, info, replay)


def _slim_step(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "action": str(item.get("action") or ""),
        "observation": clip(as_text(item.get("observation"))),
        "thought": clip(as_text(item.get("thought") or item.get("response"))),
    }


def _slim_message(msg: dict[str, Any]) -> dict[str, Any]:
    slim = {
        k: msg.get(k)
        for k in ("role", "agent", "message_type", "is_demo", "action", "tool_calls", "tool_call_ids")
    }
    slim["content"] = clip(as_text(msg.get("content")))
    slim["thought"] = clip(as_text(msg.get("thought"))) if msg.get("thought") is not None else None
    return slim


def _conversation(history: list[dict[str, Any]]) -> tuple[int, list[dict[str, Any]]]:
    """Index of the task message and the main agent's non-demonstration messages."""
    main_agent = history[0].get("agent") if history else None
    kept = [m for m in history if not m.get("is_demo") and (m.get("agent") in (None, main_agent))]
    for i, m in enumerate(kept):
        if m.get("role") == "user":
            return i, kept
    return -1, kept


def _build(
    path: Path,
    environment: str | None,
    trajectory: list[dict[str, Any]],
    history: list[dict[str, Any]],
    info: dict[str, Any],
    replay: Any,
) -> Trace:
    task_index, messages = _conversation(history)
    steps: list[Step] = []
    task = ""
    if task_index >= 0:
        prompt = messages[task_index]["content"]
        task = extract_task(prompt)
        steps.append(Step(role="user", text=prompt))
    if trajectory:
        actions = [m for m in messages[task_index + 1 :] if m.get("role") == "assistant" and m.get("action")]
        steps.extend(_steps_from_trajectory(trajectory, actions))
    else:
        steps.extend(_steps_from_history(messages[task_index + 1 :]))
    exit_status = info.get("exit_status") if isinstance(info.get("exit_status"), str) else None
    failed = bool(exit_status and exit_status.startswith("exit_"))
    return Trace(
        id=Trace.make_id(str(path), 0),
        source=Source(path=str(path), format=NAME, index=0),
        task=task,
        steps=steps,
        outcome=Outcome(success=False if failed else None, error=exit_status if failed else None),
        metadata=_metadata(environment, info, replay),
    )


def _steps_from_trajectory(trajectory: list[dict[str, Any]], actions: list[dict[str, Any]]) -> Iterator[Step]:
    """Action/observation pairs; a matching history message gives function-calling name/args/id."""
    pending = 0
    for item in trajectory:
        action = item["action"]
        call: ToolCall | None = None
        if pending < len(actions) and actions[pending]["action"].strip() == action.strip():
            call = _function_call(actions[pending])
            pending += 1
        if call is None and action.strip():
            call = ToolCall(name=command_name(action), arguments=clip_arguments({"command": action.strip()}))
        yield Step(role="assistant", text=item["thought"], tool_call=call)
        if call is not None:
            output = item["observation"]
            yield Step(
                role="tool",
                tool_result=ToolResult(output=output, is_error=_failed(output), call_id=call.id),
            )


def _function_call(message: dict[str, Any]) -> ToolCall | None:
    calls = message.get("tool_calls")
    if not isinstance(calls, list) or not calls or not isinstance(calls[0], dict):
        return None
    first: dict[str, Any] = calls[0]
    fn = as_dict(first.get("function")) or first
    name = fn.get("name")
    if not isinstance(name, str) or not name:
        return None
    call_id = first.get("id")
    return ToolCall(
        name=name,
        arguments=clip_arguments(parse_arguments(fn.get("arguments"))),
        id=call_id if isinstance(call_id, str) else None,
    )


def _steps_from_history(messages: list[dict[str, Any]]) -> Iterator[Step]:
    """Derive steps from the chat alone (files without ``trajectory``)."""
    awaiting: str | None | bool = False  # call id of the action awaiting its observation (None = no id)
    for m in messages:
        role = m.get("role")
        if role == "assistant":
            call = _function_call(m)
            if call is None and m.get("action"):
                action = str(m["action"])
                call = ToolCall(
                    name=command_name(action), arguments=clip_arguments({"command": action.strip()})
                )
            yield Step(role="assistant", text=m.get("thought") or m["content"], tool_call=call)
            awaiting = call.id if call is not None else False
        elif role == "tool" or (role == "user" and awaiting is not False):
            ids = m.get("tool_call_ids")
            call_id = ids[0] if isinstance(ids, list) and ids and isinstance(ids[0], str) else None
            output = m["content"]
            yield Step(
                role="tool",
                tool_result=ToolResult(
                    output=output,
                    is_error=_failed(output),
                    call_id=call_id or (awaiting if isinstance(awaiting, str) else None),
                ),
            )
            awaiting = False
        elif role == "user" and m["content"]:
            yield Step(role="user", text=m["content"])


def _metadata(environment: str | None, info: dict[str, Any], replay: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"agent": "swe-agent"}
    if environment:
        meta["environment"] = environment
    if isinstance(info.get("exit_status"), str):
        meta["exit_status"] = info["exit_status"]
    if isinstance(info.get("submission"), str):
        meta["submission"] = clip(info["submission"])
    stats = info.get("model_stats")
    if isinstance(stats, dict):
        for key in ("instance_cost", "tokens_sent", "tokens_received", "api_calls"):
            if isinstance(stats.get(key), (int, float)) and not isinstance(stats.get(key), bool):
                meta[key] = stats[key]
    if isinstance(replay, str):
        try:
            replay = loads(replay)
        except ValueError:
            replay = None
    if isinstance(replay, dict):
        model = (replay.get("agent") or {}).get("model") if isinstance(replay.get("agent"), dict) else None
        if isinstance(model, dict) and isinstance(model.get("name"), str):
            meta["model"] = model["name"]
        problem = replay.get("problem_statement")
        if isinstance(problem, dict) and isinstance(problem.get("id"), str):
            meta["instance_id"] = problem["id"]
    return meta


READERS = [
    Reader(
        name=NAME,
        sniff=sniff,
        read=read,
        description="SWE-agent .traj (0.x and 1.x; text-parsed and function-calling configs)",
    )
]
