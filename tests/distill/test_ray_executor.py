"""``distill --model fake --executor ray`` on a Ray cluster: same bytes as the local executor, a killed
worker costs nothing but time (no finished call is made twice), a killed driver's rerun repeats no
finished call, and a Ray failure is reported like a failed model call instead of ending the run.

The cluster tests need Ray and a running cluster whose address is in ``SKILLFORGE_RAY_ADDRESS``
(``.ci/ray-cluster start`` makes a local two-node one and writes the variables to export; CI does
that); without either they skip. The limiter tests below need neither.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest

from skillforge.distill.model.analysts import LLMAnalyst
from skillforge.distill.model.call_limiter import REPLACED, CallLimiter, RateLimits
from skillforge.distill.model.executor import LocalExecutor, make_executor
from skillforge.distill.model.ray_worker import read_items
from skillforge.distill.model.trace_feed import read_redacted
from skillforge.errors import SkillforgeError
from skillforge.ingest import ReadOptions, read_paths
from skillforge.llm.cache import ResponseCache
from skillforge.llm.client import LLMClient
from skillforge.models import Lesson, Skipped, Trace
from skillforge.models.llm import LLMSettings
from skillforge.scan.poison import slim_trace

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "tests" / "data" / "samples"
ADDRESS = os.environ.get("SKILLFORGE_RAY_ADDRESS")


def needs_cluster(test: Any) -> Any:
    """Slow, and skipped without Ray or without a cluster to join."""
    test = pytest.mark.slow(test)
    test = pytest.mark.skipif(not ADDRESS, reason="no Ray cluster: .ci/ray-cluster start, then export its env")(test)
    no_ray = importlib.util.find_spec("ray") is None
    return pytest.mark.skipif(no_ray, reason="ray is not installed (skillforge[ray])")(test)


def _inputs(root: Path, files: int = 3, per_file: int = 8) -> Path:
    """``files`` JSONL files of traces made from the real samples (distinct ids and tasks)."""
    samples = [t for t in read_paths([SAMPLES]) if isinstance(t, Trace) and t.steps]
    folder = root / "in"
    folder.mkdir()
    n = 0
    for f in range(files):
        with (folder / f"part-{f}.jsonl").open("w", encoding="utf-8") as fh:
            for _ in range(per_file):
                base = samples[n % len(samples)]
                copy = base.model_copy(update={"id": f"{base.id}-{n:04d}", "task": f"[run {n}] {base.task}"})
                fh.write(copy.model_dump_json() + "\n")
                n += 1
    return folder


def _env(home: Path, latency: float, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        HOME=str(home), SKILLFORGE_HOME=str(home / ".skillforge"), SKILLFORGE_FAKE_LATENCY=str(latency), **extra
    )
    return env


def _command(executor: str, report: Path) -> list[str]:
    args = [sys.executable, "-m", "skillforge", "distill", "in", "-o", "out", "--model", "fake", "--no-publish",
            "--concurrency", "8", "--report", str(report)]
    if executor == "ray":
        assert ADDRESS is not None
        args += ["--executor", "ray", "--ray-address", ADDRESS]
    return args


def _distill(work: Path, executor: str, home: Path, latency: float = 0.01) -> dict[str, object]:
    """Run the CLI in ``work`` (inputs ``in``, output ``out``); return its report without timings."""
    report = work / f"report-{executor}.json"
    result = subprocess.run(_command(executor, report), cwd=work, env=_env(home, latency), capture_output=True,
                            text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    return _report(report)


def _report(path: Path) -> dict[str, object]:
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["model"].pop("wall_s", None)
    return dict(doc)


def _files(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def _journal_lines(home: Path) -> list[dict[str, object]]:
    lines: list[dict[str, object]] = []
    for path in sorted((home / ".skillforge" / "cache" / "journal").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                lines.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return lines


@pytest.fixture(scope="module")
def local_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, bytes], dict[str, object]]:
    """The inputs and what the local executor writes for them (files and report)."""
    work = tmp_path_factory.mktemp("ray-local")
    _inputs(work)
    report = _distill(work, "local", work / "home")
    files = _files(work / "out")
    assert any(name.endswith("SKILL.md") for name in files)
    return work / "in", files, report


def _work_with(inputs: Path, tmp_path: Path) -> Path:
    (tmp_path / "in").mkdir()
    for src in inputs.iterdir():
        (tmp_path / "in" / src.name).write_bytes(src.read_bytes())
    return tmp_path


def _ray_pids(tag: str) -> list[int]:
    """Analyst actor processes of the run tagged ``tag`` (the tag reaches them through the job's env)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes()
            if not cmdline.startswith(b"ray::AnalystWorker"):
                continue
            if f"SKILLFORGE_FAKE_RUN_TAG={tag}".encode() in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
        except OSError:
            continue
    return found


_T = TypeVar("_T")


def _wait_for(check: Callable[[], _T], timeout: float, what: str) -> _T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@needs_cluster
def test_ray_executor_writes_the_same_bytes_as_local(
    local_run: tuple[Path, dict[str, bytes], dict[str, Any]], tmp_path: Path
) -> None:
    inputs, files, report = local_run
    work = _work_with(inputs, tmp_path)
    ray_report = _distill(work, "ray", work / "home")
    assert _files(work / "out") == files
    assert ray_report == report
    assert ray_report["model"]["llm_calls"] > 0


@needs_cluster
def test_a_worker_killed_mid_run_costs_only_time(
    local_run: tuple[Path, dict[str, bytes], dict[str, Any]], tmp_path: Path
) -> None:
    inputs, files, report = local_run
    work = _work_with(inputs, tmp_path)
    home = work / "home"
    tag = f"kill-{os.getpid()}-{time.monotonic_ns()}"
    proc = subprocess.Popen(_command("ray", work / "report.json"), cwd=work,
                            env=_env(home, 0.3, SKILLFORGE_FAKE_RUN_TAG=tag), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        # Once calls are flowing, SIGKILL one analyst process (an actor of this run, found by its tag).
        _wait_for(lambda: len(_journal_lines(home)) >= 4 or proc.poll() is not None, 600, "the first calls")
        assert proc.poll() is None, "the run ended before a worker could be killed"
        victim = _wait_for(lambda: _ray_pids(tag), 60, "an analyst process")[0]
        os.kill(victim, signal.SIGKILL)
        output, _ = proc.communicate(timeout=900)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0, output
    assert not Path(f"/proc/{victim}").exists()
    # The interrupted analyses were sent again: nothing lost, nothing different.
    assert _files(work / "out") == files
    keys = [str(line["key"]) for line in _journal_lines(home)]
    assert len(keys) == len(set(keys))
    # The same report to the call: a call the killed worker had finished was neither made again
    # (llm_calls and cost would be higher) nor left out of the count (they would be lower), and
    # the retry's answers from its own killed attempt are no cache hits.
    killed = _report(work / "report.json")
    assert killed["model"]["failures"] == []
    assert killed["model"]["llm_calls"] == report["model"]["llm_calls"]
    assert killed == report


@needs_cluster
def test_a_killed_worker_makes_no_finished_call_twice(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every call goes out through the limiter: the calls it let out, less those a dead worker held
    (cut short, so sent again), are exactly the calls that finished, each once, all counted. A retry
    with the first preload (Ray's own task retry) would make the killed attempt's finished calls again."""
    from skillforge.distill.model.ray_executor import RayExecutor

    # Calls take a second; the worker is killed while it holds calls and no finished answer is on
    # its way back to the driver (one that had finished but not yet arrived could not be known to it).
    monkeypatch.setenv("SKILLFORGE_FAKE_LATENCY", "1.0")
    traces = [t for t in read_paths([_inputs(tmp_path, files=1, per_file=12)]) if isinstance(t, Trace)]
    cache = ResponseCache(tmp_path / "cache")
    journalled: list[str] = []
    client = LLMClient(LLMSettings(model="fake", concurrency=8), cache=cache,
                       on_call=lambda key, request, response: journalled.append(key))
    executor = RayExecutor(client, LLMAnalyst(client), address=ADDRESS, workers=2)
    slipped = 0
    try:
        victim = executor.ray.get(executor.workers[0].pid.remote())

        async def run() -> list[Any]:
            async def kill_while_quiet() -> None:
                nonlocal slipped
                while True:
                    before = await executor.limiter.stats.remote()
                    held = await executor.limiter.holding.remote("analyst-0")
                    if client.stats.llm_calls >= 1 and held and before["released"] == client.stats.llm_calls:
                        break
                    await asyncio.sleep(0.01)
                os.kill(victim, signal.SIGKILL)
                await asyncio.sleep(0.2)
                # Answers released between the check and the kill may be lost with the worker: the
                # only calls that may be paid twice (almost always none: calls take a second).
                slipped = int((await executor.limiter.stats.remote())["released"] - before["released"])

            killer = asyncio.create_task(kill_while_quiet())
            done = await asyncio.gather(*(executor.analyze(t, slim_trace(t)) for t in traces))
            await killer
            return list(done)

        results = asyncio.run(run())
        # The restarted actor frees the slots its killed predecessor held.
        def restarted() -> int | None:
            try:
                pid: int = executor.ray.get(executor.workers[0].pid.remote())
                return pid
            except executor.ray.exceptions.RayActorError:
                return None  # still restarting

        assert _wait_for(restarted, 120, "the killed actor's restart") != victim
        limiter = _wait_for(lambda: (lambda s: s if s["forgotten"] else None)(
            executor.ray.get(executor.limiter.stats.remote())), 60, "the dead worker's slots to be freed")
    finally:
        executor.close()
        cache.flush()
    assert [r.result.failure for r in results] == [None] * len(traces)
    assert len(journalled) == len(set(journalled)) == client.stats.llm_calls
    assert limiter["granted"] - limiter["forgotten"] == limiter["released"]
    assert 0 <= limiter["released"] - client.stats.llm_calls <= slipped


@needs_cluster
def test_a_rerun_after_the_driver_was_killed_repeats_no_finished_call(
    local_run: tuple[Path, dict[str, bytes], dict[str, Any]], tmp_path: Path
) -> None:
    inputs, files, _ = local_run
    work = _work_with(inputs, tmp_path)
    home = work / "home"
    proc = subprocess.Popen(_command("ray", work / "first.json"), cwd=work, env=_env(home, 0.3),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: len(_journal_lines(home)) >= 6 or proc.poll() is not None, 600, "the first calls")
        assert proc.poll() is None, "the run ended before it could be interrupted"
    finally:
        proc.kill()
        proc.wait()
    finished = {str(line["key"]) for line in _journal_lines(home)}
    assert finished
    before = len(_journal_lines(home))
    report = _distill(work, "ray", home, latency=0.01)
    new_calls = [str(line["key"]) for line in _journal_lines(home)[before:]]
    assert not finished & set(new_calls), "the rerun paid again for a call the killed run had finished"
    assert report["model"]["resumed_calls"] == len(finished)
    assert _files(work / "out") == files


@needs_cluster
def test_a_ray_failure_is_reported_like_a_failed_call() -> None:
    """Analyst actors that are gone for good: the analysis fails and the merge node stays unmerged,
    both in the failures the report lists, instead of a Ray traceback ending the run."""
    from skillforge.distill.model.ray_executor import RayExecutor

    trace = next(t for t in read_paths([SAMPLES]) if isinstance(t, Trace) and t.steps)
    lessons = [
        Lesson(kind="pitfall", title=f"Rule {n}", body=f"Check the thing before step {n}.", target_skill="demo")
        for n in (1, 2)
    ]
    client = LLMClient(LLMSettings(model="fake", cache=False))
    executor = RayExecutor(client, LLMAnalyst(client, tool_steps=0, use_tools=False), address=ADDRESS, workers=1)
    try:
        for actor in executor.workers:
            executor.ray.kill(actor, no_restart=True)
        failures: list[Any] = []

        async def run() -> tuple[Any, Any]:
            analysed = await executor.analyze(trace, slim_trace(trace))
            merged = await executor.merge_step(failures)(lessons, "merge:1:0")
            return analysed, merged

        analysed, merged = asyncio.run(run())
    finally:
        executor.close()
    assert analysed.result.lessons == []
    failure = analysed.result.failure
    assert failure is not None and failure.task == f"analyst:{trace.id}" and failure.kind == "ActorDiedError"
    assert "\n" not in failure.error
    assert merged.lessons == lessons
    assert [(f.task, f.kind) for f in failures] == [("merge:1:0", "ActorDiedError")]


@needs_cluster
def test_an_executor_that_cannot_start_its_actors_leaves_no_ray_runtime_behind() -> None:
    from skillforge.distill.model.ray_executor import RayExecutor

    client = LLMClient(LLMSettings(model="fake", cache=False))
    analyst = LLMAnalyst(client, tool_steps=0, use_tools=False)
    analyst.tool_steps = threading.Lock()  # type: ignore[assignment]  # an actor argument Ray cannot send
    with pytest.raises(TypeError):
        RayExecutor(client, analyst, address=ADDRESS, workers=1)
    import ray

    assert not ray.is_initialized()


# --- the read task (no Ray needed) -----------------------------------------------------------------


def test_the_read_task_reads_a_relative_path_from_the_drivers_folder_without_moving_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    driver, worker = tmp_path / "driver", tmp_path / "worker"
    (driver / "in").mkdir(parents=True)
    worker.mkdir()
    (driver / "in" / "tickets.json").write_bytes((SAMPLES / "support_tickets" / "swe-bench-dev-easy.json").read_bytes())
    monkeypatch.chdir(driver)
    expected = list(read_redacted([Path("in/tickets.json")], None, ReadOptions(), False))
    traces = sum(isinstance(item, Trace) for item in expected)
    assert traces >= 2
    monkeypatch.chdir(worker)
    items = read_items("in/tickets.json", None, ReadOptions(), False, cwd=str(driver))
    first = next(items)
    # Mid-file, the worker process is still where it was (other tasks of the process share it).
    assert Path.cwd() == worker
    got = [first[1], *(item for _, item, _ in items)]
    # The path as given, and so the same ids and provenance as a read in the driver's folder.
    assert got == expected
    assert [t.source.path for t in got if isinstance(t, Trace)] == ["in/tickets.json"] * traces
    missing = [item for _, item, _ in read_items("in/gone.json", None, ReadOptions(), False, cwd=str(driver))]
    assert isinstance(missing[0], Skipped) and missing[0].path == "in/gone.json"


# --- the cluster-wide limiter (no Ray needed) ------------------------------------------------------


def test_limiter_never_lets_more_calls_than_the_concurrency_run_at_once() -> None:
    async def main() -> int:
        limiter = CallLimiter({"*": RateLimits(concurrency=3)})
        running = peak = 0

        async def call(i: int) -> None:
            nonlocal running, peak
            slot = await limiter.acquire(f"worker-{i % 2}", "m", 10)
            assert isinstance(slot, int)
            running += 1
            peak = max(peak, running)
            await asyncio.sleep(0.01)
            running -= 1
            await limiter.release(slot, 10)

        await asyncio.gather(*(call(i) for i in range(20)))
        return peak

    assert asyncio.run(main()) == 3


def test_limiter_spaces_requests_to_the_per_minute_rate() -> None:
    async def main() -> list[float]:
        # A 0.3 s window stands in for the minute.
        limiter = CallLimiter({"m": RateLimits(concurrency=10, requests_per_minute=2)}, window_s=0.3)
        started = time.monotonic()
        starts = []
        for _ in range(3):
            slot = await limiter.acquire("w", "m", 1)
            starts.append(time.monotonic() - started)
            await limiter.release(slot if isinstance(slot, int) else -1, 1)
        return starts

    starts = asyncio.run(main())
    assert starts[1] < 0.2
    assert starts[2] >= 0.29


def test_limiter_holds_tokens_per_minute() -> None:
    async def main() -> list[float]:
        limiter = CallLimiter({"m": RateLimits(concurrency=10, tokens_per_minute=100)}, window_s=0.3)
        started = time.monotonic()
        starts = []
        for tokens in (60, 30, 50):
            slot = await limiter.acquire("w", "m", tokens)
            starts.append(time.monotonic() - started)
            await limiter.release(slot if isinstance(slot, int) else -1, tokens)
        return starts

    starts = asyncio.run(main())
    assert starts[1] < 0.2  # 60 + 30 fit in the allowance
    assert starts[2] >= 0.29  # 50 more must wait for the window to move


def test_limiter_refuses_past_the_budget_and_frees_a_dead_workers_slots() -> None:
    async def main() -> tuple[object, object, int, object]:
        limiter = CallLimiter({"*": RateLimits(concurrency=1)}, budget_usd=1.0)
        first = await limiter.acquire("dead", "m", 1, 0.6)
        freed = await limiter.forget("dead")  # its process was killed holding the only slot
        second = await limiter.acquire("alive", "m", 1, 0.3)
        assert isinstance(second, int)
        await limiter.release(second, 1, 0.3)
        over = await limiter.acquire("alive", "m", 1, 0.8)
        return first, second, freed, over

    first, second, freed, over = asyncio.run(main())
    assert isinstance(first, int) and freed == 1
    assert isinstance(over, str) and "budget of $1.0000 reached" in over


def test_a_dead_workers_waiting_request_gets_no_slot_after_it_is_forgotten() -> None:
    """A killed worker can die with a request still queued at the limiter. Once the restarted worker has
    it forgotten, that request must not be granted: nobody would ever give the slot back, and the
    cluster would run one call short (the leak the worker-kill test caught: granted 30, forgotten 5,
    released 24)."""

    async def main() -> tuple[object, object, object, dict[str, float]]:
        limiter = CallLimiter({"*": RateLimits(concurrency=1)})
        held = await limiter.acquire("analyst-0", "m", 1)
        queued = asyncio.ensure_future(limiter.acquire("analyst-0", "m", 1))  # waits for the only slot
        await asyncio.sleep(0.05)
        await limiter.forget("analyst-0")  # the restarted worker's first act
        dropped = await asyncio.wait_for(queued, 1)
        fresh = await limiter.acquire("analyst-0", "m", 1)  # the new worker's own request
        assert isinstance(fresh, int)
        await limiter.release(fresh)
        return held, dropped, fresh, limiter.stats()

    held, dropped, fresh, stats = asyncio.run(main())
    assert isinstance(held, int) and dropped == REPLACED and isinstance(fresh, int)
    assert stats["granted"] - stats["forgotten"] == stats["released"] == 1


def test_a_dead_workers_request_arriving_after_the_restart_gets_no_slot() -> None:
    async def main() -> tuple[object, object]:
        limiter = CallLimiter({"*": RateLimits(concurrency=4)})
        await limiter.forget("analyst-0", 101)  # the first process of the worker
        await limiter.forget("analyst-0", 202)  # it died; its restart names itself
        late = await limiter.acquire("analyst-0", "m", 1, incarnation=101)  # sent by 101 before it died
        live = await limiter.acquire("analyst-0", "m", 1, incarnation=202)
        return late, live

    late, live = asyncio.run(main())
    assert late == REPLACED and isinstance(live, int)


# --- choosing an executor (no Ray needed) ----------------------------------------------------------


def test_unknown_executors_and_a_stray_address_are_refused() -> None:
    client = LLMClient(LLMSettings(model="fake"))
    analyst = LLMAnalyst(client, tool_steps=0, use_tools=False)
    with pytest.raises(SkillforgeError, match="unknown executor 'spark'"):
        make_executor("spark", client, analyst)
    with pytest.raises(SkillforgeError, match="needs the Ray executor"):
        make_executor("local", client, analyst, ray_address="auto")
    assert isinstance(make_executor("local", client, analyst), LocalExecutor)


def test_the_model_analysis_does_not_import_ray_unless_asked() -> None:
    code = "import sys, skillforge.distill.model.analysis, skillforge.cli; print('ray' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert done.stdout.strip() == "False"
