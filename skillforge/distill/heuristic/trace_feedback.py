"""What the person at the keyboard said during an interactive session (Claude Code, Codex): corrections,
"it still does not work" reports, and the reply after a rejected or interrupted call.

A user correcting the agent ("no, use pnpm instead of npm", "don't commit yet") is the strongest signal a
session holds: a person saying what the agent should have done. Host chatter that arrives as a user turn
(``<system-reminder>``, task notifications, slash-command echoes, compaction summaries, IDE context
preambles) is not the user talking and is dropped first.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from skillforge.distill.heuristic.abstract import abstract

if TYPE_CHECKING:
    from skillforge.distill.heuristic.trace_common import SkillNames
    from skillforge.distill.heuristic.trace_digest import TraceDigest
    from skillforge.models import Lesson, Trace

__all__ = ["UserTurn", "feedback_lessons", "user_turns", "user_words"]

TurnKind = Literal["correction", "still_broken", "other"]


@dataclass
class UserTurn:
    step: int
    text: str
    """What the user wrote, host chatter removed (first 600 characters)."""
    kind: TurnKind
    after: str = ""
    """Family of the last tool call before this turn (what the user reacted to), or ""."""
    after_tool: str = ""


_HOST_BLOCK = re.compile(
    r"(?s)<(system-reminder|task-notification|command-name|command-message|command-args|local-command-stdout|"
    r"local-command-stderr|local-command-caveat|user-prompt-submit-hook|bash-input|bash-stdout|bash-stderr|"
    r"environment_context|user_instructions|ide_selection|ide_opened_file)>.*?</\1>"
)
_HOST_TURN = re.compile(
    r"(?i)^\s*(?:\[request interrupted by user|caveat: the messages below|this session is being continued from|"
    r"base directory for this skill|your task is to create a detailed summary|<[a-z_-]+>|/[a-z][\w:-]*\s*$|"
    r"please continue the conversation from where we left)"
)
_IDE_REQUEST = re.compile(r"(?s)##\s*My request for Codex:\s*(.*)$")

_CORRECTION = re.compile(
    r"(?i)^(?:(?:no|nope|wrong|stop|wait|actually|hmm|ugh)\b[,.!:]?\s*|(?:that'?s|that is|this is) (?:not|wrong)\b|"
    r"not (?:the|that|this|what|like|in|on)\b|i (?:said|meant|asked|told you)\b|you (?:should(?:n't| not)?|need to|must|"
    r"forgot|missed|broke)\b|(?:please )?(?:don'?t|do not|never|always|stop|avoid)\b|(?:please )?use\b.{0,60}\b(?:instead|"
    r"not)\b|instead\b|rather\b)"
)
_STILL_BROKEN = re.compile(
    r"(?i)\b(?:still (?:does(?:n'?t| not)|do(?:n'?t| not)|is(?:n'?t| not)|not|fails?|failing|broken|the same|shows?|"
    r"get(?:ting)?|see(?:ing)?|happens?|crash(?:es)?)|(?:did(?:n'?t| not)|does(?:n'?t| not)) (?:seem to )?(?:work|fix|"
    r"help|change anything)|not working|same (?:error|problem|issue|result))\b"
)
_PROCESS = re.compile(
    r"(?i)\b(commit|push|branch|merge|rebase|test|tests|lint|format|formatter|install|npm|pnpm|yarn|bun|uv|pip|poetry|"
    r"cargo|docker|make|script|scripts|command|commands|run|build|deploy|migration|migrations|pr|pull request|"
    r"comment|comments|docs|readme|changelog|file|files|folder|directory|import|imports|type|types|dependency|"
    r"dependencies|package|library|api|log|logs|ask|confirm|plan|todo|mock|mocks|fixture|fixtures|sudo|git)\b"
)
"""Words of how the work is done (tools, files, process), as opposed to what a feature should look like."""
_LEAD = re.compile(r"(?i)^(?:(?:no|nope|wrong|wait|actually|hmm|ugh|ok(?:ay)?|so|but|and|also)\b[,.!:]?\s*)+")


def user_turns(trace: Trace) -> list[UserTurn]:
    """The user's own turns after the task message, each classified, with the call it reacted to."""
    turns: list[UserTurn] = []
    seen_task = False
    last_family = last_tool = ""
    for number, step in enumerate(trace.steps):
        if step.tool_call is not None:
            from skillforge.distill.heuristic.actions import action_of

            action = action_of(number, step)
            last_family, last_tool = action.family, action.tool
            continue
        if step.role != "user" or not step.text.strip():
            continue
        text = user_words(step.text)
        if not text:
            continue
        if not seen_task:
            seen_task = True
            continue
        turns.append(UserTurn(number, text[:600], _kind(text), last_family, last_tool))
    return turns


