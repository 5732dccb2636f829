"""Skill descriptions written as triggers: what the skill does and when to use it, in the domain's words.

A host shows the model only each skill's name and description, within a budget, so the description is
what decides whether the skill is loaded. It says what the skill does and the situations it serves,
using the words a user's request or a failing tool call would contain: the goals of its procedures,
the tools and error kinds of its recoveries, the alerts of its runbooks, the projects of its known
issues. Words that the skill alone has in its set come first, so neighbours read differently. No counts,
no list of section names, and short enough for hosts that truncate the listing (``TARGET`` characters).
"""

from __future__ import annotations

import re
from collections import Counter

from skillforge.distill.heuristic.doc_steps import is_imperative, lower_first, series
from skillforge.models import Lesson
from skillforge.skills.rules import rule_line, sort_key, tag
from skillforge.skills.validate import MAX_DESCRIPTION

__all__ = ["TARGET", "describe", "keywords"]

TARGET = 300
"""Descriptions aim at this many characters; the spec's hard limit is 1,024."""

_STOP = {
    "a", "an", "the", "and", "or", "of", "to", "in", "on", "for", "with", "by", "from", "is", "it", "be", "as",
    "at", "this", "that", "these", "those", "its", "your", "you", "we", "our", "not", "no", "if", "then", "else",
    "error", "errors", "file", "files", "run", "runs", "tool", "tools", "command", "commands", "agent", "task",
    "tasks", "step", "steps", "use", "used", "using", "when", "user", "users", "issue", "issues", "fix", "fixes",
    "fails", "failed", "none", "true", "false", "null", "output", "result", "code", "test", "value", "values",
    "make", "makes", "get", "gets", "give", "gives", "ensure", "check", "checks", "see", "set", "add", "new",
    "like", "also", "can", "may", "must", "should", "will", "would", "could", "need", "needs", "want", "way",
    "one", "two", "all", "any", "each", "every", "some", "more", "most", "other", "same", "such", "only",
    "firing", "fires", "problem", "problems", "areas", "area", "bar", "gate", "tips", "things", "thing", "part",
    "example", "examples", "case", "cases", "time", "first", "last", "before", "after", "about", "into", "out",
    "up", "down", "over", "under", "again", "here", "there", "what", "which", "who", "how", "why", "where",
    "object", "data", "type", "name", "names", "line", "lines", "change", "changes", "read", "write", "start",
    "contributing", "contribution", "installation", "setup", "guide", "docs", "documentation", "readme",
    "general", "ticket", "tickets", "report", "reports", "customer", "customers", "support", "please", "thanks",
    "behind", "above", "below", "across", "along", "among", "around", "between", "beyond", "during", "through",
    "toward", "towards", "upon", "within", "without", "via", "per", "while", "still", "even", "just", "very",
}
"""Words too common to tell a user's request apart."""

_FAILURES = {
    "not-found": "missing files or paths",
    "command-not-found": "missing commands",
    "syntax": "edits that break the syntax",
    "edit-mismatch": "edits whose text does not match the file",
    "test-failure": "failing tests",
    "import": "missing modules",
    "dependency": "missing libraries",
    "unclosed-quote": "quotes left open",
    "timeout": "timeouts",
    "permission": "permission errors",
    "bad-arguments": "invalid arguments",
    "network": "network errors",
}
"""Failure-kind keywords (as the trace analyzer tags them) as the phrase a description uses."""
_BLOCKED = {"approval", "sandbox", "denied", "blocked"}


def keywords(lessons: list[Lesson]) -> list[str]:
    """The domain words of ``lessons``, most supported first: their ``keyword:`` tags, else the
    backticked tool names and areas their rules mention."""
    weight: Counter[str] = Counter()
    for lesson in lessons:
        words = [t.removeprefix("keyword:") for t in lesson.tags if t.startswith("keyword:")]
        if not words:
            words = re.findall(r"`([A-Za-z][\w.-]{2,30})`", rule_line(lesson))
            words += [a for a in [tag(lesson, "area")] if a]
        for word in {w.strip().lower().replace("_", "-") if w in _FAILURES else w.strip().lower() for w in words}:
            if len(word) > 2 and word not in _STOP and not re.search(r"\d{3,}", word):
                weight[word] += max(1, lesson.support)
    return [w for w, _ in sorted(weight.items(), key=lambda kv: (-kv[1], kv[0]))]


