"""What the agent-trace lesson builders share: role phrases, skill naming, and how a rule quotes a call."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from skillforge.distill.heuristic.abstract import abstract, once_each
from skillforge.distill.heuristic.actions import CODE_TOOLS, SHELL_TOOLS, Action
from skillforge.distill.heuristic.signals import FAILURE_WORDS, strip_ansi
from skillforge.distill.heuristic.trace_digest import TraceDigest
from skillforge.distill.lessons import pick_evidence
from skillforge.models import Evidence, Lesson, LessonKind
from skillforge.skills.rules import inline_code

__all__ = [
    "KIND_FIX", "ROLE_PHRASE", "SkillNames", "any_command", "clean_quote", "code", "unescape_lines", "condition", "example", "is_shell", "kind_fix", "label", "make_lesson",
    "outcome_counts", "shown_family", "successful", "MIN_TASKS", "task_count", "ANY_TOOL_KINDS",
]

ROLE_PHRASE = {
    "search": "search the code base for what the task mentions",
    "read": "read the relevant code",
    "reproduce": "write a minimal script that reproduces the problem",
    "run": "run it and read the output",
    "edit": "make the smallest change that fixes it",
    "test": "run the relevant tests",
    "lint": "run the linters and type checks",
    "build": "build or install the project",
    "review": "review the diff",
    "cleanup": "remove temporary files such as reproduction scripts",
    "submit": "submit the result",
    "vcs": "commit the change",
}
_ROLE_NOUN = {"edit": "an edit", "read": "a read", "search": "a search", "test": "a test run", "run": "a script run"}


@dataclass
class SkillNames:
    """Which skill a lesson goes to: one skill per kind of work (few, named by domain), with project
    knowledge kept in the same skill under a per-project reference file (``ref:<project>``)."""

    general: str
    single_area: str | None
    project: dict[str, str]
    python_fixing: bool = False

    @classmethod
    def from_digests(cls, digests: list[TraceDigest]) -> SkillNames:
        coding = [d for d in digests if d.dialogue is None]
        code_runs = sum(d.coding for d in coding) * 2 >= max(1, len(coding))
        fixes = [d for d in coding if d.fix_task and d.coding]
        python = sum(d.extensions.get("py", 0) > 0 for d in fixes) * 2 > len(fixes) >= 1
        python_fixing = python and len(fixes) * 2 >= len(coding)
        general = "python-bug-fixing" if python_fixing else "coding-agent-playbook" if code_runs else "agent-tool-playbook"
        areas = Counter(d.area for d in coding if d.area)
        single = next(iter(areas)) if len(areas) == 1 else None
        return cls(general=general, single_area=single, project={a: general for a in areas}, python_fixing=python_fixing)

    def target(self, areas: Iterable[str | None], general: bool) -> tuple[str, list[str]]:
        """Skill name and tags for a lesson seen in ``areas``: project lessons keep their area as a tag
        and a reference file of their own, in the same skill."""
        areas = list(areas)
        found = sorted({a for a in areas if a})
        if general or len(found) != 1 or len(set(areas)) != 1:
            return self.general, ["scope:general"]
        return self.general, ["scope:project", f"area:{found[0]}", f"ref:{found[0]}", f"keyword:{found[0]}"]


def make_lesson(kind: LessonKind, title: str, body: str, target: tuple[str, list[str]], section: str,
                evidence: list[Evidence], support: int, *, helpful: int = 0, harmful: int = 0,
                keywords: Iterable[str] = ()) -> Lesson:
    """A lesson with its tags; ``helpful``/``harmful`` count supporting runs that succeeded/failed."""
    skill, tags = target
    quoted = [e for e in evidence if e.quote.strip()] or evidence[:1]
    words = [w for w in dict.fromkeys(_keyword(k) for k in keywords) if w and not re.search(r"\d{3,}", w)]
    return Lesson(kind=kind, title=title, body=body, target_skill=skill, evidence=pick_evidence(quoted),
                  support=max(1, support), helpful=helpful, harmful=harmful,
                  tags=sorted({*tags, f"section:{section}", "source:trace", *(f"keyword:{w}" for w in words[:8])}))


def _keyword(word: str) -> str:
    """A keyword a request would contain: an MCP tool ``mcp__github__create_issue`` is about ``github``."""
    word = word.lower().strip()
    mcp = re.match(r"mcp__([a-z0-9-]+?)(?:_server)?__", word)
    return mcp.group(1) if mcp else word


def outcome_counts(digests: Iterable[TraceDigest]) -> dict[str, int]:
    """``helpful``/``harmful`` for a lesson backed by these runs (each run counted once)."""
    unique = {d.trace_id: d for d in digests}.values()
    return {"helpful": sum(d.success is True for d in unique), "harmful": sum(d.success is False for d in unique)}


def code(text: str, limit: int = 90) -> str:
    return inline_code(text, limit)


def is_shell(action: Action) -> bool:
    tool = action.tool.lower()
    return tool in SHELL_TOOLS or tool in CODE_TOOLS or "bash" in tool or action.command.startswith(action.tool)


def example(action: Action, limit: int = 90, scratch: Iterable[str] = ()) -> str:
    """How a call reads in a rule, with run-specific values as placeholders: the shell command itself, or
    ``tool argument`` for other tools."""
    if is_shell(action):
        return code(once_each(abstract(action.quote or action.command, scratch)), limit)
    detail = action.files[0] if action.files else action.quote
    text = f"{action.tool} {detail}".strip() if detail and detail not in ("{}",) else action.tool
    return code(once_each(abstract(text, scratch)), limit)


_BOX = re.compile(r"[\u2500-\u257f\u23af]{2,}")


def unescape_lines(text: str) -> str:
    """Outputs some hosts store with escaped newlines (``failed:\\n\\n[FORMAT]…``) as real lines; a single
    ``\\n`` inside a message (``the literal "\\n" is not allowed``) stays."""
    return text.replace("\\n", "\n") if text.count("\\n") >= 2 else text


def clean_quote(text: str) -> str:
    """An output line as a rule shows it: no colour codes, no box-drawing rules around a heading."""
    first = next((ln for ln in unescape_lines(strip_ansi(text)).splitlines() if ln.strip()), "")
    return re.sub(r"\s{2,}", " ", _BOX.sub(" ", first)).strip()


def shown_family(family: str, tools: Iterable[str] = ()) -> str:
    """A family as a rule names it: a structured tool under its own spelling (``Read``, not ``read``)."""
    return next((t for t in sorted(set(tools)) if t.lower() == family), family)


def label(families: set[str], role: str, tools: Iterable[str] = ()) -> str:
    if len(families) == 1:
        return code(shown_family(next(iter(families)), tools))
    return _ROLE_NOUN.get(role, "a tool call")


MIN_TASKS = 2
"""Runs of different tasks that must show something particular (a file they changed, a stock command, an
error with no known fix) before it is a rule rather than one task's anecdote."""


