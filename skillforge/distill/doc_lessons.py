"""Lessons from documents: runbooks (meaning / diagnosis / mitigation), step-by-step procedures, and
"do not" rules, each quoted from the section it came from.

Documents arrive as Traces of kind ``document`` with one step per section (``## Heading`` first).
Documents are grouped into skills by collection: runbooks together, other documents by the project
their file or folder names.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import PurePath

from skillforge.distill.area import GENERIC_DIRS, slug
from skillforge.models import Evidence, Lesson, Trace

__all__ = ["DocDigest", "doc_digest", "doc_lessons"]

_RUNBOOK_SECTIONS = {"meaning", "impact", "diagnosis", "mitigation"}
_PROCEDURE_HEADING = re.compile(
    r"(?i)(diagnos|mitigat|resolution|remediat|steps|procedure|how|install|set ?up|getting started|usage|quick ?start|"
    r"before|release|deploy|contribut|develop|build|test|troubleshoot|fix|recover|rollback|upgrade|migrat|run|workflow|"
    r"checklist|submit)"
)
_IMPERATIVE_TEXT = (
    "add apply ask avoid build call change check clean clone configure confirm consider contact copy "
    "cordon create decrease delete deploy describe do don't drain edit enable ensure escalate explain "
    "fill find fix follow get give grow increase inspect install keep kill label limit list log login "
    "look make mark merge move name never note open pin prefer put read reboot reduce remember remove "
    "rename replace report restart restore review roll rollback run scale search see set start state stop "
    "study submit switch take terminate test try uncordon update upgrade use verify wait watch write"
)
_IMPERATIVE = frozenset(_IMPERATIVE_TEXT.split())
_GUARD = re.compile(
    r"(?i)(^(?:please |try to )?(?:do not|don't|never|avoid)\b|\b(?:must not|mustn't|should not|shouldn't|never)\b)"
)
_SHELL_LANGS = {"", "bash", "sh", "shell", "console", "zsh", "terminal", "shell-session", "powershell", "ps1", "cmd"}
_INTRODUCES = re.compile(r"(?i)((^|\s)(run|with|using|execute)|:)$")
_LIST_ITEM = re.compile(r"^\s{0,3}(?:[-*+]|\d+[.)])\s+(.*)$")
_STOP_TEXT = (
    "the and for with that this from are was were will can not you your have has into when then than them "
    "they its also should must may might could would which what where there their about more some such "
    "only other each any before after over under been being does done how why who all but use used using "
    "see here like just make sure alert alerts runbook runbooks meaning impact diagnosis mitigation "
    "example details file files section page docs document new one two first check issue issues"
)
_STOP = frozenset(_STOP_TEXT.split())


@dataclass
class Section:
    step: int
    heading: str
    text: str
    procedural: bool = False
    open_sentence: bool = False
    steps: list[tuple[str, str]] = field(default_factory=list)
    """(instruction as written for the rule, raw quote from the section)."""
    guards: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class DocDigest:
    trace_id: str
    source: str
    title: str
    name: str
    """Alert or document name for rules (``KubeNodeNotReady``)."""
    runbook: bool
    sections: list[Section]
    words: Counter[str]

    def evidence(self, step: int, quote: str) -> Evidence:
        return Evidence(trace_id=self.trace_id, step=step, quote=quote[:160], source=self.source)


def doc_digest(trace: Trace) -> DocDigest:
    """Split one document trace into its sections, with the steps and "do not" rules each holds."""
    sections = []
    for number, step in enumerate(trace.steps):
        heading, _, body = step.text.partition("\n")
        if not heading.lstrip().startswith("#"):
            heading, body = "", step.text
        name = heading.strip().lstrip("#").strip()
        section = Section(number, name, body, procedural=bool(_PROCEDURE_HEADING.search(name)))
        _extract(section, runbook_section=name.lower() in ("diagnosis", "mitigation"))
        sections.append(section)
    names = {s.heading.lower() for s in sections}
    stem = PurePath(trace.source.path).stem
    title = (trace.task or stem).strip()
    camel = next((w for w in re.findall(r"[A-Za-z0-9]+", stem) if w.lower() == title.replace(" ", "").lower()), None)
    words = Counter(w for s in sections for w in re.findall(r"[a-z][a-z0-9-]{3,}", s.text.lower()) if w not in _STOP)
    return DocDigest(
        trace_id=trace.id,
        source=trace.source.path,
        title=title,
        name=camel or title,
        runbook=len(_RUNBOOK_SECTIONS & names) >= 2 or "runbook" in stem.lower() or "runbook" in title.lower(),
        sections=sections,
        words=words,
    )


def _extract(section: Section, runbook_section: bool = False) -> None:
    """Pull instructions (list items, imperative sentences, shell commands) and "do not" rules from a section."""
    for kind, raw, lang in _blocks(section.text):
        if kind == "code":
            for line in raw.splitlines():
                line = line.strip()
                command = line.removeprefix("$ ")
                if lang in _SHELL_LANGS and command and not command.startswith("#") and (
                    lang != "" or re.match(r"^[a-z][\w.-]*( |$)", command)
                ):
                    _add_step(section, f"`{command}`", line, command=True)
            continue
        section.open_sentence = False
        for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z*`])", raw):
            clean = _plain(sentence)
            quote = sentence.strip().split("\n", 1)[0].strip()
            if _INTRODUCES.search(clean) and len(clean) < 8:
                section.steps.append((clean, quote))
                continue
            if len(clean) < 8 or clean.lower().startswith(("see ", "for example", "e.g.")):
                continue
            if _GUARD.search(clean):
                section.guards.append((re.sub(r"(?i)^(note|notice|warning|important|caution):\s*", "", clean), quote))
            if runbook_section or _is_instruction(clean) or (kind == "item" and section.procedural):
                _add_step(section, clean, quote)


def _add_step(section: Section, text: str, quote: str, command: bool = False) -> None:
    if command and section.steps:
        previous, previous_quote = section.steps[-1]
        # "Before submitting, run:" followed by a code block: the commands complete that sentence.
        if _INTRODUCES.search(previous) or previous.endswith("`") and section.open_sentence:
            section.steps[-1] = (f"{previous}{',' if previous.endswith('`') else ''} {text}", previous_quote)
            section.open_sentence = True
            return
    section.open_sentence = False
    if not command and text.endswith("?"):
        return
    section.steps.append((f"Run {text}" if command else text, quote))


def _blocks(text: str) -> list[tuple[str, str, str]]:
    """Paragraphs, list items (with their wrapped lines) and fenced code, as ``(kind, raw text, code lang)``."""
    blocks: list[tuple[str, str, str]] = []
    current: list[str] = []
    kind = "para"
    lang = ""
    in_code = False

    def flush() -> None:
        nonlocal current
        if current:
            blocks.append((kind, "\n".join(current), lang))
        current = []

    for line in text.splitlines():
        stripped = line.strip()
        fence = re.match(r"^(`{3,}|~{3,})\s*([\w+-]*)", stripped)
        if fence:
            flush()
            if in_code:
                in_code, kind, lang = False, "para", ""
            else:
                in_code, kind, lang = True, "code", fence.group(2).lower()
            continue
        if in_code:
            current.append(line)
            continue
        item = _LIST_ITEM.match(line)
        if not stripped or stripped.startswith(("#", "|", "<", "!!!", "{%", "[^")) or re.match(r"^\[[^\]]+\]:", stripped):
            flush()
            kind = "para"
            continue
        if item:
            flush()
            kind = "item"
            if re.fullmatch(r"!?\[[^\]]*\]\([^)]*\)\.?", item.group(1).strip()):
                continue  # a bare link is a pointer, not a step
            current = [item.group(1)]
            continue
        current.append(stripped.lstrip("> ").strip())
    flush()
    return blocks


def _plain(text: str) -> str:
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = text.replace("**", "").replace("__", "")
    return " ".join(text.split()).strip()


def _is_instruction(sentence: str) -> bool:
    if re.match(r"(?i)^(if|when|once|after|before|to)\b[^,]{3,80},\s*", sentence):
        sentence = sentence.split(",", 1)[1]  # "If X, add Y" instructs as much as "Add Y"
    words = re.findall(r"[A-Za-z']+", sentence.lower())
    if not words:
        return False
    if words[0] in _IMPERATIVE or words[0] == "please" and len(words) > 1 and words[1] in _IMPERATIVE:
        return True
    return bool(re.search(r"(?i)\b(you must|you should|make sure|be sure to|remember to)\b", sentence))


# --------------------------------------------------------------------------- lessons


def doc_lessons(docs: list[DocDigest]) -> list[Lesson]:
    """Lessons for every document, each targeted at the skill of its collection."""
    lessons: list[Lesson] = []
    for skill, members in _collections(docs).items():
        for doc in members:
            if doc.runbook and _section(doc, "diagnosis", "mitigation"):
                lessons.extend(_runbook(doc, skill))
            else:
                lessons.extend(_procedures(doc, skill, several=len(members) > 1))
            lessons.extend(_guardrails(doc, skill))
    return lessons


def _collections(docs: list[DocDigest]) -> dict[str, list[DocDigest]]:
    runbooks = [d for d in docs if d.runbook]
    groups: dict[str, list[DocDigest]] = {}
    if runbooks:
        groups[f"{_topic(runbooks)}-runbooks"] = runbooks
    for doc in sorted((d for d in docs if not d.runbook), key=lambda d: d.source):
        groups.setdefault(_doc_skill(doc), []).append(doc)
    return groups


def _topic(docs: list[DocDigest]) -> str:
    parents = {PurePath(d.source).parent.name.lower() for d in docs}
    if len(parents) == 1:
        parent = slug(parents.pop())
        if parent and parent not in GENERIC_DIRS and "runbook" not in parent:
            return parent
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(d.words))
    total = sum((d.words for d in docs), Counter())
    need = max(2, math.ceil(len(docs) * 0.6))
    ranked = sorted((w for w, n in df.items() if n >= need), key=lambda w: (-df[w], -total[w], w))
    return slug(ranked[0]) if ranked else "alert"


def _doc_skill(doc: DocDigest) -> str:
    stem = PurePath(doc.source).stem
    project = ""
    if "_" in stem:
        project = slug(stem.split("_", 1)[0])
    if not project or project in GENERIC_DIRS:
        parent = slug(PurePath(doc.source).parent.name)
        project = parent if parent and parent not in GENERIC_DIRS else ""
    text = f"{stem} {doc.title}".lower()
    kind = next((k for k, pattern in (("contributing", "contribut"), ("installation", "install"), ("setup", "setup"),
                                      ("release", "release"), ("deployment", "deploy"), ("testing", "test"))
                 if pattern in text), "")
    if not kind:
        kind = slug(doc.title, 30) or slug(stem, 30) or "guide"
    if project and kind.startswith(project):
        return kind
    return f"{project}-{kind}" if project else kind


def _section(doc: DocDigest, *names: str) -> list[Section]:
    return [s for s in doc.sections if s.heading.lower() in names]


def _summary(steps: list[tuple[str, str]], limit: int = 2) -> str:
    preferred = [s for s in steps if s[0].startswith("Run `") or _is_instruction(s[0])] or steps
    picked = [text.rstrip(".") for text, _ in preferred[:limit]]
    return "; ".join(picked)


def _runbook(doc: DocDigest, skill: str) -> list[Lesson]:
    meaning = next((s for s in _section(doc, "meaning")), None)
    first_sentence = ""
    if meaning is not None:
        prose = _plain(re.sub(r"```.*?```", " ", meaning.text, flags=re.DOTALL))
        first_sentence = re.split(r"(?<=[.!?])\s+", prose, maxsplit=1)[0].rstrip(".")
    diagnosis = [step for s in _section(doc, "diagnosis") for step in s.steps]
    mitigation = [step for s in _section(doc, "mitigation") for step in s.steps]
    if not diagnosis and not mitigation:
        return []
    parts = [f"When **{doc.name}** fires"]
    if diagnosis:
        parts.append(f"diagnose: {_summary(diagnosis)}")
    if mitigation:
        parts.append(f"mitigate: {_summary(mitigation, 1)}")
    lines = [", ".join(parts[:1]) + ": " + "; then ".join(parts[1:]) + "."]
    if first_sentence:
        lines.append(f"Meaning: {first_sentence}.")
    for label, steps in (("Diagnosis", diagnosis), ("Mitigation", mitigation)):
        if steps:
            lines.append(f"{label}:")
            lines.extend(f"{n}. {text}" for n, (text, _) in enumerate(steps, start=1))
    evidence = [doc.evidence(s.step, quote) for s in doc.sections for text, quote in s.steps[:2]
                if s.heading.lower() in ("diagnosis", "mitigation")]
    return [_lesson("procedure", f"{doc.name} runbook", "\n".join(lines), skill, "runbooks", evidence, doc)]


def _procedures(doc: DocDigest, skill: str, several: bool = False) -> list[Lesson]:
    lessons = []
    for section in doc.sections:
        steps = [s for s in section.steps if not _GUARD.search(s[0]) or s[0].startswith("Run `")]
        procedural = section.procedural or any(t.startswith("Run `") for t, _ in steps)
        if len(steps) < 2 and not (procedural and steps):
            continue
        heading = section.heading or doc.title
        label = heading if not several else f"{doc.title}: {heading}"
        lines = [f"**{label}** ({len(steps)} step{'s' if len(steps) > 1 else ''}):"]
        lines.extend(f"{n}. {text}" for n, (text, _) in enumerate(steps, start=1))
        evidence = [doc.evidence(section.step, quote) for _, quote in steps[:3]]
        lessons.append(_lesson("procedure", f"{doc.title}: {heading}", "\n".join(lines), skill, "procedure",
                               evidence, doc, order=section.step))
    return lessons


def _guardrails(doc: DocDigest, skill: str) -> list[Lesson]:
    lessons = []
    seen: set[str] = set()
    for section in doc.sections:
        for text, quote in section.guards:
            key = text.lower()
            if key in seen or len(text) > 260:
                continue
            seen.add(key)
            lessons.append(_lesson("guardrail", text[:120], text, skill, "guardrails",
                                   [doc.evidence(section.step, quote)], doc, order=section.step))
    return lessons


def _lesson(kind: str, title: str, body: str, skill: str, section: str, evidence: list[Evidence],
            doc: DocDigest, order: int = 0) -> Lesson:
    tags = {f"section:{section}", "source:document", "scope:project", f"order:{doc.source}#{order:04d}"}
    return Lesson(kind=kind, title=title, body=body, target_skill=skill, evidence=evidence or [doc.evidence(0, "")],
                  support=1, tags=sorted(tags))