def user_words(text: str) -> str:
    """What the user wrote in a user turn, without host chatter ("" when the turn is only chatter)."""
    request = _IDE_REQUEST.search(text)
    if request:
        text = request.group(1)
    text = _HOST_BLOCK.sub(" ", text).strip()
    if not text or _HOST_TURN.match(text):
        return ""
    return text


def _kind(text: str) -> TurnKind:
    first = text.strip().split("\n", 1)[0]
    if _STILL_BROKEN.search(first[:300]):
        return "still_broken"
    if _CORRECTION.match(first):
        return "correction"
    return "other"


def instruction(text: str) -> str:
    """The user's correction as an instruction: its first sentence, lead words dropped, run values abstracted
    ("" when it names nothing about how the work is done, e.g. which button a feature meant)."""
    first = re.split(r"(?<=[.!?])\s+|\n", text.strip(), maxsplit=1)[0].strip()
    first = _LEAD.sub("", first).strip(" ,.-")
    if len(first) < 8 or len(first) > 200 or first.endswith("?") or not _PROCESS.search(first):
        return ""
    first = abstract(first)
    return first[:1].lower() + first[1:]


def feedback_lessons(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    """Rules from what users said: each correction about how the work is done, and one pitfall when users
    reported that a change the agent made still did not work."""
    from skillforge.distill.heuristic.trace_common import code, make_lesson, outcome_counts, shown_family

    lessons: list[Lesson] = []
    corrections: dict[str, list[tuple[TraceDigest, UserTurn, str]]] = defaultdict(list)
    broken: list[tuple[TraceDigest, UserTurn]] = []
    for d in digests:
        for turn in d.feedback:
            if turn.kind == "correction":
                said = instruction(turn.text)
                if said:
                    corrections[said.lower().rstrip(".!")].append((d, turn, said))
            elif turn.kind == "still_broken":
                broken.append((d, turn))
    for _, items in sorted(corrections.items()):
        d0, first, said = items[0]
        after = f"after {code(shown_family(first.after, [first.after_tool]))}" if first.after else ""
        rule = f"{said[:1].upper()}{said[1:].rstrip('.!')}, because the user corrected the agent on this."
        detail = f"The user said this{' ' + after if after else ''}: \"{first.text[:200].strip()}\""
        traces = {d.trace_id for d, _, _ in items}
        areas = [d.area for d, _, _ in items]
        lessons.append(make_lesson(
            "guardrail", f"User correction: {said[:60]}", f"{rule}\n{detail}", names.target(areas, False),
            "guardrails", [d.evidence(t.step, t.text) for d, t, _ in items], len(traces),
            **outcome_counts(d for d, _, _ in items),
            keywords=["correction", *(w.lower() for w in _PROCESS.findall(said)[:4]), *([first.after] if first.after else [])]))
    if broken:
        broken.sort(key=lambda x: (x[0].trace_id, x[1].step))
        d0, first = broken[0]
        rule = ("Before saying a change works, check it the way the user will use it (run the app, repeat the "
                "interaction, re-run the failing command), because users came back saying the change still did not work.")
        detail = f"For example, the user wrote: \"{first.text[:200].strip()}\""
        traces = {d.trace_id for d, _ in broken}
        lessons.append(make_lesson(
            "pitfall", "Changes reported done that still did not work", f"{rule}\n{detail}",
            names.target([d.area for d, _ in broken], True), "pitfalls",
            [d.evidence(t.step, t.text) for d, t in broken], len(traces), **outcome_counts(d for d, _ in broken),
            keywords=["verify", "regression", *([first.after] if first.after else [])]))
    return lessons
