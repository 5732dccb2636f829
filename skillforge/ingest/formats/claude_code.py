"""Claude Code session logs: ``~/.claude/projects/<encoded cwd>/<session>.jsonl`` and subagent files.

One line per record. Conversation records (``user``/``assistant``/``system``) form a tree through
``parentUuid``: a rewind or an edited prompt starts a sibling branch, and parallel tool calls hang
their results off different lines of the same API message. The trace follows the main chain (from
the last record back to the root, across compactions via ``logicalParentUuid``), keeps the lines of
split messages and the tool results that answer its calls, and drops abandoned branches.
Sidechain (subagent) records become traces of their own. Records are compacted as they are read
(long text clipped, ``toolUseResult`` copies and thinking dropped, see ``_claude_steps``), so memory
stays bounded by the trace, not the file; ``count`` (for ``inspect``) keeps no text at all. A file over
``TWO_PASS_BYTES`` is read twice: the tree without texts first, then the chain's lines again, each
turned into steps at once (``_read_again``), so records and steps are never held together.
"""

from __future__ import annotations

import heapq
import re
from array import array
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skillforge.ingest.base import (
    SNIFF_LINES,
    Probe,
    Reader,
    ReadOptions,
    TraceCounts,
    clip,
    gc_paused,
    iter_jsonl,
)
from skillforge.ingest.formats._claude_meta import Shared, metadata, session, sidecar
from skillforge.ingest.formats._claude_steps import (
    RESULT,
    TEXT,
    USE,
    Assembler,
    Compactor,
    shape,
)
from skillforge.ingest.formats._claude_tree import MESSAGE_TYPES, Node, conversations, main_chain
from skillforge.models import Outcome, Skipped, Source, Trace

NAME = "claude-code"

_TREE_TYPES = {kind: kind for kind in sorted(MESSAGE_TYPES | {"progress", "attachment"})}
_NONMESSAGE_TYPES = frozenset(
    {"summary", "file-history-snapshot", "permission-mode", "queue-operation", "last-prompt", "custom-title"}
)
_QUIET_SYSTEM = frozenset({"turn_duration", "away_summary", "stop_hook_summary"})
"""System subtypes that are telemetry, not part of the conversation."""
_COMMAND = re.compile(
    r"<command-name>\s*(.*?)\s*</command-name>.*?(?:<command-args>(.*?)</command-args>)?", re.DOTALL
)
_OUTPUT_TAG = re.compile(r"^\s*<(local-command-stdout|local-command-stderr|bash-stdout|bash-stderr)>", re.DOTALL)
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
        if (kind == "summary" and "leafUuid" in rec) or (kind == "file-history-snapshot" and "snapshot" in rec):
            best = max(best, 0.9)
        elif kind in _NONMESSAGE_TYPES and "sessionId" in rec:
            best = max(best, 0.85)
    return best


# --------------------------------------------------------------------------- parsing


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


def _key(value: Any) -> Any:
    """A uuid as the tree can use it: strings and numbers as they are, anything else (lists, objects) dropped."""
    return value if value is None or type(value) in (str, int) else None


@dataclass
class _Parsed:
    """Everything the first (and only) pass over a session file keeps."""

    nodes: list[Node] = field(default_factory=list)
    by_uuid: dict[Any, Node] = field(default_factory=dict)
    summaries: dict[str, str] = field(default_factory=dict)
    spent: tuple[int, int] | None = None
    """(line, characters kept before it) of the record during which the text budget ran out: a second
    pass clips the kept records' texts exactly as the first would have (see ``_fill``)."""


