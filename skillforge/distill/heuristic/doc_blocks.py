"""The blocks of one document section — paragraphs, list items, fenced code, tables, sub-headings — and what
each code block is: a command or code to copy, or output/log/traceback that only shows what happens.

Documents arrive as markdown text (the ingest readers normalise HTML and plain text to it). This module
reads structure only; deciding what is a step, a guardrail or a fix is ``doc_steps``' job.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

__all__ = ["Block", "Code", "blocks", "code_role", "plain", "sentences"]

BlockKind = Literal["heading", "para", "item", "code", "table"]
CodeRole = Literal["command", "code", "config", "output"]

_FENCE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w+.#-]*)")
_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)])\s+(.*)$")
_LINK_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S")
_SHELL = {"bash", "sh", "shell", "console", "zsh", "terminal", "shell-session", "shellsession", "powershell", "ps1",
          "ps", "cmd", "bat", "fish", "sh-session"}
_CONFIG = {"yaml", "yml", "json", "jsonc", "toml", "ini", "conf", "cfg", "xml", "properties", "env", "dotenv",
           "hcl", "dockerfile", "nginx", "systemd", "service", "promql", "sql"}
_OUTPUT = {"text", "txt", "log", "logs", "output", "plaintext", "plain", "stdout", "stderr", "none", "nohighlight",
           "pytb", "traceback", "python-traceback", "py-traceback"}
_TRACE_LINE = re.compile(
    r"""^\s*(?:Traceback \(most recent call last\)|File "[^"]+", line \d+|raise\b|\^+\s*$|During handling of|"""
    r"""at [\w.$<>]+\(.*\)$|panic:|goroutine \d+)"""
)
_LOG_LINE = re.compile(
    r"^\s*(?:\[?\d{4}-\d\d-\d\d[T ]|\[?\d\d:\d\d:\d\d|\[?(?:ERROR|WARN|WARNING|INFO|DEBUG|TRACE|FATAL|CRITICAL)\b|"
    r"[EWIF]\d{4} |time=|level=|ts=|msg=|[\w.]+(?:Error|Exception|Warning)\b(?::|$)|error:|warning:|fatal:|"
    r"(?:Span|Event|Trace|Attributes?|Resource|Status|Name|Kind|Context)\s*:|[A-Z][\w ]{0,30}:\s+\S|"
    r"[-\w.]+\s*=\s*\S|NAME\s{2,}|\w+\s{3,}\w+\s{3,})"
)
_OUTPUT_LABEL = re.compile(r"(?i)^(?:(?:sample|example|expected|typical|the|its|command|console)\s+)?"
                           r"(?:output|result|response)(?:\s+(?:is|looks like|should be))?\s*:?$")
_COMMANDISH = re.compile(r"^\s*(?:\$|#|>|PS>|C:\\>)?\s*[a-z][\w.+-]*(?:\s|$)")
_SHOWS = re.compile(
    r"(?i)(output|message|error|looks? like|for example|for instance|e\.g\.|such as|similar to|something like|"
    r"should (?:show|see|print|contain|display|look|return|list)|expected|you(?:'ll| will) see|displays?|prints?|"
    r"returns?|reports?|shows?|the following (?:error|message|output|warning|log))\W*:?\s*$"
)


@dataclass
class Code:
    """One fenced (or indented) code block."""

    text: str
    lang: str = ""

    def fenced(self) -> str:
        """The block as a markdown fence long enough for any backtick run inside it."""
        runs = re.findall(r"`{3,}", self.text)
        fence = "`" * max([3, *(len(r) + 1 for r in runs)])
        return f"{fence}{self.lang}\n{self.text}\n{fence}"


@dataclass
class Block:
    kind: BlockKind
    text: str
    depth: int = 0
    """Indentation of a list item or code block (0 at the margin)."""
    numbered: bool = False
    quoted: bool = False
    code: Code | None = None
    more: list[str] = field(default_factory=list)
    """Further paragraphs of a list item (after a blank line, indented)."""


