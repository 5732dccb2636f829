"""The distill pipeline: read → redact → analyze → consolidate → group → plan → apply → write → validate.

``run_distill`` is what ``skillforge distill`` calls. The analyzer is injected (the offline
``HeuristicAnalyzer`` when none is given; an LLM analyst otherwise) and consolidation is a separate,
injectable step, so the model-backed path reuses everything after it. Inputs are streamed: a trace is
redacted, handed to the analyzer and dropped; only what the analyzer keeps stays in memory.
"""

from __future__ import annotations

import asyncio
import inspect
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, Field

from skillforge.distill.group import SkillGroup, describe, group_lessons
from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer
from skillforge.distill.lessons import generalize, merge_duplicates, merge_variants
from skillforge.distill.plan import MARKER_RE, plan_skill
from skillforge.ingest import ReadOptions, read_paths
from skillforge.models import Frontmatter, Lesson, SkillPackage, Skipped, Trace
from skillforge.models.provenance import Provenance, ProvenanceSource
from skillforge.models.scan import QuarantinedLesson
from skillforge.redact import neutralize_controls, redact_text, redact_trace_in_place
from skillforge.scan import poisoned_lessons
from skillforge.scan.poison import slim_trace
from skillforge.skills.frontmatter import render
from skillforge.skills.io import read_package, write_package
from skillforge.skills.naming import skill_name
from skillforge.skills.patch import apply_patch
from skillforge.skills.provenance import merge_provenance, read_provenance, write_provenance
from skillforge.skills.rules import lesson_id
from skillforge.skills.validate import find_skill_md, validate_skill

__all__ = ["Analyzer", "DistillReport", "Seed", "seed_from_registry", "SkillResult", "resolve_into", "run_distill", "write_skill"]

MAX_SKIPPED = 500
"""Skipped records listed in the report; the rest are only counted."""


class Analyzer(Protocol):
    """Anything that turns traces into lessons: ``analyze`` may return the list or an awaitable of it."""

    name: str

    def analyze(self, traces: Iterable[Trace]) -> list[Lesson] | Awaitable[list[Lesson]]: ...


Consolidate = Callable[[list[Lesson]], "list[Lesson] | Awaitable[list[Lesson]]"]


class SkillResult(BaseModel):
    """One skill folder distill wrote or updated."""

    name: str
    path: str
    created: bool
    rules: int
    """Rules the skill holds (according to its provenance)."""
    new_rules: int
    version: str | None = None
    provenance: str
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    problems: list[str] = Field(default_factory=list)
    """Patch edits that could not be applied."""


class DistillReport(BaseModel):
    """What a distill run read, learned and wrote."""

    inputs: list[str]
    out_dir: str
    analyzer: str
    traces: int = 0
    traces_by_format: dict[str, int] = Field(default_factory=dict)
    traces_by_kind: dict[str, int] = Field(default_factory=dict)
    lessons: int = 0
    skills: list[SkillResult] = Field(default_factory=list)
    skipped: list[Skipped] = Field(default_factory=list)
    skipped_total: int = 0
    quarantined: list[QuarantinedLesson] = Field(default_factory=list)
    """Lessons kept out of the skills because their evidence looks poisoned (see ``skillforge.scan``)."""
    deepened: dict[str, str] = Field(default_factory=dict)
    """Skills the registry already held under a name this run wrote: ``name -> version`` it deepened."""

    @property
    def ok(self) -> bool:
        """False only when nothing usable was read."""
        return self.traces > 0


