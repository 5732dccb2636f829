"""The offline fake model's answers: deterministic, schema-valid and derived from the prompt it gets.

No canned text: an analyst answer quotes real lines of the steps it was shown (through tool
results or the step windows), a merge answer groups the lessons it was given by their words, a
plan answer routes rules to the existing skills named in the prompt. Pure functions of the
messages, so the same prompt always gets the same answer, and the loopback HTTP server in the
tests can serve them too. Imports nothing from litellm.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

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
_BLOCK = re.compile(r"^=== \[(\d+)\] (.*?) ===$", re.MULTILINE)
_INDEX_LINE = re.compile(r"^\[(\d+)\] ([^:\n]*?): (.*)$")
_JSON_BLOCK = re.compile(r"```json\n(.*?)\n```", re.DOTALL)
MIN_NEW_RULES = 3
_SECTION_BY_KIND = {
    "failure_cause": "pitfalls",
    "pitfall": "pitfalls",
    "recovery": "recovery",
    "guardrail": "guardrails",
    "success_pattern": "procedure",
    "procedure": "procedure",
}


def answer(messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The fake's reply: ``{"content": str | None, "tool_calls": [{"id", "name", "arguments"}]}``."""
    prompt = _text(_first_user(messages))
    if "AnalystAnswer" in prompt:
        return _analyst(prompt, messages, tools)
    if "MergeAnswer" in prompt:
        return _content(_merge(prompt))
    if "PlanAnswer" in prompt:
        return _content(_plan(prompt))
    if "FixAnswer" in prompt:
        return _content(_fix(prompt))
    from skillforge.llm import fake_evolve  # evolve's prompt kinds; imported here because it imports us

    evolve = fake_evolve.answer(prompt, messages)
    if evolve is not None:
        return _content(evolve)
    return _content({"answer": " ".join(prompt.split()[:20])})


def _content(value: dict[str, Any]) -> dict[str, Any]:
    return {"content": json.dumps(value, ensure_ascii=False, sort_keys=True), "tool_calls": []}


def _text(message: dict[str, Any] | None) -> str:
    if not message:
        return ""
    content = message.get("content")
    if isinstance(content, list):
        return "\n".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return str(content or "")


def _first_user(messages: list[dict[str, Any]]) -> dict[str, Any] | None:
    return next((m for m in messages if m.get("role") == "user"), None)


# --- analyst ---------------------------------------------------------------------------------


def _outline_field(prompt: str, name: str) -> str:
    match = re.search(rf"^{name}: (.*)$", prompt, re.MULTILINE)
    return match.group(1).strip() if match else ""


def _index(prompt: str) -> list[tuple[int, str, str]]:
    """``(step, label, snippet)`` rows of the outline's ERRORS and STEP INDEX sections."""
    rows = []
    for line in prompt.splitlines():
        match = _INDEX_LINE.match(line)
        if match:
            rows.append((int(match.group(1)), match.group(2), match.group(3)))
    return rows


def _blocks(texts: list[str]) -> dict[int, tuple[str, str]]:
    """Step text blocks (``=== [i] label ===``) from tool results or the STEP WINDOWS section."""
    found: dict[int, tuple[str, str]] = {}
    for text in texts:
        marks = list(_BLOCK.finditer(text))
        for k, match in enumerate(marks):
            end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
            body = text[match.end() : end].strip("\n")
            found.setdefault(int(match.group(1)), (match.group(2), body))
    return found


def _analyst(prompt: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None) -> dict[str, Any]:
    tool_results = [_text(m) for m in messages if m.get("role") == "tool"]
    rows = _index(prompt)
    errors = sorted({step for step, label, _ in rows if label.endswith("(error)")})
    if tools and not tool_results:
        n = max((step for step, _, _ in rows), default=0) + 1
        if errors:
            first = errors[0]
            calls = [
                ("read_steps", {"start": max(0, first - 2), "end": first + 1}),
                ("grep_trace", {"pattern": "error|exception|traceback|failed"}),
            ]
        else:
            calls = [("read_steps", {"start": 0, "end": min(n - 1, 3)}), ("read_steps", {"start": max(0, n - 4), "end": n - 1})]
        return {
            "content": None,
            "tool_calls": [
                {"id": f"call_{i}", "name": name, "arguments": json.dumps(args, sort_keys=True)}
                for i, (name, args) in enumerate(calls)
            ],
        }
    windows = prompt.split("STEP WINDOWS:", 1)[1] if "STEP WINDOWS:" in prompt else ""
    blocks = _blocks([*tool_results, windows])
    task = _outline_field(prompt, "TASK")
    failed = _outline_field(prompt, "OUTCOME").startswith("failed") or bool(errors)
    skill = _skill_for(task, failed)
    lessons = _failure_lessons(blocks, rows, skill) if failed else []
    if not lessons:
        lessons = _success_lessons(blocks, rows, skill, task)
    summary = f"{'Failed' if failed else 'Completed'}: {' '.join(task.split()[:16]) or 'untitled task'}"
    return _content({"summary": summary[:600], "lessons": lessons[:4]})


