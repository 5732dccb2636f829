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
from skillforge.scan.programs import fetched_code_in_script, judge_program, judge_script_file
from skillforge.scan.python import scan_python
from skillforge.scan.scripts import SECRET_VAR, scan_commands
from skillforge.scan.secrets import scan_secrets
from skillforge.scan.text import excerpt
from skillforge.scan.unicode import fold_confusables, scan_unicode

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
# Any indentation: a fence inside a list item is indented four spaces or more, and an agent reads it as code.
_FENCE = re.compile(r"^[ \t]*(?:>[ \t]*)*(`{3,}|~{3,})\s*\{?\.?([\w+#.-]*)")
_INDENTED = re.compile(r"^(?: {4}|\t)[ \t]*(\S.*)$")
_HTML_CODE = re.compile(r"<(pre|code|kbd|samp)\b[^>]*>(.*?)</\1\s*>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")
_STRING = re.compile(r'"((?:[^"\\\n]|\\.){6,})"|\'((?:[^\'\\\n]|\\.){6,})\'')
_JS_LANGS = frozenset({"js", "javascript", "node", "mjs", "cjs", "ts", "typescript", "jsx", "tsx"})
_JS_SUFFIXES = frozenset({".js", ".mjs", ".cjs", ".ts", ".jsx", ".tsx"})
_PROGRAM_SUFFIXES = _JS_SUFFIXES | frozenset({".mts", ".cts", ".rb", ".pl", ".pm", ".php", ".ps1", ".psm1", ".lua"})
_PROGRAM_LANGS = frozenset({"perl", "pl", "ruby", "rb", "php", "powershell", "pwsh", "ps1", "lua", "awk"})
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_NEGATED = re.compile(
    r"\b(never|don'?t|do\s+not|does\s+not|avoid|must\s+not|should\s+not|shouldn'?t|instead\s+of|not\s+to|refuse|"
    r"forbid|forbidden|dangerous|unsafe|block|deny|denied|warning|beware)\b",
    re.IGNORECASE,
)
_BROAD_TOOLS = re.compile(r"(?:^|[\s,])Bash(?:\(\s*\*(?::\s*\*)?\s*\))?(?=$|[\s,])")
# Blocks read as shell: what an agent pastes into a terminal. Other languages get the patterns only.
_SHELL_LANGS = frozenset(
    {"", "bash", "sh", "shell", "zsh", "ksh", "fish", "console", "shell-session", "sh-session", "shellsession",
     "terminal", "text", "txt", "plaintext", "dockerfile", "docker", "makefile", "make", "yaml", "yml", "cmd"}
)
_CONSOLE_LANGS = frozenset({"console", "shell-session", "sh-session", "shellsession", "terminal"})
_PROMPT = re.compile(r"^\s*(?:\(\S+\)\s*)?(?:[\w.@~:/-]*[$#%]|❯|>>>|PS>?[^>]*>)\s")
_SHELL_SUFFIXES = frozenset({".sh", ".bash", ".zsh", ".ksh", ".command", ""})
# Link targets a click runs as code. Entities and whitespace inside the scheme are how filters are dodged.
_LINK_TARGETS = re.compile(
    r"\]\(\s*<?([^)\s>]*(?:\s[^)\s>]*)?)|^\s{0,3}\[[^\]]+\]:\s*<?(\S+)|<([a-zA-Z][\w+.-]*:[^>\s]*)>"
    r"|\b(?:href|src|action|formaction|xlink:href)\s*=\s*[\"']?([^\"'>\s]+)",
    re.IGNORECASE,
)
_SCRIPT_SCHEME = re.compile(r"^(?:javascript|vbscript|livescript|data):", re.IGNORECASE)
_DATA_IMAGE = re.compile(r"^data:image/(?:png|gif|jpe?g|webp|avif|bmp);", re.IGNORECASE)
# A target fetched over the network (scheme://, or //host): what may leave the machine.
_NETWORK_URL = re.compile(r"^(?:[a-z][\w+.-]*:)?//", re.IGNORECASE)
_URL_COMMAND = re.compile(r"\$\(|`[^`\s]+[^`]*`")
_LINK_TITLE = re.compile(r"\s+[\"'(]")
_CLAUSE_END = re.compile(r"[.;:!?]\s|[.;:!?]$")


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


