"""The fake model's writing: trigger-style descriptions for new skills, and fix answers.

A plan answer's description says what the skill does and when to use it ("<what>. Use when
<situation>."), in the words of the skill's own rules — the tools its titles name in backticks and
the content words that set it apart from the other new skills — with no counts, at most 300
characters. A fix answer corrects what the problems name: the name and description for validation
errors, and for lint problems (``[vague]``, ``[run_specific]``, ``[templated_description]``,
``[boilerplate]``) the named rule lines, rewritten in place with their ``<!-- sf:… -->`` markers kept.
Pure functions of their input, like everything the fake answers.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from skillforge.distill.heuristic.abstract import abstract

__all__ = ["describe", "describe_all", "fix"]

MAX_DESCRIPTION = 300
_TOOL = re.compile(r"`([^`\s][^`]{0,30})`")
_WORD = re.compile(r"[A-Za-z][A-Za-z-]{3,}")
_NOT_TOOLS = frozenset({"ls", "find", "git diff", "command -v", "grep"})
_PLAIN = frozenset(
    ["about", "after", "again", "all", "also", "and", "another", "any", "are", "ask", "asks", "before", "blocked", "call", "calls", "change", "check", "checks", "confirm", "copy", "does", "each", "earlier", "every", "exact", "exists", "first", "follow", "for", "from", "instead", "into", "its", "look", "make", "more", "new", "next", "only", "open", "opening", "order", "over", "passing", "path", "read", "recover", "rerun", "re-run", "retrying", "run", "runs", "same", "says", "search", "should", "start", "steps", "such", "than", "that", "the", "their", "them", "then", "these", "this", "those", "through", "used", "user", "using", "value", "what", "when", "where", "which", "while", "with", "without", "work", "would", "your", "alert", "alerts", "handle", "guide", "runbook", "below", "code", "input", "text", "files", "names", "mentions", "defines", "task", "tasks", "approval"]
)
# What a skill does and when to use it, by the activity its name ends in.
_TEMPLATES: dict[str, tuple[str, str]] = {
    "troubleshooting": ("Prevents and repairs failed {tools} calls in {domain} work",
                        "a {domain} task runs into {topics}"),
    "workflow": ("The working order that made {domain} tasks with {tools} succeed",
                 "starting, checking or submitting a {domain} change that involves {topics}"),
    "runbooks": ("Diagnosis and mitigation steps for {domain} alerts", "an alert such as {topics} fires"),
    "triage": ("Where earlier fixes landed for reported bugs", "a new bug report mentions {topics}"),
    "guidelines": ("Conventions from a project's contributing and installation guides",
                   "contributing to, installing or testing a project that covers {topics}"),
}
_DEFAULT = ("Rules for {domain} work with {tools}", "a task involves {topics}")
_DOMAIN_WORDS = {"agent": "coding-agent", "issue": "issue", "project": "project"}


def _join(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _words(titles: list[str]) -> Counter[str]:
    text = _TOOL.sub(" ", " ".join(titles))
    return Counter(w.lower() for w in _WORD.findall(text) if w.lower() not in _PLAIN)


def _spelling(titles: list[str]) -> dict[str, str]:
    """Each word's spelling as the titles first write it (``etcdNoLeader``, not ``etcdnoleader``)."""
    found: dict[str, str] = {}
    for word in _WORD.findall(_TOOL.sub(" ", " ".join(titles))):
        found.setdefault(word.lower(), word if any(c.isupper() for c in word[1:]) else word.lower())
    return found


def describe(name: str, titles: list[str], others: Counter[str] | None = None) -> str:
    """A trigger description for skill ``name`` from its rules' ``titles`` (``others``: the words of
    the other new skills, so the topics chosen are this skill's own)."""
    others = others or Counter()
    domain_key, _, activity = name.rpartition("-")
    domain = _DOMAIN_WORDS.get(domain_key, domain_key.replace("-", " ") or "agent")
    tools = Counter(t for title in titles for t in _TOOL.findall(title) if t not in _NOT_TOOLS)
    tool_names = [t for t, _ in sorted(tools.items(), key=lambda kv: (-kv[1], kv[0]))[:3]] or ["agent"]
    own = _words(titles)
    skip = set(name.split("-")) | {t.lower() for t in tools}
    ranked = sorted((w for w in own if w not in skip), key=lambda w: (others[w] > 0, -own[w], w))
    spelled = _spelling(titles)
    topics = [spelled.get(w, w) for w in ranked[:3]] or [domain]
    what, when = _TEMPLATES.get(activity, _DEFAULT)
    values = {"tools": _join(tool_names).replace(" or ", " and "), "domain": domain, "topics": _join(topics)}
    text = f"{what.format(**values)}. Use when {when.format(**values)}."
    while len(text) > MAX_DESCRIPTION and len(topics) > 1:
        topics = topics[:-1]
        values["topics"] = _join(topics)
        text = f"{what.format(**values)}. Use when {when.format(**values)}."
    return text[:MAX_DESCRIPTION]


