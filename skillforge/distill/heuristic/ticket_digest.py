"""What the ticket analyzer keeps of one ticket: subject, thread, resolution, the patch it shipped (if any).

A ticket arrives as a Trace of kind ``ticket``: ``task`` is subject + body, the steps are the thread,
and the last ``Resolution:`` step says how it was solved (for SWE-bench records: a patch summary and
the diff). The digest is small and typed so a big ticket export never holds every thread at once.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field

from skillforge.distill.heuristic.abstract import abstract
from skillforge.distill.heuristic.area import detect_area
from skillforge.distill.heuristic.signatures import error_line
from skillforge.models import Evidence, Trace
from skillforge.skills.naming import slug

__all__ = ["Change", "TicketDigest", "mask", "ticket_digest"]

_STOP_TEXT = (
    "the and for with that this from are was were will can not you your have has had into when then than them they "
    "its also should must may might could would which what where there their about more some such only other each "
    "any been being does did done how why who all but use used using here like just get got please thanks thank "
    "hello issue problem error bug describe expected behavior actual steps reproduce version code following line "
    "file return none true false self def import print http https www com github our after before since now new "
    "still want need way make know see our we hi dear regards best cheers cannot out back help show wrong"
)
STOP = frozenset(_STOP_TEXT.split())
_FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line \d+, in (?P<func>[\w<>.]+)', re.MULTILINE)
_EXC = re.compile(r"\b([A-Z][A-Za-z]*(?:Error|Exception|Warning))\b")
_PATCH_FILE = re.compile(r"(?:^|, |to )(?P<path>[\w./-]+\.\w+) \(\+(?P<plus>\d+) -(?P<minus>\d+)\)")
_HUNK = re.compile(r"^@@ [^@]+ @@ ?(?P<ctx>.*)$")


@dataclass
class Change:
    """One file a resolution's patch touched, with what it added."""

    path: str
    plus: int
    minus: int
    added: list[str] = field(default_factory=list)
    contexts: list[str] = field(default_factory=list)
    """Function/class names from the hunk headers (``def visit_property(self, node):`` -> ``visit_property``)."""


@dataclass
class TicketDigest:
    trace_id: str
    source: str
    ticket_id: str
    project: str
    """The repository or product area the ticket is about (``astroid``; a helpdesk tag like ``billing``)."""
    repo: bool
    """A code repository's issue (resolved by a patch), not a helpdesk ticket."""
    subject: str
    task: str
    resolution: str
    resolution_step: int | None
    resolution_quote: str
    replies: list[tuple[int, str]]
    """Support/maintainer messages before the resolution, by step."""
    customer: list[tuple[int, str]]
    """Reporter messages, by step."""
    tests: list[str]
    status: str
    tags: list[str]
    product: str
    success: bool | None
    changes: list[Change] = field(default_factory=list)
    frames: list[tuple[int | None, str, str]] = field(default_factory=list)
    """Traceback frames in the report (step None) and the thread: (step, file path, the line quoting it)."""
    errors: list[str] = field(default_factory=list)
    """Exception kinds the report names (``AttributeError``)."""
    tokens: Counter[str] = field(default_factory=Counter)
    vector: dict[str, float] = field(default_factory=dict)

    @property
    def resolved(self) -> bool:
        return bool(self.resolution) and self.success is not False

    def evidence(self, step: int | None, quote: str) -> Evidence:
        return Evidence(trace_id=self.trace_id, step=step, quote=quote[:160], source=self.source)


def ticket_digest(trace: Trace) -> TicketDigest:
    """What clustering and the rules need from one ticket."""
    subject = next((line.strip() for line in trace.task.splitlines() if line.strip()), "")[:160]
    resolution, resolution_step, quote = "", None, ""
    replies: list[tuple[int, str]] = []
    customer: list[tuple[int, str]] = []
    for number, step in enumerate(trace.steps):
        text = step.text.strip()
        if text.startswith("Resolution:"):
            resolution_step = number
            resolution = text[len("Resolution:") :].strip()
            quote = next((ln.strip() for ln in resolution.splitlines() if ln.strip()), "")
        elif step.role == "assistant" and text:
            replies.append((number, text))
        elif step.role == "user" and text:
            customer.append((number, text))
    meta = trace.metadata
    project = detect_area(trace)
    repo = bool(project and meta.get("repo"))
    task = trace.task[:12000]
    frames: list[tuple[int | None, str, str]] = [
        (None, m.group("path"), m.group(0).strip()) for m in _FRAME.finditer(task)
    ]
    frames += [(n, m.group("path"), m.group(0).strip()) for n, text in [*customer, *replies] for m in _FRAME.finditer(text)]
    errors = sorted(set(_EXC.findall(task)))
    return TicketDigest(
        trace_id=trace.id, source=trace.source.path, ticket_id=str(meta.get("ticket_id") or trace.id),
        project=project if repo and project else (_category(trace) or "general"), repo=repo, subject=subject,
        task=task, resolution=resolution, resolution_step=resolution_step, resolution_quote=quote,
        replies=replies, customer=customer, tests=_as_list(meta.get("fail_to_pass"))[:5],
        status=str(meta.get("status") or ""), tags=[slug(t) for t in _as_list(meta.get("tags")) if slug(t)],
        product=_product(trace), success=trace.outcome.success, changes=_changes(resolution),
        frames=frames, errors=errors,
        tokens=Counter(tokens(f"{subject} {subject} {task[:3000]}")),
    )


