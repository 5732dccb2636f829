"""Claude Code session logs: ``~/.claude/projects/<encoded cwd>/<session>.jsonl`` and subagent files.

One line per record. Conversation records (``user``/``assistant``/``system``) form a tree through
``parentUuid``: a rewind or an edited prompt starts a sibling branch, and parallel tool calls hang
their results off different lines of the same API message. The trace follows the main chain (from
the last record back to the root, across compactions via ``logicalParentUuid``), keeps the lines of
split messages and the tool results that answer its calls, and drops abandoned branches.
Sidechain (subagent) records become traces of their own. Records are compacted as they are read
(long text clipped, ``toolUseResult`` copies and thinking dropped), so memory stays bounded by the
trace, not the file.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skillforge.ingest.base import (
    SNIFF_LINES,
    Probe,
    Reader,
    ReadOptions,
    clip,
    clip_arguments,
    iter_jsonl,
    parse_arguments,
)
from skillforge.ingest.formats._chat_shapes import as_dict
from skillforge.ingest.formats._claude_tree import MESSAGE_TYPES, Node, conversations, main_chain
from skillforge.ingest.formats.anthropic import StepAssembler, block_text, result_text
from skillforge.models import Outcome, Skipped, Source, Step, Trace

NAME = "claude-code"

_TREE_TYPES = MESSAGE_TYPES | {"progress", "attachment"}
_NONMESSAGE_TYPES = frozenset(
    {"summary", "file-history-snapshot", "permission-mode", "queue-operation", "last-prompt", "custom-title"}
)
_QUIET_SYSTEM = frozenset({"turn_duration", "away_summary", "stop_hook_summary"})
"""System subtypes that are telemetry, not part of the conversation."""
_COMMAND = re.compile(
    r"<command-name>\s*(.*?)\s*</command-name>.*?(?:<command-args>(.*?)</command-args>)?", re.S
)
_OUTPUT_TAG = re.compile(r"^\s*<(local-command-stdout|local-command-stderr|bash-stdout|bash-stderr)>", re.S)
_TAGS = re.compile(r"</?[a-z-]+>")
_NOISE_PREFIXES = (
    "<local-command-caveat>",
    "<system-reminder>",
    "Caveat: The messages below",
    "[Request interrupted",
    "<ide_opened_file>",
    "<ide_selection>",
    "<ide_diagnostics>",
    "<user-prompt-submit-hook>",
)


# --------------------------------------------------------------------------- detection


def sniff(probe: Probe) -> float:
    """Records carry ``sessionId`` and ``uuid``/``parentUuid``; files often open with other record types."""
    if probe.kind == "json" and isinstance(probe.skeleton, dict):
        if probe.path.name.endswith(".meta.json") and "agentType" in probe.skeleton:
            return 0.9  # the sidecar of a 2.1.x subagent file: read as part of that trace
        records = probe.lines or [probe.skeleton]
    elif probe.kind == "jsonl":
        records = probe.lines
    else:
        return 0.0
    best = 0.0
    for rec in records[:SNIFF_LINES]:
        if not isinstance(rec, dict):
            continue
        kind = rec.get("type")
        if kind in _TREE_TYPES and "sessionId" in rec and ("uuid" in rec or "parentUuid" in rec):
            return 0.95
        if kind == "summary" and "leafUuid" in rec:
            best = max(best, 0.9)
        elif kind == "file-history-snapshot" and "snapshot" in rec:
            best = max(best, 0.9)
        elif kind in _NONMESSAGE_TYPES and "sessionId" in rec:
            best = max(best, 0.85)
    return best


# --------------------------------------------------------------------------- parsing


def _compact_content(content: Any) -> Any:
    """Keep what steps need from message content, with long strings clipped."""
    if isinstance(content, str):
        return clip(content)
    if not isinstance(content, list):
        return []
    blocks = []
    for block in content:
        if not isinstance(block, dict):
            continue
        kind = str(block.get("type", ""))
        if kind in ("thinking", "redacted_thinking"):
            continue
        if kind.endswith("tool_use"):
            args = clip_arguments(parse_arguments(block.get("input")))
            blocks.append(
                {"type": "tool_use", "id": block.get("id"), "name": block.get("name"), "input": args}
            )
        elif kind.endswith("tool_result"):
            small = {"type": "tool_result", "tool_use_id": block.get("tool_use_id")}
            small["content"] = clip(result_text(block.get("content")))
            if "is_error" in block:
                small["is_error"] = block["is_error"]
            blocks.append(small)
        else:
            text = block_text(block)
            # images and documents stay typed so a prompt's text is not "[image]\n<prompt>"
            blocks.append(
                {"type": kind} if kind in ("image", "document") else {"type": "text", "text": clip(text)}
            )
    return blocks


def _classify_user_text(node: Node, text: str) -> None:
    """Mark real prompts (task candidates) and rewrite slash-command noise into readable steps."""
    command = _COMMAND.search(text) if "<command-name>" in text else None
    if command:
        node.content = " ".join(p for p in (command.group(1), (command.group(2) or "").strip()) if p)
        node.is_command = True
        return
    if _OUTPUT_TAG.match(text):
        node.role, node.content = "system", clip(_TAGS.sub("", text).strip())
        return
    if text.lstrip().startswith("<bash-input>"):
        node.content = "! " + _TAGS.sub("", text).strip()
        return
    node.is_task = bool(text.strip()) and not text.lstrip().startswith(_NOISE_PREFIXES)


_SESSION_KEYS = ("sessionId", "cwd", "version", "gitBranch")


def _node(lineno: int, rec: dict[str, Any], shared: dict[tuple[Any, ...], dict[str, str]]) -> Node:
    node = Node(
        line=lineno,
        type=str(rec.get("type")),
        uuid=rec.get("uuid"),
        parent=rec.get("parentUuid"),
        logical_parent=rec.get("logicalParentUuid"),
        sidechain=bool(rec.get("isSidechain")),
        agent_id=rec.get("agentId"),
        timestamp=rec.get("timestamp") if isinstance(rec.get("timestamp"), str) else None,
    )
    values = tuple(rec.get(k) for k in _SESSION_KEYS)
    if values not in shared:  # 20k records of one session share one dict, not 20k copies
        shared[values] = {
            k: v for k, v in zip(_SESSION_KEYS, values, strict=True) if isinstance(v, str) and v
        }
    node.session = shared[values]
    if node.type not in MESSAGE_TYPES:
        return node
    message = as_dict(rec.get("message"))
    node.role = node.type
    if node.type == "system":
        content = rec.get("content")
        if isinstance(content, str) and content.strip() and rec.get("subtype") not in _QUIET_SYSTEM:
            node.content = clip(content)
        return node
    if rec.get("isMeta"):
        return node  # injected caveats and expanded command prompts: not said by the user
    node.content = _compact_content(message.get("content"))
    if node.type == "assistant":
        node.msg_id = message.get("id")
        node.api_error = bool(rec.get("isApiErrorMessage"))
        node.calls = tuple(b["id"] for b in node.content if b.get("type") == "tool_use" and b.get("id"))
        _assistant_meta(node, rec, message)
        return node
    if rec.get("isCompactSummary"):
        node.role = "system"
        return node
    if isinstance(node.content, str):
        _classify_user_text(node, node.content)
    else:
        node.results = tuple(b["tool_use_id"] for b in node.content if b.get("type") == "tool_result")
        prompt = _prompt_text(node)
        if not node.results and prompt:
            _classify_user_text(node, prompt)
    return node


def _assistant_meta(node: Node, rec: dict[str, Any], message: dict[str, Any]) -> None:
    node.meta = {}
    if isinstance(message.get("model"), str) and message["model"] != "<synthetic>":
        node.meta["model"] = message["model"]
    usage = message.get("usage")
    if isinstance(usage, dict):
        node.meta["usage"] = {
            k: v for k, v in usage.items() if isinstance(v, int) and not isinstance(v, bool)
        }
    if isinstance(rec.get("costUSD"), (int, float)):
        node.meta["cost_usd"] = rec["costUSD"]


# --------------------------------------------------------------------------- traces


def _steps(kept: list[Node]) -> list[Step]:
    """Build the steps, releasing each node's content once it is a step (the peak stays near one copy)."""
    assembler = StepAssembler()
    message_id = None
    for node in kept:
        if node.type == "assistant" and node.content:
            if node.msg_id != message_id or node.msg_id is None:
                assembler.flush()
                message_id = node.msg_id
            assembler.add("assistant", node.content, node.timestamp)
            node.content = None
            continue
        if node.content and node.type in ("user", "system"):
            message_id = None
            # Claude Code always sets is_error on failed tool calls; an absent flag means success.
            assembler.add(node.role, node.content, node.timestamp, is_error=False)
            node.content = None
    assembler.flush()
    return assembler.steps


