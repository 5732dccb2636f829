"""Known issues from tickets: similar reports clustered (TF-IDF cosine, deterministic), each cluster one
``triage`` lesson (symptom -> the resolution that closed it), its depth in ``references/<project>.md``.

Rule lines name the symptom and the kind of fix in words and code spans (function names), never ticket
ids, paths or customer data; the files a patch touched, the tests that proved it and the added lines go
to the detail paragraphs, which the renderer puts into the project's reference file (``ref:`` tag).
Unresolved tickets become pitfalls: what not to promise, with the last reply as evidence.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import PurePath

from skillforge.distill.heuristic.ticket_digest import Change, TicketDigest, error_of, mask
from skillforge.models import Lesson
from skillforge.skills.rules import inline_code

__all__ = ["SIMILARITY", "clusters", "known_issue_lessons", "open_ticket_lessons"]

SIMILARITY = 0.3
"""Cosine similarity above which two tickets describe the same problem."""
_GUARD = re.compile(r"^\s*(?:el)?if\s+(?P<cond>.+?):\s*$")
_GUARD_WORDS = re.compile(r"\bNone\b|==\s*0\b|\bnot\b|\blen\(|\bin\b|\bis\b|<=?\s*0\b")
_DEF = re.compile(r"^\s*(?:async\s+)?(?:def|func|function|fn)\s+(?P<name>\w+)\s*\(")
_COMMENT = ("#", "//", '"""', "'''", "*")
_GREETING = re.compile(r"(?i)^(thanks?|thank you|hi|hello|hey|sounds good|number \d|\+1|lgtm|great|nice|ok)\b")
_TECHNICAL = re.compile(r"(?i)(`|\(\)|\bshould\b|\bcould\b|\bwould\b|\breplace|\binstead\b|\bbecause\b|\bfix)")
_STATUS_PHRASE = {
    "wont_fix": "closed as won't fix", "wontfix": "closed as won't fix", "won_t_fix": "closed as won't fix",
    "rejected": "closed as rejected", "cannot_reproduce": "closed as not reproducible",
    "won_t_do": "closed as won't do", "wont_do": "closed as won't do", "declined": "closed as declined",
    "duplicate": "closed as a duplicate", "not_a_bug": "closed as not a bug", "obsolete": "closed as obsolete",
    "incomplete": "closed as incomplete", "abandoned": "closed as abandoned", "cancelled": "closed as cancelled",
    "canceled": "closed as cancelled", "not_fixed": "closed without a fix", "unresolved": "still unresolved",
}

Keywords = Callable[[list[TicketDigest]], list[str]]


def _vectorize(digests: list[TicketDigest]) -> None:
    df: Counter[str] = Counter()
    for d in digests:
        df.update(set(d.tokens))
    n = len(digests)
    for d in digests:
        weights = {t: c * math.log((1 + n) / (1 + df[t])) + c * 0.01 for t, c in d.tokens.items()}
        norm = math.sqrt(sum(w * w for w in weights.values())) or 1.0
        d.vector = {t: w / norm for t, w in weights.items()}


def _cosine(a: dict[str, float], b: dict[str, float]) -> float:
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(t, 0.0) for t, w in a.items())


def clusters(digests: list[TicketDigest]) -> list[list[TicketDigest]]:
    """Single-link clusters of similar tickets within each project, in a stable order."""
    _vectorize(digests)
    out: list[list[TicketDigest]] = []
    by_project: dict[str, list[TicketDigest]] = defaultdict(list)
    for d in sorted(digests, key=lambda d: (d.project, d.trace_id)):
        by_project[d.project].append(d)
    for members in by_project.values():
        parent = list(range(len(members)))
        for i in range(len(members)):
            for j in range(i + 1, len(members)):
                if _cosine(members[i].vector, members[j].vector) >= SIMILARITY:
                    parent[_root(parent, j)] = _root(parent, i)
        groups: dict[int, list[TicketDigest]] = defaultdict(list)
        for i, d in enumerate(members):
            groups[_root(parent, i)].append(d)
        out.extend(groups[k] for k in sorted(groups))
    return out


