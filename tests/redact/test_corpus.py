"""The redaction corpus, case by case: every planted secret is masked, every benign line survives."""

from __future__ import annotations

import json

import pytest

import redaction_corpus as corpus  # type: ignore[import-not-found]  # loaded by conftest.py
from skillforge.models import Source, Step, ToolCall, ToolResult, Trace
from skillforge.redact import redact_text, redact_trace, redact_value


@pytest.mark.parametrize(("text", "secrets"), [c[1:] for c in corpus.CASES], ids=[c[0] for c in corpus.CASES])
def test_every_secret_class_is_masked(text: str, secrets: list[str]) -> None:
    out = redact_text(text)
    for secret in secrets:
        assert secret not in out, out
    assert "[REDACTED:" in out
    assert redact_text(out) == out  # a redacted text has nothing left to mask
    assert redact_text(text) == out  # stable


@pytest.mark.parametrize(("value", "secrets"), [c[1:] for c in corpus.VALUE_CASES], ids=[c[0] for c in corpus.VALUE_CASES])
def test_a_secret_used_as_a_dict_key_is_masked(value: object, secrets: list[str]) -> None:
    dumped = json.dumps(redact_value(value))
    for secret in secrets:
        assert secret not in dumped, dumped


def test_masked_dict_keys_do_not_overwrite_each_other() -> None:
    value = {"api_tokens": {corpus.opaque(1): "ci-bot", corpus.opaque(2): "deploy"}}
    red = redact_value(value)
    assert sorted(red["api_tokens"].values()) == ["ci-bot", "deploy"]


@pytest.mark.parametrize("text", [c[1] for c in corpus.BENIGN], ids=[c[0] for c in corpus.BENIGN])
def test_ordinary_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_benign_structured_values_are_the_same_object() -> None:
    value = {"tokens": ["the", "quick", "brown"], "max_tokens": 1000, "key": "name", "sha": "3ea751c087f32b16e039a22"}
    assert redact_value(value) is value


def test_the_multi_word_value_stops_at_a_comment_and_keeps_the_name() -> None:
    out = redact_text("password: correct horse battery staple  # rotated monthly\nuser: bob")
    assert out == "password: [REDACTED:password]  # rotated monthly\nuser: bob"


def test_command_flags_keep_the_command_readable() -> None:
    pw = corpus.pw(90)
    assert redact_text(f"curl -u admin:{pw} https://x") == "curl -u admin:[REDACTED:password] https://x"
    assert redact_text(f"mysql -uroot -p{pw} shop") == "mysql -uroot -p[REDACTED:password] shop"
    assert redact_text(f"sshpass -p '{pw}' ssh h") == "sshpass -p '[REDACTED:password]' ssh h"


def test_a_trace_file_name_and_a_tool_name_are_redacted_too() -> None:
    token = corpus.OPENAI
    trace = Trace(
        id="t1",
        source=Source(path=f"/traces/{token}/session.jsonl", format="claude-code"),
        task="t",
        steps=[
            Step(role="assistant", tool_call=ToolCall(name="Bash", arguments={"env": {token: "x"}})),
            Step(role="tool", tool_result=ToolResult(output=f"saved to ./{token}_backup.json")),
        ],
    )
    dumped = redact_trace(trace).model_dump_json()
    assert token not in dumped
    assert "/traces/[REDACTED:openai-key]/session.jsonl" in dumped