class _Intake:
    """Wraps the reader stream: redacts each trace, counts it, remembers where it came from."""

    def __init__(
        self, items: Iterable[Trace | Skipped], redact_emails: bool, on_trace: Callable[[Trace], None] | None
    ) -> None:
        self.items = items
        self.redact_emails = redact_emails
        self.on_trace = on_trace
        self.formats: Counter[str] = Counter()
        self.kinds: Counter[str] = Counter()
        self.origin: dict[str, tuple[str, str]] = {}
        self.skipped: list[Skipped] = []
        self.skipped_total = 0
        self.evidence: dict[str, Trace] = {}
        """A slim copy of every trace, for the poisoning check on the lessons' evidence."""

    def __iter__(self) -> Iterator[Trace]:
        for item in self.items:
            if isinstance(item, Skipped):
                self.skipped_total += 1
                if len(self.skipped) < MAX_SKIPPED:
                    # A skip names a file and quotes what was wrong (a CSV header, a record): both may hold
                    # a secret or terminal control sequences, and both are printed and written to reports.
                    self.skipped.append(item.model_copy(update={
                        "path": neutralize_controls(redact_text(item.path)),
                        "reason": neutralize_controls(redact_text(item.reason)),
                    }))
                continue
            # The reader's trace is ours alone: redact it in place (only changed steps are replaced) so a
            # huge session is never held twice.
            trace = redact_trace_in_place(item, redact_emails=self.redact_emails)
            del item
            self.formats[trace.source.format] += 1
            self.kinds[trace.kind] += 1
            self.origin[trace.id] = (trace.source.path, trace.source.format)
            self.evidence[trace.id] = slim_trace(trace)
            if self.on_trace is not None:
                self.on_trace(trace)
            yield trace
            del trace  # not pinned here while the reader builds the next one


def run_distill(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    fmt: str | None = None,
    options: ReadOptions | None = None,
    analyzer: Analyzer | None = None,
    consolidate: Consolidate | None = None,
    into: str | Path | None = None,
    redact_emails: bool = False,
    on_trace: Callable[[Trace], None] | None = None,
    seed: Seed | None = None,
) -> DistillReport:
    """Distill ``inputs`` into skill folders under ``out_dir`` (or deepen the skill ``into``).

    Re-running on the same input gives byte-identical files; a skill folder that already exists is
    deepened with the rules it lacks, never rewritten from scratch. ``on_trace`` is called with each
    (redacted) trace as it is read, for progress display. ``seed`` fetches a skill the registry already
    holds under a name this run writes, so that skill is deepened, never replaced.
    """
    analyzer = analyzer or HeuristicAnalyzer()
    out = Path(out_dir)
    intake = _Intake(read_paths([str(p) for p in inputs], fmt, options), redact_emails, on_trace)
    lessons = _resolve(analyzer.analyze(intake))
    # Instructions planted in tool outputs, documents or tickets must not become rules of a skill.
    lessons, quarantined = poisoned_lessons(lessons, intake.evidence)
    # Whichever analyzer wrote them, rules hold no one run's ids or paths; rules that differ only by such
    # values become one, with their support pooled.
    lessons = _resolve((consolidate or merge_duplicates)([generalize(l) for l in lessons]))
    lessons = merge_variants(lessons)
    report = DistillReport(
        inputs=[str(p) for p in inputs], out_dir=str(out), analyzer=getattr(analyzer, "name", type(analyzer).__name__),
        traces=sum(intake.formats.values()), traces_by_format=dict(sorted(intake.formats.items())),
        traces_by_kind=dict(sorted(intake.kinds.items())), lessons=len(lessons), skipped=intake.skipped,
        skipped_total=intake.skipped_total, quarantined=quarantined,
    )
    if not lessons:
        return report
    target_dir, target_name = _resolve_into(into, out)
    groups = group_lessons(lessons, into=target_name)
    if target_dir is None:
        seed_from_registry(groups, out, seed, report.deepened)
    for group in groups:
        skill_dir = target_dir if target_dir is not None else out / group.name
        result = _write_skill(group, skill_dir, intake.origin, report.analyzer, report.quarantined)
        if result is not None:
            report.skills.append(result)
    return report


Seed = Callable[[str, Path], "str | None"]
"""``seed(name, out)``: put the registry's latest version of skill ``name`` (with its provenance) into
``out/name`` and return that version, or None when the registry has no such skill."""


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


def _resolve(value: Any) -> Any:
    if inspect.isawaitable(value):
        return asyncio.run(_await(value))
    return value


async def _await(value: Awaitable[Any]) -> Any:
    return await value


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


# Public names for the steps the model-backed pipeline reuses after its own analysis.
resolve_into = _resolve_into
write_skill = _write_skill
