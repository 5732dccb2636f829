"""``skillforge tui``: the terminal UI (textual is imported only here, when the command runs)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("tui")
@click.option("--registry", "registry_path", type=click.Path(path_type=Path), help="Registry folder (default: ~/.skillforge/registry).")
def tui_cmd(registry_path: Path | None) -> None:
    """Browse, read, diff, edit and roll back skills in the terminal."""
    from skillforge.registry import open_registry
    from skillforge.tui.app import make_app

    make_app(open_registry(registry_path)).run()
