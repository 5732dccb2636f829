"""A ticket's message thread, from whatever shape an export gives it.

Accepted: a list of message objects (``role``/``author``/``from``/``sender`` + ``body``/``text``/
``content``), a list of strings, a JSON string holding either, or plain text where each message
starts with a speaker label (``Customer:``, ``Agent (Mike):``, ``Jane Doe (customer):``) or messages
are separated by ``---`` lines or `` || ``. Customers become ``user``, agents and support staff
``assistant``, internal notes and automations ``system``. Unlabelled messages alternate, starting
with the customer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from skillforge.ingest.base import as_text
from skillforge.ingest.limits import loads

USER_WORDS = {"user", "customer", "client", "requester", "requestor", "enduser", "reporter", "submitter",
              "human", "caller", "guest", "visitor", "buyer"}
ASSISTANT_WORDS = {"assistant", "agent", "support", "staff", "admin", "administrator", "operator", "helpdesk",
                   "engineer", "technician", "tech", "maintainer", "developer", "bot", "ai", "representative",
                   "rep", "specialist", "responder", "assignee", "csr", "moderator"}
SYSTEM_WORDS = {"system", "internal", "automation", "trigger", "private"}

_ROLE_KEYS = ("role", "author_type", "author_role", "sender_type", "from_type", "user_type", "type", "author",
              "from", "sender", "by", "who", "name", "speaker", "via")
_TEXT_KEYS = ("body", "text", "content", "message", "plain_body", "comment", "value", "html_body")
_TIME_KEYS = ("created_at", "timestamp", "date", "time", "created", "sent_at")

# A speaker label never holds " -": "curl -s -u admin: …" is a command line, not a message from "admin".
_LABEL = re.compile(
    r"^\s*(?:\[(?P<ts>[^\]]{1,40})\]\s*)?(?P<who>[A-Za-z](?:(?! -)[\w .'@-]){0,40}?)\s*(?:\((?P<what>[^)]{1,40})\))?\s*:\s*(?P<rest>.*)$"
)
_SEPARATOR = re.compile(r"^\s*(?:-{3,}|={3,}|\*{3,}|_{3,})\s*$")


@dataclass
class Message:
    role: str
    text: str
    timestamp: str | None = None


def role_of(label: Any) -> str | None:
    """``"Support Agent"`` → assistant, ``"Customer"`` → user, ``"internal note"`` → system, else None."""
    words = set(re.split(r"[^a-z]+", as_text(label).lower())) - {""}
    if not words:
        return None
    if words & SYSTEM_WORDS:
        return "system"
    if words & ASSISTANT_WORDS:
        return "assistant"
    if words & USER_WORDS:
        return "user"
    return None


def parse_thread(value: Any) -> list[Message]:
    """The messages of a ticket thread, in order; empty when there is none."""
    if value is None:
        return []
    if isinstance(value, str):
        text = value.replace("\r\n", "\n").strip()
        if not text:
            return []
        if text[0] in "[{":
            try:
                return parse_thread(loads(text))
            except ValueError:  # not JSON, or nested past MAX_DEPTH: read as plain text
                pass
        return _from_text(text)
    if isinstance(value, dict):
        for key in ("messages", "comments", "conversations", "thread"):
            if isinstance(value.get(key), list):
                return parse_thread(value[key])
        value = [value]
    if not isinstance(value, list):
        return _from_text(as_text(value))
    out: list[Message] = []
    for i, item in enumerate(value):
        msg = _from_object(item, default="user" if i % 2 == 0 else "assistant")
        if msg is not None and msg.text:
            out.append(msg)
    return out


def _from_object(item: Any, default: str) -> Message | None:
    if isinstance(item, str):
        first, _, more = item.strip().partition("\n")
        found = _label(first)
        if found is not None:
            return Message(role=found[0], text=(found[1] + "\n" + more).strip(), timestamp=found[2])
        return Message(role=default, text=item.strip())
    if not isinstance(item, dict):
        return None
    text = ""
    for key in _TEXT_KEYS:
        if item.get(key) not in (None, ""):
            text = as_text(item[key]).strip()
            break
    role = None
    if isinstance(item.get("incoming"), bool):  # Freshdesk: incoming = from the customer
        role = "user" if item["incoming"] else "assistant"
    if item.get("public") is False or item.get("private") is True:
        role = "system"
    for key in _ROLE_KEYS:
        if role is None and item.get(key) is not None:
            role = role_of(item[key] if not isinstance(item[key], dict) else item[key].get("role") or item[key].get("type"))
    timestamp = next((as_text(item[k]) for k in _TIME_KEYS if item.get(k)), None)
    return Message(role=role or default, text=text, timestamp=timestamp)


def _from_text(text: str) -> list[Message]:
    """Split a text thread at speaker labels, or else at separator lines / ``||``."""
    messages: list[Message] = []
    current: Message | None = None
    for line in text.split("\n"):
        found = _label(line)
        if found is not None:
            current = Message(role=found[0], text=found[1], timestamp=found[2])
            messages.append(current)
        elif current is not None:
            current.text = (current.text + "\n" + line).strip("\n")
        elif line.strip():
            current = Message(role="?", text=line)
            messages.append(current)
    if any(m.role != "?" for m in messages):
        for i, m in enumerate(messages):
            if m.role == "?":
                m.role = "user" if i == 0 else "assistant"
            m.text = m.text.strip()
        return [m for m in messages if m.text]
    parts = [p.strip() for p in _split_unlabelled(text) if p.strip()]
    return [Message(role="user" if i % 2 == 0 else "assistant", text=p) for i, p in enumerate(parts)]


def _label(line: str) -> tuple[str, str, str | None] | None:
    """``"Agent (Mike): try again"`` → ("assistant", "try again", None); None if not a speaker label."""
    match = _LABEL.match(line)
    if match is None or len(match["who"].split()) > 4:
        return None
    role = role_of(match["what"]) or role_of(match["who"])
    if role is None:
        return None
    return role, match["rest"].strip(), match["ts"]


def _split_unlabelled(text: str) -> list[str]:
    if "||" in text:
        return text.split("||")
    parts: list[str] = []
    buf: list[str] = []
    for line in text.split("\n"):
        if _SEPARATOR.match(line):
            parts.append("\n".join(buf))
            buf = []
        else:
            buf.append(line)
    parts.append("\n".join(buf))
    return parts
