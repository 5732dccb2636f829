"""The Claude Code reader on real session logs (tests/data/samples/claude_code_jsonl, see SOURCES.md)."""

from __future__ import annotations

import copy
import json
import time
import tracemalloc
from pathlib import Path
from typing import Any

import pytest

from skillforge.ingest import inspect_paths, read_file
from skillforge.ingest.base import STEP_TEXT_LIMIT, ReadOptions
from skillforge.ingest.detect import detect
from skillforge.ingest.formats import claude_code
from skillforge.ingest.probe import probe
from skillforge.models import Skipped, Trace

SAMPLES = Path(__file__).parents[1] / "data" / "samples"
PROJECTS = SAMPLES / "claude_code_jsonl" / "projects"
REWOUND = PROJECTS / "-experiments-ideas" / "03eb5929-52b3-4b13-ada3-b93ae35806b8.jsonl"
SNAPSHOTS_ONLY = PROJECTS / "-experiments-ideas" / "a95fea4a-b88a-4e49-ac07-4cc323d8700c.jsonl"
ERRORS = PROJECTS / "-src-experiments-claude_p" / "2b4ed4c0-b905-41de-9238-273db3ec737a.jsonl"
PARALLEL = PROJECTS / "-tmp-private" / "4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl"
AGENT = PROJECTS / "-tmp-private" / "agent-36541525.jsonl"


def read(path: Path) -> tuple[list[Trace], list[Skipped]]:
    """Run the reader itself (detection is tested separately, once every reader module exists)."""
    items = list(claude_code.READERS[0].read(path, probe(path), ReadOptions()))
    return [i for i in items if isinstance(i, Trace)], [i for i in items if isinstance(i, Skipped)]


def records(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def write_jsonl(path: Path, recs: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in recs), encoding="utf-8")
    return path



# Expected numbers, derived from the raw files with jq, independently of the reader:
#   calls  = distinct tool_use ids:
#            jq -r 'select(.type=="assistant")|.message.content[]?|select(.type=="tool_use")|.id'
#   errors = tool_result blocks with "is_error": true
#   steps  = user string prompts (not isMeta) + tool_use blocks + tool_result blocks
#            + API messages (grouped by message.id) whose last non-thinking block is non-empty text
# 03eb5929 was rewound: lines 18-35 are an abandoned branch (3 prompts + 3 answers = 6 steps), so the
# main chain has 9+2+2+7 - 6 = 14 steps. a95fea4a holds only file-history-snapshot records: no trace.
CASES = [
    (
        "-experiments-ideas/03eb5929-52b3-4b13-ada3-b93ae35806b8.jsonl",
        14,
        2,
        0,
        ("Ok, so there's isn't much to see here, mostly one idea about how to organize the work Markdown "
        "documents generated during a Claude Code session."),
    ),
    (
        "-src-experiments-claude_p/256ba646-2c15-437a-98e9-4171aafd030e.jsonl",
        8,
        3,
        0,
        ("Search if claude -p can make use of WebSearch and Task tool. Especially the Task with Haiku model. "
        "Summarize the findings."),
    ),
    (
        "-src-experiments-claude_p/2b4ed4c0-b905-41de-9238-273db3ec737a.jsonl",
        20,
        9,
        6,
        ("Search if claude -p can make use of WebSearch and Task tool. Especially the Task with Haiku model. "
        "Summarize the findings."),
    ),
    (
        "-src-experiments-claude_p/94604a7b-062f-4369-bdf0-da948381c3e5.jsonl",
        2,
        0,
        0,
        "What are the tools that are available to you (allowed or not)?",
    ),
    ("-tmp-private/4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl", 18, 6, 0, "create hello.py, md and js"),
    ("-tmp-private/agent-36541525.jsonl", 2, 0, 0, "Warmup"),
    ("-tmp-private/agent-50243ee8.jsonl", 2, 0, 0, "Warmup"),
]


