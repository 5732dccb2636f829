"""The offline fake model's answers: queued ones first, then deterministic answers derived from the inputs.

A test scripts the model with ``queue("merge", answer)``: the next call of that task type gets
that answer (a pydantic model, a dict, or raw text to exercise the repair round). Without a queued
answer the fake derives one, with no canned text: an analyst answer quotes real lines of the steps
it was shown (through tool results or the step windows), a merge answer groups the lessons it was
given by their words, a plan answer routes rules to the existing skills it was given. The task
type and the inputs are read by name (``prompt_inputs``), never from the prompt's wording, so the
same inputs always get the same answer whatever the template says; the loopback HTTP server
serves the same answers. Imports nothing from litellm.
"""

from __future__ import annotations

import json
import re
import threading
from collections import Counter, deque
from typing import Any

from pydantic import BaseModel

from skillforge.skills.lint_text import jaccard, rule_tokens
from skillforge.testing import describe, lessons
from skillforge.testing.prompt_inputs import first_user, json_input, tag, task_kind, text_of

_STOP = frozenset(
    (
        "a", "an", "and", "are", "as", "at", "be", "been", "but", "by", "can", "do", "does", "for", "from",
        "has", "have", "how", "i", "if", "in", "into", "is", "it", "its", "me", "my", "not", "of", "on",
        "or", "our", "please", "so", "that", "the", "then", "there", "this", "to", "up", "us", "was", "we",
        "were", "what", "when", "where", "which", "will", "with", "you", "your", "fix", "make", "add",
        "use", "using", "should", "would", "could", "run", "file", "files", "code", "need", "needs",
        "failing", "fails", "failed", "error", "errors", "issue", "issues", "problem", "problems", "task",
        "tasks", "bug", "bugs", "sure", "want", "like", "help", "able", "just", "also",
    )
)
_INDEX_LINE = re.compile(r"^\[(\d+)\] ([^:\n]*?): (.*)$")
MIN_NEW_RULES = 3
READ_CHUNK = 12
"""Steps per ``read_steps`` call (the tool's own maximum)."""
READ_CALLS = 4
NEAR_DUPLICATE = 0.6
"""Token Jaccard (ids masked) from which two rules say the same thing, as ``skillforge lint`` counts."""
_SECTION_BY_KIND = {
    "failure_cause": "pitfalls",
    "pitfall": "pitfalls",
    "recovery": "recovery",
    "guardrail": "guardrails",
    "success_pattern": "procedure",
    "procedure": "procedure",
}

_QUEUE: dict[str, deque[str]] = {}
_QUEUE_LOCK = threading.Lock()


def queue(kind: str, *answers: BaseModel | dict[str, Any] | str) -> None:
    """Answer the next calls of task type ``kind`` (``Task.kind``: ``merge``, ``plan``...) with
    ``answers``, in order, before any derived answer; a str is sent as it is (malformed on purpose)."""
    texts = [
        a.model_dump_json() if isinstance(a, BaseModel) else a if isinstance(a, str) else json.dumps(a)
        for a in answers
    ]
    with _QUEUE_LOCK:
        _QUEUE.setdefault(kind, deque()).extend(texts)


def queued(kind: str) -> int:
    """How many answers are still queued for ``kind``."""
    with _QUEUE_LOCK:
        return len(_QUEUE.get(kind, ()))


def reset() -> None:
    """Forget every queued answer."""
    with _QUEUE_LOCK:
        _QUEUE.clear()


def _dequeue(kind: str | None) -> str | None:
    with _QUEUE_LOCK:
        waiting = _QUEUE.get(kind or "")
        return waiting.popleft() if waiting else None


