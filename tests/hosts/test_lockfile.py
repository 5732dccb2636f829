"""The lock file: model and registry/lock.schema.json agree, hashes are as documented, bad files refused."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import jsonschema
import pytest
from pydantic import ValidationError

from skillforge.errors import HostError
from skillforge.hosts import install
from skillforge.hosts.lockfile import hash_tree, read_lock, render_lock
from skillforge.models.lock import LockEntry, LockFile, LockSource
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


def test_real_lock_files_validate_and_bad_ones_fail_in_both(project: Path, make_skill) -> None:
    install(str(make_skill("pdf-tools")), hosts=["claude-code", "codex"], project=project)
    install(str(make_skill("csv-tools")), hosts=["agents-md"], project=project, link=True)
    data = json.loads((project / "skills-lock.json").read_text())
    assert list(_validator().iter_errors(data)) == []
    assert [(e["name"], e["host"]) for e in data["skills"]] == sorted(
        (e["name"], e["host"]) for e in data["skills"]
    )

    for broken in (
        {**data, "generator": "npx-skills"},
        {**data, "skills": [{**data["skills"][0], "hash": "md5:abc"}]},
        {**data, "skills": [{k: v for k, v in data["skills"][0].items() if k != "path"}]},
        {**data, "skills": [{**data["skills"][0], "scope": "system"}]},
    ):
        assert not _validator().is_valid(broken)
        with pytest.raises(ValidationError):
            LockFile.model_validate(broken)


def test_render_is_stable_and_sorted() -> None:
    entry = LockEntry(
        name="b",
        source=LockSource(kind="path", ref="/x"),
        hash="sha256:" + "0" * 64,
        host="codex",
        scope="project",
        path=".agents/skills/b",
        installed_at=datetime(2026, 1, 2, tzinfo=timezone.utc),
    )
    lock = LockFile(skills=[entry, entry.model_copy(update={"name": "a"})])
    text = render_lock(lock)
    assert text is not None and text == render_lock(LockFile(skills=list(reversed(lock.skills))))
    assert [e["name"] for e in json.loads(text)["skills"]] == ["a", "b"]
    assert render_lock(LockFile()) is None


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