def blocks(text: str) -> list[Block]:
    """The blocks of a section body, in order. HTML tags, comments, link definitions and template
    directives are dropped; quoted lines (``>``, admonitions) are read like any other and marked ``quoted``."""
    out: list[Block] = []
    lines = _strip_comments(text.split("\n"))
    i = 0
    para: list[str] = []
    para_quoted = False
    blank_before = True

    def flush() -> None:
        nonlocal para
        if para:
            out.append(Block("para", " ".join(para), quoted=para_quoted))
        para = []

    while i < len(lines):
        raw = lines[i]
        quoted = bool(re.match(r"^\s*>", raw))
        line = re.sub(r"^\s*>\s?", "", raw) if quoted else raw
        stripped = line.strip()
        fence = _FENCE.match(line)
        if fence:
            flush()
            indent, marker = len(fence.group(1)), fence.group(2)
            body: list[str] = []
            i += 1
            while i < len(lines):
                inner = re.sub(r"^\s*>\s?", "", lines[i]) if quoted else lines[i]
                if inner.strip().startswith(marker) and not inner.strip().strip(marker[0]):
                    break
                body.append(inner[indent:] if inner[:indent].strip() == "" else inner.lstrip())
                i += 1
            i += 1
            code = Code(_trim_block(body), fence.group(3).lower().lstrip("."))
            if code.text:
                out.append(Block("code", code.text, depth=indent, quoted=quoted, code=code))
            blank_before = False
            continue
        if not stripped:
            flush()
            blank_before = True
            i += 1
            continue
        last = out[-1] if out else None
        if blank_before and not para and re.match(r"^( {4,}|\t)", line) and (last is None or last.kind != "item"):
            body = []
            while i < len(lines) and (re.match(r"^( {4,}|\t)", lines[i]) or not lines[i].strip()):
                body.append(lines[i][4:] if lines[i].startswith("    ") else lines[i].lstrip("\t"))
                i += 1
            out.append(Block("code", _trim_block(body), depth=4, code=Code(_trim_block(body))))
            blank_before = True
            continue
        if stripped.startswith("#"):
            flush()
            out.append(Block("heading", stripped.lstrip("#").strip(), depth=len(stripped) - len(stripped.lstrip("#"))))
        elif stripped.startswith("|"):
            flush()
            rows = []
            while i < len(lines) and lines[i].strip().startswith("|"):
                rows.append(lines[i].strip())
                i += 1
            out.append(Block("table", "\n".join(rows)))
            blank_before = False
            continue
        elif (stripped.startswith(("<", "{%", "{{<", "!!!", "???", "--8<--", ":::")) and not stripped.startswith("<http")) \
                or _LINK_DEF.match(stripped) or re.fullmatch(r"[-*_=]{3,}", stripped):
            flush()
        elif item := _ITEM.match(line):
            flush()
            out.append(Block("item", item.group(3).strip(), depth=len(item.group(1).expandtabs(4)),
                             numbered=item.group(2)[0].isdigit(), quoted=quoted))
        elif last is not None and last.kind == "item" and not para and (not blank_before or re.match(r"^\s{2,}", line)):
            if blank_before:
                last.more.append(stripped)
            elif last.more:
                last.more[-1] += " " + stripped
            else:
                last.text += " " + stripped
        else:
            if not para:
                para_quoted = quoted
            para.append(stripped)
        blank_before = False
        i += 1
    flush()
    return out


def _strip_comments(lines: list[str]) -> list[str]:
    text = re.sub(r"<!--.*?-->", "", "\n".join(lines), flags=re.S)
    return text.split("\n")


def _trim_block(lines: list[str]) -> str:
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    return "\n".join(line.rstrip() for line in lines)


