"""Documents — markdown, plain text, HTML — as ``Trace(kind="document")``.

A document becomes ``task`` = its title and one ``Step(role="user")`` per section, whose text
starts with the section's heading in markdown form (``"## Mitigation\\n..."``); ``outcome`` is
unknown. Sections are cut at the highest heading level below the title (a lone leading ``# H1``);
deeper headings stay inside their section unless it is longer than a step may be.

Markdown: YAML (``---``) or TOML (``+++``) front matter goes into ``metadata`` (Hugo ``title``
becomes the title); mkdocs admonitions (``!!! tip "Title"`` + indented body) become quoted blocks;
``{% include-markdown "x.md" %}`` and snippet lines are dropped and listed in
``metadata["includes"]`` (their targets are not read: they may lie outside the input).
Plain text: sections at underlined (``====``/``----``) headings, else numbered or ALL-CAPS heading
lines, else paragraphs (a paragraph ending in ``:`` keeps the list after it).
HTML: see ``_html.py``.

Detection is by content: markdown needs headings, lists, fences or front matter (a ``.md`` name
helps); HTML needs a doctype/``<html`` or a page dominated by tags; text takes any prose at a low
score (0.35) so every structured reader wins over it.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from skillforge.errors import FormatError
from skillforge.ingest.base import STEP_TEXT_LIMIT, Probe, Reader, ReadOptions, clip
from skillforge.ingest.formats._html import HtmlPage
from skillforge.ingest.limits import MAX_DEPTH, value_too_deep
from skillforge.models import Skipped, Source, Step, Trace

MAX_DOCUMENT_BYTES = 16 << 20
"""Documents are read whole; anything bigger is not a document a person wrote."""

_MD_SUFFIXES = {".md", ".markdown", ".mdx", ".mkd", ".mdown"}
_TEXT_SUFFIXES = {".txt", ".text", ".rst", ".adoc", ".asciidoc", ".org", ""}
_NOT_PROSE = {".py", ".js", ".ts", ".tsx", ".jsx", ".go", ".rs", ".java", ".kt", ".c", ".h", ".cc", ".cpp", ".hpp",
              ".cs", ".rb", ".php", ".sh", ".bash", ".zsh", ".ps1", ".yaml", ".yml", ".toml", ".ini", ".cfg",
              ".conf", ".json", ".jsonl", ".ndjson", ".csv", ".tsv", ".xml", ".svg", ".lock", ".log", ".sql",
              ".css", ".scss", ".env", ".properties", ".gradle", ".diff", ".patch", ".traj"}

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})")
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_LIST = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_ADMONITION = re.compile(r'^(\s*)(?:!!!|\?\?\?\+?)\s*([\w-]+)(?:\s+"([^"]*)")?\s*$')
_INCLUDE = re.compile(r'^\s*(?:\{%\s*include(?:-markdown)?\s+["\']([^"\']+)["\'].*%\}|--8<--\s+["\']([^"\']+)["\'])\s*$')
_DIRECTIVE = re.compile(r"^\s*\{%.*%\}\s*$")
_INLINE_HTML = [
    (re.compile(r"<summary>(.*?)</summary>", re.I), r"**\1**"),
    (re.compile(r"</?(?:details|p|div|span)(?:\s[^>]*)?>", re.I), ""),
    (re.compile(r"</?(?:code|kbd)>", re.I), "`"),
    (re.compile(r"<br\s*/?>", re.I), ""),
    (re.compile(r"<!--.*?-->"), ""),
]
_UNDERLINE = re.compile(r"^\s*(={3,}|-{3,}|~{3,}|\^{3,}|\*{3,}|#{3,})\s*$")
_NUMBERED_HEADING = re.compile(r"^\s*(\d+(?:\.\d+)*)\.?\s+([A-Z][^\n]{0,70}?)\s*$")

Heads = list[tuple[int, int]]
"""(line index, heading level) of each heading in a list of lines."""


# --------------------------------------------------------------------------- sniffing


def _prose_share(text: str) -> float:
    lines = [ln.strip() for ln in text.split("\n")[:200] if ln.strip()]
    if not lines:
        return 0.0
    prose = sum(1 for ln in lines if sum(c.isalpha() or c == " " for c in ln) >= 0.7 * len(ln))
    return prose / len(lines)


def _is_html(text: str) -> float:
    head = text.lstrip()[:2000].lower()
    if head.startswith(("<!doctype html", "<html")) or (head.startswith("<?xml") and "<html" in head):
        return 0.9
    tags = len(re.findall(r"<(?:p|div|h[1-6]|ul|ol|li|table|tr|td|a|span|section|article|main|body|pre|code)\b",
                          text[:65536], re.I))
    lines = sum(1 for ln in text[:65536].split("\n") if ln.strip())
    return 0.6 if tags >= 5 and tags >= 0.5 * lines and head.startswith("<") else 0.0


def sniff_markdown(probe: Probe) -> float:
    if probe.kind != "text" or probe.suffix in _NOT_PROSE or probe.text.lstrip()[:1] in ("{", "["):
        return 0.0
    text = probe.text[:65536]
    if _is_html(text) >= 0.6:
        return 0.0
    score = 0.45 if probe.suffix in _MD_SUFFIXES else 0.0
    if re.match(r"\A(?:---|\+\+\+)\n(?:.*\n){0,40}?(?:---|\+\+\+)\s*$", text, re.M) and re.search(r"^\w+\s*[:=]", text, re.M):
        score += 0.35
    if not text.startswith("#!"):
        headings = len(re.findall(r"^ {0,3}#{1,6} \S", text, re.M))
        score += 0.3 if headings else 0.0
        score += 0.1 if headings >= 3 else 0.0
    score += 0.1 if re.search(r"^\s*(```|~~~)", text, re.M) else 0.0
    score += 0.1 if len(re.findall(r"^\s*(?:[-*+]|\d+\.)\s+\S", text, re.M)) >= 2 else 0.0
    score += 0.05 if re.search(r"\]\([^)\s]+\)", text) else 0.0
    score += 0.1 if re.search(r"^!!! \w+", text, re.M) else 0.0
    if probe.suffix not in _MD_SUFFIXES and _prose_share(text) < 0.4:
        return min(score, 0.25)
    return min(score, 0.8)


def sniff_html(probe: Probe) -> float:
    if probe.kind != "text":
        return 0.0
    score = _is_html(probe.text)
    if probe.suffix in (".html", ".htm", ".xhtml") and "<" in probe.text:
        score = max(score, 0.85)
    return score


def sniff_text(probe: Probe) -> float:
    if probe.kind != "text" or probe.suffix in _NOT_PROSE or probe.text.lstrip()[:1] in ("{", "["):
        return 0.0
    if probe.suffix in _TEXT_SUFFIXES - {""} or _prose_share(probe.text[:65536]) >= 0.5:
        return 0.35
    return 0.0


# --------------------------------------------------------------------------- reading


def _load(path: Path) -> tuple[str, Skipped | None]:
    """The file's text; undecodable bytes are replaced and reported once, naming the first bad line."""
    size = path.stat().st_size
    if size > MAX_DOCUMENT_BYTES:
        raise FormatError(f"document of {size >> 20} MiB exceeds the {MAX_DOCUMENT_BYTES >> 20} MiB limit for documents",
                          path=path)
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    bad = []
    for n, raw in enumerate(data.split(b"\n"), start=1):
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            bad.append(n)
    note = Skipped(path=str(path), line=bad[0], reason=(
        f"invalid UTF-8 on {len(bad)} line(s), first at line {bad[0]}: those bytes were replaced, the rest was read"))
    return data.decode("utf-8-sig", errors="replace"), note


