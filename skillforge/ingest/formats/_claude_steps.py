"""Claude Code message content, compacted as it is read, and the steps it becomes.

A session of 300 MB holds ~200k records; the main chain is known only once the last one is read,
so every record's content waits in memory until then. It waits as small tuples (not the parsed
dicts), clipped, with ``toolUseResult`` copies and thinking dropped, and past a per-file text budget
clipped harder. ``Assembler`` turns the chain's contents into steps exactly as
``anthropic.StepAssembler`` turns the same blocks (tests/ingest/test_claude_scale.py holds it to
that), or only counts them for ``inspect``.

Block tuples: ``(TEXT, text)``, ``(IMAGE,)``, ``(DOC,)``, ``(USE, raw_id, name, arguments)``,
``(RESULT, raw_id, output, is_error)``; ``is_error`` is already resolved (the record's flag, else
success in a user message, else a guess from the output in an assistant message). For counting,
``shape`` keeps even less: what a step count depends on, shared by all records of the same shape.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from skillforge.ingest.base import STEP_TEXT_LIMIT, clip, looks_like_error, parse_arguments
from skillforge.ingest.formats.anthropic import block_text, result_text
from skillforge.models import Step, ToolCall, ToolResult

TEXT, IMAGE, DOC, USE, RESULT = range(5)
_BLOCK_TEXT = {IMAGE: "[image]", DOC: "[document]"}
_EXIT_CODE = re.compile(r"^(?:Error: )?Exit code (-?\d+)")

BUDGET_CLIP = 500
"""Longest text kept per piece once a file's text budget is spent."""


class Compactor:
    """Compacts message content; tracks the characters kept so far against the file's text budget."""

    __slots__ = ("budget", "clipped", "kept")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.kept = 0
        self.clipped = False
        """Set when a piece was cut for the budget; the caller reads and resets it per record."""

    def clip(self, text: str) -> str:
        """``clip`` at the step limit, or at ``BUDGET_CLIP`` once the budget is spent."""
        n = len(text)
        if self.kept > self.budget and n > BUDGET_CLIP:
            self.clipped = True
            text = clip(text, BUDGET_CLIP)
        elif n > STEP_TEXT_LIMIT:
            text = clip(text)
        self.kept += len(text)
        return text

    def arguments(self, raw: Any) -> dict[str, Any] | str:
        """Tool-call arguments as the step will hold them (clipped twice, as the assembler always did)."""
        args = parse_arguments(raw)
        if isinstance(args, str):
            return _clip2(self.clip(args))
        out = {}
        for key, value in args.items():
            if isinstance(value, str):
                value = _clip2(self.clip(value))
            out[sys.intern(key)] = value  # "command", "file_path": one object, not one per call
        return out

    def content(self, content: Any, assistant: bool) -> Any:
        """Message content as a clipped string or a tuple of block tuples."""
        if isinstance(content, str):
            return self.clip(content)
        if not isinstance(content, list):
            return ()
        blocks: list[tuple[Any, ...]] = []
        for block in content:
            if not isinstance(block, dict):
                continue
            kind = block.get("type", "")
            if type(kind) is not str:
                kind = str(kind)
            if kind == "text" and type(block.get("text")) is str:
                blocks.append((TEXT, self.clip(block["text"])))
            elif kind in ("thinking", "redacted_thinking"):
                continue
            elif kind.endswith("tool_use"):
                name = sys.intern(str(block.get("name") or "tool"))
                blocks.append((USE, block.get("id"), name, self.arguments(block.get("input"))))
            elif kind.endswith("tool_result"):
                output = result_text(block.get("content"))
                if "is_error" in block:
                    flag = bool(block["is_error"])
                else:  # Claude Code flags every failed call; server tools' results carry no flag
                    flag = assistant and looks_like_error(output)
                blocks.append((RESULT, block.get("tool_use_id"), self.clip(output), flag))
            elif kind == "image":
                blocks.append((IMAGE,))  # typed, so a prompt's text is not "[image]\n<prompt>"
            elif kind == "document":
                blocks.append((DOC,))
            else:
                blocks.append((TEXT, self.clip(block_text(block))))
        return tuple(blocks)


