"""Boil one agent trace down to the facts the heuristic analyzer aggregates across traces.

A digest is small and grows with what is distinct in a trace, not with its length: actions are
streamed, and repeats of an error or recovery signature are folded into a count (keeping the first
few as evidence). So a long run of traces, or one 300 MB session, is analysed without keeping the
traces or their actions in memory.
"""

from __future__ import annotations

import re
from collections import Counter, deque
from dataclasses import dataclass, field
from typing import Any

from skillforge.distill.heuristic.abstract import is_scratch_file
from skillforge.distill.heuristic.actions import (
    Action,
    action_of,
    error_line,
    iter_actions,
    normalize_signature,
)
from skillforge.distill.heuristic.area import detect_area
from skillforge.distill.heuristic.signals import failure_text, missing_library, unclosed_quote
from skillforge.distill.heuristic.trace_dialogue import Dialogue, dialogue_of
from skillforge.distill.heuristic.trace_feedback import UserTurn, user_turns
from skillforge.distill.lessons import MAX_EVIDENCE
from skillforge.models import Evidence, Trace
from skillforge.skills.naming import slug

__all__ = ["INTERPRETERS", "CommandUse", "Denial", "ErrorSeen", "FixRerun", "Recovery", "TraceDigest", "digest",
           "pitfall_key"]

WINDOW = 6
"""How many later actions may hold the recovery from a failed call."""
EXAMPLES_PER_ROLE = 3
KEEP_PER_SIGNATURE = 2 * MAX_EVIDENCE
"""Errors (and recoveries) kept per distinct signature of one trace: the aggregation quotes at most
``MAX_EVIDENCE`` of them, so a session that hits the same error 30,000 times keeps a few, plus their count."""

_FIX_TASK = re.compile(
    r"(?i)\b(fix|bug|issue|error|fails?|failing|broken|crash|exception|traceback|regression|not working|"
    r"doesn't work|does not work|incorrect|wrong|pr description|problem statement)\b"
)
_SCRIPT_WORD = re.compile(r"(?i)(\w+\.(py|js|ts|sh|rb)\b|\brm\b)")
"""What any argument naming a scratch script (or removing one) contains: a cheap filter before building the action."""
_ENV_KEY = re.compile(
    r"(?i)(requires approval|haven't granted|not permitted|permission denied|security policy|blocked|sandbox|not allowed)"
)
_ENVIRONMENT = re.compile(
    r"(?i)(permission|not permitted|denied|requires approval|haven't granted|blocked|sandbox|security policy|"
    r"not allowed|read-only|operation not permitted)"
)


@dataclass
class Recovery:
    """A failed call followed, within a few actions, by a changed call of the same family that worked."""

    signature: str
    family: str
    role: str
    tool: str
    error_quote: str
    failed: Action
    fixed: Action
    between: list[Action]
    retries: int
    environment: bool


@dataclass
class FixRerun:
    """A failed command that worked when re-run unchanged after the agent edited something."""

    signature: str
    family: str
    error_quote: str
    failed: Action
    rerun: Action
    edits: list[Action]


@dataclass
class ErrorSeen:
    """A failure nothing in the next few actions recovered from."""

    signature: str
    family: str
    role: str
    error_quote: str
    action: Action
    next_ok: Action | None
    environment: bool
    count: int = 1
    """How often it failed in a row (the first failure plus unhelpful retries)."""
    resent: bool = False
    """Whether one of those retries was the very same call (not a changed one failing the same way)."""


@dataclass
class Denial:
    """A call the host or sandbox did not let run (approval needed, blocked, interrupted by the user), and
    what the agent did next with the same command family, if that worked."""

    kind: str
    """``denied`` or ``interrupted``."""
    phrase: str
    action: Action
    then: Action | None
    quote: str = ""
    """The line of the output that says so, as it occurs there (outputs are dropped from kept actions)."""
    reply: UserTurn | None = None
    """What the user wrote next, when they rejected or interrupted the call (usually the correction)."""


