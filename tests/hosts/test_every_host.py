"""Install, update and uninstall for every host in both scopes, into a temporary HOME and project."""

from __future__ import annotations

import json
import os
from pathlib import Path

import jsonschema
import pytest

from skillforge import config
from skillforge.hosts import install, installed, uninstall, update
from skillforge.hosts.lockfile import skills_cli_hash
from skillforge.hosts.table import load_table
from skillforge.resources import schema_path

# Where hosts.md (../shared/reference/hosts.md, re-checked for this issue) says each host reads skills:
# (project folder, global folder).
EXPECTED = {
    "claude-code": (".claude/skills", "~/.claude/skills"),
    "codex": (".agents/skills", "~/.agents/skills"),
    "gemini-cli": (".agents/skills", "~/.agents/skills"),
    "copilot": (".agents/skills", "~/.agents/skills"),
    "cursor": (".cursor/skills", "~/.cursor/skills"),
    "opencode": (".agents/skills", "~/.agents/skills"),
    "goose": (".agents/skills", "~/.agents/skills"),
    "amp": (".agents/skills", "~/.config/agents/skills"),
    "windsurf": (".windsurf/skills", "~/.codeium/windsurf/skills"),
    "cline": (".cline/skills", "~/.cline/skills"),
}
CASES = [(host, scope) for host in EXPECTED for scope in ("project", "global")]


def _folder(text: str, project: Path) -> Path:
    return Path.home() / text[2:] if text.startswith("~/") else project / text


def test_table_covers_the_hosts_of_the_issue() -> None:
    names = {h.name for h in load_table().hosts}
    assert set(EXPECTED) <= names


@pytest.mark.parametrize(("host", "scope"), CASES, ids=[f"{h}-{s}" for h, s in CASES])
def test_install_update_uninstall(
    host: str, scope: str, project: Path, make_skill, independent_hash, snapshot, lock_entries
) -> None:
    src = make_skill(version="1.0.0")
    before_project = snapshot(project)
    report = install(str(src), hosts=[host], scope=scope, project=project)  # type: ignore[arg-type]

    dest = _folder(EXPECTED[host][0 if scope == "project" else 1], project) / "pdf-tools"
    assert (dest / "SKILL.md").read_bytes() == (src / "SKILL.md").read_bytes()
    assert (dest / "references/tables.md").is_file()
    assert os.access(dest / "scripts/extract.sh", os.X_OK), "executable bit of scripts must survive"
    assert [p.host for p in report.placements] == [host]
    assert report.version == "1.0.0"

    lock_file = project / "skills-lock.json" if scope == "project" else config.home() / "skills-lock.json"
    assert report.lock_file == str(lock_file)
    data = json.loads(lock_file.read_text())
    assert jsonschema.Draft202012Validator(json.loads(schema_path("lock").read_text())).is_valid(data)
    (entry,) = lock_entries(lock_file)
    assert entry["name"] == "pdf-tools" and entry["host"] == host and entry["scope"] == scope
    assert entry["source"] == {"kind": "path", "ref": str(src), "subdir": None, "commit": None}
    shared = data["skills"]["pdf-tools"]
    assert shared["sourceType"] == "local" and shared["computedHash"] == skills_cli_hash(src)
    assert _folder(entry["path"], project) == dest
    assert entry["hash"] == independent_hash(dest), "lock hash must match the files on disk"
    if scope == "global":
        assert snapshot(project) == before_project, "a global install must not touch the project"

    # A new version of the source: update replaces the copy and the lock follows.
    make_skill(version="1.1.0", extra={"references/forms.md": "# Forms\n"})
    (outcome,) = update(scope=scope, project=project)  # type: ignore[arg-type]
    assert (outcome.action, outcome.old_version, outcome.new_version) == ("updated", "1.0.0", "1.1.0")
    assert (dest / "references/forms.md").read_text() == "# Forms\n"
    (row,) = installed(project=project, scope=scope)  # type: ignore[arg-type]
    assert row.status == "ok" and row.entry.version == "1.1.0"
    assert row.entry.hash == independent_hash(dest)

    result = uninstall("pdf-tools", scope=scope, project=project)  # type: ignore[arg-type]
    assert [r.removed for r in result.removals] == [True]
    assert not dest.exists()
    assert not lock_file.exists(), "an empty lock file is removed"
    assert src.is_dir(), "the source is never touched"
    assert not list(dest.parent.iterdir()), "no temporary or old copies are left behind"
