"""Is the TUI responsive over a registry of 1,000 skills? Times what a person waits for, driven with Pilot.

    python benchmarks/tui_bench.py                        # builds 1,000 skills in a temp folder (~1-2 min)
    python benchmarks/tui_bench.py -n 300
    python benchmarks/tui_bench.py --registry /tmp/big    # build once there, reuse on later runs

Prints, for the app at 120x40: start-up until the list is filled, one filter keystroke, opening a
skill (all four tabs filled) and a diff between two versions (median and worst of 5), plus the
library calls behind them. Figures depend on the machine and its load; run it on an idle one.
Also counts registry calls while the list is shown: it must be one ``skills()``, nothing per row.
Target: each interaction under 1 s (the issue's "well under a second").
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

TARGET_SECONDS = 1.0
REPEAT = 5
TAGS = ["pdf", "git", "docs", "release", "testing", "python", "sql", "k8s", "security", "data"]


def build_big_registry(path: Path, count: int) -> Any:
    """``count`` one-version skills plus ``pdf-forms`` with 12 versions, published through the real API."""
    from skillforge.registry import open_registry

    reg = open_registry(path)
    if reg.exists() and len(reg.skills()) >= count + 1:
        return reg
    src = Path(tempfile.mkdtemp(prefix="tui-bench-src-"))
    start = time.perf_counter()
    for i in range(count):
        name = f"skill-{i:04d}"
        folder = src / name
        (folder / "references").mkdir(parents=True)
        tag = TAGS[i % len(TAGS)]
        (folder / "SKILL.md").write_text(
            f"---\nname: {name}\ndescription: Handle {tag} task number {i}. Use when the user asks about {tag} {i}.\n"
            f"metadata:\n  tags: {tag}, bench\n---\n# {name}\n\n## Procedure\n1. Step one for {i}.\n2. Step two.\n\n"
            f"## Pitfalls\n- Watch out for {tag}.\n",
            encoding="utf-8",
        )
        (folder / "references" / "notes.md").write_text(
            f"# Notes {i}\n\n" + "Detail line.\n" * 40, encoding="utf-8"
        )
        reg.publish(folder, message=f"first version of {name}")
        if i % 100 == 99:
            print(f"  published {i + 1} skills in {time.perf_counter() - start:.0f} s", flush=True)
    folder = src / "pdf-forms"
    folder.mkdir()
    for v in range(12):
        rules = "".join(f"- Rule {r}: keep field {r} in mind.\n" for r in range(v * 5))
        (folder / "SKILL.md").write_text(
            "---\nname: pdf-forms\ndescription: Fill PDF forms. Use when the user asks to fill a PDF form.\n---\n"
            f"# PDF forms\n\n## Procedure\n1. List the fields.\n\n## Pitfalls\n{rules}",
            encoding="utf-8",
        )
        reg.publish(folder, bump="minor", message=f"round {v}")
    print(f"  built {count + 1} skills in {time.perf_counter() - start:.0f} s", flush=True)
    return reg


class Counting:
    """Delegates to the registry and counts calls by method name (to prove the list makes one call)."""

    def __init__(self, registry: Any) -> None:
        self._registry = registry
        self.calls: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._registry, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls[name] += 1
            return attr(*args, **kwargs)

        return call


async def _until(pilot: Any, done: Callable[[], bool], timeout: float = 30.0) -> float:
    start = time.perf_counter()
    while not done():
        if time.perf_counter() - start > timeout:
            raise TimeoutError("the app did not get there in time")
        await pilot.pause(0.002)
    return time.perf_counter() - start


async def drive(registry: Any) -> dict[str, float | int]:
    """Run the app over ``registry`` and time each interaction (seconds)."""
    from textual.widgets import DataTable

    from skillforge.tui.app import make_app
    from skillforge.tui.screens.browser import BrowserScreen
    from skillforge.tui.screens.skill import SkillScreen
    from skillforge.tui.widgets.diff_view import DiffView

    counting = Counting(registry)
    app = make_app(counting)
    figures: dict[str, float | int] = {}
    start = time.perf_counter()
    async with app.run_test(size=(120, 40)) as pilot:
        await _until(
            pilot,
            lambda: (
                isinstance(app.screen, BrowserScreen)
                and app.screen.query_one("#skills", DataTable).row_count > 0
            ),
        )
        figures["startup_to_list_s"] = time.perf_counter() - start
        figures["rows"] = app.screen.query_one("#skills", DataTable).row_count
        figures["registry_calls_for_list"] = sum(counting.calls.values())
        await pilot.press("slash")
        t = time.perf_counter()
        await pilot.press("7")
        await _until(pilot, lambda: app.screen.query_one("#skills", DataTable).row_count < figures["rows"])
        figures["filter_keystroke_s"] = time.perf_counter() - t
        await pilot.press("backspace")
        await _until(pilot, lambda: app.screen.query_one("#skills", DataTable).row_count == figures["rows"])
        for key in "pdf-forms":
            await pilot.press(key)
        opens, diffs = [], []
        for _ in range(REPEAT):
            t = time.perf_counter()
            await pilot.press("enter")
            await _until(pilot, lambda: isinstance(app.screen, SkillScreen) and app.screen.view is not None)
            await pilot.pause()
            opens.append(time.perf_counter() - t)
            await pilot.press("4", "down", "down", "down", "down", "space", "up", "up", "up", "up")
            t = time.perf_counter()
            await pilot.press("d")
            await _until(pilot, lambda: app.screen.query_one("#diff", DiffView).display)
            await pilot.pause()
            diffs.append(time.perf_counter() - t)
            figures["diff_files"] = len(app.screen.query_one("#diff", DiffView).files)
            await pilot.press("escape", "slash")
            await pilot.pause(0.2)
        figures["open_skill_median_s"] = statistics.median(opens)
        figures["open_skill_max_s"] = max(opens)
        figures["diff_median_s"] = statistics.median(diffs)
        figures["diff_max_s"] = max(diffs)
    return figures


def library_figures(registry: Any, runs: int = 5) -> dict[str, float]:
    """Median seconds of the registry calls behind the screens (warm)."""
    from skillforge.tui.data import load_skill

    def median(fn: Callable[[], Any]) -> float:
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    versions = [v.version for v in registry.versions("pdf-forms")]
    return {
        "registry.skills_s": median(registry.skills),
        "load_skill_s": median(lambda: load_skill(registry, "skill-0500")),
        "load_skill_12_versions_s": median(lambda: load_skill(registry, "pdf-forms")),
        "registry.diff_s": median(lambda: registry.diff("pdf-forms", versions[-1], versions[0])),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("-n", type=int, default=1000, help="number of skills (default 1000)")
    parser.add_argument("--registry", type=Path, help="where to build (and reuse) the registry")
    args = parser.parse_args()
    os.environ.setdefault("GIT_AUTHOR_NAME", "bench")
    os.environ.setdefault("GIT_AUTHOR_EMAIL", "bench@example.com")
    os.environ.setdefault("GIT_COMMITTER_NAME", "bench")
    os.environ.setdefault("GIT_COMMITTER_EMAIL", "bench@example.com")
    path = args.registry or Path(tempfile.mkdtemp(prefix="tui-bench-")) / "registry"
    print(f"registry: {path}")
    registry = build_big_registry(path, args.n)
    figures = {**asyncio.run(drive(registry)), **library_figures(registry)}
    registry.close()
    for key, value in figures.items():
        print(f"{key:28} {value:.3f}" if isinstance(value, float) else f"{key:28} {value}")
    slow = [
        k
        for k in ("filter_keystroke_s", "open_skill_max_s", "diff_max_s")
        if float(figures[k]) >= TARGET_SECONDS
    ]
    print("OK: every interaction under 1 s" if not slow else f"SLOW: {', '.join(slow)}")
    if figures["registry_calls_for_list"] != 1:
        print(f"NOTE: the list made {figures['registry_calls_for_list']} registry calls (expected 1)")


if __name__ == "__main__":
    main()
