"""Registry commands: publish, list, log, show, diff, export, rollback, pin/unpin, and ``registry ...``.

Each command parses its arguments, makes one call on ``skillforge.registry.Registry`` and renders
the result; errors are ``SkillforgeError``s that the root group prints as one red line.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from skillforge.cli._render import echo_json, info, success, table, warn

F = TypeVar("F", bound=Callable[..., Any])


def registry_option(func: F) -> F:
    return click.option(
        "--registry",
        "registry_path",
        type=click.Path(path_type=Path),
        default=None,
        help="Registry folder (default: $SKILLFORGE_REGISTRY or ~/.skillforge/registry).",
    )(func)


def json_option(func: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print JSON.")(func)


def _open(path: Path | None) -> Any:
    from skillforge.registry import open_registry

    return open_registry(path)


def _ref(text: str) -> tuple[str, str | None]:
    """``name`` or ``name@version``."""
    name, sep, version = text.partition("@")
    return name, (version or None) if sep else None


def _warnings(result: Any) -> None:
    for line in result.warnings:
        warn(f"warning: {line}")


@click.command("publish")
@click.argument("skill_dirs", metavar="SKILL_DIR...", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--bump", type=click.Choice(["major", "minor", "patch"]), default="patch", show_default=True)
@click.option("--version", "version", default=None, help="Exact version (X.Y.Z); must be above the latest.")
@click.option("-m", "--message", default=None, help="What changed and why.")
@click.option("--changelog", multiple=True, help="A changelog line (repeatable).")
@click.option(
    "--provenance",
    type=click.Path(path_type=Path, dir_okay=False),
    help="JSON file stored beside the version.",
)
@click.option("--force", is_flag=True, help="Publish despite high-severity security findings (recorded).")
@click.option("--acknowledge", default=None, help="Why forcing is safe (required with --force; recorded).")
@click.option(
    "--replace",
    is_flag=True,
    help="Publish this folder as the next version although NAME was published from another folder.",
)
@registry_option
@json_option
def publish_cmd(
    skill_dirs: tuple[Path, ...],
    bump: str,
    version: str | None,
    message: str | None,
    changelog: tuple[str, ...],
    provenance: Path | None,
    force: bool,
    acknowledge: str | None,
    replace: bool,
    registry_path: Path | None,
    as_json: bool,
) -> None:
    """Publish each SKILL_DIR as a new version (one commit and one tag NAME@VERSION).

    A folder of skill folders stands for each of them (`publish out/`). The version
    is the folder's metadata.version when that is newer than the latest, else the --bump. The
    folder is recorded as the skill's source: publishing a different folder under the same name
    asks for --replace instead of silently becoming its next version.
    """
    from skillforge.hosts.sources import skill_folders

    # A folder of skill folders stands for each; anything else goes to publish, which says what is wrong.
    folders = [f for d in skill_dirs for f in ((skill_folders(d) or [d]) if d.is_dir() else [d])]
    if version is not None and len(folders) > 1:
        raise click.UsageError("--version names one version; give one skill folder")
    reg = _open(registry_path)
    results = []
    for folder in folders:
        result = reg.publish(
            folder,
            bump=bump,
            version=version,
            message=message,
            changelog=list(changelog) or None,
            provenance=provenance,
            force=force,
            acknowledge=acknowledge,
            check_source=True,
            replace=replace,
        )
        results.append(result)
        if as_json:
            continue
        _warnings(result)
        if result.created:
            success(f"published {result.name}@{result.version} (commit {result.commit[:12]})")
        else:
            info(f"{result.name}: {result.reason}")
    if as_json:
        echo_json(results[0] if len(results) == 1 else results)


@click.command("list")
@registry_option
@json_option
def list_cmd(registry_path: Path | None, as_json: bool) -> None:
    """List the skills in the registry with their latest version."""
    reg = _open(registry_path)
    if registry_path is not None or (reg.path.exists() and not reg.path.is_dir()):
        reg.require()  # a mistyped --registry (or SKILLFORGE_REGISTRY) is an error, not an empty registry
    skills = reg.skills()
    if as_json:
        echo_json(skills)
    elif not skills:
        info(f"no skills in {reg.path} yet; add one with `skillforge publish SKILL_DIR`")
    else:
        rows = [
            (
                s.name,
                s.latest,
                s.pinned or "",
                s.versions,
                s.updated.strftime("%Y-%m-%d"),
                _clip(s.description, 60),
            )
            for s in skills
        ]
        info(table(["NAME", "LATEST", "PINNED", "VERSIONS", "UPDATED", "DESCRIPTION"], rows))


@click.command("log")
@click.argument("name")
@registry_option
@json_option
def log_cmd(name: str, registry_path: Path | None, as_json: bool) -> None:
    """Show NAME's versions, newest first: version, date, author, message, changelog."""
    reg = _open(registry_path)
    versions = reg.versions(name)
    if as_json:
        echo_json(versions)
        return
    pinned = reg.pins().get(name)
    from skillforge.evolve.report import accepted_lines, event_date, log_entries, rejected_lines

    for v in log_entries(versions, reg.events(name)):
        if isinstance(v, dict):  # an evolve round the gate rejected: recorded, never published
            lines = rejected_lines(v)
            head = click.style(f"{name} (no version)", fg="red", bold=True)
            click.echo(f"{head}  {event_date(v):%Y-%m-%d %H:%M}  {lines[0] if lines else 'evolve round rejected'}")
            for line in lines[1:]:
                click.echo(f"    {line}")
            continue
        notes = [f"rolled back from {v.rolled_back_from}"] if v.rolled_back_from else []
        notes += ["pinned"] if v.version == pinned else []
        head = click.style(f"{v.name}@{v.version}", fg="yellow", bold=True)
        title = v.message.splitlines()[0] if v.message else ""
        suffix = f"  ({', '.join(notes)})" if notes else ""
        click.echo(f"{head}  {v.date:%Y-%m-%d %H:%M}  {v.author}  {title}{suffix}")
        for line in v.changelog:
            click.echo(f"    - {line}")
        for line in accepted_lines(v.extra):
            click.echo(f"    {line}")


