"""Helpers shared by the agent-trajectory readers (SWE-agent, mini-swe-agent, OpenHands, OTel).

Streaming a big JSON document record by record without building what is not needed, turning a
parse failure into a ``Skipped`` that names the line, finding the issue inside an agent's
instance prompt, and naming a shell action.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Iterable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from skillforge.ingest.base import clip
from skillforge.ingest.limits import JSONStream, JSONTooDeep, loads, open_input
from skillforge.models import Skipped

MAX_VALUE_CHARS = 1 << 20
"""Strings longer than this are cut while a record is built (a tool-call argument JSON string up to
this size still parses; anything larger is clipped later anyway)."""


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a JSON object, else an empty one: foreign files put anything anywhere."""
    return value if isinstance(value, dict) else {}


def iter_values(
    path: Path,
    prefixes: Collection[str],
    *,
    skip: Iterable[str] = (),
    max_chars: int | None = MAX_VALUE_CHARS,
) -> Iterator[tuple[str, Any]]:
    """Stream a JSON document, yielding ``(prefix, value)`` for every value found at one of the ijson
    ``prefixes`` (``"history.item"``, ``"info"``…), in document order.

    Subtrees under a ``skip`` prefix are never built, and strings longer than ``max_chars`` are cut as
    they arrive, so one record costs at most what is kept of it. With one prefix, nothing to skip and
    no cut, ijson's C builder does the work (several times faster on a 50,000-event array). ijson
    errors propagate (see ``json_error``), and so does ``JSONTooDeep`` for nesting past ``MAX_DEPTH``.
    """
    import ijson
    from ijson.common import ObjectBuilder

    targets = set(prefixes)
    skips = tuple(skip)
    if len(targets) == 1 and not skips and max_chars is None:
        (only,) = targets
        with open_input(path) as fh:
            for value in ijson.items(JSONStream(fh), only, use_float=True):
                yield only, value
        return
    skip_dotted = tuple(s + "." for s in skips)
    builder: ObjectBuilder | None = None
    current = ""
    depth = 0
    with open_input(path) as fh:
        for prefix, event, value in ijson.parse(JSONStream(fh), use_float=True):
            if max_chars is not None and isinstance(value, str) and len(value) > max_chars:
                value = clip(value, max_chars)
            if builder is None:
                if prefix not in targets or event in ("map_key", "end_map", "end_array"):
                    continue
                if event in ("start_map", "start_array"):
                    builder, current, depth = ObjectBuilder(), prefix, 1
                    builder.event(event, value)
                else:
                    yield prefix, value
                continue
            if event in ("start_map", "start_array"):
                depth += 1
            elif event in ("end_map", "end_array"):
                depth -= 1
            if not (skips and (prefix in skips or prefix.startswith(skip_dotted))):
                builder.event(event, value)
            if depth == 0:
                yield current, builder.value
                builder = None


def json_error(path: Path, exc: Exception, *, what: str = "file") -> Skipped:
    """Turn a streaming parse failure into a ``Skipped`` naming the line where the JSON breaks.

    A document cut short (a crashed writer, a partial copy) is reported as truncated at its last
    line; any other damage is located by re-parsing with ``json`` (files up to 64 MiB).
    """
    message = str(exc).strip()
    if isinstance(exc, JSONTooDeep):
        return Skipped(path=str(path), reason=f"{exc.message}; {what} not read")
    if isinstance(exc, UnicodeDecodeError):
        return Skipped(path=str(path), reason=f"invalid UTF-8 at byte {exc.start}; {what} not read")
    if "premature EOF" in message or "Incomplete JSON" in message:
        return Skipped(
            path=str(path),
            line=_last_line(path),
            reason=f"truncated JSON (the file ends mid-document); {what} not read",
        )
    line: int | None = None
    reason = f"invalid JSON ({message.splitlines()[0]})" if message else "invalid JSON"
    try:
        if path.stat().st_size <= 64 << 20:  # re-parse only to locate the error; bounded
            loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as err:
        reason = f"invalid UTF-8 at byte {err.start}"
    except json.JSONDecodeError as err:
        line, reason = err.lineno, f"invalid JSON ({err.msg})"
    except JSONTooDeep as err:
        reason = err.message
    except OSError:
        pass
    return Skipped(path=str(path), line=line, reason=f"{reason}; {what} not read")


def _last_line(path: Path) -> int | None:
    try:
        with open_input(path) as fh:
            count, last = 0, b""
            while chunk := fh.read(1 << 20):
                count += chunk.count(b"\n")
                last = chunk[-1:]
    except OSError:
        return None
    return count + (1 if last and last != b"\n" else 0)


def parse_errors() -> tuple[type[Exception], ...]:
    """Exceptions a streaming parse of a damaged file can raise."""
    import ijson

    return (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError, ValueError)


_TASK_MARKERS: tuple[tuple[str, str], ...] = (
    ("<pr_description>", "</pr_description>"),
    ("ISSUE:\n", "\n\nINSTRUCTIONS:"),
    ("Please solve this issue: ", "\n\nYou can execute bash commands"),
    ("Your task: ", ". Please reply with a single shell command"),
    ("# Problem Statement\n", "\n\nIMPORTANT:"),
)
_LEAD_INS = ("Consider the following PR description:",)


def extract_task(prompt: str) -> str:
    """The issue inside an agent's instance prompt (the text between the template's known
    markers), or the whole prompt when no known template wraps it."""
    for start, end in _TASK_MARKERS:
        i = prompt.find(start)
        if i < 0:
            continue
        j = prompt.find(end, i + len(start))
        if j < 0:
            continue
        task = prompt[i + len(start) : j].strip()
        for lead in _LEAD_INS:
            task = task.removeprefix(lead).strip()
        if task:
            return task
    head, sep, _ = prompt.partition("\n\nINSTRUCTIONS:")
    return (head if sep else prompt).strip()


_ENV_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")


def command_name(command: str) -> str:
    """First word of a command line (after ``VAR=value`` prefixes): ``edit``, ``python``, ``submit``."""
    for token in command.split():
        if not _ENV_ASSIGN.match(token):
            return token
    return command.strip()[:40] or "command"


def iso_time(value: Any) -> str | None:
    """A unix time in seconds (float) as an ISO-8601 UTC string; strings pass through."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0:
        return datetime.fromtimestamp(float(value), tz=timezone.utc).isoformat()
    return None
