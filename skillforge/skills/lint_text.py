"""The text tests behind ``skillforge lint``: what a rule is, and which rules leak, waffle or repeat.

Pure functions over strings; ``skillforge.skills.lint`` turns them into figures per skill and set.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from skillforge.skills.markdown import NESTED_FENCE, fence_events

__all__ = [
    "boilerplate_spans",
    "code_blocks",
    "description_tokens",
    "is_templated_description",
    "jaccard",
    "normalize",
    "rule_tokens",
    "rules_of",
    "run_specific_match",
    "says_why",
    "vague_match",
    "word_count",
]

_ITEM = re.compile(r"^([ \t]*)(?:[-*+]|\d{1,3}[.)])[ \t]+(.*\S)?[ \t]*$")
_HEADING = re.compile(r"^#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$")
_SF_MARKER = re.compile(r"[ \t]*<!--\s*sf:[^>]*?-->")

# -- rules ---------------------------------------------------------------------------------------


def strip_markers(text: str) -> str:
    """``text`` without skillforge's ``<!-- sf:… -->`` provenance markers."""
    return _SF_MARKER.sub("", text)


def rules_of(body: str) -> list[str]:
    """The rules of a SKILL.md body: every list item (bullet or numbered, any indent) outside fenced code.

    A rule's text is its first line plus the lines that continue it (indented deeper, not a new
    item, heading or blank line), with ``sf:`` markers stripped; empty items are skipped.
    """
    rules: list[str] = []
    current: list[str] | None = None
    indent = 0
    lines = body.splitlines()
    for line, event in zip(lines, fence_events(lines, NESTED_FENCE), strict=True):
        if event is not None:
            current = None  # fenced code ends the item it follows
            continue
        item = _ITEM.match(line)
        if item:
            current = [item.group(2) or ""]
            indent = len(item.group(1).expandtabs(4))
            rules.append("")
        elif current is not None and line.strip() and not _HEADING.match(line) \
                and len(line) - len(line.lstrip()) > indent:
            current.append(line.strip())
        else:
            current = None
            continue
        rules[-1] = " ".join(strip_markers(" ".join(current)).split())
    return [r for r in rules if r]


def code_blocks(body: str) -> int:
    """How many fenced code blocks ``body`` holds (an unclosed fence counts once)."""
    return sum(1 for event in fence_events(body.splitlines(), NESTED_FENCE) if event == "open")


def word_count(text: str) -> int:
    return len(re.findall(r"\S+", strip_markers(text)))


# -- run-specific values -------------------------------------------------------------------------

# Placeholders ({path}, <file>) are how a rule names a value without leaking one: removed first.
_PLACEHOLDER = re.compile(r"\{[^{}\s]{1,40}\}|<[A-Za-z][\w .-]{0,30}>")
# Generic system locations say nothing about one run.
_SYSTEM_PATH = re.compile(
    r"(?<![\w.~/:-])/(?:dev|proc|sys|etc|bin|sbin|lib|lib64|run|usr/(?:local/)?(?:bin|sbin|lib|lib64|libexec|share|include|etc)"
    r"|var/(?:lib|log|run|cache|spool))(?:/[\w.-]*)*/?(?![\w])")