@click.command("show")
@click.argument("ref", metavar="NAME[@VERSION]")
@click.option("--file", "relpath", default="SKILL.md", show_default=True, help="File to print.")
@click.option("--files", "list_files", is_flag=True, help="List the version's files instead.")
@registry_option
@json_option
def show_cmd(ref: str, relpath: str, list_files: bool, registry_path: Path | None, as_json: bool) -> None:
    """Print a file of a skill version (default: SKILL.md of the pinned or latest version)."""
    reg = _open(registry_path)
    name, version = _ref(ref)
    if as_json:
        record = reg.version(name, version)
        echo_json(
            {
                "version": record,
                "files": sorted(reg.file_bytes(name, record.version)),
                "provenance": reg.provenance(name, record.version),
            }
        )
    elif list_files:
        for path, data in sorted(reg.file_bytes(name, version).items()):
            info(f"{len(data):>8}  {path}")
    else:
        click.echo(reg.read_file(name, version, relpath), nl=False)


@click.command("diff")
@click.argument("name")
@click.argument("v1")
@click.argument("v2", required=False)
@click.option(
    "--color/--no-color", default=None, help="Colour the diff (default: when stdout is a terminal)."
)
@registry_option
def diff_cmd(name: str, v1: str, v2: str | None, color: bool | None, registry_path: Path | None) -> None:
    """Show a unified diff of every file from V1 to V2 (default: the latest version)."""
    text = _open(registry_path).diff(name, v1, v2)
    if not text:
        info(f"{name}: no differences between {v1} and {v2 or 'the latest version'}")
        return
    for line in text.splitlines():
        click.echo(_colour(line), color=color)


def _colour(line: str) -> str:
    if line.startswith(("+++", "---", "diff ")):
        return click.style(line, bold=True)
    if line.startswith("@@"):
        return click.style(line, fg="cyan")
    if line.startswith("+"):
        return click.style(line, fg="green")
    if line.startswith("-"):
        return click.style(line, fg="red")
    return line


