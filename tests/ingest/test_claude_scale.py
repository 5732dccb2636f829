"""The Claude Code reader at scale: inspect counts without building traces, the compact record form
builds the same steps as the generic Anthropic assembler, the text budget, and bounded memory.

Every file here is a real session from tests/data/samples/claude_code_jsonl, as written or altered
the way real logs differ (rewinds, resumed duplicates, sidechains, damaged lines, odd blocks).
"""

from __future__ import annotations

import copy
import gc
import importlib.util
import json
import random
import re
import tracemalloc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from skillforge.ingest import inspect_paths, read_file
from skillforge.ingest.base import ReadOptions, gc_paused
from skillforge.ingest.formats import _claude_steps, claude_code
from skillforge.ingest.formats._claude_steps import DOC, IMAGE, RESULT, TEXT, USE, Assembler
from skillforge.ingest.formats.anthropic import StepAssembler
from skillforge.ingest.probe import probe
from skillforge.models import Skipped, Step, Trace

ROOT = Path(__file__).parents[2]
PROJECTS = ROOT / "tests" / "data" / "samples" / "claude_code_jsonl" / "projects"
SAMPLES = sorted(PROJECTS.rglob("*.jsonl"))
ERRORS = PROJECTS / "-src-experiments-claude_p" / "2b4ed4c0-b905-41de-9238-273db3ec737a.jsonl"
_CUT = re.compile(r"\[\.\.\. \d+ characters cut \.\.\.\]")


def _records(path: Path) -> list[Any]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


_ODD_BLOCKS: list[Any] = [
    {"type": "text", "text": "   "},
    {"type": "thinking", "thinking": "hmm", "signature": "x"},
    {"type": "image", "source": {"type": "base64", "data": "AAAA"}},
    {"type": "document", "source": {}},
    {"type": "server_tool_use", "id": "srvtoolu_1", "name": "web_search", "input": {"query": "q"}},
    {"type": "web_search_tool_result", "tool_use_id": "srvtoolu_1", "content": [{"type": "text", "text": "Error: x"}]},
    {"type": "tool_result", "tool_use_id": "toolu_x", "content": "Traceback (most recent call last)\n boom"},
    {"type": "tool_use", "id": None, "name": "Bash", "input": "ls -la"},
    {"type": "tool_use", "name": None, "input": {"command": "x" * 9000}},
    {"type": "tool_result", "tool_use_id": "toolu_y", "content": "Exit code 2\nfail", "is_error": True},
    {"type": "text", "text": "<command-name>/clear</command-name><command-args>all</command-args>"},
    {"type": "text", "text": "a prompt " + "y" * 9000},
    "a bare string",
    {"type": "weird"},
]
_USER_TEXTS = [
    "<command-name>/model</command-name>\n<command-args>opus</command-args>",
    "<local-command-stdout>done</local-command-stdout>",
    "<bash-input>ls</bash-input>",
    "   ",
    "do the thing",
    "z" * 20000,
]


def _variant(seed: int, path: Path) -> None:
    """Real records of 1-4 sample sessions, re-linked, duplicated, dropped and damaged at random."""
    rng = random.Random(seed)
    recs = [r for p in rng.sample(SAMPLES, rng.randint(1, 4)) for r in _records(p)]
    uuids = [r["uuid"] for r in recs if isinstance(r.get("uuid"), str)]
    lines: list[str] = []
    for rec in copy.deepcopy(recs):
        roll = rng.random()
        if roll < 0.03:
            continue
        if roll < 0.07 and uuids:
            rec["parentUuid"] = rng.choice(uuids)  # a rewind: a sibling branch
        elif roll < 0.08:
            rec["parentUuid"] = None
        if rng.random() < 0.03:
            rec["isSidechain"], rec["agentId"] = not rec.get("isSidechain", False), rng.choice(["a1", "a2", None])
        if rng.random() < 0.02 and uuids:
            rec["logicalParentUuid"], rec["parentUuid"] = rng.choice(uuids), None  # a compaction
        message = rec.get("message")
        if isinstance(message, dict) and rng.random() < 0.25:
            if isinstance(message.get("content"), list):
                message["content"].insert(0, copy.deepcopy(rng.choice(_ODD_BLOCKS)))
            elif rec.get("type") == "user":
                message["content"] = rng.choice(_USER_TEXTS)
        for flag in ("isMeta", "isCompactSummary", "isApiErrorMessage"):
            if rng.random() < 0.02:
                rec[flag] = True
        lines.append(json.dumps(rec))
        if rng.random() < 0.03:
            lines.append(json.dumps(rec))  # logged twice (resume)
        if rng.random() < 0.01:
            lines.append(rng.choice(['{"type": "user", oops', "[1, 2]", '"text"']))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("variants")
    variants = [folder / f"variant-{seed:02d}.jsonl" for seed in range(40)]
    for seed, path in enumerate(variants):
        _variant(seed, path)
    return SAMPLES + variants


