"""The offline analyzer on GitHub-issue tickets (SWE-bench records): one triage skill, transferable rules,
known issues per project in references/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from skillforge.distill.heuristic.abstract import instance_values
from skillforge.distill.heuristic.ticket_lessons import ticket_digest, ticket_lessons
from skillforge.ingest import read_paths
from skillforge.models import Lesson, Trace
from skillforge.redact import redact_trace
from skillforge.skills.rules import rule_line, tag

from .conftest import quote_occurs

TICKETS = Path(__file__).parent.parent / "data" / "samples" / "support_tickets" / "swe-bench-dev-easy.json"


@pytest.fixture(scope="module")
def traces() -> dict[str, Trace]:
    return {t.id: redact_trace(t) for t in read_paths([TICKETS]) if isinstance(t, Trace)}


@pytest.fixture(scope="module")
def lessons(traces: dict[str, Trace]) -> list[Lesson]:
    return ticket_lessons([ticket_digest(t) for t in traces.values()])


def _titled(lessons: list[Lesson], title: str) -> Lesson:
    found = [l for l in lessons if l.title == title]
    assert found, f"no lesson titled {title!r}: {[l.title for l in lessons]}"
    return found[0]


def test_one_triage_skill_named_by_domain(lessons: list[Lesson]) -> None:
    assert {l.target_skill for l in lessons} == {"python-issue-triage"}
    refs = {tag(l, "ref") for l in lessons if tag(l, "section") == "triage"}
    assert refs == {"astroid", "pydicom", "sqlfluff"}  # one reference file per project


def test_rule_lines_are_transferable(lessons: list[Lesson]) -> None:
    for lesson in lessons:
        rule = rule_line(lesson)
        assert "/" not in rule.replace("`Settings > …`", ""), rule  # no paths
        assert not re.search(r"__|-\d{3,}\b", rule), rule  # no instance ids like pydicom__pydicom-1458
        assert not instance_values(rule), (rule, instance_values(rule))
        assert not re.search(r"\b\d+ (?:runs?|tickets?|times)\b", rule), rule  # no counts


def test_practices_are_supported_across_tickets(lessons: list[Lesson], traces: dict[str, Trace]) -> None:
    verify = _titled(lessons, "Verify with the tests that failed before the fix")
    assert verify.support == 4 and verify.helpful == 4 and verify.harmful == 0
    assert tag(verify, "scope") == "general"
    assert rule_line(verify).startswith("Before closing a report, run the tests that failed before the fix")
    traceback = _titled(lessons, "Start from the traceback frame that names the failing module")
    assert traceback.support == 2  # astroid and pydicom-1194: the fix was in a file their tracebacks name
    assert any("as_string.py" in e.quote for e in traceback.evidence)
    guard = _titled(lessons, "Guard the empty or missing value")
    assert {e.quote for e in guard.evidence} >= {"if elem.VM == 0:"}
    for lesson in lessons:
        for e in lesson.evidence:
            assert quote_occurs(traces[e.trace_id], e.step, e.quote), (lesson.title, e)


def test_known_issue_keeps_the_concrete_fix_in_its_reference(lessons: list[Lesson]) -> None:
    astroid = next(l for l in lessons if tag(l, "ref") == "astroid")
    rule, *details = astroid.body.split("\n")
    assert "`visit_unknown()`" in rule and "`as_string.py`" in rule
    detail = "\n".join(details)
    assert "astroid/nodes/as_string.py" in detail
    assert "tests/unittest_nodes.py::AsStringTest::test_as_string_unknown" in detail
    assert rule not in detail
    assert astroid.support == 1  # the duplicated record in the file is not counted twice
    assert astroid.kind == "recovery" and astroid.harmful == 0


def test_keywords_name_the_domain(lessons: list[Lesson]) -> None:
    words = {t.removeprefix("keyword:") for l in lessons for t in l.tags if t.startswith("keyword:")}
    assert {"python", "astroid", "pydicom", "sqlfluff", "traceback", "attributeerror"} <= words
    assert all(w == w.lower() and not re.search(r"\d{3,}", w) for w in words)
    assert all(sum(t.startswith("keyword:") for t in l.tags) <= 8 for l in lessons)


def test_same_input_gives_the_same_lessons(traces: dict[str, Trace], lessons: list[Lesson]) -> None:
    again = ticket_lessons([ticket_digest(t) for t in reversed(list(traces.values()))])
    assert [l.model_dump() for l in again] == [l.model_dump() for l in lessons]
