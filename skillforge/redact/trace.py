"""Redacting structured values and whole traces: every text field, every nested argument, every dict key."""

from __future__ import annotations

import re
import shlex
from collections import Counter
from collections.abc import Callable
from typing import Any

from skillforge.models import Outcome, Skipped, Source, Step, ToolCall, ToolResult, Trace
from skillforge.redact.commands import redact_pgpass
from skillforge.redact.controls import neutralize_controls
from skillforge.redact.entropy import looks_secret
from skillforge.redact.patterns import SECRET_NAME_RE, SECRET_NAMES_RE, is_placeholder, kind_for_name, marker
from skillforge.redact.text import redact_text

Clean = Callable[[str], str]


def redact_value(value: Any, *, redact_emails: bool = False, _key: str | None = None) -> Any:
    """Redact every string inside ``value`` (dicts, lists, nested), masking whole values of secret-named keys.

    Dict keys are redacted too: a token used as a key (``{"ghp_…": "ci"}``), or a random-looking key
    of a map named like a secret (``{"api_tokens": {"<token>": "alice"}}``), becomes a marker.
    A container with nothing to mask comes back as the very same object, so redacting a huge trace
    allocates only for the few values that really change.
    """
    return _value(value, lambda s: redact_text(s, redact_emails=redact_emails), _key)


def _value(value: Any, clean: Clean, key: str | None) -> Any:
    if isinstance(value, str):
        if key is not None and len(value) >= 3 and not _placeholder(value):
            if _secret_named(key) or (SECRET_NAMES_RE.match(key) and looks_secret(value, strong=True)):
                return marker(kind_for_name(key))
        return clean(value)
    if isinstance(value, dict):
        secret_map = key is not None and SECRET_NAMES_RE.match(key) is not None
        # {"master_password": {"value": …}}: the value under a secret's name is the secret.
        secret_parent = key if key is not None and _secret_named(key) else None
        # {"name": "API_TOKEN", "value": …}: the sibling name says what the value is.
        pair_name = _pair_name(value) if 1 < len(value) <= 8 else None
        if _about_pgpass(value):
            clean = _with_pgpass(clean)
        red_dict: dict[Any, Any] = {}
        for k, v in value.items():
            new_key = _dict_key(k, clean, secret_map, key or "", red_dict)
            child = str(k)
            if pair_name is not None and child.lower() in _PAIR_VALUES:
                child = pair_name
            elif secret_parent is not None and child.lower() in _VALUE_KEYS:
                child = secret_parent
            red_dict[new_key] = _value(v, clean, child)
        return value if red_dict == value else red_dict
    if isinstance(value, list):
        red_list = _items(value, clean, key)
        return value if red_list == value else red_list
    if isinstance(value, tuple):
        red_tuple = tuple(_items(list(value), clean, key))
        return value if red_tuple == value else red_tuple
    return value


# Header names whose whole value is a credential: {"Cookie": "…"}, {"authorization": ["Bearer …"]}.
_SECRET_HEADER = re.compile(r"(?:set-)?cookie|(?:proxy-)?authorization", re.IGNORECASE)
_PAIR_NAMES = frozenset({"name", "key", "parameterkey", "variable", "env", "envname"})
_PAIR_VALUES = frozenset({"value", "parametervalue", "secretvalue"})
_VALUE_KEYS = frozenset({"value", "val", "data", "default", "current", "plaintext", "raw", "content", "text", "string"})


def _secret_named(key: str) -> bool:
    return (
        SECRET_NAME_RE.match(key) is not None
        or _SECRET_HEADER.fullmatch(key) is not None
        or key.lower() in _SHORT_PASSWORD_KEYS
    )


# A key that is only "pass" or "pw" (``{"user": "admin", "pass": …}``): in prose the words mean other
# things ("--- PASS: TestX"), as a key of its own they name a password.
_SHORT_PASSWORD_KEYS = frozenset({"pass", "pw", "passwd", "pwd"})


def _placeholder(value: str) -> bool:
    """A placeholder, also after an auth scheme: ``Bearer ${TOKEN}``, ``Basic <credentials>``."""
    if is_placeholder(value):
        return True
    scheme, _, rest = value.partition(" ")
    return bool(rest) and scheme.isalpha() and is_placeholder(rest.strip())


def _pair_name(value: dict[Any, Any]) -> str | None:
    """The secret-looking name of a ``{"name": …, "value": …}`` pair, or None."""
    if not any(isinstance(k, str) and k.lower() in _PAIR_VALUES for k in value):
        return None
    for k, v in value.items():
        if isinstance(k, str) and isinstance(v, str) and k.lower() in _PAIR_NAMES and len(v) < 256 and _secret_named(v):
            return v
    return None


def _about_pgpass(value: dict[Any, Any]) -> bool:
    """A dict that names a ``.pgpass`` file (``{"file_path": "~/.pgpass", "content": …}``)."""
    return any(isinstance(v, str) and len(v) < 1024 and "pgpass" in v.lower() for v in value.values())


def _with_pgpass(clean: Clean) -> Clean:
    return lambda s: clean(redact_pgpass(s))


def _items(items: list[Any], clean: Clean, key: str | None) -> list[Any]:
    red = [_value(v, clean, key) for v in items]
    if (key is None or not SECRET_NAMES_RE.match(key)) and _argv_like(items):
        _judge_as_command_line(items, red, clean)
    return red


