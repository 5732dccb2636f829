from __future__ import annotations

import json
from pathlib import Path

import pytest

from skillforge.errors import InputError
from skillforge.ingest import ReadOptions, detect, parse_ticket_columns, read_file
from skillforge.ingest.formats._thread import parse_thread
from skillforge.ingest.probe import probe
from skillforge.models import Skipped, Trace
from skillforge.plugins import readers

DATA = Path(__file__).parent.parent / "data"
SWE_BENCH = DATA / "samples" / "support_tickets" / "swe-bench-dev-easy.json"
TICKETS = DATA / "fixtures" / "tickets"


def _read(path: Path, fmt: str | None = None, **options: object) -> tuple[list[Trace], list[Skipped]]:
    got = list(read_file(path, fmt, ReadOptions(**options)))  # type: ignore[arg-type]
    return [t for t in got if isinstance(t, Trace)], [s for s in got if isinstance(s, Skipped)]


def test_swe_bench_records_become_tickets_with_the_fix_as_resolution() -> None:
    reader, _, _ = detect(SWE_BENCH)
    assert reader is not None and reader.name == "tickets-json"
    traces, skipped = _read(SWE_BENCH)
    assert [t.metadata["ticket_id"] for t in traces] == [
        "pydicom__pydicom-1458",
        "pylint-dev__astroid-1268",
        "pydicom__pydicom-1194",
        "sqlfluff__sqlfluff-2386",
    ]
    # The sample repeats astroid-1268 as its 4th record: reported, not read twice.
    assert [s.reason for s in skipped] == ["record 4: duplicate of ticket pylint-dev__astroid-1268 (record 2), skipped"]
    first = traces[0]
    assert first.kind == "ticket" and first.source.format == "tickets-json"
    assert first.task.startswith("Pixel Representation attribute should be optional for pixel data handler\n\n**Describe")
    assert "\r" not in first.task
    assert first.outcome.success is True
    assert first.metadata["repo"] == "pydicom/pydicom"
    assert first.metadata["schema"] == "swe-bench"
    assert first.steps[-1].role == "assistant"
    assert first.steps[-1].text.startswith(
        "Resolution:\nFixed by a patch to pydicom/pixel_data_handlers/numpy_handler.py (+16 -2)\n\ndiff --git"
    )
    astroid = traces[1]
    assert astroid.steps[0].role == "assistant"
    assert astroid.steps[0].text.startswith("Thank you for opening the issue.")
    assert len({t.id for t in traces}) == 4


def test_no_other_reader_claims_swe_bench_records() -> None:
    p = probe(SWE_BENCH)
    scores = {name: reader.sniff(p) for name, reader in readers().items()}
    best = max(scores, key=lambda n: scores[n])
    assert best == "tickets-json"
    assert all(score < scores["tickets-json"] for name, score in scores.items() if name != "tickets-json"), scores


def test_helpdesk_csv_export_with_bom_and_multiline_bodies() -> None:
    path = TICKETS / "helpdesk_export.csv"
    reader, _, _ = detect(path)
    assert reader is not None and reader.name == "tickets-csv"
    traces, skipped = _read(path)
    assert [t.metadata["ticket_id"] for t in traces] == ["HD-1042", "HD-1043", "HD-1044", "HD-1046", "HD-1047"]
    assert [(s.line, s.reason) for s in skipped] == [(17, "row at line 17: no subject or body")]

    login = traces[0]
    assert login.source.line == 2
    assert login.task.startswith("Cannot log in after password reset\n\nHi,\nI reset my password")
    assert 'rejected with "invalid credentials".' in login.task
    assert [s.role for s in login.steps] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    assert login.steps[1].text == "Thanks Dana. Is your account linked to Google sign-in?"
    assert login.steps[-1].text.startswith("Resolution:\nAccount uses Google SSO")
    assert login.outcome.success is True
    assert login.metadata["tags"] == ["login", "password-reset", "sso"]
    assert login.metadata["priority"] == "High"
    assert login.metadata["created_at"] == "2024-03-04 09:12:33"

    by_id = {t.metadata["ticket_id"]: t for t in traces}
    assert by_id["HD-1043"].outcome.success is False  # still open
    assert by_id["HD-1047"].outcome.success is False  # won't fix
    assert by_id["HD-1044"].steps[1].timestamp == "2024-03-05 10:41"
    assert by_id["HD-1044"].source.line == 14  # first physical line of the row


