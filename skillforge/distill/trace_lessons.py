"""Lessons from agent traces, aggregated across digests: recoveries, procedures, commands, files, pitfalls.

Each lesson is backed by evidence from every trace that supports it; ``support`` counts distinct traces.
Lessons that hold for any project (tool errors, permission problems, a procedure seen in several
projects) go to one general skill; project-specific ones to a skill named after the project.
"""

from __future__ import annotations

from collections import Counter, defaultdict

from skillforge.distill.actions import SHELL_TOOLS, Action
from skillforge.distill.trace_common import (
    ROLE_PHRASE,
    SkillNames,
    code,
    example,
    is_shell,
    label,
    make_lesson,
    successful,
)
from skillforge.distill.trace_digest import ErrorSeen, FixRerun, Recovery, TraceDigest, fix_note
from skillforge.distill.trace_pitfalls import outcome_pitfalls, unrecovered
from skillforge.models import Lesson

__all__ = ["SkillNames", "trace_lessons"]

def trace_lessons(digests: list[TraceDigest]) -> list[Lesson]:
    """Every lesson the heuristics find in these agent-trace digests."""
    if not digests:
        return []
    names = SkillNames.from_digests(digests)
    lessons: list[Lesson] = []
    lessons += _recoveries(digests, names)
    lessons += _fix_reruns(digests, names)
    lessons += unrecovered(digests, names)
    lessons += _procedures(digests, names)
    lessons += _sequences(digests, names)
    lessons += _commands(digests, names)
    lessons += _files(digests, names)
    lessons += outcome_pitfalls(digests, names)
    return lessons


# --------------------------------------------------------------------------- recoveries