def describe(name: str, lessons: list[Lesson], *, shared: Counter[str] | None = None) -> str:
    """What the skill does and when to use it (1–1024 characters, aim ``TARGET``).

    ``shared`` counts, per keyword, how many skills of the set use it: words this skill alone has come
    first, so the description sets it apart from its neighbours."""
    lessons = sorted(lessons, key=sort_key)  # the same lessons in any order describe the same skill
    shared = shared or Counter()
    sources = Counter(tag(l, "source") or "other" for l in lessons)
    main = sources.most_common(1)[0][0]
    words = keywords(lessons)
    distinct = sorted(words, key=lambda w: (shared.get(w, 1) > 1, words.index(w)))
    subject = _subject(name)
    alerts = [l.title.removesuffix(" runbook") for l in lessons if tag(l, "section") == "runbooks"]
    terms = [w for w in distinct if w not in subject.lower().split() and w not in {a.lower() for a in alerts}]
    kinds = {k for k in sources if k in ("document", "ticket", "trace")}
    if len(kinds) > 1:
        what, when = _mixed_sentences(subject, lessons, alerts)
    elif alerts:
        what = f"Diagnose and mitigate {subject} alerts such as {series(alerts[:3])}"
        when = "Use when one of these alerts fires"
        tools = sorted({c.split()[0] for c in _commands(lessons, subject)})
        if tools:
            when += f" or you investigate their symptoms with {series(tools[:3], 'or')}"
    elif any(tag(l, "section") == "triage" for l in lessons) or main == "ticket":
        projects = sorted({a for l in lessons if (a := tag(l, "area")) and a != "general"})
        helpdesk = any(rule_line(l).startswith("When a customer reports") for l in lessons)
        if helpdesk:
            # A helpdesk's tickets: the known problems and their fixes, not a code-fixing workflow.
            # The words of its known problems, not of its general triage habits ("confirmation").
            issues = [l for l in lessons if rule_line(l).startswith(("When a customer reports", "Do not promise"))]
            known = set(keywords(issues))
            mention = [w for w in terms if w in known][:4]
            what = f"Resolve {subject} tickets the way earlier ones were resolved, and know what not to promise"
            when = f"Use when a customer reports a problem with {series(mention, 'or') or subject}"
        else:
            what = f"Triage and resolve reported {subject} problems: reproduce, find the fix, verify it"
            mention = [t for t in terms if t not in projects][:2]
            when = f"Use when a bug report or ticket mentions {series([*projects[:3], *mention], 'or') or subject}"
    elif main == "document":
        what, when = _document_sentences(name, subject, lessons, terms)
    else:
        what, when = _trace_sentences(subject, lessons, terms)
    text = f"{what}. {when}."
    text = re.sub(r"-{3,}", "-", " ".join(text.split())).strip()
    if len(text) > TARGET:
        text = f"{what}. {when.split(', or ')[0].split(' or ')[0]}."
    return _clip(text, MAX_DESCRIPTION)


_PURPOSE = (
    ("contributing", "Contribute to", "contributing to"),
    ("installation", "Install", "installing"),
    ("install", "Install", "installing"),
    ("setup", "Set up", "setting up"),
    ("release", "Release", "releasing"),
    ("deployment", "Deploy", "deploying"),
    ("testing", "Test", "testing"),
    ("troubleshooting", "Troubleshoot", "troubleshooting"),
    ("development", "Develop", "developing"),
    ("usage", "Work with", "working with"),
)


def _mixed_sentences(subject: str, lessons: list[Lesson], alerts: list[str]) -> tuple[str, str]:
    """A skill fed from several kinds of input (``distill --into``): each occasion it serves."""
    sections = {tag(l, "section") or l.kind for l in lessons}
    does, occasions = [], []
    if alerts:
        does.append(f"mitigate alerts such as {series(alerts[:2])}")
        occasions.append("one of these alerts fires")
    if "triage" in sections:
        projects = sorted({a for l in lessons if tag(l, "section") == "triage" and (a := tag(l, "area"))})
        does.append("resolve known reported problems" + (f" in {series(projects[:2])}" if projects else ""))
        occasions.append("a report resembles one of its known issues")
    if sections & {"recovery", "pitfalls"}:
        does.append("recover from failing commands")
        occasions.append("a tool call or command fails")
    if not does:
        does.append("follow the documented steps and rules")
        occasions.append(f"working on {subject}")
    what = f"{subject[:1].upper() + subject[1:]} playbook: {series(does)}"
    return what, "Use when " + ", or when ".join(occasions)


