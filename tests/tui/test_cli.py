"""``skillforge tui``: option parsing and errors before the app starts (the app itself is tested with Pilot)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.registry import Registry


def test_unknown_skill_is_one_red_line(registry: Registry) -> None:
    result = CliRunner().invoke(cli, ["tui", "no-such-skill", "--registry", str(registry.path)])
    assert result.exit_code == 1
    assert result.output == (
        f"Error: {registry.path}: no skill named 'no-such-skill' in the registry (`skillforge list` shows them)\n"
    )


def test_help_names_the_keys_help(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["tui", "--help"])
    assert result.exit_code == 0
    assert "Press ? in the app for the keys." in result.output
    assert "--project" in result.output and "--registry" in result.output
