"""The LLM analysis stage: read → redact → one analyst per trace (bounded) → consolidation tree.

Traces stream in input order, read and redacted by the executor's feed (``executor``: a child
process locally, one Ray task per file with ``executor="ray"``); at most
``window`` of them are held at once
(an analyst keeps its trace only while it works on it), so 500 large sessions cost a few dozen
traces of memory plus the lessons. Each finished trace becomes leaf ``i`` of the merge tree,
and groups are merged as soon as they are complete, so merging overlaps with analysis.

A run that made every call before (all answers cached) still has to read and redact its input;
the stage snapshot skips even that: keyed by the content of every input file and every setting
that shapes the answers, it stores the stage's result and is used only when nothing changed.

Before a trace reaches an analyst, behaviour clustering (``cluster``, on unless ``per_cluster`` is
None) decides whether it has to: exact duplicates are analysed once and each cluster of traces that
behave alike sends at most ``per_cluster`` representatives; the others still count as support of the
rules their representatives produced.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Callable, Iterable
from pathlib import Path

from skillforge import __version__
from skillforge.distill.consolidate import TreeMerger
from skillforge.distill.model.analysts import AnalystResult, LLMAnalyst
from skillforge.distill.model.cluster import ClusterGate
from skillforge.distill.model.executor import EXECUTORS, Analysed, Executor, Feed, make_executor
from skillforge.errors import BudgetExceeded, SkillforgeError
from skillforge.ingest import ReadOptions
from skillforge.ingest.walk import iter_files
from skillforge.llm.cache import canonical_json
from skillforge.llm.client import LLMClient
from skillforge.llm.prompts import load_prompt
from skillforge.models import Skipped, Trace
from skillforge.models.llm import CallFailure, DroppedLesson, LLMAnalysis, TraceRef
from skillforge.models.scan import QuarantinedLesson
from skillforge.redact import redact_skipped
from skillforge.scan import poisoned_lessons

Progress = Callable[[str, int, int | None], None]
"""``progress(stage, done, total)``; total is None while still unknown."""

PROMPTS = ("analyst_failure", "analyst_success", "analyst_final", "repair", "merge")
__all__ = ["EXECUTORS", "Progress", "no_progress", "run_analysis", "stage_key"]

SNAPSHOT_LAYOUT = 2
"""Bumped when what a snapshot stores changes (2: only the skips of the files it read), so an older
snapshot is never replayed."""


def no_progress(stage: str, done: int, total: int | None) -> None:
    """The ``Progress`` that shows nothing."""
    return None


def stage_key(
    paths: list[Path],
    client: LLMClient,
    analyst: LLMAnalyst,
    *,
    fmt: str | None,
    k: int,
    redact_emails: bool,
    per_cluster: int | None = None,
) -> str:
    """Fingerprint of "this stage on these inputs with these settings": file contents, prompts, model."""
    files = []
    for path in paths:
        digest = hashlib.sha256()
        with path.open("rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        files.append([str(path), digest.hexdigest()])
    material = {
        "version": __version__,
        "layout": SNAPSHOT_LAYOUT,
        "files": files,
        "format": fmt,
        "k": k,
        "redact_emails": redact_emails,
        "per_cluster": per_cluster,
        "model": client.model,
        "prompts": {name: load_prompt(name).hash for name in PROMPTS},
        "tools": analyst.use_tools,
        "tool_steps": analyst.tool_steps,
        "params": {"temperature": client.settings.temperature, "max_tokens": client.settings.max_tokens},
    }
    return hashlib.sha256(canonical_json(material).encode()).hexdigest()


class _Snapshots:
    """Stage results stored as ``<root>/<key>.json`` (atomic writes through the response cache's helper)."""

    def __init__(self, root: Path | None) -> None:
        self.root = root

    def get(self, key: str) -> LLMAnalysis | None:
        if self.root is None:
            return None
        try:
            return LLMAnalysis.model_validate_json((self.root / f"{key}.json").read_bytes())
        except (OSError, ValueError):
            return None

    def put(self, key: str, analysis: LLMAnalysis) -> None:
        if self.root is None:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        tmp = self.root / f".{key}.tmp"
        tmp.write_text(analysis.model_dump_json(), encoding="utf-8")
        tmp.replace(self.root / f"{key}.json")


async def run_analysis(
    paths: Iterable[str | Path],
    client: LLMClient,
    *,
    fmt: str | None = None,
    options: ReadOptions | None = None,
    k: int = 8,
    window: int | None = None,
    analyst: LLMAnalyst | None = None,
    progress: Progress = no_progress,
    snapshot_dir: Path | None = None,
    redact_emails: bool = False,
    per_cluster: int | None = 4,
    executor: str = "local",
    ray_address: str | None = None,
) -> LLMAnalysis:
    """Analyse the traces under ``paths`` with ``client`` and consolidate the lessons into one set.

    ``per_cluster``: most representatives one behaviour cluster sends to the analysts (None: analyse
    every trace). ``executor``: where the work runs, ``local`` (default) or ``ray`` (``ray_address``:
    none starts a local Ray runtime, ``auto``/``host:port``/``ray://…`` joins a cluster); both give
    the same result.
    """
    if executor not in EXECUTORS:
        raise SkillforgeError(f"unknown executor {executor!r}", hint=f"use one of: {', '.join(EXECUTORS)}")
    if per_cluster is not None and per_cluster < 1:
        raise SkillforgeError(f"per-cluster must be at least 1, not {per_cluster}", hint="or turn clustering off")
    analyst = analyst or LLMAnalyst(client)
    skipped: list[Skipped] = []
    files: list[Path] = []
    for item in iter_files(paths):
        if isinstance(item, Skipped):
            skipped.append(redact_skipped(item, redact_emails=redact_emails))
        else:
            files.append(item)
    snapshots = _Snapshots(snapshot_dir)
    key = (
        stage_key(files, client, analyst, fmt=fmt, k=k, redact_emails=redact_emails, per_cluster=per_cluster)
        if snapshot_dir
        else ""
    )
    cached = snapshots.get(key) if key else None
    if cached is not None:
        progress("analysis", len(cached.traces), len(cached.traces))
        # The snapshot holds the skips of the files it read; those of the paths given come from this run.
        return cached.model_copy(update={"from_snapshot": True, "skipped": skipped + cached.skipped})
    runner = make_executor(executor, client, analyst, ray_address=ray_address)
    try:
        feed = runner.feed(files, fmt, options or ReadOptions(), redact_emails)
        try:
            gate = ClusterGate(per_cluster) if per_cluster is not None else None
            result = await _analyse(feed, runner, client, k, window, progress, gate)
        finally:
            feed.close()
    finally:
        runner.close()
    result.skipped = list(feed.skipped)  # redacted where they were read
    if key and not result.failures and not result.budget_stopped:
        # Only what the key covers (the files' contents); a missing path given this time is not part of it.
        snapshots.put(key, result)
    result.skipped = skipped + result.skipped
    return result


async def _analyse(
    feed: Feed,
    runner: Executor,
    client: LLMClient,
    k: int,
    window: int | None,
    progress: Progress,
    gate: ClusterGate | None,
) -> LLMAnalysis:
    merge_failures: list[CallFailure] = []
    merger = TreeMerger(runner.merge_step(merge_failures), k)
    merged_nodes = 0

    def merged(level: int) -> None:
        nonlocal merged_nodes
        merged_nodes += 1
        progress(f"merge level {level}", merged_nodes, None)

    merger.on_merge = merged
    out = LLMAnalysis()
    # Several traces per call slot, so a slot that frees up always finds a call waiting for it.
    slots = asyncio.Semaphore(window or 4 * client.settings.concurrency)
    tasks: set[asyncio.Task[None]] = set()
    stop = asyncio.Event()
    done = 0
    # What each trace reports, kept by input index and listed in that order at the end: the report
    # must not depend on which analyst finished first (or on which machine).
    per_trace: dict[int, tuple[list[CallFailure], list[QuarantinedLesson], list[DroppedLesson]]] = {}

    async def work(index: int, trace: Trace, slim: Trace) -> None:
        nonlocal done
        budget: list[CallFailure] = []
        try:
            # The executor runs the analyst and the poisoned-lesson check of its lessons.
            analysed = await runner.analyze(trace, slim)
        except BudgetExceeded as exc:
            stop.set()
            budget.append(CallFailure(task=f"analyst:{trace.id}", error=exc.message, kind="BudgetExceeded"))
            analysed = Analysed(AnalystResult(trace_id=trace.id))
        finally:
            slots.release()
        result = analysed.result
        per_trace[index] = (
            budget + ([result.failure] if result.failure is not None else []),
            analysed.quarantined,
            result.dropped,
        )
        out.quotes_removed += result.quotes_removed
        out.analysed_lessons += len(result.lessons)
        merger.add(index, result.lessons)
        done += 1
        progress("analysis", done, None)

    index = 0
    while not stop.is_set():
        await slots.acquire()
        item = await feed.next()
        if item is None or stop.is_set():
            slots.release()
            break
        trace, slim = item
        # Every trace is listed, analysed or not, so provenance can name the file of a cluster member.
        out.traces.append(TraceRef(id=trace.id, path=trace.source.path, format=trace.source.format, kind=trace.kind))
        if gate is not None and not gate.admit(trace):
            slots.release()
            del trace, slim, item
            continue
        task = asyncio.create_task(work(index, trace, slim))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        index += 1
        del trace, slim, item
    if tasks:
        await asyncio.gather(*tasks)
    progress("analysis", done, done)
    for i in sorted(per_trace):
        failed, quarantined, dropped = per_trace[i]
        out.failures.extend(failed)
        out.quarantined.extend(quarantined)
        out.dropped_lessons.extend(dropped)
    if gate is not None:
        out.clustering = gate.summary()
    if stop.is_set():
        out.budget_stopped = True
        return out
    try:
        root = await merger.finish(index)
    except BudgetExceeded as exc:
        merge_failures.append(CallFailure(task="merge", error=exc.message, kind="BudgetExceeded"))
        out.budget_stopped = True
        return out
    finally:
        # Merge nodes finish in whatever order their calls return; list them by node.
        out.failures.extend(sorted(merge_failures, key=lambda f: f.task))
    # Members that were not analysed back their representatives' rules; the consensus check below
    # then counts them as it would have counted their own (identical) lessons.
    lessons = gate.carry_support(root.lessons) if gate is not None else root.lessons
    # With support counted across traces, a one-trace rule that contradicts the consensus is caught too.
    out.lessons, late = poisoned_lessons(lessons, {})
    out.quarantined.extend(late)
    out.conflicts = root.conflicts
    out.merge_levels = root.levels
    out.merges = root.merges
    return out

