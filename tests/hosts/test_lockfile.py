"""The lock file: model and registry/lock.schema.json agree, hashes are as documented, bad files refused."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from skillforge.errors import HostError
from skillforge.hosts import install
from skillforge.hosts.fsops import Transaction
from skillforge.hosts.lockfile import (
    hash_tree,
    js_locale_key,
    read_lock,
    render_lock,
    skills_cli_hash,
    write_lock,
)
from skillforge.models.lock import Lock, LockEntry, LockFile, LockSource
from skillforge.resources import schema_path


def _generated_schema() -> str:
    """registry/lock.schema.json as skillforge.schemas renders every schema (same $schema/$id/format)."""
    doc = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://skillforge.dev/schemas/lock.schema.json",
        **LockFile.model_json_schema(by_alias=True),
    }
    return json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _validator() -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(json.loads(schema_path("lock").read_text(encoding="utf-8")))


def test_schema_file_matches_the_model() -> None:
    assert schema_path("lock").read_text(encoding="utf-8") == _generated_schema()


def test_real_lock_files_validate_and_bad_ones_fail_in_both(project: Path, make_skill, lock_entries) -> None:
    install(str(make_skill("pdf-tools")), hosts=["claude-code", "codex"], project=project)
    install(str(make_skill("csv-tools")), hosts=["agents-md"], project=project, link=True)
    data = json.loads((project / "skills-lock.json").read_text())
    assert list(_validator().iter_errors(data)) == []
    assert list(data["skills"]) == ["csv-tools", "pdf-tools"]
    pdf = data["skills"]["pdf-tools"]
    assert list(pdf) == ["source", "sourceType", "computedHash"], "exactly the skills CLI's entry"
    rows = lock_entries(project / "skills-lock.json")
    assert [(r["name"], r["host"]) for r in rows] == [
        ("csv-tools", "agents-md"), ("pdf-tools", "claude-code"), ("pdf-tools", "codex")
    ]
    for broken in (
        {**data, "version": 2},
        {**data, "skills": {"pdf-tools": {**pdf, "computedHash": 3}}},
        {**data, "skills": {"pdf-tools": {k: v for k, v in pdf.items() if k != "sourceType"}}},
    ):
        assert not _validator().is_valid(broken)
        with pytest.raises(ValidationError):
            LockFile.model_validate(broken)


def _entry(name: str) -> LockEntry:
    return LockEntry(
        name=name,
        source=LockSource(kind="path", ref="/x"),
        hash="sha256:" + "0" * 64,
        computed_hash="0" * 64,
        host="codex",
        scope="project",
        path=f".agents/skills/{name}",
        installed_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
    )


def test_render_is_stable_and_sorted(tmp_path: Path) -> None:
    lp = tmp_path / "skills-lock.json"
    lock = Lock(skills=[_entry("b"), _entry("a")])
    text = render_lock(lock, lp)
    assert text is not None and text == render_lock(Lock(skills=list(reversed(lock.skills))), lp)
    data = json.loads(text)
    assert list(data) == ["version", "skills"] and list(data["skills"]) == ["a", "b"]
    assert list(data["skills"]["a"]) == ["source", "sourceType", "computedHash"], "skills CLI order"
    assert render_lock(Lock(), lp) is None


def test_other_tools_entries_and_keys_survive_a_rewrite(tmp_path: Path) -> None:
    lp = tmp_path / "skills-lock.json"
    theirs = {"source": "owner/repo", "ref": "main", "sourceType": "github", "computedHash": "ab", "x": [1]}
    lp.write_text(json.dumps({"version": 1, "skills": {"zz-theirs": theirs}}))
    lock = read_lock(lp)
    lock.skills.append(_entry("mine"))
    lock.touched.add("mine")
    with Transaction() as tx:
        write_lock(tx, lock, lp)
    data = json.loads(lp.read_text())
    assert data["skills"]["zz-theirs"] == theirs and list(data["skills"]["zz-theirs"]) == list(theirs)
    # The skills CLI rewrote our entry (as `skills experimental_install` does): kept as it wrote it.
    data["skills"]["mine"] = {"source": "/x", "sourceType": "local", "computedHash": "0" * 64, "subagents": ["a"]}
    lp.write_text(json.dumps(data))
    lock = read_lock(lp)
    assert [e.name for e in lock.skills] == ["mine"] and list(lock.foreign()) == ["zz-theirs"]
    assert json.loads(render_lock(lock, lp) or b"")["skills"]["mine"]["subagents"] == ["a"]
    # Uninstalling our last copy drops our entry only.
    lock.skills.clear()
    lock.touched.add("mine")
    assert list(json.loads(render_lock(lock, lp) or b"")["skills"]) == ["zz-theirs"]


def test_old_skillforge_lock_is_migrated(tmp_path: Path, make_skill, lock_entries) -> None:
    project = tmp_path / "p"
    project.mkdir()
    src = make_skill()
    old = {
        "generator": "skillforge",
        "lockfile_version": 1,
        "skills": [
            {**_entry("pdf-tools").model_dump(mode="json", exclude={"computed_hash"}), "host": "claude-code",
             "path": ".claude/skills/pdf-tools", "source": {"kind": "path", "ref": str(src)}}
        ],
    }
    install(str(src), hosts=["claude-code"], project=project, force=True)
    (project / "skills-lock.json").write_text(json.dumps(old))
    report = install(str(src), hosts=["codex"], project=project)
    assert any("migrated" in n for n in report.notices)
    data = json.loads((project / "skills-lock.json").read_text())
    assert data["version"] == 1 and "generator" not in data and list(data["skills"]) == ["pdf-tools"]
    assert [r["host"] for r in lock_entries(project / "skills-lock.json")] == ["claude-code", "codex"]


def test_skills_cli_hash_orders_paths_like_javascript(tmp_path: Path) -> None:
    # Order measured with node 20: ["a_b","a-b","a.b","a1","a10","a2","ab","aB","Ab","assets/x.png",
    # "readme.md","README.md","ref.md","Ref.md","réf.md","references/tables.md","scripts/extract.sh","SKILL.md"]
    node = ["a_b", "a-b", "a.b", "a1", "a10", "a2", "ab", "aB", "Ab", "assets/x.png", "readme.md", "README.md",
            "ref.md", "Ref.md", "réf.md", "references/tables.md", "scripts/extract.sh", "SKILL.md"]
    assert sorted(reversed(node), key=js_locale_key) == node
    root = tmp_path / "s"
    for rel in ("SKILL.md", "scripts/run.sh", ".git/HEAD", "node_modules/x/y.js"):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(rel)
    expected = hashlib.sha256(b"scripts/run.shscripts/run.shSKILL.mdSKILL.md").hexdigest()
    assert skills_cli_hash(root) == expected, "path+content, sorted, .git and node_modules skipped"


def test_hash_is_sorted_relpath_and_content(make_skill, independent_hash, tmp_path: Path) -> None:
    src = make_skill()
    assert hash_tree(src) == independent_hash(src)
    copy = tmp_path / "copy"
    copy.mkdir()
    for file in src.rglob("*"):
        if file.is_file():
            (copy / file.relative_to(src)).parent.mkdir(parents=True, exist_ok=True)
            (copy / file.relative_to(src)).write_bytes(file.read_bytes())
    assert hash_tree(copy) == hash_tree(src), "modes and folder names do not count"
    (copy / "references/tables.md").rename(copy / "references/tables2.md")
    assert hash_tree(copy) != hash_tree(src), "a renamed file changes the hash"


def test_unreadable_lock_is_a_clear_error(project: Path) -> None:
    lock = project / "skills-lock.json"
    lock.write_text('{"lockfile_version": 1, "generator": "skillforge", "skills": [')
    with pytest.raises(HostError, match="unreadable"):
        read_lock(lock)
    lock.write_text('{"lockfile_version": 1, "generator": "skillforge", "skills": [{"name": "x"}]}')
    with pytest.raises(HostError, match="invalid at skills/0/"):
        read_lock(lock)
    lock.write_text('{"version": 1, "skills": {}}')
    (project / ".skillforge").mkdir()
    (project / ".skillforge/lock.json").write_text('{"version": 1, "skills": {"x": {"installs": []}}}')
    with pytest.raises(HostError, match="invalid at skills/x/installs"):
        read_lock(lock)
