"""Support tickets from helpdesk CSV exports and JSON/JSONL dumps, as ``Trace(kind="ticket")``.

A ticket becomes: ``task`` = subject (+ body); ``steps`` = the thread (customer → ``user``, agent or
support → ``assistant``), then the resolution as a final ``assistant`` step; ``outcome.success`` =
True when it was resolved/closed with a resolution, False when still open or rejected, None when the
file does not say; ``metadata`` = ticket_id, status, priority, tags, created_at.

Columns and keys are found by name (``ticket_id``, ``title``, ``description``, ``question``,
``answer``, ``resolution``, ``status``, …) or mapped with ``ReadOptions.ticket_columns``.

Jira issues (the REST search API and JSON exports: ``{"issues": [{"key", "fields": {...}}]}``) are read
from their ``fields``: summary, description (plain or Atlassian Document Format), comments with the
reporter as the customer and everyone else as support, status and resolution by name; an issue whose
status is done and whose resolution is not a refusal (Won't Do, Duplicate, Cannot Reproduce) succeeded.

SWE-bench records (``instance_id`` + ``problem_statement`` + ``patch``/``hints_text``) are read as
tickets: subject = first line of ``problem_statement``, body = the rest, thread = ``hints_text``
(maintainer comments, one assistant step), resolution = a summary of ``patch`` (files, +/- lines,
then the diff), success = True because a merged fix exists.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skillforge.errors import FormatError
from skillforge.ingest.base import Probe, Reader, ReadOptions, as_text, clip, iter_json_array, iter_jsonl
from skillforge.ingest.formats._thread import parse_thread, role_of
from skillforge.ingest.limits import JSONTooDeep, error_text, loads, open_input
from skillforge.models import Outcome, Skipped, Source, Step, Trace

SYNONYMS: dict[str, tuple[str, ...]] = {
    "id": ("id", "ticket_id", "ticket", "ticket_no", "ticket_number", "ticket_key", "number", "key", "issue_id",
           "issue_key", "issue_number", "case_id", "case_number", "request_id", "instance_id", "conversation_id"),
    "subject": ("subject", "title", "summary", "short_description", "issue_title", "topic", "ticket_subject"),
    "body": ("body", "description", "question", "problem", "problem_statement", "details", "issue_body",
             "content", "text", "message", "request", "query", "customer_message", "first_message", "issue_description"),
    "messages": ("messages", "comments", "conversation", "conversations", "thread", "replies", "interactions",
                 "transcript", "hints_text", "comment_thread", "notes"),
    "resolution": ("resolution", "answer", "solution", "resolution_notes", "resolution_note", "fix", "patch",
                   "close_notes", "closure_notes", "resolution_summary", "response", "agent_response", "final_answer"),
    "status": ("status", "state", "ticket_status"),
    "priority": ("priority", "severity", "urgency"),
    "tags": ("tags", "labels", "tag_list", "categories", "category"),
    "created_at": ("created_at", "created", "creation_date", "created_date", "date_created", "opened_at",
                   "submitted_at", "created_time", "date"),
}
_CONTENT = ("subject", "body", "messages", "resolution")
_TEXT_FIELDS = ("subject", "body", "resolution")
_DONE = {"resolved", "closed", "solved", "done", "fixed", "completed", "complete", "answered"}
_FAILED = {"open", "new", "pending", "in_progress", "on_hold", "unresolved", "reopened", "escalated", "waiting",
           "wont_fix", "wontfix", "rejected", "cancelled", "canceled", "cannot_reproduce", "not_fixed", "failed"}
_WRAPPERS = ("tickets", "issues", "data", "items", "results", "records")
_SWE_BENCH_KEYS = {"instance_id", "problem_statement"}


def norm(name: str) -> str:
    """``"Ticket ID"`` → ``"ticket_id"``: the form column names are compared in."""
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lstrip("\ufeff").lower()).strip("_")


def map_fields(names: list[str], overrides: dict[str, str]) -> dict[str, str]:
    """Our field → the file's column/key name, from ``overrides`` first, then by synonym."""
    by_norm: dict[str, str] = {}
    for name in names:
        by_norm.setdefault(norm(name), name)
    found: dict[str, str] = {}
    taken: set[str] = set()
    for ours, theirs in overrides.items():
        if theirs in names:
            found[ours] = theirs
        elif norm(theirs) in by_norm:
            found[ours] = by_norm[norm(theirs)]
        taken.add(found.get(ours, theirs))
    for ours, synonyms in SYNONYMS.items():
        if ours in found or ours in overrides:
            continue
        for synonym in synonyms:
            column = by_norm.get(synonym)
            if column is not None and column not in taken:
                found[ours] = column
                taken.add(column)
                break
    return found