def _root(parent: list[int], i: int) -> int:
    """Union-find root of ``i`` (with path halving)."""
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def known_issue_lessons(skill: str, groups: list[list[TicketDigest]], keywords: Keywords) -> list[Lesson]:
    """One ``triage`` lesson per cluster that has a resolved ticket."""
    lessons = []
    for cluster in groups:
        resolved = [d for d in cluster if d.resolved]
        if resolved:
            lessons.append(_known_issue(skill, cluster, resolved, keywords(cluster)))
    return lessons


def _known_issue(skill: str, cluster: list[TicketDigest], resolved: list[TicketDigest], words: list[str]) -> Lesson:
    lead = resolved[0]
    symptom = _symptom(lead)
    details: list[str] = []
    if lead.repo:
        fix = _fix_summary(lead.changes)
        article = "an" if lead.project[:1] in "aeiou" else "a"
        rule = f"When {article} {lead.project} report says {symptom}, {fix}" if fix else (
            f"When {article} {lead.project} report says {symptom}, start from the fix described in the reference.")
        lines = [rule]
        details.append(f"Report: “{lead.subject}” ({lead.ticket_id}).")
        if lead.resolution_quote:
            details.append(f"Resolution: {lead.resolution_quote}.")
        tests = sorted({t for d in resolved for t in d.tests})
        if tests:
            details.append("Verified by the tests that failed before the fix: "
                           + ", ".join(inline_code(t, 120) for t in tests[:3]) + ".")
        added = _added_lines(lead.changes)
        if added:
            details.append("The fix added: " + "; ".join(inline_code(line, 100) for line in added) + ".")
    else:
        steps = _steps(lead.resolution)
        if len(steps) > 1:
            lines = [f"When a customer reports {symptom}, resolve it with the steps that closed it before:"]
            lines.extend(f"{n}. {step}" for n, step in enumerate(steps, start=1))
        else:
            lines = [f"When a customer reports {symptom}: {steps[0] if steps else 'see the resolution in the reference'}."]
        details.append(f"Ticket {lead.ticket_id}: “{mask(lead.subject)}”" + (f" ({lead.status})." if lead.status else "."))
    for d in resolved[:3]:
        note = _useful_sentence(" ".join(text for _, text in d.replies))
        if note:
            details.append(f"{'Maintainer' if d.repo else 'Support'} note: {note}")
    others = sorted({d.subject for d in cluster if d is not lead})[:3]
    if others:
        details.append("Similar reports: " + "; ".join(f"“{s}”" for s in others) + ".")
    evidence = [d.evidence(d.resolution_step, d.resolution_quote) for d in resolved if d.resolution_step is not None]
    return Lesson(
        kind="recovery", title=f"{lead.project}: {lead.subject}", body="\n".join([*lines, *details]),
        target_skill=skill, evidence=evidence, support=len({d.trace_id for d in cluster}),
        helpful=len({d.trace_id for d in resolved}), harmful=0,
        tags=sorted({"section:triage", "source:ticket", f"area:{lead.project}", "scope:project", f"ref:{lead.project}",
                     *(f"keyword:{w}" for w in words)}),
    )


def open_ticket_lessons(skill: str, digests: list[TicketDigest], keywords: Keywords) -> list[Lesson]:
    """Tickets closed without a fix (open, escalated, won't fix): what not to promise, as pitfalls."""
    lessons = []
    for d in digests:
        if d.resolved or d.success is not False:
            continue
        status = re.sub(r"[^a-z]+", "_", d.status.lower()).strip("_")
        phrase = _STATUS_PHRASE.get(status, "still open")
        last = d.replies[-1] if d.replies else None
        lines = [f"Do not promise a fix when a customer reports {_symptom(d)}: an earlier report is {phrase}."]
        if last:
            lines.append(f"Last reply on {d.ticket_id}: “{last[1][:200]}”")
        evidence = [d.evidence(last[0], last[1])] if last else [d.evidence(None, d.subject)]
        lessons.append(Lesson(
            kind="pitfall", title=f"{d.project}: unresolved {d.subject}", body="\n".join(lines), target_skill=skill,
            evidence=evidence, support=1, helpful=0, harmful=1,
            tags=sorted({"section:pitfalls", "source:ticket", f"area:{d.project}", "scope:project", f"ref:{d.project}",
                         *(f"keyword:{w}" for w in keywords([d]))}),
        ))
    return lessons


