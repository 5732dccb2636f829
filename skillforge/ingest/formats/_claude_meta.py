"""Session metadata of a Claude Code trace: ids, model, token usage, cost, times, subagent sidecar.

Collected per record while reading (``Shared`` keeps values that repeat across ~200k records once)
and summed over the records of the main chain (``metadata``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from skillforge.ingest.formats._claude_steps import BUDGET_CLIP
from skillforge.ingest.formats._claude_tree import Node
from skillforge.ingest.limits import loads

SESSION_KEYS = ("sessionId", "cwd", "version", "gitBranch")


def session(values: tuple[Any, ...]) -> dict[str, str]:
    """A record's non-empty sessionId/cwd/version/gitBranch (``values`` in ``SESSION_KEYS`` order)."""
    return {k: v for k, v in zip(SESSION_KEYS, values, strict=True) if isinstance(v, str) and v}


class Shared:
    """Values repeated across records, kept once: a split message's id and usage, model names, usage keys."""

    __slots__ = ("keys", "last_id", "last_items", "last_usage", "models")

    def __init__(self) -> None:
        self.models: dict[str, str] = {}
        self.keys: dict[tuple[str, ...], tuple[str, ...]] = {}
        self.last_id: Any = None
        self.last_usage: Any = None
        self.last_items: tuple[tuple[str, ...], str] | None = None

    def message_id(self, msg_id: Any) -> Any:
        """``msg_id``, as the same object as the previous line's when it is the same id."""
        if msg_id == self.last_id and type(msg_id) is str:
            return self.last_id  # the lines of one API message come one after another
        self.last_id, self.last_usage = msg_id, None
        return msg_id

    def usage(self, usage: dict[str, Any]) -> tuple[tuple[str, ...], str]:
        """(keys, values joined by commas): ~80k messages in a 300 MB session, so the keys are one
        tuple and the numbers one string; a split message repeats its usage on every line."""
        if self.last_items is not None and usage == self.last_usage:
            return self.last_items
        kept = [(k, v) for k, v in usage.items() if type(v) is int]
        keys = tuple(k for k, _ in kept)
        items = (self.keys.setdefault(keys, keys), ",".join(str(v) for _, v in kept))
        self.last_usage, self.last_items = usage, items
        return items

    def meta(self, rec: dict[str, Any], message: dict[str, Any]) -> Any:
        """(model, usage, cost) of an assistant line, or None when it has none of them."""
        model = message.get("model")
        model = self.models.setdefault(model, model) if isinstance(model, str) and model != "<synthetic>" else None
        usage = message.get("usage")
        items = self.usage(usage) if isinstance(usage, dict) else None
        cost = rec.get("costUSD")
        cost = cost if isinstance(cost, (int, float)) else None
        if model is None and items is None and cost is None:
            return None
        return (model, items, cost)


def metadata(kept: list[Node], summaries: dict[str, str], sidecar: dict[str, Any]) -> dict[str, Any]:
    """The trace's metadata from its kept records; usage is summed once per API message (its last line)."""
    meta: dict[str, Any] = {"host": "claude-code"}
    names = {"sessionId": "session_id", "cwd": "cwd", "version": "cli_version", "gitBranch": "git_branch"}
    models: list[str] = []
    usage_by_message: dict[Any, tuple[tuple[str, ...], str]] = {}
    cost = 0.0
    seen_sessions: set[int] = set()
    first_stamp = last_stamp = None
    agent = None
    sidechain = False
    clipped = 0
    for node in kept:
        shared_session = node.session
        if shared_session and id(shared_session) not in seen_sessions:  # shared dicts: each looked at once
            seen_sessions.add(id(shared_session))
            for key, name in names.items():
                if key in shared_session:
                    meta.setdefault(name, shared_session[key])
        if node.meta is not None:
            model, usage, node_cost = node.meta
            if model is not None and model not in models:
                models.append(model)
            if usage is not None:
                usage_by_message[node.msg_id or f"line-{node.line}"] = usage  # last line has the totals
            if node_cost is not None:
                cost += node_cost
        if node.timestamp:
            first_stamp = first_stamp or node.timestamp
            last_stamp = node.timestamp
        agent = agent or node.agent_id
        sidechain = sidechain or node.sidechain
        clipped += node.clipped
    if models:
        meta["model"] = models[0]
        if len(models) > 1:
            meta["models"] = sorted(models)
    if usage_by_message:
        totals: dict[str, int] = {}
        for usage in usage_by_message.values():
            for key, value in zip(usage[0], usage[1].split(",") if usage[1] else (), strict=True):
                totals[key] = totals.get(key, 0) + int(value)
        meta["usage"] = dict(sorted(totals.items()))
    if cost:
        meta["cost_usd"] = round(cost, 6)
    if first_stamp:
        meta["started_at"], meta["ended_at"] = first_stamp, last_stamp
    if sidechain:
        meta["sidechain"] = True
        if agent:
            meta["agent_id"] = agent
    if summaries:
        summary = [summaries[n.uuid] for n in kept if n.uuid in summaries]
        if summary:
            meta["summary"] = summary[-1]
    for key in ("agentType", "description"):
        if isinstance(sidecar.get(key), str):
            meta["agent_type" if key == "agentType" else "agent_description"] = sidecar[key]
    if clipped:
        meta["text_budget"] = {"records_clipped": clipped, "clip_chars": BUDGET_CLIP}
    return dict(sorted(meta.items()))


def sidecar(path: Path) -> dict[str, Any]:
    """``agent-<id>.meta.json`` beside a 2.1.x subagent file: its type and description."""
    meta_path = path.with_name(path.stem + ".meta.json")
    try:
        if meta_path.is_file() and meta_path.stat().st_size < 1 << 16:
            value = loads(meta_path.read_bytes())
            return value if isinstance(value, dict) else {}
    except (OSError, ValueError):
        pass
    return {}