def describe_all(skills: dict[str, list[str]]) -> dict[str, str]:
    """Descriptions for every new skill (name -> its rule titles), each told apart from the others."""
    words = {name: _words(titles) for name, titles in skills.items()}
    out = {}
    for name, titles in sorted(skills.items()):
        others: Counter[str] = Counter()
        for other, counts in words.items():
            if other != name:
                others.update(counts)
        out[name] = describe(name, titles, others)
    return out


# --- fix answers ---------------------------------------------------------------------------------

_LINT = re.compile(r"^\[(\w+)\]\s*(.*)$")
_ITEM = re.compile(r"^(\s*(?:[-*+]|\d{1,3}[.)])\s+)(.*?)(\s*<!--\s*sf:[^>]*-->)?\s*$")
_MARKER = re.compile(r"\s*<!--\s*sf:[^>]*?-->")
_CONCRETE = [
    (re.compile(r"\b(?:fix|find) (?:the|its) (?:root )?cause of\b", re.I), "read the full message of"),
    (re.compile(r"\b(?:fix|find) (?:the|its) (?:root )?cause\b", re.I), "change the input the error names"),
    (re.compile(r"\bretry(?:ing)? with (?:a|the) corrected\b", re.I), "call it again with the changed"),
    (re.compile(r"\blook further\b", re.I), "read the next step's output"),
    (re.compile(r"\bretrying (?:did|does) ?n[o']t help\b", re.I), "an unchanged repeat fails the same way"),
    (re.compile(r"\btry again\b", re.I), "repeat the call with the changed input"),
    (re.compile(r"\binvestigate (?:the|this) (?:issue|problem|error|failure)\b|\binvestigate further\b", re.I),
     "read the error output and the code it names"),
    (re.compile(r"\b(?:handle|resolve|address|fix) (?:the|this|that) (?:error|issue|problem) "
                r"(?:appropriately|accordingly|as needed|properly)\b", re.I), "change the input the error names"),
]


def fix(name: str, problems_text: str, skill_md: str) -> dict[str, Any]:
    """A ``FixAnswer`` for a fix prompt's inputs: corrections for exactly the problems it lists."""
    problems = [line[2:].strip() for line in problems_text.splitlines() if line.startswith("- ")]
    answer: dict[str, Any] = {"name": None, "description": None, "body": None, "notes": ""}
    lint = [(m.group(1), m.group(2)) for p in problems if (m := _LINT.match(p))]
    plain = " ".join(p for p in problems if not _LINT.match(p)).lower()
    if "name" in plain and name:
        slug = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]+", "-", name.lower())).strip("-")[:64]
        answer["name"] = slug or "skill"
    desc = re.search(r"^description: (.*)$", skill_md, re.MULTILINE)
    if "description" in plain and desc:
        text = desc.group(1).strip().strip("'\"") or "Use when this skill's area of work comes up."
        answer["description"] = text[:1000]
    parts = skill_md.split("---", 2)
    body = parts[2].strip() if len(parts) == 3 else ""
    fixed = body
    for metric, detail in lint:
        if metric == "templated_description" and name:
            titles = [_MARKER.sub("", m.group(2)) for line in body.splitlines() if (m := _ITEM.match(line))]
            answer["description"] = describe(name, titles)
        elif metric == "boilerplate":
            span = detail.split("Text: ", 1)[-1].strip()
            fixed = "\n".join(line for line in fixed.replace(span, "").split("\n") if line.strip() or not line)
        elif metric in ("vague", "run_specific") and "Rule: " in detail:
            fixed = _rewrite_rule(fixed, detail.split("Rule: ", 1)[1].strip(), metric)
    if fixed != body:
        answer["body"] = fixed
    answer["notes"] = "; ".join(problems)[:600]
    return answer


def _rewrite_rule(body: str, rule: str, metric: str) -> str:
    """``body`` with the list item whose text is ``rule`` made concrete (vague) or general (run-specific)."""
    wanted = " ".join(rule.split())
    lines = body.split("\n")
    for i, line in enumerate(lines):
        match = _ITEM.match(line)
        if not match or " ".join(_MARKER.sub("", match.group(2)).split()) != wanted:
            continue
        text = match.group(2)
        if metric == "vague":
            for pattern, concrete in _CONCRETE:
                # Keep the capital of a rule that starts with the vague phrase.
                text = pattern.sub(lambda m, c=concrete: c[:1].upper() + c[1:] if m.group(0)[:1].isupper() else c, text)
        else:
            text = abstract(text)
        lines[i] = match.group(1) + text + (match.group(3) or "")
    return "\n".join(lines)
