"""The offline analyzer on the sample documents: runbooks, procedures and guardrails."""

from __future__ import annotations

import re

from skillforge.models import Lesson
from skillforge.skills.rules import tag


def _find(lessons: list[Lesson], pattern: str, kind: str | None = None) -> Lesson:
    found = [l for l in lessons if re.search(pattern, l.title + "\n" + l.body) and (kind is None or l.kind == kind)]
    assert found, f"no lesson matches {pattern!r}: {[l.title for l in lessons]}"
    return found[0]


def test_runbook_procedure_and_guardrails_from_documents(sample_lessons: list[Lesson]) -> None:
    runbook = _find(sample_lessons, r"^KubeNodeNotReady runbook", kind="procedure")
    assert runbook.target_skill == "kubernetes-alert-runbooks"
    # The command stays a fenced block under the step that introduces it.
    assert "Check the status of that node:\n```shell\n$ kubectl get node $NODE -o yaml\n```" in runbook.body
    assert "keyword:kubenodenotready" in runbook.tags and "keyword:kubectl" in runbook.tags
    guard = _find(sample_lessons, r"Do not increase CPU limits", kind="guardrail")
    assert guard.target_skill == "kubernetes-alert-runbooks"
    # The goal heads the list and its commands are step 1: the step after them is not a sub-step of the commands.
    gate = _find(sample_lessons, r"(?m)^Before submitting a PR:$", kind="procedure")
    assert "1. Run:\n```bash" in gate.body
    assert gate.target_skill == "ccusage-contributing"
    assert "```bash\njust fmt\njust typecheck\njust test\n```" in gate.body
    assert "2. Use the canonical `ccusage` command in docs and tests." in gate.body


def test_documents_about_the_documentation_teach_nothing(sample_lessons: list[Lesson]) -> None:
    docs = [l for l in sample_lessons if tag(l, "source") == "document"]
    assert not [l for l in docs if "add-runbook" in l.evidence[0].source]  # how to add a runbook page, its template
    assert not [l for l in docs if l.kind == "guardrail" and l.body.rstrip().endswith("?")]
    for lesson in docs:
        first = lesson.body.split("\n", 1)[0]
        assert not re.search(r"\(\d+ steps?\)|\d+ rule\(s\)", first), first  # no counts in rule lines
        assert not re.search(r"(?m)^\d+\. Run `[^`]+`$", lesson.body), lesson.body  # code never becomes prose