def _document(path: Path, fmt: str, title: str, sections: list[str], metadata: dict[str, Any]) -> Trace | Skipped:
    steps = [Step(role="user", text=clip(s)) for s in sections if s.strip()]
    if not steps:
        return Skipped(path=str(path), reason=f"{fmt}: no text to read")
    meta = json.loads(json.dumps(metadata, default=str, sort_keys=True))
    return Trace(id=Trace.make_id(str(path), 0), kind="document", source=Source(path=str(path), format=fmt, line=1),
                 task=title, steps=steps, metadata={k: v for k, v in meta.items() if v not in (None, "", [], {})})


def read_markdown(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    text, note = _load(path)
    if note:
        yield note
    title, sections, metadata = parse_markdown(text, path.stem)
    yield _document(path, "markdown", title, sections, metadata)


def read_text(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    text, note = _load(path)
    if note:
        yield note
    title, sections = parse_text(text, path.stem)
    yield _document(path, "text", title, sections, {})


def read_html(path: Path, probe: Probe, options: ReadOptions) -> Iterator[Trace | Skipped]:
    text, note = _load(path)
    if note:
        yield note
    page = HtmlPage()
    page.feed(text)
    page.close()
    title, sections, _ = parse_markdown(page.markdown(), path.stem, plain=True)
    page_title = _SPACES.sub(" ", page.title).strip()
    title = page.first_h1 or page_title or title
    yield _document(path, "html", title, sections, {"page_title": page_title, **page.meta})


_SPACES = re.compile(r"\s+")


# --------------------------------------------------------------------------- markdown


def parse_markdown(text: str, fallback_title: str, *, plain: bool = False) -> tuple[str, list[str], dict[str, Any]]:
    """``(title, sections, metadata)`` of a markdown text; ``plain`` skips front matter and mkdocs syntax."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
    metadata: dict[str, Any] = {}
    if not plain:
        text, metadata = _front_matter(text)
    lines, heads, includes = _markdown_lines(text.split("\n"), plain)
    if includes:
        metadata["includes"] = includes
    title_line, sections = split_sections(lines, heads)
    title = str(metadata.get("title") or "").strip() or title_line or fallback_title
    return title, sections, metadata


def _front_matter(text: str) -> tuple[str, dict[str, Any]]:
    match = re.match(r"\A(---|\+\+\+)[ \t]*\n(.*?\n)?(?:---|\+\+\+|\.\.\.)[ \t]*(?:\n|\Z)", text, re.S)
    if not match:
        return text, {}
    raw = match.group(2) or ""
    data: Any = None
    try:
        if match.group(1) == "+++":
            if sys.version_info >= (3, 11):
                import tomllib

                data = tomllib.loads(raw)
            else:  # tomllib is 3.11+: on 3.10 TOML front matter stays unparsed, as before
                raise ImportError("tomllib")
        else:
            import yaml

            data = yaml.safe_load(raw)
    except Exception:  # noqa: BLE001 - yaml/toml raise many types; a bad header still leaves the body readable
        data = {"front_matter_error": "front matter could not be parsed"}
    if value_too_deep(data):  # every walk after this one recurses: refuse what could exhaust the stack
        data = {"front_matter_error": f"front matter nested deeper than {MAX_DEPTH} levels, not read"}
    return text[match.end():], data if isinstance(data, dict) else {}


def _markdown_lines(raw: list[str], plain: bool) -> tuple[list[str], Heads, list[str]]:
    """Lines with headings normalised to ``#`` form, admonitions quoted, directives dropped."""
    out: list[str] = []
    heads: Heads = []
    includes: list[str] = []
    fence: str | None = None
    i = 0
    while i < len(raw):
        line = raw[i]
        i += 1
        if fence is not None:
            out.append(line)
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = None
            continue
        match = _FENCE.match(line)
        if match:
            fence = match.group(1)
            out.append(line)
            continue
        if not plain:
            adm = _ADMONITION.match(line)
            if adm:
                i = _admonition(raw, i, adm, out)
                continue
            inc = _INCLUDE.match(line)
            if inc or _DIRECTIVE.match(line):
                if inc:
                    includes.append(inc.group(1) or inc.group(2))
                continue
            for pattern, repl in _INLINE_HTML:
                line = pattern.sub(repl, line)
        atx = _ATX.match(line)
        if atx and atx.group(2):
            heads.append((len(out), len(atx.group(1))))
            out.append(f"{atx.group(1)} {atx.group(2).strip()}")
            continue
        setext = _SETEXT.match(line)
        prev = out[-1] if out else ""
        if (setext and prev.strip() and not _LIST.match(prev) and not prev.lstrip().startswith(("|", ">"))
                and (not heads or heads[-1][0] != len(out) - 1) and not _SETEXT.match(prev)):
            level = 1 if setext.group(1)[0] == "=" else 2
            heads.append((len(out) - 1, level))
            out[-1] = "#" * level + " " + prev.strip()
            continue
        out.append(line)
    return out, heads, includes


def _admonition(raw: list[str], i: int, adm: re.Match[str], out: list[str]) -> int:
    """Quote an mkdocs admonition and its indented body; return the index after the body."""
    indent = adm.group(1)
    kind = adm.group(2).replace("-", " ").title()
    label = f"{kind}: {adm.group(3)}" if adm.group(3) else kind
    out.append(f"{indent}> **{label}**")
    body: list[str] = []
    while i < len(raw) and (not raw[i].strip() or raw[i].startswith(indent + "    ") or raw[i].startswith(indent + "\t")):
        body.append(raw[i])
        i += 1
    while body and not body[-1].strip():
        body.pop()
        i -= 1
    for line in body:
        inner = line[len(indent):]
        inner = inner[4:] if inner.startswith("    ") else inner.lstrip("\t")
        out.append(f"{indent}> {inner}".rstrip())
    return i


def split_sections(lines: list[str], heads: Heads) -> tuple[str, list[str]]:
    """``(title, sections)``: cut at the top heading level below a lone leading H1 (the title)."""
    title = ""
    rest = heads
    h1 = [h for h in heads if h[1] == 1]
    if heads and heads[0][1] == 1 and len(h1) == 1:
        title = lines[heads[0][0]].lstrip("#").strip()
        rest = heads[1:]
    if not rest:
        return title, [s for s in [_join(lines)] if _has_body(s, title)]
    level = min(lvl for _, lvl in rest)
    cuts = [0] + [idx for idx, lvl in rest if lvl == level] + [len(lines)]
    sections: list[str] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        chunk = _join(lines[a:b])
        inner = [h for h in heads if a < h[0] < b]
        if len(chunk) > STEP_TEXT_LIMIT and inner:
            sections.extend(_split_deeper(lines, heads, a, b))
        elif _has_body(chunk, title):
            sections.append(chunk)
    return title, sections


def _split_deeper(lines: list[str], heads: Heads, start: int, end: int) -> list[str]:
    inner = [h for h in heads if start < h[0] < end]
    level = min(lvl for _, lvl in inner)
    cuts = [start] + [idx for idx, lvl in inner if lvl == level] + [end]
    out: list[str] = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        chunk = _join(lines[a:b])
        if len(chunk) > STEP_TEXT_LIMIT and any(a < h[0] < b for h in heads):
            out.extend(_split_deeper(lines, heads, a, b))
        elif _has_body(chunk, ""):
            out.append(chunk)
    return out


def _join(lines: list[str]) -> str:
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip()


def _has_body(chunk: str, title: str) -> bool:
    """A section that is more than its heading (or than the title line)."""
    first, _, body = chunk.partition("\n")
    if not first.startswith("#"):
        return bool(chunk.strip())
    return bool(body.strip())


# --------------------------------------------------------------------------- plain text


def parse_text(text: str, fallback_title: str) -> tuple[str, list[str]]:
    """``(title, sections)`` of plain text: underlined headings, else heading lines, else paragraphs."""
    raw = text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff").split("\n")
    if _looks_rst(raw):
        # Links may wrap (`virtualenv\n<http://…>`_): joined on the whole text before the lines are read.
        joined = _RST_LINK.sub(_rst_link, "\n".join(raw))
        raw = _rst_to_markdown(joined.split("\n"))
    lines, heads = _underlined(raw)
    if not heads:
        lines, heads = _heading_lines(raw)
    if heads:
        title, sections = split_sections(lines, heads)
        return title or fallback_title, sections
    blocks = [b.strip("\n") for b in re.split(r"\n[ \t]*\n", "\n".join(raw)) if b.strip()]
    title = fallback_title
    if len(blocks) > 1 and "\n" not in blocks[0] and len(blocks[0]) <= 80 and not blocks[0].rstrip().endswith("."):
        title = blocks.pop(0).strip()
    sections = []
    for block in blocks:
        is_list = all(_LIST.match(ln) or ln.startswith((" ", "\t")) for ln in block.split("\n"))
        if sections and is_list and (sections[-1].rstrip().endswith(":") or _LIST.match(sections[-1].split("\n")[-1])):
            sections[-1] += "\n\n" + block
        else:
            sections.append(block)
    return title, sections


_RST_MARK = re.compile(r"^\.\. [\w-]+::|``[^`]+``|`[^`]+ <[^>]+>`__?|::\s*$|:(?:ref|doc|func|class|meth|mod|attr|"
                       r"envvar|option|command|file|program|term|kbd|code)?:`")
_RST_LINK = re.compile(r"`([^`<]+?)\s*<([^>]+)>`__?")
_RST_ROLE = re.compile(r":[\w:.-]+:`([^`<]+?)(?:\s*<[^>]+>)?`")
_RST_DIRECTIVE = re.compile(r"^(\s*)\.\. ([\w-]+)::\s*(.*)$")
_RST_ADMONITION = {"note", "warning", "tip", "important", "caution", "danger", "attention", "hint", "seealso"}


def _looks_rst(raw: list[str]) -> bool:
    """reStructuredText rather than plain text: directives, ``literals``, `links <…>`_, roles, ``::`` blocks."""
    return sum(1 for line in raw[:2000] if _RST_MARK.search(line)) >= 2


def _rst_to_markdown(raw: list[str]) -> list[str]:
    """reStructuredText inline markup and blocks as the Markdown the section reader knows: ``x`` -> `x`,
    `text <url>`_ -> [text](url), :role:`x` -> `x`, "with::" + indented block -> "with:" + a fenced block,
    ``.. code-block:: bash`` -> a fenced block, ``.. note::`` -> "Note: …"; other directives are dropped."""
    out: list[str] = []
    i = 0
    literal = False  # the previous paragraph ended in "::": the next indented block is code
    while i < len(raw):
        line = raw[i]
        directive = _RST_DIRECTIVE.match(line)
        if directive or (literal and line.strip() == ""):
            indent = len(directive.group(1)) if directive else 0
            name = directive.group(2).lower() if directive else "literal"
            j = i + 1
            while j < len(raw) and not raw[j].strip():
                j += 1
            start = j
            while j < len(raw) and (not raw[j].strip() or len(raw[j]) - len(raw[j].lstrip()) > indent):
                j += 1
            body = raw[start:j]
            while body and not body[-1].strip():
                body.pop()
            pad = min((len(b) - len(b.lstrip()) for b in body if b.strip()), default=0)
            body = [b[pad:] for b in body]
            if name in ("code-block", "code", "sourcecode", "literal") and body:
                lang = directive.group(3).strip() if directive else ""
                out += ["", f"```{lang}", *body, "```", ""]
            elif name in _RST_ADMONITION and (body or (directive and directive.group(3))):
                text = " ".join([directive.group(3).strip() if directive else "", *(b.strip() for b in body)]).strip()
                out += ["", f"{name.capitalize()}: {_rst_inline(text)}", ""]
            elif not directive:
                out.append(line)
                literal = False
                i += 1
                continue
            literal = False
            i = j
            continue
        stripped = line.rstrip()
        if stripped.endswith("::"):
            literal = True
            stripped = stripped[:-2].rstrip()
            stripped = stripped + ":" if stripped.strip() else ""
        elif stripped.strip():
            literal = False
        out.append(_rst_inline(stripped))
        i += 1
    return out


def _rst_link(m: re.Match[str]) -> str:
    return f"[{' '.join(m.group(1).split())}]({m.group(2).strip()})"


def _rst_inline(line: str) -> str:
    """A line's roles and ``literals`` as Markdown (its links were rewritten on the whole text already)."""
    line = _RST_ROLE.sub(lambda m: f"`{m.group(1).strip()}`", line)
    return re.sub(r"``([^`]+)``", r"`\1`", line)


def _underlined(raw: list[str]) -> tuple[list[str], Heads]:
    levels: dict[str, int] = {}
    out: list[str] = []
    heads: Heads = []
    i = 0
    while i < len(raw):
        line = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else ""
        under = _UNDERLINE.match(nxt)
        if line.strip() and not _UNDERLINE.match(line) and under and len(nxt.strip()) >= 0.6 * len(line.strip()):
            char = under.group(1)[0]
            level = levels.setdefault(char, len(levels) + 1)
            if out and _UNDERLINE.match(out[-1]) and out[-1].strip()[0] == char:
                out.pop()  # reStructuredText overline
            heads.append((len(out), min(level, 6)))
            out.append("#" * min(level, 6) + " " + line.strip())
            i += 2
            continue
        out.append(line)
        i += 1
    return out, heads


def _heading_lines(raw: list[str]) -> tuple[list[str], Heads]:
    """Numbered (``2. Diagnosis``, ``2.1 Disks``) or ALL-CAPS lines standing alone between blank lines."""
    heads: Heads = []
    out = list(raw)
    for i, line in enumerate(raw):
        alone = (i == 0 or not raw[i - 1].strip()) and (i + 1 >= len(raw) or not raw[i + 1].strip())
        text = line.strip()
        if not alone or not text or text[-1] in ".:;,!?":
            continue
        numbered = _NUMBERED_HEADING.match(line)
        caps = text.isupper() and len(text) <= 60 and len(text.split()) <= 8 and sum(c.isalpha() for c in text) >= 3
        if numbered:
            level = min(numbered.group(1).count(".") + 1, 6)
            heads.append((i, level))
            out[i] = "#" * level + " " + text
        elif caps:
            heads.append((i, 1))
            out[i] = "# " + text
    return (out, heads) if len(heads) >= 2 else (list(raw), [])


READERS = [
    Reader("markdown", sniff_markdown, read_markdown, "Markdown documents (runbooks, CONTRIBUTING, mkdocs/Hugo pages)"),
    Reader("html", sniff_html, read_html, "HTML pages (site chrome, scripts and styles dropped)"),
    Reader("text", sniff_text, read_text, "Plain-text documents (any prose; the fallback when nothing else fits)"),
]
