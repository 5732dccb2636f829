"""Lessons from tickets: similar problems clustered (TF-IDF cosine, deterministic) with how they were resolved.

A ticket arrives as a Trace of kind ``ticket``: ``task`` is subject + body, the steps are the thread,
and the last ``Resolution:`` step says how it was solved. Each cluster becomes one rule: "when a report
looks like this, this is what resolved it", with the files a fix touched and the tests that proved it.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import PurePath

from skillforge.distill.actions import error_line
from skillforge.distill.area import detect_area, slug
from skillforge.distill.lessons import inline_code
from skillforge.models import Evidence, Lesson, Trace

__all__ = ["TicketDigest", "ticket_digest", "ticket_lessons"]

SIMILARITY = 0.3
"""Cosine similarity above which two tickets describe the same problem."""
_STOP_TEXT = (
    "the and for with that this from are was were will can not you your have has had into when then than them they "
    "its also should must may might could would which what where there their about more some such only other each "
    "any been being does did done how why who all but use used using here like just get got please thanks thank "
    "hello issue problem error bug describe expected behavior actual steps reproduce version code following line "
    "file return none true false self def import print http https www com github"
)
_STOP = frozenset(_STOP_TEXT.split())


@dataclass
class TicketDigest:
    trace_id: str
    source: str
    area: str
    repo: bool
    subject: str
    symptom: str
    """The error line quoted in the report, if any."""
    symptom_step: int | None
    resolution: str
    resolution_step: int | None
    resolution_quote: str
    notes: list[tuple[int, str]]
    tests: list[str]
    success: bool | None
    vector: dict[str, float] = field(default_factory=dict)
    tokens: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)

    def evidence(self, step: int | None, quote: str) -> Evidence:
        return Evidence(trace_id=self.trace_id, step=step, quote=quote[:160], source=self.source)


def ticket_digest(trace: Trace) -> TicketDigest:
    """What clustering and the rules need from one ticket."""
    subject = next((line.strip() for line in trace.task.splitlines() if line.strip()), "")[:160]
    resolution, resolution_step, quote = "", None, ""
    notes: list[tuple[int, str]] = []
    for number, step in enumerate(trace.steps):
        text = step.text.strip()
        if text.startswith("Resolution:"):
            resolution_step = number
            resolution = text[len("Resolution:") :].strip()
            quote = next((ln.strip() for ln in resolution.splitlines() if ln.strip()), "")
        elif step.role == "assistant" and text:
            notes.append((number, text))
    symptom = error_line(trace.task) if re.search(r"Traceback|Error\b|Exception\b", trace.task) else ""
    repo_name = detect_area(trace)
    repo = bool(repo_name and trace.metadata.get("repo"))
    area = repo_name or _area_from_metadata(trace) or slug(PurePath(trace.source.path).stem) or "support"
    tests = [str(t) for t in trace.metadata.get("fail_to_pass", []) if isinstance(t, str)][:5]
    files = re.findall(r"(?:^|, |to )([\w./-]+\.\w+) \(\+\d+ -\d+\)", quote)
    tokens = Counter(_tokens(f"{subject} {subject} {trace.task[:3000]}"))
    return TicketDigest(
        trace_id=trace.id, source=trace.source.path, area=area, repo=repo, subject=subject,
        symptom=symptom if symptom and symptom in trace.task else "", symptom_step=None, resolution=resolution,
        resolution_step=resolution_step, resolution_quote=quote, notes=notes, tests=tests,
        success=trace.outcome.success, tokens=tokens, files=files,
    )


def _area_from_metadata(trace: Trace) -> str | None:
    for key in ("product", "project", "component", "queue", "category"):
        value = trace.metadata.get(key)
        if isinstance(value, str) and slug(value):
            return slug(value)
    return None


def _tokens(text: str) -> list[str]:
    words = re.findall(r"[a-z][a-z0-9_]{2,}", text.lower())
    return [w.rstrip("s") if len(w) > 4 else w for w in words if w not in _STOP]


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


def _clusters(digests: list[TicketDigest]) -> list[list[TicketDigest]]:
    """Single-link clusters within each area, in a stable order."""
    _vectorize(digests)
    out: list[list[TicketDigest]] = []
    by_area: dict[str, list[TicketDigest]] = defaultdict(list)
    for d in sorted(digests, key=lambda d: (d.area, d.trace_id)):
        by_area[d.area].append(d)
    for members in by_area.values():
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


def skill_for(d: TicketDigest) -> str:
    return f"{d.area}-issue-triage" if d.repo else (d.area if d.area.endswith("triage") else f"{d.area}-triage")


def ticket_lessons(digests: list[TicketDigest]) -> list[Lesson]:
    """One rule per cluster of similar tickets, plus the files resolutions touched most per area."""
    lessons = []
    for cluster in _clusters(digests):
        resolved = [d for d in cluster if d.resolution and d.success is not False]
        if not resolved:
            continue
        lessons.append(_cluster_lesson(cluster, resolved))
    lessons.extend(_file_lessons(digests))
    return lessons


def _cluster_lesson(cluster: list[TicketDigest], resolved: list[TicketDigest]) -> Lesson:
    lead = resolved[0]
    counts = Counter(_first_sentence(d.resolution) for d in resolved)
    resolution = min(counts, key=lambda r: (-counts[r], r))
    what = f"“{lead.subject}”" + (f" ({inline_code(lead.symptom, 100)})" if lead.symptom else "")
    others = len(cluster) - 1
    rule = f"When a report looks like {what}{f' ({others} similar)' if others else ''}: {resolution}."
    lines = [rule]
    tests = sorted({t for d in resolved for t in d.tests})
    if tests:
        lines.append("Verify with the tests that failed before the fix: " + ", ".join(inline_code(t, 120) for t in tests[:3]) + ".")
    change = _added_lines(lead.resolution)
    if change:
        lines.append("The fix added: " + "; ".join(inline_code(line, 100) for line in change) + ".")
    for d in resolved[:3]:
        note = _useful_sentence(" ".join(text for _, text in d.notes))
        if note:
            lines.append(f"Maintainer note: {note}")
    if len(counts) > 1:
        lines.append("Other resolutions seen: " + "; ".join(sorted(r for r in counts if r != resolution)[:3]) + ".")
    evidence = []
    for d in cluster:
        if d.resolution_step is not None:
            evidence.append(d.evidence(d.resolution_step, d.resolution_quote))
    return Lesson(
        kind="recovery", title=lead.subject, body="\n".join(lines), target_skill=skill_for(lead),
        evidence=evidence, support=len({d.trace_id for d in cluster}),
        tags=sorted({"section:triage", "source:ticket", f"area:{lead.area}", "scope:project"}),
    )


def _file_lessons(digests: list[TicketDigest]) -> list[Lesson]:
    per_area: dict[str, list[TicketDigest]] = defaultdict(list)
    for d in digests:
        if d.files and d.success is not False:
            per_area[skill_for(d)].append(d)
    lessons = []
    for skill, members in sorted(per_area.items()):
        if len(members) < 2:
            continue  # one ticket's files are already in its rule
        counts = Counter(f for d in members for f in set(d.files))
        ranked = sorted(counts, key=lambda f: (-counts[f], f))[:8]
        parts = ", ".join(f"{inline_code(f)} ({counts[f]} fix{'es' if counts[f] > 1 else ''})" for f in ranked)
        area = members[0].area
        evidence = [d.evidence(d.resolution_step, d.resolution_quote) for d in members]
        lessons.append(Lesson(
            kind="success_pattern", title=f"Files that resolved {area} reports", body=f"Fixes landed in: {parts}.",
            target_skill=skill, evidence=evidence, support=len(members),
            tags=sorted({"section:files", "source:ticket", f"area:{area}", "scope:project"}),
        ))
    return lessons


def _first_sentence(text: str) -> str:
    first = next((ln.strip() for ln in text.splitlines() if ln.strip()), "")
    return re.split(r"(?<=[.!?])\s+", first, maxsplit=1)[0].rstrip(".")[:240]


_GREETING = re.compile(r"(?i)^(thanks?|thank you|hi|hello|hey|sounds good|number \d|\+1|lgtm|great|nice|ok)\b")
_TECHNICAL = re.compile(r"(?i)(`|\(\)|\bshould\b|\bcould\b|\bwould\b|\breplace|\binstead\b|\bbecause\b|\bfix)")
_COMMENT_PREFIXES = ("#", "//", '"""', "'''", "*")


def _useful_sentence(text: str) -> str:
    """The first sentence of a thread that carries a technical point (not a greeting)."""
    for sentence in re.split(r"(?<=[.!?])\s+|\n+", text):
        sentence = " ".join(sentence.split())
        if 20 <= len(sentence) <= 240 and not _GREETING.match(sentence) and _TECHNICAL.search(sentence):
            return sentence
    return ""


def _added_lines(resolution: str, limit: int = 3) -> list[str]:
    """The first meaningful lines a patch added (what the fix looked like)."""
    added = []
    for line in resolution.splitlines():
        if line.startswith("+") and not line.startswith("+++"):
            code = line[1:].strip()
            letters = sum(c.isalnum() for c in code)
            if len(code) >= 8 and letters * 2 >= len(code) and not code.startswith(_COMMENT_PREFIXES) and code not in added:
                added.append(code)
        if len(added) >= limit:
            break
    return added