_ABS_ROOTS = r"(?:home|Users|tmp|var|workspace|workspaces|testbed|root|mnt|opt|srv|private|data|app|repo|src|code)"
_RUN_SPECIFIC: list[tuple[str, re.Pattern[str]]] = [
    ("absolute path", re.compile(
        rf"(?<![\w.~/:-])/{_ABS_ROOTS}/[\w.-]+|(?<![\w.~/:-])/[\w.-]+/[\w.-]+/[\w.-]+|\b[A-Za-z]:\\[\w.-]+")),
    ("uuid", re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")),
    ("long hex", re.compile(r"\b(?=[0-9a-f]*[a-f])(?=[0-9a-f]*\d)[0-9a-f]{12,}\b")),
    ("id", re.compile(r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z][A-Za-z0-9]*)*_\d{4,}\b")),
    ("code", re.compile(r"\b(?!(?:ISO|RFC|PEP|SHA|UTF|AES|RSA|MD|CVE|ES|GPT|IEC)\d)[A-Z]{2,3}\d{3,}\b")),
    ("session id", re.compile(r"\bsession[ _-]?id\b[\"']?\s*[:=]?\s*[\"']?[\w-]*\d", re.IGNORECASE)),
    ("line range", re.compile(r"\bedit\s+\d+\s*:\s*\d+|\blines?\s+\d+\s*(?:-|–|to)\s*\d+", re.IGNORECASE)),
    ("test id", re.compile(r"\b[\w.-]+\.py::\w")),
    ("file position", re.compile(r"\b[\w-]+\.(?:py|js|ts|go|rs|java|rb|c|cc|cpp|h):\d+\b")),
    ("scratch file", re.compile(
        r"\b(?:reproduce\w*|repro_\w+|verify_\w+|test_fix\w*|debug\w*|scratch\w*|tmp_\w+)\.(?:py|sh|js|ts|rb)\b",
        re.IGNORECASE)),
    # Hex colours (#d97757) are values of a style guide, not of a run: the lookbehind skips them.
    ("number", re.compile(r"(?<![\w#.,-])\d{5,}(?![\w.,]\d)")),
]


def run_specific_match(rule: str) -> str | None:
    """What makes ``rule`` hold a value from one run (``"absolute path"``, ``"id"``, …), or None."""
    text = _SYSTEM_PATH.sub(" ", _PLACEHOLDER.sub(" ", rule))
    for label, pattern in _RUN_SPECIFIC:
        if pattern.search(text):
            return label
    return None


# -- vague actions -------------------------------------------------------------------------------

_VAGUE = [re.compile(p, re.IGNORECASE) for p in (
    r"\b(?:fix|find) (?:the|its) (?:root )?cause\b",
    r"\bfix what the (?:error|message|output) (?:points at|points to|says|shows)\b",
    r"\bretry(?:ing)? with (?:a|the) corrected\b",
    r"\blook further\b",
    r"\bretrying (?:did|does) ?n[o']t help\b",
    r"\btry again\b",
    r"\binvestigate (?:the|this) (?:issue|problem|error|failure)\b",
    r"\binvestigate further\b",
    r"\b(?:handle|resolve|address|fix) (?:the|this|that) (?:error|issue|problem) "
    r"(?:appropriately|accordingly|as needed|properly)\b",
)]


def vague_match(rule: str) -> str | None:
    """The phrase that makes ``rule``'s action vague (it does not say what to do), or None."""
    for pattern in _VAGUE:
        found = pattern.search(rule)
        if found:
            return found.group(0)
    return None


# -- rationale -----------------------------------------------------------------------------------

_WHY = re.compile(
    r"\bbecause\b|\bso that\b|\botherwise\b|\bsince\b|\bto avoid\b|\bto prevent\b|\bto ensure\b|\bin order to\b"
    r"|,? which\b|\bwhy\b|\s[—–]\s*\w|\bthis (?:avoids|prevents|ensures|keeps)\b",
    re.IGNORECASE,
)


def says_why(rule: str) -> bool:
    """True when ``rule`` gives a reason ("because", "so that", "otherwise", "— reason", "to avoid", …)."""
    return _WHY.search(rule) is not None


# -- similarity ----------------------------------------------------------------------------------

_MASKS = [pattern for label, pattern in _RUN_SPECIFIC if label not in ("number", "scratch file")]
_STOP = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "by", "for", "from", "how", "in", "into", "is", "it", "its", "of", "on", "or", "that", "the", "this", "to", "use", "used", "uses", "using", "when", "with", "you", "your", "skill", "skills", "any", "all", "can", "should", "will"]
)


def normalize(text: str) -> str:
    """Lower-case words of ``text`` without Markdown emphasis, code ticks, links' targets or ``sf:`` markers."""
    text = strip_markers(text)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"[`*_~>#\[\]|]+", " ", text)
    return " ".join(text.lower().split())


