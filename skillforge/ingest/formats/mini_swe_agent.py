"""mini-swe-agent trajectories (``<instance>.traj.json``).

Shapes read:

* v1.x ``{info, messages, trajectory_format: "mini-swe-agent-1", instance_id?}`` and v2.x
  (``"mini-swe-agent-1.1"``: observations carry ``extra.returncode``, the run ends with an ``exit``
  message, tool-calling models use ``tool_calls`` and ``role: "tool"``);
* the old bare JSON array of ``{role, content}`` messages.

The action is the single fenced ```` ```bash ```` (or ```` ```mswea_bash_command ````) block of an
assistant message; the next user message is its observation (``<returncode>N</returncode>``…) or,
when the message held no or several actions, a format error. Success is not in the trajectory: the
SWE-bench harness writes it to ``<instance>.report.json`` beside it, which this reader uses as the
outcome (and reports, when met on its own, as a skipped non-trace file).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skillforge.ingest.base import Probe, Reader, ReadOptions, as_text, clip, clip_arguments, looks_like_error
from skillforge.ingest.base import parse_arguments as parse_args
from skillforge.ingest.formats._agent_common import (
    MAX_VALUE_CHARS,
    as_dict,
    extract_task,
    iso_time,
    iter_values,
    json_error,
    parse_errors,
)
from skillforge.ingest.limits import loads
from skillforge.models import Outcome, Skipped, Source, Step, ToolCall, ToolResult, Trace

NAME = "mini-swe-agent"

_SUBMIT_MARKERS = ("COMPLETE_TASK_AND_SUBMIT_FINAL_OUTPUT", "MINI_SWE_AGENT_FINAL_OUTPUT")
_ACTION = re.compile(r"```(?:bash|mswea_bash_command)\s*\n(.*?)\n```", re.S)
_RETURNCODE = re.compile(r"^\s*<returncode>\s*(-?\d+)\s*</returncode>\s*", re.S)
_FORMAT_ERROR = (
    "Please always provide EXACTLY ONE action",
    "Tool call error:",
    "Your previous response reached",
)
_TIMEOUT = "timed out and has been killed"
_REPORT_KEYS = {"patch_is_None", "patch_exists", "resolved"}


# --------------------------------------------------------------------------- detection


def sniff(probe: Probe) -> float:
    """``trajectory_format: mini-swe-agent-*``, a bare message list with mini-swe-agent's submit
    marker, or (with a low score) a SWE-bench ``report.json`` this reader uses as an outcome."""
    if probe.kind != "json":
        return 0.0
    sk = probe.skeleton
    if isinstance(sk, dict):
        fmt = sk.get("trajectory_format")
        if isinstance(fmt, str) and fmt.startswith("mini-swe-agent"):
            return 0.97
        info = sk.get("info")
        if isinstance(sk.get("messages"), list) and isinstance(info, dict) and "mini_version" in info:
            return 0.9
        if _report_body(sk) is not None:
            return 0.4
        return 0.0
    if isinstance(sk, list) and sk and isinstance(sk[0], dict) and {"role", "content"} <= sk[0].keys():
        if any(marker in probe.text for marker in (*_SUBMIT_MARKERS, "mswea_bash_command")):
            return 0.95
    return 0.0


def _report_body(doc: Any) -> dict[str, Any] | None:
    """The per-instance part of a SWE-bench report: flat, or ``{instance_id: {...}}``."""
    if not isinstance(doc, dict):
        return None
    if doc.keys() >= _REPORT_KEYS:
        return doc
    if len(doc) == 1:
        inner = next(iter(doc.values()))
        if isinstance(inner, dict) and inner.keys() >= _REPORT_KEYS:
            return inner
    return None


# --------------------------------------------------------------------------- reading


def read(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """Yield the trace of one trajectory file (a ``report.json`` yields one explanatory ``Skipped``)."""
    if isinstance(probe.skeleton, dict) and _report_body(probe.skeleton) is not None:
        yield _report_skipped(path)
        return
    builder = _Builder()
    top: dict[str, Any] = {}
    prefixes = (
        ("item",)
        if isinstance(probe.skeleton, list)
        else ("info", "messages.item", "trajectory_format", "instance_id")
    )
    try:
        bare = prefixes == ("item",)  # nothing to skip in a bare list: ijson's C builder does it all
        skip = () if bare else ("info.config.agent",)
        for prefix, value in iter_values(
            path, prefixes, skip=skip, max_chars=None if bare else MAX_VALUE_CHARS
        ):
            if prefix in ("item", "messages.item"):
                if isinstance(value, dict):
                    builder.add(value)
            else:
                top[prefix] = value
    except parse_errors() as exc:
        yield json_error(path, exc, what="trajectory")
        return
    info = as_dict(top.get("info"))
    instance = top.get("instance_id") if isinstance(top.get("instance_id"), str) else None
    meta = _metadata(info, top.get("trajectory_format"), instance, builder)
    report = _find_report(path, instance)
    outcome = Outcome()
    exit_status = meta.get("exit_status")
    if report is not None:
        body, report_path = report
        outcome = Outcome(success=bool(body.get("resolved")))
        meta["report"] = report_path.name
        meta["tests_status"] = _test_counts(body.get("tests_status"))
    elif isinstance(exit_status, str) and exit_status and exit_status != "Submitted":
        # The run stopped without submitting (limits, repeated format errors, a crash).
        outcome = Outcome(success=False, error=exit_status)
    yield Trace(
        id=Trace.make_id(str(path), 0),
        source=Source(path=str(path), format=NAME, index=0),
        task=builder.task,
        steps=builder.steps,
        outcome=outcome,
        metadata=meta,
    )


class _Builder:
    """Turns the message list into steps, one message at a time."""

    def __init__(self) -> None:
        self.steps: list[Step] = []
        self.task = ""
        self.exit: dict[str, Any] = {}
        self._seen_task = False
        self._pending: list[tuple[str | None, str]] = []  # (call id, command) awaiting observations
        self._format_error_due = False

    def add(self, msg: dict[str, Any]) -> None:
        role = msg.get("role")
        extra = as_dict(msg.get("extra"))
        content = as_text(msg.get("content"))
        stamp = iso_time(msg.get("timestamp") or extra.get("timestamp"))
        if isinstance(extra.get("exit_status"), str):
            self.exit = {"exit_status": extra["exit_status"], "submission": extra.get("submission")}
        if role == "exit":
            # v2 ends with an ``exit`` message; when it interrupts a command (the submit command, or a
            # crash while running one), it is that command's result.
            if self._pending:
                call_id, _ = self._pending.pop(0)
                failed = extra.get("exit_status") not in (None, "Submitted")
                result = ToolResult(output=clip(content), is_error=failed, call_id=call_id)
                self.steps.append(Step(role="tool", tool_result=result, timestamp=stamp))
            return
        if role == "system":
            return
        if role == "assistant":
            self._assistant(msg, content, extra, stamp)
        elif role == "tool":
            call_id = msg.get("tool_call_id") if isinstance(msg.get("tool_call_id"), str) else None
            self._observation(content, extra, stamp, call_id)
        elif role == "user":
            if not self._seen_task:
                self._seen_task = True
                self.task = extract_task(content)
                self.steps.append(Step(role="user", text=clip(content), timestamp=stamp))
            elif self._pending:
                self._observation(content, extra, stamp, None)
            elif (
                self._format_error_due
                or extra.get("interrupt_type") == "FormatError"
                or content.startswith(_FORMAT_ERROR)
            ):
                self._format_error_due = False
                rejected = _rejected_response(extra)  # v2 keeps the unparsable answer only here
                if rejected:
                    self.steps.append(Step(role="assistant", text=clip(rejected), timestamp=stamp))
                self.steps.append(
                    Step(
                        role="tool",
                        tool_result=ToolResult(output=clip(content), is_error=True),
                        timestamp=stamp,
                    )
                )
            elif content.strip():
                self.steps.append(Step(role="user", text=clip(content), timestamp=stamp))

    def _assistant(self, msg: dict[str, Any], content: str, extra: dict[str, Any], stamp: str | None) -> None:
        calls = msg.get("tool_calls")
        if isinstance(calls, list) and calls:
            for n, raw in enumerate(c for c in calls if isinstance(c, dict)):
                fn = as_dict(raw.get("function"))
                tool_call = ToolCall(
                    name=str(fn.get("name") or "bash"),
                    arguments=clip_arguments(parse_args(fn.get("arguments"))),
                    id=raw.get("id") if isinstance(raw.get("id"), str) else None,
                )
                self.steps.append(
                    Step(
                        role="assistant",
                        text=clip(content) if n == 0 else "",
                        tool_call=tool_call,
                        timestamp=stamp,
                    )
                )
                args = tool_call.arguments
                command = str(args.get("command", "")) if isinstance(args, dict) else str(args)
                self._pending.append((tool_call.id, command))
            return
        actions = extra.get("actions")
        if isinstance(actions, list) and all(isinstance(a, dict) for a in actions):
            commands = [str(a.get("command", "")) for a in actions]
        else:
            commands = [c.strip() for c in _ACTION.findall(content)]
        thought = _ACTION.sub("", content).strip() if len(commands) == 1 else content.strip()
        thought = thought.removeprefix("THOUGHT:").strip()
        if len(commands) != 1:
            # Nothing runs: mini-swe-agent answers with a format error (next user message).
            self._pending, self._format_error_due = [], True
            self.steps.append(Step(role="assistant", text=clip(thought), timestamp=stamp))
            return
        self._pending, self._format_error_due = [(None, commands[0])], False
        call = ToolCall(name="bash", arguments=clip_arguments({"command": commands[0]}))
        self.steps.append(Step(role="assistant", text=clip(thought), tool_call=call, timestamp=stamp))

    def _observation(
        self, content: str, extra: dict[str, Any], stamp: str | None, call_id: str | None
    ) -> None:
        index = next((i for i, (cid, _) in enumerate(self._pending) if call_id and cid == call_id), 0)
        pending_id, command = self._pending.pop(index) if self._pending else (None, "")
        call_id = call_id or pending_id
        code = extra.get("returncode") if isinstance(extra.get("returncode"), int) else None
        output = content
        match = _RETURNCODE.match(content)
        if match:
            code = int(match.group(1)) if code is None else code
            output = content[match.end() :]
            output = _unwrap_output(output)
        elif content.lstrip().startswith("{") and code is None:
            parsed = _json_observation(content)
            if parsed is not None:
                code, output = parsed
        if isinstance(extra.get("raw_output"), str):
            output = extra["raw_output"]
        submitted = any(m in command for m in _SUBMIT_MARKERS) and code is None
        if code is not None:
            is_error = code != 0
        elif submitted:
            is_error = False  # v1: the observation of the submit command is the submitted diff
        else:
            is_error = _TIMEOUT in content[:500] or looks_like_error(output)
        result = ToolResult(output=clip(output), is_error=is_error, exit_code=code, call_id=call_id)
        self.steps.append(Step(role="tool", tool_result=result, timestamp=stamp))


def _unwrap_output(text: str) -> str:
    """``<output>\n…\n</output>`` → ``…`` (string ops: a regex here is slow on 10 KB outputs)."""
    body = text.rstrip()
    if body.startswith("<output>") and body.endswith("</output>"):
        inner = body[len("<output>") : -len("</output>")]
        return inner.removeprefix("\n").removesuffix("\n")
    return text


def _rejected_response(extra: dict[str, Any]) -> str:
    """The model answer a v2 format error rejected (text models: ``model_response``; tool-calling
    models: the raw ``response``)."""
    model_response = extra.get("model_response")
    if isinstance(model_response, str):
        return model_response
    response = extra.get("response")
    choices = response.get("choices") if isinstance(response, dict) else None
    if isinstance(choices, list) and choices and isinstance(choices[0], dict):
        message = choices[0].get("message")
        if isinstance(message, dict):
            return as_text(message.get("content"))
    return ""


def _json_observation(content: str) -> tuple[int | None, str] | None:
    """v2 tool-calling observation template: ``{"returncode": N, "output": "…"}``."""
    try:
        doc = loads(content)
    except ValueError:
        return None
    if not isinstance(doc, dict) or "returncode" not in doc:
        return None
    code = doc["returncode"] if isinstance(doc["returncode"], int) else None
    if "output" in doc:
        return code, as_text(doc["output"])
    return code, "\n".join(as_text(doc.get(k)) for k in ("output_head", "output_tail") if doc.get(k))


def _metadata(info: dict[str, Any], fmt: Any, instance: str | None, builder: _Builder) -> dict[str, Any]:
    meta: dict[str, Any] = {"agent": "mini-swe-agent"}
    if isinstance(fmt, str):
        meta["trajectory_format"] = fmt
    if instance:
        meta["instance_id"] = instance
    if isinstance(info.get("mini_version"), str):
        meta["version"] = info["mini_version"]
    exit_status = info.get("exit_status") or builder.exit.get("exit_status")
    if isinstance(exit_status, str) and exit_status:
        meta["exit_status"] = exit_status
    submission = info.get("submission") or builder.exit.get("submission")
    if isinstance(submission, str) and submission:
        meta["submission"] = clip(submission)
    stats = info.get("model_stats")
    if isinstance(stats, dict):
        for key in ("instance_cost", "api_calls"):
            if isinstance(stats.get(key), (int, float)) and not isinstance(stats.get(key), bool):
                meta[key] = stats[key]
    config = as_dict(info.get("config"))
    model = as_dict(config.get("model"))
    if isinstance(model.get("model_name"), str):
        meta["model"] = model["model_name"]
    for key in ("agent_type", "model_type", "environment_type"):
        if isinstance(config.get(key), str):
            meta[key] = config[key]
    return meta


# --------------------------------------------------------------------------- SWE-bench reports


def _instance_of(path: Path) -> str:
    name = path.name
    for suffix in (".traj.json", ".report.json", ".json"):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return path.stem


def _find_report(path: Path, instance: str | None) -> tuple[dict[str, Any], Path] | None:
    """The SWE-bench report beside a trajectory: ``<instance>.report.json`` or ``report.json``."""
    names = [f"{_instance_of(path)}.report.json"]
    if instance:
        names.append(f"{instance}.report.json")
    names.append("report.json")
    for name in dict.fromkeys(names):
        candidate = path.parent / name
        if not candidate.is_file() or candidate.stat().st_size > 16 << 20:
            continue
        try:
            doc = loads(candidate.read_bytes())
        except (OSError, ValueError):
            continue
        if instance and isinstance(doc, dict) and isinstance(doc.get(instance), dict):
            doc = doc[instance]
        body = _report_body(doc)
        if body is not None and isinstance(body.get("resolved"), bool):
            return body, candidate
    return None


def _test_counts(status: Any) -> dict[str, dict[str, int]]:
    counts: dict[str, dict[str, int]] = {}
    if isinstance(status, dict):
        for group in sorted(status):
            part = status[group]
            if isinstance(part, dict):
                counts[group] = {k: len(v) for k, v in sorted(part.items()) if isinstance(v, list)}
    return counts


def _report_skipped(path: Path) -> Skipped:
    traj = path.parent / f"{_instance_of(path)}.traj.json"
    if traj.is_file():
        return Skipped(path=str(path), reason=f"SWE-bench report; used as the outcome of {traj.name}")
    return Skipped(path=str(path), reason="SWE-bench report, not a trace (no matching .traj.json beside it)")


READERS = [
    Reader(
        name=NAME,
        sniff=sniff,
        read=read,
        description="mini-swe-agent .traj.json (v1/v2, bare message lists); outcome from report.json",
    )
]