def _document_sentences(name: str, subject: str, lessons: list[Lesson], terms: list[str]) -> tuple[str, str]:
    purposes = [(v, g) for k, v, g in _PURPOSE if k in name.split("-")]
    verbs = [v for v, _ in purposes] or ["Work with"]
    gerunds = [g for _, g in purposes] or ["working with"]
    verb = verbs[0] + "".join(f" and {v.lower()}" for v in verbs[1:2])
    kinds = Counter(l.kind for l in lessons)
    holds = []
    if kinds.get("procedure") or kinds.get("success_pattern"):
        holds.append("the documented steps")
    if kinds.get("recovery"):
        holds.append("fixes for known errors")
    if kinds.get("guardrail"):
        holds.append("the rules to respect")
    what = f"{verb} {subject}"
    commands = _commands(lessons, subject)
    activities = _activities(lessons)
    # A topic's one instruction ("For local testing, invoke …") names a goal only when the topics do not
    # already say what the document is for ("For setup:", "When testing:", "For releases:").
    goals = _goals(lessons, topics=len(activities) < 2)
    if goals:
        # What its procedures achieve is what a request asks for; "the documented steps" says nothing.
        shown = [c for c in commands if not any(c in g for g in goals[:3])]
        what += ": " + series(goals[:3]) + (f" ({series(shown[:2])})" if shown and len(goals) < 3 else "")
    elif len(activities) >= 2:
        # "For setup:", "When testing:", "For releases:": what a contributor does, not "the documented steps".
        what += ": " + series(activities[:5]) + " it" + (f" ({series(commands[:3])})" if commands else "")
    elif holds:
        what += ": " + series(holds) + (f" ({series(commands[:3])})" if commands else "")
    # The document's own keywords are often heading words ("gate", "bar"); the activity, the subject and
    # the symptoms its fixes start from are what a request names.
    when = f"Use when {series(gerunds[:2], 'or')} {subject}"
    symptoms = _symptoms(lessons)
    if symptoms:
        shown = symptoms[:2]
        prefix = re.match(r"you (?:hit|see|get) ", shown[0])
        if prefix and len(shown) > 1 and shown[1].startswith(prefix.group(0)):
            shown[1] = shown[1][prefix.end():]  # "when you hit A or B", not "… or you hit B"
        when += f", e.g. when {series(shown, 'or')}"
    elif len(goals) > 3:
        when += f", e.g. to {series(goals[3:5], 'or')}"
    return what, when


_GOAL = re.compile(r"^To (.{6,70}?)[:,]")
"""The goal a procedure's rule opens with ("To <verb> …"); "For emergency backup:" names a topic and
"When the pod is stuck," a symptom, so neither is a goal."""
_BEFORE = re.compile(r"^(Before [a-z].{4,50}?):")
"""A rule that names the moment its steps are for ("Before submitting a PR:"), with commands to run then."""
_TOPIC = re.compile(r"^For (.{4,60}?)(?::$|:\n|, (.+?)\.(?:\s|$))")
"""A topic with its one instruction ("For contribution gate, start with an issue before opening a PR.")
or with its steps below ("For installation from source:")."""
_DEICTIC = re.compile(r"(?i)\b(?:these|this|those|that|here|above|below|following|it|them)\b")


def _goals(lessons: list[Lesson], *, topics: bool = True) -> list[str]:
    """What a document's procedures are for, from their rules, in order: "To trust CA certificate for
    Node.js:" -> "trust CA certificate for Node.js"; "Before submitting a PR:" with ``just test`` ->
    "run just test before submitting a PR"; "For contribution gate, start with an issue …" -> "start with
    an issue …"; "For installation from source:" -> "install from source". None that only point elsewhere
    ("these problems", "the instructions in quickstart.md")."""
    tiers: list[list[str]] = [[], [], []]  # "To …" goals first: they are what a request asks for
    for lesson in lessons:
        if lesson.kind != "procedure":
            continue
        line = rule_line(lesson)
        goal, tier = "", 0
        if match := _GOAL.match(line):
            goal = match.group(1)
        elif (match := _BEFORE.match(line)) and (commands := _commands([lesson], "")):
            goal, tier = f"run {series(commands[:3])} {lower_first(match.group(1))}", 1
        elif topics and (match := _TOPIC.match(line)):
            tier = 2
            clause = (match.group(2) or "").strip()
            if clause and is_imperative(clause) and len(clause) <= 60:
                goal = clause
            elif not clause:
                words = match.group(1).split()
                verb = next((v for k, v, _ in _PURPOSE if words[0].lower() == k), "")
                goal = f"{verb} {' '.join(words[1:])}" if verb and len(words) > 1 else ""
        if not goal or _DEICTIC.search(goal) or "`" in goal or re.search(r"\.(?:md|rst|txt)\b", goal):
            continue
        goal = goal.strip()
        tiers[tier].append(goal[:1].lower() + goal[1:] if not goal[:2].isupper() else goal)
    return list(dict.fromkeys(tiers[0] + tiers[1] + tiers[2]))


