"""The offline analyzer on documents: runbooks, procedures and guardrails."""

from __future__ import annotations

import re

from skillforge.models import Lesson


def _find(lessons: list[Lesson], pattern: str, kind: str | None = None) -> Lesson:
    found = [l for l in lessons if re.search(pattern, l.title + "\n" + l.body) and (kind is None or l.kind == kind)]
    assert found, f"no lesson matches {pattern!r}: {[l.title for l in lessons]}"
    return found[0]


def test_runbook_procedure_and_guardrails_from_documents(sample_lessons: list[Lesson]) -> None:
    runbook = _find(sample_lessons, r"^KubeNodeNotReady runbook", kind="procedure")
    assert runbook.target_skill == "kubernetes-runbooks"
    assert "`kubectl get node $NODE -o yaml`" in runbook.body
    guard = _find(sample_lessons, r"shouldn't increase CPU limits", kind="guardrail")
    assert guard.target_skill == "kubernetes-runbooks"
    gate = _find(sample_lessons, r"run: `just fmt`, `just typecheck`, `just test`", kind="procedure")
    assert gate.target_skill == "ccusage-contributing"
