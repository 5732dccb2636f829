"""Hierarchical consolidation: merge lesson sets in groups of k, level by level, until one set remains.

The tree is fixed by the input order (leaf i belongs to group i // k at level 1, and so on), so
the result does not depend on which analyst finished first; but a group is merged as soon as its
children are done, so merging overlaps with analysis instead of waiting for it. The merge step
is injected (an LLM call in production, a plain function in tests); this module is pure logic.

``apply_merge_answer`` turns a merge step's answer into lessons without trusting the model with
bookkeeping: evidence is the union of the sources' evidence, support is the number of distinct
traces behind it, lessons the model left out are carried forward unchanged, and of two
contradicting rules the better-supported one is kept even if the model chose the other.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from skillforge.models import Evidence, Lesson, LessonKind
from skillforge.models.llm import MergeConflict
from skillforge.models.llm_outputs import MergeAnswer
from skillforge.skills.naming import skill_slug


@dataclass
class RuleSet:
    """What flows up the tree: lessons plus the conflicts resolved on the way."""

    lessons: list[Lesson] = field(default_factory=list)
    conflicts: list[MergeConflict] = field(default_factory=list)


MergeStep = Callable[[list[Lesson], str], Awaitable[RuleSet]]
"""Merge the lessons of one group (children concatenated in order); the str names the node."""


@dataclass
class Consolidated:
    """The single set at the top of the tree."""

    lessons: list[Lesson]
    conflicts: list[MergeConflict]
    levels: int
    """Merge levels above the leaves (0 for zero or one leaf)."""
    merges: int
    """Merge steps actually run (groups with at most one non-empty child pass through)."""


def tree_levels(leaves: int, k: int) -> int:
    """How many merge levels ``leaves`` leaves need in groups of ``k``."""
    levels, count = 0, leaves
    while count > 1:
        count = math.ceil(count / k)
        levels += 1
    return levels


def tree_merge_nodes(leaf_sizes: list[int], k: int) -> int:
    """Upper bound of merge steps for leaves with these lesson counts (for dry-run estimates)."""
    sizes = list(leaf_sizes)
    calls = 0
    while len(sizes) > 1:
        nxt = []
        for g in range(0, len(sizes), k):
            group = sizes[g : g + k]
            if sum(1 for s in group if s) > 1:
                calls += 1
            nxt.append(sum(group))
        sizes = nxt
    return calls


class TreeMerger:
    """Streaming k-ary merge tree. Feed leaves with ``add(index, lessons)``; ``finish(n)`` returns the root."""

    def __init__(self, merge: MergeStep, k: int = 8) -> None:
        if k < 2:
            raise ValueError("merge groups need k >= 2")
        self.merge = merge
        self.k = k
        self.merges = 0
        self._done: dict[tuple[int, int], RuleSet] = {}
        self._started: set[tuple[int, int]] = set()
        self._counts: list[int] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._error: BaseException | None = None
        self._root_ready = asyncio.Event()
        self.on_merge: Callable[[int], None] | None = None
        """Called with the level of every finished merge node (for progress bars)."""

    def add(self, index: int, lessons: list[Lesson]) -> None:
        """Leaf ``index`` (its position in the input) is done with these lessons."""
        self._complete((0, index), RuleSet(lessons=list(lessons)))

    async def finish(self, leaves: int) -> Consolidated:
        """All ``leaves`` leaves have been added: merge what is left and return the root set."""
        counts = [leaves]
        while counts[-1] > 1:
            counts.append(math.ceil(counts[-1] / self.k))
        self._counts = counts
        missing = [i for i in range(leaves) if (0, i) not in self._done]
        if missing:
            raise ValueError(f"finish({leaves}) before leaves {missing[:5]} were added")
        if leaves == 0:
            return Consolidated([], [], 0, 0)
        for node in sorted(self._done):
            self._check_parent(node)
        self._check_root()
        await self._root_ready.wait()
        if self._error is not None:
            for task in self._tasks:
                task.cancel()
            raise self._error
        root = self._done[(len(counts) - 1, 0)]
        return Consolidated(root.lessons, root.conflicts, len(counts) - 1, self.merges)

    def _complete(self, node: tuple[int, int], ruleset: RuleSet) -> None:
        self._done[node] = ruleset
        self._check_parent(node)
        self._check_root()

    def _check_root(self) -> None:
        if self._counts is not None and (len(self._counts) - 1, 0) in self._done:
            self._root_ready.set()

    def _check_parent(self, node: tuple[int, int]) -> None:
        level, index = node
        if self._counts is not None and level >= len(self._counts) - 1:
            return
        group = index // self.k
        parent = (level + 1, group)
        if parent in self._started:
            return
        first, last = group * self.k, group * self.k + self.k
        if self._counts is not None:
            last = min(last, self._counts[level])
        children = [(level, i) for i in range(first, last)]
        if not all(child in self._done for child in children):
            return
        self._started.add(parent)
        sets = [self._done[child] for child in children]
        task = asyncio.ensure_future(self._run(parent, sets))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, node: tuple[int, int], sets: list[RuleSet]) -> None:
        conflicts = [c for s in sets for c in s.conflicts]
        non_empty = [s for s in sets if s.lessons]
        try:
            if len(non_empty) <= 1:
                merged = RuleSet(lessons=list(non_empty[0].lessons) if non_empty else [], conflicts=[])
            else:
                self.merges += 1
                lessons = [lesson for s in non_empty for lesson in s.lessons]
                merged = await self.merge(lessons, f"merge:L{node[0]}.{node[1]}")
        except BaseException as exc:  # noqa: BLE001 - handed to finish(), which re-raises it
            if self._error is None:
                self._error = exc
            self._root_ready.set()
            return
        for child in sets:
            child.lessons = []  # merged into the parent; dropping them keeps memory flat on big runs
        self._complete(node, RuleSet(lessons=merged.lessons, conflicts=conflicts + merged.conflicts))
        if self.on_merge is not None:
            self.on_merge(node[0])


async def consolidate(leaves: list[list[Lesson]], merge: MergeStep, k: int = 8) -> Consolidated:
    """Batch form: merge ``leaves`` (one lesson list per trace, in input order) up to one set."""
    merger = TreeMerger(merge, k)
    for i, lessons in enumerate(leaves):
        merger.add(i, lessons)
    return await merger.finish(len(leaves))


# --- turning a merge answer into lessons ------------------------------------------------------


def lesson_ids(lessons: list[Lesson]) -> dict[str, Lesson]:
    """The ids merge prompts use: L1, L2, ... by position."""
    return {f"L{i + 1}": lesson for i, lesson in enumerate(lessons)}


def norm_id(value: str) -> str:
    """Accept the small variations models write (``l3``, ``3``, `` L3 ``) for ``L3``."""
    text = str(value).strip().upper()
    return f"L{text}" if text.isdigit() else text


def support_of(lessons: list[Lesson]) -> int:
    """Distinct traces behind these lessons (their evidence), at least each lesson's own support."""
    traces = {e.trace_id for lesson in lessons for e in lesson.evidence}
    return max(len(traces), max((lesson.support for lesson in lessons), default=0))


