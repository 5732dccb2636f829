"""How close does LLM distillation come to its critical path? (``--model fake``, simulated latency)

Generates N traces from the real samples in tests/data/samples (each sample trace repeated with
a distinct id and task, written as skillforge-trace JSONL), runs the LLM distill path with the
fake model at a fixed latency, and prints:

- wall time of the first run and the critical-path bound
  ``ceil(analyst_calls / concurrency) * latency + merge_levels * latency`` and their ratio
  (target <= 1.2);
- peak memory (max RSS, target < 500 MB);
- a second run on the same input: model calls (target 0) and its time as a share of the first
  (target < 5 %).

Both runs happen in this process, each with a fresh client over the same cache directory, as a
re-run of ``skillforge distill`` would. Importing litellm and its first call (which loads more of
litellm lazily, about a second) happen once before timing: that is start-up, not distillation.

    python benchmarks/distill_critical_path.py --traces 500 --latency 0.2 --concurrency 16
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skillforge.cli._process import tuned_for_model_calls
from skillforge.distill.model.run import LLMDistillOptions, run_llm_distill
from skillforge.ingest import read_paths
from skillforge.llm import _litellm
from skillforge.models import Trace
from skillforge.models.llm import LLMSettings

SAMPLES = ROOT / "tests" / "data" / "samples"


def generate(count: int, out: Path) -> Path:
    """``count`` traces made from the real samples, as one skillforge-trace JSONL file."""
    samples = [t for t in read_paths([SAMPLES]) if isinstance(t, Trace) and t.steps]
    path = out / "traces.jsonl"
    with path.open("w", encoding="utf-8") as fh:
        for n in range(count):
            base = samples[n % len(samples)]
            copy = base.model_copy(update={"id": f"{base.id}-{n:04d}", "task": f"[run {n}] {base.task}"})
            fh.write(copy.model_dump_json() + "\n")
    return path


def run(inputs: Path, out: Path, cache: Path, settings: LLMSettings, k: int) -> tuple[float, dict[str, float]]:
    options = LLMDistillOptions(settings=settings, k=k, cache_dir=cache)
    started = time.perf_counter()
    with tuned_for_model_calls():  # what `skillforge distill --model` does around the run
        report = asyncio.run(run_llm_distill([inputs], out, options))
    return time.perf_counter() - started, report.model_dump()


def _warm_up() -> None:
    """Import litellm and let its first call load what it loads lazily: start-up, not distillation."""
    lit = _litellm.get_litellm()
    asyncio.run(lit.acompletion(model="skillforge-fake/fake", messages=[{"role": "user", "content": "warm up"}]))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--k", type=int, default=8)
    args = parser.parse_args()

    _warm_up()
    os.environ["SKILLFORGE_FAKE_LATENCY"] = str(args.latency)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        inputs = generate(args.traces, work)
        settings = LLMSettings(model="fake", concurrency=args.concurrency)
        first_s, first = run(inputs, work / "out1", work / "cache", settings, args.k)
        second_s, second = run(inputs, work / "out2", work / "cache", settings, args.k)

    analyst_calls = first["analyst_calls"]
    bound = math.ceil(analyst_calls / args.concurrency) * args.latency + first["merge_levels"] * args.latency
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The reader child is forked from this process (its pages are shared until written).
    child_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"traces                 {first['traces']}")
    print(f"model calls            {first['llm_calls']} (analyst {analyst_calls}, merge/plan {first['llm_calls'] - analyst_calls})")
    print(f"merge levels           {first['merge_levels']}")
    print(f"first run wall         {first_s:.2f} s")
    print(f"critical-path bound    {bound:.2f} s  = ceil({analyst_calls}/{args.concurrency}) x {args.latency} + {first['merge_levels']} x {args.latency}")
    print(f"ratio wall / bound     {first_s / bound:.3f}   (target <= 1.2)")
    print(f"peak memory            {peak_mb:.0f} MB   (target < 500 MB; reader process {child_mb:.0f} MB)")
    print(f"second run calls       {second['llm_calls']}   (target 0; cache hits {second['cache_hits']})")
    print(f"second run wall        {second_s:.3f} s = {100 * second_s / first_s:.2f} % of the first   (target < 5 %)")
    ok = first_s / bound <= 1.2 and peak_mb < 500 and second["llm_calls"] == 0 and second_s / first_s < 0.05
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
