"""Render a group of lessons as a skill: SKILL.md from ``templates/skills``, depth in ``references/``.

SKILL.md holds the rules, short: one list item per lesson (its first body line, with an invisible
``<!-- sf:<id> -->`` marker that ``skillforge explain`` resolves), the steps of a procedure, and the
commands that belong to a rule or step as fenced code blocks. No banners, counts or a repeated
description: the description is in the frontmatter, where hosts read it.

``references/*.md`` hold what SKILL.md does not: the detail paragraphs of each lesson (variants, worked
examples, why), steps beyond the ones shown, and the quoted evidence with how many runs succeeded or
failed — never a copy of the rule itself. The caps shrink until SKILL.md is under 500 lines.

Body format of a lesson (see ``skillforge/distill/lessons.py``): the first line is the rule; numbered
lines ``1. …`` are steps; a fenced block directly after the rule or a step belongs to it; anything else
is detail for references/.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from string import Template

from skillforge.models import Evidence, Frontmatter, Lesson, SkillPackage
from skillforge.models.provenance import ProvenanceRule
from skillforge.resources import template_path
from skillforge.skills.frontmatter import render as render_skill_md
from skillforge.skills.naming import slug
from skillforge.skills.rules import inline_code, lesson_id, rule_line, sort_key, tag

__all__ = [
    "LINE_BUDGET", "SECTIONS", "Body", "Rendered", "Step", "entry_parts", "heading_for", "parse_body",
    "provenance_rule", "reference_file", "render_entry", "render_reference", "render_rules", "render_skill",
    "section_key",
]

LINE_BUDGET = 450
"""SKILL.md stays below this many lines (the spec advises under 500)."""
MAX_STEPS = 8
"""Steps of a procedure shown in SKILL.md before the rest move to references/."""
SECTIONS: list[tuple[str, str]] = [
    ("runbooks", "Runbooks"),
    ("procedure", "Procedure"),
    ("practices", "How to triage"),
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
    "recovery": "Each error below, the output that showed it, and the calls that made the next attempt succeed.",
    "runbooks": "Full diagnosis and mitigation steps for each alert.",
    "triage": "Known problems, how each was resolved, and how the fix was verified.",
    "procedure": "Every step of each procedure, with where it was seen.",
    "pitfalls": "What went wrong in earlier runs, with the output that showed it.",
    "guardrails": "Where each guardrail comes from.",
}
_POINTERS = {
    "runbooks": "the full runbook of each alert",
    "procedure": "every step and where each was seen",
    "practices": "the tickets that show each practice",
    "triage": "each known issue with its resolution and verification",
    "recovery": "each error with the output that showed it",
    "pitfalls": "the output behind each pitfall",
    "guardrails": "the source of each guardrail",
    "commands": "where each command was run",
    "files": "the changes behind each file",
    "notes": "the evidence behind each project note",
}
_STEP = re.compile(r"^\s*(\d+)[.)]\s+(.*)$")
_FENCE = re.compile(r"^\s*(```+|~~~+)")
_LISTY = re.compile(r"^([-*>]|\d+[.)])\s")


@dataclass
class Step:
    """One numbered step of a procedure and the code lines that belong to it."""

    text: str
    code: list[str] = field(default_factory=list)
    """Lines of fenced blocks (fences included), dedented."""


@dataclass
class Body:
    """A lesson body split into the rule, its own code, its steps and the detail for references/."""

    rule: str
    code: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    details: list[str] = field(default_factory=list)
    """Detail lines; a fenced block that belongs to no step is one item, newlines included."""


def parse_body(lesson: Lesson) -> Body:
    """Split ``lesson.body`` by the body format described in the module docstring."""
    lines = lesson.body.strip("\n").split("\n")
    body = Body(rule=rule_line(lesson))
    owner: list[str] | None = body.code  # where a fenced block right here belongs
    i = 1
    while i < len(lines):
        line = lines[i]
        fence = _FENCE.match(line)
        if fence:
            block, i = _fenced_block(lines, i, fence.group(1))
            if owner is not None:
                owner.extend(block)
            else:
                body.details.append("\n".join(block))  # one paragraph, so the block stays whole
            continue
        step = _STEP.match(line)
        if step:
            body.steps.append(Step(text=step.group(2).strip()))
            owner = body.steps[-1].code
        elif line.strip():
            body.details.append(line.strip())
            owner = None
        i += 1
    return body


def _fenced_block(lines: list[str], start: int, fence: str) -> tuple[list[str], int]:
    indent = len(lines[start]) - len(lines[start].lstrip())
    block = [lines[start].strip()]
    i = start + 1
    while i < len(lines):
        raw = lines[i]
        stripped = raw[indent:] if raw[:indent].strip() == "" else raw.lstrip()
        block.append(stripped.rstrip())
        i += 1
        if raw.strip().startswith(fence[0] * len(fence)) and raw.strip().strip(fence[0]) == "":
            break
    else:
        block.append(fence)  # an unclosed block is closed here, so it cannot swallow the rest of SKILL.md
    return block, i


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


def reference_file(lesson: Lesson, max_steps: int = MAX_STEPS) -> str | None:
    """Where a lesson's depth goes, or None when SKILL.md says it all and there is no evidence to show."""
    ref = tag(lesson, "ref")
    if ref and (stem := slug(ref, 50)):
        return f"references/{stem}.md"
    key = section_key(lesson)
    if key == "runbooks":
        return f"references/{slug(lesson.title.removesuffix(' runbook'), 50) or lesson_id(lesson)}.md"
    body = parse_body(lesson)
    if body.details or len(body.steps) > max_steps or lesson.evidence:
        return f"references/{key}.md"
    return None


