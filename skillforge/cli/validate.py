"""``skillforge validate``: the Agent Skills spec as skills-ref applies it, plus our advice."""

from __future__ import annotations

import json
from pathlib import Path

import click

from skillforge.skills.validate import ValidationReport, validate_skill


def _skill_dirs(path: Path) -> list[Path]:
    """A skill folder, a SKILL.md, or a folder of skill folders (each child with a SKILL.md)."""
    if path.is_file() or (path / "SKILL.md").exists() or (path / "skill.md").exists():
        return [path]
    if path.is_dir():
        children = sorted(p for p in path.iterdir() if p.is_dir() and ((p / "SKILL.md").exists() or (p / "skill.md").exists()))
        if children:
            return children
    return [path]


@click.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--strict", is_flag=True, help="Treat warnings (skillforge's own advice) as failures.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list of reports.")
def validate_cmd(paths: tuple[Path, ...], strict: bool, as_json: bool) -> None:
    """Validate skill folders (or folders of skills) against the Agent Skills spec.

    Errors are the spec rules exactly as the reference validator skills-ref applies them;
    warnings are skillforge's advice (SKILL.md under 500 lines, a description that says when
    to use the skill) and fail only with --strict.
    """
    reports: list[ValidationReport] = [validate_skill(d) for p in paths for d in _skill_dirs(p)]
    failed = [r for r in reports if not r.ok(strict)]
    if as_json:
        payload = [
            {"path": r.path, "valid": r.ok(strict), "problems": [p.model_dump() for p in r.problems]} for r in reports
        ]
        click.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        for report in reports:
            mark = click.style("ok", fg="green") if report.ok(strict) else click.style("FAIL", fg="red")
            click.echo(f"{mark}  {report.path}")
            for problem in report.problems:
                where = problem.file or ""
                if problem.line:
                    where += f":{problem.line}"
                colour = "red" if problem.severity == "error" or strict else "yellow"
                label = click.style(problem.severity, fg=colour)
                click.echo(f"    {label}: {where + ': ' if where else ''}{problem.message}")
        click.echo(f"{len(reports) - len(failed)} of {len(reports)} skill(s) valid")
    if failed:
        raise SystemExit(1)
