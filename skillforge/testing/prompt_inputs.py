"""What the fake model reads of a request: the task type and the inputs, by name, never by wording.

Every prompt template puts each input inside a tag of the placeholder's name
(``<outline>…</outline>``, see ``skillforge.llm.prompts``), and every first user message carries
the answer's JSON Schema in ``<schema>``; the schema's title names the answer model, and with it
the task type. So a prompt can be reworded freely: the fake finds the same values.
"""

from __future__ import annotations

import json
from typing import Any

KINDS = {
    "AnalystAnswer": "analyst",
    "MergeAnswer": "merge",
    "PlanAnswer": "plan",
    "FixAnswer": "fix",
    "FailureAnswer": "evolve-failure",
    "DiagnosisAnswer": "evolve-diagnose",
    "OptimizeAnswer": "evolve-optimize",
    "CorrectionAnswer": "correct",
}
"""Answer model -> task type (``Task.kind``), the name answers are queued under."""


def text_of(message: dict[str, Any] | None) -> str:
    """A chat message's text (string content or the text parts of a list)."""
    if not message:
        return ""
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def first_user(messages: list[dict[str, Any]]) -> str:
    """The text of the first user message: where a task's inputs are."""
    return text_of(next((m for m in messages if m.get("role") == "user"), None))


def tag(text: str, name: str) -> str | None:
    """The value inside ``<name>…</name>`` in ``text`` (the newline after the opening and before the
    closing tag is layout, not value), or None when the tag is not there."""
    opening, closing = f"<{name}>", f"</{name}>"
    start = text.find(opening)
    end = text.rfind(closing)
    if start < 0 or end < start + len(opening):
        return None
    value = text[start + len(opening) : end]
    value = value[1:] if value.startswith("\n") else value
    return value[:-1] if value.endswith("\n") else value


def task_kind(messages: list[dict[str, Any]]) -> str | None:
    """The task type of a conversation, from the title of the schema its first user message carries."""
    schema = tag(first_user(messages), "schema")
    if schema is None:
        return None
    try:
        title = json.loads(schema).get("title")
    except (json.JSONDecodeError, AttributeError):
        return None
    return KINDS.get(str(title))


def json_input(text: str, name: str) -> list[Any]:
    """A JSON list input (``<lessons>``, ``<rules>``...), or [] when it is missing or not a list."""
    raw = tag(text, name)
    try:
        value = json.loads(raw) if raw is not None else []
    except json.JSONDecodeError:
        return []
    return value if isinstance(value, list) else []