@dataclass
class CommandUse:
    family: str
    role: str
    command: str
    step: int
    quote: str
    count: int = 1
    """How often the run ran this command successfully (later runs of it are folded into the first)."""


@dataclass
class TraceDigest:
    trace_id: str
    source: str
    format: str
    area: str | None
    success: bool | None
    task_line: str
    fix_task: bool
    coding: bool
    roles: list[str] = field(default_factory=list)
    families: list[str] = field(default_factory=list)
    """Families of the successful, non-trivial calls in order, repeats collapsed (for tool sequences)."""
    role_examples: dict[str, list[Action]] = field(default_factory=dict)
    """The first few successful calls of each role."""
    recoveries: list[Recovery] = field(default_factory=list)
    fixes: list[FixRerun] = field(default_factory=list)
    errors: list[ErrorSeen] = field(default_factory=list)
    commands: list[CommandUse] = field(default_factory=list)
    edited: list[tuple[str, Action]] = field(default_factory=list)
    """The first successful edit of each file the run changed (scratch scripts aside)."""
    final_error: ErrorSeen | None = None
    outcome_error: str | None = None
    ended_failing: bool = False
    """The run's last real call failed and nothing after it worked (what an unknown outcome falls back on)."""
    verified: bool = False
    """A test or script run worked after the last edit."""
    final_edit: Action | None = None
    """The run's last successful change to the code (its scratch scripts aside)."""
    scratch: set[str] = field(default_factory=set)
    """Throw-away files the run wrote (reproduction and check scripts)."""
    denials: list[Denial] = field(default_factory=list)
    denial_counts: Counter[str] = field(default_factory=Counter)
    """Every denial by phrase, also those past the few kept in ``denials``."""
    tools: list[str] = field(default_factory=list)
    """Names of the tools called, in order of first use."""
    extensions: Counter[str] = field(default_factory=Counter)
    """File types the run edited (``py``, ``tsx``)."""
    dialogue: Dialogue | None = None
    """For customer-service style tool conversations: the calls and the user turns around them."""
    task_id: str | None = None
    feedback: list[UserTurn] = field(default_factory=list)
    """What the user said after the task message (corrections, "still broken" reports, replies)."""

    @property
    def task_key(self) -> str:
        """Which task the run worked on: its task id, else its first task line (runs of one task share it)."""
        return self.task_id or " ".join(self.task_line.lower().split())

    @property
    def failed_run(self) -> bool:
        """Judged unsuccessful, or (outcome unknown) it ended on a failing call."""
        return self.success is False or (self.success is None and self.ended_failing)

    @property
    def resolved(self) -> bool:
        """Judged successful, or (outcome unknown) it did not end failing and verified or submitted its work."""
        if self.success is not None:
            return self.success
        return not self.ended_failing and (self.verified or "submit" in self.roles)

    def evidence(self, step: int | None, quote: str) -> Evidence:
        return Evidence(trace_id=self.trace_id, step=step, quote=quote[:160], source=self.source)


