"""The last level of consolidation with a model: which skill (existing or new) and section each rule joins.

The model sees the existing skills (name, description, section headings) and the consolidated
rules; it deepens existing skills where a rule fits and proposes a new skill (name plus a "Use
when" description) only for rules that fit none. Code then checks the answer — every rule placed
exactly once, names made spec-valid, sections among the renderer's — and builds the same
``SkillGroup`` objects the offline path builds, so planning the Patch, applying it and writing
the folder is the one shared path. ``--into`` skips the call: every rule goes to that skill.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from skillforge.distill.group import SkillGroup, describe, group_lessons
from skillforge.llm.client import LLMClient
from skillforge.llm.task import Ids, Task
from skillforge.models import Lesson
from skillforge.models.llm import CallFailure
from skillforge.models.llm_outputs import PlanAnswer
from skillforge.skills.io import read_package
from skillforge.skills.markdown import sections as markdown_sections
from skillforge.skills.naming import skill_name
from skillforge.skills.provenance import read_provenance
from skillforge.skills.render import SECTIONS
from skillforge.skills.rules import lesson_id, sort_key, with_tag
from skillforge.skills.validate import find_skill_md

_SECTION_KEYS = {key for key, _ in SECTIONS}


class ExistingSkill(BaseModel):
    """What the plan prompt shows of a skill that is already there."""

    name: str
    description: str
    sections: list[str] = Field(default_factory=list)


def existing_skills(out_dir: Path, rules: list[Lesson] | None = None) -> list[ExistingSkill]:
    """The skill folders directly under ``out_dir`` (unreadable ones are left out).

    A folder whose provenance holds nothing but ``rules`` (an earlier run on this same input wrote
    it) is left out too: it tells the model nothing new, and listing it would change the prompt of
    a re-run, which must come entirely from the cache. Its rules are placed as before and the
    folder is found on disk and deepened (with nothing) when the skill is written.
    """
    found: list[ExistingSkill] = []
    if not out_dir.is_dir():
        return found
    ours = {lesson_id(les) for les in rules or []}
    for child in sorted(out_dir.iterdir()):
        if not child.is_dir() or child.name.startswith(".") or find_skill_md(child) is None:
            continue
        try:
            pkg = read_package(child)
            provenance = read_provenance(child)
        except Exception:  # noqa: BLE001, S112 - a broken neighbour must not stop the plan; validate reports it
            continue
        if provenance is not None and provenance.rules and {r.id for r in provenance.rules} <= ours:
            continue
        headings = [s.heading for s in markdown_sections(pkg.body.splitlines()) if s.level == 2]
        found.append(ExistingSkill(name=pkg.name, description=pkg.frontmatter.description, sections=headings))
    return found


class PlanTask(Task[PlanAnswer], kind="plan", prompt="plan"):
    """Place every rule in an existing or a new skill, under one of the renderer's sections."""

    rules: list[Lesson]
    existing: list[ExistingSkill]

    @property
    def ids(self) -> Ids:
        return Ids("R", len(self.rules))

    def inputs(self) -> dict[str, Any]:
        return {
            "existing": json.dumps([s.model_dump() for s in self.existing], ensure_ascii=False, indent=1),
            "rules": self.ids.json(
                {"kind": les.kind, "title": les.title, "target_skill": les.target_skill, "support": les.support}
                for les in self.rules
            ),
            "sections": "\n".join(f"- {key}: {heading}" for key, heading in SECTIONS),
        }

    def check(self, answer: PlanAnswer) -> None:
        known = {s.name for s in self.existing} | {s.name for s in answer.new_skills}
        for a in answer.assignments:
            if a.skill not in known:
                raise ValueError(f"rule {a.rule} goes to skill {a.skill!r}, which is neither existing nor in new_skills")
        self.ids.check_partition(([a.rule] for a in answer.assignments), "assignment")


async def plan_groups(
    client: LLMClient,
    lessons: list[Lesson],
    existing: list[ExistingSkill],
    *,
    into: str | None = None,
    failures: list[CallFailure] | None = None,
) -> list[SkillGroup]:
    """Skill groups for ``lessons`` (sorted by name). A failed plan call falls back to the lessons'
    own ``target_skill`` (reported in ``failures``), so a run never loses its rules to one bad answer."""
    if into is not None or not lessons:
        return group_lessons(lessons, into=into, min_rules=0)
    ordered = sorted(lessons, key=lambda les: (les.target_skill, *sort_key(les)))
    task = PlanTask(ordered, existing)
    answer = await task.attempt(client, failures)
    if answer is None:
        return group_lessons(ordered, min_rules=0)
    return _groups(task, answer)


def _groups(task: PlanTask, answer: PlanAnswer) -> list[SkillGroup]:
    existing = task.existing
    descriptions = {s.name: s.description for s in existing}
    for new in answer.new_skills:
        descriptions.setdefault(skill_name(new.name), new.description)
    members: dict[str, list[Lesson]] = {}
    for a in answer.assignments:
        lesson = task.rules[task.ids.index(a.rule)]
        name = a.skill if a.skill in {s.name for s in existing} else skill_name(a.skill)
        section = a.section.strip().lower() if a.section.strip().lower() in _SECTION_KEYS else None
        tags = with_tag(lesson.tags, "section", section) if section else lesson.tags
        members.setdefault(name, []).append(lesson.model_copy(update={"target_skill": name, "tags": tags}))
    groups = []
    for name in sorted(members):
        rules = sorted(members[name], key=sort_key)
        description = descriptions.get(name) or describe(name, rules)
        title = name.replace("-", " ")
        groups.append(SkillGroup(name=name, title=title[:1].upper() + title[1:], description=description, lessons=rules))
    return groups