@cache
def _template(name: str) -> Template:
    return Template(template_path("skills", name).read_text(encoding="utf-8"))


def render_rules(lessons: list[Lesson], *, max_steps: int = MAX_STEPS, with_links: bool = True) -> list[str]:
    """The Markdown lines for ``lessons`` as list items of one SKILL.md section."""
    lines: list[str] = []
    for lesson in lessons:
        marker = f"<!-- sf:{lesson_id(lesson)} -->"
        body = parse_body(lesson)
        text = body.rule
        area = tag(lesson, "area")
        if section_key(lesson) == "notes" and area and not text.lower().startswith(area.lower()):
            text = f"**{area}**: {text}"
        ref = reference_file(lesson, max_steps)
        if section_key(lesson) == "runbooks" and ref and with_links:
            text += f" ([full runbook]({ref}))"
        lines.append(f"- {text} {marker}")
        steps = body.steps
        code = list(body.code)
        # Leading steps the rule already says (a one-step procedure, or a rule that summarises its first
        # steps) are not listed again: their code goes under the rule, in order.
        while steps and _said_by(steps[0].text, body.rule, 0.5 if len(steps) == 1 else 0.6):
            if steps[0].code and (code or len(steps) > 1 and _overlap(steps[1].text, body.rule) >= 0.6):
                break  # several code blocks under one rule would lose which step each belongs to
            code, steps = [*code, *steps[0].code], steps[1:]
            if code:
                break
        lines.extend(_indented(code, "  "))
        for number, step in enumerate(steps[:max_steps], start=1):
            lines.append(f"  {number}. {step.text}")
            lines.extend(_indented(step.code, " " * (len(str(number)) + 4)))
        if len(body.steps) > max_steps and ref and with_links:
            lines.append(f"  ({len(body.steps) - max_steps} more step(s) in [{ref}]({ref}))")
    return lines


def _said_by(step: str, rule: str, share: float) -> bool:
    """Does ``rule`` already say ``step``: most of its words, and every command it quotes (a step that shares
    the rule's words but runs another command, `describe` after `get`, says something new)."""
    spans = re.findall(r"`([^`]+)`", step)
    return _overlap(step, rule) >= share and all(span in rule for span in spans)