_ERRORISH = re.compile(r"error|exception|traceback|failed|not found|denied|invalid|cannot|fatal", re.IGNORECASE)


def _quote(text: str, *, error: bool = False) -> str:
    """A verbatim piece of ``text``, at most 120 characters: for an error, its last error-looking
    line (where tracebacks name the exception); otherwise its first meaningful line."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if len(line) >= 8 and not line.startswith("[...")]
    if error:
        errorish = [line for line in lines if _ERRORISH.search(line)]
        if errorish:
            return errorish[-1][:120].rstrip()
    return lines[0][:120].rstrip() if lines else ""


def _skill_for(task: str, failed: bool) -> str:
    words = [w for w in re.findall(r"[a-z][a-z0-9]+", task.lower()) if w not in _STOP and len(w) > 3]
    top = Counter(words).most_common(1)[0][0] if words else "agent"
    return f"{top}-{'troubleshooting' if failed else 'workflow'}"


def _tool_of(label: str) -> str:
    if "->" in label:
        return label.split("->", 1)[1].strip()
    parts = label.replace("(error)", "").split()
    return parts[1] if len(parts) > 1 and parts[0] == "tool" else (parts[0] if parts else "tool")


def _failure_lessons(blocks: dict[int, tuple[str, str]], rows: list[tuple[int, str, str]], skill: str) -> list[dict[str, Any]]:
    lessons: list[dict[str, Any]] = []
    error_blocks = [(i, label, body) for i, (label, body) in sorted(blocks.items()) if label.endswith("(error)")]
    if not error_blocks:
        error_blocks = [(i, label, snippet.rstrip("…")) for i, label, snippet in rows if label.endswith("(error)")]
    for step, label, body in error_blocks[:2]:
        quote = _quote(body, error=True)
        if not quote:
            continue
        tool = _tool_of(label)
        lessons.append(
            {
                "kind": "failure_cause",
                "title": f"Find the cause of '{quote[:70]}' before retrying {tool}"[:120],
                "body": f"Find the cause of \"{quote}\" before running the same {tool} call again.\n"
                f"Step {step} of the analysed run failed this way.",
                "target_skill": skill,
                "evidence": [{"step": step, "quote": quote}],
            }
        )
        after = [(i, lb, b) for i, (lb, b) in sorted(blocks.items()) if i > step and not lb.endswith("(error)") and "->" in lb]
        if after:
            nxt, _, nbody = after[0]
            nquote = _quote(nbody)
            if nquote:
                lessons.append(
                    {
                        "kind": "recovery",
                        "title": f"After '{quote[:40]}', continue with: {nquote[:60]}"[:120],
                        "body": f"When {tool} fails with \"{quote[:100]}\", continue the way the run recovered: "
                        f"\"{nquote}\".\nThe error was at step {step}; step {nxt} moved on.",
                        "target_skill": skill,
                        "evidence": [{"step": nxt, "quote": nquote}],
                    }
                )
    return lessons


def _success_lessons(
    blocks: dict[int, tuple[str, str]], rows: list[tuple[int, str, str]], skill: str, task: str
) -> list[dict[str, Any]]:
    calls = [(i, label, body) for i, (label, body) in sorted(blocks.items()) if "->" in label]
    calls += [(i, label, snippet.rstrip("…")) for i, label, snippet in rows if "->" in label and i not in blocks]
    if not calls:
        calls = [(i, label, body) for i, (label, body) in sorted(blocks.items())]
        calls += [(i, label, snippet.rstrip("…")) for i, label, snippet in rows if i not in blocks]
    counts = Counter(_tool_of(label) for _, label, _ in calls)
    lessons = []
    for tool, count in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:2]:
        step, label, body = next(c for c in calls if _tool_of(c[1]) == tool)
        call_lines = [line for line in body.splitlines() if line.startswith(tool + " ")]
        quote = _quote(call_lines[0]) if call_lines else _quote(body)
        if not quote:
            continue
        goal = " ".join(task.split()[:10]) or "this kind of task"
        is_call = "->" in label
        lessons.append(
            {
                "kind": "success_pattern" if is_call else "procedure",
                "title": (f"Use {tool} early when the task is: {goal}" if is_call else f"For '{goal}', start from: {quote[:60]}")[:120],
                "body": f"Use {tool} early on tasks like \"{goal}\"; the run started with \"{quote}\".\n"
                f"It used {tool} {count} time(s).",
                "target_skill": skill,
                "evidence": [{"step": step, "quote": quote}],
            }
        )
    return lessons


# --- merge, plan, fix ------------------------------------------------------------------------


def _json_blocks(prompt: str) -> list[Any]:
    out = []
    for block in _JSON_BLOCK.findall(prompt):
        try:
            out.append(json.loads(block))
        except json.JSONDecodeError:
            continue
    return out


def _words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in _STOP}


def _negative(text: str) -> bool:
    return bool(re.search(r"\b(never|don't|do not|avoid|must not|no longer)\b", text.lower()))


def _merge(prompt: str) -> dict[str, Any]:
    blocks = _json_blocks(prompt)
    lessons = blocks[0] if blocks and isinstance(blocks[0], list) else []
    clusters: list[list[dict[str, Any]]] = []
    for lesson in lessons:
        words = _words(lesson.get("title", ""))
        for cluster in clusters:
            head = cluster[0]
            other = _words(head.get("title", ""))
            same_area = head.get("target_skill") == lesson.get("target_skill")
            if same_area and words and other and len(words & other) / len(words | other) >= 0.6:
                cluster.append(lesson)
                break
        else:
            clusters.append([lesson])
    rules, conflicts = [], []
    for cluster in clusters:
        best = max(cluster, key=lambda les: (les.get("support", 1), -cluster.index(les)))
        opposed = [les for les in cluster if _negative(les.get("title", "")) != _negative(best.get("title", ""))]
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
    blocks = _json_blocks(prompt)
    existing = blocks[0] if len(blocks) > 0 and isinstance(blocks[0], list) else []
    rules = blocks[1] if len(blocks) > 1 and isinstance(blocks[1], list) else []
    listed = prompt.split("SECTIONS (key: heading):", 1)[-1].split("Reply with", 1)[0]
    keys = {line.split(":", 1)[0].strip("- ").strip() for line in listed.splitlines() if ":" in line}
    chosen: dict[str, str] = {}
    for rule in rules:
        target = str(rule.get("target_skill", "general"))
        words = _words(target.replace("-", " ") + " " + str(rule.get("title", "")))
        match = next((s["name"] for s in existing if s.get("name") == target), None)
        if match is None:
            scored = [(len(words & _words(s.get("name", "").replace("-", " "))), s["name"]) for s in existing]
            scored = [x for x in scored if x[0] > 0]
            match = max(scored)[1] if scored else None
        chosen[rule["id"]] = match or target
    # A new skill needs at least MIN_NEW_RULES rules; thinner ones join one general skill per area
    # suffix ("agent-troubleshooting"), as a person would rather than create a dozen one-rule skills.
    known = {s.get("name") for s in existing}
    sizes = Counter(chosen.values())
    for rid, name in chosen.items():
        if name not in known and sizes[name] < MIN_NEW_RULES:
            chosen[rid] = "agent-" + name.rsplit("-", 1)[-1] if "-" in name else "agent-lessons"
    new: dict[str, list[str]] = {}
    assignments = []
    for rule in rules:
        name = chosen[rule["id"]]
        if name not in known:
            new.setdefault(name, []).append(str(rule.get("title", "")))
        section = _SECTION_BY_KIND.get(str(rule.get("kind", "")), "other")
        assignments.append({"rule": rule["id"], "skill": name, "section": section if section in keys else "other"})
    new_skills = []
    for name, titles in sorted(new.items()):
        area = name.replace("-", " ")
        description = f"Use when working on {area}: " + "; ".join(t.rstrip(".") for t in titles[:3]) + "."
        new_skills.append({"name": name, "description": description[:1024]})
    return {"new_skills": new_skills, "assignments": assignments}


def _fix(prompt: str) -> dict[str, Any]:
    problems = prompt.split("failed validation with these problems:", 1)[-1].split("Its SKILL.md:", 1)[0]
    name_match = re.search(r'The skill "([^"]*)"', prompt)
    fix: dict[str, Any] = {"name": None, "description": None, "body": None, "notes": ""}
    lowered = problems.lower()
    if "name" in lowered and name_match:
        slug = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9]+", "-", name_match.group(1).lower())).strip("-")[:64]
        fix["name"] = slug or "skill"
    desc = re.search(r"^description: (.*)$", prompt, re.MULTILINE)
    if "description" in lowered and desc:
        text = desc.group(1).strip().strip("'\"") or "Use when this skill's area of work comes up."
        fix["description"] = text[:1000]
    fix["notes"] = "; ".join(line.strip("- ").strip() for line in problems.strip().splitlines())[:600]
    return fix