def _clip2(text: str) -> str:
    # The assembler used to clip arguments once more when building the step; a clipped string is
    # ~30 characters over the limit, so that second cut is kept for identical output.
    return clip(text) if len(text) > STEP_TEXT_LIMIT else text


def _mark(text: str) -> str:
    return "x" if text and not text.isspace() else ""


def shape(content: Any, results: tuple[Any, ...], shapes: dict[Any, Any]) -> Any:
    """What counting the steps of ``content`` needs, without its text; equal shapes are one object.

    Texts become "x" (has non-blank text) or ""; a call becomes whether it has an id (the ids are the
    record's ``calls``); a result its error flag, with its id unless the record's ``results`` holds
    them all (not so for a server tool's result inside an assistant message, or a compaction summary).
    """
    if isinstance(content, str):
        return _mark(content)
    out: list[tuple[Any, ...]] = []
    for block in content:
        tag = block[0]
        if tag == TEXT:
            out.append((TEXT, _mark(block[1])))
        elif tag == USE:
            out.append((USE, bool(block[1])))
        elif tag == RESULT:
            out.append((RESULT, block[3]) if results else (RESULT, block[3], block[1]))
        else:
            out.append(block)
    key = tuple(out)
    return shapes.setdefault(key, key)


def _expand(node: Any) -> Any:
    """Block tuples from a shape and the record's ids, as much as the assembler reads when counting."""
    content = node.content
    if isinstance(content, str):
        return content
    calls, results = iter(node.calls), iter(node.results)
    blocks: list[tuple[Any, ...]] = []
    for item in content:
        tag = item[0]
        if tag == USE:
            blocks.append((USE, next(calls, None) if item[1] else None, "", ""))
        elif tag == RESULT:
            raw = item[2] if len(item) > 2 else next(results, None)
            blocks.append((RESULT, raw, "", item[1]))
        else:
            blocks.append(item)
    return blocks


# --------------------------------------------------------------------------- steps


def _maker(cls: type[Any], sample: dict[str, Any]) -> Any:
    """A function building ``cls`` from a complete dict of already-valid field values without re-validating.

    The reader's values are typed by construction (str, bool, int, dicts parsed from JSON), so
    pydantic's validation would only cost time (about half of building a step). If ``cls`` turns out
    to be laid out otherwise than a slotted dataclass (checked once, on ``sample``), it validates instead.
    """
    new, setattr_ = object.__new__, object.__setattr__

    def fast(values: dict[str, Any]) -> Any:
        obj = new(cls)
        for name, value in values.items():
            setattr_(obj, name, value)
        return obj

    def validating(values: dict[str, Any]) -> Any:
        return cls(**values)

    try:
        made, want = fast(dict(sample)), validating(dict(sample))
        ok = made == want and repr(made) == repr(want) and not hasattr(made, "__dict__")
    except Exception:  # noqa: BLE001 - any surprise means: validate
        ok = False
    return fast if ok else validating


_text_step = _maker(Step, {"role": "user", "text": "t", "tool_call": None, "tool_result": None, "timestamp": "z"})
_call_step = _maker(Step, {"role": "assistant", "text": "", "tool_call": None, "tool_result": None, "timestamp": None})
_result_step = _maker(Step, {"role": "tool", "text": "", "tool_call": None, "tool_result": None, "timestamp": None})
_call = _maker(ToolCall, {"name": "n", "arguments": {"a": 1}, "id": "i"})
_result = _maker(ToolResult, {"output": "o", "is_error": True, "exit_code": 1, "call_id": "i"})