def _metadata(kept: list[Node], summaries: dict[str, str], sidecar: dict[str, Any]) -> dict[str, Any]:
    meta: dict[str, Any] = {"host": "claude-code"}
    names = {"sessionId": "session_id", "cwd": "cwd", "version": "cli_version", "gitBranch": "git_branch"}
    models: list[str] = []
    usage_by_message: dict[str, dict[str, int]] = {}
    cost = 0.0
    for node in kept:
        for key, name in names.items():
            if node.session and key in node.session:
                meta.setdefault(name, node.session[key])
        extra = node.meta or {}
        if "model" in extra and extra["model"] not in models:
            models.append(extra["model"])
        if "usage" in extra:
            usage_by_message[node.msg_id or f"line-{node.line}"] = extra["usage"]  # last line has the totals
        cost += extra.get("cost_usd", 0.0)
    if models:
        meta["model"] = models[0]
        if len(models) > 1:
            meta["models"] = sorted(models)
    if usage_by_message:
        totals: dict[str, int] = {}
        for usage in usage_by_message.values():
            for key, value in usage.items():
                totals[key] = totals.get(key, 0) + value
        meta["usage"] = dict(sorted(totals.items()))
    if cost:
        meta["cost_usd"] = round(cost, 6)
    stamps = [n.timestamp for n in kept if n.timestamp]
    if stamps:
        meta["started_at"], meta["ended_at"] = stamps[0], stamps[-1]
    agent = next((n.agent_id for n in kept if n.agent_id), None)
    if any(n.sidechain for n in kept):
        meta["sidechain"] = True
        if agent:
            meta["agent_id"] = agent
    summary = [summaries[n.uuid] for n in kept if n.uuid in summaries]
    if summary:
        meta["summary"] = summary[-1]
    for key in ("agentType", "description"):
        if isinstance(sidecar.get(key), str):
            meta["agent_type" if key == "agentType" else "agent_description"] = sidecar[key]
    return dict(sorted(meta.items()))


