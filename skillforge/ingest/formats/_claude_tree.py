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
    """Compacted message content: a clipped string, or block tuples packed (or, when only counting,
    their shape); see ``_claude_steps``."""
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
    group: int = 0
    """Which conversation (``conversations``) the node belongs to; 0 = none."""
    on_chain: bool = False
    meta: tuple[str | None, tuple[tuple[str, ...], str] | None, float | None] | None = None
    """Assistant lines only: (model, (usage keys, usage values joined by commas), cost); the lines
    of one message share their usage, and all usages with the same keys share the key tuple."""


def main_chain(group: list[Node], by_uuid: dict[Any, Node]) -> list[Node]:
    """The nodes of ``group`` that belong to the conversation as it finally stood, in file order.

    ``group`` comes from ``conversations``, which numbered its nodes. Chain membership is a flag on
    the node, and the sets the side rules need are built only when some node is off the chain, so a
    linear 200k-record session costs no temporary set at all.
    """
    index = group[0].group if group else 0
    leaf = next((n for n in reversed(group) if n.uuid and n.type in MESSAGE_TYPES), None)
    on_chain: list[Node] = []
    current = leaf
    while current is not None and current.uuid and not current.on_chain:
        current.on_chain = True
        on_chain.append(current)
        current = _parent(current, by_uuid, index)
    kept = []
    side: tuple[set[Any], set[Any]] | None = None
    branched: dict[Any, bool] = {}
    for node in group:
        if node.uuid is None or node.on_chain:
            kept.append(node)
            continue
        if side is None:
            side = _side_rules(on_chain)
        chain_messages, open_calls = side
        if node.msg_id and node.msg_id in chain_messages:
            kept.append(node)  # another line of an API message on the chain (parallel tool_use)
        elif node.results and set(node.results) <= open_calls:
            kept.append(node)  # a result of a chain call, logged on a side branch
        elif not _branches_off(node, by_uuid, index, branched):
            kept.append(node)  # a fragment not connected to the chain (history before an old-style compaction)
    return kept


def _parent(node: Node, by_uuid: dict[Any, Node], index: int) -> Node | None:
    """The node's parent (or, across a compaction, logical parent) when it is in the same conversation."""
    nxt = node.parent or node.logical_parent
    found = by_uuid.get(nxt) if nxt is not None else None
    return found if found is not None and found.group == index else None


def _side_rules(on_chain: list[Node]) -> tuple[set[Any], set[Any]]:
    """Message ids on the chain, and chain calls whose results are not on the chain."""
    chain_messages = {n.msg_id for n in on_chain if n.msg_id}
    results = {r for n in on_chain for r in n.results}
    open_calls = {c for n in on_chain for c in n.calls if c not in results}
    return chain_messages, open_calls


def _branches_off(node: Node, by_uuid: dict[Any, Node], index: int, memo: dict[Any, bool]) -> bool:
    """Does ``node`` descend from a chain node (an abandoned branch), rather than from a detached root?"""
    path: list[Any] = []
    current: Node | None = node
    answer = False
    while current is not None and current.uuid:
        if current.uuid in memo:
            answer = memo[current.uuid]
            break
        if current.on_chain:
            answer = True
            break
        path.append(current.uuid)
        nxt = _parent(current, by_uuid, index)
        current = nxt if nxt is not None and nxt.uuid not in path else None
    for uuid in path:
        memo[uuid] = answer
    return answer


def conversations(nodes: list[Node], by_uuid: dict[Any, Node]) -> list[list[Node]]:
    """The main conversation first, then one group per subagent (sidechain) in order of appearance.

    Each node's ``group`` is set to its group's position, which ``main_chain`` relies on.
    """
    main = [n for n in nodes if not n.sidechain]
    side: dict[Any, list[Node]] = {}
    for n in nodes:
        if n.sidechain:
            side.setdefault(n.agent_id or _root(n, by_uuid), []).append(n)
    groups = [main] if any(n.type in MESSAGE_TYPES for n in main) else []
    groups += [g for g in side.values() if any(n.type in MESSAGE_TYPES for n in g)]
    for number, group in enumerate(groups, start=1):
        for n in group:
            n.group = number
    return groups


def _root(node: Node, by_uuid: dict[Any, Node]) -> str:
    seen = set()
    while node.parent in by_uuid and node.parent not in seen and by_uuid[node.parent].sidechain:
        seen.add(node.parent)
        node = by_uuid[node.parent]
    return node.uuid or f"line-{node.line}"
