"""Lessons from documents: one per alert runbook, one per troubleshooting entry ("When <symptom>, <fix>"),
one per procedure, and one per "do not" rule — each quoted from the section it came from.

Documents arrive as Traces of kind ``document`` with one step per section (``## Heading`` first). Code
blocks stay code: they are copied as fenced blocks under the step that introduces them; output, logs
and tracebacks are evidence, never steps. Pages about the documentation itself (how to add a runbook
page, templates, link lists) teach nothing about the domain and give no lessons.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import PurePath

from skillforge.distill.heuristic.doc_blocks import plain, sentences
from skillforge.distill.heuristic.doc_naming import doc_kind, domain_of, keywords, project_of, skill_name
from skillforge.distill.heuristic.doc_steps import (
    NOUNISH,
    SYMPTOM,
    DocStep,
    Guard,
    Part,
    first_clause,
    is_imperative,
    lower_first,
    read_part,
    series,
)
from skillforge.models import Evidence, Lesson, LessonKind, Trace
from skillforge.skills.rules import inline_code

__all__ = ["DocDigest", "doc_digest", "doc_lessons"]

_RUNBOOK_SECTIONS = {"meaning", "impact", "diagnosis", "mitigation"}
_PROCEDURE_HEADING = re.compile(
    r"(?i)(diagnos|mitigat|resolution|remediat|steps|procedure|how|install|set ?up|getting started|usage|quick ?start|"
    r"before|release|deploy|contribut|develop|build|test|troubleshoot|fix|recover|rollback|upgrade|migrat|run|workflow|"
    r"checklist|submit|start|updat|uninstall|configur|customiz)"
)
_META_TITLE = re.compile(r"(?i)\b(?:add|adding|write|writing|creat\w*|new|edit\w*|author\w*)\b.*\b(?:runbooks?|pages?|"
                         r"docs?|documentation|articles?)\b|\bstyle ?guide\b.*\bdoc")
_META_HEADING = re.compile(
    r"(?i)^(?:.*\btemplates?|(?:pr |useful |external )?links?|references?|see also|further reading|resources|"
    r"related(?: \w+)?|table of contents|toc|contents|licen[cs]e|credits|acknowledg\w*|changelog|authors?|"
    r"sponsors|badges?|footnotes?|support|community|contact|getting help|help)$"
)
_ISSUES = re.compile(r"(?i)known (?:issues|problems)|common (?:errors|problems|issues|failures)|troubleshoot|"
                     r"\bfaq\b|\bproblems\b|\berrors\b|\bissues\b")
"""A section that lists problems: each of its sub-sections is a symptom with its fix."""
_PROBLEM_VERB = re.compile(r"(?i)\b(?:is|are|was|were|has|have|does|do|doesn't|don't|isn't|aren't|won't|can't|cannot|"
                           r"takes?|hangs?|fails?|crash(?:es)?|stops?|loops?|returns?|reports?|shows?|runs?|gets?|"
                           r"stuck|keeps?)\b")
_ERROR = re.compile(r"(?i)error|exception|fail|fatal|panic|denied|refused|not found|cannot|unable")
_AVOID_HEADING = re.compile(r"(?i)^(?:what (?:we|to) avoid|things to avoid|avoid|don'?ts|do not(?: do)?|anti-?patterns)$")
"""A heading over a list of things not to do or write."""
_INTRO = re.compile(r"^((?:Before|After|Once|While) [a-z][^:.]{2,60}):$")
"""A line that introduces a list by the moment it applies ("Before committing:", "Before making changes:")."""
_NOT_A_CONDITION = re.compile(r"(?i)^(?:there (?:can|may|might|could) be|this (?:runbook|page|document|guide)\b|"
                               r"see\b|todo\b)")
"""A meaning's first sentence that is about the page or the many causes, not what the alert measures."""
_WHEN_FIRES = re.compile(r"(?i)^(?:the |this )?(?:alert )?(?:[\w`*]+ )?(?:alert )?(?:is |will be |gets )?"
                         r"(?:fired|fires|triggered|triggers|raised|goes off)(?: when| if)?\s+")