def _recoveries(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    clusters: dict[str, list[tuple[TraceDigest, Recovery]]] = defaultdict(list)
    for d in digests:
        for r in d.recoveries:
            clusters[r.signature.lower()].append((d, r))
    stuck: dict[str, list[tuple[TraceDigest, ErrorSeen]]] = defaultdict(list)
    for d in digests:
        for e in d.errors:
            if e.signature.lower() in clusters:
                stuck[e.signature.lower()].append((d, e))
    lessons = []
    for key, items in clusters.items():
        items.sort(key=lambda x: (x[0].trace_id, x[1].failed.step))
        _, first = items[0]
        families = {r.family for _, r in items}
        who = label(families, first.role)
        harness_tool = all(r.tool.lower() not in SHELL_TOOLS and "bash" not in r.tool.lower() for _, r in items)
        general = first.environment or (harness_tool and first.role in ("edit", "read", "search"))
        fix = _describe_fix(first)
        note = fix_note((first.between[0] if first.between else first.fixed).thought)
        body = [f"When {who} fails with {code(first.signature)}, {fix}."]
        if note:
            body.append(f"Why it worked: {note}")
        failed_text, fixed_text = example(first.failed), example(first.fixed)
        if failed_text != fixed_text:
            body.append(f"Example: {failed_text} failed, then {fixed_text} worked.")
        else:
            body.append(f"Example: {failed_text} failed, then worked with the change above.")
        blind = sum(e.count for _, e in stuck[key])
        if first.retries or blind:
            body.append(f"Do not resend the same call: {first.retries + blind} identical retr"
                        f"{'y' if first.retries + blind == 1 else 'ies'} failed the same way.")
        evidence = []
        for d, r in items:
            evidence.append(d.evidence(r.failed.result_step, r.error_quote))
            evidence.append(d.evidence(r.fixed.step, r.fixed.quote))
        evidence += [d.evidence(e.action.result_step, e.error_quote) for d, e in stuck[key]]
        traces = sorted({d.trace_id for d, _ in items} | {d.trace_id for d, _ in stuck[key]})
        lessons.append(make_lesson("recovery", f"When {who} fails with {first.signature}", "\n".join(body),
                               names.target((d.area for d, _ in items), general), "recovery", evidence, len(traces)))
    return lessons


def _describe_fix(r: Recovery) -> str:
    failed, fixed = r.failed, r.fixed
    if isinstance(failed.args, dict) and isinstance(fixed.args, dict):
        keys = sorted(k for k in {*failed.args, *fixed.args} if failed.args.get(k) != fixed.args.get(k))
        short = {k: fixed.args[k] for k in keys
                 if isinstance(fixed.args.get(k), (str, int, float, bool)) and len(str(fixed.args[k])) <= 60}
        if failed.command == fixed.command and short:
            return "run the same call again with " + ", ".join(f"`{k}: {v}`" for k, v in short.items())
        if not is_shell(fixed) and 0 < len(keys) <= 3:
            parts = [f"`{k}: {short[k]}`" if k in short else f"a corrected `{k}`" for k in keys]
            return "retry with " + ", ".join(parts)
    steps = []
    checks = [b for b in r.between if b.failed is False and b.role in ("read", "search", "trivial")]
    shown = list(dict.fromkeys(example(b, 50) for b in checks))
    if shown:
        steps.append("first check with " + " and ".join(shown[:2]))
    if fixed.files and failed.files and fixed.files != failed.files and fixed.role != "edit":
        steps.append(f"retry with the corrected path {code(fixed.files[0], 60)}")
    elif fixed.role == "edit" and fixed.main_length < 0.6 * failed.main_length:
        steps.append("retry with a shorter, exact snippet")
    elif fixed.role == "edit":
        steps.append("fix what the error points at and re-issue the whole edit")
    else:
        steps.append(f"correct the call and retry (what worked: {example(fixed, 70)})")
    return ", then ".join(steps)


def _fix_reruns(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    clusters: dict[str, list[tuple[TraceDigest, FixRerun]]] = defaultdict(list)
    for d in digests:
        for f in d.fixes:
            clusters[f.signature.lower()].append((d, f))
    lessons = []
    for items in clusters.values():
        items.sort(key=lambda x: (x[0].trace_id, x[1].failed.step))
        _, first = items[0]
        edited = sorted({p for _, f in items for e in f.edits for p in e.files})
        note = fix_note(first.edits[0].thought) if first.edits else ""
        where = f"edit {', '.join(code(p, 60) for p in edited[:3])}" if edited else "fix the cause"
        if note and len(note) <= 160:
            # The agent's own diagnosis is the lesson; put it in the rule, not only in references/.
            body = [(f"When {code(first.family)} fails with {code(first.signature)}: {note} "
                     f"({where.replace('edit', 'edited', 1)}, then re-ran it)")]
        else:
            body = [f"When {code(first.family)} fails with {code(first.signature)}, {where} and re-run it."]
            if note:
                body.append(f"What fixed it: {note}")
        body.append(f"Example: {code(first.failed.quote)} failed, then worked after the edit.")
        evidence = []
        for d, f in items:
            evidence.append(d.evidence(f.failed.result_step, f.error_quote))
            evidence.extend(d.evidence(e.step, e.quote) for e in f.edits[:1])
        traces = {d.trace_id for d, _ in items}
        lessons.append(make_lesson("recovery", f"When {first.family} fails with {first.signature}", "\n".join(body),
                               names.target((d.area for d, _ in items), False), "recovery", evidence, len(traces)))
    return lessons


# --------------------------------------------------------------------------- what worked


def _procedures(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    good = [d for d in successful(digests) if "edit" in d.roles and {"run", "test"} & set(d.roles)]
    if len(good) < 2:
        return []
    first_pos: dict[str, list[float]] = defaultdict(list)
    holders: dict[str, list[TraceDigest]] = defaultdict(list)
    for d in good:
        for role in dict.fromkeys(d.roles):
            first_pos[role].append(d.roles.index(role) / max(1, len(d.roles) - 1))
            holders[role].append(d)
    seen = [r for r in first_pos if len(holders[r]) >= 2 and r in ROLE_PHRASE]
    common = [r for r in seen if len(holders[r]) * 2 >= len(good)]
    if len(common) < 3:
        return []
    seen.sort(key=lambda r: (sorted(first_pos[r])[len(first_pos[r]) // 2], r))
    lines = [(f"Work in this order: {' → '.join(r for r in seen if r in common)} "
              f"(the order {len(good)} successful runs followed).")]
    evidence = []
    number = 0
    for role in seen:
        if role == "run" and "reproduce" not in seen and role not in common:
            continue
        examples = [a for d in holders[role] for a in d.role_examples.get(role, [])[:1]]
        family = Counter(a.family for a in examples).most_common(1)[0][0]
        sample = min((a for a in examples if a.family == family), key=lambda a: (len(a.quote), a.quote))
        share = f"{len(holders[role])}/{len(good)} runs" + ("" if role in common else ", optional")
        number += 1
        lines.append(f"{number}. {ROLE_PHRASE[role].capitalize()}, e.g. {example(sample, 70)} ({share}).")
        for d in holders[role]:
            action = d.role_examples[role][0]
            evidence.append(d.evidence(action.step, action.quote))
    areas = [d.area for d in good]
    return [make_lesson("procedure", "Work order that succeeded", "\n".join(lines),
                    names.target(areas, len(set(areas)) > 1), "procedure", evidence, len(good))]


def _sequences(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    good = successful(digests)
    counts: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for d in good:
        fams = d.families
        seen = set()
        for n in range(3, 7):
            for i in range(len(fams) - n + 1):
                gram = tuple(fams[i : i + n])
                if gram not in seen:
                    seen.add(gram)
                    counts[gram].add(d.trace_id)
    frequent = {g: t for g, t in counts.items() if len(t) >= 2}
    maximal = [g for g in frequent if not any(len(o) > len(g) and _contains(o, g) and frequent[o] == frequent[g]
                                              for o in frequent)]
    maximal.sort(key=lambda g: (-len(frequent[g]) * len(g), g))
    lessons = []
    by_id = {d.trace_id: d for d in good}
    chosen: list[tuple[str, ...]] = []
    for gram in maximal:
        if len(chosen) < 2 and not any(_contains(c, gram[:3]) or _contains(gram, c[:3]) for c in chosen):
            chosen.append(gram)
    for gram in chosen:
        holders = [by_id[t] for t in sorted(frequent[gram])]
        body = f"This tool sequence worked in {len(holders)} runs: {' → '.join(code(f) for f in gram)}."
        evidence = []
        for d in holders:
            action = next((a for r in d.roles for a in d.role_examples[r] if a.family == gram[0]), None)
            if action is not None:
                evidence.append(d.evidence(action.step, action.quote))
        areas = [d.area for d in holders]
        lessons.append(make_lesson("success_pattern", "Tool sequence: " + " → ".join(gram), body,
                               names.target(areas, len(set(areas)) > 1), "procedure", evidence, len(holders)))
    return lessons


def _contains(longer: tuple[str, ...], shorter: tuple[str, ...]) -> bool:
    n = len(shorter)
    return any(longer[i : i + n] == shorter for i in range(len(longer) - n + 1))


def _commands(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    clusters: dict[tuple[str | None, str], list[tuple[TraceDigest, str, int, str]]] = defaultdict(list)
    for d in digests:
        for c in d.commands:
            if d.area or names.single_area:
                clusters[(d.area, c.family)].append((d, c.command, c.step, c.role))
    lessons = []
    for (area, family), items in sorted(clusters.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        commands = Counter(cmd for _, cmd, _, _ in items)
        example = min(commands, key=lambda c: (-commands[c], len(c), c))
        traces = {d.trace_id for d, _, _, _ in items}
        role = items[0][3]
        body = f"{ROLE_PHRASE[role].capitalize()} with {code(example)} (worked in {len(traces)} run(s))."
        evidence = [d.evidence(step, cmd) for d, cmd, step, _ in items]
        where = f" in {area}" if area else ""
        lessons.append(make_lesson("success_pattern", f"Run {family}{where}", body,
                               names.target([area], False), "commands", evidence, len(traces)))
    return lessons


def _files(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    per_area: dict[str, dict[str, list[tuple[TraceDigest, Action]]]] = defaultdict(lambda: defaultdict(list))
    for d in digests:
        if d.area and d.success is not False:
            for path, action in d.edited:
                per_area[d.area][path.lstrip("./")].append((d, action))
    lessons = []
    for area, files in sorted(per_area.items()):
        ranked = sorted(files.items(), key=lambda kv: (-len({d.trace_id for d, _ in kv[1]}), kv[0]))[:8]
        parts = [f"{code(path, 70)} ({len({d.trace_id for d, _ in uses})} run(s))" for path, uses in ranked]
        traces = {d.trace_id for uses in files.values() for d, _ in uses}
        evidence = [d.evidence(a.step, a.quote) for _, uses in ranked for d, a in uses[:1]]
        lessons.append(make_lesson("success_pattern", f"Files that matter in {area}",
                               "Successful runs changed: " + ", ".join(parts) + ".",
                               names.target([area], False), "files", evidence, len(traces)))
    return lessons


