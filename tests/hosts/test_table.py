"""The host table is data with sources; the README table is generated from it and checked for drift."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillforge.hosts.base import all_adapters, get_adapter
from skillforge.hosts.table import (
    README_BEGIN,
    README_END,
    check_readme,
    load_table,
    readme_section,
    render_markdown,
)

ROOT = Path(__file__).resolve().parents[2]


def test_every_entry_has_a_status_and_a_source() -> None:
    for host in load_table().hosts:
        for paths in (host.project, host.global_):
            if paths is None:
                continue
            assert paths.status in {"V", "S", "U"}
            assert len(paths.source) > 10, f"{host.name}: cite where the path was read"
            read_by_host = paths.index_file or paths.install  # the AGENTS.md fallback is read via its index
            assert read_by_host in paths.reads, f"{host.name}: we must install where the host reads"


def test_claude_code_does_not_read_the_shared_agents_folder() -> None:
    claude = get_adapter("claude-code")
    assert all(".agents" not in p for p in claude.spec.project.reads + claude.spec.global_.reads)  # type: ignore[union-attr]


def test_env_override_moves_the_claude_folder(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CLAUDE_CONFIG_DIR", str(tmp_path / "claude-config"))
    assert get_adapter("claude-code").skills_dir("global", None) == tmp_path / "claude-config/skills"


def test_detection_by_folder_and_by_binary(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    for host in load_table().hosts:
        for var in host.detect.env:
            monkeypatch.delenv(var, raising=False)
    assert not any(a.detect().found for a in all_adapters())
    (Path.home() / ".codeium/windsurf").mkdir(parents=True)
    (tmp_path / "bin").mkdir()
    gemini = tmp_path / "bin/gemini"
    gemini.write_text("#!/bin/sh\n")
    gemini.chmod(0o755)
    found = {a.name: a.detect().reason for a in all_adapters() if a.detect().found}
    assert found == {"windsurf": "~/.codeium/windsurf exists", "gemini-cli": "gemini on PATH"}


def test_markdown_table_lists_every_host_with_paths_and_verification() -> None:
    text = render_markdown()
    for host in load_table().hosts:
        row = next(line for line in text.splitlines() if f"`{host.name}`" in line)
        if host.global_:
            assert f"`{host.global_.install}`" in row and f"global [{host.global_.status}]" in row
        if host.project:
            assert f"`{host.project.install}`" in row and f"project [{host.project.status}]" in row


def test_readme_check_detects_drift(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# Title\n\n{readme_section()}\n\nMore text.\n")
    assert check_readme(readme) == []
    readme.write_text(readme.read_text().replace("`~/.claude/skills`", "`~/.claude/skill`"))
    assert check_readme(readme) and "differs" in check_readme(readme)[0]
    readme.write_text("# Title\n")
    assert "no generated host table" in check_readme(readme)[0]


def test_repository_readme_table_is_current() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    if README_BEGIN not in text or README_END not in text:
        pytest.skip("README has no generated host table yet (the lead pastes it from the hosts report)")
    assert check_readme(ROOT / "README.md") == []