@dataclass
class Unit:
    """One heading's worth of a section: its part, where it sits, and whether its heading promises steps."""

    step: int
    heading: str
    part: Part
    procedural: bool
    sub: int = 0
    parent: str = ""
    """The heading of the section this unit sits in (``Some known issues`` for ``Storage is full``)."""


@dataclass
class DocDigest:
    trace_id: str
    source: str
    title: str
    name: str
    """Alert or document name for rules (``KubeNodeNotReady``)."""
    kind: str
    runbook: bool
    meta: bool
    """A page about writing the documentation itself: no lessons."""
    project: str
    units: list[Unit]
    sections: dict[str, str] = field(default_factory=dict)
    """Lowercased top-level heading -> section text (without its heading)."""
    text: str = ""

    def evidence(self, step: int, quote: str) -> Evidence:
        return Evidence(trace_id=self.trace_id, step=step, quote=quote.strip()[:160], source=self.source)


def doc_digest(trace: Trace) -> DocDigest:
    """Read one document trace into its units (sections split at sub-headings) and what each asks for."""
    units: list[Unit] = []
    sections: dict[str, str] = {}
    names = set()
    for number, step in enumerate(trace.steps):
        heading, _, body = step.text.partition("\n")
        if not heading.lstrip().startswith("#"):
            heading, body = "", step.text
        name = heading.strip().lstrip("#").strip()
        names.add(name.lower())
        sections.setdefault(name.lower(), body)
        whole = name.lower() in _RUNBOOK_SECTIONS
        for sub, (sub_heading, text) in enumerate([(name, body)] if whole else _split(name, body)):
            procedural = bool(_PROCEDURE_HEADING.search(sub_heading)) or whole
            part = read_part(sub_heading, text, procedural=procedural, lenient=whole)
            units.append(Unit(number, sub_heading, part, procedural, sub, name))
    stem = PurePath(trace.source.path).stem
    title = (trace.task or stem).strip()
    camel = next((w for w in re.findall(r"[A-Za-z0-9]+", stem) if w.lower() == title.replace(" ", "").lower()), None)
    text = "\n".join(s.text for s in trace.steps)
    meta = bool(_META_TITLE.search(title) or _META_TITLE.search(stem.replace("-", " ").replace("_", " ")))
    runbook = not meta and (len(_RUNBOOK_SECTIONS & names) >= 2 or "runbook" in f"{stem} {title}".lower())
    kind = "runbook" if runbook else doc_kind(stem, title, sorted(names))
    return DocDigest(
        trace_id=trace.id, source=trace.source.path, title=title, name=camel or title, kind=kind, runbook=runbook,
        meta=meta, project="" if runbook else project_of(trace.source.path, title, text), units=units,
        sections=sections, text=text,
    )


def _split(heading: str, body: str) -> list[tuple[str, str]]:
    """A section cut at its sub-headings (outside code fences): ``(heading, text)`` pairs."""
    parts: list[tuple[str, list[str]]] = [(heading, [])]
    fence = ""
    for line in body.split("\n"):
        stripped = line.strip()
        marker = re.match(r"^(`{3,}|~{3,})", stripped)
        if marker and (not fence or stripped.startswith(fence)):
            fence = "" if fence else marker.group(1)
        elif not fence and re.match(r"^#{2,6}\s+\S", stripped):
            parts.append((stripped.lstrip("#").strip(), []))
            continue
        parts[-1][1].append(line)
    return [(h, "\n".join(lines)) for h, lines in parts if "\n".join(lines).strip() or h == heading]


# --------------------------------------------------------------------------- lessons