class Assembler:
    """Steps of the kept records, as ``anthropic.StepAssembler`` makes them from the same blocks.

    Text an assistant writes before a tool call rides on that call; a call or result id seen twice is
    kept once. With ``build=False`` nothing is built, only ``steps``/``calls``/``errors`` counted.
    """

    def __init__(self, build: bool = True) -> None:
        self.build = build
        self.steps: list[Step] = []
        self.n_steps = self.n_calls = self.n_errors = 0
        self._text: list[str] = []
        self._text_ts: str | None = None
        self._calls: dict[str, str] = {}
        self._results: set[str] = set()
        self._message_id: Any = None

    def add_nodes(self, kept: list[Any]) -> None:
        """Add the kept records in order; ``kept`` is emptied as they become steps, so each record is
        freed as soon as its step exists (a 300 MB session never holds its records and steps whole)."""
        for index, node in enumerate(kept):
            kept[index] = None
            self.add(node)
        self.flush()

    def add(self, node: Any) -> None:
        """Add the next kept record (``flush`` after the last)."""
        content = node.content
        if not content:
            return
        if not self.build:
            content = _expand(node)
        if node.type == "assistant":
            if node.msg_id != self._message_id or node.msg_id is None:
                self.flush()
                self._message_id = node.msg_id
            self.assistant(content, node.timestamp)
        elif node.type in ("user", "system"):
            self._message_id = None
            self.other(node.role, content, node.timestamp)

    def flush(self) -> None:
        """End the current assistant message: leftover text becomes a plain assistant step."""
        if not self._text:
            return
        text = "\n".join(self._text).strip()
        if text:
            self.n_steps += 1
            if self.build:
                self.steps.append(_text_step({
                    "role": "assistant", "text": clip(text), "tool_call": None, "tool_result": None,
                    "timestamp": self._text_ts,
                }))
        self._text, self._text_ts = [], None

    def assistant(self, content: Any, timestamp: str | None) -> None:
        if isinstance(content, str):
            content = ((TEXT, content),)
        for block in content:
            tag = block[0]
            if tag == USE:
                self._call(block, timestamp)
            elif tag == RESULT:  # server tools answer inside the assistant message
                self._result(block, timestamp)
            else:
                text = block[1] if tag == TEXT else _BLOCK_TEXT[tag]
                if text and not text.isspace():
                    self._text.append(text)
                    self._text_ts = self._text_ts or timestamp

    def other(self, role: str, content: Any, timestamp: str | None) -> None:
        """A user or system record; Claude Code flags every failed tool call, so no flag means success."""
        self.flush()
        if isinstance(content, str):
            texts = [content]
        else:
            texts = []
            for block in content:
                tag = block[0]
                if tag == RESULT:
                    self._result(block, timestamp)
                elif tag == TEXT:
                    texts.append(block[1])
                elif tag != USE:
                    texts.append(_BLOCK_TEXT[tag])
        text = "\n".join(t for t in texts if t)
        if text and not text.isspace():
            self.n_steps += 1
            if self.build:
                step_role = "system" if role == "system" else "user"
                self.steps.append(_text_step({
                    "role": step_role, "text": clip(text), "tool_call": None, "tool_result": None, "timestamp": timestamp,
                }))

    def _call(self, block: tuple[Any, ...], timestamp: str | None) -> None:
        raw = block[1]
        call_id = (raw if type(raw) is str else str(raw)) if raw else None
        if call_id is not None:
            if call_id in self._calls:
                return
            self._calls[call_id] = call_id
        text = "\n".join(self._text).strip() if self._text else ""
        self._text, self._text_ts = [], None
        self.n_steps += 1
        self.n_calls += 1
        if self.build:
            call = _call({"name": block[2], "arguments": block[3], "id": call_id})
            self.steps.append(_call_step({
                "role": "assistant", "text": clip(text), "tool_call": call, "tool_result": None, "timestamp": timestamp,
            }))

    def _result(self, block: tuple[Any, ...], timestamp: str | None) -> None:
        raw = block[1]
        call_id = (raw if type(raw) is str else str(raw)) if raw else None
        if call_id is not None:
            if call_id in self._results:
                return
            self._results.add(call_id)
            call_id = self._calls.get(call_id, call_id)  # share the call's string
        output, flagged = block[2], block[3]
        self.n_steps += 1
        self.n_errors += flagged
        if self.build:
            match = _EXIT_CODE.match(output)
            result = _result({
                "output": clip(output), "is_error": flagged, "exit_code": int(match.group(1)) if match else None,
                "call_id": call_id,
            })
            self.steps.append(_result_step({
                "role": "tool", "text": "", "tool_call": None, "tool_result": result, "timestamp": timestamp,
            }))