def _overlap(a: str, b: str) -> float:
    """Share of ``a``'s words that ``b`` also has."""
    words = set(_norm(a).split())
    return len(words & set(_norm(b).split())) / len(words) if words else 1.0


def _indented(code: list[str], pad: str) -> list[str]:
    if not code:
        return []
    return ["", *(pad + line if line else "" for line in code), ""]


def render_entry(lesson: Lesson, max_steps: int = MAX_STEPS, *, full: bool = False) -> str:
    """One lesson's depth for a references/ file (``## title`` and content)."""
    title, content = entry_parts(lesson, max_steps, full=full)
    return f"## {title}\n\n{content}"


def entry_parts(lesson: Lesson, max_steps: int = MAX_STEPS, *, full: bool = False) -> tuple[str, str]:
    """``(heading, content)`` of a lesson's references/ entry: what SKILL.md does not already say.

    The rule itself is not repeated; the entry holds the detail paragraphs, the steps SKILL.md leaves
    out, and the quoted evidence (one quote per run first, so it shows how far the rule reaches).
    With ``full`` (a rule that did not fit in SKILL.md and lives only here) the entry starts with the
    rule, its code and every step."""
    body = parse_body(lesson)
    parts: list[str] = []
    if full:
        parts.append("\n".join([body.rule, *_indented(body.code, "")]).strip("\n"))
    steps = [(n, s) for n, s in enumerate(body.steps, start=1) if full or n > max_steps]
    if body.details:
        parts.extend(_paragraphs(body.details))
    if steps:
        block = []
        for number, step in steps:
            block.append(f"{number}. {step.text}")
            block.extend(_indented(step.code, " " * (len(str(number)) + 2)))
        parts.append("\n".join(block).strip("\n"))
    firsts: dict[str, Evidence] = {}
    for e in lesson.evidence:
        firsts.setdefault(e.trace_id, e)
    shown = [*firsts.values(), *(e for e in lesson.evidence if e not in firsts.values())][:3]
    seen = []
    # What the reader already has (the rule and every step, here or in SKILL.md): a quote that only
    # repeats one of them (a document's own sentence) is shown as its location alone.
    said = [body.rule, *(s.text for s in body.steps)]
    for e in shown:
        where = f"{e.source or e.trace_id}" + (f", step {e.step}" if e.step is not None else "")
        quoted = e.quote.strip() and max(_overlap(e.quote, text) for text in said) < 0.8
        seen.append(f"- {where}" + (f": {inline_code(e.quote, 100)}" if quoted else ""))
    more = len(lesson.trace_ids) - len({e.trace_id for e in shown})
    if more > 0:
        seen.append(f"- and {more} more")
    outcome = ""
    if lesson.helpful or lesson.harmful:
        unknown = lesson.support - lesson.helpful - lesson.harmful
        outcome = f" ({lesson.helpful} succeeded, {lesson.harmful} failed" + (
            f", {unknown} with no recorded outcome)" if unknown > 0 else ")")
    sources = f"Evidence from {lesson.support} source(s){outcome} <!-- sf:{lesson_id(lesson)} -->:"
    if seen:
        sources += "\n\n" + "\n".join(seen)
    content = _template("reference-entry.md").substitute(body="\n\n".join(parts), sources=sources)
    return _entry_title(lesson, body.rule), content.strip() + "\n"