def task_count(items: Iterable[tuple[Any, ...]]) -> int:
    """How many different tasks the runs of ``items`` (tuples whose first element is the run's digest) worked on."""
    return len({item[0].task_key for item in items})


ANY_TOOL_KINDS = frozenset({"not_found", "command_not_found", "is_directory", "permission", "network", "import",
                            "dependency", "unclosed_quote"})
"""Failure kinds whose fix does not depend on the tool that hit them."""

KIND_FIX = {
    "not_found": "list the directory or search for the file first (e.g. `ls`, `find`), then use the path it shows",
    "command_not_found": "check which command the environment provides (`which`, the project's scripts) and use that one",
    "edit_mismatch": "re-read the file, then re-issue the edit with a short, unique snippet copied exactly from it",
    "not_read": "read the file first (the editor only changes files read in this session), then repeat the edit",
    "too_large": "read it in parts with `offset` and `limit`, or search for the part you need and read around it",
    "is_directory": "list the directory (`ls`, `Glob`) and read the file you need inside it",
    "hook": "run what the hook's message asks for ({hint}) and repeat the call, instead of bypassing the hook "
            "with `--no-verify`",
    "unclosed_quote": "close every quote: a `'` cannot stand inside a single-quoted argument (write it `'\\''`), so "
                      "put text with quotes (a `sed` insert, a message) in a file through a quoted heredoc "
                      "(`<< 'EOF'`) and pass the file",
    "shell_quoting": "quote the path (e.g. `'app/(group)/[id]/page.tsx'`), because the shell reads those characters "
                     "as syntax or as a glob",
    "syntax": "re-issue the whole edit with balanced brackets and the file's own indentation, since the editor "
              "rejects an edit that does not parse",
    "import": "install the missing package or run from the project root in the project's environment",
    "dependency": "install the library's development package (with its headers) or point the build at an installed "
                  "copy (e.g. `CMAKE_PREFIX_PATH`, `PKG_CONFIG_PATH`)",
    "bad_arguments": "read the tool's usage and call it again with the arguments it accepts",
    "timeout": "narrow the command (fewer files or tests) or run it in the background and poll",
    "permission": "work in a writable location or ask the user for access",
    "network": "check the address and that the service is up before calling it again",
    "test_failure": "read the first failing assertion, fix the code under test, and re-run the same test command",
}
"""What to do about each failure kind, as the second half of a rule."""


