"""`skillforge distill --model` end to end: the fake model and a loopback OpenAI-compatible server.

Real sample traces in, skill folders out. Nothing here touches the network.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.distill.model.run import ModelAnalyzer, ModelOptions
from skillforge.distill.pipeline import run_distill
from skillforge.distill.report import DistillReport
from skillforge.ingest import read_paths
from skillforge.models import Source, Step, ToolCall, ToolResult, Trace
from skillforge.models.llm import LLMSettings
from skillforge.skills.provenance import read_provenance
from skillforge.skills.validate import validate_skill
from skillforge.testing.fake_model import FABRICATED_QUOTE, STATS
from skillforge.testing.server import FakeOpenAIServer

SAMPLES = Path(__file__).parent.parent / "data" / "samples"
MODEL_KEYS = {"llm_calls", "cache_hits", "failed_calls", "prompt_tokens", "completion_tokens", "cost_usd",
              "merge_levels", "wall_s"}


@pytest.fixture(autouse=True)
def _fake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLFORGE_FAKE_FAULTS", raising=False)
    monkeypatch.delenv("SKILLFORGE_FAKE_LATENCY", raising=False)
    monkeypatch.setenv("SKILLFORGE_NO_PROGRESS", "1")
    STATS.reset()


@pytest.fixture
def inputs(tmp_path: Path) -> Path:
    """Real traces of three formats (SWE-agent, mini-swe-agent with its SWE-bench reports, OpenHands)."""
    root = tmp_path / "traces"
    for sub in ("swe_agent_traj", "mini_swe_agent_traj", "openhands"):
        shutil.copytree(SAMPLES / sub, root / sub)
    return root


def count_traces(root: Path) -> int:
    return sum(isinstance(t, Trace) for t in read_paths([root]))


def distill(*args: str | Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any], str]:
    """Run the CLI in-process; return exit code, the JSON report's model section (plus ``traces``, the
    names of the ``skills`` written and what was ``skipped``; the whole estimate for ``--dry-run``) and
    the output."""
    report = Path(os.environ["SKILLFORGE_HOME"]) / f"report-{time.monotonic_ns()}.json"
    runner = CliRunner()
    result = runner.invoke(cli, ["distill", *map(str, args), "--report", str(report)], env=env, catch_exceptions=False)
    data = json.loads(report.read_text()) if report.exists() else {}
    if "model" in data and "--dry-run" not in args:
        data = {**data["model"], "traces": data["traces"], "skills": [s["name"] for s in data["skills"]],
                "skipped": data["skipped"]}
    return result.exit_code, data, result.output


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_fake_model_writes_valid_skills_with_provenance_and_a_report(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, report, output = distill(inputs, "--model", "fake", "-o", out)
    assert code == 0, output
    assert report.keys() >= MODEL_KEYS
    n = count_traces(inputs)
    assert report["traces"] == n and report["failed_calls"] == 0
    assert report["llm_calls"] > report["analyst_calls"]  # plus merge and plan calls
    assert report["analyst_calls"] == 2 * n  # one reading turn, one answer per trace
    assert report["merge_levels"] == 2 and report["cost_usd"] > 0 and report["prompt_tokens"] > 0
    skills = [out / name for name in report["skills"]]
    assert skills and all(not validate_skill(s).errors for s in skills)
    for skill in skills:
        provenance = read_provenance(skill)
        assert provenance is not None and provenance.analyzer == "skillforge-fake/fake"
        text = (skill / "SKILL.md").read_text()
        for rule in provenance.rules:
            assert rule.support == len(rule.trace_ids) >= 1
            assert f"sf:{rule.id}" in text or rule.file != "SKILL.md"
            assert all(e.quote for e in rule.evidence)
    assert "Wrote" in output


def test_rerun_makes_no_calls_and_changes_nothing(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert distill(inputs, "--model", "fake", "-o", out)[0] == 0
    before = tree(out)
    calls = STATS.calls
    code, report, _ = distill(inputs, "--model", "fake", "-o", out)
    assert code == 0
    assert report["llm_calls"] == 0 and STATS.calls == calls
    assert report["cost_usd"] == 0 and report["cache_hits"] >= 1
    assert tree(out) == before


def test_same_input_gives_the_same_skills_from_a_cold_cache(inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLFORGE_CACHE", str(tmp_path / "cache-a"))
    assert distill(inputs, "--model", "fake", "-o", tmp_path / "a")[0] == 0
    monkeypatch.setenv("SKILLFORGE_CACHE", str(tmp_path / "cache-b"))
    code, report, _ = distill(inputs, "--model", "fake", "-o", tmp_path / "b")
    assert code == 0 and report["cache_hits"] == 0  # really recomputed
    a, b = tree(tmp_path / "a"), tree(tmp_path / "b")
    assert a.keys() == b.keys() and a == b


def test_budget_stops_cleanly_with_a_partial_report_and_exit_3(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, report, output = distill(inputs, "--model", "fake", "-o", out, "--budget", "0.03", "--concurrency", "2")
    assert code == 3, output
    assert report["budget_stopped"] is True and report["cost_usd"] <= 0.03
    assert report["llm_calls"] > 0 and report["skills"] == []
    assert any(f["kind"] == "BudgetExceeded" for f in report["failures"])
    assert not out.exists() or not any(out.iterdir())
    assert "Re-run with a larger --budget" in output
    # A larger budget finishes the job; what was paid for comes from the cache.
    code, again, _ = distill(inputs, "--model", "fake", "-o", out, "--budget", "5")
    assert code == 0 and again["cache_hits"] >= report["llm_calls"] and again["skills"]


def test_malformed_answers_get_a_repair_round_then_are_reported(inputs: Path, tmp_path: Path) -> None:
    env = {"SKILLFORGE_FAKE_FAULTS": "malformed=0.5"}
    code, report, _ = distill(inputs, "--model", "fake", "-o", tmp_path / "a", env=env)
    assert code == 0 and report["failed_calls"] == 0 and report["skills"]
    assert STATS.faults["malformed"] > 0  # broken first answers, all repaired

    env = {"SKILLFORGE_FAKE_FAULTS": "malformed=1,malformed_repairs=1"}
    code, report, output = distill(inputs, "--model", "fake-notools", "-o", tmp_path / "b", env=env)
    assert code == 1
    assert report["failed_calls"] == count_traces(inputs) and report["skills"] == []
    kinds = {f["kind"] for f in report["failures"]}
    assert kinds == {"OutputParseError"}
    assert all(f["task"].startswith("analyst:") for f in report["failures"])
    assert "even after a repair round" in output


def test_fabricated_evidence_is_dropped_before_it_reaches_a_skill(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, report, _ = distill(inputs, "--model", "fake", "-o", out, env={"SKILLFORGE_FAKE_FAULTS": "fabricate=1"})
    assert code == 0
    dropped = report["dropped_lessons"]
    assert dropped and all(d["quote"] == FABRICATED_QUOTE for d in dropped)
    assert {d["title"] for d in dropped} == {"Clean the disk before retrying"}
    assert not any("Clean the disk" in p.read_text() for p in out.rglob("*.md"))


def test_dry_run_estimates_without_calling(inputs: Path, tmp_path: Path) -> None:
    code, plan, output = distill(inputs, "--model", "fake", "-o", tmp_path / "out", "--dry-run")
    assert code == 0 and STATS.calls == 0
    n = count_traces(inputs)
    assert plan["traces"] == n and plan["analyst_calls"] == 2 * n and plan["plan_calls"] == 1
    assert plan["planned_calls"] == plan["analyst_calls"] + plan["merge_calls"] + 1
    assert plan["cost_usd"] > 0 and "Nothing was sent to a model" in output
    assert not (tmp_path / "out").exists()
    code, report, _ = distill(inputs, "--model", "fake", "-o", tmp_path / "out")
    assert report["analyst_calls"] == plan["analyst_calls"] and report["merge_levels"] == plan["merge_levels"]


def test_into_deepens_one_existing_skill_without_a_plan_call(inputs: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, first, _ = distill(inputs / "swe_agent_traj", "--model", "fake", "-o", out, "--into", "agent-debugging")
    assert code == 0 and first["skills"] == ["agent-debugging"]
    rules_before = len(read_provenance(out / "agent-debugging").rules)
    code, second, _ = distill(inputs / "openhands", "--model", "fake", "-o", out, "--into", out / "agent-debugging")
    assert code == 0 and second["skills"] == ["agent-debugging"]
    assert len(read_provenance(out / "agent-debugging").rules) > rules_before
    assert not validate_skill(out / "agent-debugging").errors
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == ["agent-debugging"]


def test_loopback_http_server_with_429_and_a_concurrency_limit(
    inputs: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback-test")
    with FakeOpenAIServer(latency=0.05, rate_limit_first=3, retry_after=0.1) as server:
        code, report, output = distill(
            inputs, "--model", "openai/loopback-model", "--api-base", server.api_base, "--concurrency", "3",
            "-o", tmp_path / "out",
        )
    assert code == 0, output
    assert server.max_in_flight <= 3 and server.rate_limited == 3
    assert report["retries"] == 3 and report["failed_calls"] == 0
    assert server.requests == report["llm_calls"] + 3
    assert report["analyst_calls"] == count_traces(inputs)  # no tool calling known: one call per trace
    assert report["cost_known"] is False and report["skills"]


@pytest.mark.slow
def _children(pid: int) -> list[int]:
    """Child process ids of ``pid`` (Linux /proc; empty elsewhere)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(x) for x in task.read_text().split()]
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its new parent to reap it counts as gone)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_killed_run_resumes_without_redoing_finished_calls(inputs: Path, tmp_path: Path) -> None:
    env = {**os.environ, "SKILLFORGE_FAKE_LATENCY": "0.25", "SKILLFORGE_CACHE": str(tmp_path / "cache")}
    command = [sys.executable, "-m", "skillforge", "distill", str(inputs), "--model", "fake", "-o", str(tmp_path / "out"),
               "--concurrency", "2", "--report", str(tmp_path / "report.json")]
    cache = tmp_path / "cache" / "llm"
    proc = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(list(cache.glob("??/*.json"))) < 8:
        time.sleep(0.05)
    children = _children(proc.pid)  # the reader process the run forked
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    finished = len(list(cache.glob("??/*.json")))
    assert 8 <= finished < 30 and not (tmp_path / "report.json").exists()
    # A run killed outright leaves nothing running (its reader used to wait forever on a full queue).
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and any(_alive(pid) for pid in children):
        time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)]

    resumed = subprocess.run(command, check=False, env=env, capture_output=True, text=True)
    assert resumed.returncode == 0, resumed.stderr
    report = json.loads((tmp_path / "report.json").read_text())["model"]
    assert report["cache_hits"] == finished  # everything the killed run finished was reused
    clean_env = {**env, "SKILLFORGE_FAKE_LATENCY": "0", "SKILLFORGE_CACHE": str(tmp_path / "clean")}
    clean = subprocess.run([*command[:-1], str(tmp_path / "clean.json")], check=False, env=clean_env,
                           capture_output=True, text=True)
    assert clean.returncode == 0, clean.stderr
    planned = json.loads((tmp_path / "clean.json").read_text())["model"]["llm_calls"]
    assert report["llm_calls"] + finished == planned