def _parse(
    path: Path, options: ReadOptions, counting: bool, contents: bool = True
) -> Generator[Skipped, None, _Parsed]:
    """Read every record into a ``Node``, yielding a ``Skipped`` for each unreadable one.

    ``counting`` keeps only what counting steps needs (no texts, timestamps or metadata), so
    ``inspect`` holds ~0.5 KB per record whatever the records hold. Without ``contents`` a record's
    content is read (for its flags, ids and the text budget) and dropped: ``_fill`` reads the kept
    records' contents again, in a second pass, as their steps are built.
    """
    parsed = _Parsed()
    nodes, by_uuid = parsed.nodes, parsed.by_uuid
    compactor = Compactor(options.text_budget)
    sessions: dict[tuple[Any, ...], dict[str, str]] = {}
    shared = Shared()
    shapes: dict[Any, Any] = {}
    for lineno, rec in iter_jsonl(path, max_line_bytes=options.max_line_bytes):
        if isinstance(rec, Skipped):
            yield rec
            continue
        if not isinstance(rec, dict):
            yield Skipped(path=str(path), line=lineno, reason="not a JSON object")
            continue
        raw_kind = rec.get("type")
        kind = _TREE_TYPES.get(raw_kind) if type(raw_kind) is str else None  # the constant, not a copy
        if kind is None:
            if raw_kind == "summary" and isinstance(rec.get("leafUuid"), str):
                parsed.summaries[rec["leafUuid"]] = clip(str(rec.get("summary", "")), 1000)
            continue
        uuid = _key(rec.get("uuid"))
        if isinstance(uuid, str) and uuid in by_uuid:
            continue  # the same record logged twice (resume): keep the first
        parent = _key(rec.get("parentUuid"))
        if parent is not None and parent in by_uuid:
            parent = by_uuid[parent].uuid  # one string object per uuid, however many children point at it
        node = Node(
            line=lineno,
            type=kind,
            uuid=uuid,
            parent=parent,
            logical_parent=_key(rec.get("logicalParentUuid")),
            sidechain=bool(rec.get("isSidechain")),
            agent_id=rec.get("agentId"),
        )
        nodes.append(node)
        if uuid:
            by_uuid[uuid] = node
        if not counting:
            stamp = rec.get("timestamp")
            node.timestamp = stamp if isinstance(stamp, str) else None
            values = (rec.get("sessionId"), rec.get("cwd"), rec.get("version"), rec.get("gitBranch"))
            try:
                node.session = sessions[values]
            except KeyError:  # 20k records of one session share one dict, not 20k copies
                node.session = sessions[values] = session(values)
            except TypeError:  # a list where a string belongs: not shareable, still read
                node.session = session(values)
        if kind not in MESSAGE_TYPES:
            continue
        before = compactor.kept
        message = _content(node, rec, kind, compactor)
        if kind == "assistant" and message is not None:
            node.msg_id = shared.message_id(message.get("id"))
            if not counting:
                node.meta = shared.meta(rec, message)
        if compactor.clipped:
            node.clipped, compactor.clipped = True, False
        if parsed.spent is None and compactor.kept > compactor.budget:
            parsed.spent = (lineno, before)
        if counting and node.content:
            node.content = shape(node.content, node.results, shapes)
        elif not contents and node.content:
            node.content = _DROPPED
    return parsed


_DROPPED = "dropped"
"""The content a first pass read and let go (``_fill`` reads it again): a record with content, of no shape."""


def _content(node: Node, rec: dict[str, Any], kind: str, compactor: Compactor) -> dict[str, Any] | None:
    """The content of a message record and what it tells (role, task or command, call and result ids,
    API error) onto ``node``; the message object of a non-meta user or assistant line, else None.

    Both passes over a file read a record through here, so they agree on every text and flag."""
    node.role = kind
    if kind == "system":
        content = rec.get("content")
        if isinstance(content, str) and content.strip() and rec.get("subtype") not in _QUIET_SYSTEM:
            node.content = compactor.clip(content)
        return None
    if rec.get("isMeta"):  # injected caveats and expanded command prompts: not said by the user
        return None
    message = rec.get("message")
    message = message if isinstance(message, dict) else {}
    node.content = compactor.content(message.get("content"), kind == "assistant")
    if kind == "assistant":
        node.api_error = bool(rec.get("isApiErrorMessage"))
        if isinstance(node.content, tuple):
            node.calls = tuple(b[1] for b in node.content if b[0] == USE and b[1])
    elif rec.get("isCompactSummary"):
        node.role = "system"
    else:
        _user(node)
    return message


def _user(node: Node) -> None:
    content = node.content
    if isinstance(content, str):
        _classify_user_text(node, content)
        return
    node.results = tuple(b[1] for b in content if b[0] == RESULT)
    prompt = _prompt_text(node)
    if not node.results and prompt:
        _classify_user_text(node, prompt)


# --------------------------------------------------------------------------- traces


def _chains(parsed: _Parsed) -> list[list[Node]]:
    """The kept records of each conversation (main first); the parse's own lists are emptied."""
    groups = conversations(parsed.nodes, parsed.by_uuid)
    chains = [main_chain(group, parsed.by_uuid) for group in groups]
    # From here on only the chains hold the records, so each is freed as it becomes a step.
    parsed.nodes.clear()
    parsed.by_uuid.clear()
    return chains


def _prompt_text(node: Node) -> str:
    """What the user typed: the node's text without injected blocks (IDE context, reminders)."""
    content = node.content
    if isinstance(content, str):
        return content
    texts = [b[1] for b in content or () if b[0] == TEXT]
    return "\n".join(t for t in texts if t.strip() and not t.lstrip().startswith(_NOISE_PREFIXES))