def check_merge_answer(lessons: list[Lesson]) -> Callable[[MergeAnswer], None]:
    """A validator for the repair round: ids must exist and each lesson may be used only once."""
    valid = set(lesson_ids(lessons))

    def check(answer: MergeAnswer) -> None:
        seen: set[str] = set()
        dropped = {norm_id(d) for c in answer.conflicts for d in c.dropped}
        for rule in answer.rules:
            for source in map(norm_id, rule.sources):
                if source not in valid:
                    raise ValueError(f"rule {rule.title!r} names unknown lesson id {source!r}")
                if source in seen:
                    raise ValueError(f"lesson {source} is a source of more than one rule")
                if source in dropped:
                    raise ValueError(f"lesson {source} is both dropped in a conflict and a rule source")
                seen.add(source)
        for conflict in answer.conflicts:
            for item in [conflict.kept, *conflict.dropped]:
                if norm_id(item) not in valid:
                    raise ValueError(f"conflict names unknown lesson id {item!r}")
            if norm_id(conflict.kept) in {norm_id(d) for d in conflict.dropped}:
                raise ValueError(f"conflict keeps and drops the same lesson {conflict.kept!r}")

    return check


def merge_lessons(title: str, body: str, kind: LessonKind, target: str, sources: list[Lesson]) -> Lesson:
    """One lesson standing for ``sources``: their evidence united, support counted from it."""
    evidence: dict[tuple[str, int | None, str], Evidence] = {}
    for lesson in sources:
        for ev in lesson.evidence:
            evidence.setdefault((ev.trace_id, ev.step, ev.quote), ev)
    tags = sorted({t for lesson in sources for t in lesson.tags})
    return Lesson(
        kind=kind,
        title=" ".join(title.split()),
        body=body.strip(),
        target_skill=skill_slug(target),
        evidence=[evidence[key] for key in sorted(evidence, key=lambda k: (k[0], k[1] or 0, k[2]))],
        support=support_of(sources),
        tags=tags,
    )