def _entry_title(lesson: Lesson, rule: str) -> str:
    """The lesson's title; clipped when it is the rule itself, so the rule is never copied verbatim."""
    title = " ".join(lesson.title.split())
    if _norm(title) != _norm(rule) or len(title.split()) < 6:
        return title
    words = title.split()
    return " ".join(words[:5]) + " …"


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _paragraphs(lines: list[str]) -> list[str]:
    """Detail lines as paragraphs; list items and quotes stay together."""
    out: list[str] = []
    for line in lines:
        if out and _LISTY.match(line) and _LISTY.match(out[-1].split("\n")[-1]):
            out[-1] += "\n" + line
        else:
            out.append(line)
    return out


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
    cap, steps = 15, MAX_STEPS
    while True:
        rendered = _render_with_caps(front, title, by_section, cap, steps)
        lines = render_skill_md(front, rendered.package.body).count("\n")
        if lines < LINE_BUDGET or cap <= 2:
            return rendered
        cap, steps = max(2, cap // 2), max(3, steps - 2)


def _render_with_caps(
    front: Frontmatter, title: str, by_section: dict[str, list[Lesson]], cap: int, max_steps: int,
) -> Rendered:
    blocks: list[str] = []
    files: dict[str, list[Lesson]] = defaultdict(list)
    pointers: dict[str, str] = {}
    rules: list[ProvenanceRule] = []
    only_here: set[str] = set()
    for key, heading in SECTIONS:
        members = by_section.get(key, [])
        if not members:
            continue
        shown, overflow = members[:cap], members[cap:]
        overflow_ids = {lesson_id(l) for l in overflow}
        only_here |= overflow_ids
        lines = [f"## {heading}", "", *render_rules(shown, max_steps=max_steps)]
        for lesson in members:
            ref = reference_file(lesson, max_steps)
            if lesson_id(lesson) in overflow_ids:
                files[f"references/{key}.md"].append(lesson)
            elif ref:
                files[ref].append(lesson)
                if key != "runbooks":
                    pointers.setdefault(ref, _POINTERS.get(key, "the evidence behind each rule"))
        if overflow:
            lines.append(f"- {len(overflow)} more rule(s) in [references/{key}.md](references/{key}.md).")
        blocks.append("\n".join(lines).rstrip())
        for lesson in members:
            in_skill = lesson_id(lesson) not in overflow_ids
            rules.append(provenance_rule(lesson, heading, "SKILL.md" if in_skill else f"references/{key}.md"))
    if pointers:
        # A paragraph, not a list: these are pointers, not rules.
        blocks.append("## References\n\n" + "\n\n".join(
            f"[{ref}]({ref}): {what}." for ref, what in sorted(pointers.items())
        ))
    body = _template("skill-body.md").substitute(title=title, sections="\n\n".join(blocks))
    package_files = {
        path: render_reference(path, title, members, max_steps, frozenset(only_here))
        for path, members in sorted(files.items())
    }
    return Rendered(package=SkillPackage(frontmatter=front, body=body.strip() + "\n", files=package_files),
                    rules=sorted(rules, key=lambda r: (r.file, r.section, r.id)))


def render_reference(
    path: str, title: str, lessons: list[Lesson], max_steps: int = MAX_STEPS, full: frozenset[str] = frozenset()
) -> str:
    """A whole references/ file for ``lessons`` (one runbook, one ``ref:`` topic, or one section's entries);
    lessons whose id is in ``full`` did not fit in SKILL.md and are written in full."""
    key = path.removeprefix("references/").removesuffix(".md")
    if len(lessons) == 1 and section_key(lessons[0]) == "runbooks":
        heading, intro = lessons[0].title, f"Part of the {title} skill."
    elif key in _HEADINGS:
        heading, intro = f"{title}: {heading_for(key).lower()}", _INTROS.get(key, "The evidence behind each rule.")
    else:
        heading = f"{title}: {key.replace('-', ' ')}"
        intro = "Known issues and lessons for this topic, with the evidence behind each."
    entries = "\n".join(render_entry(l, max_steps, full=lesson_id(l) in full) for l in sorted(lessons, key=sort_key))
    return _template("reference.md").substitute(title=heading, intro=intro, entries=entries).strip() + "\n"


def provenance_rule(lesson: Lesson, heading: str, file: str) -> ProvenanceRule:
    """The provenance record of ``lesson`` as written under ``heading`` in ``file``."""
    return ProvenanceRule(
        id=lesson_id(lesson), file=file, section=heading, kind=lesson.kind, title=lesson.title,
        text=rule_line(lesson), support=lesson.support, helpful=lesson.helpful, harmful=lesson.harmful,
        trace_ids=lesson.trace_ids, evidence=lesson.evidence, tags=lesson.tags,
    )