def doc_lessons(docs: list[DocDigest]) -> list[Lesson]:
    """Lessons for every document, each targeted at the skill of its project (runbooks: of their domain).

    Documents of one project share a skill; a project whose documents give one or two rules joins the
    project it shares a name word with (``mini-swe-agent`` and ``swe-agent``), if there is one."""
    runbooks = [d for d in docs if d.runbook]
    lessons: list[Lesson] = []
    if runbooks:
        skill = skill_name(domain_of([d.text for d in runbooks]), ["runbook"])
        for doc in runbooks:
            tags = _keywords(doc)
            has_steps = doc.sections.get("diagnosis") is not None or doc.sections.get("mitigation") is not None
            lessons.extend(_runbook(doc, skill, tags) if has_steps else _document(doc, skill, tags))
            lessons.extend(_guardrails(doc, skill, tags))
    by_project: dict[str, list[tuple[DocDigest, list[Lesson]]]] = defaultdict(list)
    for doc in sorted((d for d in docs if not d.runbook and not d.meta), key=lambda d: d.source):
        tags = _keywords(doc)
        by_project[doc.project].append((doc, [*_document(doc, "", tags), *_guardrails(doc, "", tags)]))
    home = _homes({p: sum(len(ls) for _, ls in members) for p, members in by_project.items()})
    kinds: dict[str, list[str]] = defaultdict(list)
    for project, members in sorted(by_project.items()):
        kinds[home[project]].extend(d.kind for d, ls in members if ls)
    for project, members in sorted(by_project.items()):
        skill = skill_name(home[project], kinds[home[project]])
        lessons.extend(l.model_copy(update={"target_skill": skill}) for _, ls in members for l in ls)
    return lessons


def _homes(sizes: dict[str, int]) -> dict[str, str]:
    """Each project's skill project: itself, or for a project of one or two rules the project it shares
    the most name words with (the larger, then the shorter name, wins)."""
    home = {p: p for p in sizes}
    for small in sorted(p for p, n in sizes.items() if n <= 2 and p):
        words = set(small.split("-"))
        peers = [p for p in sizes if p != small and p and len(words & set(p.split("-"))) >= 1 and home[p] == p]
        if peers:
            best = max(peers, key=lambda p: (len(words & set(p.split("-"))), sizes[p], -len(p), p))
            root = best if len(best) <= len(small) or sizes[best] > 2 else small
            other = small if root == best else best
            home[other] = root
            for p, h in home.items():
                if h == other:
                    home[p] = root
    return home


def _keywords(doc: DocDigest) -> list[str]:
    names = [doc.name.lower()] if doc.runbook else [doc.project, doc.kind]
    return [f"keyword:{w}" for w in keywords(doc.text, *names)]


def _runbook(doc: DocDigest, skill: str, tags: list[str]) -> list[Lesson]:
    diagnosis = [s for u in doc.units if u.heading.lower() == "diagnosis" for s in u.part.steps]
    mitigation = [s for u in doc.units if u.heading.lower() == "mitigation" for s in _mitigation(u.part)]
    if not diagnosis and not mitigation:
        return []
    meaning = _first_prose(doc.sections.get("meaning", ""))
    when = _WHEN_FIRES.sub("", meaning.rstrip(".")) if meaning else ""
    when = re.sub(rf"(?i)^{re.escape(doc.name)}\s+(?:alert\s+)?(?:is\s+)?(?:fired|fires|triggered)\s+(?:when|if)\s+",
                  "", when)
    if _NOT_A_CONDITION.match(when):
        when = ""  # "There can be various reasons why a volume is filling up" says no more than the name
    head = f"When **{doc.name}** fires" + (f" ({lower_first(when)})" if when and len(when) <= 160 else "")
    first = (diagnosis or mitigation)[0]
    rule = f"{head}, {lower_first(_action(first))}."
    lines = [rule]
    number = 0
    for label, steps in (("", diagnosis), ("Then mitigate: ", mitigation)):
        for i, step in enumerate(steps):
            number += 1
            prefix = label if i == 0 and number > 1 else ""
            lines.extend(_step_lines(number, prefix + (lower_first(step.text) if prefix else step.text), step))
    details = []
    for key, label in (("meaning", "Meaning"), ("impact", "Impact")):
        prose = " ".join(sentences(plain(_no_code(doc.sections.get(key, "")))))
        if prose:
            details.append(f"{label}: {prose}")
    outputs = [o for u in doc.units for o in u.part.outputs]
    if outputs:
        details.append("What the output looks like: " + "; ".join(inline_code(o, 100) for o in outputs[:3]) + ".")
    lines.extend(details)
    evidence = [doc.evidence(u.step, s.quote) for u in doc.units if u.heading.lower() in ("diagnosis", "mitigation")
                for s in u.part.steps[:2]]
    return [_lesson("procedure", f"{doc.name} runbook", "\n".join(lines), skill, "runbooks", evidence, doc, tags)]


