"""Hostile JSON shapes cost one file (or one line), never the run: values nested past ``MAX_DEPTH`` are
refused before they are built, and one huge string is parsed in linear time."""

from __future__ import annotations

import io
import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

import ijson
import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.ingest import MAX_DEPTH, inspect_paths, read_paths
from skillforge.ingest.limits import DepthScanner, JSONStream, JSONTooDeep, check_depth, loads
from skillforge.models import Skipped, Trace

DATA = Path(__file__).parent.parent / "data" / "samples"
RUNBOOK = DATA / "documents" / "runbook_KubeNodeNotReady.md"
TICKET = {"ticket_id": "T-1", "title": "Disk full", "question": "Builds fail with ENOSPC", "status": "closed",
          "answer": "Pruned docker images"}


def _nested(depth: int, leaf: Any = "x") -> Any:
    for _ in range(depth):
        leaf = {"a": leaf}
    return leaf


def _chat(arguments: Any) -> dict[str, Any]:
    call = {"id": "1", "type": "function", "function": {"name": "bash", "arguments": arguments}}
    return {"messages": [{"role": "user", "content": "fix the failing build"},
                         {"role": "assistant", "content": "checking", "tool_calls": [call]},
                         {"role": "tool", "tool_call_id": "1", "content": "ok"}]}


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _random_value(rng: random.Random, level: int = 0) -> Any:
    roll = rng.random()
    if level > 10 or roll < 0.3:  # strings full of brackets, quotes and backslashes: content, not structure
        return rng.choice(['a[{"\\', "]]]}", "x\\\\", '\\"[[', 1, None, "{[", "", "\\", '""', '["]'])
    if roll < 0.65:
        return [_random_value(rng, level + 1) for _ in range(rng.randint(0, 3))]
    return {rng.choice(["k[", '\\"{', ""]) + str(i): _random_value(rng, level + 1) for i in range(rng.randint(0, 3))}


def test_depth_scanner_agrees_with_the_parser_however_the_text_is_cut() -> None:
    rng = random.Random(7)
    for _ in range(1500):
        value = _random_value(rng)
        text = json.dumps(value, indent=rng.choice([None, 1])).encode()
        depth = _depth(value)
        cuts = sorted(rng.sample(range(len(text) + 1), min(len(text) + 1, rng.randint(0, 10))))
        pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)])]
        for limit in (depth - 1, depth):
            if limit < 0:
                continue
            scanner = DepthScanner(limit)
            fed = 0
            try:
                for piece in pieces:
                    scanner.feed(piece)
                    fed += len(piece)
            except JSONTooDeep as exc:
                assert limit < depth, (text, pieces)
                at = fed + exc.offset  # the bracket one level too deep, so the text before it can be parsed
                assert text[at : at + 1] in (b"[", b"{"), (text, pieces, at)
                DepthScanner(limit).feed(text[:at])
                with pytest.raises(JSONTooDeep):
                    DepthScanner(limit).feed(text[: at + 1])
                continue
            assert limit >= depth, (text, pieces)
            assert (scanner.depth, scanner.in_string) == (0, False)


def test_loads_refuses_past_max_depth_and_keeps_brackets_in_strings() -> None:
    assert loads(json.dumps(_nested(MAX_DEPTH))) == _nested(MAX_DEPTH)
    with pytest.raises(JSONTooDeep, match=f"JSON nested deeper than {MAX_DEPTH} levels"):
        loads(json.dumps(_nested(MAX_DEPTH + 1)))
    with pytest.raises(ValueError):  # callers that read "not JSON" as plain text keep doing so
        loads("[" * 100_000 + "]" * 100_000)
    brackets = json.dumps({"log": "[" * 5000 + '\\"{' * 500})
    check_depth(brackets)


