"""The consolidation tree (pure, merge step injected) and how merge answers become lessons."""

from __future__ import annotations

import asyncio
import random

import pytest

from skillforge.distill.consolidate import (
    RuleSet,
    TreeMerger,
    apply_merge_answer,
    check_merge_answer,
    consolidate,
    tree_levels,
    tree_merge_nodes,
)
from skillforge.distill.model.merge import LLMMergeStep
from skillforge.llm.client import LLMClient
from skillforge.models import Evidence, Lesson
from skillforge.models.llm import LLMSettings
from skillforge.models.llm_outputs import ConflictDraft, MergeAnswer, MergedRule


def lesson(title: str, trace: str, *, kind: str = "pitfall", skill: str = "git-workflow", support: int = 1) -> Lesson:
    return Lesson(
        kind=kind,  # type: ignore[arg-type]
        title=title,
        body=f"Seen in {trace}: {title.lower()}.",
        target_skill=skill,
        evidence=[Evidence(trace_id=trace, step=1, quote=f"quote from {trace}")],
        support=support,
    )


class ExactTitleMerge:
    """A merge step without a model: lessons with the same title become one (support = traces)."""

    def __init__(self, delay: bool = False) -> None:
        self.calls: list[tuple[str, list[str]]] = []
        self.delay = delay

    async def __call__(self, lessons: list[Lesson], label: str) -> RuleSet:
        self.calls.append((label, [les.title for les in lessons]))
        if self.delay:
            await asyncio.sleep(random.random() / 100)
        by_title: dict[str, list[str]] = {}
        for i, les in enumerate(lessons):
            by_title.setdefault(les.title, []).append(f"L{i + 1}")
        answer = MergeAnswer(
            rules=[
                MergedRule(title=t, body=f"Rule: {t}", kind="pitfall", target_skill="git-workflow", sources=ids)
                for t, ids in by_title.items()
            ]
        )
        return apply_merge_answer(lessons, answer)


@pytest.mark.parametrize(("leaves", "k", "levels"), [(0, 8, 0), (1, 8, 0), (2, 8, 1), (8, 8, 1), (9, 8, 2), (64, 8, 2), (65, 8, 3), (500, 8, 3), (500, 2, 9)])
def test_tree_levels(leaves: int, k: int, levels: int) -> None:
    assert tree_levels(leaves, k) == levels


def test_groups_of_k_level_by_level_until_one_set() -> None:
    leaves = [[lesson(f"Rebase before push {i % 3}", f"t{i}")] for i in range(20)]
    merge = ExactTitleMerge()
    result = asyncio.run(consolidate(leaves, merge, k=8))
    assert result.levels == 2 and result.merges == 4
    labels = sorted(label for label, _ in merge.calls)
    assert labels == ["merge:L1.0", "merge:L1.1", "merge:L1.2", "merge:L2.0"]
    first_group = next(titles for label, titles in merge.calls if label == "merge:L1.0")
    assert first_group == [f"Rebase before push {i % 3}" for i in range(8)]  # children in input order
    assert sorted((les.title, les.support) for les in result.lessons) == [
        ("Rebase before push 0", 7),
        ("Rebase before push 1", 7),
        ("Rebase before push 2", 6),
    ]
    assert all(les.support == len(les.trace_ids) for les in result.lessons)


def test_result_does_not_depend_on_completion_order() -> None:
    leaves = [[lesson(f"Rule {i % 5}", f"t{i}")] if i % 4 else [] for i in range(70)]
    expected = asyncio.run(consolidate(leaves, ExactTitleMerge(), k=4))

    async def shuffled() -> list[str]:
        merger = TreeMerger(ExactTitleMerge(delay=True), k=4)
        order = list(range(len(leaves)))
        random.Random(7).shuffle(order)
        for i in order:
            merger.add(i, leaves[i])
            await asyncio.sleep(0)
        result = await merger.finish(len(leaves))
        return [les.model_dump_json() for les in result.lessons]

    assert asyncio.run(shuffled()) == [les.model_dump_json() for les in expected.lessons]


def test_merges_start_before_all_leaves_are_in() -> None:
    merge = ExactTitleMerge()

    async def run() -> int:
        merger = TreeMerger(merge, k=2)
        merger.add(0, [lesson("Rule A", "t0")])
        merger.add(1, [lesson("Rule B", "t1")])
        await asyncio.sleep(0.01)
        started_early = len(merge.calls)
        merger.add(2, [lesson("Rule C", "t2")])
        await merger.finish(3)
        return started_early

    assert asyncio.run(run()) == 1
    assert [label for label, _ in merge.calls] == ["merge:L1.0", "merge:L2.0"]


