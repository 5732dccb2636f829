"""The fake model's analyst: lessons a competent model would write, derived from the outline's structure.

Input is what the analyst prompt's ``<outline>`` and ``<windows>`` hold, as ``llm.trace_view``
renders them — the ``TRACE``/``TASK``/``OUTCOME`` lines, the ``ERRORS`` and ``STEP INDEX`` rows
(``[i] label: snippet``) and the ``=== [i] label ===`` step blocks of the windows and of what the
tools returned — never the prompt's instructions. Each lesson follows the prompts' rules:

- **actionable**: the rule names the tool and what to do, chosen by the failure kind the project's own
  signal classifier gives the error (``distill.heuristic.signals``), with the reason the run shows;
- **generalised**: commands and paths pass through ``distill.heuristic.abstract`` (``{path}``,
  ``{scratch_script}``);
- **outcome-aware**: a run that failed yields pitfalls and guardrails only; a recovery needs a later
  successful call of the same tool in a run that did not fail; "what worked" comes from successful runs;
- signals that are not failures (running, empty search, warning, interruption) give no lesson, a
  permission prompt gives a guardrail.

Pure functions of those inputs; the same inputs always get the same lessons.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from skillforge.distill.heuristic.abstract import abstract
from skillforge.distill.heuristic.signals import FAILURE_WORDS, classify

__all__ = ["Outline", "lessons_for", "parse_outline", "quote_of"]

MAX_LESSONS = 4
_ERRORISH = re.compile(r"error|exception|traceback|failed|not found|denied|invalid|cannot|fatal|approval", re.I)
_ROW = re.compile(r"^\[(\d+)\] ([^:\n]*?): (.*)$")
_BLOCK = re.compile(r"^=== \[(\d+)\] (.*?) ===$", re.MULTILINE)
_TRACE = re.compile(r"^TRACE \S+ \((\w+), ", re.MULTILINE)
_EXCEPTION = re.compile(r"\b([A-Z][A-Za-z]+(?:Error|Exception|Configured|Failure))\b")
_WRITE_TOOL = re.compile(r"^(?:update|cancel|book|modify|exchange|return|create|delete|transfer|send|refund)_\w+$")
_SEARCH = re.compile(r"^(?:grep|rg|find|ag|ack|git grep|fd|locate)\b|^(?:find_file|search_\w+|glob|grep)$", re.I)
_READ = re.compile(r"^(?:cat|head|tail|sed -n|nl|less|open|view|read)\b|^(?:open|read|view)$", re.I)
_LOOKUP = re.compile(r"^(?:pwd|ls|tree|which|command -v)\b")
_EDIT_TOOL = re.compile(r"^(?:edit|str_replace\w*|write|create|apply_patch|multiedit)$", re.I)
_EDIT_CMD = re.compile(r"^(?:sed -i|perl -pi|patch|apply_patch|cat >|tee)\b")
_RUN_SCRIPT = re.compile(r"^(?:python3?|node|bash|sh|ruby|go run)\s+(\S+)")
_TEST = re.compile(r"\b(?:pytest|tox|nox|unittest|runtests\.py|npm test|go test|cargo test|jest|vitest)\b")
_REVIEW = re.compile(r"\bgit (?:diff|status)\b")
_RUNBOOK = re.compile(r"\b(?:alert|runbook|kubectl|etcd|kubelet|prometheus)\b", re.I)
_DOMAINS: list[tuple[str, re.Pattern[str]]] = [
    ("kubernetes", re.compile(r"\b(?:kubectl|kubernetes|etcd|kubelet|alert|pods?|nodes?|cluster|prometheus)\b", re.I)),
    ("python", re.compile(r"\.py\b|\bpython3?\b|\bpytest\b|\bpip\b|\bdjango\b|\bnumpy\b", re.I)),
    ("javascript", re.compile(r"\.(?:js|ts|tsx|jsx)\b|\bnpm\b|\bpnpm\b|\bbun\b|\bnode\b", re.I)),
    ("customer-support", re.compile(r"\b(?:reservation|flight|booking|order|refund|payment|customer)s?\b", re.I)),
]


@dataclass(frozen=True)
class Step:
    """One step as the outline and the step blocks show it."""

    index: int
    label: str
    text: str
    """The full step text when a block holds it, else the outline snippet (``…`` cut mark removed)."""

    @property
    def tool(self) -> str | None:
        """The tool an assistant step calls (``assistant -> bash``), else None."""
        return self.label.split("->", 1)[1].strip() if "->" in self.label else None

    @property
    def is_result(self) -> bool:
        return self.label.startswith("tool")

    @property
    def is_error(self) -> bool:
        return self.label.endswith("(error)")


@dataclass(frozen=True)
class Outline:
    """The structured parts of an analyst prompt."""

    kind: str
    task: str
    outcome: str
    steps: dict[int, Step]

    @property
    def failed(self) -> bool:
        return self.outcome.startswith("failed")


def parse_outline(outline: str, windows: str = "", extra: list[str] | None = None) -> Outline:
    """The ``outline`` input plus the step blocks in ``extra`` (tool results) and in ``windows``."""
    kind = _TRACE.search(outline)
    rows: dict[int, tuple[str, str]] = {}
    for line in outline.splitlines():
        match = _ROW.match(line)
        if match:
            rows.setdefault(int(match.group(1)), (match.group(2), match.group(3).rstrip("…")))
    blocks: dict[int, tuple[str, str]] = {}
    for text in [*(extra or []), windows]:
        marks = list(_BLOCK.finditer(text))
        for k, mark in enumerate(marks):
            end = marks[k + 1].start() if k + 1 < len(marks) else len(text)
            blocks.setdefault(int(mark.group(1)), (mark.group(2), text[mark.end() : end].strip("\n")))
    steps = {}
    for i in sorted({*rows, *blocks}):
        label, text = blocks.get(i) or rows[i]
        label = re.sub(r"^\[\d+\] ", "", label)
        steps[i] = Step(i, label, text)
    return Outline(
        kind=kind.group(1) if kind else "trace",
        task=_field(outline, "TASK"),
        outcome=_field(outline, "OUTCOME"),
        steps=steps,
    )


def _field(text: str, name: str) -> str:
    match = re.search(rf"^{name}: (.*)$", text, re.MULTILINE)
    return match.group(1).strip() if match else ""


# --- reading calls -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    """A tool call and, when the outline shows it, its result."""

    step: Step
    tool: str
    command: str
    """The command or first argument line (abstracted), '' when the arguments are not visible."""
    result: Step | None

    @property
    def family(self) -> str:
        return self.command.split(" ", 1)[0] if self.command else self.tool


def calls_of(outline: Outline) -> list[Call]:
    """Every tool call in step order, paired with the next result step."""
    found = []
    ordered = [outline.steps[i] for i in sorted(outline.steps)]
    for k, step in enumerate(ordered):
        tool = step.tool
        if tool is None:
            continue
        result = next((s for s in ordered[k + 1 : k + 2] if s.is_result), None)
        found.append(Call(step, tool, _command(step, tool), result))
    return found


def _command(step: Step, tool: str) -> str:
    for line in step.text.splitlines():
        if not line.startswith(tool + " {"):
            continue
        try:
            args = json.loads(line[len(tool) + 1 :])
        except json.JSONDecodeError:
            return ""
        if not isinstance(args, dict):
            return ""
        value = next((args[k] for k in ("command", "cmd", "pattern", "query", "file_path", "path") if k in args), "")
        first = str(value).strip().split("\n", 1)[0] if isinstance(value, str) else ""
        return " ".join(abstract(first).split())[:80]
    return ""


def quote_of(text: str, *, error: bool = False) -> str:
    """A verbatim piece of ``text`` (≤ 120 characters): for an error its last error-looking line."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    lines = [line for line in lines if len(line) >= 8 and not line.startswith("[...")]
    if error:
        errorish = [line for line in lines if _ERRORISH.search(line)]
        if errorish:
            return errorish[-1][:120].rstrip()
    return lines[0][:120].rstrip() if lines else ""


def _code(command: str) -> str:
    return f"`{command}`" if command and "`" not in command else ""


# --- lessons ---------------------------------------------------------------------------------------


def lessons_for(outline: Outline) -> list[dict[str, Any]]:
    """The analyst's lessons for ``outline`` (at most ``MAX_LESSONS``)."""
    if outline.kind == "document":
        return _document_lessons(outline)[:MAX_LESSONS]
    if outline.kind == "ticket":
        return _ticket_lessons(outline)[:MAX_LESSONS]
    calls = calls_of(outline)
    skill = _skill(outline, calls)
    lessons = _error_lessons(outline, calls, skill)
    if outline.failed and not lessons:
        lessons = _failed_run_guardrail(outline, calls, skill)
    if not outline.failed:
        lessons += _worked_lessons(calls, skill)
    return lessons[:MAX_LESSONS]


def _lesson(kind: str, title: str, body: str, skill: str, evidence: list[tuple[int, str]]) -> dict[str, Any]:
    return {
        "kind": kind,
        "title": title[:120].rstrip(),
        "body": body,
        "target_skill": skill,
        "evidence": [{"step": step, "quote": quote} for step, quote in evidence if len(quote) >= 8],
    }


def _skill(outline: Outline, calls: list[Call]) -> str:
    """An area-of-work name: the domain the task and commands speak of, and the activity."""
    text = " ".join([outline.task, *(c.command or c.tool for c in calls)])
    scores = [(len(pattern.findall(text)), -k, name) for k, (name, pattern) in enumerate(_DOMAINS)]
    best = max(scores)
    domain = best[2] if best[0] else "agent"
    failing = outline.failed or any(c.result is not None and c.result.is_error for c in calls)
    return f"{domain}-{'troubleshooting' if failing else 'workflow'}"


# Each failure kind: (lesson kind when it is to be avoided, the rule, its reason). {tool} is the tool.
_AVOID: dict[str, tuple[str, str, str]] = {
    "not_found": ("guardrail", "Confirm a path exists with `ls` or `find` before passing it to `{tool}`",
                  "a guessed path made `{tool}` fail with a missing file or path"),
    "command_not_found": ("guardrail", "Check that a program is installed with `command -v` before running it through `{tool}`",
                          "the shell reported the program missing"),
    "syntax": ("pitfall", "Check brackets, quotes and indentation of the new code before submitting it with `{tool}`",
               "`{tool}` rejected the change with a syntax error and an unchanged retry fails the same way"),
    "edit_mismatch": ("guardrail", "Re-read the file and copy the exact lines to replace before calling `{tool}`",
                      "the old text given to `{tool}` did not match the file"),
    "test_failure": ("pitfall", "Run only the failing test through `{tool}` and read its assertion message before the next edit",
                     "a full rerun hides which assertion broke"),
    "import": ("pitfall", "Set up the module path or settings an import needs before running a script with `{tool}`",
               "the script stopped at an import error before reaching the code under test"),
    "timeout": ("guardrail", "Limit what `{tool}` runs at once (one test file, a narrower search) or raise its timeout",
                "the full call timed out and returned nothing useful"),
    "permission": ("guardrail", "Write only inside the working directory when calling `{tool}`, never to system paths",
                   "the call failed with a permission error"),
    "bad_arguments": ("guardrail", "Check the required arguments and their format before calling `{tool}`",
                      "`{tool}` rejected the call as invalid input"),
    "network": ("pitfall", "Do not depend on network access inside `{tool}`; use local files or installed packages",
                "the call failed with a network error"),
    "rejected": ("guardrail", "Read the current record with a lookup call and confirm the change with the user before calling `{tool}`",
                 "`{tool}` refused the request as sent"),
    "exception": ("pitfall", "Read the exception type and the last frame of the traceback `{tool}` prints and change that code or input before running `{tool}` again",
                  "an unchanged rerun raises the same {exception}"),
    "other": ("pitfall", "Read the complete output of a failed `{tool}` call and change the argument it names before calling `{tool}` again",
              "repeating the call unchanged gives the same error"),
}
_RECOVER: dict[str, str] = {
    "not_found": "look the location up first",
    "command_not_found": "check which programs are available first",
    "syntax": "correct the syntax of the new code",
    "edit_mismatch": "re-read the file and use its exact text",
    "test_failure": "run the failing test on its own and change the code it names",
    "import": "set up the import path or settings first",
    "timeout": "narrow what the call runs",
    "permission": "use a path inside the working directory",
    "bad_arguments": "correct the arguments the error names",
    "network": "use what is available locally",
    "rejected": "look the record up and adjust the request to it",
    "exception": "change the code or input the traceback names",
    "other": "change the argument the error names",
}


def _error_lessons(outline: Outline, calls: list[Call], skill: str) -> list[dict[str, Any]]:
    lessons: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for k, call in enumerate(calls):
        result = call.result
        if result is None or not result.is_error:
            continue
        signal = classify(result.text, is_error=True, family=call.family, command=call.command)
        if signal.kind == "denied":
            key = (call.tool, "denied")
            if key not in seen:
                seen.add(key)
                lessons.append(_denied(call, result, skill))
            continue
        if signal.kind != "failed":
            continue  # running, empty search, warning, interruption: signals, not failures
        failure = signal.failure or "other"
        if (call.tool, failure) in seen:
            continue
        seen.add((call.tool, failure))
        quote = quote_of(result.text, error=True)
        later = next((c for c in calls[k + 1 :] if c.tool == call.tool and c.result is not None
                      and not c.result.is_error), None)
        if later is not None and not outline.failed:
            lessons.append(_recovery(call, failure, quote, result.index, later, calls[k + 1 :], skill))
        else:
            lessons.append(_avoid(call, failure, quote, result.index, skill))
    return lessons


def _avoid(call: Call, failure: str, quote: str, step: int, skill: str) -> dict[str, Any]:
    kind, rule, reason = _AVOID[failure]
    exception = _EXCEPTION.search(quote)
    values = {"tool": call.tool, "exception": f"`{exception.group(1)}`" if exception else "exception"}
    rule, reason = rule.format(**values), reason.format(**values)
    body = [f"{rule}, because {reason}.", f"Seen as: {abstract(quote)}"]
    if call.command:
        body.append(f"The failing call was {_code(call.command)}.")
    return _lesson(kind, rule, "\n".join(body), skill, [(step, quote)])


def _recovery(call: Call, failure: str, quote: str, step: int, later: Call, between: list[Call], skill: str) -> dict[str, Any]:
    action = _RECOVER[failure]
    helper = next((c for c in between if c.tool != call.tool and c.step.index < later.step.index
                   and (_SEARCH.match(c.command) or _READ.match(c.command) or _LOOKUP.match(c.command))), None)
    how = f" (the run used {_code(helper.command)} through `{helper.tool}`)" if helper and _code(helper.command) else ""
    rule = (f"When `{call.tool}` fails with {FAILURE_WORDS[failure]}, {action}{how}, then call `{call.tool}` again, "
            f"which is how the next `{call.tool}` call succeeded")
    title = f"Recover from {FAILURE_WORDS[failure]} in `{call.tool}`: {action}"
    body = [rule + "."]
    if " " in later.command and not _EDIT_TOOL.match(later.tool):
        body += ["```", later.command, "```"]
    body.append(f"Error seen: {abstract(quote)}")
    evidence = [(step, quote), (later.step.index, quote_of(later.step.text))]
    return _lesson("recovery", title, "\n".join(body), skill, evidence)


def _denied(call: Call, result: Step, skill: str) -> dict[str, Any]:
    rule = (f"Ask the user to approve a `{call.tool}` call that needs permission, or stay inside the allowed "
            f"directories, instead of rephrasing the same call, because a blocked call returns no output")
    quote = quote_of(result.text, error=True)
    body = f"{rule}.\nThe tool answered: {abstract(quote)}"
    return _lesson("guardrail", f"Get approval for blocked `{call.tool}` calls instead of retrying them", body, skill,
                   [(result.index, quote)])


def _failed_run_guardrail(outline: Outline, calls: list[Call], skill: str) -> list[dict[str, Any]]:
    """A failed run without tool errors: the state-changing call it made is what to check next time."""
    writes = [c for c in calls if _WRITE_TOOL.match(c.tool)]
    if not writes:
        return []
    call = writes[0]
    rule = (f"Before calling `{call.tool}`, read the current record with a lookup call and confirm every changed "
            f"value with the user, because a run that called `{call.tool}` without that check failed its task")
    return [_lesson("guardrail", f"Confirm the change with the user before `{call.tool}`", rule + ".", skill,
                    [(call.step.index, quote_of(call.step.text))])]


def _worked_lessons(calls: list[Call], skill: str) -> list[dict[str, Any]]:
    """Patterns a successful run shows in its calls: search first, reproduce and re-check, review the diff."""
    lessons = []
    ok = [c for c in calls if c.result is None or not c.result.is_error]
    first = ok[0] if ok else None
    if first is not None and (_SEARCH.match(first.command) or _SEARCH.match(first.tool)):
        example = first.command or first.tool
        rule = (f"Start by searching the code with `{first.tool}` for the names the task mentions, "
                f"so the first file opened is the one that defines them")
        body = f"{rule}.\n```\n{example}\n```" if first.command else rule + "."
        lessons.append(_lesson("success_pattern", f"Search with `{first.tool}` before opening files", body, skill,
                               [(first.step.index, quote_of(first.step.text))]))
    runs = Counter(c.command for c in ok if c.command and _RUN_SCRIPT.match(c.command))
    edits = [c for c in ok if _EDIT_TOOL.match(c.tool) or _EDIT_CMD.match(c.command)]
    repeated = [cmd for cmd, n in sorted(runs.items()) if n >= 2]
    if repeated and edits:
        cmd = repeated[0]
        where = next(c for c in ok if c.command == cmd)
        rule = ("Reproduce the reported behaviour with a small script before editing and run the same script again "
                "after the edit, so the check that showed the problem also confirms the fix")
        lessons.append(_lesson("success_pattern", "Re-run the reproduction script after each edit",
                               f"{rule}.\n```\n{cmd}\n```", skill, [(where.step.index, quote_of(where.step.text))]))
    tests = [c for c in ok if _TEST.search(c.command)]
    if tests and edits:
        rule = (f"Run the project's existing tests with `{tests[0].family}` after the change, not only the new check, "
                f"to catch what else the edit touched")
        lessons.append(_lesson("success_pattern", "Run the existing test suite after the change",
                               f"{rule}.\n```\n{tests[0].command}\n```", skill,
                               [(tests[0].step.index, quote_of(tests[0].step.text))]))
    reviews = [c for c in ok if _REVIEW.search(c.command)]
    if reviews and edits:
        rule = ("Review the staged change with `git diff` before submitting and remove scratch scripts first, "
                "so the submission holds only the fix")
        lessons.append(_lesson("success_pattern", "Review the diff before submitting", rule + ".", skill,
                               [(reviews[0].step.index, quote_of(reviews[0].step.text))]))
    return lessons


# --- documents and tickets -------------------------------------------------------------------------


def _title(task: str, words: int = 8) -> str:
    head = re.split(r"\*\*|```|\n|(?<=[.!?])\s", task, maxsplit=1)[0]
    return " ".join(abstract(head).split()[:words]).strip(" .:")


def _document_lessons(outline: Outline) -> list[dict[str, Any]]:
    """A document: its sections, in order, as the procedure they describe; the first section says why."""
    name = re.sub(r"[^\w\s.'-]", "", _title(outline.task, 6)).strip() or "this document"
    text = outline.task + " " + " ".join(s.text[:400] for s in outline.steps.values())
    runbook = bool(_RUNBOOK.search(text))
    skill = "kubernetes-runbooks" if runbook else "project-guidelines"
    steps, evidence = [], []
    for step in outline.steps.values():
        lines = [line.strip() for line in step.text.splitlines() if line.strip()]
        heading = next((line.lstrip("#").strip() for line in lines if line.startswith("#")), "")
        body_lines = [line for line in lines if not line.startswith("#")] or lines
        sentence = _sentence(" ".join(body_lines))
        if not heading or len(sentence.split()) < 4:
            continue
        steps.append((heading, sentence))
        evidence.append((step.index, quote_of("\n".join(body_lines))))
        if len(steps) == 5:
            break
    if not steps:
        return []
    why = steps[0][1]
    why = why[:1].lower() + why[1:]
    alert = runbook and "alert" in why.lower()
    verb = "Handle the" if alert else "Follow the"
    noun = "alert" if alert else "runbook" if runbook else "guide"
    rule = f"{verb} {name} {noun} with the steps below, because {why}"
    numbered = [f"{k}. {heading}: {sentence}." for k, (heading, sentence) in enumerate(steps[1:] or steps, start=1)]
    return [_lesson("procedure", f"{verb} {name} {noun} in order", "\n".join([rule + ".", *numbered]),
                    skill, evidence[:3])]


def _sentence(text: str, limit: int = 160) -> str:
    """The first sentence of ``text`` without Markdown links, cut at a word boundary."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)?", r"\1", " ".join(text.split()))
    text = re.sub(r"[`*_]+", "", text)
    first = re.split(r"(?<=[.!?])\s", text, maxsplit=1)[0]
    if len(first) > limit:
        first = first[:limit].rsplit(" ", 1)[0]
    return first.rstrip(" .,;:(!?")


def _ticket_lessons(outline: Outline) -> list[dict[str, Any]]:
    """A resolved ticket: where the accepted fix landed, for the next report of the same problem."""
    for step in outline.steps.values():
        match = re.search(r"Fixed by a patch to (\S+)", step.text)
        if not match:
            continue
        target = match.group(1)
        problem = _title(outline.task, 8)
        rule = (f"When a report says \"{problem}\", start in `{target}`, because the accepted fix for that "
                f"problem changed that file")
        return [_lesson("success_pattern", f"Look in {target} for: {problem}", rule + ".", "issue-triage",
                        [(step.index, quote_of(step.text))])]
    return []