def tokens(text: str) -> list[str]:
    """Content words of ``text`` (lowercase, crude singular), for clustering and keywords."""
    words = re.findall(r"[a-z][a-z0-9_]{2,}", text.lower())
    return [singular(w) for w in words if w not in STOP]


def singular(word: str) -> str:
    """A crude singular that leaves ``-ous``/``-ss``/``-is``/``-us`` words alone (``ambiguous`` stays)."""
    if len(word) > 4 and word.endswith("s") and not word.endswith(("ous", "ss", "is", "us")):
        return word[:-1]
    return word


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        try:
            value = ast.literal_eval(value) if value.strip().startswith("[") else [value]
        except (ValueError, SyntaxError):
            value = [value]
    return [str(v) for v in value if isinstance(v, str) and v.strip()] if isinstance(value, list) else []


def _category(trace: Trace) -> str | None:
    """The helpdesk area of a ticket: its first tag or category, else the product or queue."""
    for tag in _as_list(trace.metadata.get("tags")):
        if slug(tag):
            return slug(tag)
    for key in ("category", "component", "queue", "product", "project"):
        value = trace.metadata.get(key)
        if isinstance(value, str) and slug(value):
            return slug(value)
    return None


def _product(trace: Trace) -> str:
    for key in ("product", "brand", "app", "application", "service"):
        value = trace.metadata.get(key)
        if isinstance(value, str) and slug(value):
            return slug(value)
    return ""


def _changes(resolution: str) -> list[Change]:
    """Files a patch touched (from the ``path (+a -b)`` summary) with the lines each diff added."""
    head = next((ln for ln in resolution.splitlines() if ln.strip()), "")
    changes = {m.group("path"): Change(m.group("path"), int(m.group("plus")), int(m.group("minus")))
               for m in _PATCH_FILE.finditer(head)}
    current: Change | None = None
    for line in resolution.splitlines():
        if line.startswith("+++ "):
            current = changes.get(re.sub(r"^\+\+\+ (?:b/)?", "", line).strip())
        elif current is None:
            continue
        elif (hunk := _HUNK.match(line)) and (name := _context_name(hunk.group("ctx"))):
            if name not in current.contexts:
                current.contexts.append(name)
        elif line.startswith("+") and not line.startswith("+++") and len(current.added) < 40:
            current.added.append(line[1:])
    return list(changes.values())


def _context_name(ctx: str) -> str:
    match = re.search(r"\b(?:def|class|func|function|fn)\s+(\w+)", ctx)
    return match.group(1) if match else ""


def error_of(digest: TicketDigest) -> str:
    """The error line the report quotes (the exception after a traceback), or ''."""
    if not re.search(r"Traceback|Error\b|Exception\b", digest.task):
        return ""
    line = error_line(digest.task)
    if not (line and line in digest.task and _EXC.search(line)):
        return ""
    return line.rstrip("_*` ")  # Markdown emphasis around a pasted error is not part of it


_GREETING_NAME = re.compile(
    r"\b(?P<word>Hi|Hello|Hey|Dear|Thanks|Thank you|Cheers|Regards|Best|Sincerely)(?P<sep>,?\s+)(?P<name>[A-Z][a-z]+)\b"
)
_TOPIC = re.compile(r"(\b(?:password|email|name|address|phone|username)s?\s+[a-z]+\b)", re.IGNORECASE)
_DASHED_ID = re.compile(r"\b[A-Z]{2,}(?:-\d+)+(?:-[A-Z0-9]+)*\b|#\d{2,}\b")


def mask(text: str) -> str:
    """``text`` fit for a rule: run-specific values as placeholders (``abstract``), plus what tickets add —
    a customer's name after a greeting or sign-off, and dashed record ids (``INV-2024-0311``)."""
    text = _GREETING_NAME.sub(lambda m: f"{m.group('word')}{m.group('sep')}{{customer_name}}", text)
    text = _DASHED_ID.sub("{record_id}", text)
    # "password reset", "email change": a personal key followed by a plain word is a topic, not a value.
    parts = _TOPIC.split(text)
    return "".join(part if i % 2 else abstract(part) for i, part in enumerate(parts))
