"""Which skill a document's lessons go to, and the keywords its lessons carry.

Documents of one project go to one skill named by project and activity (``ccusage-contributing``,
``ollama-setup-and-troubleshooting``); alert runbooks go to one skill named by their domain
(``kubernetes-alert-runbooks``). Names never come from ids or repeat a word.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from pathlib import PurePath

from skillforge.distill.heuristic.area import GENERIC_DIRS
from skillforge.skills.naming import slug

__all__ = ["KINDS", "doc_kind", "domain_of", "keywords", "project_of", "skill_name"]

KINDS: list[tuple[str, str]] = [
    ("runbook", r"runbook|\balert\b"),
    ("troubleshooting", r"troubleshoot|\bfaq\b|known[ _-]?issues|common[ _-](?:errors|problems|issues)|debugging|"
                        r"\berrors?\b|problems"),
    ("contributing", r"contribut|code of conduct|pull request"),
    ("installation", r"install|set ?up|getting[ _-]started|quick ?start|\blinux\b|\bmacos\b|\bwindows\b|\bdocker\b"),
    ("deployment", r"deploy|rollout|provision"),
    ("release", r"release|publish"),
    ("testing", r"\btest"),
    ("development", r"develop|build|hacking"),
    ("upgrade", r"upgrad|migrat"),
    ("usage", r"usage|how ?to|tutorial|guide|manual"),
]
_AGENT_FILES = {"agents", "agent", "claude", "gemini", "copilot-instructions", ".cursorrules", "cursorrules", "conventions"}
"""Stems of the files agent hosts read as project instructions (AGENTS.md, CLAUDE.md, GEMINI.md …)."""
_GENERIC = set(GENERIC_DIRS) | {
    "doc", "docs", "documentation", "readme", "guide", "guides", "content", "contents", "runbook", "runbooks",
    "alerts", "alert", "source", "src", "en", "pages", "page", "wiki", "manual", "howto", "tips", "faq", "md",
    "troubleshooting", "troubleshoot", "install", "installation", "contributing", "contribute", "setup", "quality",
    "documents", "document", "data", "samples", "examples", "tests", "notes", "linux", "index", "intro", "overview",
    "usage", "development", "deployment", "testing", "release", "releases", "upgrade", "from", "to", "the", "a",
}
_DOMAINS: list[tuple[str, str]] = [
    ("kubernetes", r"\b(?:kubernetes|kubectl|k8s|kubelet|openshift|oc (?:get|adm|rsh|describe|logs)|kubevirt|"
                   r"pods?|namespace|etcd|kube-[a-z]+)\b"),
    ("postgres", r"\b(?:postgres(?:ql)?|psql|pg_\w+)\b"),
    ("mysql", r"\b(?:mysql|mariadb)\b"),
    ("kafka", r"\bkafka\b"),
    ("elasticsearch", r"\b(?:elasticsearch|opensearch)\b"),
    ("redis", r"\bredis\b"),
    ("docker", r"\bdocker\b"),
    ("aws", r"\b(?:aws|ec2|s3)\b"),
    ("linux", r"\b(?:systemd|systemctl|journalctl|linux)\b"),
    ("prometheus", r"\b(?:prometheus|alertmanager|promql)\b"),
]
_SKIP_TOOLS = {"sudo", "cd", "export", "echo", "cat", "ls", "set", "unset", "source", "env", "then", "do", "done",
               "if", "fi", "for", "in", "and", "or", "the", "a", "to", "import", "from", "print", "def", "return"}
_STOP = frozenset(["the", "and", "for", "with", "that", "this", "from", "are", "was", "were", "will", "can", "not", "you", "your", "have", "has", "into", "when", "then", "than", "them", "they", "its", "also", "should", "must", "may", "might", "could", "would", "which", "what", "where", "there", "their", "about", "more", "some", "such", "only", "other", "each", "any", "before", "after", "over", "under", "been", "being", "does", "done", "how", "why", "who", "all", "but", "use", "used", "using", "see", "here", "like", "just", "make", "sure", "meaning", "impact", "diagnosis", "mitigation", "example", "details", "file", "files", "section", "page", "docs", "document", "new", "one", "two", "first", "check", "issue", "issues", "following", "command", "commands", "information", "case", "cases", "sure", "need", "step", "steps", "time", "following", "note", "able", "following", "available", "default", "want", "able", "else", "order", "help", "following", "number", "value", "values", "still", "because", "another", "please", "change", "explain", "everything", "something", "anything", "really", "very", "much", "many", "most", "least", "well", "alert", "alerts", "runbook", "runbooks", "rule", "rules", "guide"])


def doc_kind(stem: str, title: str, headings: list[str]) -> str:
    """The activity a document is about: ``runbook``, ``troubleshooting``, ``contributing``, ``installation`` …"""
    if stem.lower() in _AGENT_FILES:
        return "development"  # what an agent must know to work on the project
    text = f"{stem} {title}".lower().replace("_", " ")
    for kind, pattern in KINDS:
        if re.search(pattern, text):
            return kind
    joined = " ".join(headings).lower()
    return next((kind for kind, pattern in KINDS[1:] if re.search(pattern, joined)), "usage")


def project_of(source: str, title: str, text: str) -> str:
    """The project a (non-runbook) document belongs to: a file-name prefix, a telling folder, the title, or
    the name the text repeats most; ``""`` when nothing says."""
    path = PurePath(source)
    stem = path.stem
    if "_" in stem:
        head = slug(stem.split("_", 1)[0])
        if head and head not in _GENERIC and not re.search(r"\d{3,}|[0-9a-f]{8,}", head):
            return head
    for parent in (path.parent.name, path.parent.parent.name):
        name = slug(parent)
        if name and name not in _GENERIC and not re.search(r"\d{3,}|[0-9a-f]{8,}", name):
            return name
    words = [w for w in re.findall(r"[A-Za-z][\w.-]*", title) if slug(w) and slug(w) not in _GENERIC]
    named = [w for w in words if not re.search(_kind_words(), w.lower())]
    if len(named) == 1:
        return slug(named[0])
    # The name the prose repeats, capitalised mid-sentence or as a command (``Ollama``, ``ollama serve``).
    counts: Counter[str] = Counter()
    for match in re.finditer(r"(?<=[a-z,] )([A-Z][a-z][\w-]{2,})\b|`([a-z][\w-]{2,})[ `]", text):
        word = (match.group(1) or match.group(2)).lower()
        if word not in _STOP and word not in _GENERIC and word not in _SKIP_TOOLS:
            counts[word] += 1
    top = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return slug(top[0][0]) if top and top[0][1] >= 4 else ""


def _kind_words() -> str:
    return "|".join(pattern for _, pattern in KINDS)


def domain_of(texts: list[str]) -> str:
    """The domain a set of runbooks shares (``kubernetes``), by the tools and nouns they name."""
    scores: defaultdict[str, float] = defaultdict(float)
    for text in texts:
        lowered = text.lower()
        for name, pattern in _DOMAINS:
            hits = len(re.findall(pattern, lowered))
            if hits:
                scores[name] += 1 + min(hits, 20) / 20
    ranked = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    return ranked[0][0] if ranked else "service"


def skill_name(project: str, kinds: list[str]) -> str:
    """``<project>-<activity>`` with no word twice; several activities become one broader name."""
    unique = list(dict.fromkeys(k for k in kinds if k != "runbook"))
    if not unique:
        activity = "alert-runbooks"
    elif len(unique) == 1:
        activity = unique[0]
    elif "troubleshooting" in unique:
        other = next(k for k in unique if k != "troubleshooting")
        activity = f"{'setup' if other == 'installation' else other}-and-troubleshooting" if len(unique) == 2 \
            else "operations"
    elif set(unique) <= {"contributing", "testing", "development", "release", "installation"}:
        activity = "development"
    else:
        activity = "guide"
    words: list[str] = []
    for word in f"{project}-{activity}".strip("-").split("-"):
        if word and word not in words:
            words.append(word)
    return "-".join(words) or "documentation"


def keywords(text: str, *extra: str, limit: int = 8) -> list[str]:
    """Words a user's request would contain: the given names first, then tools run in code blocks, then the
    nouns the text repeats. Lowercase, no ids."""
    out: list[str] = []

    def add(word: str) -> None:
        word = word.lower().strip("`.,:;()[]")
        if (word and len(word) > 1 and word not in out and word not in _STOP and word not in _SKIP_TOOLS
                and not re.search(r"\d{4,}|^[0-9a-f]{8,}$", word) and re.fullmatch(r"[a-z][\w.+-]*", word)):
            out.append(word)

    for word in extra:
        add(word)
    for line in re.findall(r"(?m)^\s*(?:\$\s+)?(?:sudo\s+)?([a-z][\w.-]+)\s", "\n".join(_code_of(text))):
        if len(out) >= limit // 2 + len(extra):
            break
        add(line)
    for heading in re.findall(r"(?m)^#{1,6}\s+(.+)$", _prose_of(text)):
        for word in re.findall(r"[A-Za-z][\w-]{2,}", heading):
            if len(out) < limit and not word.lower().endswith("ing") and word.lower() not in _GENERIC:
                add(word)
    counts = Counter(w for w in re.findall(r"\b[a-z][a-z-]{3,}\b(?!')", _prose_of(text).lower()) if w not in _STOP)
    for word, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])):
        if len(out) >= limit or n < 2:
            break
        add(word)
    return out[:limit]


def _code_of(text: str) -> list[str]:
    return re.findall(r"```[^\n]*\n(.*?)```", text, flags=re.S)


def _prose_of(text: str) -> str:
    return re.sub(r"```.*?```|`[^`]*`|\]\([^)]*\)|https?://\S+", " ", text, flags=re.S)
