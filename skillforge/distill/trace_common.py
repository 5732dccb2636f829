"""What the agent-trace lesson builders share: role phrases, skill naming, and how a rule quotes a call."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from skillforge.distill.actions import CODE_TOOLS, SHELL_TOOLS, Action
from skillforge.distill.lessons import inline_code, pick_evidence
from skillforge.distill.trace_digest import TraceDigest
from skillforge.models import Evidence, Lesson, LessonKind

__all__ = ["ROLE_PHRASE", "SkillNames", "code", "example", "is_shell", "label", "make_lesson", "successful"]

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
    """Which skill a lesson goes to: one general skill, one per project with enough material."""

    general: str
    single_area: str | None
    project: dict[str, str]

    @classmethod
    def from_digests(cls, digests: list[TraceDigest]) -> SkillNames:
        coding = sum(d.coding for d in digests) * 2 >= len(digests)
        areas = Counter(d.area for d in digests if d.area)
        project = {}
        for area in sorted(areas):
            mine = [d for d in digests if d.area == area]
            fixing = sum(d.fix_task for d in mine) * 2 > len(mine)
            project[area] = f"{area}-{'bug-fixing' if fixing else 'development'}"
        single = None
        if len(areas) == 1:
            (area, count), = areas.items()
            if count * 2 >= len(digests):
                single = area
        general = project[single] if single else ("coding-agent-playbook" if coding else "agent-tool-playbook")
        return cls(general=general, single_area=single, project=project)

    def target(self, areas: Iterable[str | None], general: bool) -> tuple[str, list[str]]:
        """Skill name and tags for a lesson seen in ``areas``."""
        areas = list(areas)
        found = sorted({a for a in areas if a})
        if self.single_area or general or len(found) != 1 or len(set(areas)) != 1:
            return self.general, ["scope:general"]
        return self.project[found[0]], ["scope:project", f"area:{found[0]}"]


def make_lesson(kind: LessonKind, title: str, body: str, target: tuple[str, list[str]], section: str,
            evidence: list[Evidence], support: int) -> Lesson:
    skill, tags = target
    quoted = [e for e in evidence if e.quote.strip()] or evidence[:1]
    return Lesson(kind=kind, title=title, body=body, target_skill=skill, evidence=pick_evidence(quoted),
                  support=max(1, support), tags=sorted({*tags, f"section:{section}", "source:trace"}))


def code(text: str, limit: int = 90) -> str:
    return inline_code(text, limit)


def is_shell(action: Action) -> bool:
    tool = action.tool.lower()
    return tool in SHELL_TOOLS or tool in CODE_TOOLS or "bash" in tool or action.command.startswith(action.tool)


def example(action: Action, limit: int = 90) -> str:
    """How a call reads in a rule: the shell command itself, or ``tool argument`` for other tools."""
    if is_shell(action):
        return code(action.quote or action.command, limit)
    detail = action.files[0] if action.files else action.quote
    return code(f"{action.tool} {detail}".strip() if detail and detail not in ("{}",) else action.tool, limit)


def label(families: set[str], role: str) -> str:
    if len(families) == 1:
        return code(next(iter(families)))
    return _ROLE_NOUN.get(role, "a tool call")


def successful(digests: list[TraceDigest]) -> list[TraceDigest]:
    return [d for d in digests if d.success is not False and len(d.roles) >= 3]