def test_a_deep_file_is_skipped_by_name_and_the_other_files_are_distilled(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    shutil.copy(RUNBOOK, inputs / "good.md")
    (inputs / "deep.json").write_text(json.dumps(_chat({"cmd": "ls", "deep": _nested(400)})))
    code, output = _run("distill", "--no-publish", "-o", str(tmp_path / "out"), str(inputs))
    assert code == 0, output
    # The messages before the deep one are kept, as for a document cut short; the file is named.
    assert f"skipped {inputs / 'deep.json'}: JSON nested deeper than {MAX_DEPTH} levels, stopped reading" in output
    assert "1 skipped." in output
    assert list((tmp_path / "out").glob("*/SKILL.md"))


def test_a_100k_deep_array_is_one_line_in_inspect(tmp_path: Path) -> None:
    path = tmp_path / "array.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    start = time.perf_counter()
    code, output = _run("inspect", str(path))
    assert time.perf_counter() - start < 5
    assert code == 1
    assert f"skipped {path}: JSON nested deeper than {MAX_DEPTH} levels, not read" in output
    assert output.count("skipped ") == 1


def test_a_deep_jsonl_line_costs_only_that_line(tmp_path: Path) -> None:
    path = tmp_path / "tickets.jsonl"
    records = [TICKET, {**TICKET, "ticket_id": "T-2", "meta": _nested(400)}, {**TICKET, "ticket_id": "T-3"}]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    (report,) = inspect_paths([path])
    assert (report.format, report.traces) == ("tickets-json", 2)
    assert [(s.line, s.reason) for s in report.skipped] == [(2, f"JSON nested deeper than {MAX_DEPTH} levels, skipped")]


def test_deep_json_inside_a_string_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(_chat(json.dumps({"cmd": "ls", "deep": _nested(400)}))))
    (trace,) = [t for t in read_paths([path]) if isinstance(t, Trace)]
    arguments = trace.steps[1].tool_call.arguments  # type: ignore[union-attr]
    assert isinstance(arguments, str) and arguments.startswith('{"cmd": "ls"')


def test_a_deep_record_in_a_json_array_keeps_the_records_before_it(tmp_path: Path) -> None:
    path = tmp_path / "tickets.json"
    path.write_text(json.dumps([TICKET, {**TICKET, "ticket_id": "T-2", "meta": _nested(400)}]))
    got = list(read_paths([path]))
    assert [t.source.format for t in got if isinstance(t, Trace)] == ["tickets-json"]
    assert [s.reason for s in got if isinstance(s, Skipped)] == [
        f"JSON nested deeper than {MAX_DEPTH} levels after record 1; the rest not read"
    ]


class _CountingFile(io.BytesIO):
    reads = 0

    def read(self, n: int | None = -1) -> bytes:  # type: ignore[override]
        self.reads += 1
        return super().read(n)


def test_one_huge_string_takes_few_reads() -> None:
    # ijson re-scans an open string on every read, so reads per string must grow geometrically:
    # 64 MiB in 64 KiB reads would be 1024 re-scans of up to 64 MiB each (minutes).
    text = b'{"output": "' + b"x" * (64 << 20) + b'", "after": [1, {"b": 2}]}'
    fh = _CountingFile(text)
    events = list(ijson.parse(JSONStream(fh)))
    assert len(events[2][2]) == 64 << 20
    assert events[-2:] == [("", "end_map", None)] or events[-1] == ("", "end_map", None)
    assert fh.reads < 20


def test_many_records_keep_small_reads() -> None:
    # Memory stays bounded by the longest string, not the file: reads do not grow across records.
    records = [{"content": "E" * 200_000} for _ in range(100)]
    fh = _CountingFile(json.dumps(records).encode())
    assert sum(1 for _ in ijson.items(JSONStream(fh), "item")) == 100
    assert fh.reads > 100


def test_a_20_mb_string_is_read_in_seconds(tmp_path: Path) -> None:
    path = tmp_path / "chat.json"
    path.write_text(json.dumps(_chat({"cmd": "cat big.log"}) | {"note": "y" * (20 << 20)}))
    start = time.perf_counter()
    (report,) = inspect_paths([path])
    elapsed = time.perf_counter() - start
    assert (report.format, report.traces) == ("openai-chat", 1)
    assert elapsed < 3, f"{elapsed:.1f} s"  # was ~6 s before reads grew, and 4x per doubling of size