def _mitigation(part: Part) -> list[DocStep]:
    """Mitigation steps, with labelled causes ("**CrashLoopBackOff**: … Check the logs") as steps too."""
    return part.steps + [s for f in part.fixes for s in f.steps]


def _action(step: DocStep) -> str:
    """A step as a clause for a rule: its last sentence (the one its command completes), with the command
    inline when it is one short line, and what the output shows as its purpose."""
    said = sentences(step.text)
    clause = first_clause(said[-1] if said else step.text, 140)
    lines = [ln.removeprefix("$ ").strip() for c in step.code for ln in c.text.split("\n") if ln.strip()]
    if len(lines) == 1 and len(lines[0]) <= 70 and not re.search(r"`", clause):
        clause += f" with `{lines[0]}`"
    shows = re.search(r"(?i)\b(?:output|result|it|this)\s+(?:should|will|must)\s+(?:describe|show|list|tell you|"
                      r"contain|display|include|explain)\s+(.+?)\.?$", step.after)
    if shows and " to " not in clause:
        clause += " to see " + re.sub(r"\s*\([^)]*\)", "", shows.group(1)).rstrip(".")
    return clause


def _step_lines(number: int, text: str, step: DocStep) -> list[str]:
    lines = [f"{number}. {' '.join(text.split())}"]
    lines.extend(code.fenced() for code in step.code[:3])
    return lines


def _first_prose(text: str) -> str:
    found = sentences(plain(_no_code(text)))
    return found[0] if found else ""


def _no_code(text: str) -> str:
    return re.sub(r"(?ms)^\s*(`{3,}|~{3,}).*?^\s*\1\s*$", " ", text)


def _document(doc: DocDigest, skill: str, tags: list[str]) -> list[Lesson]:
    lessons: list[Lesson] = []
    troubleshooting = doc.kind == "troubleshooting"
    for unit in doc.units:
        part, heading = unit.part, unit.heading or doc.title
        if re.fullmatch(r"(?i)examples?|usage|details|notes?", heading) and unit.parent:
            heading = unit.parent
            unit = Unit(unit.step, unit.parent, part, unit.procedural, unit.sub, unit.parent)
        if _META_HEADING.match(heading) or _is_question(heading) and not _how_to(heading):
            continue
        for fix in part.fixes:
            lessons.append(_fix(doc, unit, fix.symptom, fix.steps, [], skill, tags, fix.quote))
        # A step that only introduces something ("Make sure you know:") and brought no command is no step:
        # what it introduced was a list of facts.
        steps = [s for s in part.steps if s.code or not s.quote.rstrip().endswith(":")]
        if not steps:
            continue
        unit = Unit(unit.step, unit.heading, Part(part.heading, steps, part.guards, part.fixes, part.outputs,
                                                  part.prose), unit.procedural, unit.sub, unit.parent)
        symptom = _symptom(heading, part.outputs, under_issues=troubleshooting and unit.heading != unit.parent
                           and bool(_ISSUES.search(unit.parent)))
        if not symptom and troubleshooting:
            symptom = _said_condition(part.prose)
        if symptom and (troubleshooting and unit.heading and unit.heading != doc.title or SYMPTOM.search(heading)
                        and not re.search(r"(?i)troubleshoot|known issues|faq|debugging", heading)):
            lessons.append(_fix(doc, unit, symptom, steps, part.outputs, skill, tags, stated=True))
        elif len(steps) >= 2 or steps[0].code or unit.procedural:
            lessons.append(_procedure(doc, unit, skill, tags))
    return lessons


