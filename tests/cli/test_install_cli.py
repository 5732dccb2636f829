"""The install command group end to end through click: install, installed, update, uninstall, hosts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli

from ..factories import skill_md, write_skill_folder


def _text(version: str) -> str:
    description = "Extract text and tables from PDF files. Use when the user asks about the content of a PDF."
    body = "\n# PDF tools\n\nRun `pdftotext FILE.pdf -`.\n"
    return skill_md("pdf-tools", description, body, frontmatter=f'metadata:\n  version: "{version}"')


@pytest.fixture
def skill(tmp_path: Path) -> Path:
    return write_skill_folder(tmp_path / "src/pdf-tools", _text("1.0.0"))


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    return folder


def run(*args: str) -> object:
    return CliRunner().invoke(cli, list(args))


def test_install_installed_update_uninstall(skill: Path, project: Path) -> None:
    result = run("install", str(skill), "--host", "claude-code,codex", "--project", str(project))
    assert result.exit_code == 0, result.output
    assert f"Installed pdf-tools 1.0.0 from {skill} (path) into project {project}" in result.output
    assert ".claude/skills/pdf-tools" in result.output and ".agents/skills/pdf-tools" in result.output
    assert "also read by amp, copilot" in result.output
    assert f"Lock file: {project / 'skills-lock.json'}" in result.output

    result = run("installed", "--project", str(project))
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert lines[0].split() == ["NAME", "VERSION", "HOST", "SCOPE", "STATUS", "PATH"]
    assert lines[1].split() == [
        "pdf-tools",
        "1.0.0",
        "claude-code",
        "project",
        "ok",
        ".claude/skills/pdf-tools",
    ]

    (project / ".claude/skills/pdf-tools/SKILL.md").write_text("edited\n")
    write_skill_folder(skill, _text("1.1.0"))
    result = run("installed", "--project", str(project))
    assert "modified" in result.output and "1 installed copy differs" in result.output

    result = run("update", "--project", str(project))
    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line for line in result.output.splitlines()[1:]}
    assert "drift-skipped" in rows["claude-code"]
    assert "updated" in rows["codex"] and "1.0.0 -> 1.1.0" in rows["codex"]

    result = run("uninstall", "pdf-tools", "--project", str(project))
    assert result.exit_code == 1
    assert result.output.count("\n") == 1 and "edited by hand" in result.output, "one red line, no traceback"
    result = run("uninstall", "pdf-tools", "--project", str(project), "--force")
    assert result.exit_code == 0, result.output
    assert "Uninstalled pdf-tools (2 host entries)" in result.output
    assert not (project / "skills-lock.json").exists()


def test_json_output_and_global_scope(skill: Path) -> None:
    result = run("install", str(skill), "--host", "windsurf", "--global", "--json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert report["scope"] == "global"
    assert report["placements"] == [
        {
            "host": "windsurf",
            "path": "~/.codeium/windsurf/skills/pdf-tools",
            "mode": "copy",
            "also_read_by": [],
        }
    ]
    rows = json.loads(run("installed", "--global", "--json").output)
    assert [(r["entry"]["host"], r["status"]) for r in rows] == [("windsurf", "ok")]


def test_hosts_shows_detection_and_folders(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(
        "PATH", str(tmp_path / "empty-bin")
    )  # agent CLIs installed on this machine don't count
    for var in ("CLAUDE_CONFIG_DIR", "CODEX_HOME"):
        monkeypatch.delenv(var, raising=False)
    (Path.home() / ".claude").mkdir()
    result = run("hosts", "--project", str(project))
    assert result.exit_code == 0
    rows = {line.split()[0]: line.split() for line in result.output.splitlines()[1:]}
    assert rows["claude-code"][:5] == ["claude-code", "yes", "~/.claude", "exists", "~/.claude/skills"]
    assert rows["claude-code"][5] == ".claude/skills"
    assert rows["windsurf"][1:4] == ["no", "~/.codeium/windsurf/skills", ".windsurf/skills"]
    reads = run("hosts", "--reads", "--project", str(project)).output
    assert "claude-code reads: ~/.claude/skills, .claude/skills\n" in reads
    assert "cline reads: ~/.cline/skills, .cline/skills, .clinerules/skills, .claude/skills\n" in reads
    hosts = json.loads(run("hosts", "--json").output)
    assert len(hosts) == 11 and {h["name"] for h in hosts if h["detected"]} == {"claude-code"}


def test_errors_are_one_line_with_exit_code(skill: Path, project: Path, tmp_path: Path) -> None:
    clash = project / ".cline/skills/pdf-tools"
    clash.mkdir(parents=True)
    result = run("install", str(skill), "--host", "cline", "--project", str(project))
    assert result.exit_code == 1
    assert result.output.startswith(
        f"Error: {clash}: a folder with this name exists and was not installed by skillforge"
    )
    assert "Traceback" not in result.output

    result = run("install", str(skill), "--host", "codex", "--all-detected")
    assert result.exit_code == 2 and "--host and --all-detected exclude each other" in result.output
    result = run("install", str(skill), "--project", str(project), "--global")
    assert result.exit_code == 2 and "exclude each other" in result.output
    result = run("install", str(tmp_path / "nope"), "--host", "codex", "--project", str(project))
    assert result.exit_code == 1 and "no such file or folder" in result.output