def test_groups_with_at_most_one_non_empty_child_pass_through_without_a_call() -> None:
    leaves = [[], [lesson("Only one", "t1")], [], [], [lesson("Another", "t4")], []]
    merge = ExactTitleMerge()
    result = asyncio.run(consolidate(leaves, merge, k=3))
    assert merge.calls == [("merge:L2.0", ["Only one", "Another"])]
    assert result.merges == 1 and result.levels == 2
    assert tree_merge_nodes([len(x) for x in leaves], 3) == 1


def test_a_failing_merge_step_fails_the_tree() -> None:
    async def broken(lessons: list[Lesson], label: str) -> RuleSet:
        raise RuntimeError(f"{label} exploded")

    leaves = [[lesson("A", "t0")], [lesson("B", "t1")]]
    with pytest.raises(RuntimeError, match="merge:L1.0 exploded"):
        asyncio.run(consolidate(leaves, broken, k=2))


def test_merge_answer_unites_evidence_and_counts_support_from_traces() -> None:
    inputs = [lesson("Run migrate first", "t1"), lesson("Run migrations first", "t2"), lesson("Pin numpy", "t3")]
    inputs.append(lesson("Run migrate first", "t1"))  # the same trace twice counts once
    answer = MergeAnswer(
        rules=[MergedRule(title="Run migrations first", body="Before tests.", kind="procedure", target_skill="Django Ops", sources=["L1", "2", "l4"])]
    )
    out = apply_merge_answer(inputs, answer).lessons
    merged, carried = out
    assert merged.support == 2 and merged.trace_ids == ["t1", "t2"] and merged.target_skill == "django-ops"
    assert [e.trace_id for e in merged.evidence] == ["t1", "t2"]
    assert carried.title == "Pin numpy"  # left out by the model: carried forward, never dropped silently


def test_conflict_keeps_the_better_supported_rule_even_if_the_model_chose_the_other() -> None:
    weak = lesson("Always force-push after a rebase", "t1")
    strong = Lesson(**{**lesson("Never force-push a shared branch", "t2").model_dump(), "support": 3})
    strong = strong.model_copy(update={"evidence": [Evidence(trace_id=t, step=2, quote=f"q {t}") for t in ("t2", "t3", "t4")]})
    answer = MergeAnswer(
        rules=[MergedRule(title=weak.title, body=weak.body, kind="pitfall", target_skill="git-workflow", sources=["L1"])],
        conflicts=[ConflictDraft(kept="L1", dropped=["L2"], reason="contradict each other")],
    )
    result = apply_merge_answer([weak, strong], answer)
    assert [les.title for les in result.lessons] == ["Never force-push a shared branch"]
    (conflict,) = result.conflicts
    assert conflict.kept == "Never force-push a shared branch" and conflict.kept_support == 3
    assert conflict.dropped == ["Always force-push after a rebase"] and conflict.dropped_support == 1
    assert conflict.trace_ids == ["t1", "t2", "t3", "t4"]


def test_check_rejects_unknown_reused_and_dropped_ids() -> None:
    inputs = [lesson("A rule", "t1"), lesson("B rule", "t2")]
    check = check_merge_answer(inputs)
    rule = {"body": "body text", "kind": "pitfall", "target_skill": "x-y"}
    with pytest.raises(ValueError, match="unknown lesson id 'L7'"):
        check(MergeAnswer(rules=[MergedRule(title="t1t", sources=["L7"], **rule)]))
    with pytest.raises(ValueError, match="more than one rule"):
        check(MergeAnswer(rules=[MergedRule(title="t1t", sources=["L1"], **rule), MergedRule(title="t2t", sources=["L1"], **rule)]))
    with pytest.raises(ValueError, match="both dropped"):
        check(MergeAnswer(rules=[MergedRule(title="t1t", sources=["L1", "L2"], **rule)], conflicts=[ConflictDraft(kept="L1", dropped=["L2"])]))


def test_llm_merge_step_with_the_fake_model_dedups_and_records_conflicts() -> None:
    inputs = [
        lesson("Do not force-push shared branches", "t1", support=1),
        lesson("Force-push shared branches after rebasing", "t2", support=1),
        lesson("Do not force-push shared branches", "t3", support=1),
        lesson("Pin the numpy version in CI", "t4", skill="python-ci"),
    ]
    step = LLMMergeStep(LLMClient(LLMSettings(model="fake", cache=False)))
    result = asyncio.run(step(inputs, "merge:L1.0"))
    titles = sorted((les.title, les.support) for les in result.lessons)
    assert titles == [("Do not force-push shared branches", 2), ("Pin the numpy version in CI", 1)]
    (conflict,) = result.conflicts
    assert conflict.dropped == ["Force-push shared branches after rebasing"]
    assert step.failures == []
