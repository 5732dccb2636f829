"""Write the README's screenshot of the TUI's history/diff screen: ``docs/tui-history-diff.svg`` (kept out of examples/, which holds only input traces).

    python benchmarks/tui_screenshot.py
    python benchmarks/tui_screenshot.py --out /tmp/shot.svg --size 100x32 --split

Builds the demo registry the TUI tests use (pdf-forms: three versions, provenance, one accepted and
one rejected evolve round) in a temporary folder with fixed dates, opens pdf-forms, goes to
History, marks 0.1.0, highlights 0.3.0 and presses d. The output is byte-stable for a given
textual version.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the demo registry lives with the TUI tests

from skillforge.tui.app import make_app
from tests.tui.demo_registry import Clock, build_registry


async def shoot(registry: object, out: Path, size: tuple[int, int], split: bool) -> None:
    """Drive the app like a person and save what the terminal shows."""
    app = make_app(registry)
    async with app.run_test(size=size) as pilot:

        async def settle() -> None:
            await pilot.pause()
            await app.workers.wait_for_complete()
            await pilot.pause()

        await settle()
        await pilot.press("slash", *"pdf", "enter")
        await settle()
        await pilot.press("4", "down", "down", "down", "space", "up", "up", "up", "d")
        await settle()
        if split:
            await pilot.press("s")
            await settle()
        out.parent.mkdir(parents=True, exist_ok=True)
        app.save_screenshot(filename=out.name, path=str(out.parent))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "tui-history-diff.svg")
    parser.add_argument("--size", default="100x32", help="terminal WIDTHxHEIGHT (default 100x32)")
    parser.add_argument("--split", action="store_true", help="show the diff side by side")
    args = parser.parse_args()
    width, height = (int(n) for n in args.size.lower().split("x"))
    for var, value in {
        "GIT_AUTHOR_NAME": "Dana Reviewer",
        "GIT_AUTHOR_EMAIL": "dana@example.com",
        "GIT_COMMITTER_NAME": "Dana Reviewer",
        "GIT_COMMITTER_EMAIL": "dana@example.com",
        "GIT_CONFIG_NOSYSTEM": "1",
    }.items():
        os.environ[var] = value
    monkeypatch = pytest.MonkeyPatch()
    with tempfile.TemporaryDirectory(prefix="tui-shot-") as tmp:
        os.environ["GIT_CONFIG_GLOBAL"] = str(Path(tmp) / "gitconfig")
        registry = build_registry(Path(tmp) / "registry", Path(tmp) / "src", Clock(monkeypatch))
        try:
            asyncio.run(shoot(registry, args.out, (width, height), args.split))
        finally:
            registry.close()
            monkeypatch.undo()
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
