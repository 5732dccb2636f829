"""The offline analyzer on support tickets: what a triage skill should hold."""

from __future__ import annotations

import re

from skillforge.distill.lessons import tag
from skillforge.models import Lesson


def _find(lessons: list[Lesson], pattern: str, kind: str | None = None) -> Lesson:
    found = [l for l in lessons if re.search(pattern, l.title + "\n" + l.body) and (kind is None or l.kind == kind)]
    assert found, f"no lesson matches {pattern!r}: {[l.title for l in lessons]}"
    return found[0]


def test_ticket_clusters_with_resolutions(sample_lessons: list[Lesson]) -> None:
    pydicom = [l for l in sample_lessons if l.target_skill == "pydicom-issue-triage" and tag(l, "section") == "triage"]
    assert len(pydicom) == 2
    astroid = _find(sample_lessons, r"visit_unknown", kind="recovery")
    assert astroid.target_skill == "astroid-issue-triage"
    assert "astroid/nodes/as_string.py" in astroid.body
    assert "tests/unittest_nodes.py::AsStringTest::test_as_string_unknown" in astroid.body
    assert astroid.support == 1  # the duplicated record in the file is not counted twice
