"""Error signatures: the line of a failed tool's output that says what went wrong, and a normalized form
of it (paths, numbers, hex ids, long quoted values replaced) so the same error clusters across runs."""

from __future__ import annotations

import re

__all__ = ["error_line", "normalize_signature"]

_NOISE = re.compile(
    r"^(?:<returncode>.*|</?output>|</?output_head>|</?output_tail>|<warning>|</warning>|Chunk ID:.*|Wall time:.*|"
    r"Original token count:.*|Output:|Process exited with code \d+|Exit code:? \d+|\[?Command finished.*|"
    r"ERRORS?:|\[?This is how your edit would have looked.*|-{3,}|={3,}|\[.*characters cut.*\])$",
    re.IGNORECASE,
)
_EXCEPTION = re.compile(r"^(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception|Exit|Interrupt|Failure|Warning)\b.*")
_ERROR_WORDS = re.compile(
    r"(?i)\b(error|errors|fatal|failed|failure|not found|no such file|denied|not permitted|refused|rejected|"
    r"requires approval|haven't granted|not allowed|blocked|invalid|cannot|can't|unable|timed? ?out|unknown|"
    r"no exact match|missing|exception)\b"
)


def error_line(output: str) -> str:
    """The line of a failed tool's output that says what went wrong, as it appears there."""
    raw = [line.rstrip() for line in output.splitlines()]
    if any(line.strip().startswith("Traceback (most recent call last)") for line in raw):
        # Python puts the exception on the last unindented line after the frames.
        after = raw[next(i for i, line in enumerate(raw) if line.strip().startswith("Traceback")) + 1 :]
        final = [
            line.strip() for line in after
            if line and not line[0].isspace() and re.match(r"^[A-Za-z_][\w.]*(?::|$)", line.strip())
            and not _NOISE.match(line.strip())
        ]
        if final:
            return final[-1][:200]
    lines = [line.strip() for line in raw]
    lines = [line for line in lines if line and not _NOISE.match(line)]
    if not lines:
        return ""
    summary = [line for line in lines if re.match(r"^(?:FAILED|ERROR) \S+", line)]
    if summary:
        return summary[0][:200]  # pytest's short test summary names the failing test
    # The cause is usually near the start; a long output that says nothing wrong there may end on the verdict
    # (a harness's "EXECUTION TIMED OUT …" after a tool's progress lines).
    for line in [*lines[:40], *lines[40:][-10:]]:
        if _ERROR_WORDS.search(line):
            return line.strip("[]")[:200] if line.startswith("[") else line[:200]
    return lines[0][:200]


_SIG_RULES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"https?://\S+"), "<url>"),
    (re.compile(r"(?:[A-Za-z]:)?(?:~|\.{1,2})?(?:/[\w.@+~-]+)+/?"), "<path>"),
    (re.compile(r"\b[\w.-]+(?:/[\w.-]+)+\b"), "<path>"),
    (re.compile(r"\b[\w-]+\.(?:py|js|ts|tsx|jsx|go|rs|java|rb|c|h|cpp|md|json|ya?ml|toml|txt|sh|cfg|ini)\b"), "<file>"),
    (re.compile(r"\b0x[0-9a-fA-F]+\b"), "<hex>"),
    (re.compile(r"\b[0-9a-f]{7,}\b"), "<hex>"),
    (re.compile(r"\b\d+(?:\.\d+)*\b"), "<n>"),
    (re.compile(r"'[^'\s][^'\n]{23,}[^'\s]'|\"[^\"\s][^\"\n]{23,}[^\"\s]\"|`[^`\n]{25,}`"), "'<text>'"),
    (re.compile(r"\s+"), " "),
]


def normalize_signature(line: str) -> str:
    """``error_line`` with the specifics (paths, numbers, hex ids, long quoted values) replaced, so the same
    error from different runs clusters together."""
    text = line
    for pattern, replacement in _SIG_RULES:
        text = pattern.sub(replacement, text)
    text = re.sub(r"(<path>|<file>)(?:[:\s]*<n>)+", r"\1", text)
    first_sentence = re.split(r"(?<=[a-z)\]])\. (?=[A-Z])", text, maxsplit=1)[0]
    return first_sentence.strip(" .:;-")[:140]
