"""registry/*.schema.json for the registry's own files match the models and the files a real registry writes."""

from __future__ import annotations

import json

import pytest

from skillforge import schemas
from skillforge.registry import Registry, layout
from skillforge.resources import schema_path


REGISTRY_SCHEMAS = ("registry-index", "registry-pins", "version-record")


@pytest.mark.parametrize("name", REGISTRY_SCHEMAS)
def test_schema_file_matches_model(name: str) -> None:
    assert schema_path(name).read_text(encoding="utf-8") == schemas.render(name), "run python -m skillforge.schemas"


def test_files_written_by_a_real_registry_validate(registry: Registry, make_skill, git) -> None:
    registry.publish(
        make_skill("pdf-forms"), message="first", changelog=["a"], extra={"rolled_back_from": None}
    )
    registry.pin("pdf-forms", "0.1.0", message="stable")
    registry.skills()
    pins = json.loads((registry.path / "pins.json").read_text())
    index = json.loads((registry.path / ".git" / "skillforge" / "index.json").read_text())
    trailer = git(registry.path, "cat-file", "-p", "pdf-forms@0.1.0").splitlines()[-1]
    record = json.loads(trailer.removeprefix(layout.RECORD_TRAILER))
    assert schemas.validate(pins, "registry-pins") == []
    assert schemas.validate(index, "registry-index") == []
    assert schemas.validate(record, "version-record") == []
    assert index["skills"]["pdf-forms"]["latest"] == "0.1.0"
    assert pins == {"format": 1, "pins": {"pdf-forms": {"message": "stable", "version": "0.1.0"}}}


def test_schema_rejects_a_malformed_pins_file() -> None:
    problems = schemas.validate({"format": 1, "pins": {"x": {"version": 3}}}, "registry-pins")
    assert problems and "pins/x/version" in problems[0]
