"""The offline fake model's answers to evolve's tasks (Failure Analyzer, Diagnostician, Optimizer,
corrections): deterministic, schema-valid and derived from the inputs by name, like ``answers``.

- failure: the last error step of the run, quoted verbatim; the skill section whose words overlap
  the task and error most ("followed"), or none ("missing"); the fix is the error's own words.
- diagnosis: failures whose fix/cause share most of their words form one cluster.
- optimizer: per cluster, a rule appended to its section, a misleading rule reworded in place, or
  a ``Guardrails`` section; a fix round for a too long SKILL.md moves the rules to references/.
- correction: "... instead of Z" rewords the skill line that Z names — or, when no line does,
  quotes Z itself as the text to replace (so a missing anchor is reported, as for a real model).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

from skillforge.testing import answers as base
from skillforge.testing import lessons
from skillforge.testing.prompt_inputs import json_input, tag, text_of

NOTES_FILE = "references/evolve-notes.md"
_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
# The body fence of ``evolve.edits.skill_view``: the data format of the <skill> input.
_SKILL_FENCE = re.compile(r"^````markdown\n(.*?)\n````", re.DOTALL | re.MULTILINE)


def answer(kind: str | None, prompt: str, messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The answer for an evolve task of type ``kind``, or None when ``kind`` is not one."""
    if kind == "evolve-failure":
        return _failure(prompt)
    if kind == "evolve-diagnose":
        return _diagnosis(prompt)
    if kind == "evolve-optimize":
        return _optimize(prompt, messages)
    if kind == "correct":
        return _correction(prompt)
    return None


def _skill(prompt: str) -> dict[str, list[str]]:
    """Section heading → its lines, from the SKILL.md body in the task's <skill> input."""
    match = _SKILL_FENCE.search(tag(prompt, "skill") or "")
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in (match.group(1) if match else "").splitlines():
        heading = _HEADING.match(line)
        if heading:
            current = found.setdefault(" ".join(heading.group(1).split()), [])
        elif current is not None and line.strip():
            current.append(line.strip())
    return found


def _item(line: str) -> str:
    return re.sub(r"^([-*+]|\d+\.)\s+", "", line).strip()


def _best(words: set[str], sections: dict[str, list[str]]) -> tuple[str | None, str | None]:
    """(section, line) whose words overlap ``words`` most; (None, None) when nothing overlaps."""
    best: tuple[int, str | None, str | None] = (0, None, None)
    for heading, lines in sections.items():
        for line in lines or [heading]:
            score = len(words & base.content_words(heading + " " + line))
            if score > best[0]:
                best = (score, heading, _item(line) if lines else None)
    return best[1], best[2]


def _sentence(text: str) -> str:
    text = " ".join(text.split()).rstrip(".")
    return (text[:1].upper() + text[1:] + ".") if text else text


# --- Failure Analyzer ---------------------------------------------------------------------------


def _failure(prompt: str) -> dict[str, Any]:
    parsed = lessons.parse_outline(tag(prompt, "outline") or "", tag(prompt, "windows") or "")
    errors = sorted(i for i, s in parsed.steps.items() if s.is_error)
    step = errors[-1] if errors else max(parsed.steps, default=0)
    body = parsed.steps[step].text if step in parsed.steps else ""
    quote = lessons.quote_of(body, error=bool(errors)) or "the run ended without success"
    task = parsed.task
    section, rule = _best(base.content_words(task + " " + quote), _skill(prompt))
    return {
        "step": step,
        "cause": quote[:400],
        "attribution": "followed" if section else "missing",
        "section": section,
        "rule": rule,
        "fix": quote[:400],
        "evidence": [{"step": step, "quote": quote}] if len(quote) >= 8 else [],
    }


# --- Diagnostician ------------------------------------------------------------------------------


def _diagnosis(prompt: str) -> dict[str, Any]:
    failures = json_input(prompt, "failures")
    groups: list[list[dict[str, Any]]] = []
    for failure in failures:
        words = base.content_words(str(failure.get("fix") or failure.get("cause", "")))
        for group in groups:
            other = base.content_words(str(group[0].get("fix") or group[0].get("cause", "")))
            if words and other and len(words & other) / len(words | other) >= 0.6:
                group.append(failure)
                break
        else:
            groups.append([failure])
    clusters = []
    for group in groups:
        head = group[0]
        sections = Counter(str(f["section"]) for f in group if f.get("section"))
        clusters.append(
            {
                "failures": [f["id"] for f in group],
                "cause": str(head.get("cause") or "failure"),
                "section": sections.most_common(1)[0][0] if sections else None,
                "attribution": head.get("attribution") or "missing",
                "fix": str(head.get("fix") or head.get("cause") or "failure"),
            }
        )
    return {"clusters": clusters}


# --- Optimizer ----------------------------------------------------------------------------------


