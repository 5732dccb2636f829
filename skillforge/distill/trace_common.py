"""What the agent-trace lesson builders share: role phrases, skill naming, and how a rule quotes a call."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from skillforge.distill.abstract import abstract
from skillforge.distill.actions import CODE_TOOLS, SHELL_TOOLS, Action
from skillforge.distill.lessons import inline_code, pick_evidence
from skillforge.distill.trace_digest import TraceDigest
from skillforge.models import Evidence, Lesson, LessonKind

__all__ = [
    "ROLE_PHRASE", "SkillNames", "code", "example", "is_shell", "label", "make_lesson", "outcome_counts", "successful",
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
    words = [w for w in dict.fromkeys(k.lower().strip() for k in keywords) if w and not re.search(r"\d{3,}", w)]
    return Lesson(kind=kind, title=title, body=body, target_skill=skill, evidence=pick_evidence(quoted),
                  support=max(1, support), helpful=helpful, harmful=harmful,
                  tags=sorted({*tags, f"section:{section}", "source:trace", *(f"keyword:{w}" for w in words[:8])}))


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
        return code(abstract(action.quote or action.command, scratch), limit)
    detail = action.files[0] if action.files else action.quote
    text = f"{action.tool} {detail}".strip() if detail and detail not in ("{}",) else action.tool
    return code(abstract(text, scratch), limit)


def label(families: set[str], role: str) -> str:
    if len(families) == 1:
        return code(next(iter(families)))
    return _ROLE_NOUN.get(role, "a tool call")


def successful(digests: list[TraceDigest]) -> list[TraceDigest]:
    """Runs a "what worked" rule may learn from: resolved (or, outcome unknown, verified or submitted
    without ending on a failure), with some work in them, and not a customer-service conversation."""
    return [d for d in digests if d.resolved and not d.failed_run and len(d.roles) >= 3 and d.dialogue is None]
