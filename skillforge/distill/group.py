"""Group lessons into skills: valid names, a description that says when to use each, small skills folded in.

Lessons name their target skill. Here the names are made valid (kebab-case, ≤64 characters), project
skills from agent traces too thin to stand alone are folded into the general agent skill as project
notes, and each skill gets a title and a description that starts with "Use when".
"""

from __future__ import annotations

from collections import Counter, defaultdict

from pydantic import BaseModel, Field

from skillforge.distill.describe import describe, keywords
from skillforge.models import Lesson
from skillforge.skills.naming import skill_name
from skillforge.skills.rules import lesson_id, sort_key, tag, with_tag
from skillforge.skills.validate import is_valid_name

__all__ = ["MIN_RULES", "SkillGroup", "describe", "group_lessons", "keywords", "title_for"]

MIN_RULES = 3
"""A project skill from agent traces with fewer rules joins the general skill as project notes."""


class SkillGroup(BaseModel):
    """The lessons of one skill, with what its SKILL.md says about itself."""

    name: str
    title: str
    description: str
    lessons: list[Lesson] = Field(default_factory=list)

    @property
    def trace_ids(self) -> list[str]:
        return sorted({e.trace_id for lesson in self.lessons for e in lesson.evidence})


def group_lessons(lessons: list[Lesson], *, into: str | None = None, min_rules: int = MIN_RULES) -> list[SkillGroup]:
    """Skills for ``lessons``, sorted by name; with ``into`` every lesson goes to that one skill.

    Without ``into``, thin project skills from agent traces join the general agent skill, and any skill
    left with ``TINY`` rules or fewer joins its nearest neighbour (shared name words, areas and
    keywords), so a set is a few focused skills rather than a pile of one-rule ones. Each description
    is written against the whole set, so it names what sets this skill apart."""
    buckets: dict[str, list[Lesson]] = defaultdict(list)
    for lesson in lessons:
        name = skill_name(into or lesson.target_skill)
        buckets[name].append(lesson.model_copy(update={"target_skill": name}))
    if into is None:
        _fold_thin_projects(buckets, min_rules)
        _fold_tiny(buckets)
    return _described(buckets)


def _described(buckets: dict[str, list[Lesson]]) -> list[SkillGroup]:
    """One group per skill name, sorted; each description written against the whole set."""
    frequency: Counter[str] = Counter()
    for members in buckets.values():
        frequency.update(set(keywords(members)))
    groups = []
    for name in sorted(buckets):
        members = sorted(buckets[name], key=sort_key)
        description = describe(name, members, shared=frequency)
        groups.append(SkillGroup(name=name, title=title_for(name), description=description, lessons=members))
    return groups


TINY = 2
"""A skill with this many rules or fewer is folded into its nearest neighbour when it has one."""


def _fold_tiny(buckets: dict[str, list[Lesson]]) -> None:
    """Fold each tiny skill into the most similar other skill (by name words, areas, keywords)."""
    while True:
        tiny = sorted((n for n, ls in buckets.items() if len(ls) <= TINY), key=lambda n: (len(buckets[n]), n))
        for name in tiny:
            target = _nearest(name, buckets)
            if target is None:
                continue
            merged_name = target
            if len(buckets[target]) <= TINY:
                merged_name = _common_name(name, target) or target
            moved = [*buckets.pop(name), *buckets.pop(target)]
            buckets[merged_name].extend(l.model_copy(update={"target_skill": merged_name}) for l in moved)
            break
        else:
            return


def _profile(name: str, members: list[Lesson]) -> tuple[set[str], set[str]]:
    """``(project words, topic words)``: the name's own words and areas, and the skill's keywords."""
    own = {w for w in name.split("-") if w not in _GENERIC_NAME_WORDS}
    own |= {a for l in members if (a := tag(l, "area"))}
    return own, set(keywords(members)[:12]) - _GENERIC_NAME_WORDS


def _nearest(name: str, buckets: dict[str, list[Lesson]]) -> str | None:
    """The skill ``name`` should join: one that shares a project word (name or area), or failing that
    at least a fifth of its topic words, from the same kind of input; None when nothing is that close."""
    own, topics = _profile(name, buckets[name])
    sources = {tag(l, "source") for l in buckets[name]}
    best: tuple[float, str] | None = None
    for other in sorted(buckets):
        if other == name or not sources & {tag(l, "source") for l in buckets[other]}:
            continue
        their_own, their_topics = _profile(other, buckets[other])
        union = topics | their_topics
        topical = len(topics & their_topics) / len(union) if union else 0.0
        score = len(own & their_own) + topical
        if not own & their_own and topical < 0.2:
            continue  # nothing in common: a lone skill stays alone rather than pollute an unrelated one
        if best is None or score > best[0]:
            best = (score, other)
    return best[1] if best else None


def _common_name(a: str, b: str) -> str | None:
    """``swe-agent-installation`` + ``mini-swe-agent-contributing`` → ``swe-agent``: the words both share,
    in order, when they make a name of their own."""
    theirs = b.split("-")
    shared = [w for w in a.split("-") if w in theirs]
    if not any(w not in _GENERIC_NAME_WORDS for w in shared):
        return None
    name = "-".join(shared)
    return name if len(name) >= 3 and is_valid_name(name) else None


_GENERIC_NAME_WORDS = {
    "agent", "skill", "skills", "playbook", "development", "contributing", "installation", "setup", "guide",
    "triage", "issue", "issues", "fixing", "bug", "runbooks", "support", "lessons", "distilled", "coding",
}


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


_UPPER = {
    "api", "aws", "ci", "cli", "cpu", "css", "csv", "gcp", "gpu", "html", "http", "json", "k8s", "llm", "pdf", "pr",
    "sdk", "sql", "ssh", "swe", "tls", "ui", "url", "xml", "yaml",
}


def title_for(name: str) -> str:
    """``swe-agent-installation`` → ``SWE agent installation``: sentence case, acronyms in capitals."""
    words = [w.upper() if w in _UPPER else w for w in name.split("-")]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def route_to_known(groups: list[SkillGroup], known: dict[str, set[str]]) -> list[SkillGroup]:
    """Groups whose rules a skill that already exists holds go into that skill, under its name.

    ``known`` maps each existing skill (in the output folder or the registry) to the rule ids its
    SKILL.md carries. The general skill's name follows the corpus ("python-bug-fixing" for Python fixes,
    "coding-agent-playbook" for a mix), so a second distill of other traces would start a sibling that
    repeats the first one's rules; a group that shares at least ``ROUTE_SHARE`` of its rules (and two or
    more) with a known skill deepens that skill instead. Groups already named like a known skill stay.
    """
    merged: dict[str, list[Lesson]] = defaultdict(list)
    renamed = False
    for group in groups:
        name = group.name
        if name not in known:
            ids = {lesson_id(lesson) for lesson in group.lessons}
            shared, best = max(((len(ids & rules), other) for other, rules in known.items()), default=(0, ""))
            if shared >= 2 and shared >= ROUTE_SHARE * len(ids):
                name, renamed = best, True
        merged[name].extend(lesson.model_copy(update={"target_skill": name}) for lesson in group.lessons)
    return _described(merged) if renamed else groups


ROUTE_SHARE = 1 / 3
"""How much of a new group an existing skill must already hold for the group to deepen it."""