@pytest.mark.parametrize(
    ("name", "steps", "calls", "errors", "task"), CASES, ids=[c[0].split("/")[1][:8] for c in CASES]
)
def test_real_sessions_exact_counts(name: str, steps: int, calls: int, errors: int, task: str) -> None:
    path = PROJECTS / name
    traces, skipped = read(path)
    assert skipped == []
    assert len(traces) == 1
    trace = traces[0]
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (steps, calls, errors)
    assert trace.task == task
    assert trace.id == Trace.make_id(str(path), 0)
    assert trace.source.format == "claude-code"
    assert trace.outcome.success is None  # Claude Code logs no outcome


def test_snapshot_only_file_has_no_trace() -> None:
    assert read(SNAPSHOTS_ONLY) == ([], [])


def test_rewound_session_follows_the_main_chain() -> None:
    (trace,), _ = read(REWOUND)
    prompts = [s.text for s in trace.steps if s.role == "user"]
    assert prompts[1].startswith("I actually don't like much this idea")  # the branch the user kept (line 38)
    assert not any(
        p.startswith("I very much like this idea") for p in prompts
    )  # the rewound branch (line 18)
    assert prompts[-1] == "/exit"  # slash command rendered readably, not as <command-name> markup
    assert trace.steps[-1].role == "system" and trace.steps[-1].text == "See ya!"
    assert not any("local-command-caveat" in s.text for s in trace.steps)  # isMeta caveat dropped
    assert not any(
        "The user is talking about the current directory" in s.text for s in trace.steps
    )  # thinking
    # Usage is summed once per API message on the main chain, from its last line (jq group_by(.message.id)):
    # YohPo25U 12 + KotNcLfH 25 + ARsjYcpf 1 + ME4X7w8K 9 + zqtQj2qJ 12 + 5gmuojYA 1 output tokens;
    # the abandoned branch's nvCXfoQx, eRW4W25K, P8Xxhnrm are not counted.
    assert trace.metadata["usage"]["output_tokens"] == 60
    assert trace.metadata["usage"]["input_tokens"] == 3 + 1 + 1 + 3 + 3 + 3
    assert trace.metadata["model"] == "claude-opus-4-6"
    assert trace.metadata["session_id"] == "03eb5929-52b3-4b13-ada3-b93ae35806b8"
    assert trace.metadata["cli_version"] == "2.1.42"
    assert trace.metadata["started_at"] == "2026-02-16T18:46:55.028Z"


def test_split_message_text_rides_on_first_tool_call_and_results_pair_by_id() -> None:
    (trace,), _ = read(PARALLEL)
    first_call = trace.steps[1]
    assert first_call.text == "I'll create three simple files: hello.py, hello.md, and hello.js."
    assert first_call.tool_call is not None and first_call.tool_call.name == "Write"
    assert first_call.tool_call.arguments["file_path"] == "/tmp/private/hello.py"
    call_ids = [s.tool_call.id for s in trace.steps if s.tool_call]
    result_ids = [s.tool_result.call_id for s in trace.steps if s.tool_result]
    assert call_ids == result_ids and len(set(call_ids)) == 6
    assert [s.tool_call.name for s in trace.steps if s.tool_call] == [
        "Write",
        "Write",
        "Write",
        "Read",
        "Edit",
        "Bash",
    ]


def test_is_error_comes_from_the_flag() -> None:
    (trace,), _ = read(ERRORS)
    failed = [s.tool_result.output for s in trace.steps if s.tool_result and s.tool_result.is_error]
    assert failed[0] == "Claude requested permissions to use WebSearch, but you haven't granted it yet."
    assert sum("requires approval" in text for text in failed) == 3
    # "No files found" (Glob) has no is_error key: a success, not a guess from the text.
    glob = next(s for s in trace.steps if s.tool_result and s.tool_result.output == "No files found")
    assert glob.tool_result is not None and glob.tool_result.is_error is False


