"""Pitfalls from agent traces: errors nothing recovered from, calls the host did not let run, and what
unsuccessful runs had in common. Every rule says what to do instead, with placeholders for run values."""

from __future__ import annotations

from collections import Counter, defaultdict

from skillforge.distill.heuristic.abstract import abstract
from skillforge.distill.heuristic.signals import FAILURE_WORDS
from skillforge.distill.heuristic.trace_common import (
    ANY_TOOL_KINDS,
    KIND_FIX,
    MIN_TASKS,
    ROLE_PHRASE,
    SkillNames,
    any_command,
    clean_quote,
    code,
    condition,
    example,
    is_shell,
    kind_fix,
    label,
    make_lesson,
    outcome_counts,
    successful,
    task_count,
)
from skillforge.distill.heuristic.trace_digest import (
    INTERPRETERS,
    Denial,
    ErrorSeen,
    TraceDigest,
    pitfall_key,
)
from skillforge.distill.heuristic.trace_hints import generic_command
from skillforge.models import Evidence, Lesson

__all__ = ["denial_lessons", "outcome_pitfalls", "unrecovered"]

_INSTEAD = {
    **KIND_FIX,
    "test_failure": "check whether it also fails without your change (e.g. on a clean checkout) before chasing it",
    "not_found": "list the directory or search for the file and use the path it shows",
    "edit_mismatch": "re-read the file and copy the exact text to replace",
}


def _display(signature: str) -> str:
    from skillforge.distill.heuristic.trace_lessons import display_signature

    return display_signature(signature)


