"""Scan the text of one file of a skill: SKILL.md and other Markdown, scripts, and everything else.

Which rules apply depends on what the agent does with the text: it *runs* scripts and code blocks
(command rules, homoglyphs are high), it *obeys* prose (injection rules), and every file can leak
secrets or hide characters.
"""

from __future__ import annotations

import re
from pathlib import PurePosixPath

from skillforge.models.scan import Finding
from skillforge.scan import rules
from skillforge.scan.detect import Hit, dedupe, to_findings
from skillforge.scan.injection import scan_injection
from skillforge.scan.python import scan_python
from skillforge.scan.scripts import scan_commands
from skillforge.scan.secrets import scan_secrets
from skillforge.scan.text import excerpt
from skillforge.scan.unicode import scan_unicode

SCRIPT_SUFFIXES = frozenset(
    {
        ".sh",
        ".bash",
        ".zsh",
        ".ksh",
        ".fish",
        ".py",
        ".pyw",
        ".js",
        ".mjs",
        ".cjs",
        ".ts",
        ".rb",
        ".pl",
        ".php",
        ".ps1",
        ".psm1",
        ".bat",
        ".cmd",
        ".lua",
        ".r",
        ".command",
    }
)
MARKDOWN_SUFFIXES = frozenset({".md", ".markdown", ".mdx", ".txt", ".rst"})
_PY_LANGS = frozenset({"python", "py", "python3", "ipython", "pycon"})
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})\s*([\w+#.-]*)")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_NEGATED = re.compile(
    r"\b(never|don'?t|do\s+not|does\s+not|avoid|must\s+not|should\s+not|shouldn'?t|instead\s+of|not\s+to|refuse|"
    r"forbid|forbidden|dangerous|unsafe|block|deny|denied|warning|beware)\b",
    re.IGNORECASE,
)
_BROAD_TOOLS = re.compile(r"(?:^|[\s,])Bash(?:\(\s*\*(?::\s*\*)?\s*\))?(?=$|[\s,])")


def kind_of(rel: str, text: str) -> str:
    """``skill-md``, ``markdown``, ``python``, ``script`` or ``text``."""
    path = PurePosixPath(rel)
    suffix = path.suffix.lower()
    if path.name.lower() == "skill.md":
        return "skill-md"
    first = text.split("\n", 1)[0]
    if suffix in (".py", ".pyw") or (first.startswith("#!") and "python" in first):
        return "python"
    if suffix in SCRIPT_SUFFIXES or first.startswith("#!") or "scripts" in path.parts:
        return "script"
    if suffix in MARKDOWN_SUFFIXES:
        return "markdown"
    return "text"


def scan_text(rel: str, text: str, *, file: str | None = None) -> list[Finding]:
    """All content findings for one file's ``text``; ``rel`` decides the kind, ``file`` is what reports show."""
    shown = file or rel
    kind = kind_of(rel, text)
    lines = text.split("\n")
    out: list[Finding] = []
    code = kind in ("python", "script")
    # HTML comments hide text only where Markdown is rendered; in an .html template they are ordinary.
    out += to_findings(scan_injection(text, comments=kind in ("skill-md", "markdown")), lines, shown)
    out += to_findings(scan_secrets(text, PurePosixPath(rel).name), lines, shown)
    out += to_findings(scan_unicode(text, code=code, in_trace=False), lines, shown)
    if code:
        out += to_findings(scan_commands(text), lines, shown)
    if kind == "python":
        out += to_findings(scan_python(text) or [], lines, shown, context="python")
    if kind in ("skill-md", "markdown"):
        out += _markdown(text, lines, shown)
    if kind == "skill-md":
        out += _frontmatter(lines, shown)
    return dedupe(out)


def _markdown(text: str, lines: list[str], file: str) -> list[Finding]:
    out: list[Finding] = []
    for start, lang, body in code_blocks(lines):
        block_lines = body.split("\n")
        ctx = f"code block ({lang})" if lang else "code block"
        out += to_findings(scan_commands(body), block_lines, file, line_offset=start, context=ctx)
        out += to_findings(
            scan_unicode(body, code=True, in_trace=False), block_lines, file, line_offset=start, context=ctx
        )
        if lang.lower() in _PY_LANGS:
            out += to_findings(scan_python(body) or [], block_lines, file, line_offset=start, context=ctx)
    for lineno, line in prose_lines(lines):
        if "`" not in line or _NEGATED.search(line):
            continue  # "never run `rm -rf /`" is a guardrail, not an instruction
        for m in _INLINE_CODE.finditer(line):
            span = m.group(2)
            hits = scan_commands(span) + scan_unicode(span, code=True, in_trace=False)
            for h in hits:
                out += to_findings(
                    [Hit(h.rule_id, 1, severity=h.severity, detail=h.detail)],
                    [span],
                    file,
                    line_offset=lineno - 1,
                    context="inline code",
                )
    return out


def code_blocks(lines: list[str]) -> list[tuple[int, str, str]]:
    """``(line number before the block's first line, language, text)`` for each fenced block."""
    blocks = []
    fence: str | None = None
    lang = ""
    start = 0
    body: list[str] = []
    for i, line in enumerate(lines):
        m = _FENCE.match(line)
        if fence is None:
            if m:
                fence, lang, start, body = m.group(1)[0] * len(m.group(1)), m.group(2), i + 1, []
            continue
        if m and m.group(1).startswith(fence) and not m.group(2):
            blocks.append((start, lang, "\n".join(body)))
            fence = None
            continue
        body.append(line)
    if fence is not None:
        blocks.append((start, lang, "\n".join(body)))
    return blocks


def prose_lines(lines: list[str]) -> list[tuple[int, str]]:
    """``(1-based line number, line)`` for lines outside fenced code blocks."""
    out = []
    fence: str | None = None
    for i, line in enumerate(lines, start=1):
        m = _FENCE.match(line)
        if fence is None and m:
            fence = m.group(1)[0] * len(m.group(1))
            continue
        if fence is not None:
            if m and m.group(1).startswith(fence) and not m.group(2):
                fence = None
            continue
        out.append((i, line))
    return out


def _frontmatter(lines: list[str], file: str) -> list[Finding]:
    if not lines or lines[0].strip() != "---":
        return []
    out: list[Finding] = []
    for i, line in enumerate(lines[1:], start=2):
        if line.strip() == "---":
            break
        key, _, value = line.partition(":")
        if key.strip() == "allowed-tools":
            ctx = "frontmatter allowed-tools"
            out += to_findings(scan_commands(value), [value], file, line_offset=i - 1, context=ctx)
            out += to_findings(
                scan_unicode(value, code=True, in_trace=False), [value], file, line_offset=i - 1, context=ctx
            )
            m = _BROAD_TOOLS.search(value)
            if m:
                out.append(rules.make("broad-allowed-tools", file, i, excerpt(line), context=ctx))
        elif key.strip() == "name":
            out += to_findings(
                scan_unicode(value, code=True, in_trace=False),
                [value],
                file,
                line_offset=i - 1,
                context="frontmatter name",
            )
    return out