def _score(fields: set[str], hinted: bool) -> float:
    content = sum(1 for f in _CONTENT if f in fields)
    other = len(fields) - content
    if not ({"subject", "body"} & fields) or not (content >= 2 or (content >= 1 and other >= 2)):
        return 0.0
    return min(0.85, 0.45 + 0.08 * len(fields) + (0.1 if hinted else 0.0))


# --------------------------------------------------------------------------- JSON / JSONL


def _is_swe_bench(record: Any) -> bool:
    return isinstance(record, dict) and record.keys() >= _SWE_BENCH_KEYS and bool({"patch", "hints_text"} & record.keys())


def _record_fields(record: dict[str, Any]) -> set[str]:
    """Fields a JSON object holds with plausible types (strings for text, lists/strings for threads)."""
    record = _linear(_github(_jira(record)))
    found = map_fields([str(k) for k in record], {})
    ok = set()
    for ours, key in found.items():
        value = record.get(key)
        if ours in _TEXT_FIELDS and not isinstance(value, str):
            continue
        if ours == "messages" and not isinstance(value, (str, list)):
            continue
        ok.add(ours)
    return ok


def _json_records_shape(probe: Probe) -> tuple[str, Any] | None:
    """``(ijson prefix, first record)`` for an array of tickets, a wrapped array or one ticket."""
    sk = probe.skeleton
    if isinstance(sk, list):
        return "item", (sk[0] if sk else None)
    if isinstance(sk, dict):
        found = _wrapped(sk, "", 0)
        return found if found is not None else ("", sk)
    return None


def _wrapped(node: dict[str, Any], prefix: str, depth: int) -> tuple[str, Any] | None:
    """The array of records inside wrapper objects: ``{"tickets": [...]}``, or a GraphQL answer's
    ``{"data": {"issues": {"nodes": [...]}}}`` (Linear) or ``{"data": {"repository": {"issues": {"nodes":
    [...]}}}}`` (GitHub), up to four levels down."""
    for key in (*_WRAPPERS, "nodes"):
        value = node.get(key)
        if isinstance(value, list):
            return f"{prefix}{key}.item", (value[0] if value else None)
    if depth < 3:
        for key in (*_WRAPPERS, "nodes", "repository", "search"):
            value = node.get(key)
            if isinstance(value, dict):
                found = _wrapped(value, f"{prefix}{key}.", depth + 1)
                if found is not None:
                    return found
    return None


def sniff_json(probe: Probe) -> float:
    shape: tuple[str, Any] | None = None
    if probe.kind == "jsonl":
        first: Any = next((r for r in probe.lines if isinstance(r, dict)), None)
        hinted = False
    elif probe.kind == "json":
        shape = _json_records_shape(probe)
        if shape is None:
            return 0.0
        first = shape[1]
        hinted = shape[0].startswith("tickets")
    else:
        return 0.0
    if _is_swe_bench(first):
        return 0.95
    if not isinstance(first, dict) or first.keys() & {"$schema", "$defs", "$id", "properties"}:
        return 0.0  # JSON Schemas have title + description too
    fields = _record_fields(first)
    if probe.kind == "json" and shape is not None and not shape[0]:
        # One bare object: many JSON documents have a title and a description; a ticket also has
        # an id and a status or resolution.
        if "id" not in fields or not ({"status", "resolution"} & fields):
            return 0.0
    return _score(fields, hinted)