def scan_text(rel: str, text: str, *, file: str | None = None, words: bool = True) -> list[Finding]:
    """All content findings for one file's ``text``; ``rel`` decides the kind, ``file`` is what reports show.

    ``words=False`` leaves out injection phrases and secrets (for a caller that checks those its own way).
    """
    shown = file or rel
    kind = kind_of(rel, text)
    lines = text.split("\n")
    out: list[Finding] = []
    code = kind in ("python", "script")
    if words:
        # HTML comments hide text only where Markdown is rendered; in an .html template they are ordinary.
        found = scan_injection(text, comments=kind in ("skill-md", "markdown"))
        if PurePosixPath(rel).suffix.lower() in _JSON_SUFFIXES:
            found += _json_strings_injection(text, lines, {h.rule_id for h in found})
        out += to_findings(found, lines, shown)
        out += to_findings(scan_secrets(text, PurePosixPath(rel).name), lines, shown)
    out += to_findings(scan_unicode(text, code=code, in_trace=False), lines, shown)
    if code:
        shellish = kind == "script" and (
            PurePosixPath(rel).suffix.lower() in _SHELL_SUFFIXES or re.match(r"#!.*\b(?:ba|z|k|da)?sh\b", text)
        )
        out += to_findings(scan_commands(text, as_shell=bool(shellish)), lines, shown)
    if kind == "python":
        out += to_findings(scan_python(text) or [], lines, shown, context="python")
    if kind == "script" and PurePosixPath(rel).suffix.lower() in _JS_SUFFIXES:
        out += to_findings([Hit("pipe-to-shell", n) for n in fetched_code_in_script(text)], lines, shown)
    suffix = PurePosixPath(rel).suffix.lower()
    if kind == "script" and suffix in _PROGRAM_SUFFIXES:
        out += to_findings([Hit(rule, n) for rule, n in judge_script_file(text, suffix)], lines, shown)
    if kind in ("skill-md", "markdown"):
        out += _markdown(text, lines, shown)
    if not code:
        out += prose_commands(lines, shown)
    if kind == "skill-md":
        out += _frontmatter(lines, shown)
    return dedupe(out)


_JSON_SUFFIXES = frozenset({".json", ".ipynb"})


def _json_strings_injection(text: str, lines: list[str], found: set[str]) -> list[Hit]:
    """Injection in what a JSON file's strings say once decoded: a notebook cell's ``source`` list is one
    text however it is split ("Ignore all ", "previous ", "instructions"), and so is a list of strings.
    Hits are placed on the line holding the start of the phrase's first piece (``found``: rules the
    plain scan already reported, left out)."""
    import json

    try:
        data = json.loads(text)
    except ValueError:
        return []
    pieces: list[str] = []

    def walk(value: object) -> None:
        if isinstance(value, str):
            pieces.append(value)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            pieces.append("".join(value))
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for v in value.values():
                walk(v)

    walk(data)
    hits: list[Hit] = []
    for piece in pieces:
        for h in scan_injection(piece, comments=False):
            if h.rule_id in found:
                continue
            found.add(h.rule_id)
            first = (piece.split("\n")[h.line - 1][h.start : h.start + 8]).strip()
            number = next((i for i, line in enumerate(lines, start=1) if first and first in line), 1)
            hits.append(Hit(h.rule_id, number, severity=h.severity, detail=h.detail))
    return hits