def _argv_like(items: list[Any]) -> bool:
    if not 1 < len(items) <= 256:
        return False
    total = 0
    for item in items:
        if not isinstance(item, str) or "\n" in item:
            return False
        total += len(item)
    return total <= 16384


def _judge_as_command_line(items: list[str], red: list[Any], clean: Clean) -> None:
    """Mask in ``red`` what redaction masks in ``items`` joined as one command line.

    An argv list (``["mysql", "-u", "root", "-pPW"]``, ``["deploy", "--password", "PW"]``) hides its
    context item by item: ``-pPW`` or ``PW`` alone is not a password, the command line is.
    """
    joined = " ".join(shlex.quote(item) for item in items)
    redacted = clean(joined)
    if redacted == joined:
        return
    try:
        tokens = shlex.split(redacted)
    except ValueError:  # redaction left an odd quote
        tokens = redacted.split()
    if len(tokens) == len(items):
        for number, (item, token) in enumerate(zip(items, tokens, strict=True)):
            if token != item and "[REDACTED:" in token:
                red[number] = clean(token)
        return
    # Redaction merged words (a multi-word value became one marker): mask the items that are gone.
    left = Counter(tokens)
    for number, item in enumerate(items):
        if left[item] > 0:
            left[item] -= 1
        elif red[number] == item:
            red[number] = marker("secret")


def _dict_key(key: Any, clean: Clean, secret_map: bool, parent: str, taken: dict[Any, Any]) -> Any:
    if not isinstance(key, str):
        return key
    new = marker(kind_for_name(parent)) if secret_map and looks_secret(key, strong=True) else clean(key)
    if new != key and new in taken:  # two masked keys must not overwrite each other
        number = 2
        while f"{new} #{number}" in taken:
            number += 1
        new = f"{new} #{number}"
    return new


def _cleaner(redact_emails: bool) -> Clean:
    """Redaction then control-character neutralizing: what every trace text goes through."""
    return lambda s: neutralize_controls(redact_text(s, redact_emails=redact_emails))


def clean_text(text: str, *, redact_emails: bool = False) -> str:
    """One text as every trace text is cleaned: secrets redacted, control characters neutralized."""
    return _cleaner(redact_emails)(text)


def redact_trace(trace: Trace, *, redact_emails: bool = False) -> Trace:
    """A copy of ``trace`` with every text field redacted and its control characters neutralized:
    task, step text, tool-call arguments (nested, keys too), tool outputs, outcome error, metadata and
    the source path (a token in a file name)."""
    clean = _cleaner(redact_emails)
    steps = [_redact_step(step, clean) for step in trace.steps]
    outcome = trace.outcome
    if outcome.error:
        outcome = Outcome(success=outcome.success, reward=outcome.reward, error=clean(outcome.error))
    return trace.model_copy(
        update={
            "task": clean(trace.task),
            "steps": steps,
            "outcome": outcome,
            "metadata": _value(trace.metadata, clean, None),
            "source": _redact_source(trace.source, clean),
        }
    )


def redact_trace_in_place(trace: Trace, *, redact_emails: bool = False) -> Trace:
    """Like ``redact_trace`` but replaces the fields of ``trace`` itself, step by step.

    For streaming pipelines that own the trace: a huge session is never held twice in memory.
    """
    clean = _cleaner(redact_emails)
    steps = trace.steps
    for number, step in enumerate(steps):
        steps[number] = _redact_step(step, clean)
    trace.task = clean(trace.task)
    if trace.outcome.error:
        trace.outcome = Outcome(success=trace.outcome.success, reward=trace.outcome.reward, error=clean(trace.outcome.error))
    trace.metadata = _value(trace.metadata, clean, None)
    trace.source = _redact_source(trace.source, clean)
    return trace


def redact_skipped(item: Skipped, *, redact_emails: bool = False) -> Skipped:
    """``item`` with its path and reason redacted and their control characters neutralized.

    A skip names a file and quotes what was wrong with it (a CSV header, a malformed record): both
    may hold a secret or a terminal escape, and both are printed, cached and written to reports.
    Idempotent, so every place that passes skips on may apply it; an unchanged item is returned as is.
    """
    clean = _cleaner(redact_emails)
    path, reason = clean(item.path), clean(item.reason)
    if path == item.path and reason == item.reason:
        return item
    return item.model_copy(update={"path": path, "reason": reason})


def _redact_source(source: Source, clean: Clean) -> Source:
    path = clean(source.path)
    return source if path == source.path else source.model_copy(update={"path": path})


def _redact_step(step: Step, clean: Clean) -> Step:
    """``step`` with its texts redacted: the same object when nothing in it changed, else a new Step."""
    update: dict[str, Any] = {}
    text = clean(step.text)
    if text != step.text:
        update["text"] = text
    if step.tool_call is not None:
        call = step.tool_call
        args = call.arguments
        new_args: dict[str, Any] | str = clean(args) if isinstance(args, str) else _value(args, clean, None)
        name = clean(call.name)
        if new_args != args or name != call.name:
            update["tool_call"] = ToolCall(name=name, arguments=new_args, id=call.id)
    if step.tool_result is not None:
        result = step.tool_result
        output = clean(result.output)
        if output != result.output:
            update["tool_result"] = ToolResult(
                output=output, is_error=result.is_error, exit_code=result.exit_code, call_id=result.call_id
            )
    return step.model_copy(update=update) if update else step