def _task_node(kept: list[Node]) -> Node | None:
    """The record of the first prompt the user typed; of a slash command only when there is no such prompt."""
    for node in kept:
        if node.is_task:
            return node
    return next((n for n in kept if n.is_command and isinstance(n.content, str)), None)


def _task(node: Node | None) -> str:
    if node is None:
        return ""
    return _prompt_text(node).strip() if node.is_task else node.content if isinstance(node.content, str) else ""


def _error_node(kept: list[Node]) -> Node | None:
    """The record of Claude Code's own error message when the session ended on a failed API call."""
    last = next((n for n in reversed(kept) if n.type == "assistant" and n.content), None)
    return last if last is not None and last.api_error else None


def _api_error(node: Node | None) -> str | None:
    return _prompt_text(node).strip() or None if node is not None else None


def _strip(kept: list[Node]) -> None:
    """Drop what only the tree and the metadata needed, before the steps are built next to the records."""
    for node in kept:
        node.uuid = node.parent = node.logical_parent = node.session = node.meta = None
        node.calls = node.results = ()


def read(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """Yield the main conversation of a session file (and each inline subagent) as Traces."""
    if probe.kind == "json" and path.name.endswith(".meta.json"):
        yield Skipped(path=str(path), reason=f"subagent metadata; read with {path.name[: -len('.meta.json')]}.jsonl")
        return
    twice = _size(path) > TWO_PASS_BYTES
    parsed = yield from _parse(path, options, counting=False, contents=not twice)
    sidecar_meta = sidecar(path)
    chains = _chains(parsed)
    if twice:
        yield from _read_again(path, options, parsed, chains, sidecar_meta)
        return
    for index, kept in enumerate(chains):
        chains[index] = []  # the records of this trace now live only in ``kept``
        if not kept:
            continue
        made = [trace for trace in [_trace(path, index, kept, parsed.summaries, sidecar_meta)] if trace is not None]
        if made:
            # Handed over with no reference left in this frame: once the consumer drops the trace
            # (the distill pipeline digests it and moves on), it is freed before the next is built.
            yield made.pop()


def _trace(
    path: Path, index: int, kept: list[Node], summaries: dict[str, str], sidecar_meta: dict[str, Any]
) -> Trace | None:
    """The trace of one conversation's kept records (which are freed, one by one, as steps are made)."""
    task, error, line = _task(_task_node(kept)), _api_error(_error_node(kept)), kept[0].line
    meta = metadata(kept, summaries, sidecar_meta)
    _strip(kept)
    assembler = Assembler()
    assembler.add_nodes(kept)
    if not assembler.steps:
        return None
    return _made(path, index, line, task, assembler.steps, error, meta)


def _made(
    path: Path, index: int, line: int, task: str, steps: list[Any], error: str | None, meta: dict[str, Any]
) -> Trace:
    return Trace(
        id=Trace.make_id(str(path), index),
        source=Source(path=str(path), format=NAME, line=line, index=index),
        task=task,
        steps=steps,
        outcome=Outcome(error=error),
        metadata=meta,
    )


# --------------------------------------------------------------------------- large files: two passes

TWO_PASS_BYTES = 32 << 20
"""Session files larger than this are read twice. A first pass keeps each record's tree links, ids,
flags and timestamp, not its text; once the conversation's chain is known, a second pass reads the
chain's records again and turns each into steps at once. A 300 MB session then never holds every
record's text next to its steps (about 1.5x the memory), for one more parse of the chain's lines."""


@dataclass
class _Build:
    """One conversation's trace while the second pass builds it."""

    index: int
    line: int
    meta: dict[str, Any]
    task_line: int | None
    error_line: int | None
    assembler: Assembler = field(default_factory=Assembler)
    task: str = ""
    error: str | None = None


@dataclass
class _Wanted:
    """The lines the second pass reads, in file order, each with its trace and a check of its record
    (the hash of its uuid): three flat arrays, so the first pass's records are all freed before a step
    is built, and the steps reuse their memory."""

    lines: array[int] = field(default_factory=lambda: array("q"))
    builds: array[int] = field(default_factory=lambda: array("L"))
    checks: array[int] = field(default_factory=lambda: array("q"))

    def add(self, node: Node, build: int) -> None:
        self.lines.append(node.line)
        self.builds.append(build)
        self.checks.append(hash(node.uuid))


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_again(
    path: Path, options: ReadOptions, parsed: _Parsed, chains: list[list[Node]], sidecar_meta: dict[str, Any]
) -> Iterator[Trace | Skipped]:
    """The traces of ``chains`` (parsed without contents), from a second pass over the file."""
    builds, wanted = _plan(parsed, chains, sidecar_meta)
    if wanted.lines:  # nothing to read again (only bookkeeping records): no second pass over the file
        yield from _fill(path, options, parsed.spent, builds, wanted)
    for build in builds:
        build.assembler.flush()
        steps, build.assembler.steps = build.assembler.steps, []
        if steps:
            made = [_made(path, build.index, build.line, build.task, steps, build.error, build.meta)]
            del steps
            yield made.pop()  # no reference left here once the consumer drops it


def _plan(parsed: _Parsed, chains: list[list[Node]], sidecar_meta: dict[str, Any]) -> tuple[list[_Build], _Wanted]:
    """Each conversation's metadata and the lines its steps come from; the records are freed (``chains``
    is emptied)."""
    builds: list[_Build] = []
    streams: list[Iterator[tuple[Node, int]]] = []
    for index, kept in enumerate(chains):
        chains[index] = []
        if not kept:
            continue
        task, error = _task_node(kept), _error_node(kept)
        builds.append(_Build(index, kept[0].line, metadata(kept, parsed.summaries, sidecar_meta),
                             task.line if task else None, error.line if error else None))
        streams.append(_with_content(kept, len(builds) - 1))
    wanted = _Wanted()
    # Each chain is in file order; the second pass reads the file once, so the chains are merged by line.
    for node, build in heapq.merge(*streams, key=lambda item: item[0].line):
        wanted.add(node, build)
    return builds, wanted


def _with_content(kept: list[Node], build: int) -> Iterator[tuple[Node, int]]:
    return ((node, build) for node in kept if node.content)


def _fill(path: Path, options: ReadOptions, spent: tuple[int, int] | None, builds: list[_Build],
          wanted: _Wanted) -> Iterator[Skipped]:
    """Read the ``wanted`` lines again and add each record's steps to its trace, in file order.

    The text budget clips exactly as in the first pass: records before the one that spent it kept
    everything, that one starts from what was kept before it, later ones are past the budget."""
    compactor = Compactor(options.text_budget)
    lines, position = wanted.lines, 0
    for lineno, rec in iter_jsonl(path, max_line_bytes=options.max_line_bytes, lines=lines):
        while lines[position] < lineno:
            yield _gone(path, lines[position])
            position += 1
        build, check = builds[wanted.builds[position]], wanted.checks[position]
        position += 1
        raw_kind = rec.get("type") if isinstance(rec, dict) else None
        kind = _TREE_TYPES.get(raw_kind) if type(raw_kind) is str else None
        if not isinstance(rec, dict) or kind is None or hash(_key(rec.get("uuid"))) != check:
            yield Skipped(path=str(path), line=lineno, reason="the record changed between two reads of the file, "
                          "left out (was the session still being written?)")
            continue
        if spent is None or lineno < spent[0]:
            compactor.kept = 0
        else:
            compactor.kept = spent[1] if lineno == spent[0] else compactor.budget + 1
        node = Node(line=lineno, type=kind)
        stamp = rec.get("timestamp")
        node.timestamp = stamp if isinstance(stamp, str) else None
        message = _content(node, rec, kind, compactor)
        if kind == "assistant" and message is not None:
            node.msg_id = message.get("id")
        if lineno == build.task_line:
            build.task = _task(node)
        if lineno == build.error_line:
            build.error = _api_error(node)
        build.assembler.add(node)
    for lineno in lines[position:]:
        yield _gone(path, lineno)


def _gone(path: Path, lineno: int) -> Skipped:
    return Skipped(path=str(path), line=lineno, reason="the record was gone on a second read of the file, left out")


def count(path: Path, probe: Probe, options: ReadOptions) -> Iterator[TraceCounts | Skipped]:
    """What ``read`` would yield, counted: the same records and steps, without building them."""
    if probe.kind == "json" and path.name.endswith(".meta.json"):
        yield Skipped(path=str(path), reason=f"subagent metadata; read with {path.name[: -len('.meta.json')]}.jsonl")
        return
    parsed = yield from _parse(path, options, counting=True)
    for kept in _chains(parsed):
        assembler = Assembler(build=False)
        assembler.add_nodes(kept)
        if assembler.n_steps:
            yield TraceCounts(steps=assembler.n_steps, tool_calls=assembler.n_calls, errors=assembler.n_errors)


READERS = [
    Reader(
        name=NAME,
        sniff=sniff,
        read=lambda path, probe, options: gc_paused(read(path, probe, options)),
        description="Claude Code session logs (~/.claude/projects/*/<session>.jsonl, agent-*.jsonl)",
        count=lambda path, probe, options: gc_paused(count(path, probe, options)),
    )
]
