"""OpenHands event streams, V0 and V1.

Shapes read (all streamed):

* V0 trajectory: a JSON array of events ``{id, timestamp, source, action+args | observation+content+
  extras+cause, tool_call_metadata?}`` → one trace;
* evaluation / resolver output: JSONL, one instance per line (``issue`` or ``instance_id`` +
  ``history``) → one trace per line; ``history`` uses the V0 schema, the 2024 flattened schema (action
  fields at top level, no ``args``/``id``) or ``[action, observation]`` pairs;
* V1 (software-agent-sdk) events: JSONL of ``{kind: ActionEvent|ObservationEvent|MessageEvent…}``, or
  one JSON file per event (``events/event-00000-<id>.json``), read as one conversation from its first
  file. ``base_state.json`` beside ``events/`` gives the model and status; met alone it is skipped.

Actions become assistant steps with a tool call (the function the model called, with its real
arguments when ``tool_call_metadata`` has them); ``finish`` becomes the final assistant message.
Observations become tool results: an error when the exit code is non-zero, ``success`` is false, the
observation is an ``error`` (V1: ``is_error``, ``AgentErrorEvent``, rejected actions).
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
    iter_jsonl,
    load_json,
)
from skillforge.ingest.formats._agent_common import (
    as_dict,
    extract_task,
    iter_values,
    json_error,
    parse_errors,
)
from skillforge.ingest.formats._openhands_events import V0Builder, V1Builder
from skillforge.models import Outcome, Skipped, Source, Trace

NAME = "openhands"

_SOURCES = {"user", "agent", "environment"}
_V1_KINDS = {"ActionEvent", "ObservationEvent", "MessageEvent", "SystemPromptEvent", "AgentErrorEvent"}
_EVENT_FILE = re.compile(r"^event-(\d{5,})-[0-9a-fA-F\-]{8,}\.json$")


# --------------------------------------------------------------------------- detection


def _is_v0_event(e: Any) -> bool:
    return (
        isinstance(e, dict)
        and ("action" in e or "observation" in e)
        and ("source" in e or "args" in e or "extras" in e)
    )


def _is_flat_event(e: Any) -> bool:
    return isinstance(e, dict) and isinstance(e.get("action") or e.get("observation"), str)


def _is_v1_event(e: Any) -> bool:
    return (
        isinstance(e, dict) and isinstance(e.get("kind"), str) and e.get("source") in _SOURCES and "id" in e
    )


def _is_instance(r: Any) -> bool:
    return isinstance(r, dict) and isinstance(r.get("history"), list) and ("issue" in r or "instance_id" in r)


def _is_base_state(sk: Any) -> bool:
    return (
        isinstance(sk, dict)
        and isinstance(sk.get("agent"), dict)
        and "llm" in sk["agent"]
        and "execution_status" in sk
    )


def sniff(probe: Probe) -> float:
    """V0 event arrays, resolver/eval JSONL, V1 event JSONL or event files (base_state.json: low)."""
    sk = probe.skeleton
    if probe.kind == "json":
        if isinstance(sk, list) and sk:
            first = sk[0]
            if _is_v0_event(first) and first.get("source") in _SOURCES and "id" in first:
                return 0.95
            if _is_v0_event(first) or (_is_flat_event(first) and "role" not in first):
                return 0.7
            return 0.0
        if _is_v1_event(sk) and (sk["kind"] in _V1_KINDS or sk["kind"].endswith("Event")):
            return 0.9
        if _is_instance(sk):
            return 0.9
        if _is_base_state(sk):
            return 0.4
        return 0.0
    if probe.kind == "jsonl":
        records = [r for r in probe.lines if isinstance(r, dict)]
        if records and _is_instance(records[0]):
            return 0.95
        if records and sum(_is_v1_event(r) for r in records) * 2 > len(records):
            return 0.95
    return 0.0


# --------------------------------------------------------------------------- reading


def read(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """Dispatch on the shape the probe saw; every damaged record becomes a ``Skipped``."""
    sk = probe.skeleton
    if probe.kind == "json" and isinstance(sk, list):
        yield from _read_array(path)
    elif probe.kind == "json" and _is_base_state(sk):
        yield Skipped(
            path=str(path), reason="OpenHands conversation state, not a trace (its events/ folder is read)"
        )
    elif probe.kind == "json" and _is_v1_event(sk) and (_EVENT_FILE.match(path.name) or not probe.lines):
        yield from _read_event_files(path)
    elif probe.kind == "json" and _is_instance(sk) and not probe.lines:
        # One pretty-printed record. (Single-line records, and JSONL whose first line is damaged,
        # which the probe may see as one broken document, go the JSONL way: line by line.)
        try:
            record = load_json(path)
        except Exception as exc:  # noqa: BLE001 - FormatError or OSError: report and move on
            yield Skipped(
                path=str(path), line=getattr(exc, "line", None), reason=str(getattr(exc, "message", exc))
            )
            return
        yield _instance_trace(path, record, 0, None)
    else:
        yield from _read_jsonl(path, options)


def _source(path: Path, index: int, line: int | None) -> tuple[str, Source]:
    return Trace.make_id(str(path), index), Source(path=str(path), format=NAME, line=line, index=index)


def _read_array(path: Path) -> Iterator[Trace | Skipped]:
    builder = V0Builder()
    try:
        for _, event in iter_values(path, ("item",), max_chars=None):
            builder.add(event)
    except parse_errors() as exc:
        yield json_error(path, exc, what="event array")
        return
    trace_id, source = _source(path, 0, None)
    yield Trace(
        id=trace_id,
        source=source,
        task=builder.task,
        steps=builder.steps,
        outcome=builder.outcome(),
        metadata=builder.meta(),
    )


def _read_jsonl(path: Path, options: ReadOptions) -> Iterator[Trace | Skipped]:
    """Resolver/eval output (one trace per line) or V1 events (one trace per file)."""
    v1: V1Builder | None = None
    index = 0
    for lineno, record in iter_jsonl(path, max_line_bytes=options.max_line_bytes):
        if isinstance(record, Skipped):
            yield record
        elif _is_instance(record):
            yield _instance_trace(path, record, index, lineno)
            index += 1
        elif _is_v1_event(record):
            v1 = v1 or V1Builder()
            v1.add(record)
        else:
            yield Skipped(path=str(path), line=lineno, reason="not an OpenHands instance or event record")
    if v1 is not None:
        trace_id, source = _source(path, index, None)
        yield Trace(
            id=trace_id, source=source, task=v1.task, steps=v1.steps, outcome=v1.outcome(), metadata=v1.meta()
        )


def _read_event_files(path: Path) -> Iterator[Trace | Skipped]:
    """A per-event file: the conversation's first file reads the whole folder; the others add nothing."""
    match = _EVENT_FILE.match(path.name)
    files = [path]
    if match:
        siblings = sorted(
            (int(m.group(1)), p)
            for p in path.parent.iterdir()
            if (m := _EVENT_FILE.match(p.name)) and p.is_file()
        )
        if siblings and siblings[0][1].name != path.name:
            return
        files = [p for _, p in siblings]
    v1 = V1Builder()
    for file in files:
        try:
            event = load_json(file, max_bytes=64 << 20)
        except Exception as exc:  # noqa: BLE001 - a damaged event file is reported, the rest still read
            yield Skipped(
                path=str(file), line=getattr(exc, "line", None), reason=str(getattr(exc, "message", exc))
            )
            continue
        if _is_v1_event(event):
            v1.add(event)
    meta = v1.meta()
    if match:
        meta["event_files"] = len(files)
        meta.update(_base_state(path.parent.parent / "base_state.json"))
    trace_id, source = _source(path, 0, None)
    outcome = v1.outcome()
    if outcome.success is None and meta.get("execution_status") in ("error", "stuck"):
        outcome = Outcome(success=False, error=str(meta["execution_status"]))
    yield Trace(id=trace_id, source=source, task=v1.task, steps=v1.steps, outcome=outcome, metadata=meta)


