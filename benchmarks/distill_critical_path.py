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
re-run of ``skillforge distill`` would (the measuring is ``distill_scale.measure``; that script
prints the same figures for several sizes, CPU per call included). Clustering is off unless
``--per-cluster K`` is given, so every trace costs its analyst calls.

    python benchmarks/distill_critical_path.py --traces 500 --latency 0.2 --concurrency 16
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from distill_scale import measure  # noqa: E402 - the benchmark folder is not a package


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--traces", type=int, default=500)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--k", type=int, default=8)
    parser.add_argument("--per-cluster", type=int, default=None, help="turn behaviour clustering on (default off)")
    args = parser.parse_args()
    args.executor, args.ray_address, args.profile = "local", None, None

    fig = measure(args.traces, args.concurrency, args)
    analyst_calls = fig["analyst_calls"]
    bound = math.ceil(analyst_calls / args.concurrency) * args.latency + fig["merge_levels"] * args.latency
    first_s, second_s = fig["wall_s"], fig["rerun_wall_s"]
    peak_mb = fig["peak_rss_mb"]
    print(f"traces                 {fig['traces']}")
    print(f"model calls            {fig['calls']} (analyst {analyst_calls}, merge {fig['merge_calls']}, "
          f"plan/fix {fig['other_calls']})")
    print(f"merge levels           {fig['merge_levels']}")
    print(f"first run wall         {first_s:.2f} s")
    print(f"critical-path bound    {bound:.2f} s  = ceil({analyst_calls}/{args.concurrency}) x {args.latency} + "
          f"{fig['merge_levels']} x {args.latency}")
    print(f"ratio wall / bound     {first_s / bound:.3f}   (target <= 1.2)")
    print(f"CPU                    {fig['cpu_s']:.2f} s = {1000 * fig['cpu_s'] / max(1, fig['calls']):.2f} ms per call"
          f"   (target <= 4 ms; reader process {fig['reader_cpu_s']:.2f} s)")
    print(f"peak memory            {peak_mb:.0f} MB   (target < 500 MB)")
    print(f"second run calls       {fig['rerun_calls']}   (target 0)")
    print(f"second run wall        {second_s:.3f} s = {100 * second_s / first_s:.2f} % of the first   (target < 5 %)")
    ok = first_s / bound <= 1.2 and peak_mb < 500 and fig["rerun_calls"] == 0 and second_s / first_s < 0.05
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