def _optimize(prompt: str, messages: list[dict[str, Any]]) -> dict[str, Any]:
    sections = _skill(prompt)
    # A fix round (possibly followed by a repair round): answer the latest fix request, the user
    # turn after the first that carries <problems>.
    fixes = [
        (i, problems)
        for i, m in enumerate(messages)
        if i and m.get("role") == "user" and (problems := tag(text_of(m), "problems")) is not None
    ]
    if fixes:
        at, problems = fixes[-1]
        previous = json.loads(text_of(messages[at - 1]) or "{}")
        return _optimize_fix(previous.get("edits", []), problems, sections)
    clusters = json_input(prompt, "clusters")
    present = " ".join(" ".join(lines) for lines in sections.values())
    edits: list[dict[str, Any]] = []
    guardrails: list[str] = []
    guardrail_ids: list[str] = []
    for cluster in clusters:
        text = _sentence(str(cluster.get("fix") or cluster.get("cause", "")))
        if not text or text.rstrip(".") in present:
            continue
        section, rule, cid = cluster.get("section"), cluster.get("rule"), cluster["id"]
        reason = str(cluster.get("cause", ""))[:400]
        if cluster.get("attribution") == "misleading" and section and rule:
            edits.append(
                {
                    "op": "replace_in_section",
                    "heading": section,
                    "old": rule,
                    "new": text,
                    "clusters": [cid],
                    "reason": reason,
                }
            )
        elif section in sections:
            edits.append(
                {
                    "op": "append_to_section",
                    "heading": section,
                    "content": f"- {text}",
                    "clusters": [cid],
                    "reason": reason,
                }
            )
        else:
            guardrails.append(f"- {text}")
            guardrail_ids.append(cid)
    if guardrails:
        content = "\n".join(guardrails)
        edit = (
            {"op": "append_to_section", "heading": "Guardrails", "content": content}
            if "Guardrails" in sections
            else {"op": "add_section", "heading": "Guardrails", "content": content}
        )
        edits.append({**edit, "clusters": guardrail_ids, "reason": "failures the skill says nothing about"})
    return {"edits": edits, "notes": f"{len(edits)} edit(s) for {len(clusters)} cluster(s)"}


def _optimize_fix(
    previous: list[dict[str, Any]], problems: str, sections: dict[str, list[str]]
) -> dict[str, Any]:
    if "under references/" not in problems:
        named = {int(n) for n in re.findall(r"edit (\d+) \(", problems)}
        return {
            "edits": [e for i, e in enumerate(previous) if i not in named],
            "notes": "dropped the broken edits",
        }
    if any(e.get("file") == NOTES_FILE for e in previous):
        return {"edits": previous, "notes": "the rules are already in references/"}
    # SKILL.md grew too long: the new rules move to a reference file, and the last line of the section
    # they were meant for points to it, so SKILL.md does not grow at all.
    rules = [str(e.get("content") or e.get("new") or "") for e in previous if e.get("op") != "create_file"]
    ids = sorted({c for e in previous for c in e.get("clusters", [])})
    target = next((e["heading"] for e in previous if sections.get(e.get("heading", ""))), None)
    target = target or next((h for h, lines in reversed(sections.items()) if lines), None)
    note = {
        "op": "create_file",
        "file": NOTES_FILE,
        "content": "# Rules learned from failed runs\n\n" + "\n".join(r for r in rules if r.strip()) + "\n",
        "clusters": ids,
        "reason": "keep SKILL.md short",
    }
    if target is None:
        link = {"op": "add_section", "heading": "Guardrails", "content": f"- Read {NOTES_FILE}."}
    else:
        last = _item(sections[target][-1])
        link = {
            "op": "replace_in_section",
            "heading": target,
            "old": last,
            "new": f"{last.rstrip('.')}. Read {NOTES_FILE} for rules learned from failed runs.",
        }
    return {
        "edits": [note, {**link, "clusters": ids, "reason": "point to the moved rules"}],
        "notes": "moved the new rules to references/",
    }


# --- corrections --------------------------------------------------------------------------------


def _correction(prompt: str) -> dict[str, Any]:
    correction = " ".join((tag(prompt, "correction") or "").split())
    sections = _skill(prompt)
    section, _ = _best(base.content_words(correction), sections)
    section = section or (list(sections)[-1] if sections else None)
    summary = _sentence(correction)
    if section is None:
        return {
            "section": None,
            "summary": summary[:300],
            "edits": [{"op": "add_section", "heading": "Rules", "content": f"- {summary}"}],
        }
    instead = re.search(r"\binstead of\b(.+)$", correction, re.IGNORECASE)
    if not instead:
        return {
            "section": section,
            "summary": summary[:300],
            "edits": [{"op": "append_to_section", "heading": section, "content": f"- {summary}"}],
        }
    named = instead.group(1).strip(" .")
    words = base.content_words(named)
    scored = [
        (len(words & base.content_words(line)), heading, _item(line))
        for heading, lines in sections.items()
        for line in lines
    ]
    scored = [s for s in scored if words and s[0] / len(words) >= 0.5]
    if scored:
        _, section, old = max(scored, key=lambda s: (s[0], s[1] == section))
        new = old.rstrip(".") + "; " + correction[:1].lower() + correction[1:].rstrip(".") + "."
    else:
        old, new = named, summary  # the person's own words as the anchor: not in the skill, so reported
    return {
        "section": section,
        "summary": summary[:300],
        "edits": [{"op": "replace_in_section", "heading": section, "old": old, "new": new}],
    }
