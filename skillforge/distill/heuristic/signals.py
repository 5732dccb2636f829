"""What a tool result says: it worked, is still running, found nothing, warned, was interrupted or needs
permission, or really failed, and then how (the failure kind).

Readers flag errors very differently (``is_error``, an exit code, or only text), and many flagged results
are not failures of the call: a command still running in the background, a ``grep`` that matched
nothing (exit 1), a tool printing a ``WARN`` line, a call the user interrupted, a permission prompt,
a sandbox denial, or a call cancelled because a sibling in the same parallel batch failed. Codex's
sandbox wrapper ("sandbox denied exec error … stderr: …") is unwrapped first: it wraps every non-zero
exit, so the command's own stderr decides. Lessons built on those as if they were failures are wrong, so every result goes
through ``classify`` once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["FAILURE_WORDS", "NOT_FAILURES", "Signal", "SignalKind", "classify", "failure_text", "missing_library",
           "strip_ansi", "unclosed_quote"]

SignalKind = Literal["ok", "running", "empty", "warning", "interrupted", "denied", "skipped", "failed"]
NOT_FAILURES: frozenset[str] = frozenset({"running", "empty", "warning", "interrupted", "denied", "skipped"})

FAILURE_WORDS = {
    "not_found": "a missing file or path",
    "command_not_found": "a missing command",
    "syntax": "a syntax error",
    "edit_mismatch": "an edit whose text did not match the file",
    "not_read": "a file it has not read yet",
    "too_large": "a file too large to read at once",
    "is_directory": "a directory where a file was expected",
    "hook": "a hook that rejected the call",
    "shell_quoting": "a path the shell parsed as syntax",
    "test_failure": "failing tests",
    "import": "a missing module or import",
    "dependency": "a missing library or build dependency",
    "unclosed_quote": "a quote left open",
    "timeout": "a timeout",
    "permission": "a permission error",
    "bad_arguments": "invalid arguments",
    "network": "a network error",
    "rejected": "a request the tool refused",
    "exception": "an exception",
    "other": "an error",
}
"""Each failure kind as a phrase a rule can use ("… fails with a missing file or path")."""


@dataclass(frozen=True, slots=True)
class Signal:
    """How one tool result reads: ``kind`` and, for failures, ``failure`` (a key of ``FAILURE_WORDS``)."""

    kind: SignalKind
    failure: str | None = None

    @property
    def failed(self) -> bool | None:
        """True for a real failure, False for a usable result, None when the call has not really answered
        (still running, interrupted, waiting for permission)."""
        if self.kind == "failed":
            return True
        return None if self.kind in ("running", "interrupted", "denied", "skipped") else False


_RUNNING = re.compile(
    r"(?i)(process running with session id|still running|is running in the background|running in (?:the )?background|"
    r"started in (?:the )?background|command running in background|background (?:job|process|task) (?:started|id)|"
    r"has no new output after \d+ seconds|command is still executing|\[command still running|"
    r"use .{0,40}(?:to check|to read) (?:its )?output|waiting for (?:more )?output)"
)
_INTERRUPTED = re.compile(
    r"(?i)(\[request interrupted by user|interrupted by (?:the )?user|user (?:doesn't|does not) want to proceed|"
    r"tool use was rejected|user rejected|rejected by (?:the )?user|user (?:cancelled|canceled)|"
    r"(?:cancelled|canceled|aborted) by (?:the )?user|^\s*(?:cancelled|canceled|aborted)\.?\s*$|operation cancelled)"
)
_SKIPPED = re.compile(r"(?i)^\W*(?:<tool_use_error>)?\s*sibling tool call errored")
"""Claude Code cancels the other calls of a parallel batch when one fails: they never ran."""
_DENIED = re.compile(
    r"(?i)(requires approval|require(?:s)? (?:your |user )?(?:permission|confirmation)|haven't granted|have not granted|"
    r"was blocked|has been blocked|blocked by (?:policy|the sandbox|security)|security policy|not allowed by|"
    r"permission to use \w+ (?:has been|was) denied|requested permissions? to|approval (?:is )?(?:required|needed)|"
    r"sandbox denied|denied by (?:the )?sandbox|(?:zsh|bash|sh):\d*:? ?operation not permitted|"
    r"rejected this action due to|awaiting (?:user )?approval|needs? (?:user )?approval)"
)
_EMPTY_TEXT = re.compile(
    r"(?i)^\s*(?:no matches found|no files found|no results(?: found)?|found 0 (?:files|matches|results)|"
    r"0 (?:matches|results)|no match(?:es)?|no files matched|\[\]|none found|nothing found)\.?\s*$"
)
_SEARCH = re.compile(r"(?i)^(?:grep|egrep|fgrep|rg|ag|ack|find|fd|locate|git grep|glob|search\w*|find_file|file_search)$")
_WARNING_LINE = re.compile(
    r"(?i)(\bwarn(?:ing)?\b|\bdeprecat|pre-?release|\bnotice\b|\bnote:|will be removed|is deprecated|\bhint:|"
    r"update available|new version|npm (?:warn|notice))"
)
_ERROR_TEXT = re.compile(
    r"(?i)(\berror\b|\bfatal\b|\bfailed\b|\bfailure\b|traceback|exception|not found|no such file|cannot|can't|"
    r"unable to|denied|refused|invalid|timed? ?out)"
)
_HARNESS = re.compile(
    r"(?i)^(?:chunk id:.*|wall time:.*|original token count:.*|output:|process exited with code \d+|exit code:? ?\d+|"
    r"</?returncode>.*|</?output>|total output lines:.*|\[?command finished.*|\s*)$"
)
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\\x1b\[[0-9;?]*[A-Za-z]|\\u001b\[[0-9;?]*[A-Za-z]")
_CODEX_SANDBOX = re.compile(
    r"(?s)^\s*failed in sandbox \w*\s*with execution error: sandbox denied exec error, exit code: (-?\d+), "
    r"stdout: (.*?), stderr: (.*)$"
)
"""Codex (0.3x-0.4x) wraps EVERY non-zero exit inside its sandbox this way, also a plain `No such file`."""
_SHELL_INIT_NOISE = re.compile(
    r"(?i)(cannot create temp file for here document|(?:brew|shellenv|\.zshrc|\.bashrc|\.profile|profile\.d)\S*: "
    r"(?:line \d+: )?.*operation not permitted)"
)
"""Lines the user's shell start-up files print when the sandbox stops them: noise, not the command's answer."""
_EXIT = re.compile(r"(?im)^(?:process exited with code|exit code:?|<returncode>)\s*(-?\d+)")
_UNFLAGGED_ERROR = re.compile(
    r"^(?:Error|ERROR|error)\b[:\s]|^Traceback \(most recent call last\)|^\[?(?:Errno \d+|Error:)|^Exception\b"
)

_LIBRARY = re.compile(
    # a library or package a build needs: CMake, pkg-config, the linker, a missing header
    r"(?i)could not find a package configuration file|could not find \w+ \(missing:|"
    r"no package '[^'\n]+' found|not found in the pkg-config search path|cannot find -l|"
    r"fatal error: [\w./+-]+\.h(?:h|pp|xx)?: no such file"
)

_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("hook", re.compile(
        r"(?i)(pre-commit (?:validation|hook|check)s? failed|pre-commit hook|hook (?:failed|error|blocked|denied|rejected)|"
        r"blocked by (?:a |the )?\w* ?hook|denied by (?:a |the )?hook|\bhusky\b|lint-staged|"
        r"(?:PreToolUse|PostToolUse|Stop):\w* hook)")),
    ("not_read", re.compile(r"(?i)(file has not been read yet|must read .{0,30}before (?:editing|writing)|"
                            r"read it first before (?:writing|editing))")),
    ("too_large", re.compile(r"(?i)(exceeds maximum allowed (?:size|tokens)|file (?:content )?(?:is )?too large|"
                             r"use offset and limit parameters|output too large|file too big)")),
    ("is_directory", re.compile(r"(?i)(eisdir|is a directory|illegal operation on a directory)")),
    ("shell_quoting", re.compile(
        r"(?i)((?:ba|z|k)?sh: (?:-c: )?(?:line \d+: )?syntax error near unexpected token|"
        r"(?:zsh|sh):\d*: no matches found: |unexpected eof while looking for matching|"
        r"zsh:\d*: parse error near)")),
    ("edit_mismatch", re.compile(
        r"(?i)(no exact match|did not appear verbatim|string to replace not found|old_str .{0,80}(?:not|did not) "
        r"(?:found|appear|match)|no replacement was performed|found \d+ matches of the string|"
        r"string not found in file|old_string.{0,40}not (?:found|unique)|file has (?:been )?(?:modified|changed) since)")),
    ("syntax", re.compile(
        r"(?i)(syntaxerror|indentationerror|taberror|syntax error|\bE999\b|unexpected token|parse error|"
        r"unterminated string|unexpected eof|expected ['\"`;:)\]}]|unexpected indent)")),
    ("import", re.compile(r"(?i)(modulenotfounderror|importerror|no module named|cannot find module|"
                          r"cannot find package|unresolved import|could not import|" + _LIBRARY.pattern.removeprefix("(?i)") + ")")),
    ("command_not_found", re.compile(r"(?i)(command not found|is not recognized as an internal|"
                                     r"executable file not found|no such command|unknown command)")),
    # a package index or API not answering in time (pip's ReadTimeoutError) is the network, not a command to narrow
    ("network", re.compile(r"(?i)(https?connectionpool|readtimeouterror|connecttimeouterror|max retries exceeded|"
                           r"urlopen error)")),
    ("timeout", re.compile(r"(?i)(timed? ?out|timeouterror|deadline exceeded|took too long|exceeded .{0,20}time)")),
    ("network", re.compile(
        r"(?i)(connection refused|could not resolve host|name or service not known|network is unreachable|"
        r"econnrefused|econnreset|\benotfound\b|temporary failure in name resolution|ssl: |certificate verify failed|"
        r"connection (?:reset|timed out|aborted)|failed to connect|http error 5\d\d|\b50[234] )")),
    ("permission", re.compile(r"(?i)(permission denied|eacces|operation not permitted|access is denied|"
                              r"read-only file system|not permitted)")),
    ("test_failure", re.compile(
        r"(?i)(^FAILED |\b\d+ failed\b|tests? failed|assertionerror|failures?:\s*\d+|test(?:s)? .{0,20}fail|"
        r"^FAIL\b|✗|✕|\bFAIL:)", re.MULTILINE)),
    ("bad_arguments", re.compile(
        r"(?i)(invalid (?:argument|option|value|parameter|choice)|unrecognized (?:argument|option)|unknown (?:option|flag|"
        r"argument|parameter)|usage: |missing (?:required )?(?:argument|parameter|operand)|required (?:argument|"
        r"parameter|property)|(?:parameter|argument|option|field|property) [`'\"]?[\w-]+[`'\"]? is required|validation error|inputvalidationerror|typeerror: .{0,60}argument|is not a valid|"
        r"expected .{0,30} but (?:got|received)|invalid input|bad request|\b400\b)")),
    ("not_found", re.compile(r"(?i)(no such file|can't cd to|cannot cd|not found|does not exist|doesn't exist|enoent|filenotfounderror|"
                             r"cannot find|could not find|no such \w+)")),
    ("exception", re.compile(r"(?i)(traceback \(most recent call last\)|\b\w+(?:error|exception)\b:|panic:|"
                             r"segmentation fault|core dumped)")),
]


def classify(output: str, *, is_error: bool = False, exit_code: int | None = None, family: str = "",
             role: str = "", command: str = "", in_shell: bool = True) -> Signal:
    """How a tool result reads, from its flags and its text together.

    ``family``/``role`` say what ran (``grep`` and a ``search`` role may legitimately find nothing);
    ``in_shell`` is False for structured tools (a customer-service API), whose errors are usually refusals.
    """
    text = strip_ansi(output or "")
    wrapped = _CODEX_SANDBOX.match(text[:20000])
    if wrapped:
        return _unwrap_sandbox(wrapped, family=family, role=role, command=command)
    head = text[:4000]
    code = exit_code if exit_code is not None else _exit_in_text(head)
    flagged = bool(is_error) or (code not in (None, 0))
    meaningful = [line for line in head.splitlines() if not _HARNESS.match(line)]
    body = "\n".join(meaningful).strip()

    if _SKIPPED.match(head):
        return Signal("skipped")
    if _INTERRUPTED.search(head[:600]):
        return Signal("interrupted")
    if _DENIED.search(head[:800]) and (flagged or not body or len(body) < 600):
        return Signal("denied")
    if _RUNNING.search(head[:600]) and code in (None, 0) and (not flagged or len(body) < 300):
        return Signal("running")
    if flagged and code == 1 and in_shell:
        answer = _answers(command)
        if answer and not _TROUBLE.search(body[:2000]):
            # `diff` found differences, `test -f` said no, `pgrep` matched nothing: an answer, not a failure.
            return Signal("ok" if answer == "differs" and body else "empty")
    if flagged and code in _TIMEOUT_CODES and _TIMED.match(_last_command(command)):
        return Signal("failed", "timeout")
    if not flagged:
        # Structured tools (and some harnesses) report errors only in the text: "Error: ...", a traceback.
        if _UNFLAGGED_ERROR.match(body) and (not in_shell or code is None):
            return Signal("failed", _kind(text, role, in_shell, command))
        if not body and (_SEARCH.match(family) or role == "search"):
            return Signal("empty")
        return Signal("ok")
    searching = bool(_SEARCH.match(family)) or role == "search" or _ends_in_search(command)
    if searching and (code == 1 or code is None) and (not body or _EMPTY_TEXT.match(body)):
        return Signal("empty")
    if _EMPTY_TEXT.match(body) and searching:
        return Signal("empty")
    if code in (None, 0) and body and _WARNING_LINE.search(body) and not _ERROR_TEXT.search(_non_warning(body)):
        return Signal("warning")
    return Signal("failed", _kind(text, role, in_shell, command))


# Commands whose exit status 1 is their answer: "the inputs differ" or "no" (false, absent, nothing matched).
# Status 2 and above is their real trouble (a missing file, a bad option), so only 1 is read this way.
_ANSWER_COMMANDS: dict[str, str] = {
    "diff": "differs", "cmp": "differs", "colordiff": "differs", "git diff": "differs", "git difftool": "differs",
    "test": "no", "[": "no", "[[": "no", "pgrep": "no", "pkill": "no", "pidof": "no", "which": "no", "type": "no",
    "command": "no", "hash": "no", "git grep": "no", "git check-ignore": "no", "git merge-base": "no",
    "git show-ref": "no", "git rev-parse": "no", "git ls-files": "no", "systemctl": "no", "id": "no",
    "getent": "no", "dpkg": "no", "false": "no",
}
_TROUBLE = re.compile(r"(?i)(no such file|permission denied|unrecognized option|invalid option|usage:|"
                      r"syntax error|not a git repository|fatal:|traceback|command not found)")
_TIMEOUT_CODES = frozenset({124, 137})
_TIMED = re.compile(r"^(?:sudo\s+)?(?:timeout|gtimeout)\s")
_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=\S*$")
_WRAPPERS = frozenset({"sudo", "!", "env", "time", "nice"})


def _last_command(command: str) -> str:
    """The simple command whose status a shell line returns: the last one (``a | b`` -> ``b``), unless
    it is an ``echo`` that only runs after success (``[ -d x ] && echo yes`` -> ``[ -d x ]``).
    Quotes are respected, so a ``;`` or ``|`` inside a pattern does not split."""
    first = command.strip().split("\n", 1)[0]
    segments: list[tuple[str, str]] = []  # (separator before it, text)
    start, sep, quote, i = 0, "", "", 0
    while i < len(first):
        ch = first[i]
        if quote:
            if ch == quote:
                quote = ""
            elif ch == "\\" and quote == '"':
                i += 1
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 1
        elif ch in ";|&" and not (ch == "&" and (first[i - 1:i] in ("<", ">") or first[i + 1:i + 2] == ">")):
            # (the "&" of a redirection, ``2>&1`` or ``&>file``, separates nothing)
            segments.append((sep, first[start:i].strip()))
            op = first[i:i + 2] if first[i:i + 2] in ("&&", "||") else ch
            sep, start = op, i + len(op)
            i += len(op)
            continue
        i += 1
    segments.append((sep, first[start:].strip()))
    segments = [(s, t) for s, t in segments if t]
    while len(segments) > 1 and segments[-1][0] == "&&" and segments[-1][1].split()[0] in ("echo", "printf", "true"):
        segments.pop()
    return segments[-1][1] if segments else ""


def _answers(command: str) -> str | None:
    """``"differs"`` or ``"no"`` when the command whose status a shell line returns answers a question by
    exiting 1 (``diff``, ``test``, ``pgrep``, ``git grep``, ``systemctl is-active``), else None."""
    words = _last_command(command).split()
    # Skip what only wraps the command: env assignments, sudo, env, time, nice, "!", and "command x" (but
    # "command -v x" is the question itself).
    while words and (_ENV.match(words[0]) or words[0] in _WRAPPERS or words[0] == "command" and words[1:2] != ["-v"]):
        words = words[1:]
    if not words or "/" in words[0] and not words[0].startswith("/"):
        return None  # a relative path runs the project's own script (sympy's `bin/test`), not `test` or `diff`
    name = words[0].rsplit("/", 1)[-1]
    if name == "git" and len(words) > 1:
        name = f"git {words[1]}"
    if name == "systemctl" and not (len(words) > 1 and words[1].startswith("is-")):
        return None
    if name == "dpkg" and "-s" not in words and "--status" not in words:
        return None
    if name == "id" and len(words) == 1:
        return None
    return _ANSWER_COMMANDS.get(name)


def missing_library(output: str) -> str:
    """The line saying a build misses a library or package (CMake's ``find_package``, pkg-config, the linker's
    ``-l``, a C header), or "": such a failure of kind ``import`` is no module the code imports, it is installed
    and found differently, so a rule says it differently and quotes that line."""
    return _matching_line(_LIBRARY, output)


_UNCLOSED = re.compile(r"(?i)unexpected eof while looking for matching|unterminated quoted string")


def unclosed_quote(output: str) -> str:
    """The line saying the shell reached the end of a command inside a quote (a ``'`` within a single-quoted
    ``sed`` script ends it), or "": such a ``shell_quoting`` failure is no path the shell parsed, and is fixed
    differently."""
    return _matching_line(_UNCLOSED, output)


def _matching_line(pattern: re.Pattern[str], output: str) -> str:
    text = strip_ansi(output[:8000])
    found = pattern.search(text)
    if found is None:
        return ""
    start = text.rfind("\n", 0, found.start()) + 1
    end = text.find("\n", found.end())
    return text[start:end if end >= 0 else None].strip()[:200]


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes (real escapes, and the ``\\x1b[…m`` some logs store literally)."""
    return _ANSI.sub("", text) if "x1b" in text or "\x1b" in text or "u001b" in text else text