def code_role(code: Code, lead: str = "") -> CodeRole:
    """What a code block is for: ``command`` (shell to run), ``code`` (program text to use), ``config`` (a
    file's content) or ``output`` (what a command printed: logs, tracebacks, alert payloads, sample output —
    evidence, never a step). ``lead`` is the sentence that introduces the block."""
    lines = [ln for ln in code.text.split("\n") if ln.strip()]
    if not lines:
        return "output"
    traced = sum(bool(_TRACE_LINE.match(ln)) for ln in lines)
    if traced >= 2 or any("Traceback (most recent call last)" in ln for ln in lines):
        return "output"
    prompted = sum(bool(re.match(r"^\s*(?:\$|>>>|PS>|C:\\>|❯)\s", ln)) for ln in lines)
    if code.lang in _OUTPUT or _OUTPUT_LABEL.match(lead.strip()) and not prompted:
        # A block introduced by a bare "Output:" label shows what the previous command printed,
        # whatever language tag the page gave it.
        return "output"
    if prompted:
        return "command" if code.lang in _SHELL or code.lang in ("", "console") else "code"
    logged = sum(bool(_LOG_LINE.match(ln)) for ln in lines)
    shows = bool(_SHOWS.search(lead.strip()))
    if code.lang in _CONFIG:
        return "output" if shows and re.search(r"(?i)output|returns?|prints?|response", lead) else "config"
    if code.lang in _SHELL:
        return "output" if shows and logged * 2 > len(lines) else "command"
    if code.lang:
        return "output" if shows and re.search(r"(?i)output|prints?|message", lead) else "code"
    # No language: decide by the lines themselves.
    if shows or logged * 2 > len(lines):
        return "output"
    commands = sum(bool(_COMMANDISH.match(ln)) and not re.match(r"^[A-Z][a-z]+(?: [a-z]+){3,}.*\.$", ln.strip())
                   for ln in lines)
    return "command" if commands * 2 > len(lines) else "output"


_POINTER_LINK = re.compile(r"(?i)(\bsee\s+)?\[(?:here|this (?:page|guide|link|doc|document|section)|the docs|this)\]"
                           r"\(([^)\s#][^)\s]*)\)")


def _pointer(match: re.Match[str]) -> str:
    target = match.group(2).split("#")[0]
    return f"{match.group(1) or 'in '}`{target}`"


def plain(text: str) -> str:
    """Markdown inline text as a plain sentence: links and emphasis removed, code spans kept, spaces collapsed."""
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)
    # A link that only points ("explained [here](keys.md)") keeps where it points, or the sentence says nothing.
    text = _POINTER_LINK.sub(_pointer, text)
    # "(like this one)", "(see below)": asides about the page itself, meaningless once a step leaves it.
    text = re.sub(r"(?i)\s*\((?:like|as|see)\s+(?:this|these|below|above|here)(?:\s+(?:one|ones|page|folder|file))?\)",
                  "", text)
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)
    text = re.sub(r"\[([^\]]+)\]\[[^\]]*\]", r"\1", text)
    text = re.sub(r"\[(`[^`]+`)\]", r"\1", text)
    text = re.sub(r"(?<![\w`])(\*\*|__)(.+?)\1", r"\2", text)
    text = re.sub(r"(?<![\w`*])\*(?!\s)([^*]+?)\*(?![\w*])", r"\1", text)
    # HTML tags go, but not inside code spans, where `<container-name>` is a placeholder.
    parts = re.split(r"(`[^`]*`)", text)
    text = "".join(p if p.startswith("`") else re.sub(r"</?[A-Za-z][\w-]*(?:\s[^<>]*)?/?>", "", p) for p in parts)
    return " ".join(text.split()).strip()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z*`\[(\"'])")


def sentences(text: str) -> list[str]:
    """Sentences of a paragraph; a break inside a code span is not a sentence end."""
    out: list[str] = []
    for part in _SENTENCE_END.split(text):
        if out and out[-1].count("`") % 2 == 1 or out and re.search(r"(?i)\b(?:e\.g|i\.e|etc|vs|cf|approx|no)\.$", out[-1]):
            out[-1] += " " + part
        else:
            out.append(part)
    return [s.strip() for s in out if s.strip()]
