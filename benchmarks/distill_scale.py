"""How lean is distill's model path at scale? (``--model fake`` with a simulated latency)

For each size ``N:C`` (N traces, concurrency C; default ``500:16`` and ``2000:64``) this runs, in a fresh
child process (so memory and CPU belong to that size alone):

1. N traces made from the real samples in tests/data/samples (each sample trace repeated with a
   distinct id and task), written as one skillforge-trace JSONL file;
2. ``run_distill(..., analyzer=ModelAnalyzer(...))`` with the fake model at latency L, under the same
   interpreter settings ``skillforge distill --model`` applies (``cli._process.tuned_for_model_calls``);
3. the same run again over the same cache (a re-run must make 0 calls).

and prints, per size: analyst, merge and other calls, merge levels, wall time, the critical-path bound
``ceil(analyst_calls / C) * L + merge_levels * L`` and the ratio of the two (target <= 1.2);

- ``CPU floor s``: the CPU of every process of the run (this one, the reader child, the call helpers)
  over the cores this process may use. No schedule finishes sooner: where the floor exceeds the
  bound, the machine, not skillforge's waiting, sets the pace;
- ``CPU s`` and ``CPU ms/call``: CPU of this process (all its threads) plus the call helpers of
  ``--call-processes N``, per model call; ``driver ms/call``: this process alone (target <= 4 ms);
- ``busy``: this process's CPU / wall. Near 100 % its event loop is CPU-bound: only less CPU per
  call or more processes (``--call-processes``) make it faster;
- ``fake ms/call``: the part the fake model spent composing its answers (a real provider's work,
  done on its side of the wire; included in ``CPU ms/call``);
- the reader child's CPU, peak RSS of this process, the re-run's calls and time;
- ``litellm ms/call``: litellm's own floor, the CPU of a bare ``litellm.acompletion`` of a one-line
  prompt to the fake at zero latency (500 calls, measured before the runs).

Importing litellm, its first call (which loads more of litellm lazily) and starting the call helpers
happen before timing: that is start-up, not distillation.

Clustering is off by default (``--per-cluster K`` turns it on), so every trace costs its analyst calls
and the figures measure the call path, not how many calls clustering saves.

``--executor ray`` runs the analysis on Ray (``skillforge[ray]``; ``--ray-address`` joins a cluster);
CPU then counts this driver process only, not the Ray workers.

    python benchmarks/distill_scale.py                      # both sizes, local executor
    python benchmarks/distill_scale.py --sizes 500:16        # one size
    python benchmarks/distill_scale.py --call-processes 2    # model calls in 2 helper processes
    python benchmarks/distill_scale.py --sizes 500:16 --profile /tmp/distill.prof   # cProfile the first run
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SAMPLES = ROOT / "tests" / "data" / "samples"
DEFAULT_SIZES = "500:16,2000:64"
TARGET_RATIO = 1.2
TARGET_CPU_MS = 4.0


def generate(count: int, out: Path) -> Path:
    """``count`` traces made from the real samples, as one skillforge-trace JSONL file."""
    from skillforge.ingest import read_paths
    from skillforge.models import Trace

    samples = [t for t in read_paths([SAMPLES]) if isinstance(t, Trace) and t.steps]
    path = out / "traces.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for n in range(count):
            base = samples[n % len(samples)]
            copy = base.model_copy(update={"id": f"{base.id}-{n:04d}", "task": f"[run {n}] {base.task}"})
            fh.write(copy.model_dump_json() + "\n")
    return path


def _warm_up() -> None:
    """Import litellm and the pipeline, and let litellm's first call load what it loads lazily:
    start-up, not distillation."""
    import skillforge.distill.model.run  # noqa: F401 - imported for its import time only
    import skillforge.distill.pipeline  # noqa: F401
    from skillforge.llm import _litellm

    lit = _litellm.get_litellm()
    messages = [{"role": "user", "content": "warm up"}]
    asyncio.run(lit.acompletion(model=_litellm.resolve_model("fake"), messages=messages))


def _warm_helpers(processes: int) -> Any:
    """Start the call helpers (each imports litellm: seconds) and let each make a first call: start-up."""
    if not processes:
        return None
    from skillforge.llm import call_pool
    from skillforge.llm.client import LLMClient
    from skillforge.models.llm import LLMRequest, LLMSettings

    client = LLMClient(LLMSettings(model="fake", cache=False, call_processes=processes, concurrency=4 * processes))
    messages = [{"role": "user", "content": "warm up"}]

    async def calls() -> None:
        await asyncio.gather(*(
            client.complete(LLMRequest(task=f"warm:{n}", template="warm", template_hash="-", messages=messages))
            for n in range(4 * processes)
        ))

    asyncio.run(calls())
    return call_pool.pool(processes)


def litellm_floor(calls: int, concurrency: int) -> float:
    """CPU milliseconds per bare ``litellm.acompletion`` of a one-line prompt to the fake at zero latency:
    what litellm's client path itself costs a call (its logging object, cost calculation, success
    logging, the worker-thread hop), before anything of distill's."""
    from skillforge.llm import _litellm

    lit = _litellm.get_litellm()
    model = _litellm.resolve_model("fake")
    messages = [{"role": "user", "content": "one line"}]

    async def many() -> None:
        slots = asyncio.Semaphore(concurrency)

        async def one() -> None:
            async with slots:
                await lit.acompletion(model=model, messages=messages, max_tokens=64, num_retries=0, max_retries=0)

        await asyncio.gather(*(one() for _ in range(calls)))

    before = os.environ.pop("SKILLFORGE_FAKE_LATENCY", None)
    try:
        started = time.process_time()
        asyncio.run(many())
        return 1000 * (time.process_time() - started) / calls
    finally:
        if before is not None:
            os.environ["SKILLFORGE_FAKE_LATENCY"] = before