_ACTIVITY = {
    "setup": "set up", "setting": "set up", "installation": "install", "installing": "install", "building": "build",
    "build": "build", "testing": "test", "tests": "test", "formatting": "format", "linting": "lint",
    "debugging": "debug", "profiling": "profile", "benchmarking": "benchmark", "releases": "release",
    "release": "release", "releasing": "release", "deployment": "deploy", "deploying": "deploy",
}
"""A procedure's topic word ("For setup:", "When testing,") as the activity it is about."""


def _activities(lessons: list[Lesson]) -> list[str]:
    """What a document's procedures are about, as verbs ("set up", "test", "release"), in order."""
    found: list[str] = []
    for lesson in lessons:
        match = re.match(r"^(?:For|When) (?:local |the )?([a-z]+)\b", rule_line(lesson)) if lesson.kind == "procedure" else None
        verb = _ACTIVITY.get(match.group(1)) if match else None
        if verb and verb not in found:
            found.append(verb)
    return found


def _symptoms(lessons: list[Lesson]) -> list[str]:
    """The conditions of a document's fixes ("When storage is full, …" → "storage is full"), short ones first."""
    found = []
    for lesson in lessons:
        if lesson.kind != "recovery":
            continue
        # "When you hit command not found," keeps "you hit": "e.g. when command not found" is no sentence.
        match = re.match(r"^When ((?:you (?:hit|see|get) )?([^,;]{6,60})),", rule_line(lesson))
        if match and "`" not in match.group(2) and not match.group(2).lower().startswith("working with"):
            found.append(match.group(1).strip())
    return sorted(dict.fromkeys(found), key=lambda s: (len(s), s))


_NOT_COMMANDS = {"cd", "echo", "export", "cat", "ls", "then", "if", "for", "rm", "mv", "cp", "mkdir", "chmod", "chown",
                 "tar", "sudo", "curl", "wget", "sh", "bash", "source", "set", "unset", "sleep", "true", "false",
                 "python", "python3", "node", "pip", "pip3"}
_COMMAND = re.compile(r"^\$?\s*(?:sudo\s+)?([a-z][a-z0-9_.-]{1,20})(?=\s|$)(?:\s+([a-z][a-z0-9_-]{1,20})(?=\s|$))?")
"""A command and its subcommand, each a whole word (``cluster:kubevirt_…:count == 0`` is a metric, not ``cluster``)."""


def _commands(lessons: list[Lesson], subject: str) -> list[str]:
    """The commands a document's steps run (``just fmt``, ``kubectl get``), most used first."""
    seen: Counter[str] = Counter()
    for lesson in lessons:
        fenced = prompted = False
        for line in lesson.body.split("\n"):
            stripped = line.strip()
            if stripped.startswith(("```", "~~~")):
                fenced = not fenced
                prompted = False
                continue
            if fenced:
                # In a block with "$ " prompts the other lines are output ("standard (default) …"), not commands.
                prompted = prompted or stripped.startswith("$ ")
                if prompted and not stripped.startswith("$ "):
                    continue
            spans = [stripped] if fenced else re.findall(r"`([^`]+)`", stripped)
            for span in spans:
                match = _COMMAND.match(span)
                if not match or (not fenced and " " not in span.strip()):
                    continue  # one inline word is a name, not a command
                if match.group(1) not in _NOT_COMMANDS:
                    seen[" ".join(g for g in match.groups() if g)] += 1
    return [c for c, _ in sorted(seen.items(), key=lambda kv: (-kv[1], kv[0])) if " " in c or c != subject][:6]


_TRIGGERS = {
    "not-found": "a file or path is missing",
    "command-not-found": "a command is not found",
    "syntax": "an edit breaks the syntax",
    "edit-mismatch": "an edit does not match the file",
    "test-failure": "tests fail",
    "import": "a module is missing",
    "dependency": "a library the build needs is missing",
    "unclosed-quote": "the shell finds a quote left open",
    "timeout": "a command times out",
    "permission": "permission is denied",
    "bad-arguments": "a tool rejects its arguments",
    "network": "the network fails",
}
"""Failure kinds as the moment a reader notices them: what a description's "Use when" names."""