def _prompt_text(node: Node) -> str:
    """What the user typed: the node's text without injected blocks (IDE context, reminders)."""
    if isinstance(node.content, str):
        return node.content
    texts = [b.get("text", "") for b in node.content or () if b.get("type") == "text"]
    return "\n".join(t for t in texts if t.strip() and not t.lstrip().startswith(_NOISE_PREFIXES))


def _task(kept: list[Node]) -> str:
    """The first prompt the user typed; a slash command only when there is no such prompt."""
    for node in kept:
        if node.is_task:
            return _prompt_text(node).strip()
    return next((n.content for n in kept if n.is_command and isinstance(n.content, str)), "")


def _api_error(kept: list[Node]) -> str | None:
    """Claude Code's own error message when the session ended on a failed API call."""
    last = next((n for n in reversed(kept) if n.type == "assistant" and n.content), None)
    return _prompt_text(last).strip() or None if last is not None and last.api_error else None


def _sidecar(path: Path) -> dict[str, Any]:
    """``agent-<id>.meta.json`` beside a 2.1.x subagent file: its type and description."""
    meta_path = path.with_name(path.stem + ".meta.json")
    try:
        if meta_path.is_file() and meta_path.stat().st_size < 1 << 16:
            value = json.loads(meta_path.read_text(encoding="utf-8"))
            return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        pass
    return {}


def read(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """Yield the main conversation of a session file (and each inline subagent) as Traces."""
    if probe.kind == "json" and path.name.endswith(".meta.json"):
        return  # a subagent sidecar: its fields are read with the subagent's own file
    nodes: list[Node] = []
    by_uuid: dict[str, Node] = {}
    summaries: dict[str, str] = {}
    shared: dict[tuple[Any, ...], dict[str, str]] = {}
    for lineno, rec in iter_jsonl(path, max_line_bytes=options.max_line_bytes):
        if isinstance(rec, Skipped):
            yield rec
            continue
        if not isinstance(rec, dict):
            yield Skipped(path=str(path), line=lineno, reason="not a JSON object")
            continue
        kind = rec.get("type")
        if kind == "summary" and isinstance(rec.get("leafUuid"), str):
            summaries[rec["leafUuid"]] = clip(str(rec.get("summary", "")), 1000)
        if kind not in _TREE_TYPES:
            continue
        uuid = rec.get("uuid")
        if isinstance(uuid, str) and uuid in by_uuid:
            continue  # the same record logged twice (resume): keep the first
        node = _node(lineno, rec, shared)
        nodes.append(node)
        if node.uuid:
            by_uuid[node.uuid] = node
    sidecar = _sidecar(path)
    for index, group in enumerate(conversations(nodes, by_uuid)):
        kept = main_chain(group, by_uuid)
        task, error = _task(kept), _api_error(kept)
        steps = _steps(kept)
        if not steps:
            continue
        yield Trace(
            id=Trace.make_id(str(path), index),
            source=Source(path=str(path), format=NAME, line=kept[0].line, index=index),
            task=task,
            steps=steps,
            outcome=Outcome(error=error),
            metadata=_metadata(kept, summaries, sidecar),
        )


READERS = [
    Reader(
        name=NAME,
        sniff=sniff,
        read=read,
        description="Claude Code session logs (~/.claude/projects/*/<session>.jsonl, agent-*.jsonl)",
    )
]