@click.command("export")
@click.argument("refs", metavar="[NAME[@VERSION]]...", nargs=-1)
@click.option(
    "-o",
    "--output",
    "dest",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write into.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["folder", "claude-marketplace", "agents-dir", "zip"]),
    default="folder",
    show_default=True,
    help="folder: DEST/NAME for one skill; claude-marketplace: a Claude Code plugin marketplace; "
    "agents-dir: DEST/.agents/skills; zip: DEST/NAME-VERSION.zip each.",
)
@click.option("--marketplace", "marketplace", default="skillforge-skills", show_default=True,
              help="Marketplace name (claude-marketplace).")
@click.option("--owner", default="skillforge", show_default=True, help="Owner/author name (claude-marketplace).")
@click.option("--group-by", type=click.Choice(["skill", "tag"]), default="skill", show_default=True,
              help="One plugin per skill, or per registry tag (claude-marketplace).")
@click.option("--force", is_flag=True, help="Replace what an earlier export wrote there.")
@registry_option
@json_option
def export_cmd(
    refs: tuple[str, ...],
    dest: Path,
    fmt: str,
    marketplace: str,
    owner: str,
    group_by: str,
    force: bool,
    registry_path: Path | None,
    as_json: bool,
) -> None:
    """Write skill versions (default: pinned or latest) to DEST: one folder, a Claude Code plugin
    marketplace (`claude plugin marketplace add DEST`), an .agents/skills tree, or zips.

    With no NAME, the other formats export every skill in the registry.
    """
    if fmt == "folder":
        if len(refs) != 1:
            raise click.UsageError("--format folder exports exactly one NAME[@VERSION]")
        name, version = _ref(refs[0])
        reg = _open(registry_path)
        resolved = reg.resolve(name, version)
        path = reg.export(name, resolved, dest, replace=force)
        success(f"wrote {name}@{resolved} to {path}")
        return
    from skillforge.hosts.marketplace import export

    report = export(dest, refs, fmt=fmt, registry_path=registry_path, marketplace=marketplace,  # type: ignore[arg-type]
                    owner=owner, group_by=group_by, force=force)  # type: ignore[arg-type]
    if as_json:
        echo_json(report)
        return
    info(table(["NAME", "VERSION", "PLUGIN", "PATH"], [[s.name, s.version, s.plugin or "-", s.path] for s in report.skills]))
    if report.marketplace:
        success(f"wrote marketplace {report.marketplace} ({len(report.plugins)} plugins) to {dest}")
        info(f"add it with: claude plugin marketplace add {dest}")
    else:
        success(f"wrote {len(report.skills)} skills ({fmt}) to {dest}")


@click.command("rollback")
@click.argument("name")
@click.argument("version")
@click.option("-m", "--message", default=None, help="Why (default: 'roll back to VERSION').")
@registry_option
def rollback_cmd(name: str, version: str, message: str | None, registry_path: Path | None) -> None:
    """Publish VERSION's content again as a new version (history is kept)."""
    result = _open(registry_path).rollback(name, version, message)
    _warnings(result)
    if result.created:
        success(f"rolled {name} back to {version} as {name}@{result.version}")
    else:
        info(f"{name}: {result.reason}")


@click.command("pin")
@click.argument("name")
@click.argument("version")
@click.option("-m", "--message", default=None, help="Why it is pinned.")
@registry_option
def pin_cmd(name: str, version: str, message: str | None, registry_path: Path | None) -> None:
    """Hold NAME at VERSION for installs, updates and evolve."""
    _open(registry_path).pin(name, version, message)
    success(f"pinned {name} to {version}")


@click.command("unpin")
@click.argument("name")
@registry_option
def unpin_cmd(name: str, registry_path: Path | None) -> None:
    """Remove NAME's pin (installs use the latest version again)."""
    if _open(registry_path).unpin(name):
        success(f"unpinned {name}")
    else:
        info(f"{name} was not pinned")


@click.group("registry")
def registry_group() -> None:
    """Registry maintenance: init, remotes, push, pull, fsck, repair."""


