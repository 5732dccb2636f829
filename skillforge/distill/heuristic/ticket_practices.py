"""Transferable triage practices, each learned only when the resolved tickets show it.

A practice is a rule a person would draw from a pile of closed tickets ("reproduce the reporter's snippet
as a failing test first", "give the exact settings path"), with a detector that finds, in one ticket, the
quote that shows the practice at work. A practice becomes a lesson when enough resolved tickets show it;
its support and evidence are those tickets, so the rule is as general as the tickets behind it and no more.
The rule text never carries ticket data; the per-ticket quotes go to the detail lines (references/).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import PurePath

from skillforge.distill.heuristic.ticket_digest import TicketDigest
from skillforge.models import Lesson

__all__ = ["PRACTICES", "Practice", "practice_lessons"]

Found = tuple[int | None, str]
"""(step, quote) showing a practice in one ticket; step None means the report itself."""


@dataclass(frozen=True)
class Practice:
    key: str
    title: str
    rule: str
    detect: Callable[[TicketDigest], Found | None]
    repo: bool | None
    """Which tickets it is about: code-repository issues (True), helpdesk tickets (False), both (None)."""
    keywords: tuple[str, ...] = ()


_CODE_START = re.compile(r"^(?:>>> .+|```\w*\s*$)", re.MULTILINE)
_REGRESSION = re.compile(
    r"(?im)^.*\b(?:introduced (?:in|by)|regression|since (?:version|v?\d|upgrading|updating)|after (?:upgrading|updating)"
    r"|used to work|worked (?:in|with) (?:version|v?\d))\b.*$"
)
_QUESTION = re.compile(r"[^.!?\n]*\?")
_EXPECTATION = re.compile(r"(?i)\b(should|expected|supposed|what .{0,40}(?:be|look like))\b")
_GUARD = re.compile(r"^\+\s*(?:el)?if\s+.*(?:\bNone\b|==\s*0\b|\bnot\b|\blen\(|\bis\b).*:\s*$", re.MULTILINE)
_MENU = re.compile(r"\b[A-Z][\w ]{1,30}\s>\s[A-Z][\w ]{1,30}(?:\s>\s[A-Z][\w ]{1,30})*")
_ACCOUNT = re.compile(r"(?i)[^.\n]*\b(?:on file|was set to|is set to|linked to|account (?:uses|is linked)|configured)\b[^.\n]*")
_CONFIRM = re.compile(
    r"(?i)\b(that worked|works now|working now|all good|now works|is fixed|flowing again|received|solved|resolved)\b"
)


def _traceback_to_fix(d: TicketDigest) -> Found | None:
    fixed = {PurePath(c.path).name for c in d.changes}
    for step, path, quote in reversed(d.frames):  # deepest frame first
        if PurePath(path).name in fixed:
            return step, quote
    return None


def _snippet_then_test(d: TicketDigest) -> Found | None:
    if not d.tests:
        return None
    match = _CODE_START.search(d.task)
    if not match:
        return None
    line = match.group(0).strip()
    if line.startswith("```"):  # quote the first code line, not the fence
        rest = d.task[match.end() :].lstrip("\n").splitlines()
        line = next((ln.strip() for ln in rest if ln.strip()), line)
    return None, line


def _verified_by_tests(d: TicketDigest) -> Found | None:
    return (d.resolution_step, d.resolution_quote) if d.tests and d.resolution_step is not None else None


def _guard_fix(d: TicketDigest) -> Found | None:
    match = _GUARD.search(d.resolution)
    return (d.resolution_step, match.group(0)[1:].strip()) if match else None


def _small_fix(d: TicketDigest) -> Found | None:
    if len(d.changes) == 1 and d.changes[0].plus + d.changes[0].minus <= 30 and d.resolution_step is not None:
        return d.resolution_step, d.resolution_quote
    return None


def _regression(d: TicketDigest) -> Found | None:
    match = _REGRESSION.search(d.task)
    return (None, match.group(0).strip()) if match else None


def _expected_behaviour(d: TicketDigest) -> Found | None:
    for step, text in d.replies:
        for question in _QUESTION.findall(text):
            if _EXPECTATION.search(question) and len(question.strip()) >= 15:
                return step, question.strip()
    return None


def _first_reply_asks(d: TicketDigest) -> Found | None:
    if not d.replies or not d.customer:
        return None
    step, text = d.replies[0]
    # A question only counts when the reporter answered it before the ticket closed.
    if not any(s > step for s, _ in d.customer):
        return None
    question = next((q.strip() for q in _QUESTION.findall(text) if len(q.strip()) >= 10), "")
    return (step, question) if question else None


def _confirmed(d: TicketDigest) -> Found | None:
    if not d.replies:
        return None
    for step, text in d.customer:
        if step > d.replies[0][0] and (match := _CONFIRM.search(text)):
            line = next(ln for ln in text.splitlines() if match.group(0) in ln)
            return step, line.strip()
    return None


def _menu_path(d: TicketDigest) -> Found | None:
    for step, text in [*d.replies, (d.resolution_step, d.resolution)]:
        if text and (match := _MENU.search(text)):
            return step, match.group(0).strip()
    return None


def _account_setting(d: TicketDigest) -> Found | None:
    for step, text in [*d.replies, (d.resolution_step, d.resolution)]:
        if text and (match := _ACCOUNT.search(text)):
            return step, match.group(0).strip()
    return None


PRACTICES: tuple[Practice, ...] = (
    Practice("traceback", "Start from the traceback frame that names the failing module",
             "When a report includes a traceback, start at the deepest frame inside the project's own code, because "
             "the fix landed in the file that frame names.", _traceback_to_fix, True, ("traceback", "exception")),
    Practice("snippet", "Turn the reporter's snippet into a failing test first",
             "When a report includes a snippet that reproduces the problem, turn it into a failing test before "
             "changing code, because each fix was accepted on tests that failed before it and pass after.",
             _snippet_then_test, True, ("reproduction", "test")),
    Practice("verify", "Verify with the tests that failed before the fix",
             "Before closing a report, run the tests that failed before the fix together with the existing suite, "
             "because a fix counts only when those pass and nothing that passed before breaks.",
             _verified_by_tests, True, ("pytest", "test")),
    Practice("guard", "Guard the empty or missing value",
             "When a report shows a crash on an empty, missing or `None` value, add a guard for that case where the "
             "value is first used, because such reports were fixed by a small guard, not a redesign.",
             _guard_fix, True, ("none", "crash")),
    Practice("small", "Keep the fix to the failing module",
             "Keep the fix to the module that fails and leave unrelated code alone, because the accepted fixes each "
             "changed one file by a few lines.", _small_fix, True, ("patch",)),
    Practice("regression", "Read the change that introduced a regression",
             "When a report names the change or version that introduced the problem, read that change first, because "
             "the fix has to undo or adjust what it changed.", _regression, True, ("regression",)),
    Practice("expected", "Settle the expected behaviour before patching",
             "When a report does not say what the correct result is, settle the expected behaviour in the thread "
             "before patching, because maintainers first asked what the output should be.",
             _expected_behaviour, True, ("expected",)),
    Practice("ask", "Ask for the deciding detail in the first reply",
             "When a report lacks the detail that decides the cause (how the account or environment is set up), ask "
             "for it in the first reply, because the resolved tickets turned on the reporter's answer.",
             _first_reply_asks, None, ("account",)),
    Practice("confirm", "Close only after the customer confirms",
             "Close a ticket only after the customer confirms the fix works, because the resolved tickets ended with "
             "that confirmation.", _confirmed, False, ("confirmation",)),
    Practice("menu", "Give the exact settings path",
             "When the customer can fix it themselves, give the exact menu path to the setting (`Settings > …`), "
             "because those tickets closed once the customer followed it.", _menu_path, False, ("settings",)),
    Practice("account", "Check the account setup before changing anything",
             "Check how the customer's account is set up before changing anything, because the cause was an account "
             "setting rather than a defect.", _account_setting, False, ("account", "settings")),
)


def practice_lessons(skill: str, digests: list[TicketDigest], domain: list[str], repo: bool) -> list[Lesson]:
    """The practices enough resolved tickets of this kind show (two, or one when there are fewer than four)."""
    resolved = [d for d in digests if d.resolved and d.repo == repo]
    need = 2 if len(resolved) >= 4 else 1
    lessons = []
    for order, practice in enumerate(PRACTICES):
        if practice.repo is not None and practice.repo != repo:
            continue
        found = [(d, hit) for d in resolved if (hit := practice.detect(d)) and hit[1]]
        if len({d.trace_id for d, _ in found}) < need:
            continue
        # Which tickets (the quotes themselves are the evidence the renderer lists next to it).
        details = ["Seen in " + "; ".join(f"“{d.subject}” ({d.ticket_id})" for d, _ in found[:6]) + "."]
        words = list(dict.fromkeys([*practice.keywords, *domain]))[:8]
        lessons.append(Lesson(
            kind="success_pattern", title=practice.title, body="\n".join([practice.rule, *details]),
            target_skill=skill, evidence=[d.evidence(step, quote) for d, (step, quote) in found],
            support=len({d.trace_id for d, _ in found}), helpful=len({d.trace_id for d, _ in found}), harmful=0,
            tags=sorted({"section:practices", "source:ticket", "scope:general", f"order:{order:02d}",
                         *(f"keyword:{w}" for w in words)}),
        ))
    return lessons