def _read(path: Path, options: ReadOptions | None = None) -> list[Trace | Skipped]:
    return list(claude_code.READERS[0].read(path, probe(path), options or ReadOptions()))


def test_variants_hold_what_the_rules_are_about(sessions: list[Path]) -> None:
    # Without branches, sidechains, duplicates and damage, the equivalence tests below would prove little.
    items = [item for path in sessions for item in _read(path)]
    traces = [t for t in items if isinstance(t, Trace)]
    assert sum(isinstance(i, Skipped) for i in items) >= 5
    assert sum(t.source.index > 0 for t in traces) >= 10  # inline sidechains
    assert sum(t.errors for t in traces) >= 50 and sum(t.tool_calls for t in traces) >= 200
    assert any(t.outcome.error for t in traces)


def test_inspect_counts_what_read_yields(sessions: list[Path]) -> None:
    for path in sessions:
        items = list(read_file(path))
        traces = [t for t in items if isinstance(t, Trace)]
        (report,) = inspect_paths([path])
        assert (report.format, report.traces, report.steps, report.tool_calls, report.errors) == (
            "claude-code",
            len(traces),
            sum(len(t.steps) for t in traces),
            sum(t.tool_calls for t in traces),
            sum(t.errors for t in traces),
        ), path.name
        assert [(s.line, s.reason) for s in report.skipped] == [
            (s.line, s.reason) for s in items if isinstance(s, Skipped)
        ], path.name


def _as_blocks(content: Any) -> Any:
    """The compact tuples as the Messages API blocks they were made from (for the generic assembler)."""
    if isinstance(content, str):
        return content
    blocks: list[dict[str, Any]] = []
    for block in content:
        tag = block[0]
        if tag == TEXT:
            blocks.append({"type": "text", "text": block[1]})
        elif tag in (IMAGE, DOC):
            blocks.append({"type": "image" if tag == IMAGE else "document"})
        elif tag == USE:
            blocks.append({"type": "tool_use", "id": block[1], "name": block[2], "input": block[3]})
        elif tag == RESULT:
            blocks.append({"type": "tool_result", "tool_use_id": block[1], "content": block[2], "is_error": block[3]})
    return blocks


def _generic_steps(kept: list[Any]) -> list[Step]:
    """What the reader built before it had its own assembler: anthropic.StepAssembler over the chain."""
    assembler = StepAssembler()
    message_id = None
    for node in kept:
        if node.type == "assistant" and node.content:
            if node.msg_id != message_id or node.msg_id is None:
                assembler.flush()
                message_id = node.msg_id
            assembler.add("assistant", _as_blocks(node.content), node.timestamp)
        elif node.content and node.type in ("user", "system"):
            message_id = None
            assembler.add(node.role, _as_blocks(node.content), node.timestamp, is_error=False)
    assembler.flush()
    return assembler.steps


def _dump(steps: list[Step]) -> list[Any]:
    # Pieces longer than the step limit are clipped once more by whichever assembler builds the step,
    # which changes only the number in the cut marker.
    return [json.loads(_CUT.sub("[cut]", s.model_dump_json())) for s in steps]


def _chains(path: Path) -> Iterator[list[Any]]:
    parse = claude_code._parse(path, ReadOptions(), counting=False)
    while True:
        try:
            next(parse)
        except StopIteration as done:
            yield from claude_code._chains(done.value)
            return


def test_compact_records_build_the_steps_the_generic_assembler_builds(sessions: list[Path]) -> None:
    compared = 0
    for path in sessions:
        for kept in _chains(path):
            want = _dump(_generic_steps(kept))
            assembler = Assembler()
            assembler.add_nodes(list(kept))
            assert _dump(assembler.steps) == want, path.name
            compared += len(want)
    assert compared > 800