def test_parallel_tool_results_on_side_branches_are_kept(tmp_path: Path) -> None:
    # Real records of 4c2ddfdc re-linked the way parallel calls are logged (anthropics/claude-code#37779):
    # each tool_result hangs off the line of its own tool_use, so only the last one is on the chain.
    recs = records(PARALLEL)
    by_line = {i + 1: r for i, r in enumerate(recs)}
    by_line[8]["parentUuid"] = by_line[4]["uuid"]
    by_line[10]["parentUuid"] = by_line[5]["uuid"]
    by_line[12]["parentUuid"] = by_line[6]["uuid"]
    (trace,), _ = read(write_jsonl(tmp_path / "parallel.jsonl", recs))
    assert (len(trace.steps), trace.tool_calls) == (18, 6)
    assert sum(1 for s in trace.steps if s.tool_result) == 6


def test_compaction_boundary_keeps_history(tmp_path: Path) -> None:
    recs = records(PARALLEL)
    prompt = recs[14]  # line 15: "update py with one liner comment"
    boundary = {
        **{k: prompt[k] for k in ("sessionId", "cwd", "version", "gitBranch", "timestamp")},
        "type": "system",
        "subtype": "compact_boundary",
        "content": "Conversation compacted",
        "parentUuid": None,
        "logicalParentUuid": prompt["parentUuid"],
        "uuid": "boundary-1",
        "isSidechain": False,
    }
    prompt["parentUuid"] = "boundary-1"
    (trace,), _ = read(write_jsonl(tmp_path / "compacted.jsonl", [*recs[:14], boundary, *recs[14:]]))
    assert (len(trace.steps), trace.tool_calls) == (19, 6)
    assert any(s.role == "system" and s.text == "Conversation compacted" for s in trace.steps)


def test_inline_sidechain_is_its_own_trace_and_duplicates_count_once(tmp_path: Path) -> None:
    recs = records(PARALLEL) + records(AGENT) + [copy.deepcopy(records(PARALLEL)[3])]  # line 4 logged twice
    traces, _ = read(write_jsonl(tmp_path / "session.jsonl", recs))
    assert [(t.source.index, t.task, t.tool_calls) for t in traces] == [
        (0, "create hello.py, md and js", 6),
        (1, "Warmup", 0),
    ]
    assert traces[1].metadata["sidechain"] is True and traces[1].metadata["agent_id"] == "36541525"


def test_subagent_sidecar_metadata(tmp_path: Path) -> None:
    folder = tmp_path / "session" / "subagents"
    folder.mkdir(parents=True)
    agent = folder / "agent-a1b2c3.jsonl"
    agent.write_bytes(AGENT.read_bytes())
    sidecar = folder / "agent-a1b2c3.meta.json"
    sidecar.write_text(json.dumps({"agentType": "general-purpose", "description": "Explore the repo"}))
    (trace,), _ = read(agent)
    assert trace.metadata["agent_type"] == "general-purpose"
    assert trace.metadata["agent_description"] == "Explore the repo"
    assert claude_code.sniff(probe(sidecar)) >= 0.9  # claimed, so it is not reported as an unknown file
    traces, skipped = read(sidecar)
    assert traces == [] and [s.reason for s in skipped] == ["subagent metadata; read with agent-a1b2c3.jsonl"]


def test_task_skips_injected_ide_context_and_images(tmp_path: Path) -> None:
    recs = records(PARALLEL)
    recs[1]["message"]["content"] = [  # line 2, the first prompt, as the VS Code extension sends it
        {
            "type": "text",
            "text": "<ide_opened_file>The user opened the file /tmp/private/a.py in the IDE. "
            "This may or may not be related to the current task.</ide_opened_file>",
        },
        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
        {"type": "text", "text": "create hello.py, md and js like in the screenshot"},
    ]
    (trace,), _ = read(write_jsonl(tmp_path / "ide.jsonl", recs))
    assert trace.task == "create hello.py, md and js like in the screenshot"
    assert "[image]" in trace.steps[0].text and "iVBORw0KGgo" not in trace.steps[0].text