def _markdown(text: str, lines: list[str], file: str) -> list[Finding]:
    out: list[Finding] = []
    for start, lang, body in code_blocks(lines):
        block_lines = body.split("\n")
        ctx = f"code block ({lang})" if lang else "code block"
        shell = lang.lower() in _SHELL_LANGS
        commands = console_commands(body) if lang.lower() in _CONSOLE_LANGS or _looks_like_console(body) else body
        out += to_findings(scan_commands(commands, as_shell=shell), block_lines, file, line_offset=start, context=ctx)
        out += to_findings(
            scan_unicode(body, code=True, in_trace=False), block_lines, file, line_offset=start, context=ctx
        )
        if lang.lower() in _PY_LANGS:
            out += to_findings(scan_python(body) or [], block_lines, file, line_offset=start, context=ctx)
        elif not shell:
            out += to_findings(_other_language(lang.lower(), body), block_lines, file, line_offset=start, context=ctx)
    prose = prose_lines(lines)
    for lineno, line in prose:
        m = _INDENTED.match(line)
        if m and not negated_before(line, m.start(1)):
            # An indented code block (or a list item's code): run as shell by whoever follows the skill.
            hits = [h for h in scan_commands(m.group(1)) if _is_high(h)]
            out += to_findings(
                [Hit(h.rule_id, 1, severity=h.severity, detail=h.detail) for h in hits],
                [line], file, line_offset=lineno - 1, context="indented code",
            )
    out += _html_code(text, file)
    for lineno, line in prose:
        out += to_findings(unsafe_links(line), [line], file, line_offset=lineno - 1)
        if "`" not in line:
            continue
        for m in _INLINE_CODE.finditer(line):
            if negated_before(line, m.start()):
                continue  # "never run `rm -rf /`" is a guardrail, not an instruction
            span = m.group(2).strip()
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


def _is_high(hit: Hit) -> bool:
    return (hit.severity or rules.RULES[hit.rule_id].severity) == "high"


def _other_language(lang: str, body: str) -> list[Hit]:
    """A block that is not shell still carries shell: JSON/TOML/YAML strings (``"postinstall": "curl … && sh …"``),
    JavaScript that evaluates what it fetched, and one-liner programs in other languages."""
    hits: list[Hit] = []
    for number, line in enumerate(body.split("\n"), start=1):
        for m in _STRING.finditer(line):
            value = (m.group(1) or m.group(2)).replace('\\"', '"').replace("\\'", "'")
            hits += [Hit(h.rule_id, number, severity=h.severity, detail=h.detail) for h in scan_commands(value) if _is_high(h)]
    if lang in _JS_LANGS:
        hits += [Hit("pipe-to-shell", n) for n in fetched_code_in_script(body)]
    if lang in _PROGRAM_LANGS and body.count("\n") < 15:
        hits += [Hit(rule, 1) for rule in judge_program(body)]
    return hits


def _html_code(text: str, file: str) -> list[Finding]:
    """``<pre>``/``<code>`` in Markdown is a code block too."""
    import html

    if "<" not in text:
        return []
    out: list[Finding] = []
    for m in _HTML_CODE.finditer(text):
        body = html.unescape(_TAG.sub("", m.group(2)))
        first = text.count("\n", 0, m.start(2))
        hits = [h for h in scan_commands(body) if _is_high(h)]
        out += to_findings(hits, body.split("\n"), file, line_offset=first, context="html code")
    return out


_COMMAND_START = re.compile(
    r"(?<![\w./-])(?:sudo\s+)?(?:curl|wget|bash|sh|zsh|python[0-9.]*|perl|ruby|node|rm|find|dd|mkfs[\w.]*|chmod|nc|"
    r"ncat|netcat|socat|eval|source|env|printenv|cat|echo|printf|tee|crontab|git|cp|mv|ln|tar|base64|scp|ssh|"
    r"npx|pnpx|bunx|bun|deno|uvx|uv|pipx|pip[0-9.]*|npm|pnpm|yarn|gem|dig|nslookup|host|drill|openssl|lua|php|pwsh|"
    r"powershell|iex|"
    r"\(crontab)\b"
)
_NOT_WRITTEN_CONTENT = ("injection-", "secret", "possible-secret")


def risky_markdown(text: str, file: str = "lesson") -> list[Finding]:
    """High-severity findings that text written by distillation (a lesson, a rendered rule) must not carry:
    dangerous commands, script links and hidden characters.

    Nobody wrote this text as Markdown on purpose, so a command in plain prose ("Run curl ... | sh
    and retry") counts as much as one in a code span. Injection and secrets have their own checks.
    """
    lines = text.split("\n")
    found = [
        f
        # Injection phrases and secrets are left out here (and not computed): they have their own checks.
        for f in scan_text("lesson.md", text, file=file, words=False)
        if f.severity == "high" and not f.rule_id.startswith(_NOT_WRITTEN_CONTENT)
    ]
    if kind_of("lesson.md", text) in ("python", "script"):
        found += prose_commands(lines, file)  # scan_text reads prose only in non-code files
    return dedupe(found)


