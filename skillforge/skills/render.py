"""Render a group of lessons as a skill: SKILL.md from ``templates/skills``, details in ``references/``.

SKILL.md holds one short rule per lesson (with an invisible ``<!-- sf:<id> -->`` marker that
``skillforge explain`` resolves); longer material — examples, full procedures, full runbooks, rules
beyond a section's cap — goes to ``references/*.md``. The caps shrink until SKILL.md is under 500 lines.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from string import Template

from skillforge.distill.area import slug
from skillforge.distill.lessons import inline_code, lesson_id, rule_line, sort_key, tag
from skillforge.models import Evidence, Frontmatter, Lesson, SkillPackage
from skillforge.models.provenance import ProvenanceRule
from skillforge.resources import template_path
from skillforge.skills.frontmatter import render as render_skill_md

__all__ = [
    "LINE_BUDGET", "SECTIONS", "Rendered", "entry_parts", "heading_for", "reference_file", "render_entry",
    "render_reference", "render_rules", "render_skill", "section_key",
]

LINE_BUDGET = 450
"""SKILL.md stays below this many lines (the spec advises under 500)."""
SECTIONS: list[tuple[str, str]] = [
    ("runbooks", "Runbooks"),
    ("procedure", "Procedure"),
    ("triage", "Known issues and resolutions"),
    ("recovery", "Recovering from common errors"),
    ("pitfalls", "Pitfalls"),
    ("guardrails", "Guardrails"),
    ("commands", "Useful commands"),
    ("files", "Files that matter"),
    ("notes", "Project notes"),
    ("other", "Other lessons"),
]
_KIND_SECTION = {
    "procedure": "procedure", "success_pattern": "procedure", "recovery": "recovery", "failure_cause": "pitfalls",
    "pitfall": "pitfalls", "guardrail": "guardrails",
}
_HEADINGS = dict(SECTIONS)
_INTROS = {
    "recovery": "Errors seen in earlier runs and what made the next call succeed.",
    "runbooks": "Full diagnosis and mitigation steps for each alert.",
    "triage": "Known problems, how each was resolved, and how the fix was verified.",
    "procedure": "Procedures in full, with every step.",
    "pitfalls": "What went wrong in earlier runs, with the evidence.",
}


@dataclass
class Rendered:
    """A rendered skill and, for each rule, where it went."""

    package: SkillPackage
    rules: list[ProvenanceRule] = field(default_factory=list)


def section_key(lesson: Lesson) -> str:
    """Which section a lesson belongs to: its ``section:`` tag, else by kind."""
    key = tag(lesson, "section")
    if key in _HEADINGS:
        return key
    return _KIND_SECTION.get(lesson.kind, "other")


def heading_for(key: str) -> str:
    return _HEADINGS.get(key, _HEADINGS["other"])


def reference_file(lesson: Lesson) -> str | None:
    """Where a lesson's details go, or None when the rule says it all."""
    key = section_key(lesson)
    if key == "runbooks":
        return f"references/{slug(lesson.title.removesuffix(' runbook'), 50) or lesson_id(lesson)}.md"
    details = lesson.body.strip().split("\n")[1:]
    return f"references/{key}.md" if details or len(lesson.evidence) > 1 else None


@cache
def _template(name: str) -> Template:
    return Template(template_path("skills", name).read_text(encoding="utf-8"))