def _base_state(path: Path) -> dict[str, Any]:
    if not path.is_file():
        return {}
    try:
        state = load_json(path, max_bytes=16 << 20)
    except Exception:  # noqa: BLE001 - optional metadata only
        return {}
    meta: dict[str, Any] = {}
    llm = state.get("agent", {}).get("llm") if isinstance(state.get("agent"), dict) else None
    if isinstance(llm, dict) and isinstance(llm.get("model"), str):
        meta["model"] = llm["model"]
    if isinstance(state.get("execution_status"), str):
        meta.setdefault("execution_status", state["execution_status"])
    return meta


def _instance_trace(path: Path, record: dict[str, Any], index: int, line: int | None) -> Trace:
    """One resolver/eval record: the issue, its history, and the graded outcome."""
    builder = V0Builder()
    for item in record.get("history") or []:
        for event in item if isinstance(item, list) else [item]:  # 2024 evals: [action, observation] pairs
            builder.add(event)
    meta = builder.meta()
    issue = as_dict(record.get("issue"))
    instance = as_dict(record.get("instance"))
    if issue:
        task = "\n\n".join(as_text(issue.get(k)).strip() for k in ("title", "body") if issue.get(k))
        meta.update({f"issue_{k}": issue[k] for k in ("owner", "repo", "number") if issue.get(k) is not None})
    elif isinstance(instance.get("problem_statement"), str):
        task = instance["problem_statement"].strip()
    else:
        task = builder.task or extract_task(as_text(record.get("instruction")))
    for key in ("instance_id", "issue_type"):
        if isinstance(record.get(key), str):
            meta[key] = record[key]
    info = as_dict(record.get("metadata"))
    if isinstance(info.get("agent_class"), str):
        meta["agent_class"] = info["agent_class"]
    llm = as_dict(info.get("llm_config"))
    if isinstance(llm.get("model"), str):
        meta["model"] = llm["model"]
    metrics = as_dict(record.get("metrics"))
    if isinstance(metrics.get("accumulated_cost"), (int, float)):
        meta["accumulated_cost"] = metrics["accumulated_cost"]
    test_result = as_dict(record.get("test_result"))
    patch = record.get("git_patch") or test_result.get("git_patch")
    if isinstance(patch, str) and patch:
        meta["git_patch"] = clip(patch)
    explanation = record.get("result_explanation")
    if isinstance(explanation, str) and explanation:
        meta["result_explanation"] = clip(explanation)
    success = record.get("success") if isinstance(record.get("success"), bool) else _resolved(test_result)
    error = record.get("error") if isinstance(record.get("error"), str) and record.get("error") else None
    if error is None and success is False and isinstance(explanation, str) and explanation:
        error = clip(explanation, 2000)
    trace_id, source = _source(path, index, line)
    return Trace(
        id=trace_id,
        source=source,
        task=task,
        steps=builder.steps,
        outcome=Outcome(success=success, error=error),
        metadata=meta,
    )


def _resolved(test_result: dict[str, Any]) -> bool | None:
    for holder in (test_result, test_result.get("report")):
        resolved = holder.get("resolved") if isinstance(holder, dict) else None
        if isinstance(resolved, bool):
            return resolved
    return None


READERS = [
    Reader(
        name=NAME,
        sniff=sniff,
        read=read,
        description="OpenHands V0 event arrays, resolver/eval output JSONL, V1 SDK events (JSONL or files)",
    )
]
