"""Group lessons into skills: valid names, a description that says when to use each, small skills folded in.

Lessons name their target skill. Here the names are made valid (kebab-case, ≤64 characters), project
skills from agent traces too thin to stand alone are folded into the general agent skill as project
notes, and each skill gets a title and a description that starts with "Use when".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from pydantic import BaseModel, Field

from skillforge.distill.area import slug
from skillforge.distill.lessons import sort_key, tag, with_tag
from skillforge.models import Lesson
from skillforge.skills.validate import MAX_DESCRIPTION, MAX_NAME, is_valid_name

__all__ = ["MIN_RULES", "SkillGroup", "group_lessons", "skill_name"]

MIN_RULES = 3
"""A project skill from agent traces with fewer rules joins the general skill as project notes."""
FALLBACK_NAME = "distilled-lessons"


class SkillGroup(BaseModel):
    """The lessons of one skill, with what its SKILL.md says about itself."""

    name: str
    title: str
    description: str
    lessons: list[Lesson] = Field(default_factory=list)

    @property
    def trace_ids(self) -> list[str]:
        return sorted({e.trace_id for lesson in self.lessons for e in lesson.evidence})


def skill_name(text: str) -> str:
    """A valid skill name for ``text`` (kebab-case, at most 64 characters), or the fallback."""
    if is_valid_name(text) and len(text) <= MAX_NAME and text == text.lower():
        return text
    name = slug(text, MAX_NAME)
    return name if name and is_valid_name(name) else FALLBACK_NAME


def group_lessons(lessons: list[Lesson], *, into: str | None = None, min_rules: int = MIN_RULES) -> list[SkillGroup]:
    """Skills for ``lessons``, sorted by name; with ``into`` every lesson goes to that one skill."""
    buckets: dict[str, list[Lesson]] = defaultdict(list)
    for lesson in lessons:
        name = skill_name(into or lesson.target_skill)
        buckets[name].append(lesson.model_copy(update={"target_skill": name}))
    if into is None:
        _fold_thin_projects(buckets, min_rules)
    groups = []
    for name in sorted(buckets):
        members = sorted(buckets[name], key=sort_key)
        groups.append(SkillGroup(name=name, title=_title(name), description=describe(name, members), lessons=members))
    return groups


def _fold_thin_projects(buckets: dict[str, list[Lesson]], min_rules: int) -> None:
    general = Counter(
        l.target_skill for ls in buckets.values() for l in ls if tag(l, "source") == "trace" and tag(l, "scope") == "general"
    )
    if not general:
        return
    home = min(general, key=lambda n: (-general[n], n))
    for name in sorted(buckets):
        members = buckets[name]
        thin = len(members) < min_rules
        from_traces = all(tag(l, "source") == "trace" and tag(l, "scope") == "project" for l in members)
        if name == home or not thin or not from_traces:
            continue
        for lesson in members:
            tags = with_tag(lesson.tags, "section", "notes")
            buckets[home].append(lesson.model_copy(update={"target_skill": home, "tags": tags}))
        del buckets[name]


def _title(name: str) -> str:
    words = name.replace("-", " ")
    return words[:1].upper() + words[1:]


_PURPOSE = (
    ("contributing", "contributing to"),
    ("installation", "installing"),
    ("setup", "setting up"),
    ("release", "releasing"),
    ("deployment", "deploying"),
    ("testing", "testing"),
)


def describe(name: str, lessons: list[Lesson]) -> str:
    """A description that says when to use the skill and what it holds (1–1024 characters, no '---')."""
    lessons = sorted(lessons, key=sort_key)  # the same lessons in any order describe the same skill
    sources = Counter(tag(l, "source") or "other" for l in lessons)
    sections = Counter(tag(l, "section") or l.kind for l in lessons)
    traces = len({e.trace_id for l in lessons for e in l.evidence})
    areas = sorted({a for l in lessons if (a := tag(l, "area"))})
    if len([k for k in sources if k in ("document", "ticket", "trace")]) > 1:
        text = _mixed_description(lessons, sections, traces)
    elif sections.get("runbooks"):
        alerts = [l.title.removesuffix(" runbook") for l in lessons if tag(l, "section") == "runbooks"]
        topic = name.removesuffix("-runbooks").replace("-", " ") + " " if name.endswith("-runbooks") else ""
        text = (f"Use when one of these {topic}alerts fires ({', '.join(alerts[:6])}): diagnosis and "
                f"mitigation steps from {len(alerts)} runbook(s)")
        if len(sections) > 1:
            text += ", plus related procedures and guardrails"
    elif sources.most_common(1)[0][0] == "document":
        purpose, subject = next(((p, name.removesuffix("-" + k)) for k, p in _PURPOSE if name.endswith(k)),
                                ("working with", name))
        headings = [l.title.split(": ", 1)[-1] for l in lessons if l.kind == "procedure"][:5]
        text = f"Use when {purpose} {subject.replace('-', ' ')}"
        if headings:
            text += ": " + "; ".join(headings)
        if sections.get("guardrails"):
            text += f"; {sections['guardrails']} rule(s) on what not to do"
    elif sources.most_common(1)[0][0] == "ticket":
        subject = areas[0] if len(areas) == 1 else name.removesuffix("-issue-triage").removesuffix("-triage")
        known = [l for l in lessons if tag(l, "section") == "triage"]
        examples = ", ".join(f"“{_clip(l.title, 70)}”" for l in known[:3])
        text = (f"Use when triaging or fixing reported issues in {subject.replace('-', ' ')}: {len(known)} known "
                f"problem(s) such as {examples}, with how each was resolved and how to verify the fix")
    else:
        text = _trace_description(name, lessons, sections, traces, areas)
    text = re.sub(r"-{3,}", "-", " ".join(text.split())).strip()
    if not text.endswith("."):
        text += "."
    return _clip(text, MAX_DESCRIPTION)


def _mixed_description(lessons: list[Lesson], sections: Counter[str], traces: int) -> str:
    """A skill fed from several kinds of input (``distill --into``): say each occasion it serves."""
    occasions = []
    alerts = [l.title.removesuffix(" runbook") for l in lessons if tag(l, "section") == "runbooks"]
    if alerts:
        occasions.append(f"one of these alerts fires ({', '.join(alerts[:4])})")
    if sections.get("triage"):
        occasions.append(f"a report resembles one of {sections['triage']} known issue(s)")
    if sections.get("recovery") or sections.get("pitfalls"):
        occasions.append("a tool call or command fails")
    procedures = [l.title.split(": ", 1)[-1] for l in lessons
                  if l.kind == "procedure" and tag(l, "section") != "runbooks" and tag(l, "source") == "document"]
    if procedures:
        occasions.append(f"you need documented steps ({'; '.join(procedures[:3])})")
    inside = ", ".join(f"{n} {heading}" for heading, n in sorted(sections.items()))
    return f"Use when {', or when '.join(occasions or ['this project comes up'])}; {inside}; from {traces} source(s)"


def _trace_description(name: str, lessons: list[Lesson], sections: Counter[str], traces: int,
                       areas: list[str]) -> str:
    parts = []
    if sections.get("recovery"):
        parts.append(f"how to recover from {sections['recovery']} known tool error(s)")
    if sections.get("procedure"):
        parts.append("a work order that succeeded")
    if sections.get("pitfalls"):
        parts.append(f"{sections['pitfalls']} pitfall(s)")
    if sections.get("commands"):
        parts.append("the test and build commands that worked")
    if sections.get("notes"):
        parts.append(f"notes on {', '.join(areas[:5])}")
    inside = ", ".join(parts) or "lessons from earlier runs"
    if any(tag(l, "scope") == "general" for l in lessons) or not areas:
        what = "Use when working as an agent on a code repository (fixing an issue, editing files, running tools) "
        what += "or when a tool call fails"
    else:
        verb = "fixing bugs in" if name.endswith("bug-fixing") else "changing"
        what = f"Use when {verb} {areas[0]}"
    return f"{what}: {inside}; distilled from {traces} agent run(s)"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

