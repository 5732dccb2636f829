"""``skillforge export --format claude-marketplace | agents-dir | zip`` from registry skills.

The JSON is checked in pure Python; the slow test runs the real Claude Code CLI (pinned
@anthropic-ai/claude-code, ``SKILLFORGE_CLAUDE_CLI`` or ``claude`` on PATH; offline, temp HOME):
``claude plugin validate --strict``, ``marketplace add``, ``plugin install``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.errors import InputError
from skillforge.hosts.marketplace import export

CLAUDE = os.environ.get("SKILLFORGE_CLAUDE_CLI") or shutil.which("claude")


@pytest.fixture
def published(registry, make_skill) -> object:
    registry.publish(make_skill("pdf-tidy", tags="docs"))
    registry.publish(make_skill("pdf-tidy", body="Do the thing better.", tags="docs"), bump="minor")
    registry.publish(make_skill("csv-clean", tags="data"))
    registry.publish(make_skill("txt-trim", tags="docs"))
    return registry


def test_marketplace_json_one_plugin_per_skill(published, tmp_path: Path) -> None:
    out = tmp_path / "market"
    report = export(out, registry_path=published.path, marketplace="team-skills", owner="Data Team")
    catalog = json.loads((out / ".claude-plugin/marketplace.json").read_text())
    assert catalog["name"] == "team-skills" and catalog["owner"] == {"name": "Data Team"}
    plugins = {p["name"]: p for p in catalog["plugins"]}
    assert sorted(plugins) == ["csv-clean", "pdf-tidy", "txt-trim"]
    assert plugins["pdf-tidy"]["version"] == "0.2.0", "the plugin version is the registry version"
    assert plugins["pdf-tidy"]["source"] == "./plugins/pdf-tidy"
    assert plugins["pdf-tidy"]["description"].startswith("Handle pdf-tidy tasks.")
    manifest = json.loads((out / "plugins/pdf-tidy/.claude-plugin/plugin.json").read_text())
    assert manifest == {"name": "pdf-tidy", "description": plugins["pdf-tidy"]["description"],
                        "version": "0.2.0", "author": {"name": "Data Team"}}
    skill_md = out / "plugins/pdf-tidy/skills/pdf-tidy/SKILL.md"
    assert skill_md.read_text() == published.read_file("pdf-tidy", "0.2.0", "SKILL.md")
    assert report.plugins == {"csv-clean": "0.1.0", "pdf-tidy": "0.2.0", "txt-trim": "0.1.0"}
    first = (out / ".claude-plugin/marketplace.json").read_bytes()
    export(out, registry_path=published.path, marketplace="team-skills", owner="Data Team", force=True)
    assert (out / ".claude-plugin/marketplace.json").read_bytes() == first, "deterministic"


def test_group_by_tag_and_selected_versions(published, tmp_path: Path) -> None:
    out = tmp_path / "market"
    export(out, ["pdf-tidy@0.1.0", "txt-trim", "csv-clean"], registry_path=published.path, group_by="tag")
    plugins = {p["name"]: p for p in json.loads((out / ".claude-plugin/marketplace.json").read_text())["plugins"]}
    assert sorted(plugins) == ["data", "docs"]
    assert plugins["docs"]["version"] == "0.2.0", "sum of 0.1.0 + 0.1.0"
    assert sorted(p.name for p in (out / "plugins/docs/skills").iterdir()) == ["pdf-tidy", "txt-trim"]
    text = (out / "plugins/docs/skills/pdf-tidy/SKILL.md").read_text()
    assert text == published.read_file("pdf-tidy", "0.1.0", "SKILL.md")


def test_agents_dir_and_zips(published, tmp_path: Path) -> None:
    export(tmp_path / "a", fmt="agents-dir", registry_path=published.path)
    assert sorted(p.name for p in (tmp_path / "a/.agents/skills").iterdir()) == ["csv-clean", "pdf-tidy", "txt-trim"]
    export(tmp_path / "z", ["pdf-tidy"], fmt="zip", registry_path=published.path)
    archive = tmp_path / "z/pdf-tidy-0.2.0.zip"
    with zipfile.ZipFile(archive) as zf:
        assert zf.namelist() == ["pdf-tidy/SKILL.md"]
    first = archive.read_bytes()
    export(tmp_path / "z", ["pdf-tidy"], fmt="zip", registry_path=published.path, force=True)
    assert archive.read_bytes() == first, "zips are byte-identical on re-run"


def test_export_refuses_a_non_empty_folder_and_bad_names(published, tmp_path: Path) -> None:
    (tmp_path / "busy").mkdir()
    (tmp_path / "busy/keep.txt").write_text("mine")
    with pytest.raises(InputError, match="not empty"):
        export(tmp_path / "busy", registry_path=published.path)
    with pytest.raises(InputError, match="kebab-case"):
        export(tmp_path / "x", registry_path=published.path, marketplace="Team Skills")
    result = CliRunner().invoke(cli, ["export", "--format", "claude-marketplace", "-o", str(tmp_path / "m"),
                                      "--registry", str(published.path)])
    assert result.exit_code == 0, result.output
    assert "claude plugin marketplace add" in result.output


def _claude(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(home), "DISABLE_TELEMETRY": "1", "DISABLE_AUTOUPDATER": "1"}
    return subprocess.run([str(CLAUDE), *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.slow
@pytest.mark.skipif(not CLAUDE, reason="Claude Code CLI not installed (SKILLFORGE_CLAUDE_CLI)")
@pytest.mark.parametrize("group_by", ["skill", "tag"])
def test_real_claude_cli_validates_and_installs_the_export(published, tmp_path: Path, group_by: str) -> None:
    out = tmp_path / "market"
    report = export(out, registry_path=published.path, marketplace="team-skills", group_by=group_by)  # type: ignore[arg-type]
    home = tmp_path / "claude-home"
    home.mkdir()
    done = _claude(home, "plugin", "validate", "--strict", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    for plugin in report.plugins:
        done = _claude(home, "plugin", "validate", "--strict", str(out / "plugins" / plugin))
        assert done.returncode == 0, done.stdout + done.stderr
    done = _claude(home, "plugin", "marketplace", "add", str(out))
    assert done.returncode == 0, done.stdout + done.stderr
    for plugin, version in report.plugins.items():
        done = _claude(home, "plugin", "install", f"{plugin}@team-skills")
        assert done.returncode == 0, done.stdout + done.stderr
    for skill in report.skills:
        cache = home / ".claude/plugins/cache/team-skills" / str(skill.plugin) / report.plugins[str(skill.plugin)]
        installed = cache / "skills" / skill.name / "SKILL.md"
        assert installed.read_text() == published.read_file(skill.name, skill.version, "SKILL.md")
