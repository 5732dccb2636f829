"""Pitfalls from agent traces: errors nothing recovered from, and what unsuccessful runs had in common."""

from __future__ import annotations

from collections import Counter, defaultdict

from skillforge.distill.trace_common import (
    ROLE_PHRASE,
    SkillNames,
    code,
    example,
    label,
    make_lesson,
    successful,
)
from skillforge.distill.trace_digest import ErrorSeen, TraceDigest, pitfall_key
from skillforge.models import Lesson

__all__ = ["outcome_pitfalls", "unrecovered"]


def unrecovered(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    recovered = {r.signature.lower() for d in digests for r in d.recoveries}
    clusters: dict[str, list[tuple[TraceDigest, ErrorSeen]]] = defaultdict(list)
    for d in digests:
        for e in d.errors:
            if e.signature.lower() in recovered:
                continue
            clusters[pitfall_key(e)].append((d, e))
    lessons = []
    for items in clusters.values():
        items.sort(key=lambda x: (x[0].trace_id, x[1].action.step))
        _, first = items[0]
        if sum(e.count for _, e in items) < 2 and not first.environment:
            continue  # one unexplained failure is an anecdote, not a pitfall
        families = {e.family for _, e in items}
        who = label(families, first.role) if len(families) == 1 else ", ".join(code(f) for f in sorted(families))
        traces = {d.trace_id for d, _ in items}
        alternative = next((e.next_ok for _, e in items if e.next_ok is not None), None)
        count = sum(e.count for _, e in items)
        if first.role == "test":
            body = [(f"Known failing test: {code(first.error_quote, 110)} ({count}× in {len(traces)} run(s), "
                     "not fixed by the run); check whether it also fails without your change before chasing it.")]
        else:
            body = [(f"{who} can fail with {code(first.error_quote, 110)} "
                     f"({count}× in {len(traces)} run(s); retrying did not help).")]
            if alternative is not None:
                body.append(f"What worked instead: {example(alternative)}.")
        if first.environment:
            body.append("This is a permission or sandbox limit: ask for access or use an allowed tool instead of retrying.")
        evidence = [d.evidence(e.action.result_step, e.error_quote) for d, e in items]
        lessons.append(make_lesson("pitfall", f"{' or '.join(sorted(families))} fails with {first.signature}", "\n".join(body),
                               names.target((d.area for d, _ in items), first.environment), "pitfalls", evidence,
                               len(traces)))
    return lessons


MAX_UNRESOLVED = 5
"""Per-task "this was not enough" pitfalls kept per project; more would be noise, not lessons."""


def outcome_pitfalls(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    """What unsuccessful runs have in common: the error they ended on, the steps and tools they skipped."""
    failed = sorted((d for d in digests if d.success is False), key=lambda d: d.trace_id)
    if not failed:
        return []
    good = successful(digests)
    lessons = []
    by_signature: dict[str, list[TraceDigest]] = defaultdict(list)
    for d in failed:
        if d.final_error is not None:
            by_signature[d.final_error.signature.lower()].append(d)
    for members in by_signature.values():
        e = members[0].final_error
        assert e is not None
        if len(members) < 2 and len(failed) > 3:
            continue
        lessons.append(make_lesson(
            "pitfall", f"Runs ended after {e.family} failed with {e.signature}",
            f"{len(members)} unsuccessful run(s) ended right after {code(e.family)} failed with {code(e.signature)}; "
            "when you see it, fix the cause before finishing.",
            names.target([d.area for d in members], e.environment), "pitfalls",
            [d.evidence(d.final_error.action.result_step, d.final_error.error_quote) for d in members if d.final_error],
            len(members),
        ))
    lessons += _skipped_by_failures(failed, good, names)
    per_area: Counter[str] = Counter()
    for d in failed:
        files = sorted({p.lstrip("./") for p, _ in d.edited})
        if not (files and d.task_line and d.area) or per_area[d.area] >= MAX_UNRESOLVED:
            continue
        per_area[d.area] += 1
        first_edit = d.edited[0][1]
        lessons.append(make_lesson(
            "pitfall", f"Unresolved: {d.task_line}",
            f"For “{d.task_line}”, changing only {', '.join(code(f, 60) for f in files[:3])} "
            "was not enough: the run was judged unsuccessful, so look further.",
            names.target([d.area], False), "pitfalls", [d.evidence(first_edit.step, first_edit.quote)], 1,
        ))
    return lessons


def _skipped_by_failures(failed: list[TraceDigest], good: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    """Steps (roles) and tools most successful runs used that unsuccessful runs left out."""
    if len(good) < 2:
        return []
    lessons = []
    for what, items_of in (("step", lambda d: set(d.roles) & set(ROLE_PHRASE)), ("tool", lambda d: set(d.families))):
        usual = Counter(x for d in good for x in items_of(d))
        for item in sorted(x for x, n in usual.items() if n * 5 >= len(good) * 3):
            missing = [d for d in failed if item not in items_of(d) and d.roles]
            if not missing or len(missing) * 2 < len(failed) and len(missing) < 3:
                continue
            share = f"{usual[item]}/{len(good)} successful runs"
            if what == "step":
                text = f"Do not skip this step: {ROLE_PHRASE[item]} ({share} did; {len(missing)} unsuccessful run(s) did not)."
            else:
                text = f"Use {code(item)} as successful runs did ({share}; {len(missing)} unsuccessful run(s) never called it)."
            evidence = []
            for d in missing:
                last = max((a for acts in d.role_examples.values() for a in acts), key=lambda a: a.index, default=None)
                if last is not None:
                    evidence.append(d.evidence(last.step, last.quote))
            if evidence:
                lessons.append(make_lesson("pitfall", f"Unsuccessful runs skipped {what} {item}", text,
                                       names.target([d.area for d in missing], len({d.area for d in missing}) > 1),
                                       "pitfalls", evidence, len(missing)))
    return lessons