def render_rules(lessons: list[Lesson], *, max_steps: int = 8, with_links: bool = True) -> list[str]:
    """The Markdown lines for ``lessons`` as list items of one SKILL.md section."""
    lines: list[str] = []
    for lesson in lessons:
        marker = f"<!-- sf:{lesson_id(lesson)} -->"
        text = rule_line(lesson)
        area = tag(lesson, "area")
        if section_key(lesson) == "notes" and area:
            text = f"**{area}**: {text}"
        ref = reference_file(lesson)
        if section_key(lesson) == "runbooks" and ref and with_links:
            text += f" ([full runbook]({ref}))"
        lines.append(f"- {text} {marker}")
        if section_key(lesson) == "procedure":
            steps = [ln.strip() for ln in lesson.body.strip().split("\n")[1:] if re.match(r"^\s*\d+\.\s", ln)]
            for number, step in enumerate(steps[:max_steps], start=1):
                lines.append(f"  {number}. " + re.sub(r"^\d+\.\s*", "", step))
            if len(steps) > max_steps and ref:
                lines.append(f"  ({len(steps) - max_steps} more step(s) in [{ref}]({ref}))")
    return lines


def render_entry(lesson: Lesson) -> str:
    """One lesson in full for a references/ file (``## title`` and body): the whole rule and where it was seen."""
    title, content = entry_parts(lesson)
    return f"## {title}\n\n{content}"


def entry_parts(lesson: Lesson) -> tuple[str, str]:
    """``(heading, content)`` of a lesson's references/ entry."""
    seen = []
    firsts: dict[str, Evidence] = {}
    for e in lesson.evidence:  # one quote per trace first, so the entry shows how far the rule reaches
        firsts.setdefault(e.trace_id, e)
    shown = [*firsts.values(), *(e for e in lesson.evidence if e not in firsts.values())][:3]
    for e in shown:
        where = f"{e.source or e.trace_id}" + (f", step {e.step}" if e.step is not None else "")
        seen.append(f"- {where}" + (f": {inline_code(e.quote, 100)}" if e.quote.strip() else ""))
    more = len(lesson.trace_ids) - len({e.trace_id for e in shown})
    if more > 0:
        seen.append(f"- and {more} more trace(s)")
    body = "\n\n".join(_paragraphs(lesson.body.strip()))
    support = f"Seen in {lesson.support} source(s) <!-- sf:{lesson_id(lesson)} -->:"
    content = _template("reference-entry.md").substitute(body=body, sources=support + "\n\n" + "\n".join(seen))
    return " ".join(lesson.title.split()), content.strip() + "\n"


def _paragraphs(body: str) -> list[str]:
    """Keep numbered steps together as a list; other lines become their own paragraphs."""
    out: list[str] = []
    for line in body.split("\n"):
        if re.match(r"^\s*\d+\.\s", line) and out and re.match(r"^\s*\d+\.\s", out[-1].split("\n")[-1]):
            out[-1] += "\n" + line.strip()
        elif re.match(r"^\s*\d+\.\s", line) and out and out[-1].endswith(":"):
            out[-1] += "\n\n" + line.strip()
        else:
            out.append(line.strip())
    return [p for p in out if p]