def test_api_error_at_the_end_is_the_outcome(tmp_path: Path) -> None:
    recs = records(PARALLEL)
    last = copy.deepcopy(recs[-1])
    last.update(uuid="api-error-1", parentUuid=recs[-1]["uuid"], isApiErrorMessage=True)
    last["message"] = {
        **last["message"],
        "id": "msg_error",
        "model": "<synthetic>",
        "content": [{"type": "text", "text": "API Error: 529 Overloaded"}],
    }
    (trace,), _ = read(write_jsonl(tmp_path / "error.jsonl", [*recs, last]))
    assert trace.outcome.error == "API Error: 529 Overloaded"
    assert trace.metadata["model"] == "claude-sonnet-4-5-20250929"  # <synthetic> is not a model


def test_assistant_message_with_string_content(tmp_path: Path) -> None:
    # The Messages API allows "content": "text"; such a line used to cost the whole file.
    recs = records(PARALLEL)
    line = next(r for r in recs if r["type"] == "assistant" and r["message"]["content"][0]["type"] == "text")
    line["message"]["content"] = line["message"]["content"][0]["text"]
    traces, skipped = read(write_jsonl(tmp_path / "string.jsonl", recs))
    assert skipped == [] and len(traces) == 1
    assert (len(traces[0].steps), traces[0].tool_calls) == (18, 6)
    assert traces[0].steps[1].text == "I'll create three simple files: hello.py, hello.md, and hello.js."


def test_bad_lines_are_skipped_with_their_line_number(tmp_path: Path) -> None:
    lines = PARALLEL.read_bytes().splitlines(keepends=True)
    lines[9] = b'{"parentUuid": oops, "type": "user"}\n'  # line 10: invalid JSON mid-file
    lines[17] = b"\xff\xfe not utf-8\n"  # line 18
    damaged = tmp_path / "damaged.jsonl"
    # line 26: the last record again, cut before its closing brace as a crash mid-write leaves it
    damaged.write_bytes(b"".join(lines) + lines[-1].rstrip()[:-1])
    traces, skipped = read(damaged)
    assert [(s.line, s.reason.split(" (")[0]) for s in skipped] == [
        (10, "invalid JSON"),
        (18, "invalid UTF-8 at byte 0"),
        (26, "truncated JSON"),
    ]
    assert len(traces) == 1 and traces[0].tool_calls == 5  # line 18 (the Edit call) is lost, the rest is read
    assert traces[0].task == "create hello.py, md and js"


def _repeated_session(path: Path, target_lines: int) -> tuple[int, int]:
    """A long session made of 2b4ed4c0's conversation repeated, with ids renamed so nothing dedupes."""
    body = records(ERRORS)[2:]  # skip queue-operation and the SessionStart progress record
    text = "\n".join(json.dumps(r) for r in body)
    reps = target_lines // len(body) + 1
    previous = None
    with path.open("w", encoding="utf-8") as fh:
        for k in range(reps):
            chunk = text
            for r in body:
                for key in ("uuid",):
                    chunk = chunk.replace(r[key], f"{r[key]}-{k}")
                message = r.get("message") or {}
                if message.get("id"):
                    chunk = chunk.replace(message["id"], f"{message['id']}-{k}")
                for block in message.get("content") if isinstance(message.get("content"), list) else []:
                    if block.get("type") == "tool_use":
                        chunk = chunk.replace(block["id"], f"{block['id']}-{k}")
            recs = [json.loads(line) for line in chunk.split("\n")]
            recs[0]["parentUuid"] = previous
            previous = recs[-1]["uuid"]
            fh.write("".join(json.dumps(r) + "\n" for r in recs))
    return reps, reps * len(body)