def prose_commands(lines: list[str], file: str) -> list[Finding]:
    """High-severity commands written in prose ("The agent must first run: curl … | bash"), outside code.

    A skill is read by an agent that runs what it is told, so an instruction in a sentence, a YAML
    ``run:`` value or an image's alt text counts as much as one in a code block."""
    found: list[Finding] = []
    for lineno, raw in prose_lines(lines):
        # Read the line as it reads: "Run ｃｕｒｌ … | ｓｈ" or a Cyrillic "сurl" is a command to whoever follows it.
        line = fold_confusables(raw)
        m = _COMMAND_START.search(line)
        if m is None or negated_before(line, m.start()):
            continue
        snippet = line[m.start() :].replace("`", " ")
        hits = [h for h in scan_commands(snippet) if (h.severity or rules.RULES[h.rule_id].severity) == "high"]
        found += to_findings(
            [Hit(h.rule_id, 1, severity=h.severity, detail=h.detail) for h in hits],
            [snippet],
            file,
            line_offset=lineno - 1,
            context="prose",
        )
    return found


def negated_before(line: str, start: int) -> bool:
    """A negation ("never", "do not", ...) governs the text at ``start``: it is in the same clause, before it.

    "Don't wait: run `x`" is not a guardrail; "Never run `x` or `y`" is, for both spans.
    """
    clause = line[:start]
    ends = list(_CLAUSE_END.finditer(clause))
    if ends:
        clause = clause[ends[-1].end() :]
    return bool(_NEGATED.search(clause))


def unsafe_links(line: str) -> list[Hit]:
    """``javascript:``/``vbscript:``/``data:`` link targets on one line of Markdown or HTML, and network
    links or images whose URL carries a secret variable or a command's output (``network-exfil``)."""
    import html

    hits = []
    for m in _LINK_TARGETS.finditer(line):
        target = next(g for g in m.groups() if g is not None)
        plain = "".join(ch for ch in html.unescape(target) if ch.isprintable() and not ch.isspace())
        if _NETWORK_URL.match(plain) and _leaks(html.unescape(target)):
            # An image is fetched by whatever renders the text, a link by the agent told to open it: once
            # $OPENAI_API_KEY or $(cat ~/.ssh/id_rsa) is expanded, the secret is in the request to that host.
            hits.append(Hit("network-exfil", 1, m.start(), m.end()))
            continue
        if not _SCRIPT_SCHEME.match(plain):
            continue
        is_image = m.group(1) is not None and "![" in line[: m.start() + 1] and line.rfind("![", 0, m.start()) >= 0
        if is_image and _DATA_IMAGE.match(plain):
            continue
        hits.append(Hit("unsafe-link", 1, m.start(), m.end()))
    return hits


def _leaks(target: str) -> bool:
    """Whether a link target's URL (its title, ``"…"`` after a space, left out) holds a command
    substitution or a secret-named variable."""
    title = _LINK_TITLE.search(target)
    url = target[: title.start()] if title else target
    return bool(_URL_COMMAND.search(url) or SECRET_VAR.search(url))


def console_commands(body: str) -> str:
    """A console transcript with the prompts taken off and the output lines blanked (line numbers kept)."""
    out = []
    continuing = False
    for line in body.split("\n"):
        m = _PROMPT.match(line)
        if m:
            out.append(line[m.end() :])
            continuing = line.rstrip().endswith("\\")
        elif continuing or line.startswith("> "):
            out.append(line[2:] if line.startswith("> ") else line)
            continuing = line.rstrip().endswith("\\")
        else:
            out.append("")
    return "\n".join(out)


def _looks_like_console(body: str) -> bool:
    first = next((ln for ln in body.split("\n") if ln.strip()), "")
    return first.lstrip().startswith("$ ")


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