def test_unknown_columns_need_a_mapping() -> None:
    path = TICKETS / "custom_columns.csv"
    reader, _, reason = detect(path)
    assert reader is None
    assert "Case Number,Customer Issue" in reason and "--ticket-columns" in reason

    mapping = parse_ticket_columns("id=Case Number, body=Customer Issue,resolution=Fix Applied,status=Case State")
    traces, skipped = _read(path, "tickets-csv", ticket_columns=mapping)
    assert skipped == []
    assert [(t.metadata["ticket_id"], t.outcome.success) for t in traces] == [("C-77", True), ("C-78", False)]
    assert traces[0].task == "Printer on floor 3 prints blank pages after the driver update."
    assert traces[0].steps[-1].text == "Resolution:\nRolled back the driver to 4.2.1 and pinned it in the fleet policy."


def test_mapping_to_a_missing_column_names_the_columns_there_are() -> None:
    _, skipped = _read(TICKETS / "custom_columns.csv", "tickets-csv", ticket_columns={"body": "Issue Text"})
    assert len(skipped) == 1
    assert skipped[0].line == 1
    assert "body=Issue Text" in skipped[0].reason and "Case Number, Customer Issue" in skipped[0].reason


def test_parse_ticket_columns_rejects_what_it_cannot_use() -> None:
    assert parse_ticket_columns(None) == {}
    assert parse_ticket_columns("id=Ticket ID,body=Description") == {"id": "Ticket ID", "body": "Description"}
    with pytest.raises(InputError, match="unknown ticket field 'owner'"):
        parse_ticket_columns("owner=Assignee")
    with pytest.raises(InputError, match="bad --ticket-columns entry 'body'"):
        parse_ticket_columns("body")


def test_zendesk_json_comments_become_the_thread() -> None:
    path = TICKETS / "zendesk_tickets.json"
    traces, skipped = _read(path)
    assert skipped == []
    fire, sso = traces
    assert fire.source.format == "tickets-json"
    # The first comment repeats the description, so it is not a step of its own.
    assert [s.role for s in fire.steps] == ["assistant", "system", "user", "assistant"]
    assert fire.steps[1].text.startswith("Fuser unit overheated")  # private note
    assert fire.steps[0].timestamp == "2024-01-09T14:05:40Z"
    assert fire.outcome.success is True
    assert fire.metadata["ticket_id"] == "35436" and fire.metadata["tags"] == ["hardware", "printer"]
    assert sso.outcome.success is False


def test_freshdesk_jsonl_uses_the_incoming_flag() -> None:
    traces, _ = _read(TICKETS / "freshdesk_tickets.jsonl")
    refund, username = traces
    assert refund.source.line == 1 and username.source.line == 2
    assert [s.role for s in refund.steps] == ["assistant", "assistant"]
    assert refund.steps[0].text.startswith("I see two captures")
    assert username.steps == [username.steps[0]] and username.steps[0].text.startswith("Resolution:\nSettings > Profile")


def test_truncated_json_array_keeps_the_records_before_the_cut(tmp_path: Path) -> None:
    text = (TICKETS / "zendesk_tickets.json").read_text()
    cut = tmp_path / "export.json"
    cut.write_text(text[: text.index('"SSO login loops')])
    traces, skipped = _read(cut)
    assert [t.metadata["ticket_id"] for t in traces] == ["35436"]
    assert len(skipped) == 1 and "invalid or truncated JSON after record" in skipped[0].reason


def test_thread_shapes() -> None:
    as_json = json.dumps([{"from": "Customer", "text": "It broke"}, {"from": "Support Agent", "text": "Fixed"}])
    assert [(m.role, m.text) for m in parse_thread(as_json)] == [("user", "It broke"), ("assistant", "Fixed")]
    piped = parse_thread("It broke || Try restarting || That worked")
    assert [(m.role, m.text) for m in piped] == [("user", "It broke"), ("assistant", "Try restarting"), ("user", "That worked")]
    ruled = parse_thread("It broke\nagain\n---\nTry restarting")
    assert [(m.role, m.text) for m in ruled] == [("user", "It broke\nagain"), ("assistant", "Try restarting")]
    labelled = parse_thread("Jane Doe (customer): It broke\nError: disk full\nAgent: Cleaned /tmp")
    assert [(m.role, m.text) for m in labelled] == [("user", "It broke\nError: disk full"), ("assistant", "Cleaned /tmp")]


def test_non_ticket_json_is_not_claimed() -> None:
    schema = DATA / "samples" / "otel_genai" / "semconv_gen-ai-input-messages.schema.json"
    chat = DATA / "samples" / "chat_tool_calls" / "fncall-llm-message.json"
    tickets_json = readers()["tickets-json"]
    assert tickets_json.sniff(probe(schema)) == 0
    assert tickets_json.sniff(probe(chat)) == 0


