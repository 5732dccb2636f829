"""The distill pipeline: read → redact → analyze → consolidate → group → plan → apply → write → validate.

``run_distill`` is the one path ``skillforge distill`` takes, offline and with ``--model``. The analyzer
is injected (the offline ``HeuristicAnalyzer`` when none is given, ``model.run.ModelAnalyzer`` with a
model) and may take over reading, consolidation, grouping and a step after each write (see
``analyzer``); planning, applying, writing, provenance and validation are always this module's.
Inputs are streamed: a trace is redacted, handed to the analyzer and dropped; only what the
analyzer keeps stays in memory.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from pathlib import Path
from typing import Any, TypeVar

from skillforge.distill.analyzer import AfterWrite, Analyzer, Consolidate, Finish, Group
from skillforge.distill.group import SkillGroup, describe, group_lessons, route_to_known
from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer
from skillforge.distill.intake import Intake
from skillforge.distill.lessons import generalize, merge_duplicates, merge_variants
from skillforge.distill.plan import MARKER_RE, plan_skill
from skillforge.distill.report import DistillReport, SkillResult
from skillforge.errors import BudgetExceeded, SkillforgeError
from skillforge.ingest import ReadOptions
from skillforge.models import Frontmatter, Lesson, SkillPackage, Trace
from skillforge.models.provenance import Provenance, ProvenanceSource
from skillforge.models.scan import QuarantinedLesson
from skillforge.scan import poisoned_lessons
from skillforge.skills.frontmatter import render
from skillforge.skills.io import read_package, write_package
from skillforge.skills.naming import skill_name
from skillforge.skills.patch import apply_patch
from skillforge.skills.provenance import merge_provenance, read_provenance, write_provenance
from skillforge.skills.rules import lesson_id
from skillforge.skills.validate import find_skill_md, validate_skill

__all__ = ["DistillReport", "Seed", "SkillResult", "run_distill", "run_distill_async", "seed_from_registry"]

_T = TypeVar("_T")


def run_distill(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    fmt: str | None = None,
    options: ReadOptions | None = None,
    analyzer: Analyzer | None = None,
    into: str | Path | None = None,
    redact_emails: bool = False,
    on_trace: Callable[[Trace], None] | None = None,
    seed: Seed | None = None,
) -> DistillReport:
    """Distill ``inputs`` into skill folders under ``out_dir`` (or deepen the skill ``into``).

    Re-running on the same input gives byte-identical files; a skill folder that already exists is
    deepened with the rules it lacks, never rewritten from scratch. ``on_trace`` is called with each
    (redacted) trace the pipeline reads, for progress display. ``seed`` fetches a skill the registry
    already holds under a name this run writes, so that skill is deepened, never replaced. A budget
    stop is not an exception: the report says so (``report.stopped``) and lists what was written.

    Callable from code that already runs an event loop (a notebook, a TUI, an async service) as long as
    the analyzer never waits (the offline analyzers): the run then happens right here, on no loop.
    An analyzer that does wait (``--model``) raises ``SkillforgeError`` there: await
    ``run_distill_async`` instead.
    """
    coro = run_distill_async(
        inputs, out_dir, fmt=fmt, options=options, analyzer=analyzer, into=into, redact_emails=redact_emails,
        on_trace=on_trace, seed=seed,
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    return _without_loop(coro)


def _without_loop(coro: Coroutine[Any, Any, _T]) -> _T:
    """The value of ``coro`` run to its end in one step, for a caller inside a running event loop
    (``asyncio.run`` refuses to start a second one there); only a coroutine that never waits can."""
    try:
        coro.send(None)
    except StopIteration as done:
        value: _T = done.value
        return value
    coro.close()  # runs its cleanup (the analyzer's finish) before the error goes up
    raise SkillforgeError(
        "run_distill was called inside a running event loop with an analyzer that waits (a model)",
        hint="`await run_distill_async(...)` there instead",
    )


async def run_distill_async(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    fmt: str | None = None,
    options: ReadOptions | None = None,
    analyzer: Analyzer | None = None,
    into: str | Path | None = None,
    redact_emails: bool = False,
    on_trace: Callable[[Trace], None] | None = None,
    seed: Seed | None = None,
) -> DistillReport:
    """``run_distill`` for async code: every async analyzer step is awaited on the caller's loop.

    The pipeline's own steps and a sync analyzer's steps (reading and analysing with the offline
    analyzer, writing the skills) run on the loop too and hold it while they work; to keep the loop
    responsive during an offline run, call ``await asyncio.to_thread(run_distill, ...)`` instead.
    """
    analyzer = analyzer or HeuristicAnalyzer()
    out = Path(out_dir)
    intake = Intake(inputs, fmt=fmt, options=options, redact_emails=redact_emails, on_trace=on_trace, out=out,
                    into=None if into is None else str(into))
    report = DistillReport(inputs=intake.paths, out_dir=str(out), analyzer=analyzer.name)
    finish: Finish | None = getattr(analyzer, "finish", None)
    try:
        await _distill(analyzer, intake, out, into, seed, report)
    except BudgetExceeded:
        # Any step may stop the run; what was written stays, nothing more is (and nothing is published).
        report.budget_stopped = True
    finally:
        _count(intake, report)
        if finish is not None:
            await _value(finish(report))
    return report


async def _distill(
    analyzer: Analyzer, intake: Intake, out: Path, into: str | Path | None, seed: Seed | None, report: DistillReport
) -> None:
    lessons = await _value(analyzer.analyze(intake))
    if intake.screened:
        quarantined = intake.quarantined
    else:
        # Instructions planted in tool outputs, documents or tickets must not become rules of a skill.
        lessons, quarantined = poisoned_lessons(lessons, intake.evidence)
    report.quarantined = list(quarantined)
    lessons = await _value(_consolidate(analyzer, lessons))
    report.lessons = len(lessons)
    if not lessons:
        return
    target_dir, target_name = _resolve_into(into, out)
    groups = await _value(_group(analyzer, lessons, out, target_name))
    if target_dir is None:
        groups = route_to_known(groups, known_rules(out, seed))
        seed_from_registry(groups, out, seed, report.deepened)
    after: AfterWrite | None = getattr(analyzer, "after_write", None)
    for group in groups:
        skill_dir = target_dir if target_dir is not None else out / group.name
        result = _write_skill(group, skill_dir, intake.origin, report.analyzer, report.quarantined)
        if result is None:
            continue
        report.skills.append(result)
        if after is not None:
            await _value(after(result, skill_dir))


def _count(intake: Intake, report: DistillReport) -> None:
    """What was read and skipped, into ``report`` (also when a step stopped the run early)."""
    report.traces = intake.traces
    report.traces_by_format = dict(sorted(intake.formats.items()))
    report.traces_by_kind = dict(sorted(intake.kinds.items()))
    report.skipped = intake.skipped
    report.skipped_total = intake.skipped_total


def _consolidate(analyzer: Analyzer, lessons: list[Lesson]) -> list[Lesson] | Awaitable[list[Lesson]]:
    own: Consolidate | None = getattr(analyzer, "consolidate", None)
    if own is not None:
        return own(lessons)
    # Whichever analyzer wrote them, rules hold no one run's ids or paths; rules that differ only by such
    # values become one, with their support pooled.
    return merge_variants(merge_duplicates([generalize(l) for l in lessons]))


def _group(
    analyzer: Analyzer, lessons: list[Lesson], out: Path, into: str | None
) -> list[SkillGroup] | Awaitable[list[SkillGroup]]:
    own: Group | None = getattr(analyzer, "group", None)
    if own is not None:
        return own(lessons, out, into)
    return group_lessons(lessons, into=into)


Seed = Callable[[str, Path], "str | None"]
"""``seed(name, out)``: put the registry's latest version of skill ``name`` (with its provenance) into
``out/name`` and return that version, or None when the registry has no such skill."""


def known_rules(out: Path, seed: Seed | None) -> dict[str, set[str]]:
    """The rule ids of each skill that already exists: in the registry (when ``seed`` can list them, as
    ``registry_seed``'s does) and in ``out``, whose folders win."""
    listed: Callable[[], dict[str, set[str]]] | None = getattr(seed, "rule_ids", None)
    known = dict(listed()) if listed is not None else {}
    if out.is_dir():
        for folder in sorted(out.iterdir()):
            skill_md = find_skill_md(folder) if folder.is_dir() else None
            if skill_md is not None:
                known[folder.name] = set(MARKER_RE.findall(skill_md.read_text(encoding="utf-8", errors="replace")))
    return known


def seed_from_registry(groups: list[SkillGroup], out: Path, seed: Seed | None, deepened: dict[str, str]) -> None:
    """Before writing, fetch each skill the registry already holds under a group's name into ``out``
    (unless ``out`` already has it), so the run deepens that skill instead of publishing a version
    that silently drops its rules; ``deepened`` records ``name -> version`` for the report."""
    if seed is None:
        return
    for group in groups:
        if find_skill_md(out / group.name) is not None:
            continue
        version = seed(group.name, out)
        if version is not None:
            deepened[group.name] = version


async def _value(value: _T | Awaitable[_T]) -> _T:
    """A step's result, awaited when the step was async."""
    if inspect.isawaitable(value):
        return await value
    return value


def _resolve_into(into: str | Path | None, out: Path) -> tuple[Path | None, str | None]:
    """``--into`` names an existing skill folder, or a skill name under OUT_DIR."""
    if into is None:
        return None, None
    path = Path(into)
    if path.is_dir() and find_skill_md(path) is not None:
        return path, read_package(path).frontmatter.name
    if path.is_dir() or len(path.parts) > 1:
        return path, skill_name(path.name)
    name = skill_name(str(into))
    return out / name, name


MAX_SCREENS = 8
"""Rounds of "render, scan, drop what is dangerous" before a skill is written as it stands."""


def screen_rendered(group: SkillGroup, existing: SkillPackage | None) -> tuple[SkillGroup, list[QuarantinedLesson]]:
    """``group`` without the lessons whose rendered text the scan gate refuses (a dangerous command,
    an unsafe link, hidden characters …), with those lessons and the reasons.

    The skill is rendered exactly as it would be written and scanned as a whole, so what no single
    lesson check sees (a command assembled by a template, a quote in references/) is caught too. A
    finding is traced to its lesson by the ``sf:`` marker of the rule or reference entry it sits in."""
    from skillforge.scan import scan_rendered  # scan pulls in its rule tables; only needed here

    refused: list[QuarantinedLesson] = []
    for _ in range(MAX_SCREENS):
        plan = plan_skill(group, existing)
        base = existing or SkillPackage(frontmatter=Frontmatter(name=group.name, description=group.description), body="")
        pkg, _ = apply_patch(base, plan.patch)
        high = [f for f in scan_rendered(pkg) if f.severity == "high"]
        by_id = {lesson_id(l): l for l in group.lessons}
        culprits: dict[str, str] = {}
        for finding in high:
            found = _lesson_at(pkg, finding.file, finding.line)
            if found in by_id and found not in culprits:
                culprits[found] = f"{finding.rule_id} in the rendered skill ({finding.file}:{finding.line}): {finding.excerpt}"
        if not culprits:
            return group, refused  # nothing of this run's making (a hand-written part is the publish gate's business)
        for lid, reason in sorted(culprits.items()):
            lesson = by_id[lid]
            source = next((e.source for e in lesson.evidence if e.source), None)
            refused.append(QuarantinedLesson(lesson=lesson, rule_id="lesson-dangerous-content",
                                             reason=reason + (f" (source: {source})" if source else "")))
        group = group.model_copy(update={"lessons": [l for l in group.lessons if lesson_id(l) not in culprits]})
        if not group.lessons:
            return group, refused
    return group, refused


def _lesson_at(pkg: SkillPackage, shown: str, line: int | None) -> str | None:
    """The ``sf:`` id of the rule (SKILL.md: the item above) or reference entry (the marker below) at a line."""
    rel = shown.split("/", 1)[1] if "/" in shown else shown
    text = render(pkg.frontmatter, pkg.body) if rel == "SKILL.md" else pkg.files.get(rel, "")
    lines = text.splitlines()
    if line is None or not 0 < line <= len(lines):
        return None
    index = line - 1
    if rel == "SKILL.md":
        for i in range(index, -1, -1):
            if found := MARKER_RE.search(lines[i]):
                return found.group(1)
            if lines[i].startswith("## "):
                return None
        return None
    for i in range(index, len(lines)):
        if found := MARKER_RE.search(lines[i]):
            return found.group(1)
        if i > index and lines[i].startswith("## "):
            break
    # An evidence quote sits below its entry's "Evidence from …  <!-- sf:… -->:" line: look up to the heading.
    for i in range(index - 1, -1, -1):
        if found := MARKER_RE.search(lines[i]):
            return found.group(1)
        if lines[i].startswith("## "):
            break
    return None


def _write_skill(
    group: SkillGroup, skill_dir: Path, origin: dict[str, tuple[str, str]], analyzer: str,
    quarantined: list[QuarantinedLesson] | None = None,
) -> SkillResult | None:
    """Write (or deepen) one skill; None when every rule of a new skill was quarantined."""
    existing = read_package(skill_dir) if find_skill_md(skill_dir) is not None else None
    group, refused = screen_rendered(group, existing)
    if quarantined is not None:
        quarantined.extend(refused)
    if not group.lessons and existing is None:
        return None
    plan = plan_skill(group, existing)
    base = existing or SkillPackage(frontmatter=Frontmatter(name=group.name, description=group.description), body="")
    pkg, problems = apply_patch(base, plan.patch)
    old_provenance = read_provenance(skill_dir)
    provenance = merge_provenance(old_provenance, _provenance(pkg, plan.rules, origin, analyzer))
    if existing is not None and plan.new_rules:
        # Only fields skillforge itself keeps are refreshed; a hand-written skill's metadata is left alone.
        front = pkg.frontmatter
        metadata = dict(front.metadata)
        if "version" in metadata:
            metadata["version"] = plan.version
        if "sources" in metadata:
            metadata["sources"] = str(len({t for r in provenance.rules for t in r.trace_ids}))
        description = front.description
        if old_provenance is not None and description in (
            old_provenance.description, describe(front.name, _as_lessons(old_provenance, front.name))
        ):
            description = describe(front.name, _as_lessons(provenance, front.name))  # still ours: describe it all
        front = front.model_copy(update={"metadata": metadata, "description": description})
        pkg = pkg.model_copy(update={"frontmatter": front})
        provenance = provenance.model_copy(update={"version": metadata.get("version", provenance.version)})
    if existing is None or plan.patch.edits:
        write_package(pkg, skill_dir)
    if existing is None or (old_provenance is not None and pkg.frontmatter.description != existing.frontmatter.description):
        # Remember the description skillforge wrote, so a later run knows it may rewrite it.
        provenance = provenance.model_copy(update={"description": pkg.frontmatter.description})
    provenance_file = write_provenance(provenance, skill_dir)
    check = validate_skill(skill_dir)
    return SkillResult(
        name=pkg.name, path=str(skill_dir), created=plan.created, rules=len(provenance.rules),
        new_rules=plan.new_rules, version=pkg.frontmatter.metadata.get("version"), provenance=str(provenance_file),
        errors=[p.message for p in check.errors], warnings=[p.message for p in check.warnings],
        problems=[str(p) for p in problems],
    )


def _provenance(pkg: SkillPackage, rules: list[Any], origin: dict[str, tuple[str, str]], analyzer: str) -> Provenance:
    by_path: dict[str, set[str]] = {}
    formats: dict[str, str] = {}
    for rule in rules:
        for trace_id in rule.trace_ids:
            path, fmt = origin.get(trace_id, (next((e.source for e in rule.evidence if e.trace_id == trace_id
                                                     and e.source), "") or "unknown", ""))
            by_path.setdefault(path, set()).add(trace_id)
            if fmt:
                formats[path] = fmt
    sources = [ProvenanceSource(path=p, format=formats.get(p), trace_ids=sorted(ids)) for p, ids in sorted(by_path.items())]
    return Provenance(skill=pkg.name, version=pkg.frontmatter.metadata.get("version"), analyzer=analyzer,
                      sources=sources, rules=rules)


def _as_lessons(provenance: Provenance, name: str) -> list[Lesson]:
    """The rules a provenance records, as lessons again (enough to describe the skill)."""
    return [
        Lesson(kind=r.kind, title=r.title, body=r.text, target_skill=name, evidence=r.evidence, support=r.support,
               tags=r.tags)
        for r in provenance.rules
    ]