def rule_tokens(rule: str) -> frozenset[str]:
    """Tokens of a rule for near-duplicate tests: ids and run values masked, digits masked, lower case."""
    text = _PLACEHOLDER.sub(" <var> ", rule)
    for pattern in _MASKS:
        text = pattern.sub(" <id> ", text)
    text = re.sub(r"\d+", "0", text.lower())
    return frozenset(re.findall(r"<\w+>|[a-z0-9]+(?:[._'-][a-z0-9]+)*", text))


def description_tokens(description: str) -> frozenset[str]:
    """Content words of a description (stop-words removed), for nearest-neighbour similarity."""
    return frozenset(w for w in re.findall(r"[a-z0-9]+", description.lower()) if w not in _STOP)


def jaccard(a: Iterable[str], b: Iterable[str]) -> float:
    sa, sb = set(a), set(b)
    union = sa | sb
    return len(sa & sb) / len(union) if union else 0.0


# -- descriptions and boilerplate ----------------------------------------------------------------

_TEMPLATED = re.compile(
    r"\b\d+\s[^.;:]{0,50}?\(s\)|\bdistilled from\b|\b\d+\s+known\b"
    r"|\b\d+\s+(?:agent\s+)?(?:rules?|lessons?|runs?|traces?|sources?|pitfalls?|problems?|errors?)\b",
    re.IGNORECASE,
)


def is_templated_description(description: str) -> str | None:
    """The count or template phrase that makes a description a table of contents, or None."""
    found = _TEMPLATED.search(description)
    return found.group(0) if found else None


# (?<![a-z]) rather than \b: banners are often emphasised (_Distilled by …_), and _ is a word character.
_BANNER = re.compile(r"(?<![a-z])(?:distilled (?:by|from|with)|details and examples|generated by skillforge)\b",
                     re.IGNORECASE)
_COUNT = re.compile(
    r"\(\s*\d+\s*/\s*\d+\s+runs?\b[^)]*\)"
    r"|\(?\bworked in \d+ run(?:\(s\)|s)?\)?"
    r"|\(?\b\d+\s*[×x] in \d+ run(?:\(s\)|s)?\)?"
    r"|\(the order \d+ successful runs? followed\)"
    r"|\bin \d+ (?:runs?|run\(s\)|traces?|sources?)\b"
    r"|\bfrom \d+ (?:runs?|run\(s\)|traces?|sources?|source\(s\))\b"
    r"|\(\s*\d+\s+(?:runs?|traces?|sources?|times?)\s*\)",
    re.IGNORECASE,
)
_WHEN_TO_USE = re.compile(r"^\W*when to use\b[^:]*:?", re.IGNORECASE)


def boilerplate_spans(body: str, description: str) -> list[str]:
    """The parts of a SKILL.md body that carry no instruction: banners, run counts, the description
    repeated verbatim, and "When to use" lines that only list the document's own section names."""
    spans: list[str] = []
    lines = [strip_markers(line) for line in body.splitlines()]
    headings = {h for line in lines if (m := _HEADING.match(line)) for h in description_tokens(m.group(1))}
    in_when_to_use = False
    for line in lines:
        heading = _HEADING.match(line)
        if heading:
            in_when_to_use = bool(_WHEN_TO_USE.match(heading.group(1)))
            if _BANNER.search(line):
                spans.append(line.strip())
            continue
        if not line.strip():
            continue
        if _BANNER.search(line):
            spans.append(line.strip())
            continue
        rest = _WHEN_TO_USE.sub("", line) if _WHEN_TO_USE.match(line) else (line if in_when_to_use else None)
        if rest is not None:
            words = description_tokens(rest) - {"when", "use", "to"}
            if words and words <= headings:
                spans.append(line.strip())
                continue
        spans.extend(m.group(0) for m in _COUNT.finditer(line))
    wanted = normalize(description)
    if len(wanted.split()) >= 6 and wanted in normalize(body):
        spans.append(description)
    return spans
