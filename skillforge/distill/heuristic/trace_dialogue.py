"""Customer-service tool conversations (tau-bench style: a user, an agent, tools such as
``get_reservation_details`` / ``book_reservation``, a reward): the domain rules successful conversations
followed, and what failed conversations did that successful ones of the same request did not.

A conversation counts when it has several user turns and calls structured tools (not a shell or an
editor). Rules about what worked come only from resolved conversations; failed ones give pitfalls.
"""

from __future__ import annotations

import json
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from skillforge.distill.heuristic.abstract import abstract_value
from skillforge.models import Trace

if TYPE_CHECKING:
    from skillforge.distill.heuristic.trace_common import SkillNames
    from skillforge.distill.heuristic.trace_digest import TraceDigest
    from skillforge.models import Lesson

__all__ = ["Dialogue", "DialogueCall", "dialogue_lessons", "dialogue_of"]

_WRITE = re.compile(
    r"^(?:book|cancel|update|modify|create|send|exchange|return|delete|change|add|remove|refund|pay|issue|place|"
    r"submit|set|reset|upgrade|downgrade|apply|redeem|approve|close|open|reopen|assign|escalate)_?"
)
_HANDOFF = re.compile(r"(?i)transfer|handoff|hand_off|escalate_to|human")
_AFFIRM = re.compile(
    r"(?i)^\W*(?:yes|yeah|yep|sure|correct|confirm(?:ed)?|ok(?:ay)?|go ahead|please (?:go ahead|proceed)|proceed|"
    r"that(?:'s| is) (?:right|correct)|sounds good|do it|absolutely|definitely)\b"
)
_DOMAIN = re.compile(r"(?im)^\s*#*\s*([a-z][a-z-]+)\s+(?:agent\s+|customer\s+service\s+|support\s+)?policy\b|"
                     r"\byou are an? (?:helpful )?([a-z][a-z-]+) (?:customer service|support|service) agent")
_VERBS = {"get", "list", "search", "find", "book", "cancel", "update", "modify", "create", "send", "calculate",
          "think", "transfer", "to", "details", "exchange", "return", "delete", "change", "add", "remove", "by",
          "direct", "onestop", "one", "stop", "all", "human", "agents", "agent", "id", "info", "information"}


@dataclass
class DialogueCall:
    tool: str
    step: int
    kind: str
    """``read``, ``write``, ``handoff`` or ``other``."""
    args: dict[str, Any]
    confirmed: bool
    """The user's last turn before the call was an explicit yes."""
    confirm_step: int | None
    confirm_quote: str
    quote: str
    looked_up: list[str] = field(default_factory=list)
    """Read tools called earlier on one of this call's argument values."""
    sourced_from: dict[str, str] = field(default_factory=dict)
    """Argument keys whose value came out of an earlier tool's output (not from the user): key -> tool."""


@dataclass
class Dialogue:
    domain: str | None
    calls: list[DialogueCall]
    words: list[str]


def dialogue_of(trace: Trace) -> Dialogue | None:
    """The conversation facts of a customer-service style trace, or None for other traces."""
    users = [s for s in trace.steps if s.role == "user" and s.text.strip()]
    named = [s.tool_call.name for s in trace.steps if s.tool_call is not None]
    if len(users) < 2 or any(_is_coding_tool(n) for n in named):
        return None
    system = " ".join(s.text[:400] for s in trace.steps if s.role == "system")
    found = _DOMAIN.search(system)
    domain = next((g.lower() for g in found.groups() if g), None) if found else None
    if not named:
        # A conversation under a service policy that needed no tool call (the agent declined) still counts.
        return Dialogue(domain, [], []) if domain else None
    if not any("_" in n for n in named):
        return None
    calls: list[DialogueCall] = []
    last_user: tuple[int, str] | None = None
    outputs: list[tuple[str, str]] = []
    user_text = ""
    read_values: dict[str, list[str]] = defaultdict(list)
    for number, step in enumerate(trace.steps):
        if step.role == "user" and step.text.strip():
            last_user = (number, step.text.strip())
            user_text += "\n" + step.text
            continue
        if step.tool_result is not None and calls:
            outputs.append((calls[-1].tool, step.tool_result.output[:20000]))
        if step.tool_call is None:
            continue
        name = step.tool_call.name
        args = step.tool_call.arguments if isinstance(step.tool_call.arguments, dict) else {}
        kind = "handoff" if _HANDOFF.search(name) else "write" if _WRITE.match(name) else (
            "read" if re.match(r"^(?:get|list|search|find|lookup|check|fetch|show|query)_", name) else "other")
        confirmed = bool(last_user and _AFFIRM.search(last_user[1][:200]))
        values = [str(v) for v in args.values() if isinstance(v, (str, int)) and len(str(v)) >= 3]
        call = DialogueCall(
            tool=name, step=number, kind=kind, args=args, confirmed=confirmed,
            confirm_step=last_user[0] if last_user else None,
            confirm_quote=last_user[1].split("\n", 1)[0][:80] if last_user else "",
            quote=name,
            looked_up=sorted({t for v in values for t in read_values.get(v, [])}),
            sourced_from={k: tool for k, v in args.items() if isinstance(v, str) and len(v) >= 3
                          and v not in user_text for tool, out in outputs if v in out},
        )
        calls.append(call)
        if kind == "read":
            for v in values:
                read_values[v].append(name)
    words = Counter(w for c in calls for w in re.split(r"[_\W]+", c.tool.lower()) if w and w not in _VERBS)
    return Dialogue(domain, calls, [w for w, _ in words.most_common(8)])


