"""Redaction: real-looking secrets are masked everywhere in a trace; ordinary text is left alone.

The secrets are assembled at runtime from pieces so this file itself never trips a secret scanner.
"""

from __future__ import annotations

import pytest

from skillforge.models import Outcome, Source, Step, ToolCall, ToolResult, Trace
from skillforge.redact import redact_text, redact_trace, redact_trace_in_place

ALNUM = "a7Bc9De2Fg4Hj6Kl8Mn0Pq3Rs5Tu1Vw"


def _openai() -> str:
    return "sk-" + "proj-" + ALNUM + "Xy_Zz-09"


def _anthropic() -> str:
    return "sk-" + "ant-" + "api03-" + ALNUM + ALNUM[:8]


def _github() -> str:
    return "gh" + "p_" + ALNUM + "abcd"


def _aws_id() -> str:
    return "AK" + "IA" + "IOSFODNN7EXAMPLQ"


def _aws_secret() -> str:
    return "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEYab"


def _slack() -> str:
    return "xo" + "xb-" + "1234567890-0987654321-" + ALNUM[:24]


def _google() -> str:
    return "AI" + "za" + "SyD" + ALNUM + "12"


def _stripe() -> str:
    return "sk" + "_live_" + ALNUM[:26]


def _hf() -> str:
    return "h" + "f_" + ALNUM + "QRSTU"


def _jwt() -> str:
    return "ey" + "JhbGciOiJIUzI1NiJ9." + "ey" + "JzdWIiOiIxMjM0NTY3ODkwIn0." + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"


def _private_key() -> str:
    return (
        "-----BEGIN " + "RSA PRIVATE KEY-----\n"
        "MIIEowIBAAKCAQEA1c7d4iR2kW3YxR0" + ALNUM + "\n"
        "q9f7w8X0vYbZk2LmNpQrStUvWxYz012345\n"
        "-----END " + "RSA PRIVATE KEY-----"
    )


TOKEN_CASES = [
    (_openai, "[REDACTED:openai-key]"),
    (_anthropic, "[REDACTED:anthropic-key]"),
    (_github, "[REDACTED:github-token]"),
    (_aws_id, "[REDACTED:aws-access-key]"),
    (_slack, "[REDACTED:slack-token]"),
    (_google, "[REDACTED:google-api-key]"),
    (_stripe, "[REDACTED:stripe-key]"),
    (_hf, "[REDACTED:huggingface-token]"),
    (_jwt, "[REDACTED:jwt]"),
]


@pytest.mark.parametrize(("make", "marker"), TOKEN_CASES, ids=[m for _, m in TOKEN_CASES])
def test_provider_tokens_are_replaced_by_a_stable_marker(make, marker) -> None:  # type: ignore[no-untyped-def]
    secret = make()
    text = f"export TOKEN_VALUE={secret}\ncurl -s https://api.example.com --data '{secret}'"
    out = redact_text(text)
    assert secret not in out
    assert marker in out
    assert redact_text(text) == out  # stable: same input, same output


def test_context_secrets_assignments_urls_headers_and_keys() -> None:
    password = "hunter2" + "Secret!"
    text = "\n".join([
        f"DB_PASSWORD={password}",
        f"api_key: {password}",
        f'{{"client_secret": "{password}"}}',
        f"mysql --password {password} -h db",
        f"./deploy --token={password}",
        f"git clone https://deploy:{password}@git.example.com/team/repo.git",
        f"curl -H 'Authorization: Bearer {_openai()[3:]}' https://api.example.com",
        f"aws_secret_access_key = {_aws_secret()}",
        _private_key(),
        "after the key",
    ])
    out = redact_text(text)
    assert password not in out
    assert _aws_secret() not in out
    assert "PRIVATE KEY" not in out and "MIIEow" not in out
    assert "DB_PASSWORD=[REDACTED:password]" in out
    assert "https://deploy:[REDACTED:password]@git.example.com/team/repo.git" in out
    assert "Authorization: Bearer [REDACTED:bearer-token]" in out
    assert "[REDACTED:aws-secret-key]" in out
    assert "[REDACTED:private-key]\nafter the key" in out