def failure_text(output: str) -> str:
    """The part of a failed call's output that is the command's own answer: a Codex sandbox wrapper's
    stdout and stderr without the shell start-up noise, else the output itself."""
    wrapped = _CODEX_SANDBOX.match(output[:20000])
    if not wrapped:
        return output
    stderr = [ln for ln in wrapped.group(3).rstrip('"').splitlines() if ln.strip() and not _SHELL_INIT_NOISE.search(ln)]
    return "\n".join([wrapped.group(2).strip(), *stderr]).strip() or output


def _unwrap_sandbox(found: re.Match[str], *, family: str, role: str, command: str) -> Signal:
    """A Codex sandbox wrapper: the command's own stderr (minus shell start-up noise) says what happened; only
    an answer that is nothing but the sandbox refusing is a denial."""
    code = int(found.group(1))
    stdout = found.group(2).replace("\\n", "\n")
    stderr = found.group(3).replace("\\n", "\n").rstrip('"')
    lines = [ln for ln in stderr.splitlines() if ln.strip() and not _SHELL_INIT_NOISE.search(ln)]
    rest = "\n".join(lines)
    if not rest.strip() and not stdout.strip():
        # Nothing but start-up noise: a search that found nothing exits 1 silently; anything else was refused.
        if code == 1 and (_SEARCH.match(family) or role == "search" or _ends_in_search(command)):
            return Signal("empty")
        return Signal("denied")
    return classify(f"{stdout}\n{rest}".strip(), exit_code=code, family=family, role=role, command=command)