def test_steps_are_valid_models(sessions: list[Path]) -> None:
    # Steps are built without re-validation; each must survive a round trip through validation
    # unchanged, and a copy must leave the original alone.
    for path in sessions[:12]:
        for trace in (t for t in _read(path) if isinstance(t, Trace)):
            assert Trace.model_validate_json(trace.model_dump_json()) == trace
            results = [s for s in trace.steps if s.tool_result is not None]
            if results:
                copied = results[0].model_copy(update={"text": "changed"})
                assert copied.text == "changed" and results[0].text == ""


def _repeated(path: Path, reps: int, source: Path = ERRORS) -> None:
    """``source``'s conversation ``reps`` times in one session, ids renamed so nothing dedupes."""
    body = [r for r in _records(source) if r.get("type") in ("user", "assistant")]
    text = "\n".join(json.dumps(r) for r in body)
    ids = sorted({m for m in re.findall(r'"((?:msg|toolu)_[A-Za-z0-9]+)"', text)} | {r["uuid"] for r in body})
    pattern = re.compile("|".join(map(re.escape, ids)))
    previous = None
    with path.open("w", encoding="utf-8") as fh:
        for k in range(reps):
            chunk = pattern.sub(lambda m: f"{m.group(0)}-{k}", text)  # noqa: B023 - used at once
            first, rest = chunk.split("\n", 1)
            head = json.loads(first)
            head["parentUuid"] = previous
            previous = json.loads(chunk.rsplit("\n", 1)[-1])["uuid"]
            fh.write(json.dumps(head) + "\n" + rest + "\n")


def test_text_budget_clips_further_texts_and_says_so(tmp_path: Path) -> None:
    session = tmp_path / "long.jsonl"
    _repeated(session, 40)
    (full,) = _read(session)
    (budgeted,) = _read(session, ReadOptions(text_budget=20_000))
    assert isinstance(full, Trace) and isinstance(budgeted, Trace)
    assert "text_budget" not in full.metadata
    clipped = budgeted.metadata["text_budget"]["records_clipped"]
    assert clipped > 10 and budgeted.metadata["text_budget"]["clip_chars"] == _claude_steps.BUDGET_CLIP
    # The same steps, calls and errors; only long texts past the budget are shorter.
    assert (len(budgeted.steps), budgeted.tool_calls, budgeted.errors) == (len(full.steps), full.tool_calls, full.errors)
    assert [s.role for s in budgeted.steps] == [s.role for s in full.steps]
    assert budgeted.steps[:3] == full.steps[:3]  # the start, read before the budget ran out
    late = [s.tool_result.output for s in budgeted.steps[-60:] if s.tool_result]
    assert all(len(out) <= _claude_steps.BUDGET_CLIP + 40 for out in late)
    assert any("characters cut" in out for out in late)


def test_gc_pause_is_scoped_to_the_reader() -> None:
    seen: list[bool] = []

    def records() -> Iterator[int]:
        for i in range(3):
            seen.append(gc.isenabled())
            yield i

    assert gc.isenabled()
    for _ in gc_paused(records()):
        assert gc.isenabled()  # the consumer's code runs as it would without the pause
    assert seen == [False, False, False] and gc.isenabled()
    stopped = gc_paused(records())
    next(stopped)
    stopped.close()  # a consumer that stops early leaves the collector as it found it
    assert gc.isenabled()
    gc.disable()
    try:
        list(gc_paused(records()))
        assert not gc.isenabled()  # and one that had it off keeps it off
    finally:
        gc.enable()


def test_a_trace_dropped_by_the_consumer_is_freed_before_the_next_is_read(tmp_path: Path) -> None:
    # The distill pipeline digests each trace and drops it; the reader must not keep it alive.
    session = tmp_path / "two.jsonl"
    session.write_text(
        "".join(json.dumps(r) + "\n" for p in (PROJECTS / "-tmp-private").glob("*.jsonl") for r in _records(p))
    )
    traces = 0
    for item in read_file(session):
        if isinstance(item, Trace):
            traces += 1
            assert _live_steps() >= len(item.steps) > 0
            del item
            gc.collect()
            assert _live_steps() == 0
    assert traces == 3  # the main conversation and two inline subagents


def _live_steps() -> int:
    return sum(1 for o in gc.get_objects() if type(o) is Step)


