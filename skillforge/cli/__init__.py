"""The ``skillforge`` command: a root group whose subcommands are imported only when called.

Start-up stays fast because nothing heavy (litellm, textual, git) is imported until a command
that needs it runs; ``tests/cli/test_lazy_imports.py`` holds us to that.
"""

from __future__ import annotations

import os
from typing import Any

import click

from skillforge import __version__

# command name -> "module:attribute"; one module per command group, each short.
COMMANDS: dict[str, str] = {
    "inspect": "skillforge.cli.inspect:inspect_cmd",
    "distill": "skillforge.cli.distill:distill_cmd",
    "validate": "skillforge.cli.validate:validate_cmd",
    "lint": "skillforge.cli.lint:lint_cmd",
    "explain": "skillforge.cli.distill:explain_cmd",
    "publish": "skillforge.cli.registry:publish_cmd",
    "list": "skillforge.cli.registry:list_cmd",
    "log": "skillforge.cli.registry:log_cmd",
    "show": "skillforge.cli.registry:show_cmd",
    "diff": "skillforge.cli.registry:diff_cmd",
    "export": "skillforge.cli.registry:export_cmd",
    "rollback": "skillforge.cli.registry:rollback_cmd",
    "pin": "skillforge.cli.registry:pin_cmd",
    "unpin": "skillforge.cli.registry:unpin_cmd",
    "registry": "skillforge.cli.registry:registry_group",
    "install": "skillforge.cli.install:install_cmd",
    "uninstall": "skillforge.cli.install:uninstall_cmd",
    "update": "skillforge.cli.install:update_cmd",
    "installed": "skillforge.cli.install:installed_cmd",
    "outdated": "skillforge.cli.install:outdated_cmd",
    "hosts": "skillforge.cli.install:hosts_cmd",
    "doctor": "skillforge.cli.doctor:doctor_cmd",
    "usage": "skillforge.cli.doctor:usage_cmd",
    "scan": "skillforge.cli.scan:scan_cmd",
    "eval": "skillforge.cli.eval:eval_cmd",
    "evolve": "skillforge.cli.evolve:evolve_cmd",
    "correct": "skillforge.cli.evolve:correct_cmd",
    "tui": "skillforge.cli.tui:tui_cmd",
}


class LazyGroup(click.Group):
    """A click group that imports a subcommand's module only when that subcommand is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        cmd = super().get_command(ctx, cmd_name)
        if cmd is not None:
            return cmd
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        from skillforge.plugins import load_attr  # with the command's module, not at start-up

        module_name, attr = target.split(":")
        command: click.Command = load_attr(module_name, attr)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # Help lists names with the one-line summary kept here, so --help imports no command module.
        rows = [(name, SUMMARIES.get(name, "")) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        """The one error boundary: library errors become one red line and an exit code, no traceback."""
        from skillforge.errors import SkillforgeError

        try:
            return super().invoke(ctx)
        except SkillforgeError as exc:
            if _debug_enabled():
                raise
            from skillforge.cli._render import printable  # a path in a message must not drive the terminal

            click.secho(f"Error: {printable(str(exc))}", fg="red", err=True)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            if _debug_enabled():
                raise
            click.secho("Interrupted; finished work is kept and a re-run resumes from it.", fg="yellow", err=True)
            ctx.exit(130)


SUMMARIES: dict[str, str] = {
    "inspect": "Detect the format of trace files and count traces, steps, tool calls and errors.",
    "distill": "Turn traces, tickets and documents into skill folders.",
    "lint": "Measure skill quality: run-specific values, vague or duplicate rules, sprawl, boilerplate.",
    "validate": "Check skill folders against the Agent Skills spec (as skills-ref does).",
    "explain": "Show which lessons and traces support each part of a skill.",
    "publish": "Publish a skill folder to the registry as a new version.",
    "list": "List the skills in the registry.",
    "log": "Show a skill's version history.",
    "show": "Print a skill's SKILL.md at a version.",
    "diff": "Show the changes between two versions of a skill.",
    "export": "Write a skill version to a folder.",
    "rollback": "Restore an earlier version as a new version.",
    "pin": "Pin a skill to a version for installs and evolve.",
    "unpin": "Remove a skill's pin.",
    "registry": "Registry maintenance: remotes, push, pull, repair.",
    "install": "Install a skill into agent hosts.",
    "uninstall": "Remove an installed skill from agent hosts.",
    "update": "Update installed skills to the latest or pinned version.",
    "installed": "List installed skills (from the lock files).",
    "outdated": "List installed skills with a newer version available.",
    "hosts": "Show which agent hosts are detected and where they read skills.",
    "doctor": "Check installed skills per host: name collisions, trigger overlaps, listing budgets.",
    "usage": "Count which skills were loaded in agent session logs.",
    "scan": "Scan skills or traces for injection, secrets and dangerous scripts.",
    "eval": "Run eval tasks with and without a skill and compare.",
    "evolve": "Improve a skill from its failures, gated by evaluation.",
    "correct": "Apply a person's correction to a skill as a new version.",
    "tui": "Browse, diff, edit and roll back skills in the terminal.",
}


def _debug_enabled() -> bool:
    return os.environ.get("SKILLFORGE_DEBUG", "") not in ("", "0")


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="skillforge")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """skillforge: distill agent traces into versioned, installable Agent Skills."""
    if debug:
        os.environ["SKILLFORGE_DEBUG"] = "1"


def main(argv: list[str] | None = None) -> Any:
    """Console-script entry point."""
    return cli.main(args=argv, prog_name="skillforge")