def _is_question(heading: str) -> bool:
    return heading.rstrip().endswith("?")


def _how_to(heading: str) -> str:
    """``How do I upgrade Ollama?`` -> ``upgrade Ollama``; ``How?`` -> ``""``."""
    match = re.match(r"(?i)^how (?:do i|do you|can i|can you|to|should i)\s+(.{3,}?)\??$", heading.strip())
    return match.group(1) if match else ""


def _symptom(heading: str, outputs: list[str], under_issues: bool = False) -> str:
    """The condition of a "When …" rule for a section about a problem, or ``""`` when the section names no
    problem (an informational section such as "Logs" or "Node information" is a procedure, not a fix).

    A heading that gives an order ("Identify and solve these problems") names a task, not a symptom; a
    heading that reads as a sentence ("Storage is full", "Pods are stuck in `Pending` state") is the
    condition itself; sub-sections of a "Known issues" section are problems whatever their wording."""
    heading = re.sub(r"(?i)^(?:problem|issue|symptom|error)\s*:\s*", "", heading).strip()
    heading = re.sub(r"^\d+[.)]\s+", "", heading)
    if _ordered(heading) or _how_to(heading + "?"):
        return ""
    if re.search(r"(?:Error|Exception|Warning)\b|^`|:\s", heading) and not re.match(r"(?i)^errors?\s", heading):
        return f"you see {inline_code(heading.strip('`'), 100)}"
    if SYMPTOM.search(heading) or under_issues:
        if _PROBLEM_VERB.search(heading) and not re.match(r"(?i)^(?:errors?|problems?|issues?)\b", heading):
            return lower_first(heading)
        return f"you hit {lower_first(heading)}"
    errors = [o for o in outputs if _ERROR.search(o)]
    if errors:
        return f"you see {inline_code(errors[0], 100)} ({lower_first(heading)})"
    return ""


def _ordered(heading: str) -> bool:
    """A heading that gives an order ("Check global git config"), not one that names a thing ("Backup information")."""
    first = heading.split(" ", 1)[0].lower()
    return is_imperative(heading) and first not in NOUNISH


def _said_condition(prose: list[str]) -> str:
    """The problem a section's prose states as a condition ("If X starts failing with …, this can be
    resolved by …" -> "X starts failing with …"), or ``""``."""
    for sentence in prose:
        said = re.match(r"(?i)^(?:if|when)\s+(.{10,240}?),\s*(?:this|it|that|you)\b", plain(sentence))
        if said and SYMPTOM.search(said.group(1)):
            return lower_first(said.group(1))
    return ""


def _fix(doc: DocDigest, unit: Unit, symptom: str, steps: list[DocStep], outputs: list[str], skill: str,
         tags: list[str], quote: str = "", stated: bool = False) -> Lesson:
    """``symptom`` is a finished condition when ``stated``, else a label ("Command not found") to phrase."""
    if not stated and not symptom.startswith("you ") and not _PROBLEM_VERB.search(symptom):
        symptom = f"you hit {lower_first(symptom.rstrip('?.'))}"
    first = steps[0]
    rule = f"When {symptom}, {lower_first(first_clause(first.text, 220))}."
    lines = [rule]
    if len(steps) == 1:
        lines.extend(code.fenced() for code in first.code[:3])
    else:
        for number, step in enumerate(steps[:12], start=1):
            lines.extend(_step_lines(number, step.text, step))
    if outputs:
        label = "Error seen" if any(_ERROR.search(o) for o in outputs) else "Sample output"
        lines.append(f"{label}: " + "; ".join(inline_code(o, 120) for o in outputs[:2]) + ".")
    evidence = [doc.evidence(unit.step, quote or first.quote)] + [doc.evidence(unit.step, s.quote) for s in steps[1:3]]
    title = f"{doc.title}: {unit.heading or symptom}" + (f" ({quote[:40]})" if quote else "")
    return _lesson("recovery", title, "\n".join(lines), skill, "recovery", evidence, doc, tags, unit)


