"""The conversation tree of a Claude Code session: which records belong to the run as it finally stood.

Records link to their parent through ``parentUuid``. A rewind or an edited prompt starts a sibling
branch; parallel tool calls hang their results off different lines of one API message; a compaction
starts a new root that points back through ``logicalParentUuid``; subagents (sidechains) are trees of
their own. ``main_chain`` keeps the path from the last record to the root plus what legitimately hangs
off it, and drops abandoned branches, so nothing is counted twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MESSAGE_TYPES = frozenset({"user", "assistant", "system"})


@dataclass(slots=True)
class Node:
    """One record of the session file, compacted to what the tree and the steps need.

    A 300 MB session has ~200k records, so every field here costs ~1.5 MB per 8 bytes: strings that
    repeat (parent uuids, message ids, model names, usage) point at one shared object.
    """

    line: int
    type: str
    uuid: str | None = None
    parent: str | None = None
    logical_parent: str | None = None
    sidechain: bool = False
    agent_id: str | None = None
    timestamp: str | None = None
    content: Any = None
    """Compacted message content: a clipped string or a tuple of block tuples (see ``_claude_steps``)."""
    msg_id: str | None = None
    role: str = ""
    is_task: bool = False
    is_command: bool = False
    api_error: bool = False
    clipped: bool = False
    """Some text of this record was cut short because the file's text budget was spent."""
    calls: tuple[str, ...] = ()
    results: tuple[str, ...] = ()
    session: dict[str, str] | None = None
    """sessionId/cwd/version/gitBranch, one dict shared by every record that has the same values."""
    meta: tuple[str | None, tuple[tuple[str, ...], tuple[int, ...]] | None, float | None] | None = None
    """Assistant lines only: (model, (usage keys, usage values), cost); lines of one message share
    their usage, and all usages with the same keys share the key tuple."""


def main_chain(group: list[Node], by_uuid: dict[str, Node]) -> list[Node]:
    """The nodes of ``group`` that belong to the conversation as it finally stood, in file order."""
    members = {n.uuid for n in group if n.uuid}
    leaf = next((n for n in reversed(group) if n.uuid and n.type in MESSAGE_TYPES), None)
    chain: set[str] = set()
    current = leaf
    while current is not None and current.uuid and current.uuid not in chain:
        chain.add(current.uuid)
        nxt = current.parent or current.logical_parent
        current = by_uuid.get(nxt) if nxt in members else None
    on_chain = [by_uuid[u] for u in chain]
    chain_messages = {n.msg_id for n in on_chain if n.msg_id}
    open_calls = {c for n in on_chain for c in n.calls} - {r for n in on_chain for r in n.results}
    branched: dict[str, bool] = {}
    kept = []
    for node in group:
        if node.uuid is None or node.uuid in chain:
            kept.append(node)
        elif node.msg_id and node.msg_id in chain_messages:
            kept.append(node)  # another line of an API message on the chain (parallel tool_use)
        elif node.results and set(node.results) <= open_calls:
            kept.append(node)  # a result of a chain call, logged on a side branch
        elif not _branches_off(node, chain, by_uuid, members, branched):
            kept.append(
                node
            )  # a fragment not connected to the chain (history before an old-style compaction)
    return kept


def _branches_off(
    node: Node, chain: set[str], by_uuid: dict[str, Node], members: set[str], memo: dict[str, bool]
) -> bool:
    """Does ``node`` descend from a chain node (an abandoned branch), rather than from a detached root?"""
    path = []
    current: Node | None = node
    answer = False
    while current is not None and current.uuid:
        if current.uuid in memo:
            answer = memo[current.uuid]
            break
        if current.uuid in chain:
            answer = True
            break
        path.append(current.uuid)
        nxt = current.parent or current.logical_parent
        current = by_uuid.get(nxt) if nxt in members and nxt not in path else None
    for uuid in path:
        memo[uuid] = answer
    return answer


def conversations(nodes: list[Node], by_uuid: dict[str, Node]) -> list[list[Node]]:
    """The main conversation first, then one group per subagent (sidechain) in order of appearance."""
    main = [n for n in nodes if not n.sidechain]
    side: dict[str, list[Node]] = {}
    for n in nodes:
        if n.sidechain:
            side.setdefault(n.agent_id or _root(n, by_uuid), []).append(n)
    groups = [main] if any(n.type in MESSAGE_TYPES for n in main) else []
    return groups + [g for g in side.values() if any(n.type in MESSAGE_TYPES for n in g)]


def _root(node: Node, by_uuid: dict[str, Node]) -> str:
    seen = set()
    while node.parent in by_uuid and node.parent not in seen and by_uuid[node.parent].sidechain:
        seen.add(node.parent)
        node = by_uuid[node.parent]
    return node.uuid or f"line-{node.line}"