def kind_fix(kind: str, hints: Iterable[str] = ()) -> str:
    """``KIND_FIX[kind]`` with the tool's own advice filled in where the rule has a slot for it."""
    shown = [code(h, 60) for h in dict.fromkeys(h for h in hints if h)][:2]
    fix = KIND_FIX[kind]
    if "{hint}" in fix:
        fix = fix.replace("{hint}", f"e.g. {' or '.join(shown)}" if shown else "e.g. the formatter or linter it names")
    return fix


_BECAUSE = {
    "not_found": "a file or path it names does not exist",
    "command_not_found": "the program it calls is not installed",
    "is_directory": "it was given a directory where a file was expected",
    "permission": "it lacks the permission it needs",
    "network": "a host or service it needs cannot be reached",
    "import": "a module or package it needs is missing",
    "dependency": "a library the build needs is missing",
}
"""Why a command failed, for a rule about whatever command it was (``When a command fails because …``)."""


def any_command(actions: Iterable[Action]) -> str:
    """How a rule names the calls of several commands that failed alike: ``a command`` when all ran in a shell."""
    return "a command" if all(is_shell(a) for a in actions) else "a call"


def condition(who: str, kind: str) -> str:
    """``When <who> fails with <kind>`` in the words that fit the kind; about any command (``who`` from
    ``any_command``), it says why the command failed, as a person would."""
    if kind == "hook":
        return f"When a hook rejects {who}"
    if kind == "shell_quoting":
        return f"When {who} fails on a path containing `(`, `[` or spaces"
    if kind == "unclosed_quote":
        return f"When {who} fails because a quote in it is never closed"
    if who in ("a command", "a call"):
        if kind == "timeout":
            return f"When {who} times out"
        if kind in _BECAUSE:
            return f"When {who} fails because {_BECAUSE[kind]}"
    elif kind == "command_not_found":
        return f"When {who} is not installed"
    return f"When {who} fails with {FAILURE_WORDS.get(kind, FAILURE_WORDS['other'])}"


def successful(digests: list[TraceDigest]) -> list[TraceDigest]:
    """Runs a "what worked" rule may learn from: resolved (or, outcome unknown, verified or submitted
    without ending on a failure), with some work in them, and not a customer-service conversation."""
    return [d for d in digests if d.resolved and not d.failed_run and len(d.roles) >= 3 and d.dialogue is None]
