"""The LLM merge step plugged into the consolidation tree (``consolidate.TreeMerger``).

One call per tree node: the node's lessons go out as numbered JSON (support shown, evidence
not: it stays with us and is united by code), the answer comes back as a ``MergeAnswer`` checked
for unknown or reused ids (one repair round), and ``apply_merge_answer`` turns it into lessons.
A node whose call fails keeps its lessons unmerged and is reported; only a budget stop ends the run.
"""

from __future__ import annotations

import json

from skillforge.distill.consolidate import RuleSet, apply_merge_answer, check_merge_answer
from skillforge.errors import BudgetExceeded, LLMError
from skillforge.llm.client import LLMClient
from skillforge.llm.structured import build_request, complete_as
from skillforge.models import Lesson
from skillforge.models.llm import CallFailure, LLMRequest
from skillforge.models.llm_outputs import MergeAnswer


def lessons_json(lessons: list[Lesson]) -> str:
    """Lessons as the merge prompt shows them, with ids L1, L2, ... by position."""
    rows = [
        {
            "id": f"L{i + 1}",
            "kind": lesson.kind,
            "title": lesson.title,
            "body": lesson.body,
            "target_skill": lesson.target_skill,
            "support": lesson.support,
        }
        for i, lesson in enumerate(lessons)
    ]
    return json.dumps(rows, ensure_ascii=False, indent=1)


def merge_request(lessons: list[Lesson], task: str) -> LLMRequest:
    return build_request(task, "merge", MergeAnswer, count=len(lessons), lessons=lessons_json(lessons))


class LLMMergeStep:
    """``await step(lessons, node_label) -> RuleSet``; failures are appended to ``failures``."""

    def __init__(self, client: LLMClient, failures: list[CallFailure] | None = None) -> None:
        self.client = client
        self.failures = failures if failures is not None else []

    async def __call__(self, lessons: list[Lesson], task: str) -> RuleSet:
        request = merge_request(lessons, task)
        try:
            answer = await complete_as(self.client, request, MergeAnswer, check=check_merge_answer(lessons))
        except BudgetExceeded:
            raise
        except LLMError as exc:
            self.failures.append(CallFailure(task=task, error=exc.message, kind=type(exc).__name__))
            return RuleSet(lessons=list(lessons))
        return apply_merge_answer(lessons, answer)
