"""``skillforge tui``: the terminal UI (textual is imported only here, when the command runs)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("tui")
@click.argument("skill", required=False)
@click.option(
    "--registry",
    "registry_path",
    type=click.Path(path_type=Path, file_okay=False),
    default=None,
    help="Registry folder (default: $SKILLFORGE_REGISTRY or ~/.skillforge/registry).",
)
@click.option(
    "--project",
    type=click.Path(path_type=Path, file_okay=False, exists=True),
    default=None,
    help="Project folder for project-scope installs (default: the current folder).",
)
def tui_cmd(skill: str | None, registry_path: Path | None, project: Path | None) -> None:
    """Browse, read, diff, edit, roll back and install skills in the terminal.

    Give SKILL to open that skill directly. Press ? in the app for the keys.
    """
    from skillforge.registry import open_registry
    from skillforge.tui.app import make_app

    registry = open_registry(registry_path)
    if skill is not None:
        registry.resolve(skill)  # an unknown name is one red line here, not an empty screen
    try:
        make_app(registry, project=project, skill=skill).run()
    finally:
        registry.close()