_ONE_STEP_RULE = 300
"""Longest single step (characters) written out as the rule itself."""


def _procedure(doc: DocDigest, unit: Unit, skill: str, tags: list[str]) -> Lesson:
    steps = unit.part.steps
    # "Before committing:" above a list says when its steps apply better than a heading ("Testing Strategy").
    intro = next((m.group(1) for p in unit.part.prose if (m := _INTRO.match(p.strip()))), None)
    lead = intro or _lead(unit.heading or doc.title)
    whole = " ".join(steps[0].text.split()) if len(steps) == 1 else ""
    if lead and len(steps) > 1:
        # The numbered steps follow in full: the rule names the goal rather than running their first
        # clauses together ("…, save the chain into, then set … ex: `export"); a first step that states
        # the goal itself ("Before submitting a PR, run:") is the rule.
        opening = " ".join(steps[0].text.split())
        owned = opening.lower().startswith(lead.lower())
        # "Before submitting a PR, run:" with its commands, then other steps: the goal heads the list and
        # the commands are its step 1, or the next step would read as a sub-step of the commands.
        own = owned and len(opening) <= 160 and not (opening.endswith(":") and steps[0].code)
        lines = [opening if own else f"{lead}:"]
        if owned and not own:
            rest = opening[len(lead):].lstrip(" ,")
            if rest:
                steps = [DocStep(rest[:1].upper() + rest[1:], steps[0].quote, steps[0].code, steps[0].after),
                         *steps[1:]]
    elif lead and whole and len(whole) <= _ONE_STEP_RULE and not whole.endswith(":"):
        # One step said in full is the rule; repeating it as "1." below would say it twice.
        body = whole if whole[-1] in ".!)`" else whole + "."
        if steps[0].code and not is_imperative(plain(whole)):
            # "Linting requires shellcheck …" above the commands states a fact; the order is to run them.
            ran = _short(DocStep("Run:", steps[0].quote, steps[0].code))
            body = f"{ran if ran != 'run:' else 'run the commands below'}; {lower_first(body)}"
        lines = [f"{lead}, {lower_first(body)}" if not body.lower().startswith(lead.lower()) else body]
        lines.extend(code.fenced() for code in steps[0].code[:3])
        steps = []
    else:
        summary = [_short(s) for s in steps[:3]]
        if lead and summary and summary[0].lower().startswith(lead.lower()):
            summary[0] = summary[0][len(lead):].lstrip(" ,")
        joined = summary[0] if len(summary) == 1 else ", ".join(summary[:-1]) + ", then " + summary[-1]
        lines = [f"{lead}, {joined}." if lead else f"{joined[0].upper()}{joined[1:]}."]
    for number, step in enumerate(steps[:20], start=1):
        lines.extend(_step_lines(number, step.text, step))
    if unit.part.outputs:
        lines.append("Expected output: " + "; ".join(inline_code(o, 100) for o in unit.part.outputs[:2]) + ".")
    evidence = [doc.evidence(unit.step, s.quote) for s in unit.part.steps[:3]]
    return _lesson("procedure", f"{doc.title}: {unit.heading or doc.title}", "\n".join(lines), skill, "procedure",
                   evidence, doc, tags, unit)


