"""What a tool result says: it worked, is still running, found nothing, warned, was interrupted or needs
permission, or really failed, and then how (the failure kind).

Readers flag errors very differently (``is_error``, an exit code, or only text), and many flagged results
are not failures of the call: a command still running in the background, a ``grep`` that matched
nothing (exit 1), a tool printing a ``WARN`` line, a call the user interrupted, a permission prompt or
a sandbox denial. Lessons built on those as if they were failures are wrong, so every result goes
through ``classify`` once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["FAILURE_WORDS", "NOT_FAILURES", "Signal", "SignalKind", "classify"]

SignalKind = Literal["ok", "running", "empty", "warning", "interrupted", "denied", "failed"]
NOT_FAILURES: frozenset[str] = frozenset({"running", "empty", "warning", "interrupted", "denied"})

FAILURE_WORDS = {
    "not_found": "a missing file or path",
    "command_not_found": "a missing command",
    "syntax": "a syntax error",
    "edit_mismatch": "an edit whose text did not match the file",
    "test_failure": "failing tests",
    "import": "a missing module or import",
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
        return None if self.kind in ("running", "interrupted", "denied") else False


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
_EXIT = re.compile(r"(?im)^(?:process exited with code|exit code:?|<returncode>)\s*(-?\d+)")
_UNFLAGGED_ERROR = re.compile(
    r"^(?:Error|ERROR|error)\b[:\s]|^Traceback \(most recent call last\)|^\[?(?:Errno \d+|Error:)|^Exception\b"
)

_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("edit_mismatch", re.compile(
        r"(?i)(no exact match|did not appear verbatim|string to replace not found|old_str .{0,80}(?:not|did not) "
        r"(?:found|appear|match)|no replacement was performed|found \d+ matches of the string|"
        r"string not found in file|old_string.{0,40}not (?:found|unique)|file has (?:been )?(?:modified|changed) since|"
        r"file has not been read yet|must read .{0,30}before (?:editing|writing))")),
    ("syntax", re.compile(
        r"(?i)(syntaxerror|indentationerror|taberror|syntax error|\bE999\b|unexpected token|parse error|"
        r"unterminated string|unexpected eof|expected ['\"`;:)\]}]|unexpected indent)")),
    ("import", re.compile(r"(?i)(modulenotfounderror|importerror|no module named|cannot find module|"
                          r"cannot find package|unresolved import|could not import)")),
    ("command_not_found", re.compile(r"(?i)(command not found|is not recognized as an internal|"
                                     r"executable file not found|no such command|unknown command)")),
    ("timeout", re.compile(r"(?i)(timed? ?out|timeouterror|deadline exceeded|took too long|exceeded .{0,20}time)")),
    ("network", re.compile(
        r"(?i)(connection refused|could not resolve host|name or service not known|network is unreachable|"
        r"econnrefused|econnreset|enotfound|temporary failure in name resolution|ssl: |certificate verify failed|"
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
    text = output or ""
    head = text[:4000]
    code = exit_code if exit_code is not None else _exit_in_text(head)
    flagged = bool(is_error) or (code not in (None, 0))
    meaningful = [line for line in head.splitlines() if not _HARNESS.match(line)]
    body = "\n".join(meaningful).strip()

    if _INTERRUPTED.search(head[:600]):
        return Signal("interrupted")
    if _DENIED.search(head[:800]) and (flagged or not body or len(body) < 600):
        return Signal("denied")
    if _RUNNING.search(head[:600]) and code in (None, 0) and (not flagged or len(body) < 300):
        return Signal("running")
    if not flagged:
        # Structured tools (and some harnesses) report errors only in the text: "Error: ...", a traceback.
        if _UNFLAGGED_ERROR.match(body) and (not in_shell or code is None):
            return Signal("failed", _kind(text, role, in_shell))
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
    return Signal("failed", _kind(text, role, in_shell))


_TEST_SUMMARY = re.compile(r"(?im)^FAILED |\b\d+ failed\b|failed tests?|tests? failed|^FAIL\b")


def _kind(text: str, role: str, shell: bool) -> str:
    # Long outputs put the verdict at the end (pytest's summary), the cause at the start.
    sample = text if len(text) <= 8000 else text[:4000] + "\n" + text[-4000:]
    if role == "test" and _TEST_SUMMARY.search(sample):
        return "test_failure"
    for name, pattern in _KINDS:
        if name == "test_failure" and role != "test" and not _TEST_SUMMARY.search(sample):
            continue
        if pattern.search(sample):
            return name
    return "other" if shell else "rejected"


def _exit_in_text(text: str) -> int | None:
    match = _EXIT.search(text)
    return int(match.group(1)) if match else None


def _non_warning(body: str) -> str:
    return "\n".join(line for line in body.splitlines() if not _WARNING_LINE.search(line))


def _ends_in_search(command: str) -> bool:
    # `ps aux | grep x` exits 1 when grep matched nothing: the family is `ps`, but the search is what "failed".
    first = command.split("\n", 1)[0]
    return bool(re.search(r"\|\s*(?:grep|egrep|fgrep|rg|ag|ack)\b[^|]*$", first))