def unrecovered(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    """Errors nothing in the next few calls recovered from, seen at least twice (or in a failed run)."""
    recovered = {r.signature.lower() for d in digests for r in d.recoveries}
    # A known kind some run recovered from already has its rule (with the same fix) under recoveries.
    recovered_kinds = {r.failed.failure for d in digests if not d.failed_run and d.dialogue is None
                       for r in d.recoveries if r.failed.failure in _SAME_FIX_KINDS}
    clusters: dict[str, list[tuple[TraceDigest, ErrorSeen]]] = defaultdict(list)
    for d in digests:
        if d.dialogue is not None:
            continue
        for e in d.errors:
            if e.signature.lower() in recovered or e.environment:
                continue
            kind = e.action.failure or "other"
            if kind in recovered_kinds:
                continue
            # A kind whose fix is the same whatever hit it (a missing path, package, command; a shell command
            # timing out) is one rule. A service timing out keeps its own: it is retried, not narrowed.
            same_fix = kind in ANY_TOOL_KINDS or kind == "timeout" and is_shell(e.action)
            family = "" if same_fix else e.family
            clusters[f"{family}\0{kind if kind in _INSTEAD else pitfall_key(e)}"].append((d, e))
    lessons = []
    for _, items in sorted(clusters.items()):
        items.sort(key=lambda x: (x[0].trace_id, x[1].action.step))
        d0, first = items[0]
        count = sum(e.count for _, e in items)
        if count < 2 and not any(d.failed_run for d, _ in items):
            continue  # one unexplained failure in a good run is an anecdote, not a pitfall
        kind = first.action.failure or "other"
        families = sorted({e.family for _, e in items})
        who = label(set(families), first.role, {e.action.tool for _, e in items})
        if len(families) > 1 and (kind in ANY_TOOL_KINDS or kind == "timeout"):
            who = any_command(e.action for _, e in items)
        quote = code(abstract(clean_quote(first.error_quote), d0.scratch), 100)
        hint = next((e.action.hint for _, e in items if e.action.hint), "")
        if kind == "timeout" and not all(is_shell(e.action) for _, e in items):
            # A service that does not answer is not made faster by a narrower command.
            rule = (f"{condition(who, kind)} ({quote}), retry it once after a pause, then tell the user the "
                    "service did not answer instead of calling it again")
        elif kind in _INSTEAD:
            fix = kind_fix(kind, [hint]) if kind in KIND_FIX and "{hint}" in KIND_FIX[kind] else _INSTEAD[kind]
            # The text an edit did not find is that run's code, not part of the rule.
            rule = f"{condition(who, kind)}, {fix}" if kind == "edit_mismatch" else f"{condition(who, kind)} ({quote}), {fix}"
        elif hint:
            rule = f"When {who} fails with {quote}, use the fix its message suggests ({code(hint, 80)})"
        elif task_count(items) < MIN_TASKS:
            continue  # one task's particular error with nothing to say about it: an anecdote
        elif (first.next_ok is not None and first.next_ok.family not in families and first.next_ok.role == first.role
              and first.next_ok.role not in ("submit", "trivial") and first.next_ok.family not in INTERPRETERS):
            # Only a different command doing the same job is an alternative to name; the same tool called again
            # with other arguments says nothing a reader could repeat, giving up (submitting) is no alternative,
            # and what the run did next (wrote a script, read a file, ran code it typed in) is no alternative either.
            rule = f"When {who} fails with {quote}, switch to {example(first.next_ok, 70, d0.scratch)} as the run did"
        else:
            continue  # "change the call" says nothing a reader could do
        # Only the very same call failing again says resending does not help: a changed call failing the same
        # way (another flag, another path) or the error coming back later in the run does not.
        resent = any(e.resent for _, e in items)
        rule += "; resending it unchanged failed the same way." if resent else "."
        evidence = [d.evidence(e.action.result_step, e.error_quote) for d, e in items]
        traces = {d.trace_id for d, _ in items}
        rule += f"\nIt failed this way {count} time(s) in {len(traces)} run(s)."  # detail for references/
        lessons.append(make_lesson(
            "pitfall", f"{' or '.join(families)} fails with {_display(first.signature)}", rule,
            names.target((d.area for d, _ in items), kind in _INSTEAD), "pitfalls", evidence, len(traces),
            **outcome_counts(d for d, _ in items), keywords=[*families[:2], kind.replace("_", "-")]))
    return lessons


_DENIAL_RULE = {
    "requires approval": ("When the host answers that a command requires approval, ask the user to approve it, or "
                          "split a chained command into single commands the session allows, instead of resending it"),
    "haven't granted it yet": ("When a tool needs a permission the user has not granted, say which tool and why, and "
                               "continue with the tools you may use instead of calling it again"),
    "was blocked": ("When a path outside the allowed working directories is blocked, work inside the project "
                    "directory or ask the user to add the path, instead of retrying it"),
    "sandbox denied": ("When the sandbox denies a command (`sandbox denied`, `operation not permitted`), re-run it with the escalation the host offers "
                       "(e.g. Codex `sandbox_permissions: require_escalated` with a justification) or ask the user"),
    "operation not permitted": ("When the sandbox answers `operation not permitted`, re-run the command with the "
                                "escalation the host offers (e.g. Codex `sandbox_permissions: require_escalated`) or "
                                "ask the user"),
    "security policy": ("When a tool refuses an action under its security policy, ask the user to do that step or to "
                        "change the policy; do not look for a way around it"),
    "doesn't want to proceed": ("When the user rejects a tool call, drop that approach and follow the correction in "
                                "their next message before proposing the call again; if they give none, ask what to "
                                "change"),
    "rejected": "",
    "interrupted by user": ("When the user interrupts a call, stop and follow the instruction in their next message "
                            "(or ask how to continue) before running it again"),
}


_SAME_RULE = {"operation not permitted": "sandbox denied", "rejected": "doesn't want to proceed",
              "interrupted": "interrupted by user"}
"""Phrases that call for the same rule share one (two near-identical guardrails are one too many)."""


def denial_lessons(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    """Guardrails for calls the host did not let run (approval prompts, blocked paths, sandbox denials,
    user interruptions): not failures to retry, but moments to ask or escalate."""
    clusters: dict[str, list[tuple[TraceDigest, Denial]]] = defaultdict(list)
    for d in digests:
        for n in d.denials:
            phrase = n.phrase if n.phrase in _DENIAL_RULE else n.kind
            clusters[_SAME_RULE.get(phrase, phrase)].append((d, n))
    lessons = []
    for phrase, items in sorted(clusters.items()):
        rule = _DENIAL_RULE.get(phrase) or _DENIAL_RULE["interrupted by user"]
        items.sort(key=lambda x: (x[0].trace_id, x[1].action.step))
        d0, first = items[0]
        worked = next(((d, n) for d, n in items if n.then is not None), None)
        replied = next(((d, n) for d, n in items if n.reply is not None), None)
        body = [rule + "."]
        if replied is not None and replied[1].reply is not None:
            d, n = replied
            said = abstract(replied[1].reply.text.split("\n", 1)[0][:160].strip())
            body.append(f"Example: the user stopped {example(n.action, 60, d.scratch)} and wrote: \"{said}\".")
        elif worked is not None:
            d, n = worked
            assert n.then is not None
            body.append(f"Example: {example(n.action, 70, d.scratch)} was denied, then {example(n.then, 70, d.scratch)} ran.")
        evidence = [d.evidence(n.action.result_step, _quote(n)) for d, n in items]
        evidence += [d.evidence(n.reply.step, n.reply.text) for d, n in items if n.reply is not None]
        traces = {d.trace_id for d, _ in items}
        phrases = {n.phrase for _, n in items}
        denied = sum(d.denial_counts[p] for d in {id(d): d for d, _ in items}.values() for p in phrases)
        if denied < 2 and len(traces) < 2 and replied is None:
            continue  # one prompt, handled, with nothing the user said about it: an anecdote, not a guardrail
        body.append(f"The host answered this way {denied} time(s) in {len(traces)} run(s).")
        lessons.append(make_lesson(
            "guardrail", f"Permission: {phrase}", "\n".join(body), names.target([], True), "guardrails", evidence,
            len(traces), **outcome_counts(d for d, _ in items),
            keywords=["permission", "approval", "sandbox", *sorted({n.action.tool.lower() for _, n in items})[:3]]))
    return lessons


def _quote(n: Denial) -> str:
    return n.quote


_CHECKS = frozenset({"test", "lint", "build", "run", "reproduce", "submit", "vcs"})
"""Roles whose last failure a run could have fixed and re-run (an edit that failed is re-applied instead)."""


def outcome_pitfalls(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    """What unsuccessful runs have in common: the error they ended on, the steps and tools they skipped."""
    failed = sorted((d for d in digests if d.failed_run and d.dialogue is None), key=lambda d: d.trace_id)
    if not failed:
        return []
    good = successful(digests)
    lessons = []
    by_signature: dict[str, list[TraceDigest]] = defaultdict(list)
    for d in failed:
        if d.final_error is not None:
            by_signature[f"{d.final_error.family}\0{d.final_error.action.failure or d.final_error.signature}"].append(d)
    for _, members in sorted(by_signature.items()):
        e = members[0].final_error
        assert e is not None
        if len(members) < 2 and len(failed) > 3:
            continue
        what = FAILURE_WORDS.get(e.action.failure or "", "") or code(_display(e.signature))
        if e.role in _CHECKS:
            rule = (f"Do not finish while {code(e.family)} still fails with {what}: re-run it after your change "
                    "and make it pass first, because unsuccessful runs ended right there.")
        elif e.role == "edit":
            who = label({e.family}, e.role, {d.final_error.action.tool for d in members if d.final_error})
            rule = (f"Do not finish on a failed {who} ({what}): the change was never made; re-read the file, apply "
                    "the edit again and confirm it took, because unsuccessful runs ended right there.")
        else:
            continue  # a last failed read or search is where those runs stopped, not why they failed
        lessons.append(make_lesson(
            "pitfall", f"Runs ended after {e.family} failed with {_display(e.signature)}", rule,
            names.target([d.area for d in members], e.environment), "pitfalls",
            [d.evidence(d.final_error.action.result_step, d.final_error.error_quote) for d in members if d.final_error],
            len(members), **outcome_counts(members), keywords=[e.family]))
    lessons += _skipped_by_failures(failed, good, names)
    return lessons


_SAME_FIX_KINDS = ANY_TOOL_KINDS | {"edit_mismatch", "syntax", "not_read", "too_large", "shell_quoting"}
"""Kinds whose pitfall would repeat the fix their recovery rule already gives."""

_SKIPPED_PHRASE = {"run": "run the code you changed and read its output"}
"""A step named on its own, where ROLE_PHRASE's wording leans on the step before ("run it")."""


def _skipped_by_failures(failed: list[TraceDigest], good: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    """Steps most successful runs took that unsuccessful runs left out."""
    if len(good) < 2:
        return []
    lessons = []
    # Submitting, committing and cleaning up are what a run does once it has succeeded: failed runs leave
    # them out because they failed, so "do not skip submitting" would mistake an effect for a cause.
    usual = Counter(x for d in good for x in set(d.roles) & set(ROLE_PHRASE) - {"submit", "vcs", "cleanup"})
    for item in sorted(x for x, n in usual.items() if n * 5 >= len(good) * 3):
        missing = [d for d in failed if item not in d.roles and d.roles]
        if not missing or len(missing) * 2 < len(failed) and len(missing) < 3:
            continue
        evidence = [e for e in (_where_skipped(d, item) for d in missing) if e is not None]
        if evidence:
            shown = _as_taken([d for d in good if item in d.roles], item)
            body = (f"Do not skip this step: {_SKIPPED_PHRASE.get(item, ROLE_PHRASE[item])}"
                    f"{f' (e.g. {shown})' if shown else ''}, because successful runs did and unsuccessful runs left it out.")
            if item in _AFTER_CHANGE:
                body += "\nEach unsuccessful run is quoted at its last change, which it never checked this way."
            lessons.append(make_lesson(
                "pitfall", f"Unsuccessful runs skipped step {item}", body,
                names.target([d.area for d in missing], len({d.area for d in missing}) > 1), "pitfalls", evidence,
                len(missing), **outcome_counts(missing), keywords=[item]))
    return lessons


_AFTER_CHANGE = frozenset({"run", "test", "lint", "build", "review"})
"""Steps that check a change: skipping one shows at the run's last change, which nothing checked afterwards."""


def _where_skipped(d: TraceDigest, item: str) -> Evidence | None:
    """Where run ``d`` shows it skipped ``item``: the last change it never checked (for a checking step), else
    its last call (which it made without ever taking the step)."""
    if item in _AFTER_CHANGE and d.final_edit is not None:
        return d.evidence(d.final_edit.step, d.final_edit.quote)
    last = max((a for acts in d.role_examples.values() for a in acts), key=lambda a: a.index, default=None)
    return d.evidence(last.step, last.quote) if last is not None else None


def _as_taken(runs: list[TraceDigest], item: str) -> str:
    """The step as the successful runs took it: the command most of them used, with run values as placeholders."""
    actions = [a for d in runs for a in d.role_examples.get(item, [])[:1]]
    if not actions:
        return ""
    family = Counter(a.family for a in actions).most_common(1)[0][0]
    sample = min((a for a in actions if a.family == family), key=lambda a: (len(a.quote), a.quote))
    d = next(d for d in runs if sample in d.role_examples.get(item, []))
    shown = example(sample, 60, d.scratch)
    return generic_command(shown) if is_shell(sample) else shown