_TEST_SUMMARY = re.compile(r"(?im)^FAILED |\b\d+ failed\b|failed tests?|tests? failed|^FAIL\b")


_TRACEBACK = re.compile(r"(?m)^Traceback \(most recent call last\)")
_RUN_MODULE = re.compile(r"(?:^|[\s/])python[\d.]*(?:\s+-\w+)*\s+-m\s+([A-Za-z_]\w*)")


def _kind(text: str, role: str, shell: bool, command: str = "") -> str:
    # Long outputs put the verdict at the end (pytest's summary), the cause at the start.
    sample = text if len(text) <= 8000 else text[:4000] + "\n" + text[-4000:]
    if role == "test" and _TEST_SUMMARY.search(sample):
        return "test_failure"
    raised = _raised(sample)
    for name, pattern in _KINDS:
        if raised and name not in _TOOL_KINDS:
            # A Python traceback shows source lines with any words in them: the error it ends on is what happened.
            return _raised_kind(raised, role, command, sample)
        if name == "test_failure" and role != "test" and not _TEST_SUMMARY.search(sample):
            continue
        if pattern.search(sample):
            if name == "import" and _program_missing(command, sample):
                return "command_not_found"
            return name
    return "other" if shell else "rejected"


_TOOL_KINDS = frozenset({"hook", "not_read", "too_large", "is_directory", "shell_quoting", "edit_mismatch"})
"""Kinds a tool or host says about the call itself, whatever a traceback in its output says."""
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_]\w*\.)*[A-Z]\w*(?::\s.*|:?$)")
"""``ValueError: …``, ``django.core.exceptions.ImproperlyConfigured: …``, a bare ``KeyboardInterrupt``."""
_RAISED = {
    **dict.fromkeys(("ModuleNotFoundError", "ImportError"), "import"),
    **dict.fromkeys(("SyntaxError", "IndentationError", "TabError"), "syntax"),
    **dict.fromkeys(("FileNotFoundError", "NotADirectoryError"), "not_found"),
    "IsADirectoryError": "is_directory",
    "PermissionError": "permission",
    **dict.fromkeys(("ConnectionError", "ConnectionRefusedError", "ConnectionResetError", "ReadTimeoutError",
                     "ConnectTimeoutError", "MaxRetryError", "NewConnectionError", "SSLError", "URLError",
                     "gaierror", "ReadTimeout", "ConnectTimeout"), "network"),
    **dict.fromkeys(("TimeoutError", "TimeoutExpired"), "timeout"),
}
"""Python exceptions that are a failure kind of their own; any other is the code under test raising."""