def _distill(inputs: Path, out: Path, cache: Path, args: argparse.Namespace, concurrency: int) -> tuple[Any, Any]:
    """One ``distill --model fake`` run; returns (report, the analyzer's client)."""
    from skillforge.distill.model.run import ModelAnalyzer, ModelOptions
    from skillforge.distill.pipeline import run_distill_async
    from skillforge.models.llm import LLMSettings

    options = ModelOptions(
        settings=LLMSettings(model="fake", concurrency=concurrency, call_processes=args.call_processes),
        k=args.k,
        cache_dir=cache,
        per_cluster=args.per_cluster,
        executor=args.executor,
        ray_address=args.ray_address,
    )
    analyzer = ModelAnalyzer(options)
    report = asyncio.run(run_distill_async([inputs], out, analyzer=analyzer))
    return report, analyzer.client


def measure(traces: int, concurrency: int, args: argparse.Namespace) -> dict[str, Any]:
    """Both runs of one size in this process; the figures as a dict."""
    from skillforge.cli._process import tuned_for_model_calls
    from skillforge.testing.fake_model import STATS as FAKE_STATS

    _warm_up()
    floor_ms = litellm_floor(500, concurrency)
    os.environ["SKILLFORGE_FAKE_LATENCY"] = str(args.latency)
    helpers = _warm_helpers(args.call_processes)  # they read the environment as it is when they start
    # What `skillforge distill --model` does around the command (entered once: start-up, not distillation).
    with tempfile.TemporaryDirectory() as tmp, tuned_for_model_calls():
        work = Path(tmp)
        inputs = generate(traces, work)
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        children0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        fake0 = FAKE_STATS.answer_cpu_s
        helper_cpu0, helper_fake0 = helpers.cpu_s() if helpers else (0.0, 0.0)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        first, client = _distill(inputs, work / "out1", work / "cache", args, concurrency)
        wall, driver_cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        helper_cpu, helper_fake = helpers.cpu_s() if helpers else (0.0, 0.0)
        cpu = driver_cpu + helper_cpu - helper_cpu0
        fake_cpu = FAKE_STATS.answer_cpu_s - fake0 + helper_fake - helper_fake0
        children1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        if profiler is not None:
            profiler.disable()
            profiler.dump_stats(args.profile)
        rerun_wall0 = time.perf_counter()
        second, _ = _distill(inputs, work / "out2", work / "cache", args, concurrency)
        rerun_wall = time.perf_counter() - rerun_wall0
    model = first.model
    stages = client.stats.calls_by_stage
    return {
        "traces": first.traces,
        "concurrency": concurrency,
        "latency": args.latency,
        "calls": model.llm_calls,
        "analyst_calls": model.analyst_calls,
        "merge_calls": stages.get("merge", 0),
        "other_calls": model.llm_calls - model.analyst_calls - stages.get("merge", 0),
        "merge_levels": model.merge_levels,
        "failed_calls": model.failed_calls,
        "skills": len(first.skills),
        "wall_s": wall,
        "cpu_s": cpu,
        "driver_cpu_s": driver_cpu,
        "cores": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1),
        "call_processes": args.call_processes,
        "fake_cpu_s": fake_cpu,
        "reader_cpu_s": (children1.ru_utime + children1.ru_stime) - (children0.ru_utime + children0.ru_stime),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "rerun_calls": second.model.llm_calls,
        "rerun_wall_s": rerun_wall,
        "litellm_floor_ms": floor_ms,
    }