def apply_merge_answer(lessons: list[Lesson], answer: MergeAnswer) -> RuleSet:
    """The merged set for ``lessons`` given a (checked) merge answer; see the module docstring."""
    ids = lesson_ids(lessons)
    rules: list[tuple[list[str], Lesson]] = []
    used: set[str] = set()
    for rule in answer.rules:
        sources = [norm_id(s) for s in rule.sources]
        used.update(sources)
        merged = merge_lessons(rule.title, rule.body, rule.kind, rule.target_skill, [ids[s] for s in sources])
        rules.append((sources, merged))
    conflicts: list[MergeConflict] = []
    dropped_ids: set[str] = set()
    restored: list[str] = []
    for draft in answer.conflicts:
        kept_id = norm_id(draft.kept)
        drops = [norm_id(d) for d in draft.dropped]
        holder = next((r for r in rules if kept_id in r[0]), None)
        kept_lesson = holder[1] if holder else ids[kept_id]
        kept_support = support_of([kept_lesson])
        strongest = max(drops, key=lambda d: (support_of([ids[d]]), -int(d[1:])))
        dropped_titles = [ids[d].title for d in drops]
        if support_of([ids[strongest]]) > kept_support:
            # The model kept the weaker side; the rule with more traces behind it wins.
            if holder is not None:
                rules.remove(holder)
                dropped_ids.update(holder[0])
            else:
                dropped_ids.add(kept_id)
            dropped_ids.update(d for d in drops if d != strongest)
            restored.append(strongest)
            dropped_titles = [kept_lesson.title] + [ids[d].title for d in drops if d != strongest]
            kept_lesson, kept_support = ids[strongest], support_of([ids[strongest]])
            drop_support = max(support_of([ids[d]]) for d in drops if d != strongest) if len(drops) > 1 else 0
            drop_support = max(drop_support, support_of([holder[1]]) if holder else support_of([ids[kept_id]]))
        else:
            dropped_ids.update(drops)
            drop_support = support_of([ids[strongest]])
        traces = sorted({e.trace_id for d in [kept_id, *drops] for e in ids[d].evidence})
        conflicts.append(
            MergeConflict(
                kept=kept_lesson.title,
                dropped=dropped_titles,
                reason=draft.reason,
                kept_support=kept_support,
                dropped_support=drop_support,
                trace_ids=traces,
            )
        )
    out = [lesson for _, lesson in rules]
    # Never lose a lesson silently: anything the model neither merged nor dropped goes on as it was.
    out += [ids[i] for i in ids if (i not in used or i in restored) and i not in dropped_ids]
    return RuleSet(lessons=out, conflicts=conflicts)