def digest(trace: Trace) -> TraceDigest:
    """Everything the aggregation needs from one agent trace.

    Actions are streamed: each is looked at as it comes (failures with the next ``WINDOW`` in view)
    and dropped unless the digest keeps it, so a session of 70,000 calls never holds them all.
    """
    out = TraceDigest(
        trace_id=trace.id,
        source=trace.source.path,
        format=trace.source.format,
        area=_project_area(trace, detect_area(trace)),
        success=trace.outcome.success,
        task_line=_first_line(trace.task),
        fix_task=bool(_FIX_TASK.search(trace.task[:3000])),
        coding=False,
        outcome_error=trace.outcome.error,
        dialogue=dialogue_of(trace),
        task_id=_task_id(trace),
    )
    if out.dialogue is None:
        out.feedback = user_turns(trace)[:4 * KEEP_PER_SIGNATURE]
    repro_files = _repro_files(trace)
    out.scratch = set(repro_files)
    failures = _Failures(out)
    uses = _Uses()
    window: deque[Action] = deque()
    tail: deque[Action] = deque(maxlen=4)
    total = coding_roles = 0
    tools: dict[str, None] = {}
    last_edit = -1
    for action in iter_actions(trace):
        total += 1
        tools.setdefault(action.tool, None)
        coding_roles += action.role in ("edit", "test", "build", "lint", "run", "search", "read")
        _use(action, repro_files, out, uses)
        if action.role == "edit" and action.failed is False:
            last_edit = action.index
            out.verified = False
            if not (action.files and all(f in repro_files for f in action.files)):
                out.final_edit = action
            for path in action.files:
                if "." in path.rsplit("/", 1)[-1] and path not in repro_files:
                    out.extensions[path.rsplit(".", 1)[-1].lower()] += 1
        elif action.role in ("test", "run") and action.failed is False and last_edit >= 0:
            out.verified = True
        if action.role not in ("trivial",) and action.failed is not None:
            tail.append(action)
        window.append(action)
        if len(window) > WINDOW:
            first = window.popleft()
            _denial(first, list(window), out)
            failures.check(first, list(window))
    while window:
        first = window.popleft()
        _denial(first, list(window), out)
        failures.check(first, list(window))
    out.tools = list(tools)
    out.ended_failing = bool(tail) and tail[-1].failed is True
    out.coding = total > 0 and coding_roles * 2 >= total
    out.errors = failures.errors.kept
    out.recoveries = failures.recoveries.kept
    out.fixes = failures.fixes.kept
    if out.failed_run and tail:
        _final_error(list(tail), out)
    for action in _kept_actions(out):
        action.slim()
    return out


def _repro_files(trace: Trace) -> set[str]:
    """Scratch scripts the agent wrote: named like one (reproduce_issue.py, verify_fix.py), or written and
    later removed by the run itself (a ``test_bug.py`` it deleted). Only calls naming a script are looked at."""
    written: set[str] = set()
    found: set[str] = set()
    for number, step in enumerate(trace.steps):
        if step.tool_call is not None and _names_script(step.tool_call.arguments):
            action = action_of(number, step)
            if action.role == "edit":
                written.update(action.files)
                found.update(f for f in action.files if is_scratch_file(f))
            elif action.role == "cleanup":
                removed = {w for w in action.command.split()[1:] if not w.startswith("-")}
                found.update(f for f in written if f in removed or f.rsplit("/", 1)[-1] in removed)
    return found