def render_skill(
    name: str, title: str, description: str, lessons: list[Lesson], *, version: str = "0.1.0"
) -> Rendered:
    """The whole skill folder for these lessons; SKILL.md is kept under ``LINE_BUDGET`` lines."""
    by_section: dict[str, list[Lesson]] = defaultdict(list)
    for lesson in sorted(lessons, key=sort_key):
        by_section[section_key(lesson)].append(lesson)
    sources = len({e.trace_id for l in lessons for e in l.evidence})
    front = Frontmatter(
        name=name,
        description=description,
        metadata={"generated-by": "skillforge", "sources": str(sources), "version": version},
    )
    cap, steps = 15, 8
    while True:
        rendered = _render_with_caps(front, title, description, by_section, sources, cap, steps)
        lines = render_skill_md(front, rendered.package.body).count("\n")
        if lines < LINE_BUDGET or cap <= 2:
            return rendered
        cap, steps = max(2, cap // 2), max(3, steps - 2)


def _render_with_caps(
    front: Frontmatter, title: str, description: str, by_section: dict[str, list[Lesson]], sources: int,
    cap: int, max_steps: int,
) -> Rendered:
    blocks: list[str] = []
    files: dict[str, list[Lesson]] = defaultdict(list)
    rules: list[ProvenanceRule] = []
    for key, heading in SECTIONS:
        members = by_section.get(key, [])
        if not members:
            continue
        shown, overflow = members[:cap], members[cap:]
        overflow_ids = {lesson_id(l) for l in overflow}
        lines = [f"## {heading}", "", *render_rules(shown, max_steps=max_steps)]
        refs = sorted({ref for l in shown if (ref := reference_file(l)) and ref == f"references/{key}.md"})
        for lesson in members:
            ref = reference_file(lesson)
            if lesson_id(lesson) in overflow_ids:
                files[f"references/{key}.md"].append(lesson)
            elif ref:
                files[ref].append(lesson)
        if overflow:
            lines.append(f"- {len(overflow)} more rule(s) in [references/{key}.md](references/{key}.md).")
        elif refs:
            lines.append("")
            lines.append(f"Details and examples: [{refs[0]}]({refs[0]}).")
        blocks.append("\n".join(lines))
        for lesson in members:
            in_skill = lesson_id(lesson) not in overflow_ids
            rules.append(_rule(lesson, heading, "SKILL.md" if in_skill else f"references/{key}.md"))
    body = _template("skill-body.md").substitute(
        title=title, description=description, when="\n".join(f"- {w}" for w in _when(by_section)),
        sections="\n\n".join(blocks),
    )
    package_files = {path: render_reference(path, title, members) for path, members in sorted(files.items())}
    return Rendered(package=SkillPackage(frontmatter=front, body=body.strip() + "\n", files=package_files),
                    rules=sorted(rules, key=lambda r: (r.file, r.section, r.id)))


def render_reference(path: str, title: str, lessons: list[Lesson]) -> str:
    """A whole references/ file for ``lessons`` (one runbook, or the entries of one section)."""
    key = path.removeprefix("references/").removesuffix(".md")
    if len(lessons) == 1 and section_key(lessons[0]) == "runbooks":
        heading, intro = lessons[0].title, f"Part of the {title} skill."
    else:
        heading, intro = f"{title}: {heading_for(key).lower()}", _INTROS.get(key, "Every rule in full, with where it was seen.")
    entries = "\n".join(render_entry(l) for l in sorted(lessons, key=sort_key))
    return _template("reference.md").substitute(title=heading, intro=intro, entries=entries).strip() + "\n"


def _rule(lesson: Lesson, heading: str, file: str) -> ProvenanceRule:
    return ProvenanceRule(
        id=lesson_id(lesson), file=file, section=heading, kind=lesson.kind, title=lesson.title,
        text=rule_line(lesson), support=lesson.support, helpful=lesson.helpful, harmful=lesson.harmful,
        trace_ids=lesson.trace_ids, evidence=lesson.evidence,
        tags=lesson.tags,
    )


def _when(by_section: dict[str, list[Lesson]]) -> list[str]:
    out = []
    if by_section.get("runbooks"):
        names = ", ".join(l.title.removesuffix(" runbook") for l in by_section["runbooks"][:8])
        out.append(f"One of these alerts fires: {names}.")
    if by_section.get("triage"):
        out.append("A new report resembles one of the known issues below.")
    procedures = by_section.get("procedure", [])
    if any(tag(l, "source") == "document" for l in procedures):
        out.append("You need the documented steps: " + ", ".join(_short_title(l) for l in procedures[:5]) + ".")
    elif procedures:
        out.append("You start a task of this kind and want the steps that worked before.")
    if by_section.get("recovery"):
        out.append("A tool call fails with one of the errors under *Recovering from common errors*.")
    if by_section.get("guardrails"):
        out.append("Before you act: the guardrails say what not to do.")
    if by_section.get("commands") or by_section.get("files"):
        out.append("You need the commands and files that mattered in this project.")
    return out or ["The task matches the description above."]


def _short_title(lesson: Lesson) -> str:
    return lesson.title.split(": ", 1)[-1]