def test_journal_survives_a_torn_last_line_and_knows_earlier_runs(tmp_path: Path) -> None:
    from skillforge.distill.journal import Journal
    from skillforge.models.llm import LLMRequest, LLMResponse

    path = tmp_path / "journal.jsonl"
    request = LLMRequest(task="analyst:t1", template="merge", template_hash="0" * 16, messages=[])
    first = Journal(path)
    first.record("key-1", request, LLMResponse(content="{}", prompt_tokens=10, cost_usd=0.01))
    first.record("key-2", request, LLMResponse(content="{}"))
    first.close()
    with path.open("a") as fh:
        fh.write('{"key": "key-3", "task": "anal')  # killed mid-write
    second = Journal(path)
    assert second.previous_keys == {"key-1", "key-2"}
    assert [e["task"] for e in second.entries()] == ["analyst:t1", "analyst:t1"]


def test_json_report_has_one_shape_offline_and_with_a_model(inputs: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    offline = runner.invoke(cli, ["distill", str(inputs), "-o", str(tmp_path / "a"), "--no-publish", "--json"],
                            catch_exceptions=False)
    fake = runner.invoke(cli, ["distill", str(inputs), "-o", str(tmp_path / "b"), "--no-publish", "--json",
                               "--model", "fake"], catch_exceptions=False)
    assert offline.exit_code == 0 and fake.exit_code == 0, fake.output
    plain, model = json.loads(offline.stdout), json.loads(fake.stdout)
    assert plain.keys() == model.keys()
    assert plain["model"] is None and model["model"].keys() >= MODEL_KEYS
    assert plain["analyzer"] == "heuristic" and model["analyzer"] == "skillforge-fake/fake"
    n = count_traces(inputs)
    assert plain["traces"] == model["traces"] == n and plain["traces_by_format"] == model["traces_by_format"]
    assert all({"name", "path", "rules", "errors"} <= s.keys() for s in plain["skills"] + model["skills"])


@pytest.mark.parametrize("flags", [["--per-cluster", "2"], ["--no-cluster"], ["--executor", "local"],
                                   ["--ray-address", "ray://h:10001"], ["--budget", "1"], ["--call-processes", "2"]])
def test_model_flags_are_refused_without_a_model(inputs: Path, tmp_path: Path, flags: list[str]) -> None:
    result = CliRunner().invoke(cli, ["distill", str(inputs), "-o", str(tmp_path / "out"), *flags])
    assert result.exit_code == 2 and "only with --model" in result.output and flags[0] in result.output
    assert not (tmp_path / "out").exists()


def test_per_cluster_and_no_cluster_reach_the_analysis(inputs: Path, tmp_path: Path) -> None:
    n = count_traces(inputs)
    code, clustered, _ = distill(inputs, "--model", "fake-notools", "-o", tmp_path / "a", "--per-cluster", "1",
                                 env={"SKILLFORGE_CACHE": str(tmp_path / "cache-a")})
    assert code == 0 and clustered["clustering"]["per_cluster"] == 1
    assert clustered["analyst_calls"] == clustered["clustering"]["analysed"] < n  # one call per analysed trace
    code, every, _ = distill(inputs, "--model", "fake-notools", "-o", tmp_path / "b", "--no-cluster",
                             env={"SKILLFORGE_CACHE": str(tmp_path / "cache-b")})
    assert code == 0 and every["clustering"] is None and every["analyst_calls"] == n


def test_dry_run_and_run_show_what_clustering_saves(tmp_path: Path) -> None:
    (trace,) = [t for t in read_paths([SAMPLES / "swe_agent_traj" / "swe-agent__test-repo-i1.traj"])
                if isinstance(t, Trace)]
    fleet = tmp_path / "fleet" / "runs.jsonl"
    fleet.parent.mkdir()
    fleet.write_text("".join(trace.model_copy(update={"id": f"{trace.id}-{n}", "task": f"[run {n}] {trace.task}"})
                             .model_dump_json() + "\n" for n in range(12)), encoding="utf-8")
    code, plan, output = distill(fleet.parent, "--model", "fake", "-o", tmp_path / "out", "--dry-run")
    assert code == 0 and plan["clusters"] == 1 and plan["analysed_traces"] < 12
    assert f"calls saved by clustering {plan['calls_saved']}" in " ".join(output.split())
    code, every, output = distill(fleet.parent, "--model", "fake", "-o", tmp_path / "out", "--dry-run", "--no-cluster")
    assert code == 0 and every["analysed_traces"] == 12 and "clustering" not in output
    assert every["analyst_calls"] > plan["analyst_calls"] and STATS.calls == 0
    code, report, output = distill(fleet.parent, "--model", "fake", "-o", tmp_path / "out")
    assert code == 0 and report["clustering"]["analysed"] == plan["analysed_traces"]
    assert f"Clustered 12 trace(s) into 1 behaviour(s): {plan['analysed_traces']} analysed" in output


def test_a_replayed_stage_snapshot_lists_each_skip_once(inputs: Path, tmp_path: Path) -> None:
    missing = tmp_path / "nonexistent"
    runs = [distill(inputs / "swe_agent_traj", missing, "--model", "fake", "-o", tmp_path / "out", "--no-publish")
            for _ in range(2)]
    assert [r[1]["from_snapshot"] for r in runs] == [False, True]
    for _, report, _ in runs:
        assert [s["path"] for s in report["skipped"]] == [str(missing)]


ANTHROPIC_KEY = "sk-ant-api03-AbCdEf0123456789AbCdEf0123456789AbCdEfGh"
AWS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"


def test_a_secret_a_skip_quotes_never_reaches_the_snapshot_or_the_report(inputs: Path, tmp_path: Path) -> None:
    root = inputs / "swe_agent_traj"
    # A skip quotes what it could not read: the keys of an unknown JSON object, the path of a file.
    (root / "keys.json").write_text(json.dumps({ANTHROPIC_KEY: 1, AWS_KEY_ID: 2}))
    (root / f"run-{ANTHROPIC_KEY}").mkdir()
    (root / f"run-{ANTHROPIC_KEY}" / "t.json").write_text('{"broken')
    code, report, output = distill(root, "--model", "fake", "-o", tmp_path / "out", "--no-publish")
    assert code == 0, output
    reasons = " ".join(s["path"] + " " + s["reason"] for s in report["skipped"])
    assert "[REDACTED:anthropic-key]" in reasons and "[REDACTED:aws-access-key]" in reasons
    written = [p for p in Path(os.environ["SKILLFORGE_HOME"]).rglob("*") if p.is_file()]
    snapshots = [p for p in written if p.parent.name == "stages"]
    assert snapshots and any("REDACTED:anthropic-key" in p.read_text() for p in snapshots)
    for path in written + [p for p in (tmp_path / "out").rglob("*") if p.is_file()]:
        text = path.read_bytes()
        assert ANTHROPIC_KEY.encode() not in text and AWS_KEY_ID.encode() not in text, path
    assert ANTHROPIC_KEY not in output and AWS_KEY_ID not in output


def test_dry_run_redacts_emails_as_the_run_does(tmp_path: Path) -> None:
    """With --redact-emails the estimate prices (and finds in the cache) the prompts the run sends."""
    trace = Trace(
        id=Trace.make_id("mail.jsonl"), source=Source(path="mail.jsonl", format="skillforge"),
        task="Mail alice.smith@example.com when the nightly build fails",
        steps=[Step(role="assistant", tool_call=ToolCall(name="Bash", arguments={"command": "pytest"})),
               Step(role="tool", tool_result=ToolResult(output="1 failed", is_error=True, exit_code=1))],
    )
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "mail.jsonl").write_text(trace.model_dump_json() + "\n")
    out = tmp_path / "out"
    assert distill(tmp_path / "in", "--model", "fake", "-o", out, "--no-publish", "--redact-emails")[0] == 0
    _, plan, _ = distill(tmp_path / "in", "--model", "fake", "-o", out, "--dry-run", "--redact-emails")
    assert plan["analysed_traces"] == 1 and plan["cached_calls"] == 1
    _, unredacted, _ = distill(tmp_path / "in", "--model", "fake", "-o", out, "--dry-run")
    assert unredacted["cached_calls"] == 0  # the address is in the prompt then: another call


def test_write_progress_counts_the_groups_the_pipeline_skipped(tmp_path: Path) -> None:
    """A planned skill whose every rule was quarantined is never written (no after_write); the
    progress line must still count it as done rather than stall short of the total."""
    written = run_distill([SAMPLES / "swe_agent_traj"], tmp_path / "out").skills[0]
    seen: list[tuple[str, int, int | None]] = []
    analyzer = ModelAnalyzer(ModelOptions(settings=LLMSettings(model="fake"), cache_dir=tmp_path / "cache"),
                             progress=lambda *a: seen.append(a))
    analyzer.groups = ["all-rules-quarantined", written.name, "also-quarantined"]
    asyncio.run(analyzer.after_write(written, Path(written.path)))
    assert seen == [("write", 2, 3)] and STATS.calls == 0  # a valid skill costs no fix call
    analyzer.finish(DistillReport(inputs=[], out_dir=str(tmp_path / "out"), analyzer=analyzer.name))
    assert seen[-1] == ("write", 3, 3)
