"""The JSON Schemas in registry/ and the pydantic models must not drift apart."""

from __future__ import annotations

import json

import pytest

from skillforge import schemas
from skillforge.models import Evidence, Lesson, Patch, Source, Step, ToolCall, ToolResult, Trace
from skillforge.models.patch import AppendToSection, CreateFile, InsertAfter
from skillforge.resources import schema_path


@pytest.mark.parametrize("name", sorted(schemas.SCHEMAS))
def test_schema_file_matches_model(name: str) -> None:
    assert schema_path(name).read_text(encoding="utf-8") == schemas.render(name), (
        "run `python -m skillforge.schemas` to regenerate"
    )


def test_model_instances_validate_against_schemas() -> None:
    trace = Trace(
        id=Trace.make_id("a.jsonl"),
        source=Source(path="a.jsonl", format="claude-code"),
        task="fix the test",
        steps=[
            Step(role="assistant", tool_call=ToolCall(name="Bash", arguments={"command": "pytest"})),
            Step(role="tool", tool_result=ToolResult(output="1 failed", is_error=True, exit_code=1)),
        ],
    )
    lesson = Lesson(
        kind="recovery",
        title="Run the failing test alone",
        body="Re-run only the failing test with -x.",
        target_skill="python-testing",
        evidence=[Evidence(trace_id=trace.id, step=1, quote="1 failed")],
    )
    patch = Patch(
        skill="python-testing",
        edits=[
            CreateFile(file="references/x.md", content="x"),
            AppendToSection(heading="Pitfalls", content="- y"),
            InsertAfter(anchor="# Title", content="z"),
        ],
        changelog=["add recovery"],
    )
    for name, model in (("trace", trace), ("lesson", lesson), ("patch", patch)):
        doc = json.loads(model.model_dump_json(by_alias=True))
        assert schemas.validate(doc, name) == []


def test_schema_rejects_what_model_rejects() -> None:
    bad = {"kind": "rumour", "title": "t", "body": "b", "target_skill": "s"}
    problems = schemas.validate(bad, "lesson")
    assert problems and "kind" in problems[0]