def test_ordinary_text_is_left_alone() -> None:
    text = "\n".join([  # noqa: FLY002 - one line per case reads better
        "commit 3ea751c087f32b16e039a2233dd6eefecef325d5 fixes the task-runner",
        "session 395eec3e-bf72-451f-9334-f1e4cc6307e9 used scikit-learn and sk-learn docs",
        "the token expired; max_tokens=1000 token_count: 52 and password: str",
        "password = getpass()  # read it, never hard-code it",
        "api_key = os.environ['OPENAI_API_KEY']",
        "Authorization: Bearer ${TOKEN}",
        "postgres://user:${DB_PASSWORD}@localhost/db and https://example.com/a@b",
        "sha256 9a766b0902178f46e0d3e0c36f5f0212 and mail git@github.com:org/repo.git",
    ])
    assert redact_text(text) == text


def test_emails_only_when_asked() -> None:
    text = "contact alice.smith@example.org about the outage"
    assert redact_text(text) == text
    assert redact_text(text, redact_emails=True) == "contact [REDACTED:email] about the outage"


def test_redact_trace_masks_every_field_and_leaves_the_input_untouched() -> None:
    key = _openai()
    trace = Trace(
        id="t1",
        source=Source(path="session.jsonl", format="claude-code"),
        task=f"use {key} to call the API",
        steps=[
            Step(role="user", text=f"my key is {key}"),
            Step(role="assistant", text="running it", tool_call=ToolCall(
                name="Bash",
                arguments={"command": f"OPENAI_API_KEY={key} python run.py",
                           "env": {"nested": [f"token {_github()}"], "api_key": "plainvalue123"}},
            )),
            Step(role="tool", tool_result=ToolResult(output=f"Authorization: Bearer {_hf()}", is_error=True)),
            Step(role="assistant", tool_call=ToolCall(name="shell", arguments=f"echo {_stripe()}")),
        ],
        outcome=Outcome(success=False, error=f"failed with {key}"),
        metadata={"env": {"SLACK": _slack()}, "notes": [_google()], "count": 3},
    )
    red = redact_trace(trace)
    dumped = red.model_dump_json()
    for secret in (key, _github(), _hf(), _stripe(), _slack(), _google(), "plainvalue123"):
        assert secret not in dumped
    assert red.steps[1].tool_call is not None
    args = red.steps[1].tool_call.arguments
    assert isinstance(args, dict)
    assert args["command"] == "OPENAI_API_KEY=[REDACTED:openai-key] python run.py"
    assert args["env"]["api_key"] == "[REDACTED:api-key]"
    assert red.metadata["count"] == 3
    assert red.steps[2].tool_result is not None and red.steps[2].tool_result.is_error
    assert key in trace.model_dump_json()  # pure: the original trace is unchanged


def test_redact_in_place_keeps_clean_steps_and_masks_only_the_dirty_ones() -> None:
    # A 300 MB session must not be copied step by step: clean steps stay the very same objects.
    key = _openai()
    clean = [
        Step(role="user", text="run the tests"),
        Step(role="assistant", tool_call=ToolCall(name="Bash", arguments={"command": "pytest -q", "opts": ["-x"]})),
        Step(role="tool", tool_result=ToolResult(output="3 passed", exit_code=0)),
    ]
    dirty = Step(role="assistant", tool_call=ToolCall(name="Bash", arguments={"command": f"export KEY={key}"}))
    trace = Trace(id="t2", source=Source(path="s.jsonl", format="claude-code"), task="t", steps=[*clean, dirty])
    ids = [id(s) for s in trace.steps]
    same = redact_trace_in_place(trace)
    assert same is trace
    assert [id(s) for s in trace.steps[:3]] == ids[:3]
    assert trace.steps[1].tool_call is clean[1].tool_call
    assert id(trace.steps[3]) != ids[3]
    assert key not in trace.model_dump_json()
    assert key in dirty.model_dump_json()  # the dirty step was replaced, not edited
    assert redact_trace(trace).steps[0] is trace.steps[0]