def _symptom(d: TicketDigest) -> str:
    """How the rule names the problem: the quoted error when the report has one, else its subject."""
    error = error_of(d)
    text = error if error and len(error) <= 120 else d.subject
    return inline_code(mask(text), 120) if error and text == error else f"“{mask(text)}”"


def _fix_summary(changes: list[Change]) -> str:
    """What the patch did, in words and code spans: new functions, guards added, functions changed."""
    if not changes:
        return ""
    new = [m.group("name") for c in changes for line in c.added if (m := _DEF.match(line))]
    guards = [m.group("cond") for c in changes for line in c.added
              if (m := _GUARD.match(line)) and _GUARD_WORDS.search(m.group("cond"))]
    where = _where(changes)
    if new:
        return f"add {', '.join(inline_code(n + '()') for n in dict.fromkeys(new[:3]))}{where}."
    if guards:
        return f"add a guard {inline_code('if ' + guards[0] + ':', 80)}{where}, so the missing or empty case is handled."
    contexts = [n for c in changes for n in c.contexts]
    if contexts:
        return f"change {', '.join(inline_code(n + '()') for n in dict.fromkeys(contexts[:2]))}{where}."
    return f"change the code{where}."


def _where(changes: list[Change]) -> str:
    """`` in `as_string.py` `` — the module's file name, never its path (the path is in the reference)."""
    names = list(dict.fromkeys(PurePath(c.path).name for c in changes))
    if len(names) > 2:
        return f" across {len(names)} modules"
    return " in " + " and ".join(inline_code(n) for n in names)


def _steps(resolution: str) -> list[str]:
    """The resolution as short imperative-ish clauses, masked: ``Refunded X; told Y.`` -> two steps."""
    first = " ".join(ln.strip() for ln in resolution.splitlines() if ln.strip())
    parts: list[str] = []
    for part in (p.strip(" .") for p in re.split(r"(?<=[.!?])\s+|;\s+", first)):
        if part and parts and _EXPLAINS.match(part):
            parts[-1] += "; " + part  # "it runs as a job and e-mails the file" says what the step does
        elif part:
            parts.append(part)
    return [_code_spans(mask(p))[:240] for p in parts[:6]]


_EXPLAINS = re.compile(r"^(?:it|this|that|which|they|these|those|so|because|as|since)\b")
"""A clause that explains the one before it rather than being a step of its own (lower case only)."""


_COMMAND = re.compile(
    r"(?<![\w`])(?:sudo\s+)?(?:curl|wget|rm|pip3?|npm|npx|yarn|apt(?:-get)?|brew|kubectl|systemctl|docker|git|bash|sh|"
    r"chmod|chown|powershell|iex|ssh|scp|psql|mysql|python3?)\s+\S.*$"
)


def _code_spans(text: str) -> str:
    """A resolution clause with any shell command in it as inline code, never as bare prose."""
    match = _COMMAND.search(text)
    if not match or "`" in text:
        return text
    return text[: match.start()] + inline_code(match.group(0).rstrip(" ."), 160)


def _useful_sentence(text: str) -> str:
    """The first sentence of a thread that carries a technical point (not a greeting)."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        sentence = " ".join(sentence.split())
        if 20 <= len(sentence) <= 240 and not _GREETING.match(sentence) and _TECHNICAL.search(sentence):
            return sentence
    return ""


def _added_lines(changes: list[Change], limit: int = 3) -> list[str]:
    """The first meaningful lines a patch added (what the fix looked like)."""
    added: list[str] = []
    for change in changes:
        for line in change.added:
            code = line.strip()
            letters = sum(c.isalnum() for c in code)
            if len(code) >= 8 and letters * 2 >= len(code) and not code.startswith(_COMMENT) and code not in added:
                added.append(code)
            if len(added) >= limit:
                return added
    return added
