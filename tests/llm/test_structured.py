"""Typed answers: JSON schema in the request, one repair round on a bad answer, then a named failure."""

from __future__ import annotations

import asyncio

import pytest

from skillforge.errors import OutputParseError
from skillforge.llm.cache import ResponseCache
from skillforge.llm.client import LLMClient
from skillforge.llm.structured import build_request, complete_as, extract_json, parse_output
from skillforge.models.llm import LLMSettings
from skillforge.models.llm_outputs import MergeAnswer
from skillforge.testing.fake_model import STATS

LESSONS = (
    '[{"id": "L1", "kind": "pitfall", "title": "Never run migrations on the primary", "body": "It locked the users table.", '
    '"target_skill": "django-ops", "support": 1}, {"id": "L2", "kind": "pitfall", "title": '
    '"Never run migrations against the primary", "body": "Use the replica first.", "target_skill": "django-ops", "support": 2}]'
)


def _request():  # type: ignore[no-untyped-def]
    return build_request("merge:L1.0", "merge", MergeAnswer, count=2, lessons=LESSONS)


def test_request_carries_the_schema_and_answer_parses() -> None:
    request = _request()
    assert request.output_schema is not None and request.output_schema["title"] == "MergeAnswer"
    assert '"MergeAnswer"' in request.messages[-1]["content"]  # the schema is in the prompt as well
    client = LLMClient(LLMSettings(model="fake", cache=False))
    answer = asyncio.run(complete_as(client, request, MergeAnswer))
    # Derived from the input: the two near-identical lessons are one rule with both sources.
    assert [sorted(r.sources) for r in answer.rules] == [["L1", "L2"]]
    assert answer.rules[0].title == "Never run migrations against the primary"  # the better supported wording


def test_malformed_answer_is_repaired_in_one_round(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("SKILLFORGE_FAKE_FAULTS", "malformed=1")
    client = LLMClient(LLMSettings(model="fake"), cache=ResponseCache(tmp_path))
    answer = asyncio.run(complete_as(client, _request(), MergeAnswer))
    assert answer.rules
    assert STATS.faults["malformed"] == 1 and client.stats.llm_calls == 2


def test_malformed_after_repair_fails_naming_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_FAULTS", "malformed=1,malformed_repairs=1")
    client = LLMClient(LLMSettings(model="fake", cache=False))
    with pytest.raises(OutputParseError) as info:
        asyncio.run(complete_as(client, _request(), MergeAnswer))
    assert "merge:L1.0" in str(info.value) and "MergeAnswer" in str(info.value)
    assert client.stats.llm_calls == 2  # the first answer and exactly one repair round


def test_semantic_check_failures_take_the_repair_path() -> None:
    client = LLMClient(LLMSettings(model="fake", cache=False))
    seen: list[int] = []

    def never_happy(answer: MergeAnswer) -> None:
        seen.append(len(answer.rules))
        raise ValueError("rule names unknown lesson id 'L9'")

    with pytest.raises(OutputParseError, match="unknown lesson id"):
        asyncio.run(complete_as(client, _request(), MergeAnswer, check=never_happy))
    assert len(seen) == 2


def test_extract_json_finds_fenced_and_embedded_objects() -> None:
    assert extract_json('```json\n{"rules": []}\n```') == {"rules": []}
    assert extract_json('Here you go: {"rules": [], "conflicts": []} hope it helps') == {"rules": [], "conflicts": []}
    with pytest.raises(ValueError, match="not valid JSON"):
        extract_json('{"rules": [')
    with pytest.raises(ValueError, match="does not match the MergeAnswer schema"):
        parse_output('{"rules": [{"title": "x"}]}', MergeAnswer)