def _raised(sample: str) -> str:
    """The error line a Python traceback in ``sample`` ends on, or ""."""
    starts = list(_TRACEBACK.finditer(sample))
    if not starts:
        return ""
    after = sample[starts[-1].end():].splitlines()
    final = [ln.strip() for ln in after if ln and not ln[0].isspace() and _EXCEPTION_LINE.match(ln.strip())]
    return final[-1] if final else ""


def _raised_kind(raised: str, role: str, command: str, sample: str) -> str:
    name = raised.split(":", 1)[0].rsplit(".", 1)[-1]
    kind = _RAISED.get(name)
    if kind == "import" and _program_missing(command, sample):
        return "command_not_found"
    if kind is None and name == "AssertionError" and role == "test":
        return "test_failure"
    return kind or "exception"


def _program_missing(command: str, text: str) -> bool:
    """``python -m pytest`` answering "No module named pytest": the program it runs is not installed (the same
    as ``pytest: command not found``), not an import of the code failing."""
    module = _RUN_MODULE.search(command.split("\n", 1)[0])
    return module is not None and bool(re.search(rf"(?i)no module named '?{module.group(1)}'?(?:\s|$)", text))


def _exit_in_text(text: str) -> int | None:
    match = _EXIT.search(text)
    return int(match.group(1)) if match else None


def _non_warning(body: str) -> str:
    return "\n".join(line for line in body.splitlines() if not _WARNING_LINE.search(line))


def _ends_in_search(command: str) -> bool:
    # `ps aux | grep x` exits 1 when grep matched nothing: the family is `ps`, but the search is what "failed".
    first = command.split("\n", 1)[0]
    return bool(re.search(r"\|\s*(?:grep|egrep|fgrep|rg|ag|ack)\b[^|]*$", first))