def _row(fig: dict[str, Any]) -> dict[str, str]:
    bound = math.ceil(fig["analyst_calls"] / fig["concurrency"]) * fig["latency"] + fig["merge_levels"] * fig["latency"]
    calls = max(1, fig["calls"])
    return {
        "N": str(fig["traces"]),
        "C": str(fig["concurrency"]),
        "analyst": str(fig["analyst_calls"]),
        "merge": str(fig["merge_calls"]),
        "other": str(fig["other_calls"]),
        "levels": str(fig["merge_levels"]),
        "wall s": f"{fig['wall_s']:.2f}",
        "bound s": f"{bound:.2f}",
        "ratio": f"{fig['wall_s'] / bound:.2f}" if bound else "-",
        "CPU floor s": f"{(fig['cpu_s'] + fig['reader_cpu_s']) / fig['cores']:.2f}",
        "CPU s": f"{fig['cpu_s']:.2f}",
        "CPU ms/call": f"{1000 * fig['cpu_s'] / calls:.2f}",
        "driver ms/call": f"{1000 * fig['driver_cpu_s'] / calls:.2f}",
        "busy": f"{100 * fig['driver_cpu_s'] / fig['wall_s']:.0f} %" if fig["wall_s"] else "-",
        "fake ms/call": f"{1000 * fig['fake_cpu_s'] / calls:.2f}",
        "reader CPU s": f"{fig['reader_cpu_s']:.2f}",
        "litellm ms/call": f"{fig['litellm_floor_ms']:.2f}",
        "peak MB": f"{fig['peak_rss_mb']:.0f}",
        "rerun calls": str(fig["rerun_calls"]),
        "rerun s": f"{fig['rerun_wall_s']:.2f}",
    }


def _passes(fig: dict[str, Any]) -> bool:
    bound = math.ceil(fig["analyst_calls"] / fig["concurrency"]) * fig["latency"] + fig["merge_levels"] * fig["latency"]
    return (
        fig["failed_calls"] == 0
        and fig["rerun_calls"] == 0
        and bound > 0
        and fig["wall_s"] / bound <= TARGET_RATIO
        and 1000 * fig["cpu_s"] / max(1, fig["calls"]) <= TARGET_CPU_MS
    )


def _print_table(rows: list[dict[str, str]]) -> None:
    columns = list(rows[0])
    widths = {c: max(len(c), *(len(r[c]) for r in rows)) for c in columns}
    print("  ".join(c.rjust(widths[c]) for c in columns))
    for row in rows:
        print("  ".join(row[c].rjust(widths[c]) for c in columns))


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        traces, _, concurrency = part.partition(":")
        sizes.append((int(traces), int(concurrency or 16)))
    return sizes


def _child_argv(args: argparse.Namespace, traces: int, concurrency: int) -> list[str]:
    argv = [sys.executable, __file__, "--one", f"{traces}:{concurrency}", "--latency", str(args.latency),
            "--k", str(args.k), "--executor", args.executor, "--call-processes", str(args.call_processes)]
    if args.per_cluster is not None:
        argv += ["--per-cluster", str(args.per_cluster)]
    if args.ray_address:
        argv += ["--ray-address", args.ray_address]
    if args.profile:
        argv += ["--profile", args.profile]
    return argv


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated N:C pairs (traces:concurrency)")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds each fake call takes")
    parser.add_argument("--k", type=int, default=8, help="merge group size")
    parser.add_argument("--per-cluster", type=int, default=None, help="turn behaviour clustering on (default off)")
    parser.add_argument("--executor", choices=("local", "ray"), default="local")
    parser.add_argument("--ray-address", default=None, help="Ray cluster to join (with --executor ray)")
    parser.add_argument("--call-processes", type=int, default=0,
                        help="helper processes making the model calls (LLMSettings.call_processes; 0: this process)")
    parser.add_argument("--profile", default=None, help="write a cProfile of the first run here")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    parser.add_argument("--one", default=None, help=argparse.SUPPRESS)  # a child process measuring one size
    args = parser.parse_args()

    if args.one:
        traces, concurrency = _parse_sizes(args.one)[0]
        print(json.dumps(measure(traces, concurrency, args)))
        return 0

    figures = []
    for traces, concurrency in _parse_sizes(args.sizes):
        done = subprocess.run(_child_argv(args, traces, concurrency), stdout=subprocess.PIPE, text=True, check=False)
        if done.returncode != 0:
            print(f"N={traces} C={concurrency}: the measuring process failed (exit {done.returncode})", file=sys.stderr)
            return 1
        figures.append(json.loads(done.stdout.strip().splitlines()[-1]))
    clustering = f"per cluster {args.per_cluster}" if args.per_cluster is not None else "off"
    print(f"executor {args.executor}, fake latency {args.latency} s, k {args.k}, clustering {clustering}")
    _print_table([_row(f) for f in figures])
    print(f"targets: ratio <= {TARGET_RATIO}, CPU (all processes) <= {TARGET_CPU_MS:g} ms/call, rerun 0 calls "
          "(litellm ms/call: CPU of a bare litellm.acompletion to the fake, the floor under CPU ms/call)")
    if args.json:
        print(json.dumps(figures, indent=2))
    ok = all(_passes(f) for f in figures)
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