def _trace_sentences(subject: str, lessons: list[Lesson], terms: list[str]) -> tuple[str, str]:
    goals = []
    for lesson in lessons:
        match = re.match(r"^To ([^,.;]{3,60})[,.;]", rule_line(lesson))
        if match and lesson.kind in ("procedure", "success_pattern") and match.group(1) not in goals:
            goals.append(match.group(1))
    kinds = [w for w in terms if w in _FAILURES] or [w for w in keywords(lessons) if w in _FAILURES]
    failures = [_FAILURES[w] for w in kinds]
    blocked = any(w in _BLOCKED or w == "permission" for w in keywords(lessons))
    areas = sorted({a for l in lessons if (a := tag(l, "area"))}, key=lambda a: (a not in terms, a))
    parts = []
    if goals:
        goal = series(goals[:2])
        parts.append(f"{goal[:1].upper()}{goal[1:]} the way successful runs did")
    if failures:
        parts.append(f"{', and recover' if parts else 'Recover'} from {series(failures[:3])}")
    if not parts:
        return _service_sentences(subject, lessons, terms)
    what = "".join(parts)
    place = "a code repository" if {"coding", "agent"} <= set(subject.split()) else subject
    # The moments the skill is for: the request, then what goes wrong. The tools the runs happened to
    # call (``cat``, ``sed -n``) say neither, so they are left out.
    occasions = [f"asked to {goals[0]}" if goals else f"working on {place}"]
    if areas:
        occasions[0] += f" (e.g. in {series(areas[:3], 'or')})"
    triggers = [_TRIGGERS[k] for k in kinds if not (blocked and k == "permission")][:2]
    if triggers:
        occasions.append(series(triggers, "or"))
    if blocked:
        occasions.append("a command is blocked or needs approval")
    when = "Use when " + _occasions(occasions)
    while len(f"{what}. {when}.") > TARGET and len(occasions) > 1:
        occasions.pop(-2 if len(occasions) > 2 else -1)  # the failure triggers repeat what the skill does
        when = "Use when " + _occasions(occasions)
    return what, when


def _occasions(items: list[str]) -> str:
    """``a``, ``a, or when b``, ``a, when b, or when c``."""
    if len(items) <= 1:
        return "".join(items)
    return ", when ".join(items[:-1]) + ", or when " + items[-1]


_VERBS = {"get": "look up", "find": "look up", "search": "look up", "list": "look up", "read": "look up",
          "update": "change", "modify": "change", "edit": "change", "set": "change", "cancel": "cancel",
          "book": "book", "create": "create", "add": "add", "delete": "remove", "remove": "remove",
          "send": "send", "return": "return", "exchange": "exchange", "refund": "refund", "transfer": "hand over"}


def _service_sentences(subject: str, lessons: list[Lesson], terms: list[str]) -> tuple[str, str]:
    """A skill about a service's tools (``get_reservation_details``, ``cancel_reservation``): what it
    helps do with which records, from the verbs of the tool names and the domain's nouns."""
    calls: Counter[str] = Counter()
    for lesson in lessons:
        calls.update(re.findall(r"`([a-z]+)_[a-z_]+`", rule_line(lesson)))
    verbs: list[str] = []
    for verb, _ in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0])):
        word = _VERBS.get(verb)
        if word and word not in verbs and word != "hand over":
            verbs.append(word)
    nouns: list[str] = []
    for word in terms:
        singular = word[:-1] if word.endswith("s") and not word.endswith("ss") else word
        if singular not in nouns and singular not in subject.split() and "_" not in singular:
            nouns.append(singular)
    text = " ".join(rule_line(l).lower() for l in lessons)
    nouns.sort(key=lambda n: -text.count(n))  # the records the rules are most about come first
    who = "a customer" if {"support", "customer", "service"} & set(subject.split()) else "a user"
    plural = [n + "s" for n in nouns[:3]]
    if verbs and nouns:
        what = f"Handle {subject} requests: {series(verbs[:4])} {series(plural)} safely and within policy"
        asks = [v for v in verbs if v != "look up"] or verbs
        when = f"Use when {who} asks to {series(asks[:3], 'or')} a {series(nouns[:2], 'or')}"
    else:
        what = f"Rules learned from earlier {subject} runs" + (f" about {series(nouns[:3])}" if nouns else "")
        when = f"Use when working on {subject}" + (f" with {series(nouns[:2], 'or')}" if nouns else "")
    return what, when


def _subject(name: str) -> str:
    """What the skill is about, from its name without the activity words (``django`` of ``django-development``)."""
    activity = {"runbooks", "contributing", "installation", "setup", "playbook", "triage", "issue", "development",
                "alert", "alerts", "and", "troubleshooting", "usage"}
    words = [w for w in name.split("-") if w not in activity]
    return " ".join(words) or name.replace("-", " ")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