def test_jira_issues_are_tickets_from_their_fields() -> None:
    path = TICKETS / "jira_search.json"
    reader, _, _ = detect(path)
    assert reader is not None and reader.name == "tickets-json"
    traces, skipped = _read(path)
    assert skipped == []
    fixed, declined, ongoing = traces
    assert fixed.metadata["ticket_id"] == "SUP-231" and fixed.metadata["priority"] == "High"
    # Atlassian Document Format flattened: paragraphs on lines, the code block fenced, list items as "- ".
    assert fixed.task.startswith("Export to CSV times out for large projects\n\nExporting our project (40k rows)")
    assert "```\n504 Gateway Timeout\n```" in fixed.task and "- Small projects export fine" in fixed.task
    # The reporter is the customer, the assignee support; the support reply that closed it is the resolution,
    # said once, where it was said (the reporter's thanks come after it).
    assert [s.role for s in fixed.steps] == ["assistant", "user"]
    assert fixed.steps[0].text == "Resolution:\nUse Export > Background export; it runs as a job and e-mails the file."
    assert fixed.outcome.success is True
    assert declined.outcome.success is False  # done, but resolved as Won't Do
    assert declined.task.endswith("PDF exports are too bright for our night shift.")
    assert ongoing.outcome.success is False and ongoing.steps == []  # still in progress


def test_github_issues_are_tickets_with_the_reporter_as_customer() -> None:
    """``gh issue list --json number,title,body,state,stateReason,author,labels,comments,createdAt`` (a
    synthetic file in that shape): comments came out with the roles swapped (the thread alternated from the
    customer, but the body is not in it), closed issues had no outcome and no resolution."""
    path = TICKETS / "github_issues.json"
    traces, skipped = _read(path)
    assert skipped == []
    proxy, index, dark = traces
    assert proxy.metadata["ticket_id"] == "101" and proxy.metadata["tags"] == ["bug", "network"]
    assert [s.role for s in proxy.steps] == ["assistant", "user"]  # a MEMBER answered, the reporter thanked
    assert proxy.steps[0].text.startswith("Resolution:\nSet `REQUESTS_CA_BUNDLE`")
    assert proxy.outcome.success is True and index.outcome.success is True
    assert dark.outcome.success is False and dark.metadata["status"] == "wont_fix"  # closed as not planned


def test_a_github_issue_from_the_rest_api_has_no_thread_but_its_state() -> None:
    from skillforge.ingest.formats.tickets import _github

    rest = {"number": 7, "title": "Crash on start", "body": "Traceback …", "state": "open", "comments": 3,
            "user": {"login": "dan"}, "labels": [{"name": "bug"}], "created_at": "2025-02-01T00:00:00Z"}
    flat = _github(rest)
    assert flat["status"] == "open" and "comments" not in flat and flat["labels"] == ["bug"]
    assert _github({"number": 7, "title": "x", "state": "merged"}) == {"number": 7, "title": "x", "state": "merged"}


def test_linear_issues_from_a_graphql_answer_are_tickets() -> None:
    """``{"data": {"issues": {"nodes": [...]}}}`` was an unknown format (only one wrapper level was looked into)."""
    path = TICKETS / "linear_issues.json"
    reader, _, _ = detect(path)
    assert reader is not None and reader.name == "tickets-json"
    (done, canceled), skipped = _read(path)
    assert skipped == []
    assert done.metadata["ticket_id"] == "ENG-12" and done.metadata["tags"] == ["webhooks"]
    assert done.outcome.success is True and done.steps[-1].text.startswith("Resolution:\nRe-save the endpoint")
    assert canceled.outcome.success is False and canceled.metadata["status"] == "cancelled"


def test_github_issues_from_a_graphql_answer(tmp_path: Path) -> None:
    answer = {"data": {"repository": {"issues": {"nodes": [{
        "number": 5, "title": "Build fails: linker cannot find -lssl", "body": "make fails.", "state": "CLOSED",
        "stateReason": "COMPLETED", "author": {"login": "eve"}, "labels": {"nodes": [{"name": "build"}]},
        "comments": {"nodes": [{"author": {"login": "lead"}, "authorAssociation": "OWNER",
                                "body": "Install the OpenSSL development package and re-run make."}]}}]}}}}
    path = tmp_path / "issues.json"
    path.write_text(json.dumps(answer), encoding="utf-8")
    (issue,), skipped = _read(path)
    assert skipped == [] and issue.outcome.success is True and issue.metadata["tags"] == ["build"]
    assert [s.role for s in issue.steps] == ["assistant"] and issue.steps[0].text.startswith("Resolution:\nInstall")