def read_json(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    builder = _Builder(path, "tickets-json", options)
    if probe.kind == "jsonl":
        for lineno, record in iter_jsonl(path, max_line_bytes=options.max_line_bytes):
            yield record if isinstance(record, Skipped) else builder.from_record(record, line=lineno, where=f"line {lineno}")
        return
    shape = _json_records_shape(probe) if probe.kind == "json" else None
    if shape is None:
        raise FormatError("not a JSON ticket file: expected an array of ticket objects or {\"tickets\": [...]}", path=path)
    prefix = shape[0]
    import ijson

    try:
        if not prefix:
            record = loads(path.read_bytes())
            yield builder.from_record(record, line=1, where="the document")
            return
        for n, record in enumerate(iter_json_array(path, prefix), start=1):
            yield builder.from_record(record, line=None, where=f"record {n}")
    except UnicodeDecodeError as exc:
        yield Skipped(path=str(path), reason=f"invalid UTF-8 at byte {exc.start}; records after it not read")
    except JSONTooDeep as exc:
        yield Skipped(path=str(path), reason=f"{exc.message} after record {builder.records}; the rest not read")
    except (ValueError, ijson.JSONError) as exc:
        # Records before the damage are kept; the rest of a broken document cannot be located.
        yield Skipped(path=str(path), reason=f"invalid or truncated JSON after record {builder.records}: {error_text(exc)}")
    if builder.traces == 0 and builder.records == 0:
        yield Skipped(path=str(path), reason="no ticket records found")


# --------------------------------------------------------------------------- CSV


def _csv_header(text: str) -> tuple[list[str], str] | None:
    """The header row and delimiter of a CSV/TSV sample, or None if it does not look like one."""
    first = text.split("\n", 1)[0].strip("\r")
    if not first or first.startswith(("{", "[", "<", "#")):
        return None
    delimiter = max(",;\t|", key=first.count)
    if first.count(delimiter) == 0:
        return None
    try:
        header = next(csv.reader([first], delimiter=delimiter))
    except csv.Error:
        return None
    header = [h.strip() for h in header]
    if len(header) < 2 or any(len(h) > 80 for h in header):
        return None
    return header, delimiter


def sniff_csv(probe: Probe) -> float:
    if probe.kind != "text":
        return 0.0
    found = _csv_header(probe.text)
    if found is None:
        return 0.0
    header = found[0]
    fields = set(map_fields(header, {}))
    hinted = any("ticket" in norm(h) for h in header) or probe.suffix in (".csv", ".tsv")
    return _score(fields, hinted)


_SURROGATE = re.compile("[\udc80-\udcff]")


def read_csv(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    found = _csv_header(probe.text)
    if found is None:
        raise FormatError("not a CSV file with a header row", path=path, line=1)
    header, delimiter = found
    columns = map_fields(header, options.ticket_columns)
    missing = sorted(set(options.ticket_columns) - set(columns))
    if missing:
        raise FormatError(
            "--ticket-columns names columns this file does not have: "
            + ", ".join(f"{m}={options.ticket_columns[m]}" for m in missing),
            path=path, line=1, hint="columns: " + ", ".join(header),
        )
    if not {"subject", "body"} & columns.keys():
        raise FormatError(
            "no subject or body column found", path=path, line=1,
            hint="map one with --ticket-columns subject=<column>,body=<column>; columns: " + ", ".join(header),
        )
    builder = _Builder(path, "tickets-csv", options)
    with open_input(path) as raw:
        # surrogateescape keeps undecodable bytes visible, so one bad row is skipped, not the file.
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.reader(text, delimiter=delimiter)
        end = 0
        errors_in_a_row = 0
        while True:
            start = end + 1
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                end = reader.line_num
                errors_in_a_row += 1
                yield Skipped(path=str(path), line=start, reason=f"unreadable CSV row: {error_text(exc)}")
                if errors_in_a_row > 100:
                    yield Skipped(path=str(path), line=end, reason="too many unreadable rows, rest of file not read")
                    return
                continue
            errors_in_a_row = 0
            end = reader.line_num
            if start == 1 or not any(cell.strip() for cell in row):
                continue
            if any(_SURROGATE.search(cell) for cell in row):
                yield Skipped(path=str(path), line=start, reason="invalid UTF-8 in this row")
                continue
            record = {header[i]: cell for i, cell in enumerate(row) if i < len(header)}
            yield builder.from_record(record, line=start, where=f"row at line {start}", columns=columns)


# --------------------------------------------------------------------------- shared


class _Builder:
    """Turns ticket records into Traces, numbering them and skipping duplicates by ticket id."""

    def __init__(self, path: Path, fmt: str, options: ReadOptions) -> None:
        self.path, self.fmt, self.options = path, fmt, options
        self.records = 0
        self.traces = 0
        self.seen: dict[str, str] = {}

    def skip(self, line: int | None, reason: str) -> Skipped:
        return Skipped(path=str(self.path), line=line, reason=reason)

    def from_record(
        self, record: Any, *, line: int | None, where: str, columns: dict[str, str] | None = None
    ) -> Trace | Skipped:
        self.records += 1
        if not isinstance(record, dict):
            return self.skip(line, f"{where}: expected a ticket object, got {type(record).__name__}")
        if _is_swe_bench(record) and not self.options.ticket_columns:
            fields = _swe_bench_fields(record)
        else:
            record = _linear(_github(_jira(record)))
            cols = columns if columns is not None else map_fields([str(k) for k in record], self.options.ticket_columns)
            fields = {ours: record.get(key) for ours, key in cols.items()}
        subject = as_text(fields.get("subject")).strip()
        body = as_text(fields.get("body")).strip()
        if not subject and not body:
            return self.skip(line, f"{where}: no subject or body")
        ticket_id = as_text(fields.get("id")).strip() or None
        if ticket_id is not None:
            if ticket_id in self.seen:
                return self.skip(line, f"{where}: duplicate of ticket {ticket_id} ({self.seen[ticket_id]}), skipped")
            self.seen[ticket_id] = where
        trace = _trace(self.path, self.fmt, self.traces, line, subject, body, fields, ticket_id)
        self.traces += 1
        return trace


def _trace(
    path: Path, fmt: str, index: int, line: int | None, subject: str, body: str, fields: dict[str, Any],
    ticket_id: str | None,
) -> Trace:
    thread = parse_thread(fields.get("messages"))
    if thread and body and thread[0].text.strip() == body:
        thread = thread[1:]  # exports often repeat the description as the first comment
    steps = [Step(role=m.role, text=clip(m.text), timestamp=m.timestamp) for m in thread]  # type: ignore[arg-type]
    resolution = as_text(fields.get("resolution")).strip()
    said = next((i for i in range(len(steps) - 1, max(-1, len(steps) - 4), -1)
                 if steps[i].text.strip() == resolution), None) if resolution else None
    if said is not None:
        # The resolution is one of the last replies (exports repeat it; Jira and GitHub take it from the
        # thread): that reply becomes the resolution step, said once.
        steps[said] = Step(role="assistant", text=clip("Resolution:\n" + resolution), timestamp=steps[said].timestamp)
    elif resolution:
        steps.append(Step(role="assistant", text=clip("Resolution:\n" + resolution)))
    status = as_text(fields.get("status")).strip() or None
    metadata: dict[str, Any] = {k: v for k, v in fields.get("_meta", {}).items()}
    metadata.update({"ticket_id": ticket_id, "status": status, "priority": as_text(fields.get("priority")).strip() or None,
                     "created_at": as_text(fields.get("created_at")).strip() or None, "tags": _tags(fields.get("tags"))})
    task = subject if not body else (f"{subject}\n\n{body}" if subject else body)
    return Trace(
        id=Trace.make_id(str(path), index),
        kind="ticket",
        source=Source(path=str(path), format=fmt, line=line, index=index),
        task=clip(task),
        steps=steps,
        outcome=Outcome(success=_success(status, bool(resolution))),
        metadata={k: v for k, v in sorted(metadata.items()) if v not in (None, [], "")},
    )


def _success(status: str | None, has_resolution: bool) -> bool | None:
    state = norm((status or "").replace("'", ""))
    if state in _FAILED or state.startswith(("open", "unresolved", "wont")):
        return False
    if state in _DONE:
        return True if has_resolution else None
    return True if (has_resolution and not state) else None


def _tags(value: Any) -> list[str]:
    if isinstance(value, list):
        return sorted({as_text(v).strip() for v in value if as_text(v).strip()})
    text = as_text(value).strip()
    if not text:
        return []
    return sorted({t.strip() for t in re.split(r"[,;|]", text) if t.strip()})


# --------------------------------------------------------------------------- Jira


_JIRA_REFUSED = {"wont_do", "wont_fix", "duplicate", "cannot_reproduce", "incomplete", "declined", "rejected",
                 "not_a_bug", "obsolete", "abandoned"}


def _jira(record: dict[str, Any]) -> dict[str, Any]:
    """A Jira issue (``key`` + ``fields``) as a flat ticket record; any other record as it is."""
    fields = record.get("fields")
    if not isinstance(fields, dict) or not ({"summary", "description"} & fields.keys()):
        return record
    reporter = _name(fields.get("reporter")) or _name(fields.get("creator"))
    comments = fields.get("comment")
    comments = comments.get("comments") if isinstance(comments, dict) else comments
    thread: list[dict[str, Any]] = []
    for comment in comments if isinstance(comments, list) else []:
        if not isinstance(comment, dict):
            continue
        author = _name(comment.get("author"))
        # The reporter is the customer and everyone else support; with no reporter named, the author's
        # own name decides ("Support Bob") or the thread alternates.
        who = ("customer" if author == reporter else "agent") if reporter else (role_of(author) and author) or ""
        thread.append({"author": who, "text": _adf_text(comment.get("body")),
                       "created_at": comment.get("created")})
    status = _name(fields.get("status"))
    category = fields.get("status", {}).get("statusCategory") if isinstance(fields.get("status"), dict) else None
    done = (isinstance(category, dict) and category.get("key") == "done") or norm(status) in _DONE
    resolution = _name(fields.get("resolution"))
    if done:
        status = resolution if norm(resolution.replace("'", "")) in _JIRA_REFUSED else "resolved"
    flat = {"key": record.get("key") or record.get("id"), "summary": fields.get("summary"),
            "description": _adf_text(fields.get("description")), "comments": thread, "status": status,
            "priority": _name(fields.get("priority")), "labels": fields.get("labels"), "created": fields.get("created")}
    if done and status == "resolved":
        # Done with a resolution such as Fixed: the last reply from support is how it was resolved.
        answer = _last_support_reply(thread)
        flat["resolution"] = answer or resolution
    return {k: v for k, v in flat.items() if v not in (None, "", [])}


# --------------------------------------------------------------------------- GitHub


_GITHUB_SUPPORT = {"OWNER", "MEMBER", "COLLABORATOR"}
"""``authorAssociation`` values of the project's own people; anyone else commenting is another user."""
_GITHUB_CLOSED = {"COMPLETED": "resolved", "NOT_PLANNED": "wont_fix", "DUPLICATE": "rejected"}


def _github(record: dict[str, Any]) -> dict[str, Any]:
    """A GitHub issue (``gh issue list/view --json …`` or the REST API) as a flat ticket record; any other
    record as it is. The issue's author is the customer, the project's owners, members and collaborators
    are support; closed as completed is resolved (by the last reply from support), closed as not planned
    or duplicate is refused, open is open."""
    state = record.get("state")
    if not (isinstance(record.get("number"), int) and isinstance(record.get("title"), str)
            and isinstance(state, str) and state.lower() in ("open", "closed")):
        return record
    reporter = _login(record.get("author") or record.get("user"))
    thread: list[dict[str, Any]] = []
    comments = record.get("comments")  # a count in the REST API's issue objects, a list in gh's JSON
    for comment in _nodes(comments):  # or {"nodes": [...]} in the GraphQL API's
        if not isinstance(comment, dict):
            continue
        association = as_text(comment.get("authorAssociation") or comment.get("author_association")).upper()
        author = _login(comment.get("author") or comment.get("user"))
        own = association in _GITHUB_SUPPORT and (not reporter or author != reporter)
        thread.append({"author": "maintainer" if own else "customer", "text": as_text(comment.get("body")),
                       "created_at": comment.get("createdAt") or comment.get("created_at")})
    reason = as_text(record.get("stateReason") or record.get("state_reason")).upper()
    status = "open" if state.lower() == "open" else _GITHUB_CLOSED.get(reason, "closed")
    labels = _nodes(record.get("labels"))
    flat = {"number": record["number"], "title": record["title"], "body": as_text(record.get("body")),
            "comments": thread, "status": status, "labels": [_name(x) or as_text(x) for x in labels] or None,
            "created": record.get("createdAt") or record.get("created_at")}
    if status == "resolved":
        flat["resolution"] = _last_support_reply(thread)
    return {k: v for k, v in flat.items() if v not in (None, "", [])}


_LINEAR_STATE = {"completed": "resolved", "canceled": "cancelled", "started": "in_progress", "unstarted": "open",
                 "backlog": "open", "triage": "open"}


def _linear(record: dict[str, Any]) -> dict[str, Any]:
    """A Linear issue (its GraphQL API's ``identifier``, ``title``, ``state {name type}``, ``comments {nodes}``)
    as a flat ticket record; any other record as it is. The creator is the customer, everyone else support."""
    state = record.get("state")
    if not (isinstance(record.get("identifier"), str) and isinstance(record.get("title"), str)
            and isinstance(state, dict) and isinstance(state.get("type"), str)):
        return record
    creator = _name(record.get("creator"))
    thread: list[dict[str, Any]] = []
    comments = record.get("comments")
    for comment in _nodes(comments):
        if isinstance(comment, dict):
            author = _name(comment.get("user"))
            own = bool(author) and author != creator
            thread.append({"author": "agent" if own else "customer", "text": as_text(comment.get("body")),
                           "created_at": comment.get("createdAt")})
    status = _LINEAR_STATE.get(state["type"], _name(state) or state["type"])
    flat = {"key": record["identifier"], "title": record["title"], "description": as_text(record.get("description")),
            "comments": thread, "status": status, "priority": record.get("priorityLabel") or record.get("priority"),
            "labels": [_name(x) for x in _nodes(record.get("labels"))] or None, "created": record.get("createdAt")}
    if status == "resolved":
        flat["resolution"] = _last_support_reply(thread)
    return {k: v for k, v in flat.items() if v not in (None, "", [])}


def _nodes(value: Any) -> list[Any]:
    """A GraphQL connection's items: ``{"nodes": [...]}``, ``{"edges": [{"node": ...}]}`` or a plain list."""
    if isinstance(value, dict):
        if isinstance(value.get("nodes"), list):
            return list(value["nodes"])
        if isinstance(value.get("edges"), list):
            return [e.get("node") for e in value["edges"] if isinstance(e, dict)]
    return list(value) if isinstance(value, list) else []


def _login(value: Any) -> str:
    return as_text(value.get("login")).strip() if isinstance(value, dict) else ""


def _last_support_reply(thread: list[dict[str, Any]]) -> str:
    """The last non-empty reply from support in a flattened thread: how a closed issue was resolved."""
    return next((m["text"] for m in reversed(thread) if role_of(m["author"]) == "assistant" and m["text"].strip()), "")


def _name(value: Any) -> str:
    """A Jira object's display name (``{"name": "Done"}``, ``{"displayName": "Ann"}``), or the string itself."""
    if isinstance(value, dict):
        return as_text(value.get("displayName") or value.get("name") or value.get("value") or "").strip()
    return as_text(value).strip() if isinstance(value, str) else ""


def _adf_text(value: Any) -> str:
    """Plain text of a Jira description or comment: a string (wiki markup) as it is, or an Atlassian Document
    Format tree flattened (paragraphs and list items on their own lines, code blocks fenced)."""
    if isinstance(value, str) or value is None:
        return value or ""
    out: list[str] = []

    def walk(node: Any, depth: int = 0) -> None:
        if depth > 50 or not isinstance(node, dict):
            return
        kind = node.get("type")
        if kind == "text":
            out.append(as_text(node.get("text")))
        elif kind == "hardBreak":
            out.append("\n")
        elif kind in ("mention", "emoji", "status", "date"):
            attrs = node.get("attrs")
            attrs = attrs if isinstance(attrs, dict) else {}
            out.append(as_text(attrs.get("text") or attrs.get("shortName") or ""))
        else:
            block = kind in ("paragraph", "heading", "listItem", "codeBlock", "blockquote", "rule", "panel")
            if kind == "codeBlock":
                out.append("```\n")
            elif kind == "listItem":
                out.append("- ")
            for child in node.get("content") or []:
                walk(child, depth + 1)
            if kind == "codeBlock":
                out.append("\n```")
            if block:
                out.append("\n")

    walk(value)
    return re.sub(r"\n{3,}", "\n\n", "".join(out)).strip()


def _swe_bench_fields(record: dict[str, Any]) -> dict[str, Any]:
    statement = as_text(record.get("problem_statement")).replace("\r\n", "\n").strip()
    subject, _, body = statement.partition("\n")
    hints = as_text(record.get("hints_text")).replace("\r\n", "\n").strip()
    patch = as_text(record.get("patch")).replace("\r\n", "\n")
    fail_to_pass = record.get("FAIL_TO_PASS") or []
    if isinstance(fail_to_pass, str):
        try:
            fail_to_pass = loads(fail_to_pass)
        except ValueError:
            fail_to_pass = [fail_to_pass]
    pass_to_pass = record.get("PASS_TO_PASS") or []
    return {
        "id": record.get("instance_id"),
        "subject": subject.strip(),
        "body": body.strip(),
        "messages": [{"role": "maintainer", "text": hints}] if hints else None,
        "resolution": _patch_summary(patch) if patch.strip() else "",
        "created_at": record.get("created_at"),
        "_meta": {
            "schema": "swe-bench",
            "repo": record.get("repo"),
            "base_commit": record.get("base_commit"),
            "version": as_text(record.get("version")) or None,
            "fail_to_pass": [as_text(t) for t in fail_to_pass[:20]] if isinstance(fail_to_pass, list) else [],
            "pass_to_pass_count": len(pass_to_pass) if isinstance(pass_to_pass, list) else None,
        },
    }


def _patch_summary(patch: str) -> str:
    """``"Fixed by a patch to a.py (+3 -1), b.py (+1 -0)"`` followed by the diff itself."""
    files: dict[str, list[int]] = {}
    current = None
    for line in patch.splitlines():
        if line.startswith("diff --git "):
            current = line.rsplit(" b/", 1)[-1]
            files.setdefault(current, [0, 0])
        elif current and line.startswith("+") and not line.startswith("+++"):
            files[current][0] += 1
        elif current and line.startswith("-") and not line.startswith("---"):
            files[current][1] += 1
    parts = ", ".join(f"{name} (+{add} -{rem})" for name, (add, rem) in files.items())
    return (f"Fixed by a patch to {parts}" if parts else "Fixed by a patch") + "\n\n" + patch.strip()


READERS = [
    Reader("tickets-csv", sniff_csv, read_csv, "Helpdesk ticket exports as CSV/TSV (header row names the columns)"),
    Reader("tickets-json", sniff_json, read_json,
           "Tickets as a JSON array, {\"tickets\": [...]}, JSONL, Jira {\"issues\": [...]}, or SWE-bench records"),
]