def _is_coding_tool(name: str) -> bool:
    from skillforge.distill.heuristic.actions import _EDITOR_TOOLS, CODE_TOOLS, SHELL_TOOLS

    lowered = name.lower()
    return (lowered in SHELL_TOOLS or lowered in CODE_TOOLS or lowered in _EDITOR_TOOLS or "bash" in lowered
            or "shell" in lowered or lowered in ("submit", "finish", "str_replace_editor"))


def skill_name(digests: list[TraceDigest]) -> str:
    domains = Counter(d.dialogue.domain for d in digests if d.dialogue and d.dialogue.domain)
    return f"{domains.most_common(1)[0][0]}-customer-support" if domains else "customer-support"


def _code(name: str) -> str:
    return f"`{name}`"


def _join(names: list[str]) -> str:
    shown = [_code(n) for n in names[:4]]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def _example(call: DialogueCall) -> str:
    shown = {k: abstract_value(k, v) for k, v in sorted(call.args.items()) if not isinstance(v, (list, dict))}
    return f"`{call.tool} {json.dumps(shown, ensure_ascii=False)}`" if shown else _code(call.tool)


def dialogue_lessons(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    """Domain rules from resolved conversations, pitfalls from failed ones paired with a resolved one."""
    from skillforge.distill.heuristic.trace_common import make_lesson

    talks = [d for d in digests if d.dialogue is not None]
    if not talks:
        return []
    skill = skill_name(talks)
    good = [d for d in talks if d.resolved and not d.failed_run]
    bad = [d for d in talks if d.failed_run]
    words = [w for w, _ in Counter(w for d in talks if d.dialogue is not None for w in d.dialogue.words).most_common(6)]
    domain = skill.removesuffix("-customer-support").removesuffix("customer-support")
    base_tags = ["scope:general", *(f"keyword:{w}" for w in [domain, *words] if w)]
    target = (skill, base_tags)
    lessons: list[Lesson] = []

    def calls(d: TraceDigest) -> list[DialogueCall]:
        assert d.dialogue is not None
        return d.dialogue.calls

    # 1. Confirm before every change.
    writers = [d for d in good if any(c.kind == "write" for c in calls(d))]
    if len(writers) >= 2 and all(c.confirmed for d in writers for c in calls(d) if c.kind == "write"):
        tools = [t for t, _ in Counter(c.tool for d in writers for c in calls(d) if c.kind == "write").most_common()]
        evidence = []
        for d in writers:
            first = next(c for c in calls(d) if c.kind == "write")
            evidence.append(d.evidence(first.confirm_step, first.confirm_quote))
            evidence.append(d.evidence(first.step, first.quote))
        lessons.append(make_lesson(
            "success_pattern", "Confirm every change with the user first",
            f"Before calling {_join(tools)}, read the change back to the user (what changes, the cost and how it is "
            "paid) and wait for an explicit yes, because every successful conversation confirmed each change first.",
            target, "guardrails", evidence, len(writers), helpful=sum(d.success is True for d in writers)))

    # 2. Look the record up before changing it.
    checked = [d for d in writers if all(c.looked_up for c in calls(d) if c.kind == "write")]
    if len(checked) >= 2:
        reads = [t for t, _ in Counter(t for d in checked for c in calls(d) if c.kind == "write"
                                       for t in c.looked_up).most_common()]
        tools = [t for t, _ in Counter(c.tool for d in checked for c in calls(d) if c.kind == "write").most_common()]
        sample = next(c for d in checked for c in calls(d) if c.kind == "read" and c.tool == reads[0])
        lessons.append(make_lesson(
            "success_pattern", f"Fetch the record with {reads[0]} before changing it",
            f"Fetch the current record with {_join(reads[:2])} before calling {_join(tools)}, and check the request "
            "against what it shows and the policy, because successful conversations changed only what they had "
            f"looked up first.\nExample: {_example(sample)}",
            target, "procedure", [d.evidence(c.step, c.quote) for d in checked for c in calls(d)
                                   if c.kind == "write"][:12], len(checked),
            helpful=sum(d.success is True for d in checked)))

    # 3. Find an identifier the user does not know with a lookup.
    sourced: dict[tuple[str, str, str], list[tuple[TraceDigest, DialogueCall]]] = defaultdict(list)
    for d in good:
        for c in calls(d):
            for key, tool in sorted(c.sourced_from.items()):
                if tool != c.tool:
                    sourced[(key, tool, c.tool)].append((d, c))
    for (key, source, user), items in sorted(sourced.items()):
        runs = sorted({d.trace_id for d, _ in items})
        if len(runs) < 2:
            continue
        holder = abstract_value(key, "X1")
        lessons.append(make_lesson(
            "success_pattern", f"Find {key} with {source}",
            f"When the user does not know the {holder} for {_code(user)}, find it with {_code(source)} and check the "
            f"candidates one by one instead of asking again, because successful conversations took it from there.",
            target, "procedure", [d.evidence(c.step, c.quote) for d, c in items], len(runs),
            helpful=sum(1 for r in runs if next(d for d, _ in items if d.trace_id == r).success is True)))

    # 4. Failed conversations against a resolved one of the same request.
    lessons += _paired_pitfalls(good, bad, calls, target)
    return lessons


def _paired_pitfalls(good: list[TraceDigest], bad: list[TraceDigest], calls: Any, target: tuple[str, list[str]]
                     ) -> list[Lesson]:
    from skillforge.distill.heuristic.trace_common import make_lesson

    by_task = defaultdict(list)
    for d in good:
        if d.task_id is not None:
            by_task[d.task_id].append(d)
    extra: dict[str, list[tuple[TraceDigest, DialogueCall, set[str]]]] = defaultdict(list)
    missing: dict[str, list[tuple[TraceDigest, set[str]]]] = defaultdict(list)
    for d in bad:
        peers = by_task.get(d.task_id or "", [])
        if not peers:
            continue
        did = {c.tool for c in calls(d) if c.kind in ("write", "handoff")}
        peer_did = {c.tool for p in peers for c in calls(p) if c.kind in ("write", "handoff")}
        for c in calls(d):
            if c.kind == "write" and c.tool not in peer_did:
                extra[c.tool].append((d, c, peer_did))
        for tool in sorted(peer_did - did):
            if _WRITE.match(tool):
                missing[tool].append((d, peer_did))
    lessons = []
    for tool, items in sorted(extra.items()):
        instead = sorted({t for _, _, peer in items for t in peer})
        handoff = [t for t in instead if _HANDOFF.search(t)]
        alternative = (f"hand the case to a person with {_code(handoff[0])} or explain what the policy allows"
                       if handoff else "explain what the policy allows and make no change")
        runs = {d.trace_id for d, _, _ in items}
        lessons.append(make_lesson(
            "pitfall", f"Do not call {tool} when the policy does not allow it",
            f"Do not call {_code(tool)} just because the user asks: check the policy conditions against the record "
            f"first, and when they are not met, {alternative}, because conversations that called it where the "
            "successful ones of the same request did not were judged failed.",
            target, "pitfalls", [d.evidence(c.step, c.quote) for d, c, _ in items], len(runs),
            harmful=sum(d.success is False for d in {x[0].trace_id: x[0] for x in items}.values())))
    for tool, misses in sorted(missing.items()):
        runs = {d.trace_id for d, _ in misses}
        evidence = [d.evidence(calls(d)[-1].step, calls(d)[-1].quote) for d, _ in misses if calls(d)]
        if not evidence:
            continue
        lessons.append(make_lesson(
            "pitfall", f"Make every requested change, including {tool}",
            f"Make every change the user asked for before closing, including {_code(tool)}, because failed "
            "conversations left it out where successful ones of the same request called it.",
            target, "pitfalls", evidence, len(runs), harmful=sum(d.success is False for d, _ in misses)))
    return lessons
