"""Turn a skill's lessons into a Patch: ``create_file`` edits for a new skill, anchored section edits that
deepen an existing one without repeating rules it already has.

A rule counts as present when its ``sf:<id>`` marker is anywhere in the skill, or when a list item of
SKILL.md already says the same thing (compared without punctuation and case), so hand-edited skills
are deepened too and re-running distill on the same input changes nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import semver

from skillforge.distill.group import SkillGroup
from skillforge.models import (
    AddSection,
    AppendToSection,
    CreateFile,
    Edit,
    Evidence,
    Lesson,
    Patch,
    SkillPackage,
)
from skillforge.models.provenance import ProvenanceRule
from skillforge.skills.frontmatter import render as render_skill_md
from skillforge.skills.markdown import find_sections
from skillforge.skills.render import (
    LINE_BUDGET,
    SECTIONS,
    entry_parts,
    provenance_rule,
    reference_file,
    render_reference,
    render_rules,
    render_skill,
    section_key,
)
from skillforge.skills.rules import lesson_id, rule_line, sort_key

__all__ = ["MARKER_RE", "SkillPlan", "plan_skill"]

INITIAL_VERSION = "0.1.0"
MARKER_RE = re.compile(r"sf:([0-9a-f]{10})")
"""The id in a rule's ``<!-- sf:<id> -->`` marker."""


@dataclass
class SkillPlan:
    """The patch for one skill and the provenance of the rules it adds."""

    patch: Patch
    rules: list[ProvenanceRule] = field(default_factory=list)
    created: bool = False
    version: str = INITIAL_VERSION

    @property
    def new_rules(self) -> int:
        return len(self.rules)


def plan_skill(group: SkillGroup, existing: SkillPackage | None = None) -> SkillPlan:
    """A plan that creates the skill, or deepens ``existing`` with the lessons it lacks."""
    if existing is None:
        return _plan_new(group)
    return _plan_update(group, existing)


def _plan_new(group: SkillGroup) -> SkillPlan:
    rendered = render_skill(group.name, group.title, group.description, group.lessons, version=INITIAL_VERSION)
    pkg = rendered.package
    edits: list[Edit] = [CreateFile(file="SKILL.md", content=render_skill_md(pkg.frontmatter, pkg.body))]
    edits += [CreateFile(file=path, content=text) for path, text in sorted(pkg.files.items())]
    traces = len(group.trace_ids)
    patch = Patch(
        skill=group.name,
        edits=edits,
        changelog=[f"create {group.name} with {len(group.lessons)} rule(s) from {traces} source(s)"],
        evidence=_evidence(group.lessons),
    )
    return SkillPlan(patch=patch, rules=rendered.rules, created=True, version=INITIAL_VERSION)


def _plan_update(group: SkillGroup, existing: SkillPackage) -> SkillPlan:
    text = existing.body + "\n" + "\n".join(existing.files.values())
    present_ids = set(MARKER_RE.findall(text))
    present_rules = {_norm(_item_text(line)) for line in existing.body.splitlines() if _item_text(line)}
    new = [
        l for l in sorted(group.lessons, key=sort_key)
        if lesson_id(l) not in present_ids and _norm(rule_line(l)) not in present_rules
    ]
    version = _bump(existing.frontmatter.metadata.get("version"))
    if not new:
        return SkillPlan(patch=Patch(skill=group.name), version=existing.frontmatter.metadata.get("version") or version)
    edits: list[Edit] = []
    rules: list[ProvenanceRule] = []
    files = dict(existing.files)
    lines = existing.body.splitlines()
    present = [h for _, h in SECTIONS if len(find_sections(lines, h)) == 1]
    budget = LINE_BUDGET - render_skill_md(existing.frontmatter, existing.body).count("\n")
    for key, heading in SECTIONS:
        members = [l for l in new if section_key(l) == key]
        if not members:
            continue
        block = render_rules(members)
        overflow = len(block) + 2 > budget
        if overflow:
            block = [f"- {len(members)} more rule(s) in [references/{key}.md](references/{key}.md)."]
        budget -= len(block) + 2
        edits.append(_section_edit(present, heading, "\n".join(block)))
        for lesson in members:
            ref = f"references/{key}.md" if overflow else reference_file(lesson)
            file = "SKILL.md" if not overflow else ref
            if ref:
                edits.extend(_reference_edits(files, ref, group.title, lesson, full=overflow))
            rules.append(provenance_rule(lesson, heading, file or "SKILL.md"))
    patch = Patch(
        skill=group.name,
        edits=edits,
        changelog=[f"add {len(new)} rule(s) to {group.name} from {len({t for l in new for t in l.trace_ids})} source(s)"],
        evidence=_evidence(new),
    )
    return SkillPlan(patch=patch, rules=sorted(rules, key=lambda r: (r.file, r.section, r.id)), version=version)


def _section_edit(present: list[str], heading: str, content: str) -> Edit:
    """Append to the section if the skill has it, else add it after the nearest earlier section it has
    (``present`` is updated, so sections added by one plan keep the canonical order)."""
    if heading in present:
        return AppendToSection(heading=heading, content=content)
    order = [h for _, h in SECTIONS]
    earlier = [h for h in order[: order.index(heading)] if h in present]
    present.append(heading)
    return AddSection(heading=heading, content=content, after=earlier[-1] if earlier else None)


def _reference_edits(files: dict[str, str], ref: str, title: str, lesson: Lesson, *, full: bool = False) -> list[Edit]:
    """Edits that add ``lesson``'s entry to ``ref``; ``full`` when the rule did not fit in SKILL.md."""
    if ref not in files:
        files[ref] = render_reference(ref, title, [lesson], full=frozenset({lesson_id(lesson)} if full else ()))
        return [CreateFile(file=ref, content=files[ref])]
    heading, content = entry_parts(lesson, full=full)
    if find_sections(files[ref].splitlines(), heading):
        return []
    files[ref] += f"\n## {heading}\n\n{content}"
    return [AddSection(file=ref, heading=heading, content=content)]


def _item_text(line: str) -> str:
    match = re.match(r"^\s*[-*+]\s+(.*)$", line)
    if not match:
        return ""
    return re.sub(r"<!--.*?-->", "", match.group(1)).strip()


def _norm(text: str) -> str:
    text = re.sub(r"\(\[[^\]]*\]\([^)]*\)\)", "", text)
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def _bump(version: str | None) -> str:
    try:
        return str(semver.Version.parse(version or "").bump_minor())
    except ValueError:
        return INITIAL_VERSION


def _evidence(lessons: list[Lesson], limit: int = 100) -> list[Evidence]:
    seen: dict[tuple[str, int | None, str], Evidence] = {}
    for lesson in lessons:
        for e in lesson.evidence:
            seen.setdefault((e.trace_id, e.step, e.quote), e)
    return [seen[k] for k in sorted(seen, key=lambda k: (k[0], k[1] if k[1] is not None else -1, k[2]))][:limit]