@registry_group.command("init")
@registry_option
def init_cmd(registry_path: Path | None) -> None:
    """Create the registry (a git repository) if it does not exist."""
    success(f"registry ready at {_open(registry_path).init()}")


@registry_group.group("remote")
def remote_group() -> None:
    """Manage the git remotes the registry pushes to and pulls from."""


@remote_group.command("add")
@click.argument("name")
@click.argument("url")
@registry_option
def remote_add_cmd(name: str, url: str, registry_path: Path | None) -> None:
    """Add remote NAME at URL (a bare git repository; path or URL)."""
    _open(registry_path).add_remote(name, url)
    success(f"added remote {name} -> {url}")


@remote_group.command("list")
@registry_option
@json_option
def remote_list_cmd(registry_path: Path | None, as_json: bool) -> None:
    """List remotes."""
    remotes = _open(registry_path).remotes()
    if as_json:
        echo_json(remotes)
    else:
        info(table(["NAME", "URL"], [(r.name, r.url) for r in remotes]) if remotes else "no remotes")


@remote_group.command("remove")
@click.argument("name")
@registry_option
def remote_remove_cmd(name: str, registry_path: Path | None) -> None:
    """Remove remote NAME."""
    _open(registry_path).remove_remote(name)
    success(f"removed remote {name}")


@registry_group.command("push")
@click.argument("remote", default="origin")
@registry_option
def push_cmd(remote: str, registry_path: Path | None) -> None:
    """Push main and every version tag to REMOTE."""
    result = _open(registry_path).push(remote)
    success(f"{remote}: {result.action}" + (f", {len(result.tags)} version(s) sent" if result.tags else ""))


@registry_group.command("clone")
@click.argument("url")
@registry_option
def clone_cmd(url: str, registry_path: Path | None) -> None:
    """Start a registry from a teammate's shared remote URL (it becomes `origin`)."""
    from skillforge.errors import InputError

    reg = _open(registry_path)
    if reg.exists() and reg.skills():
        raise InputError("the registry already holds skills", path=reg.path, hint="use `registry remote add` + `pull`")
    reg.init()
    reg.add_remote("origin", url)
    result = reg.pull("origin")
    success(f"cloned {url} into {reg.path}: {len(reg.skills())} skill(s)" + (f", {len(result.tags)} version(s)" if result.tags else ""))


@registry_group.command("pull")
@click.argument("remote", default="origin")
@registry_option
def pull_cmd(remote: str, registry_path: Path | None) -> None:
    """Fetch REMOTE and merge it; a conflict stops with nothing changed."""
    result = _open(registry_path).pull(remote)
    success(f"{remote}: {result.action}" + (f", {len(result.tags)} new version(s)" if result.tags else ""))


@registry_group.command("fsck")
@click.option("--quick", is_flag=True, help="Skip git's own object check.")
@registry_option
@json_option
def fsck_cmd(quick: bool, registry_path: Path | None, as_json: bool) -> None:
    """Check the registry; exit 1 when something is wrong.

    Also reports settings in the registry's own .git/config that would make git run a program
    (hooks, fsmonitor, filters, ssh or credential commands), and a damaged .git/HEAD or config.
    """
    _report(_open(registry_path).fsck(full=not quick), as_json)


@registry_group.command("repair")
@registry_option
@json_option
def repair_cmd(registry_path: Path | None, as_json: bool) -> None:
    """Repair what an interrupted command left behind, then check again.

    Also removes program-running settings from the registry's .git/config and rebuilds an empty
    or garbage .git/HEAD or .git/config from the refs and tags.
    """
    _report(_open(registry_path).repair(), as_json)


def _report(report: Any, as_json: bool) -> None:
    if as_json:
        echo_json(report)
    else:
        for line in report.repaired:
            success(f"repaired: {line}")
        for finding in report.findings:
            fix = " (fixable: `skillforge registry repair`)" if finding.fixable else ""
            warn(f"{finding.kind}: {finding.message}{fix}")
        if report.ok:
            success(f"registry {report.path} is consistent")
    if not report.ok:
        raise SystemExit(1)


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"