def _names_script(value: Any) -> bool:
    if isinstance(value, str):
        return bool(_SCRIPT_WORD.search(value))
    if isinstance(value, dict):
        return any(_names_script(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_names_script(v) for v in value)
    return False


class _Uses:
    """What ``_use`` has recorded so far: files edited, commands run (per family, and by command).

    A long session edits the same files and re-runs the same test command thousands of times. The
    aggregation wants each file's first edit, and per command family the earliest few runs (its
    evidence) and how often each command ran: repeats past those are counted on the first run."""

    __slots__ = ("commands", "edited", "per_family")

    def __init__(self) -> None:
        self.edited: set[str] = set()
        self.commands: dict[tuple[str, str], CommandUse] = {}
        self.per_family: Counter[str] = Counter()


def _use(action: Action, repro_files: set[str], out: TraceDigest, uses: _Uses) -> None:
    """The work order, examples, commands and edited files an action adds to the digest."""
    role = _procedure_role(action, repro_files)
    if action.failed is False and role not in ("trivial", "other"):
        if not out.roles or out.roles[-1] != role:
            out.roles.append(role)
        if not out.families or out.families[-1] != action.family:
            out.families.append(action.family)
        examples = out.role_examples.setdefault(role, [])
        if len(examples) < EXAMPLES_PER_ROLE:
            examples.append(action)
    scratch = action.files and all(f in repro_files or is_scratch_file(f) for f in action.files)
    if (action.failed is False and action.role in ("test", "build", "lint") and action.quote and not scratch
            and action.family not in INTERPRETERS and not _installs_named_packages(action.command)):
        first = uses.commands.get((action.family, action.quote))
        if first is not None and uses.per_family[action.family] >= KEEP_PER_SIGNATURE:
            first.count += 1
        else:
            use = CommandUse(action.family, action.role, action.quote, action.step, action.quote)
            uses.commands.setdefault((action.family, action.quote), use)
            uses.per_family[action.family] += 1
            out.commands.append(use)
    if action.failed is False and action.role == "edit":
        for path in action.files:
            if not is_scratch_file(path) and path not in repro_files and path not in uses.edited:
                uses.edited.add(path)
                out.edited.append((path, action))


_PIP_INSTALL = re.compile(r"^(?:python3?\s+-m\s+)?(?:uv\s+)?pip3?\s+install\s+(?P<args>.*)$")


def _installs_named_packages(command: str) -> bool:
    """``pip install pytest -q``: packages one run wanted, not how the project installs (``pip install -e .``,
    ``pip install -r requirements.txt``)."""
    found = _PIP_INSTALL.match(command.split("\n", 1)[0].split("&&")[-1].strip())
    if found is None:
        return False
    args = found.group("args").split()
    return bool(args) and not any(a.startswith((".", "/", "-e", "--editable", "-r", "--requirement")) or "/" in a
                                  for a in args)


def pitfall_key(error: ErrorSeen) -> str:
    """Which unrecovered-error cluster ``error`` belongs to: its permission phrase, or its signature."""
    key = _ENV_KEY.search(error.error_quote)
    return key.group(1).lower() if error.environment and key else error.signature.lower()


class _ErrorFold:
    """One trace's errors with repeats of a signature folded: the first ``KEEP_PER_SIGNATURE`` stay, and
    every entry the aggregation could still tell apart (a new family, the first with a working
    alternative); the counts of the rest go to the first entry, so totals are unchanged."""

    def __init__(self) -> None:
        self.kept: list[ErrorSeen] = []
        self.groups: dict[tuple[str, str], _ErrorGroup] = {}

    def add(self, error: ErrorSeen) -> None:
        key = (error.signature.lower(), pitfall_key(error))
        group = self.groups.get(key)
        if group is None:
            self.groups[key] = _ErrorGroup(error, {error.family}, error.next_ok is not None)
            self.kept.append(error)
        elif group.kept < KEEP_PER_SIGNATURE or error.family not in group.families or (
            not group.alternative and error.next_ok is not None
        ):
            group.families.add(error.family)
            group.alternative = group.alternative or error.next_ok is not None
            group.kept += 1
            self.kept.append(error)
        else:
            group.first.count += error.count
            group.first.resent = group.first.resent or error.resent


@dataclass
class _ErrorGroup:
    first: ErrorSeen
    families: set[str]
    alternative: bool
    kept: int = 1


class _RecoveryFold:
    """One trace's recoveries, at most ``KEEP_PER_SIGNATURE`` per signature plus the first of every
    (family, tool) pair (the aggregation looks at the set of those)."""

    def __init__(self) -> None:
        self.kept: list[Recovery] = []
        self.seen: Counter[str] = Counter()
        self.pairs: set[tuple[str, str, str]] = set()

    def add(self, recovery: Recovery) -> None:
        key = recovery.signature.lower()
        pair = (key, recovery.family, recovery.tool)
        if self.seen[key] < KEEP_PER_SIGNATURE or pair not in self.pairs:
            self.seen[key] += 1
            self.pairs.add(pair)
            self.kept.append(recovery)


class _FixFold:
    """One trace's fix-and-rerun pairs, at most ``KEEP_PER_SIGNATURE`` per (family, failure, signature).

    The aggregation clusters them by family and failure kind (or shown signature), a coarser key, and
    quotes the earliest few of a cluster: the earliest ``KEEP_PER_SIGNATURE`` of each finer group hold
    those. An edit-test loop of 30,000 rounds keeps a few dozen, not every round's three actions."""

    def __init__(self) -> None:
        self.kept: list[FixRerun] = []
        self.seen: Counter[tuple[str, str | None, str]] = Counter()

    def add(self, fix: FixRerun) -> None:
        key = (fix.family, fix.failed.failure, fix.signature)
        if self.seen[key] < KEEP_PER_SIGNATURE:
            self.seen[key] += 1
            self.kept.append(fix)


def _kept_actions(out: TraceDigest) -> list[Action]:
    kept: dict[int, Action] = {}
    for actions in out.role_examples.values():
        kept.update((id(a), a) for a in actions)
    kept.update((id(a), a) for _, a in out.edited)
    if out.final_edit is not None:
        kept[id(out.final_edit)] = out.final_edit
    for r in out.recoveries:
        kept.update((id(a), a) for a in (r.failed, r.fixed, *r.between))
    for f in out.fixes:
        kept.update((id(a), a) for a in (f.failed, f.rerun, *f.edits))
    for e in (*out.errors, *([out.final_error] if out.final_error else [])):
        kept.update((id(a), a) for a in (e.action, e.next_ok) if a is not None)
    for n in out.denials:
        kept.update((id(a), a) for a in (n.action, n.then) if a is not None)
    return list(kept.values())


_WORKTREES = re.compile(r"^\.?(?:worktrees?|wt)$|^(?P<project>\w[\w.-]*?)[-_.](?:worktrees?|wt)$", re.IGNORECASE)


def _project_area(trace: Trace, area: str | None) -> str | None:
    """The project of a session run in a git worktree (``proj-worktrees/feature-x``, ``proj/.worktrees/x``):
    the repository, not the worktree, whose name is one task's branch."""
    cwd = next((trace.metadata.get(k) for k in ("cwd", "workdir") if isinstance(trace.metadata.get(k), str)), None)
    if not cwd:
        return area
    parts = [p for p in str(cwd).replace("\\", "/").split("/") if p]
    for i, part in enumerate(parts[:-1]):
        found = _WORKTREES.match(part)
        if found:
            project = found.group("project") or (parts[i - 1] if i else "")
            return slug(project) or area
    return area


def _task_id(trace: Trace) -> str | None:
    for key in ("task_id", "instance_id", "task_index"):
        value = trace.metadata.get(key)
        if value is not None and str(value).strip():
            return str(value)
    return None


_DENIAL_PRIORITY = ("requires approval", "haven't granted it yet", "was blocked", "sandbox denied",
                    "operation not permitted", "security policy", "doesn't want to proceed", "interrupted by user",
                    "rejected")


def _denial(action: Action, later: list[Action], out: TraceDigest) -> None:
    """Record a call the host did not let run, and the next working call of the same family (if changed)."""
    if action.signal not in ("denied", "interrupted"):
        return
    head = action.output[:800].lower()
    # The most specific phrase wins, not the leftmost: "rejected this action due to … security policy".
    phrase = next((p for p in _DENIAL_PRIORITY if p in head), action.signal)
    out.denial_counts[phrase] += 1
    if len(out.denials) >= 4 * KEEP_PER_SIGNATURE:
        return
    then = next((b for b in later if b.family == action.family and b.tool == action.tool and b.failed is False
                 and b.args != action.args), None)
    word = phrase.split()[0]
    quote = next((ln.strip() for ln in action.output.splitlines() if word in ln.lower() and ln.strip()), "")
    quote = quote[:150] or action.output.strip().split("\n", 1)[0][:150]
    reply = None
    if action.signal == "interrupted":
        start = action.result_step if action.result_step is not None else action.step
        end = later[0].step if later else None
        reply = next((t for t in out.feedback if t.step > start and (end is None or t.step < end)), None)
    out.denials.append(Denial(action.signal, phrase, action, then, quote, reply))


def _procedure_role(action: Action, repro_files: set[str]) -> str:
    if action.role == "edit" and action.files and all(f in repro_files for f in action.files):
        return "reproduce"
    if action.role in ("run", "test") and action.files and all(f in repro_files for f in action.files):
        return "run"
    if action.role == "vcs" and action.family in ("git diff", "git status"):
        return "review"
    return action.role


class _Failures:
    """Failed calls, each judged with the next ``WINDOW`` actions: recovered, fixed by an edit, or not."""

    def __init__(self, out: TraceDigest) -> None:
        self.out = out
        self.handled: set[int] = set()
        self.used_fixes: set[int] = set()
        self.errors = _ErrorFold()
        self.recoveries = _RecoveryFold()
        self.fixes = _FixFold()
        self.memo: dict[str, tuple[str, str]] = {}

    def signature(self, output: str) -> tuple[str, str]:
        """The error line of a failed call's output and its normalized signature (remembered: a long
        session fails with the very same output thousands of times)."""
        found = self.memo.get(output)
        if found is None:
            if len(self.memo) >= 4096:
                self.memo.clear()
            quote = _error_quote(output)
            found = self.memo[output] = (quote, normalize_signature(quote))
        return found

    def check(self, action: Action, later: list[Action]) -> None:
        """Judge ``action`` given the actions right after it (at most ``WINDOW``)."""
        # Both sets hold indices of later actions; once an index is reached it is never looked up again.
        self.used_fixes.discard(action.index)
        if action.index in self.handled:
            self.handled.discard(action.index)
            return
        if action.failed is not True or _reproduced(action, self.out.scratch):
            return
        quote, signature = self.signature(action.output)
        signature = signature if quote else f"{action.family} failed"
        environment = bool(_ENVIRONMENT.search(quote))
        retries = 0
        resent = resolved = False
        for j, candidate in enumerate(later):
            if candidate.family != action.family or candidate.tool != action.tool:
                continue
            if action.role == "edit" and action.files and candidate.files and action.files != candidate.files:
                continue  # an edit of another file does not recover this one
            if candidate.failed is True:
                if self.signature(candidate.output)[1] == signature:
                    retries += 1
                    resent = resent or candidate.args == action.args
                    self.handled.add(candidate.index)
                continue
            if candidate.failed is None or candidate.index in self.used_fixes:
                break
            between = later[:j]
            if candidate.args != action.args:
                self.recoveries.add(
                    Recovery(signature, action.family, action.role, action.tool, quote, action, candidate,
                             [b for b in between if b.family != action.family], retries, environment)
                )
                resolved = True
            else:
                edits = [b for b in between if b.role == "edit" and b.failed is False]
                if edits:
                    self.fixes.add(FixRerun(signature, action.family, quote, action, candidate, edits))
                    resolved = True
            self.used_fixes.add(candidate.index)
            break
        if not resolved and action.failure == "command_not_found" and action.role in _RUNNER_ROLES:
            # A test runner that is not installed is recovered by the one the project provides (sympy's `bin/test`
            # for `pytest`): the next call of the same role that worked, whatever its command.
            stand_in = next((b for b in later if b.role == action.role and b.failed is False
                             and b.family != action.family and b.family not in INTERPRETERS
                             and b.index not in self.used_fixes), None)
            if stand_in is not None:
                between = [b for b in later if b.index < stand_in.index and b.family != action.family]
                self.recoveries.add(Recovery(signature, action.family, action.role, action.tool, quote, action,
                                             stand_in, between, retries, environment))
                self.used_fixes.add(stand_in.index)
                resolved = True
        if not resolved and quote:
            next_ok = next((b for b in later if b.failed is False and b.role not in ("trivial",)), None)
            self.errors.add(
                ErrorSeen(signature, action.family, action.role, quote, action, next_ok, environment, 1 + retries,
                          resent)
            )


_RUNNER_ROLES = frozenset({"test", "build", "lint"})
"""Roles whose command one project may provide under another name (``bin/test`` for ``pytest``, ``make lint``)."""
INTERPRETERS = frozenset({"python", "python3", "python -c", "python3 -c", "node", "node -e", "bash", "sh", "ruby", "perl"})
"""Families that run whatever code they are given (``python -c "…"``, ``python my_check.py``): no project's runner."""

_BUG_SHOWN = frozenset({"test_failure", "exception"})
"""Failure kinds by which a reproduction script shows the bug (as opposed to not running at all)."""


def _reproduced(action: Action, scratch: set[str]) -> bool:
    """Whether ``action`` is the run's own reproduction or check script failing on the code under test: the
    bug reproduced (or not fixed yet), that task's answer, not an error a later task could learn to handle.
    A script that could not run (missing module, syntax error, missing file) stays an error."""
    return (action.role in ("run", "test") and action.failure in _BUG_SHOWN and bool(action.files)
            and all(f in scratch for f in action.files))


def _final_error(tail: list[Action], out: TraceDigest) -> None:
    """The error an unsuccessful run ended on: the last failure among its last four actions."""
    failing = [a for a in tail if a.failed is True]
    if failing:
        last = failing[-1]
        quote = _error_quote(last.output)
        if quote:
            out.final_error = ErrorSeen(normalize_signature(quote), last.family, last.role, quote, last, None,
                                        bool(_ENVIRONMENT.search(quote)))


def _error_quote(output: str) -> str:
    """The line of a failed call's output that says what went wrong. A library a build lacks is named after the
    build's own error line (CMake: "CMake Error at CMakeLists.txt:27 (find_package):", then the library), and a
    quote left open before bash's "syntax error: unexpected end of file"."""
    text = failure_text(output)
    return missing_library(text) or unclosed_quote(text) or error_line(text)


def _first_line(text: str) -> str:
    for line in text.splitlines():
        line = line.strip().strip("<>#*` ")
        if line and not line.lower().startswith(("consider the following", "pr_description", "<pr_description")):
            return line[:160]
    return ""


_FIX_SENTENCE = re.compile(
    r"(?i)\b(need to|needs to|should|must|have to|has to|instead|forgot|the (?:problem|issue|error|cause) (?:is|was)|"
    r"because|so that|in order to|make sure|move|use|add|remove|set)\b"
)
_FIRST_PERSON = re.compile(
    r"(?i)^(?:(?:ok(?:ay)?|so|now|ah|hmm|i see|it seems|wait)[,.!]?\s+)*(?:i|we)\s+(?:need|needs|have|has|should|must|will|'ll|can)(?:\s+to)?\s+"
)


def fix_note(text: str) -> str:
    """The sentence of an agent's thought that says what to do, rephrased as an instruction (or "")."""
    clean = re.sub(r"```.*?```", " ", text, flags=re.DOTALL)
    clean = re.sub(r"^\s*(THOUGHT|Thought|DISCUSSION):\s*", "", clean)
    sentences = re.split(r"(?<=[.!?])\s+|\n+", clean)
    for sentence in sentences:
        sentence = sentence.strip(" -*")
        if len(sentence) < 12 or len(sentence) > 240 or not _FIX_SENTENCE.search(sentence):
            continue
        if sentence.endswith(("?", ":")) or re.match(r"(?i)^(let me|let's|i'll|i will|now i|i'm going)", sentence):
            continue
        instruction = _FIRST_PERSON.sub("", sentence)
        if instruction != sentence:
            instruction = instruction[:1].upper() + instruction[1:]
        return instruction.rstrip(".") + "."
    return ""
