"""Lessons from agent traces, aggregated across digests: recoveries, procedures, commands, files, pitfalls.

Outcome-aware: a recovery is learned only from a retry that worked in a run that did not fail, a
procedure or command only from resolved runs; failed runs feed pitfalls (``trace_pitfalls``).
Run-specific values become placeholders (``abstract``), so rules that differ only by them merge into one
with their combined support. ``helpful``/``harmful`` count the supporting runs that succeeded/failed.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from skillforge.distill.heuristic.abstract import abstract, once_each
from skillforge.distill.heuristic.actions import SHELL_TOOLS, Action
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
    make_lesson,
    outcome_counts,
    shown_family,
    successful,
    task_count,
    unescape_lines,
)
from skillforge.distill.heuristic.trace_dialogue import dialogue_lessons
from skillforge.distill.heuristic.trace_digest import FixRerun, Recovery, TraceDigest, fix_note
from skillforge.distill.heuristic.trace_feedback import feedback_lessons
from skillforge.distill.heuristic.trace_hints import generic_command, generic_edit
from skillforge.distill.heuristic.trace_pitfalls import denial_lessons, outcome_pitfalls, unrecovered
from skillforge.models import Lesson

__all__ = ["SkillNames", "display_signature", "trace_lessons"]


def trace_lessons(digests: list[TraceDigest]) -> list[Lesson]:
    """Every lesson the heuristics find in these agent-trace digests."""
    if not digests:
        return []
    names = SkillNames.from_digests(digests)
    lessons: list[Lesson] = []
    lessons += _recoveries(digests, names)
    lessons += _fix_reruns(digests, names)
    lessons += unrecovered(digests, names)
    lessons += denial_lessons(digests, names)
    lessons += _procedures(digests, names)
    lessons += _commands(digests, names)
    lessons += _files(digests, names)
    lessons += outcome_pitfalls(digests, names)
    lessons += dialogue_lessons(digests, names)
    lessons += feedback_lessons(digests, names)
    return lessons


def display_signature(signature: str) -> str:
    """A normalized error signature as a rule shows it: ``<path>`` -> ``{path}``, numbers dropped."""
    text = unescape_lines(re.sub(r"\x1b\[[0-9;]*m|\\x1b\[[0-9;]*m", "", signature)).split("\n", 1)[0]
    text = text.replace("<path>", "{path}").replace("<file>", "{file}").replace("<url>", "{url}")
    text = text.replace("<hex>", "{hash}").replace("'<text>'", "…")
    text = re.sub(r"(?::?<n>)+", "", text)
    text = re.sub(r"[\w./{}-]*\.py::[\w:.\[\]{}-]*|[\w./-]*\{path\}::[\w:.\[\]{}-]*", "{test_id}", text)
    return abstract(re.sub(r"\s+", " ", text).strip(" :"))


def _learnable(d: TraceDigest) -> bool:
    return not d.failed_run and d.dialogue is None


# --------------------------------------------------------------------------- recoveries


_KIND_FIX = KIND_FIX


_SAYS_WHY = re.compile(r"\b(?:because|since)\b", re.IGNORECASE)
_GENERIC_FIX_KINDS = ("test_failure", "import", "syntax", "not_found")


def _recoveries(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    clusters: dict[tuple[str, str], list[tuple[TraceDigest, Recovery]]] = defaultdict(list)
    for d in digests:
        if not _learnable(d):
            continue
        for r in d.recoveries:
            kind = r.failed.failure or "other"
            key = kind if kind in _KIND_FIX else display_signature(r.signature).lower()
            # A missing path is fixed the same way whichever tool hit it: one rule, not one per tool.
            who = "" if kind in ANY_TOOL_KINDS else r.role if r.role in ("edit", "read", "search", "test") else r.family
            clusters[(who, key)].append((d, r))
    lessons = []
    for _cluster, items in sorted(clusters.items()):
        items.sort(key=lambda x: (x[0].trace_id, x[1].failed.step))
        d0, first = items[0]
        families = sorted({r.family for _, r in items})
        kind = first.failed.failure or "other"
        roles = {r.role for _, r in items}
        if len(families) > 1 and kind in ANY_TOOL_KINDS:
            who = any_command(r.failed for _, r in items)
        else:
            who = _who(families, first, {r.tool for _, r in items}) if len(roles) == 1 or len(families) == 1 else "a call"
        hints = [r.failed.hint for _, r in items]
        if kind in _KIND_FIX:
            when = condition(who, kind)
            fix = kind_fix(kind, hints)
            stand_ins = [r.fixed for _, r in items if r.fixed.family != r.family]
            if kind == "command_not_found" and stand_ins:
                # The command the project provided instead (sympy's `bin/test` for `pytest`) is the example.
                fix += f" (e.g. {generic_command(example(stand_ins[0], 60, d0.scratch))})"
        else:
            when = f"When {who} fails with {code(display_signature(first.signature))}"
            hint = next((h for h in hints if h), "")
            if hint:
                fix = f"use the fix its message suggests ({code(hint, 80)})"
            else:
                # The fix must be one that runs of different tasks share (a flag or an answer that got
                # past one task's check is that task's, however many tasks hit the same message).
                fixes: dict[str, set[str]] = defaultdict(set)
                for d, r in items:
                    fixes[_describe_fix(r, d)].add(d.task_key)
                own = _describe_fix(first, d0)
                fix, tasks = max(fixes.items(), key=lambda kv: (len(kv[1]), kv[0] == own))
                if len(tasks) < MIN_TASKS:
                    continue  # one task's particular error and the command that got past it: an anecdote
        note = fix_note((first.between[0] if first.between else first.fixed).thought)
        note = abstract(note, d0.scratch) if note else ""
        note = re.sub(r"(?i)^because\s+", "", note)
        # The agent's own diagnosis is the reason, when it states one ("The path was relative to …") and the
        # fix does not already give one.
        reason = (f", because {note[0].lower()}{note[1:].rstrip('.')}"
                  if note and len(note) < 140 and re.match(r"(?i)^(the|it|this|that|because)\b", note)
                  and not _SAYS_WHY.search(fix) and not _SAYS_WHY.search(note[1:]) else "")
        body = [f"{when}, {fix}{reason}."]
        body.append(f"Example: {example(first.failed, 80, d0.scratch)} failed with "
                    f"{code(abstract(clean_quote(first.error_quote), d0.scratch), 100)}, then {example(first.fixed, 80, d0.scratch)} worked.")
        retries = sum(r.retries for _, r in items)
        if retries:
            body.append("Resending the identical call failed the same way; change the call before sending it again.")
        evidence = []
        for d, r in items:
            evidence.append(d.evidence(r.failed.result_step, r.error_quote))
            evidence.append(d.evidence(r.fixed.step, r.fixed.quote))
        general = first.environment or kind in _KIND_FIX or all(r.tool.lower() not in SHELL_TOOLS for _, r in items)
        traces = {d.trace_id for d, _ in items}
        lessons.append(make_lesson(
            "recovery", when, "\n".join(body), names.target((d.area for d, _ in items), general), "recovery",
            evidence, len(traces), **outcome_counts(d for d, _ in items),
            keywords=[*families[:3], kind.replace("_", "-")]))
    return lessons


def _who(families: list[str], first: Recovery, tools: set[str]) -> str:
    if len(families) == 1:
        return code(shown_family(families[0], tools))
    return {"edit": "an edit", "read": "a read", "search": "a search", "test": "a test run"}.get(first.role, "a call")


def _describe_fix(r: Recovery, d: TraceDigest) -> str:
    failed, fixed = r.failed, r.fixed
    if isinstance(failed.args, dict) and isinstance(fixed.args, dict):
        keys = sorted(k for k in {*failed.args, *fixed.args} if failed.args.get(k) != fixed.args.get(k))
        short = {k: fixed.args[k] for k in keys
                 if isinstance(fixed.args.get(k), (str, int, float, bool)) and len(str(fixed.args[k])) <= 60}
        if short and (failed.command == fixed.command or not is_shell(fixed)) and len(keys) <= 3:
            from skillforge.distill.heuristic.abstract import abstract_value

            parts = ", ".join(f"`{k}: {abstract_value(k, v)}`" for k, v in short.items())
            return f"send the same call again with {parts}"
    checks = [b for b in r.between if b.failed is False and b.role in ("read", "search", "trivial")]
    shown = list(dict.fromkeys(example(b, 50, d.scratch) for b in checks))
    first = f"first check with {' and '.join(shown[:2])}, then " if shown else ""
    return f"{first}run {example(fixed, 70, d.scratch)} instead"


def _fix_reruns(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    clusters: dict[str, list[tuple[TraceDigest, FixRerun]]] = defaultdict(list)
    # A kind the recoveries already teach (failing tests: read the first assertion, fix, re-run) is not
    # taught again per command.
    taught = {r.failed.failure for d in digests if _learnable(d) for r in d.recoveries if r.failed.failure in _KIND_FIX}
    for d in digests:
        if _learnable(d):
            for f in d.fixes:
                if f.failed.failure in taught:
                    continue
                clusters[f"{f.family}\0{(f.failed.failure or display_signature(f.signature)).lower()}"].append((d, f))
    lessons = []
    for _, items in sorted(clusters.items()):
        items.sort(key=lambda x: (x[0].trace_id, x[1].failed.step))
        d0, first = items[0]
        kind = first.failed.failure or "other"
        if kind not in _GENERIC_FIX_KINDS and task_count(items) < MIN_TASKS:
            continue  # "When python fails with TypeError: …, edit the code": one task's bug, not a rule
        what = FAILURE_WORDS[kind] if kind in _GENERIC_FIX_KINDS else code(display_signature(first.signature))
        note = fix_note(first.edits[0].thought) if first.edits else ""
        note = abstract(note, d0.scratch) if note else ""
        if kind == "test_failure":
            action = "read the first failing assertion, edit the code under test (not the test), and re-run the same command"
        else:
            action = "edit the code the error points at, then re-run the same command unchanged"
        reason = f": {note.rstrip('.')}" if note and len(note) < 140 else ""
        rule = f"When {code(first.family)} fails with {what}, {action}{reason}."
        body = [rule, f"Example: {code(abstract(first.failed.quote, d0.scratch))} failed, then worked after the edit."]
        evidence = []
        for d, f in items:
            evidence.append(d.evidence(f.failed.result_step, f.error_quote))
            evidence.extend(d.evidence(e.step, e.quote) for e in f.edits[:1])
        traces = {d.trace_id for d, _ in items}
        lessons.append(make_lesson(
            "recovery", f"When {first.family} fails with {what}", "\n".join(body),
            names.target((d.area for d, _ in items), False), "recovery", evidence, len(traces),
            **outcome_counts(d for d, _ in items), keywords=[first.family, kind.replace("_", "-")]))
    return lessons


# --------------------------------------------------------------------------- what worked


_SUBTASKS: list[tuple[str, tuple[str, ...], str]] = [
    ("locate", ("search", "read"), "Locate the code the task is about: search for the names it mentions, then read them"),
    ("reproduce", ("reproduce", "run"), "Reproduce the problem with a minimal script before changing anything"),
    ("edit", ("edit",), "Make the smallest change that fixes the cause"),
    ("verify", ("test", "lint", "build"), "Verify the fix: re-run the reproduction and the relevant tests"),
    ("cleanup", ("cleanup",), "Remove the scratch scripts you created"),
    ("review", ("review", "vcs"), "Review the diff"),
    ("submit", ("submit",), "Submit the result"),
]
_SUBTASK_SHORT = {"locate": "locate the code", "reproduce": "reproduce the problem", "edit": "make the smallest fix",
                  "verify": "verify it", "cleanup": "clean up", "review": "review the diff", "submit": "submit"}


_CREATE_TOOLS = frozenset({"create", "write", "write_file", "create_file"})


def _changed_code(d: TraceDigest) -> bool:
    """Did the run change files that were there before (not only write new ones, as a run that solves a
    puzzle with a script of its own does)? Edits of an existing file use an editing tool or ``sed -i``."""
    return any(action.tool.lower() not in _CREATE_TOOLS for _, action in d.edited) if d.edited else True


_CAT_WRITE = re.compile(r"""^\s*cat\s+(?:<<-?\s*['"]?\w+['"]?\s+)?>\s*[^>\s]""")
"""``cat > x.py << 'EOF'`` and ``cat <<'EOF' > x.py``: a file written whole (``>>`` appends, and is no such write)."""


def _wrote_new(action: Action) -> bool:
    """Did this first change of a file write it whole, as a new file (``Write``, ``cat > x.py << 'EOF'``)?"""
    return action.tool.lower() in _CREATE_TOOLS or bool(_CAT_WRITE.match(action.command))


_SUBSTITUTING = frozenset({"sed -i", "perl -pi"})
"""Edit families whose command carries the run's own code (``sed -i 's/old/new/' file``)."""


def _procedures(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    good = [d for d in successful(digests) if "edit" in d.roles and {"run", "test"} & set(d.roles) and _changed_code(d)]
    if len(good) < 2:
        return []
    position: dict[str, list[float]] = defaultdict(list)
    holders: dict[str, list[TraceDigest]] = defaultdict(list)
    for d in good:
        for name, roles, _ in _SUBTASKS:
            where = [i for i, r in enumerate(d.roles) if r in roles]
            if where:
                position[name].append(where[0] / max(1, len(d.roles) - 1))
                holders[name].append(d)
    common = [n for n, _, _ in _SUBTASKS if len(holders[n]) * 2 >= len(good) and len(holders[n]) >= 2]
    if len(common) < 3:
        return []
    order = [n for n, _, _ in _SUBTASKS if n in common]  # the purposeful order, not an average position
    fixing = sum(d.fix_task for d in good) * 2 >= len(good)
    goal = "To fix a bug" if fixing else "To change code"
    lines = [f"{goal}, {', '.join(_SUBTASK_SHORT[n] for n in order[:-1])}, then {_SUBTASK_SHORT[order[-1]]}."]
    evidence = []
    phrases = {n: p for n, _, p in _SUBTASKS}
    roles_of = {n: r for n, r, _ in _SUBTASKS}
    for number, name in enumerate(order, 1):
        roles = roles_of[name]
        if name == "verify":
            # Verifying is shown by a test run when any run has one, not by an install that came first.
            roles = tuple(r for r in roles if any(d.role_examples.get(r) for d in holders[name]))[:1]
        examples = [a for d in holders[name] for r in roles for a in d.role_examples.get(r, [])[:1]]
        scratch = set().union(*(d.scratch for d in holders[name]))
        families = Counter(a.family for a in examples)
        candidates = []
        for family, _ in families.most_common(3):
            sample = min((a for a in examples if a.family == family), key=lambda a: (len(a.quote), a.quote))
            if is_shell(sample) and family in _SUBSTITUTING:
                # The substitution's text was one task's fix; how the edit is made is what carries over.
                candidates.append(code(once_each(abstract(generic_edit(sample.command), scratch)), 60))
            else:
                candidates.append(generic_command(example(sample, 60, scratch)) if is_shell(sample)
                                  else example(sample, 60, scratch))
        # Examples that fit come first; one cut short (a long `sed -i` pattern) only when nothing else fits.
        whole = [c for c in candidates if "…" not in c]
        shown = whole[:2] or candidates[:1]
        lines.append(f"{number}. {phrases[name]}, e.g. {' or '.join(dict.fromkeys(shown))}.")
        for d in holders[name]:
            action = next((a for r in roles_of[name] for a in d.role_examples.get(r, [])), None)
            if action is not None:
                evidence.append(d.evidence(action.step, action.quote))
    areas = [d.area for d in good]
    return [make_lesson("procedure", "Work order that succeeded", "\n".join(lines),
                        names.target(areas, len(set(areas)) > 1), "procedure", evidence, len(good),
                        **outcome_counts(good), keywords=["bug" if fixing else "code", "tests", "reproduce"])]


def _commands(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    clusters: dict[tuple[str | None, str], list[tuple[TraceDigest, str, int, str]]] = defaultdict(list)
    runs: dict[tuple[str | None, str], Counter[str]] = defaultdict(Counter)
    for d in digests:
        if not (d.resolved and not d.failed_run and d.dialogue is None):
            continue
        for c in d.commands:
            if d.area or names.single_area:
                command = generic_command(abstract(c.command, d.scratch))
                clusters[(d.area, c.family)].append((d, command, c.step, c.role))
                runs[(d.area, c.family)][command] += c.count
    # A run whose project could not be told, running a command that one project's runs ran, ran that project's
    # command: one rule, not a second one without the project's name.
    for (area, family), items in list(clusters.items()):
        if area is not None:
            continue
        for item in list(items):
            homes = [a for (a, f), counts in runs.items() if a is not None and f == family and item[1] in counts]
            if len(homes) == 1:
                items.remove(item)
                clusters[(homes[0], family)].append(item)
                runs[(homes[0], family)][item[1]] += runs[(None, family)][item[1]]
                runs[(None, family)][item[1]] = 0
        if not items:
            del clusters[(area, family)], runs[(area, family)]
        else:
            runs[(area, family)] = +runs[(area, family)]  # drop the commands that moved
    samples = {key: min(counts, key=lambda c: (-counts[c], len(c), c)) for key, counts in runs.items() if counts}
    # The same stock command in the projects of several areas (`python -m pytest` everywhere) is none's own.
    stock_areas = Counter(family for (area, family), sample in samples.items() if area and _default_command(sample))
    lessons = []
    for (area, family), items in sorted(clusters.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        sample = samples[(area, family)]
        if "{scratch_script}" in sample or "{path}" in sample:
            continue  # a command on a scratch script or an absolute path is not a project command
        traces = {d.trace_id for d, _, _, _ in items}
        if _default_command(sample) and (task_count(items) < MIN_TASKS or stock_areas[family] > 1):
            continue  # `pytest {test_file}` once in a Python project tells an agent nothing it would not do
        role = items[0][3]
        where = f" in {area}" if area else ""
        body = f"{ROLE_PHRASE[role].capitalize()}{where} with {code(sample)}."
        evidence = [d.evidence(step, d_cmd) for d, _, step, _ in items for d_cmd in [_raw(d, step)] if d_cmd]
        lessons.append(make_lesson("success_pattern", f"Run {family}{where}", body,
                                   names.target([area], False), "commands", evidence, len(traces),
                                   **outcome_counts(d for d, _, _, _ in items), keywords=[family, role]))
    return lessons


_DEFAULT_COMMANDS = frozenset({
    "pytest", "python -m pytest", "py.test", "python -m unittest", "npm test", "npm run test", "yarn test", "pnpm test",
    "npx jest", "jest", "npx vitest", "vitest", "cargo test", "cargo build", "go test", "go build", "make", "make test",
    "mvn test", "gradle test", "./gradlew test", "tox", "nox", "ruff check", "mypy", "eslint", "tsc",
    "npm run build", "yarn build", "pnpm build", "npm install", "npm ci", "yarn install", "pnpm install",
    "pip install .", "pip install", "uv sync", "poetry install", "cargo check", "make install",
})
"""Each ecosystem's stock test, build and lint commands: a run using one says nothing about its project."""


_ROOT_CD = re.compile(r"^\s*cd\s+(?:/|\{path\})\S*\s*&&\s*")


def _default_command(command: str) -> bool:
    """Is ``command``, without placeholders, flags and paths, one of the stock commands? Going to the checkout's
    root first (``cd /testbed &&``), redirecting or cutting the output short (``2>&1 | tail -50``) or selecting
    tests (``-k L060``) changes nothing; going into a sub-project (``cd apps/app &&``) does."""
    command = _ROOT_CD.sub("", command).split("|", 1)[0]
    command = re.sub(r"\s\d?>&\d|\s&?\d?>>?\s*\S+|\s-k\s+(?:'[^']*'|\"[^\"]*\"|\S+)", " ", command)
    words = [w for w in command.split() if not w.startswith(("{", "-")) or w == "-m"]
    words = [w for w in words if "/" not in w.strip("./")
             and not re.search(r"\.(?:py|js|ts|tsx|go|rs|java)$", w)]
    return " ".join(words) in _DEFAULT_COMMANDS


def _raw(d: TraceDigest, step: int) -> str:
    return next((c.quote for c in d.commands if c.step == step), "")


_ROOTS = re.compile(r"^(?:/(?:testbed|workspace|repo|app|src|code|project|tmp)/|[A-Za-z]:\\)")


def _relative(path: str, area: str | None) -> str | None:
    """A project-relative path, or None when it cannot be told (absolute paths outside known roots)."""
    clean = path.strip()
    if clean.startswith(("./",)):
        clean = clean[2:]
    if not clean.startswith(("/", "~")):
        return clean
    parts = clean.split("/")
    if area:
        for i, part in enumerate(parts):
            if part and (part.lower().replace("_", "-") == area or part.lower().endswith("__" + area)
                         or part.lower().endswith("__" + area.replace("-", "_"))):
                rest = "/".join(parts[i + 1:])
                return rest or None
    match = _ROOTS.match(clean)
    if match:
        rest = clean[match.end():]
        rest_parts = rest.split("/")
        if len(rest_parts) > 1 and "__" in rest_parts[0]:
            rest = "/".join(rest_parts[1:])
        return rest or None
    return None


def _files(digests: list[TraceDigest], names: SkillNames) -> list[Lesson]:
    per_area: dict[str, dict[str, list[tuple[TraceDigest, Action]]]] = defaultdict(lambda: defaultdict(list))
    for d in digests:
        if d.area and d.resolved and not d.failed_run and d.dialogue is None:
            for path, action in d.edited:
                if _wrote_new(action):
                    continue  # a file the run wrote itself (its own test or check script) is no place to start
                rel = _relative(path, d.area)
                if rel and abstract(rel, d.scratch) == rel:
                    per_area[d.area][rel].append((d, action))
    lessons = []
    for area, all_files in sorted(per_area.items()):
        # A file one resolved run changed is where that run's bug was, not where the next task starts.
        files = {path: uses for path, uses in all_files.items() if task_count(uses) >= MIN_TASKS}
        if not files:
            continue
        ranked = sorted(files.items(), key=lambda kv: (-task_count(kv[1]), kv[0]))[:8]
        traces = {d.trace_id for uses in files.values() for d, _ in uses}
        evidence = [d.evidence(a.step, a.quote) for _, uses in ranked for d, a in uses[:1]]
        lessons.append(make_lesson(
            "success_pattern", f"Files that matter in {area}",
            f"In {area}, resolved runs changed {', '.join(code(p, 70) for p, _ in ranked)}; start reading there.",
            names.target([area], False), "files", evidence, len(traces),
            **outcome_counts(d for uses in files.values() for d, _ in uses), keywords=[area]))
    return lessons