def _lead(heading: str) -> str:
    """A heading as the condition of a rule: ``Before Submitting a PR`` -> ``Before submitting a PR``,
    ``Adding Ollama as a service`` -> ``When adding Ollama as a service``, ``Install CUDA`` -> ``To install CUDA``."""
    heading = re.sub(r"\s*\((?:optional|recommended|required|advanced)\)\s*$", "", plain(heading).strip(), flags=re.I)
    heading = re.sub(r"^[\W\d_]+", "", heading).rstrip(":?.")
    if not heading:
        return ""
    how = _how_to(heading + "?")
    if how:
        return f"To {lower_first(how)}"
    words = heading.split()
    if sum(w[:1].isupper() for w in words if len(w) > 3) == len([w for w in words if len(w) > 3]) > 1:
        # Title Case: lowercase the ordinary words, keep acronyms and CamelCase names.
        heading = " ".join(w if i == 0 or re.search(r"[A-Z].*[A-Z]|\d", w) else w.lower() for i, w in enumerate(words))
    first = heading.split()[0].lower()
    if first in ("before", "after", "when", "if", "once", "to", "for", "while", "during"):
        return heading[0].upper() + heading[1:].lower() if heading.isupper() else heading[0].upper() + heading[1:]
    if first.endswith("ing") and len(first) > 4:
        return f"When {lower_first(heading)}"
    if first in ("install", "update", "upgrade", "build", "deploy", "start", "stop", "run", "test", "configure",
                 "set", "create", "add", "remove", "uninstall", "customize", "release", "publish", "migrate", "debug") \
            or _ordered(heading):
        return f"To {lower_first(heading)}"
    return f"For {lower_first(heading)}"


def _short(step: DocStep) -> str:
    """A step as a short clause; a bare "run:" takes its one-line commands inline."""
    clause = lower_first(first_clause(step.text))
    lines = [ln.removeprefix("$ ").strip() for c in step.code for ln in c.text.split("\n")
             if ln.strip() and not ln.lstrip().startswith("#")]
    dangling = re.search(r"(?i)(?:,?\s*(?:for example|e\.g\.))?(?:^|\s)(?:run|execute|use|with|using|type|enter|"
                         r"by running)(?: (?:the following|this|these)(?: commands?)?)?$", clause)
    if dangling:
        limit = 70 if len(lines) == 1 else 50
        if 0 < len(lines) <= 3 and all(len(ln) <= limit for ln in lines):
            shown = [f"`{ln}`" for ln in lines]
            clause += " " + series(shown)
        elif dangling.start() > 0:
            clause = clause[: dangling.start()].rstrip(" ,")
        else:
            clause += " the commands below"
    return clause


def _guardrails(doc: DocDigest, skill: str, tags: list[str]) -> list[Lesson]:
    if doc.meta:
        return []
    lessons = []
    seen: set[str] = set()
    for unit in doc.units:
        if _META_HEADING.match(unit.heading):
            continue
        guards = list(unit.part.guards)
        avoided = [x.rstrip(".") for x in unit.part.prose if len(x) <= 80 and not is_imperative(x)]
        if _AVOID_HEADING.match(unit.heading) and not unit.part.steps and len(avoided) >= 2:
            # "What We Avoid" over a list of things: the list is the prohibition.
            text = "Avoid " + series([lower_first(x) for x in avoided[:6]]) + "."
            guards.append(Guard(text, unit.part.prose[0]))
        for guard in guards:
            key = guard.text.lower()
            if key in seen or len(guard.text) > 300:
                continue
            seen.add(key)
            lessons.append(_lesson("guardrail", guard.text[:120], guard.text, skill, "guardrails",
                                   [doc.evidence(unit.step, guard.quote)], doc, tags, unit))
    return lessons


def _lesson(kind: LessonKind, title: str, body: str, skill: str, section: str, evidence: list[Evidence], doc: DocDigest,
            tags: list[str], unit: Unit | None = None) -> Lesson:
    order = f"{unit.step:04d}.{unit.sub:02d}" if unit else "0000.00"
    labels = {f"section:{section}", "source:document", "scope:project", f"order:{doc.source}#{order}", *tags}
    return Lesson(kind=kind, title=title, body=body, target_skill=skill, evidence=evidence or [doc.evidence(0, "")],
                  support=1, tags=sorted(labels))
