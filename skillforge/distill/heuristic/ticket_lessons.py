"""Lessons from tickets: ONE triage skill per kind of ticket set, holding what a person would learn from it.

* Code-repository issues (SWE-bench records, GitHub issues with a patch) -> ``<language>-issue-triage``
  (``python-issue-triage`` when the fixes are Python files), helpdesk tickets -> ``<product>-support-triage``
  (``customer-support-triage`` when the tickets name no product). Names depend on the domain only, so they
  are stable across runs and never carry ids.
* The SKILL.md rules are transferable triage practices the resolved tickets show (``ticket_practices``),
  each with its support and per-ticket evidence.
* Per project (repository, or helpdesk category) the known issues — symptom -> the resolution that closed
  it, files changed, how it was verified — are ``triage`` lessons whose depth goes to
  ``references/<project>.md`` (``ref:`` tag); unresolved tickets become pitfalls (``ticket_known``).
* Every lesson carries ``keyword:`` tags with the domain's words (project names, error kinds, ticket tags,
  the subjects' most telling words) for the skill description.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from functools import partial
from pathlib import PurePath

from skillforge.distill.heuristic.ticket_digest import STOP, TicketDigest, singular, ticket_digest
from skillforge.distill.heuristic.ticket_known import clusters, known_issue_lessons, open_ticket_lessons
from skillforge.distill.heuristic.ticket_practices import practice_lessons
from skillforge.models import Lesson

__all__ = ["TicketDigest", "skill_name", "ticket_digest", "ticket_lessons"]

_LANGUAGES = {
    ".py": "python", ".pyx": "python", ".js": "javascript", ".jsx": "javascript", ".mjs": "javascript",
    ".ts": "typescript", ".tsx": "typescript", ".go": "go", ".rs": "rust", ".java": "java", ".kt": "kotlin",
    ".rb": "ruby", ".php": "php", ".c": "c", ".h": "c", ".cc": "cpp", ".cpp": "cpp", ".hpp": "cpp", ".cs": "csharp",
    ".swift": "swift", ".scala": "scala",
}
_MAX_KEYWORDS = 8


def skill_name(digests: list[TicketDigest], repo: bool) -> str:
    """The triage skill's name: by the fixes' language for code issues, by product for helpdesk tickets."""
    if repo:
        languages = Counter(lang for d in digests for c in d.changes if (lang := _LANGUAGES.get(PurePath(c.path).suffix)))
        if languages:
            return f"{min(languages, key=lambda k: (-languages[k], k))}-issue-triage"
        return "issue-triage"
    products = Counter(d.product for d in digests if d.product)
    if products and products.most_common(1)[0][1] * 2 > len(digests):
        return f"{min(products, key=lambda k: (-products[k], k))}-support-triage"
    return "customer-support-triage"


def ticket_lessons(digests: list[TicketDigest]) -> list[Lesson]:
    """Practices, known issues and pitfalls of the ticket set: one triage skill per kind of ticket."""
    unique = _unique(digests)
    lessons: list[Lesson] = []
    for repo in (True, False):
        members = [d for d in unique if d.repo == repo]
        if not members:
            continue
        skill = skill_name(members, repo)
        groups = clusters(members)
        domain = _domain_words(members, repo)
        lessons.extend(practice_lessons(skill, members, domain, repo))
        lessons.extend(known_issue_lessons(skill, groups, partial(_keywords, repo=repo)))
        lessons.extend(open_ticket_lessons(skill, members, partial(_keywords, repo=repo)))
    return lessons


def _unique(digests: list[TicketDigest]) -> list[TicketDigest]:
    """One digest per ticket: an export that repeats a record (same id and subject) counts it once."""
    seen: set[tuple[str, str]] = set()
    out = []
    for d in sorted(digests, key=lambda d: d.trace_id):
        key = (d.ticket_id, d.subject)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


def _domain_words(members: list[TicketDigest], repo: bool) -> list[str]:
    """Words for every lesson of the skill: the language or product, projects, the commonest error kinds."""
    head: list[str] = []
    if repo:
        name = skill_name(members, repo).removesuffix("-issue-triage")
        head += [w for w in (name, "issue") if w != "issue-triage"]
    else:
        head += [w for w in (members[0].product if members[0].product else "", "support", "ticket") if w]
    projects = Counter(d.project for d in members if d.project != "general")
    errors = Counter(e.lower() for d in members for e in d.errors)
    head += sorted(projects, key=lambda k: (-projects[k], k))[:3]
    head += sorted(errors, key=lambda k: (-errors[k], k))[:2]
    return list(dict.fromkeys(head))


def _keywords(cluster: list[TicketDigest], repo: bool) -> list[str]:
    """A known issue's words: its project, error kinds, ticket tags, then the subjects' most telling words."""
    words: list[str] = [cluster[0].project] if cluster[0].project != "general" else []
    words += sorted({e.lower() for d in cluster for e in d.errors})[:2]
    words += [t for d in cluster for t in d.tags]
    weights: defaultdict[str, float] = defaultdict(float)
    for d in cluster:
        subject_words = set(_plain_words(d.subject))
        for token, weight in d.vector.items():
            if token in subject_words:
                weights[token] += weight
    words += sorted(weights, key=lambda k: (-weights[k], k))
    if repo:
        words.append("issue")
    return list(dict.fromkeys(w for w in words if w and w not in STOP))[:_MAX_KEYWORDS]


def _plain_words(text: str) -> list[str]:
    """Lowercase words of 3+ letters (no digits or underscores: those are identifiers, not domain words)."""
    return [singular(w) for w in re.findall(r"[a-z]{3,}", text.lower())]