def answer(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The fake's reply: ``{"content": str | None, "tool_calls": [{"id", "name", "arguments"}]}``."""
    kind = task_kind(messages)
    scripted = _dequeue(kind)
    if scripted is not None:
        return {"content": scripted, "tool_calls": []}
    prompt = first_user(messages)
    if kind == "analyst":
        return _analyst(prompt, messages, tools)
    if kind == "merge":
        return _content(_merge(prompt))
    if kind == "plan":
        return _content(_plan(prompt))
    if kind == "fix":
        return _content(describe.fix(tag(prompt, "name") or "", tag(prompt, "problems") or "",
                                     tag(prompt, "skill_md") or ""))
    from skillforge.testing import evolve  # evolve's task types; imported here because it imports us

    derived = evolve.answer(kind, prompt, messages)
    if derived is not None:
        return _content(derived)
    return _content({"answer": " ".join(prompt.split()[:20])})


def _content(value: dict[str, Any]) -> dict[str, Any]:
    return {"content": json.dumps(value, ensure_ascii=False, sort_keys=True), "tool_calls": []}


# --- analyst ---------------------------------------------------------------------------------


def _index(prompt: str) -> list[tuple[int, str, str]]:
    """``(step, label, snippet)`` rows of the outline's ERRORS and STEP INDEX sections."""
    rows = []
    for line in prompt.splitlines():
        match = _INDEX_LINE.match(line)
        if match:
            rows.append((int(match.group(1)), match.group(2), match.group(3)))
    return rows


def _analyst(prompt: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> dict[str, Any]:
    tool_results = [text_of(m) for m in messages if m.get("role") == "tool"]
    outline, windows = tag(prompt, "outline") or "", tag(prompt, "windows") or ""
    rows = _index(outline + "\n" + windows)
    errors = sorted({step for step, label, _ in rows if label.endswith("(error)")})
    if tools and not tool_results:
        n = max((step for step, _, _ in rows), default=0) + 1
        # Read the run in chunks (a model wants the calls' full arguments, which the index cuts),
        # and make sure the steps around the first error are among them.
        spans = [(start, min(n - 1, start + READ_CHUNK - 1)) for start in range(0, n, READ_CHUNK)][:READ_CALLS]
        if errors and errors[0] > spans[-1][1]:
            spans[-1] = (max(0, errors[0] - 2), min(n - 1, errors[0] + READ_CHUNK - 3))
        calls: list[tuple[str, dict[str, Any]]] = [("read_steps", {"start": a, "end": b}) for a, b in spans]
        if errors:
            calls.append(("grep_trace", {"pattern": "error|exception|traceback|failed"}))
        return {
            "content": None,
            "tool_calls": [
                {"id": f"call_{i}", "name": name, "arguments": json.dumps(args, sort_keys=True)}
                for i, (name, args) in enumerate(calls)
            ],
        }
    parsed = lessons.parse_outline(outline, windows, tool_results)
    found = lessons.lessons_for(parsed)
    summary = f"{'Failed' if parsed.failed else 'Completed'}: {' '.join(parsed.task.split()[:16]) or 'untitled task'}"
    return _content({"summary": summary[:600], "lessons": found})


# --- merge, plan, fix ------------------------------------------------------------------------


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP}


def _negative(text: str) -> bool:
    return bool(re.search(r"\b(never|don't|do not|avoid|must not|no longer)\b", text.lower()))


def _first_line(lesson: dict[str, Any]) -> str:
    body = str(lesson.get("body") or "").strip()
    return body.split("\n", 1)[0].strip() or str(lesson.get("title", ""))


def _merge(prompt: str) -> dict[str, Any]:
    """Near-duplicates (token Jaccard of the rule lines >= NEAR_DUPLICATE after masking ids, the
    measure ``skillforge lint`` uses) become one rule with every source; contradictions are recorded."""
    clusters: list[tuple[frozenset[str], list[dict[str, Any]]]] = []
    for lesson in json_input(prompt, "lessons"):
        tokens = rule_tokens(_first_line(lesson))
        title = rule_tokens(str(lesson.get("title", "")))
        for head, cluster in clusters:
            if tokens and (jaccard(tokens, head) >= NEAR_DUPLICATE
                           or jaccard(title, rule_tokens(str(cluster[0].get("title", "")))) >= NEAR_DUPLICATE):
                cluster.append(lesson)
                break
        else:
            clusters.append((tokens, [lesson]))
    rules, conflicts = [], []
    for _, cluster in clusters:
        # The side of a contradiction that more traces back wins; within it, the best supported rule.
        weight = {side: sum(int(les.get("support", 1)) for les in cluster if _negative(_first_line(les)) == side)
                  for side in (True, False)}
        side = max((True, False), key=lambda s: (weight[s], s))
        best = max((les for les in cluster if _negative(_first_line(les)) == side),
                   key=lambda les: (les.get("support", 1), len(str(les.get("body", ""))), -cluster.index(les)))
        opposed = [les for les in cluster if _negative(_first_line(les)) != _negative(_first_line(best))]
        agreeing = [les for les in cluster if les not in opposed]
        if opposed:
            conflicts.append(
                {
                    "kept": best["id"],
                    "dropped": [les["id"] for les in opposed],
                    "reason": f"'{best['title']}' contradicts '{opposed[0]['title']}'",
                }
            )
        rules.append(
            {
                "title": best["title"],
                "body": best.get("body") or best["title"],
                "kind": best.get("kind", "procedure"),
                "target_skill": best.get("target_skill", "general"),
                "sources": [les["id"] for les in agreeing],
            }
        )
    return {"rules": rules, "conflicts": conflicts}


def _plan(prompt: str) -> dict[str, Any]:
    existing = json_input(prompt, "existing")
    rules = json_input(prompt, "rules")
    listed = tag(prompt, "sections") or ""
    keys = {line.split(":", 1)[0].strip("- ").strip() for line in listed.splitlines() if ":" in line}
    chosen: dict[str, str] = {}
    for rule in rules:
        target = str(rule.get("target_skill", "general"))
        words = content_words(target.replace("-", " ") + " " + str(rule.get("title", "")))
        match = next((s["name"] for s in existing if s.get("name") == target), None)
        if match is None:
            scored = [(len(words & content_words(s.get("name", "").replace("-", " "))), s["name"]) for s in existing]
            scored = [x for x in scored if x[0] > 0]
            match = max(scored)[1] if scored else None
        chosen[rule["id"]] = match or target
    # A new skill needs at least MIN_NEW_RULES rules; thinner ones join one general skill per area
    # suffix ("agent-troubleshooting"), as a person would rather than create a dozen one-rule skills.
    known = {s.get("name") for s in existing}
    sizes = Counter(chosen.values())
    thin = sorted(n for n in sizes if n not in known and sizes[n] < MIN_NEW_RULES)
    by_suffix: dict[str, list[str]] = {}
    for name in thin:
        by_suffix.setdefault(name.rsplit("-", 1)[-1] if "-" in name else "lessons", []).append(name)
    for suffix, names in by_suffix.items():
        if len(names) > 1:  # several thin skills of one activity become one ("agent-troubleshooting")
            chosen = {rid: f"agent-{suffix}" if n in names else n for rid, n in chosen.items()}
    # Still too thin: join the nearest bigger skill (most shared name words, then size), if any is near.
    sizes = Counter(chosen.values())
    for small in sorted(n for n in sizes if n not in known and sizes[n] < MIN_NEW_RULES):
        words = set(small.split("-")) - {"agent"}
        near = [(len(words & set(n.split("-"))), sizes[n], n) for n in sizes
                if n != small and (n in known or sizes[n] >= MIN_NEW_RULES)]
        near = [x for x in near if x[0] > 0]
        if near:
            target = max(near)[2]
            chosen = {rid: target if n == small else n for rid, n in chosen.items()}
    new: dict[str, list[str]] = {}
    assignments = []
    for rule in rules:
        name = chosen[rule["id"]]
        if name not in known:
            new.setdefault(name, []).append(str(rule.get("title", "")))
        section = "triage" if name.endswith("triage") else _SECTION_BY_KIND.get(str(rule.get("kind", "")), "other")
        assignments.append({"rule": rule["id"], "skill": name, "section": section if section in keys else "other"})
    descriptions = describe.describe_all(new)
    new_skills = [{"name": name, "description": descriptions[name]} for name in sorted(new)]
    return {"new_skills": new_skills, "assignments": assignments}