def _peak_while_reading(path: Path) -> tuple[list[Trace], list[Skipped], int, float]:
    tracemalloc.start()
    started = time.perf_counter()
    try:
        traces, skipped = read(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return traces, skipped, peak, time.perf_counter() - started


@pytest.mark.slow
def test_20k_line_session_streams(tmp_path: Path) -> None:
    big = tmp_path / "big.jsonl"
    reps, lines = _repeated_session(big, 20_000)
    size = big.stat().st_size  # ~34 MiB
    (trace,), skipped, peak, elapsed = _peak_while_reading(big)
    assert lines >= 20_000 and skipped == []
    assert (len(trace.steps), trace.tool_calls, trace.errors) == (20 * reps, 9 * reps, 6 * reps)
    # Parsing every line into memory first takes ~2.7x the file size (93 MiB measured for this file);
    # the reader keeps compacted records only (no toolUseResult copies, no thinking) and frees each
    # one as it becomes a step: 0.9x measured, most of which is the finished trace itself.
    assert peak < size * 1.2, f"peak {peak >> 20} MiB for a {size >> 20} MiB file"
    assert elapsed < 60


@pytest.mark.slow
def test_huge_tool_outputs_are_clipped_while_streaming(tmp_path: Path) -> None:
    # 2b4ed4c0's prompt, then its real Bash call + result 30 times with the output (content and the
    # toolUseResult copy) blown up to 1 MiB each: a 60 MiB file whose trace is small.
    recs = records(ERRORS)
    prompt, call, result = recs[2], recs[6], recs[7]
    output = (result["message"]["content"][0]["content"] * 400)[: 1 << 20]
    previous = prompt["uuid"]
    big = tmp_path / "huge.jsonl"
    with big.open("w", encoding="utf-8") as fh:
        fh.write(json.dumps(prompt) + "\n")
        for k in range(30):
            c, r = copy.deepcopy(call), copy.deepcopy(result)
            tool_id = f"toolu_{k}"
            c.update(uuid=f"call-{k}", parentUuid=previous)
            c["message"]["id"] = f"msg_{k}"
            c["message"]["content"][0]["id"] = tool_id
            r.update(uuid=f"result-{k}", parentUuid=f"call-{k}")
            r["message"]["content"][0].update(tool_use_id=tool_id, content=output)
            r["toolUseResult"]["stdout"] = output
            previous = f"result-{k}"
            fh.write(json.dumps(c) + "\n" + json.dumps(r) + "\n")
    assert big.stat().st_size > 60 << 20
    (trace,), skipped, peak, _ = _peak_while_reading(big)
    assert skipped == [] and (trace.tool_calls, len(trace.steps)) == (30, 61)
    outputs = [s.tool_result.output for s in trace.steps if s.tool_result]
    assert all(len(o) < STEP_TEXT_LIMIT + 100 and "characters cut" in o for o in outputs)
    assert peak < 24 << 20, f"peak {peak >> 20} MiB while reading a {big.stat().st_size >> 20} MiB file"


# --------------------------------------------------------------------------- end to end


@pytest.mark.parametrize("path", sorted(PROJECTS.rglob("*.jsonl")), ids=lambda p: p.name[:12])
def test_detect_picks_claude_code(path: Path) -> None:
    reader, _, reason = detect(path)
    assert reader is not None and reader.name == "claude-code", reason


def test_detect_does_not_claim_other_formats() -> None:
    others = [
        p
        for p in sorted(SAMPLES.rglob("*")) + sorted((SAMPLES.parent / "fixtures").rglob("*"))
        if p.is_file() and p.name != "SOURCES.md" and "claude_code_jsonl" not in p.parts
    ]
    claimed = [str(p) for p in others if (r := detect(p)[0]) is not None and r.name == "claude-code"]
    assert claimed == []


def test_empty_session_file_is_reported_not_crashed(tmp_path: Path) -> None:
    empty = tmp_path / "0e0e0e0e.jsonl"
    empty.write_bytes(b"")
    assert [str(s) for s in read_file(empty)] == [f"{empty}: empty file"]


def test_inspect_project_folder() -> None:
    reports = {Path(r.path).name[:8]: r for r in inspect_paths([PROJECTS])}
    assert {r.format for r in reports.values()} == {"claude-code"}
    assert (
        reports["2b4ed4c0"].traces,
        reports["2b4ed4c0"].steps,
        reports["2b4ed4c0"].tool_calls,
        reports["2b4ed4c0"].errors,
    ) == (1, 20, 9, 6)
    assert reports["a95fea4a"].traces == 0
    assert sum(r.tool_calls for r in reports.values()) == 2 + 3 + 9 + 6
