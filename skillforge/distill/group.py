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
from skillforge.distill.lessons import rule_line, sort_key, tag, with_tag
from skillforge.models import Lesson
from skillforge.skills.validate import MAX_DESCRIPTION, MAX_NAME, is_valid_name

__all__ = ["MIN_RULES", "SkillGroup", "describe", "group_lessons", "keywords", "skill_name"]

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
    frequency: Counter[str] = Counter()
    for members in buckets.values():
        frequency.update(set(keywords(members)))
    groups = []
    for name in sorted(buckets):
        members = sorted(buckets[name], key=sort_key)
        description = describe(name, members, shared=frequency)
        groups.append(SkillGroup(name=name, title=_title(name), description=description, lessons=members))
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


def _profile(name: str, members: list[Lesson]) -> set[str]:
    words = {w for w in name.split("-") if w not in _GENERIC_NAME_WORDS}
    words |= {a for l in members if (a := tag(l, "area"))}
    words |= set(keywords(members)[:8])
    return words


def _nearest(name: str, buckets: dict[str, list[Lesson]]) -> str | None:
    mine = _profile(name, buckets[name])
    sources = {tag(l, "source") for l in buckets[name]}
    best: tuple[float, str] | None = None
    for other in sorted(buckets):
        if other == name:
            continue
        theirs = _profile(other, buckets[other])
        union = mine | theirs
        score = len(mine & theirs) / len(union) if union else 0.0
        if score <= 0 or not sources & {tag(l, "source") for l in buckets[other]}:
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


def _title(name: str) -> str:
    words = name.replace("-", " ")
    return words[:1].upper() + words[1:]


_STOP = {
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "by", "from", "is", "it", "be", "as",
    "at", "this", "that", "error", "errors", "file", "files", "run", "runs", "tool", "tools", "command",
    "commands", "agent", "task", "tasks", "step", "steps", "use", "when", "user", "issue", "fix", "fails",
    "failed", "none", "true", "false", "null", "output", "result", "code", "test", "value",
}


def keywords(lessons: list[Lesson]) -> list[str]:
    """The domain words of ``lessons``, most supported first: their ``keyword:`` tags, else the
    backticked tool names and areas their rules mention."""
    weight: Counter[str] = Counter()
    for lesson in lessons:
        words = [t.removeprefix("keyword:") for t in lesson.tags if t.startswith("keyword:")]
        if not words:
            words = [w for w in re.findall(r"`([A-Za-z][\w.-]{2,30})`", rule_line(lesson))]
            words += [a for a in [tag(lesson, "area")] if a]
        for word in {w.strip().lower() for w in words}:
            if word and word not in _STOP and not re.search(r"\d{3,}", word):
                weight[word] += max(1, lesson.support)
    return [w for w, _ in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))]


_PURPOSE = (
    ("contributing", "Contribute to", "contributing to"),
    ("installation", "Install", "installing"),
    ("setup", "Set up", "setting up"),
    ("release", "Release", "releasing"),
    ("deployment", "Deploy", "deploying"),
    ("testing", "Test", "testing"),
)


def describe(name: str, lessons: list[Lesson], *, shared: Counter[str] | None = None) -> str:
    """What the skill does and when to use it, in the domain's own words (1–1024 characters, aim ≤ 300).

    ``shared`` counts, per keyword, how many skills of the set use it: words this skill alone has come
    first, so the description sets it apart from its neighbours. No counts, no list of section names."""
    lessons = sorted(lessons, key=sort_key)  # the same lessons in any order describe the same skill
    shared = shared or Counter()
    sources = Counter(tag(l, "source") or "other" for l in lessons)
    sections = Counter(tag(l, "section") or l.kind for l in lessons)
    words = keywords(lessons)
    distinct = sorted(words, key=lambda w: (shared.get(w, 1) > 1, words.index(w)))
    subject = _subject(name, lessons)
    terms = [w for w in distinct if w not in subject.lower().split()][:4]
    alerts = [l.title.removesuffix(" runbook") for l in lessons if tag(l, "section") == "runbooks"]
    main = sources.most_common(1)[0][0]
    if alerts:
        what = f"Diagnose and mitigate {subject} alerts such as {_series(alerts[:3])}"
        when = f"Use when one of these alerts fires or {_series(terms[:3], 'or') or subject} misbehaves"
    elif sections.get("triage") or main == "ticket":
        what = f"Triage and resolve reported {subject} problems: reproduce, find the fix, verify it"
        when = f"Use when a bug report or ticket mentions {_series(terms[:4], 'or') or subject}"
    elif main == "document":
        verb, gerund = next(((v, g) for k, v, g in _PURPOSE if k in name.split("-")), ("Work with", "working with"))
        what = f"{verb} {subject}" + (f": {_series(terms[:4])}" if terms else "")
        when = f"Use when {gerund} {subject}" + (f" or asked about {_series(terms[:2], 'or')}" if terms else "")
    else:
        doing = []
        if sections.get("procedure"):
            doing.append("the workflow that succeeded")
        if sections.get("recovery"):
            doing.append("how to recover from failing tool calls")
        if sections.get("pitfalls") or sections.get("guardrails"):
            doing.append("what to avoid")
        what = f"{subject[:1].upper() + subject[1:]}: {_series(doing or ['lessons from earlier runs'])}"
        tools = _series(terms[:4], "or")
        when = f"Use when working on {subject}" + (f" with {tools}" if tools else "")
    text = f"{what}. {when}."
    text = re.sub(r"-{3,}", "-", " ".join(text.split())).strip()
    return _clip(text, MAX_DESCRIPTION)


def _subject(name: str, lessons: list[Lesson]) -> str:
    """What the skill is about, from its name without the activity words (``django`` of ``django-development``)."""
    words = [w for w in name.split("-") if w not in {"runbooks", "contributing", "installation", "setup", "playbook",
                                                       "triage", "issue", "development", "alert"}]
    return " ".join(words) or name.replace("-", " ")


def _series(items: list[str], last: str = "and") -> str:
    items = [i for i in items if i]
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {last} " + items[-1]


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