def _benchmark_builder() -> Any:
    spec = importlib.util.spec_from_file_location("ingest_throughput", ROOT / "benchmarks" / "ingest_throughput.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.build


def _peak(fn: Any) -> tuple[Any, int]:
    gc.collect()
    tracemalloc.start()
    try:
        value = fn()
        return value, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_64mb_session_is_inspected_and_read_in_bounded_memory(tmp_path: Path) -> None:
    session = tmp_path / "session.jsonl"
    _benchmark_builder()(session, 64)  # the throughput benchmark's session: a real one, repeated
    size = session.stat().st_size
    (report,), inspect_peak = _peak(lambda: inspect_paths([session]))
    traces, read_peak = _peak(lambda: [t for t in read_file(session) if isinstance(t, Trace)])
    (trace,) = traces
    # inspect counts exactly what read yields, without building it
    assert (report.traces, report.steps, report.tool_calls, report.errors, report.skipped) == (
        1, len(trace.steps), trace.tool_calls, trace.errors, []
    )
    # the sample's 22 conversation records make 20 steps, 9 tool calls, 6 failed (test_claude_code)
    lines = sum(1 for _ in session.open("rb"))
    reps = lines // 22
    assert lines == 22 * reps and (report.steps, report.tool_calls, report.errors) == (20 * reps, 9 * reps, 6 * reps)
    # Both used to build the trace with every record beside it: ~1.6x the file. inspect now holds the
    # tree only (measured 0.34x, ~600 bytes a record); read, past TWO_PASS_BYTES, the tree and then its
    # trace of slotted steps (0.60x; 0.84x with one pass and BaseModel steps).
    assert inspect_peak < size * 0.45, f"inspect peak {inspect_peak >> 20} MiB for {size >> 20} MiB"
    assert read_peak < size * 0.75, f"read peak {read_peak >> 20} MiB for {size >> 20} MiB"


def _dumped(items: list[Trace | Skipped]) -> list[str]:
    return [i.model_dump_json() for i in items]


@pytest.mark.parametrize("budget", [16 << 20, 3000, 200])
def test_a_large_file_read_twice_gives_the_traces_one_read_gives(
    sessions: list[Path], budget: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past ``TWO_PASS_BYTES`` the first pass keeps no text and a second builds the steps; every trace,
    skip, task, error, metadata and budget clip must come out as from the one-pass read."""
    clipped = 0
    for path in sessions:
        options = ReadOptions(text_budget=budget)
        once = _read(path, options)
        monkeypatch.setattr(claude_code, "TWO_PASS_BYTES", 0)
        twice = _read(path, options)
        monkeypatch.setattr(claude_code, "TWO_PASS_BYTES", 32 << 20)
        assert _dumped(twice) == _dumped(once), path
        clipped += sum(bool(t.metadata.get("text_budget")) for t in once if isinstance(t, Trace))
    assert (clipped > 0) == (budget < 16 << 20)  # the small budgets did clip, so the replay was tested


def test_a_session_rewritten_between_the_two_reads_is_reported_not_misread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A session still being written (or replaced) under the reader: records that changed or vanished
    before the second pass are skipped with their line, the rest still read."""
    session = tmp_path / "live.jsonl"
    lines = ERRORS.read_text(encoding="utf-8").splitlines()
    session.write_text("\n".join(lines) + "\n", encoding="utf-8")
    monkeypatch.setattr(claude_code, "TWO_PASS_BYTES", 0)
    plan = claude_code._plan

    def plan_then_rewrite(*args: Any) -> Any:
        planned = plan(*args)
        changed = [json.loads(ln) for ln in lines]
        for record in changed:
            if record.get("type") == "assistant":
                record["uuid"] = "replaced-" + record["uuid"]  # another record on the same line
                break
        kept = [json.dumps(r) for r in changed]
        session.write_text("\n".join(kept[: len(kept) * 2 // 3]) + "\n", encoding="utf-8")  # and cut short
        return planned

    monkeypatch.setattr(claude_code, "_plan", plan_then_rewrite)
    items = _read(session)
    reasons = [str(i) for i in items if isinstance(i, Skipped)]
    assert any("changed between two reads" in r for r in reasons), reasons
    assert any("gone on a second read" in r for r in reasons), reasons
    (trace,) = [i for i in items if isinstance(i, Trace)]
    assert 0 < len(trace.steps) < len([s for t in _read(ERRORS) if isinstance(t, Trace) for s in t.steps])


def test_the_second_pass_plan_holds_any_number_of_conversations() -> None:
    # A hostile file can hold more than 65,535 inline subagents; the plan's trace index must not overflow.
    wanted = claude_code._Wanted()
    wanted.add(claude_code.Node(line=3, type="user", uuid="u"), 70_000)
    assert list(wanted.builds) == [70_000] and list(wanted.lines) == [3]
