"""The LLM merge step plugged into the consolidation tree (``consolidate.TreeMerger``).

One call per tree node: the node's lessons go out as numbered JSON (support shown, evidence
not: it stays with us and is united by code), the answer comes back as a ``MergeAnswer`` checked
for unknown or reused ids (one repair round), and ``apply_merge_answer`` turns it into lessons.
A node whose call fails keeps its lessons unmerged and is reported; only a budget stop ends the run.
"""

from __future__ import annotations

from typing import Any

from skillforge.distill.consolidate import RuleSet, apply_merge_answer, check_merge_answer
from skillforge.llm.client import LLMClient
from skillforge.llm.task import Ids, Task
from skillforge.models import Lesson
from skillforge.models.llm import CallFailure
from skillforge.models.llm_outputs import MergeAnswer


class MergeTask(Task[MergeAnswer], kind="merge", prompt="merge"):
    """Deduplicate one tree node's lessons and resolve their conflicts."""

    lessons: list[Lesson]
    node: str
    """The node's label (``merge:<level>:<n>``), the request's label."""

    def label(self) -> str:
        return self.node

    def inputs(self) -> dict[str, Any]:
        # Ids L1, L2, ... by position; evidence stays with us (code unites it), support is shown.
        shown = {"kind", "title", "body", "target_skill", "support"}
        rows = [les.model_dump(include=shown) for les in self.lessons]
        return {"count": len(rows), "lessons": Ids("L", len(rows)).json(rows)}

    def check(self, answer: MergeAnswer) -> None:
        check_merge_answer(self.lessons)(answer)


class LLMMergeStep:
    """``await step(lessons, node_label) -> RuleSet``; failures are appended to ``failures``."""

    def __init__(self, client: LLMClient, failures: list[CallFailure] | None = None) -> None:
        self.client = client
        self.failures = failures if failures is not None else []

    async def __call__(self, lessons: list[Lesson], task: str) -> RuleSet:
        answer = await MergeTask(lessons, task).attempt(self.client, self.failures)
        return RuleSet(lessons=list(lessons)) if answer is None else apply_merge_answer(lessons, answer)
