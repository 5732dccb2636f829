"""``skillforge install | uninstall | update | installed | hosts``: thin commands over skillforge.hosts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from skillforge.cli._render import echo_json, info, success, table, warn

if TYPE_CHECKING:
    from skillforge.hosts.results import InstallReport
    from skillforge.models.lock import Scope

_F = TypeVar("_F", bound=Callable[..., Any])

_scope_options = [
    click.option(
        "--project",
        "project",
        type=click.Path(file_okay=False, path_type=Path),
        help="Project folder (default: the current folder).",
    ),
    click.option("--global", "is_global", is_flag=True, help="User-level (global) skill folders instead."),
]


def scope_options(func: _F) -> _F:
    for option in reversed(_scope_options):
        func = option(func)
    return func


def _scope(project: Path | None, is_global: bool) -> Scope:
    if project is not None and is_global:
        raise click.UsageError("--project and --global exclude each other")
    return "global" if is_global else "project"


def _hosts(values: tuple[str, ...]) -> list[str] | None:
    names = [n.strip() for v in values for n in v.split(",") if n.strip()]
    return names or None


host_option = click.option(
    "--host",
    "hosts",
    multiple=True,
    metavar="HOST",
    help="Agent host (repeat or comma-separate; see `skillforge hosts`).",
)
json_option = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")


@click.command("install")
@click.argument("sources", nargs=-1)
@host_option
@click.option(
    "--all-detected", is_flag=True, help="Every host detected on this machine (the default without --host)."
)
@scope_options
@click.option(
    "--link", is_flag=True, help="Symlink instead of copying (hosts that ignore symlinks get a copy)."
)
@click.option(
    "--force", is_flag=True, help="Replace folders skillforge did not install; install despite failed checks."
)
@click.option(
    "--acknowledge", metavar="WHY", help="With --force: why high-severity scan findings are safe (recorded)."
)
@click.option(
    "--replace", is_flag=True, help="Replace a skill of the same name installed from a different source."
)
@click.option("--all", "all_skills", is_flag=True, help="SOURCE is a folder of skill folders: install each one.")
@click.option(
    "--frozen",
    is_flag=True,
    help="Install exactly what skills-lock.json records (no SOURCE); fail and change nothing on any mismatch.",
)
@click.option("--registry", "registry", type=click.Path(path_type=Path), help="Registry to resolve NAME in.")
@json_option
def install_cmd(
    sources: tuple[str, ...],
    hosts: tuple[str, ...],
    all_detected: bool,
    project: Path | None,
    is_global: bool,
    link: bool,
    force: bool,
    acknowledge: str | None,
    replace: bool,
    all_skills: bool,
    frozen: bool,
    registry: Path | None,
    as_json: bool,
) -> None:
    """Install SOURCES into agent hosts: NAME[@VERSION], a folder, a .zip/.skill/.tar.gz, or GIT_URL[#subdir].

    Each skill is validated (and scanned) first, written to a temporary folder and renamed into
    place, and recorded in skills-lock.json at the project root (the nearest folder up with .git or
    a skills-lock.json; the global lock for --global). `--frozen` restores a checkout from its lock.
    """
    from skillforge.hosts import install

    if hosts and all_detected:
        raise click.UsageError("--host and --all-detected exclude each other")
    scope = _scope(project, is_global)
    if frozen:
        if sources or is_global:
            raise click.UsageError("--frozen takes no SOURCE and works on the project lock")
        _frozen(project, registry, as_json)
        return
    if not sources:
        raise click.UsageError("give a SOURCE to install (or --frozen to install from the lock)")
    expanded = _expand(sources, all_skills)
    reports = []
    for source in expanded:
        report = install(
            source,
            hosts=_hosts(hosts),
            scope=scope,
            project=project,
            link=link,
            force=force,
            acknowledge=acknowledge,
            registry_path=registry,
            replace=replace,
        )
        reports.append(report)
        if not as_json:
            _show_install(report, scope)
    if as_json:
        echo_json(reports[0] if len(sources) == 1 and not all_skills else reports)


def _expand(sources: tuple[str, ...], all_skills: bool) -> list[str]:
    """With ``--all``, each SOURCE folder stands for every skill folder (holding SKILL.md) under it."""
    if not all_skills:
        return list(sources)
    from skillforge.hosts.sources import skill_folders

    found = [str(f) for s in sources for f in skill_folders(Path(s))]
    if not found:
        raise click.UsageError(f"no skill folders (with SKILL.md) under {', '.join(sources)}")
    return found


def _show_install(report: InstallReport, scope: str) -> None:
    version = f" {report.version}" if report.version else ""
    where = "global skill folders" if scope == "global" else f"project {Path(report.lock_file).parent}"
    success(f"Installed {report.name}{version} from {report.source.ref} ({report.source.kind}) into {where}")
    ours = {p.host for p in report.placements}
    rows = []
    for p in report.placements:
        others = [h for h in p.also_read_by if h not in ours]
        rows.append([p.host, p.path, p.mode, f"also read by {', '.join(others)}" if others else ""])
    info(table(["HOST", "PATH", "MODE", ""], rows))
    info(f"Lock file: {report.lock_file}")
    for notice in report.notices:
        warn(notice)


def _frozen(project: Path | None, registry: Path | None, as_json: bool) -> None:
    from skillforge.hosts.frozen import install_frozen

    report = install_frozen(project, registry_path=registry)
    if as_json:
        echo_json(report)
        return
    for row in report.restored:
        info(f"restored   {row}")
    for row in report.other_tools:
        info(f"restored   {row} (other tool's entry, into .agents/skills)")
    for row in report.skipped:
        warn(f"skipped    {row}")
    done = len(report.restored) + len(report.other_tools)
    success(f"Installed {done} from {report.lock_file} ({len(report.unchanged)} already in place)")


@click.command("uninstall")
@click.argument("name")
@host_option
@scope_options
@click.option("--force", is_flag=True, help="Remove installed files even if they were edited by hand.")
@json_option
def uninstall_cmd(
    name: str, hosts: tuple[str, ...], project: Path | None, is_global: bool, force: bool, as_json: bool
) -> None:
    """Remove NAME from agent hosts: only the folders the lock file says skillforge installed."""
    from skillforge.hosts import uninstall

    scope: Scope | None = "global" if is_global else ("project" if project else None)
    _scope(project, is_global)
    report = uninstall(name, hosts=_hosts(hosts), scope=scope, project=project, force=force)
    if as_json:
        echo_json(report)
        return
    for removal in report.removals:
        what = "removed" if removal.removed else "kept (still used by another host, or already gone)"
        info(f"{removal.host:12}  {removal.path}  {what}")
    success(
        f"Uninstalled {name} ({len(report.removals)} host entr{'y' if len(report.removals) == 1 else 'ies'})"
    )


@click.command("update")
@click.argument("name", required=False)
@host_option
@scope_options
@click.option("--force", is_flag=True, help="Overwrite installed files even if they were edited by hand.")
@click.option(
    "--acknowledge", metavar="WHY", help="With --force: why high-severity scan findings are safe (recorded)."
)
@click.option("--registry", "registry", type=click.Path(path_type=Path), help="Registry to resolve names in.")
@click.option("--dry-run", is_flag=True, help="Only list what would change (as `outdated`); exit 1 if anything would.")
@json_option
def update_cmd(
    name: str | None,
    hosts: tuple[str, ...],
    project: Path | None,
    is_global: bool,
    force: bool,
    acknowledge: str | None,
    registry: Path | None,
    dry_run: bool,
    as_json: bool,
) -> None:
    """Update installed skills (all, or NAME) to the latest or pinned version from where they came from.

    Copies that were edited by hand are reported as drift and left alone unless --force.
    """
    from skillforge.hosts import update

    scope: Scope | None = "global" if is_global else ("project" if project else None)
    _scope(project, is_global)
    if dry_run:
        _outdated(project, scope, registry, as_json, name)
        return
    outcomes = update(
        name,
        hosts=_hosts(hosts),
        scope=scope,
        project=project,
        force=force,
        acknowledge=acknowledge,
        registry_path=registry,
    )
    if as_json:
        echo_json(outcomes)
    else:
        rows = []
        for o in outcomes:
            change = (
                f"{o.old_version or '-'} -> {o.new_version or '-'}"
                if o.action == "updated"
                else (o.new_version or "")
            )
            rows.append([o.name, o.host, o.scope, o.action, change, o.detail])
        info(
            table(["NAME", "HOST", "SCOPE", "RESULT", "VERSION", "DETAIL"], rows)
            if rows
            else "Nothing installed."
        )
    if any(o.action == "failed" for o in outcomes):
        raise SystemExit(1)


@click.command("installed")
@scope_options
@click.option(
    "--check", is_flag=True, help="Exit 1 when anything differs from the lock: modified, missing or extra skills."
)
@json_option
def installed_cmd(project: Path | None, is_global: bool, check: bool, as_json: bool) -> None:
    """List installed skills from the lock files, with drift: ok, modified (edited by hand) or missing.

    Skills another tool (the `skills` CLI) recorded in the same skills-lock.json are listed too.
    """
    from skillforge.hosts import installed, other_tools

    scope: Scope | None = "global" if is_global else ("project" if project else None)
    _scope(project, is_global)
    if check:
        _check(project, scope, as_json)
        return
    rows = installed(project=project, scope=scope)
    others = other_tools(project=project, scope=scope)
    if as_json:
        echo_json(rows)
        return
    if not rows and not others:
        info("No skills installed by skillforge here (see `skillforge install --help`).")
        return
    info(
        table(
            ["NAME", "VERSION", "HOST", "SCOPE", "STATUS", "PATH"],
            [
                [r.entry.name, r.entry.version or "-", r.entry.host, r.entry.scope, r.status, r.entry.path]
                for r in rows
            ]
            + [[o.name, "-", "(other tool)", "project", "other tool", f"{o.source_type} {o.source}"] for o in others],
        )
    )
    drifted = [r for r in rows if r.status in ("modified", "missing")]
    if drifted:
        copies = "copy differs" if len(drifted) == 1 else "copies differ"
        warn(f"{len(drifted)} installed {copies} from the lock file (edited by hand or missing)")
    for r in rows:
        if r.status == "refused":
            warn(f"{r.lock_file}: {r.detail}")


@click.command("hosts")
@click.option("--project", type=click.Path(file_okay=False, path_type=Path), help="Project folder.")
@click.option("--reads", is_flag=True, help="Also list every folder each host reads skills from.")
@json_option
def hosts_cmd(project: Path | None, reads: bool, as_json: bool) -> None:
    """Show which agent hosts are detected here and where each reads skills (user and project)."""
    from skillforge.hosts import list_hosts

    infos = list_hosts(project)
    if as_json:
        echo_json(infos)
        return
    home = str(Path.home())
    base = str((project or Path.cwd()).absolute())

    def short(path: str | None) -> str:
        if path is None:
            return "-"
        if path.startswith(base + "/"):
            return path[len(base) + 1 :]
        return "~" + path[len(home) :] if path.startswith(home + "/") else path

    rows = [
        [
            h.name,
            "yes" if h.detected else "no",
            h.reason if h.detected else "",
            short(h.global_dir),
            short(h.project_dir),
            h.verified,
        ]
        for h in infos
    ]
    info(table(["HOST", "DETECTED", "WHY", "GLOBAL", "PROJECT", "VERIFIED"], rows))
    if reads:
        for h in infos:
            folders = [short(p) for p in h.global_reads + h.project_reads]
            info(f"{h.name} reads: {', '.join(folders)}")


def _check(project: Path | None, scope: Scope | None, as_json: bool) -> None:
    from skillforge.hosts.frozen import check

    rows = check(project=project, scope=scope)
    bad = [r for r in rows if r.status != "ok"]
    if as_json:
        echo_json(rows)
    else:
        info(table(["NAME", "HOST", "STATUS", "PATH", "DETAIL"], [[r.name, r.host, r.status, r.path, r.detail] for r in rows]))
        if bad:
            warn(f"{len(bad)} installed skill(s) differ from the lock")
        else:
            success(f"All {len(rows)} installed skill(s) match the lock")
    if bad:
        raise SystemExit(1)


def _outdated(project: Path | None, scope: Scope | None, registry: Path | None, as_json: bool, name: str | None = None) -> None:
    from skillforge.hosts.frozen import outdated

    rows = [r for r in outdated(project, scope, registry_path=registry) if name is None or r.name == name]
    if as_json:
        echo_json(rows)
    elif rows:
        info(table(["NAME", "HOSTS", "INSTALLED", "AVAILABLE", "DETAIL"],
                   [[r.name, ", ".join(r.hosts), r.current or "-", r.available or "-", r.detail] for r in rows]))
    else:
        success("Everything installed is up to date")
    if rows:
        raise SystemExit(1)


@click.command("outdated")
@scope_options
@click.option("--registry", "registry", type=click.Path(path_type=Path), help="Registry to resolve names in.")
@json_option
def outdated_cmd(project: Path | None, is_global: bool, registry: Path | None, as_json: bool) -> None:
    """List installed skills whose source holds a newer version; exit 1 if there are any."""
    scope: Scope | None = "global" if is_global else ("project" if project else None)
    _scope(project, is_global)
    _outdated(project, scope, registry, as_json)
