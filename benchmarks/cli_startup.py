"""How long does ``skillforge --help`` take, and does it stay clear of heavy imports?

    python benchmarks/cli_startup.py          # median of 11 runs
    python benchmarks/cli_startup.py -n 31

Each run is a fresh interpreter (``python -m skillforge --help``), timed from outside, so the
figure is what a person waits for. A second subprocess checks that litellm, textual and git
(GitPython) are not imported by the help path. Target: median under 0.3 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

TARGET_SECONDS = 0.3
HEAVY = ("litellm", "textual", "git")

_CHECK = """
import sys
from skillforge.cli import main
try:
    main(["--help"])
except SystemExit:
    pass
print("HEAVY:" + ",".join(m for m in {heavy!r} if m in sys.modules))
"""


def time_help(runs: int) -> list[float]:
    """Wall-clock seconds of ``python -m skillforge --help``, one fresh process per run."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "skillforge", "--help"], check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return times


def heavy_imports() -> list[str]:
    """Which of ``HEAVY`` the help path imports (should be none)."""
    out = subprocess.run([sys.executable, "-c", _CHECK.format(heavy=HEAVY)], capture_output=True, text=True, check=True)
    marker = [line for line in out.stdout.splitlines() if line.startswith("HEAVY:")][-1]
    return [m for m in marker.removeprefix("HEAVY:").split(",") if m]


def bare_python(runs: int) -> float:
    """Median start-up of the interpreter alone, to show what part of the figure is ours."""
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], check=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=11, help="number of timed runs (default 11)")
    args = parser.parse_args(argv)

    time_help(1)  # warm the file cache and .pyc files
    times = time_help(args.runs)
    median = statistics.median(times)
    baseline = bare_python(args.runs)
    heavy = heavy_imports()
    print(f"skillforge --help:  median {median:.3f} s over {args.runs} runs (min {min(times):.3f}, max {max(times):.3f})")
    print(f"python -c pass:     median {baseline:.3f} s (interpreter start-up alone)")
    ok_time = median < TARGET_SECONDS
    print(f"target < {TARGET_SECONDS:.1f} s:     {'ok' if ok_time else 'MISSED'} ({median / TARGET_SECONDS:.2f}x of target)")
    print(f"heavy imports:      {', '.join(heavy) if heavy else 'none'} (litellm, textual, git must not load)")
    return 0 if ok_time and not heavy else 1


if __name__ == "__main__":
    raise SystemExit(main())
