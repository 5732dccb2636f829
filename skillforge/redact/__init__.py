"""Mask secrets (and optionally e-mail addresses) before anything is analysed, sent to a model or written.

Every pattern replaces the secret with a stable marker such as ``[REDACTED:openai-key]`` so a
redacted trace still reads naturally ("export OPENAI_API_KEY=[REDACTED:openai-key]") and the same
input always gives the same output. Redaction is pure: ``redact_trace`` returns a new Trace.

What is caught: provider API keys by their published prefixes (OpenAI, Anthropic, AWS, GitHub,
Slack, Google, Stripe, Hugging Face), JWTs, ``Authorization``/``Bearer`` tokens, PEM private-key
blocks, passwords inside URLs, and values assigned to secret-looking names in env files, config,
JSON and CLI flags (``PASSWORD=...``, ``api_key: ...``, ``--token ...``, ``{"secret": "..."}``).
Things that merely look random (git SHAs, UUIDs, hashes) are left alone on purpose: a skill that
cites a commit must keep it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from skillforge.models import Outcome, Step, ToolCall, ToolResult, Trace

__all__ = ["marker", "redact_text", "redact_trace", "redact_trace_in_place", "redact_value"]


def marker(kind: str) -> str:
    """The text that replaces a secret of ``kind``."""
    return f"[REDACTED:{kind}]"


_B = r"(?<![A-Za-z0-9_-])"  # a token starts at a boundary: not inside a longer word
_E = r"(?![A-Za-z0-9_-])"

# Provider tokens recognised by their prefix: (kind, literal that must occur, pattern). A pattern only
# runs when its literal is in the text, which keeps redaction cheap on long tool outputs.
_TOKENS: list[tuple[str, str, re.Pattern[str]]] = [
    (kind, literal, re.compile(pattern))
    for kind, literal, pattern in [
        ("anthropic-key", "sk-ant-", _B + r"sk-ant-[A-Za-z0-9_-]{20,}" + _E),
        ("openai-key", "sk-", _B + r"sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}" + _E),
        ("openai-key", "sk-", _B + r"sk-(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{20,}" + _E),
        ("stripe-key", "_live_", _B + r"(?:sk|rk)_live_[A-Za-z0-9]{16,}" + _E),
        ("stripe-key", "_test_", _B + r"(?:sk|rk)_test_[A-Za-z0-9]{16,}" + _E),
        ("aws-access-key", "AKIA", r"\bAKIA[0-9A-Z]{16}\b"),
        ("aws-access-key", "ASIA", r"\bASIA[0-9A-Z]{16}\b"),
        ("github-token", "gh", _B + r"gh[pousr]_[A-Za-z0-9]{30,}" + _E),
        ("github-token", "github_pat_", _B + r"github_pat_[A-Za-z0-9_]{22,}" + _E),
        ("slack-token", "xox", _B + r"xox[abposre]-[A-Za-z0-9-]{10,}" + _E),
        ("slack-webhook", "hooks.slack.com", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}"),
        ("google-api-key", "AIza", _B + r"AIza[0-9A-Za-z_-]{35,40}" + _E),
        ("huggingface-token", "hf_", _B + r"hf_[A-Za-z0-9]{30,}" + _E),
        ("jwt", "eyJ", _B + r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}" + _E),
    ]
]

_PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]*?)PRIVATE KEY( BLOCK)?-----.*?(?:-----END (?P=label)PRIVATE KEY( BLOCK)?-----|\Z)",
    re.DOTALL,
)

# "Authorization: Bearer abc", "authorization=Token abc", "-H 'Authorization: Basic abc'".
_AUTH_HEADER_RE = re.compile(
    r"(?i)(\bauthorization[\"']?\s*[:=]\s*[\"']?\s*)(?:(bearer|token|basic|digest)\s+)?([A-Za-z0-9._~+/=:-]{8,})"
)
_BEARER_RE = re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/-]{16,}=*)")

_URL_PASSWORD_RE = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^:/?#\s@\"'<>]+):([^@/?#\s\"'<>]+)@")

# A name that holds a secret ends with one of these words (``DB_PASSWORD``, ``openai_api_key``,
# ``client-secret``, ``GITHUB_TOKEN``) — ``max_tokens`` or ``token_count`` do not. Longer words first.
_KEYWORDS = (
    r"secret[_-]?key|access[_-]?key|private[_-]?key|api[_-]?key|apikey|pass(?:word|wd|phrase)|secret|token|credentials?"
)
_KEYWORD = re.compile(_KEYWORDS)
"""Searched in the lowercased text: a case-insensitive alternation is several times slower."""
_KEYWORD_ANY_CASE = re.compile(_KEYWORDS, re.IGNORECASE)
_SECRET_NAME_RE = re.compile(rf"^[A-Za-z0-9_.-]*?(?:{_KEYWORDS})$", re.IGNORECASE)
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")
# What follows the name: NAME=value, NAME: value, "name": "value", --name value.
_TAIL = re.compile(r"""["']?(?P<sep>[ \t]*[:=][ \t]*|[ \t]+)(?P<value>"[^"\n]*"|'[^'\n]*'|[^\s"',;)}\]]+)""")
_PLACEHOLDER_RE = re.compile(
    r"""(?ix)^["']?(
        \$.*|<.*>|\{.*\}|\[REDACTED.*|%\(.*|\*+|x{3,}|\.{3}|
        none|null|nil|true|false|undefined|required|optional|str|string|int|bool|bytes|any|
        os\..*|process\.env.*|env\..*|self\..*|settings\..*|config\..*|getpass.*|input\(.*|
        [A-Za-z_][A-Za-z0-9_]*\(.*|[A-Za-z_][A-Za-z0-9_]*\[.*|
        \d{1,6}
    )["']?$"""
)

_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])(?!git@)[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")



def redact_text(text: str, *, redact_emails: bool = False) -> str:
    """Return ``text`` with every secret replaced by a ``[REDACTED:<kind>]`` marker."""
    if not text:
        return text
    if "PRIVATE KEY" in text:
        text = _PRIVATE_KEY_RE.sub(marker("private-key"), text)
    for kind, literal, pattern in _TOKENS:
        if literal in text:
            text = pattern.sub(marker(kind), text)
    lowered = text.lower()
    if "authorization" in lowered:
        text = _AUTH_HEADER_RE.sub(_auth_sub, text)
    if "bearer" in lowered:
        text = _BEARER_RE.sub(lambda m: m.group(1) + marker("bearer-token"), text)
    if "://" in text and "@" in text:
        text = _URL_PASSWORD_RE.sub(_url_sub, text)
    if any(word in lowered for word in ("pass", "secret", "token", "key", "credential")):
        text = _redact_assignments(text)
    if redact_emails and "@" in text:
        text = _EMAIL_RE.sub(marker("email"), text)
    return text


def _auth_sub(match: re.Match[str]) -> str:
    prefix, scheme, value = match.group(1), match.group(2), match.group(3)
    if value.startswith("[REDACTED") or _PLACEHOLDER_RE.match(value):
        return match.group(0)
    scheme_text = f"{scheme} " if scheme else ""
    kind = "bearer-token" if (scheme or "bearer").lower() in ("bearer", "token") else "password"
    return f"{prefix}{scheme_text}{marker(kind)}"


def _url_sub(match: re.Match[str]) -> str:
    scheme, user, password = match.group(1), match.group(2), match.group(3)
    if password.startswith("[REDACTED") or _PLACEHOLDER_RE.match(password):
        return match.group(0)
    return f"{scheme}{user}:{marker('password')}@"


def _redact_assignments(text: str) -> str:
    """Mask values assigned to secret-looking names: found by keyword, then checked around it."""
    out: list[str] = []
    last = 0
    lowered = text.lower()
    # lower() keeps positions except for a few characters (e.g. "İ"); then search the text itself.
    matches = _KEYWORD.finditer(lowered) if len(lowered) == len(text) else _KEYWORD_ANY_CASE.finditer(text)
    for match in matches:
        end = match.end()
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            continue  # the keyword is inside a longer name (max_tokens, token_count)
        start = match.start()
        while start > 0 and text[start - 1] in _NAME_CHARS:
            start -= 1
        if start < last:
            continue
        name = text[start:end]
        flag = name.startswith("-")
        tail = _TAIL.match(text, end)
        if tail is None:
            continue
        separator, value = tail.group("sep"), tail.group("value")
        assigned = ":" in separator or "=" in separator
        if not assigned and (not flag or value.startswith("-")):
            continue  # "the token expired" is prose, not an assignment
        bare = value.strip("\"'")
        if len(bare) < 3 or _PLACEHOLDER_RE.match(value) or bare.startswith("[REDACTED"):
            continue
        quote = value[0] if value[0] in "\"'" and value[-1] == value[0] and len(value) > 1 else ""
        out.append(text[last : tail.start("value")])
        out.append(f"{quote}{marker(_kind_for_name(name.lstrip('-')))}{quote}")
        last = tail.end("value")
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _kind_for_name(name: str) -> str:
    lowered = name.lower()
    if "aws" in lowered and "secret" in lowered:
        return "aws-secret-key"
    if "pass" in lowered:
        return "password"
    if "token" in lowered:
        return "token"
    if "key" in lowered:
        return "api-key"
    return "secret"


def redact_value(value: Any, *, redact_emails: bool = False, _key: str | None = None) -> Any:
    """Redact every string inside ``value`` (dicts, lists, nested), masking whole values of secret-named keys.

    A container with nothing to mask comes back as the very same object, so redacting a huge trace
    allocates only for the few values that really change.
    """
    if isinstance(value, str):
        secret_key = _key is not None and _SECRET_NAME_RE.match(_key)
        if secret_key and len(value) >= 3 and not _PLACEHOLDER_RE.match(value) and not value.startswith("[REDACTED"):
            return marker(_kind_for_name(_key or ""))
        return redact_text(value, redact_emails=redact_emails)
    if isinstance(value, dict):
        red_dict = {k: redact_value(v, redact_emails=redact_emails, _key=str(k)) for k, v in value.items()}
        return value if red_dict == value else red_dict
    if isinstance(value, list):
        red_list = [redact_value(v, redact_emails=redact_emails) for v in value]
        return value if red_list == value else red_list
    if isinstance(value, tuple):
        red_tuple = tuple(redact_value(v, redact_emails=redact_emails) for v in value)
        return value if red_tuple == value else red_tuple
    return value


def redact_trace(trace: Trace, *, redact_emails: bool = False) -> Trace:
    """A copy of ``trace`` with every text field redacted: task, step text, tool-call arguments (nested),
    tool outputs, outcome error and metadata."""
    red: Callable[[str], str] = lambda s: redact_text(s, redact_emails=redact_emails)
    steps = [_redact_step(step, red, redact_emails) for step in trace.steps]
    outcome = trace.outcome
    if outcome.error:
        outcome = Outcome(success=outcome.success, reward=outcome.reward, error=red(outcome.error))
    return trace.model_copy(
        update={
            "task": red(trace.task),
            "steps": steps,
            "outcome": outcome,
            "metadata": redact_value(trace.metadata, redact_emails=redact_emails),
        }
    )


def redact_trace_in_place(trace: Trace, *, redact_emails: bool = False) -> Trace:
    """Like ``redact_trace`` but replaces the fields of ``trace`` itself, step by step.

    For streaming pipelines that own the trace: a huge session is never held twice in memory.
    """
    red: Callable[[str], str] = lambda s: redact_text(s, redact_emails=redact_emails)
    steps = trace.steps
    for number, step in enumerate(steps):
        steps[number] = _redact_step(step, red, redact_emails)
    trace.task = red(trace.task)
    if trace.outcome.error:
        trace.outcome = Outcome(success=trace.outcome.success, reward=trace.outcome.reward, error=red(trace.outcome.error))
    trace.metadata = redact_value(trace.metadata, redact_emails=redact_emails)
    return trace


def _redact_step(step: Step, red: Callable[[str], str], redact_emails: bool) -> Step:
    """``step`` with its texts redacted: the same object when nothing in it changed, else a new Step."""
    update: dict[str, Any] = {}
    text = red(step.text)
    if text != step.text:
        update["text"] = text
    if step.tool_call is not None:
        call = step.tool_call
        args = call.arguments
        new_args: dict[str, Any] | str = red(args) if isinstance(args, str) else redact_value(args, redact_emails=redact_emails)
        if new_args != args:
            update["tool_call"] = ToolCall(name=call.name, arguments=new_args, id=call.id)
    if step.tool_result is not None:
        result = step.tool_result
        output = red(result.output)
        if output != result.output:
            update["tool_result"] = ToolResult(
                output=output, is_error=result.is_error, exit_code=result.exit_code, call_id=result.call_id
            )
    return step.model_copy(update=update) if update else step
