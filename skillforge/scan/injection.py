"""Prompt-injection and instruction-hijack text: the words an attacker plants for an agent to obey."""

from __future__ import annotations

import base64
import bisect
import codecs
import functools
import html
import itertools
import re

from skillforge.models.scan import Severity
from skillforge.scan.detect import Hit
from skillforge.scan.text import excerpt, windows
from skillforge.scan.unicode import fold_confusables

_I = re.IGNORECASE

_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "injection-override",
        re.compile(
            r"\b(ignore|disregard|forget|override|bypass)\s+(?:(?:all|any|every|each|the|your|my|of|these|those)\s+)*"
            r"(previous|prior|above|earlier|preceding|former|original|initial|system|developer|safety)\s+"
            r"(instructions?|directions?|prompts?|rules|guidelines|context|messages?|commands|orders|constraints|"
            r"directives|guidance)\b",
            _I,
        ),
    ),
    (
        "injection-override",
        re.compile(
            r"\b(ignore|disregard|forget)\s+(everything|all(?:\s+of\s+that)?|what)\s+"
            r"(above|before|previously|you\s+(?:were|have\s+been)\s+told)\b",
            _I,
        ),
    ),
    (
        "injection-override",
        re.compile(
            r"\b(disregard|ignore|override|reveal|print|leak|bypass|forget)\s+(the\s+|your\s+)?(system|developer)\s+"
            r"(prompt|message|instructions)\b",
            _I,
        ),
    ),
    (
        # Paraphrases: "set aside whatever rules you were given earlier", "drop the instructions you got".
        "injection-override",
        re.compile(
            r"\b(ignore|disregard|forget|override|bypass|set\s+aside|put\s+aside|discard|drop|abandon|throw\s+out)\s+"
            r"(?:(?:all|any|every|whatever|the|your|of|those|these)\s+)+"
            r"(rules|instructions?|guidelines|directions?|constraints|guidance|prompts?)\s+"
            r"(?:that\s+|which\s+)?you\s+(?:were|have\s+been|got|received|had\s+been)\s*(given|told)?",
            _I,
        ),
    ),
    (
        "injection-role",
        re.compile(
            r"\byou\s+are\s+(now|no\s+longer)\s+(a|an|the|my|free|unrestricted|jailbroken|dan|in\s+developer)\b"
            r"|\bfrom\s+now\s+on,?\s+you\s+(will|must|are|shall|should)\b"
            r"|\b(developer|god|jailbreak|dan)\s+mode\s+(enabled|activated|on)\b"
            r"|\b(new|updated|real|actual|true|revised)\s+(?:system\s+)?instructions\s*:"
            r"|\b(new|updated|real|actual|true|revised)\s+system\s+(prompt|message)\s*:"
            r"|\bact\s+as\s+(a|an)\s+[\w\s-]{0,30}(without|with\s+no)\s+(restrictions|limits|filters|rules)\b"
            r"|<\|im_start\|>\s*system|<\|system\|>|<<SYS>>|\[/?INST\]|<\|start_header_id\|>\s*system",
            _I,
        ),
    ),
    (
        "injection-safety-off",
        re.compile(
            r"\b(disable|bypass|turn\s+off|deactivate|circumvent|ignore|remove|skip)\s+"
            r"(?:(?:all|any|the|your|its|every)\s+)*(safety|security|content|ethical)\s+"
            r"(checks?|filters?|guardrails?|measures|restrictions|polic(?:y|ies)|protocols|features|guidelines|"
            r"scanning|scanner)\b",
            _I,
        ),
    ),
    (
        "injection-secrecy",
        re.compile(
            r"\b(do\s+not|don'?t|never|must\s+not)\s+(tell|inform|notify|alert|warn)\s+(the\s+)?(user|human|operator)\b"
            r"|\b(do\s+not|don'?t|never)\s+(mention|reveal|disclose)\s+(this|it|these\s+instructions|that)\s+"
            r"to\s+(the\s+)?(user|human|operator)\b"
            r"|\bwithout\s+(telling|informing|notifying|alerting)\s+(the\s+)?(user|human|operator)\b"
            r"|\b(hide|conceal|keep)\s+(this|it|these\s+(actions|steps|instructions))\s+(secret\s+)?from\s+"
            r"(the\s+)?(user|human|operator)\b",
            _I,
        ),
    ),
    (
        "injection-exfiltration",
        re.compile(
            r"\b(send|post|upload|exfiltrate|transmit|forward|leak|email|copy|pipe|submit)\b.{0,80}?"
            r"(~/\.ssh|\bid_rsa\b|\bid_ed25519\b|\.aws/credentials|\bssh\s+keys?\b|\bprivate\s+keys?\b|"
            r"\bapi[\s_-]?keys?\b|\bsecrets\b|\b(access\s+)?tokens\b|\bpasswords\b|\bcredentials\b|"
            r"\benv(ironment)?\s+var(iable)?s\b|\bthe\s+environment\b|\.env\b|\bcookies\b).{0,80}?"
            r"\b(to|at|into)\s+(https?://|\S+@\S+\.\w+|(a|an|the|this|my|our)\s+(remote\s+)?"
            r"(server|url|endpoint|webhook|address|host))",
            _I,
        ),
    ),
    (
        # Phishing through a skill: the user's own password or token, to a URL or an address.
        "injection-exfiltration",
        re.compile(
            r"\b(send|post|upload|paste|enter|re-?enter|submit|share|type|provide|email|forward|give)\b.{0,40}?"
            r"\b(your|their|the\s+user'?s|his|her|my|our)\s+(password|passphrase|passcode|token|api[\s_-]?key|secret|"
            r"private\s+key|ssh\s+key|credentials?|2fa\s+code|otp|mfa\s+code|recovery\s+codes?|session\s+cookie)\b"
            r".{0,60}?\b(to|at|into|on|via)\s+(https?://|\S+@\S+\.\w+)",
            _I,
        ),
    ),
    (
        "injection-contact-url",
        re.compile(
            r"\b(send|post|submit|upload|transmit)\b[^.\n]{0,80}?\b(to|at)\s+https?://\S+"
            r"|\b(make|send|issue|perform)\s+an?\s+(GET|POST|PUT|HTTP|web|network)\s+request\s+to\b",
            _I,
        ),
    ),
]

_ENGLISH = len(_RULES)
"""The rules above: what letters spaced apart are also read against (``_spaced_letters``)."""

# "Ignore all previous instructions" in other languages: a model obeys them as well as the English.
# Each is matched as ``_norm`` leaves it (Cyrillic look-alike letters folded to Latin), so the source is
# folded the same way. (language, pattern, words a match holds: one tuple per part).
_OTHER_LANGUAGES: list[tuple[str, str, tuple[tuple[str, ...], ...]]] = [
    ("de", r"\b(?:ignorier\w*|vergiss|vergessen\s+sie|missacht\w*)\s+(?:\w+\s+){0,3}"
           r"(?:vorherig|bisherig|obig|vorangegangen|vorig|früher|ursprünglich)\w*\s+"
           r"(?:anweisung|instruktion|befehl|regel|vorgabe|richtlinie)\w*",
     (("ignorier", "vergiss", "vergessen", "missacht"),
      ("vorherig", "bisherig", "obig", "vorangegangen", "vorig", "früher", "ursprünglich"),
      ("anweisung", "instruktion", "befehl", "regel", "vorgabe", "richtlinie"))),
    ("fr", r"\b(?:ignore[zr]?|oublie[zr]?|néglige[zr]?)\s+(?:\w+\s+){0,3}"
           r"(?:instructions|consignes|directives|règles|ordres)\s+(?:précédentes|antérieures|ci-dessus|initiales)",
     (("ignore", "oublie", "néglige"), ("instructions", "consignes", "directives", "règles", "ordres"),
      ("précédentes", "antérieures", "ci-dessus", "initiales"))),
    ("es/pt/it", r"\b(?:ignor[aei]\w*|olvid[ae]\w*|esque[çc]a|desconsider[ae]\w*|dimentica\w*)\s+(?:\w+\s+){0,3}"
           r"(?:instru[cç]c?[ioõ]\w*|indicaciones|reglas|regras|regole|órdenes|directrices|diretrizes|orientações|istruzioni|direttive)"
           r"\s+(?:anteriores|previas|prévias|precedenti|de\s+arriba|acima|sopra|iniciales|iniziali)",
     (("ignor", "olvid", "esque", "desconsider", "dimentica"),
      ("instruc", "instruç", "instrucoes", "indicaciones", "reglas", "regras", "regole", "órdenes", "directrices", "diretrizes",
       "orientações", "istruzioni", "direttive"),
      ("anteriores", "previas", "prévias", "precedenti", "arriba", "acima", "sopra", "iniciales", "iniziali"))),
    ("nl/pl", r"\b(?:negeer|vergeet|zignoruj|ignoruj|zapomnij)\s+(?:\w+\s+){0,3}"
           r"(?:vorige|eerdere|voorgaande|bovenstaande|poprzednie|wcześniejsze|powyższe)\s+"
           r"(?:instructies|regels|opdrachten|instrukcje|polecenia|zasady)",
     (("negeer", "vergeet", "ignoruj", "zapomnij"),
      ("vorige", "eerdere", "voorgaande", "bovenstaande", "poprzednie", "wcześniejsze", "powyższe"),
      ("instructies", "regels", "opdrachten", "instrukcje", "polecenia", "zasady"))),
    ("ru/uk", r"(?<!\w)(?:игнорируй\w*|проигнорируй\w*|забудь\w*|ігноруй\w*)\s+(?:\w+\s+){0,3}"
           r"(?:предыдущ|прежн|предшествующ|вышеуказанн|попередн)\w*\s+(?:инструкц|указани|правил|команд|інструкц)\w*",
     (("игнорир", "проигнорир", "забуд", "ігнору"), ("предыдущ", "прежн", "предшествующ", "вышеуказанн", "попередн"),
      ("инструкц", "указани", "правил", "команд", "інструкц"))),
    ("tr", r"(?:önceki|yukaridaki|yukarıdaki)\s+(?:\w+\s+){0,2}(?:talimat|komut|kural)\w*\s+(?:\w+\s+)?"
           r"(?:yok\s+say|görmezden\s+gel|unut)",
     (("önceki", "yukaridaki"), ("talimat", "komut", "kural"), ("yok", "görmezden", "unut"))),
    ("zh", r"(?:忽略|无视|無視|忽视|忽視|不要理会|不要理會|忘记|忘記|忘掉)[^。.\n]{0,12}(?:之前|以前|先前|上面|上述|前面|此前)"
           r"[^。.\n]{0,8}(?:指令|指示|说明|說明|规则|規則|提示)",
     (("忽略", "无视", "無視", "忽视", "忽視", "理会", "理會", "忘记", "忘記", "忘掉"),
      ("之前", "以前", "先前", "上面", "上述", "前面", "此前"), ("指令", "指示", "说明", "說明", "规则", "規則", "提示"))),
    ("ja", r"(?:以前|前|上記|これまで|先ほど)の[^。\n]{0,10}(?:指示|命令|ルール|指令|プロンプト)[^。\n]{0,10}(?:無視|忘れ)",
     (("以前", "前", "上記", "これまで", "先ほど"), ("指示", "命令", "ルール", "指令", "プロンプト"), ("無視", "忘れ"))),
    ("ko", r"(?:이전|앞의|위의|기존)[^.\n]{0,10}(?:지시|지침|명령|규칙)[^.\n]{0,10}(?:무시|잊)",
     (("이전", "앞의", "위의", "기존"), ("지시", "지침", "명령", "규칙"), ("무시", "잊"))),
]
_RULES.append((
    "injection-override",
    re.compile("|".join(fold_confusables(source) for _, source, _ in _OTHER_LANGUAGES), _I),
))
_RULES.append((
    # Third-party text (a page, a ticket, a tool output) that speaks to the AI reading it: nobody writes
    # "Note to the AI assistant:" or "AI agents processing this must" for a person. Also a forged end
    # of a tool result, and a claimed approval from the user.
    "injection-addressed",
    re.compile(
        r"\b(?:note|message|instructions?|reminder|attention|important|notice)\s+(?:for|to)\s+(?:the\s+|any\s+|all\s+)?"
        r"(?:ai|assistants?|agents?|llms?|language\s+models?|claude|codex|copilot|chatgpt|gpt|gemini|bots?)"
        r"(?:\s+\w+){0,3}\s*[:,\u2014-]"  # "Note to the AI assistant:", not "instructions for the model on how…"
        r"|\bif\s+you\s+are\s+(?:an?\s+)?(?:ai|assistant|agent|llm|language\s+model|claude|chatbot|bot)\b"
        r"|\b(?:ai|llm|automated|autonomous)\s+(?:agents?|assistants?|models?|systems?)\s+(?:reading|processing|parsing|"
        r"summari[sz]ing|seeing|handling|that\s+reads?)\s+(?:this|these)\b"
        r"|\b(?:the\s+)?user\s+has\s+(?:already\s+)?(?:pre-?)?(?:approved|authori[sz]ed|granted|allowed|consented)\s+"
        r"(?:you|all|any|every|the\s+agent|the\s+assistant)\b"
        r"|</(?:tool_result|function_results|function_call_output|tool_output|tool_response)>",
        _I,
    ),
))

# Words a line must contain (lower-cased, after ``_norm``) before a pattern is tried: plain substring
# search is far cheaper than a case-insensitive alternation at every position of a long tool output,
# and most lines of a trace hold a word of one part of a pattern (``print``, ``user``) but not of all.
# A pattern's needs are alternatives (one per branch of its top-level ``|``), each a tuple of parts
# any match of that branch holds a word of. Single words only: ``you\s+are`` also matches
# "you\tare", which a substring "you are" would let through unchecked.
Part = tuple[str, ...]
Needs = tuple[tuple[Part, ...], ...]
_NEEDS: list[Needs] = [
    ((
        ("ignore", "disregard", "forget", "override", "bypass"),
        ("previous", "prior", "above", "earlier", "preceding", "former", "original", "initial", "system",
         "developer", "safety"),
        ("instruction", "direction", "prompt", "rules", "guideline", "context", "message", "commands", "orders",
         "constraints", "directives", "guidance"),
    ),),
    ((("ignore", "disregard", "forget"), ("everything", "all", "what"), ("above", "before", "previously", "told")),),
    ((
        ("disregard", "ignore", "override", "reveal", "print", "leak", "bypass", "forget"),
        ("system", "developer"),
        ("prompt", "message", "instructions"),
    ),),
    ((
        ("ignore", "disregard", "forget", "override", "bypass", "aside", "discard", "drop", "abandon", "throw"),
        ("rules", "instruction", "guideline", "direction", "constraints", "guidance", "prompt"),
        ("you",),
    ),),
    (
        (("you",), ("are",), ("no",)),
        (("from",), ("now",), ("you",)),
        (("mode",), ("developer", "god", "jailbreak", "dan"), ("enabled", "activated", "on")),
        (("instructions",), (":",)),
        (("system",), ("prompt", "message"), (":",)),
        (("act",), ("as",), ("with",), ("restrictions", "limits", "filters", "rules")),
        (("<|", "<<sys>>", "inst]"),),
    ),
    ((
        ("disable", "bypass", "turn", "deactivate", "circumvent", "ignore", "remove", "skip"),
        ("safety", "security", "content", "ethical"),
        ("check", "filter", "guardrail", "measures", "restrictions", "polic", "protocols", "features", "guidelines",
         "scanning", "scanner"),
    ),),
    ((
        ("user", "human", "operator"),
        ("tell", "inform", "notify", "alert", "warn", "mention", "reveal", "disclose", "hide", "conceal", "keep"),
    ),),
    ((
        ("send", "post", "upload", "exfiltrate", "transmit", "forward", "leak", "email", "copy", "pipe", "submit"),
        ("ssh", "id_rsa", "id_ed25519", "key", "secrets", "tokens", "passwords", "credentials", "env", "cookies"),
        ("http", "@", "server", "url", "endpoint", "webhook", "address", "host"),
    ),),
    ((
        ("send", "post", "upload", "paste", "enter", "submit", "share", "type", "provide", "email", "forward",
         "give"),
        ("http", "@"),
    ),),
    (
        (("send", "post", "submit", "upload", "transmit"), ("http",)),
        (("make", "send", "issue", "perform"), ("request",)),
    ),
]
_NEEDS.append(
    tuple(tuple(tuple(fold_confusables(word).lower() for word in part) for part in words) for _, _, words in _OTHER_LANGUAGES)
)
_NEEDS.append((
    (("note", "message", "instruction", "reminder", "attention", "important", "notice"), ("for", "to"),
     ("ai", "assistant", "agent", "llm", "model", "claude", "codex", "copilot", "gpt", "gemini", "bot")),
    (("if",), ("you",), ("ai", "assistant", "agent", "llm", "model", "claude", "bot")),
    (("ai", "llm", "automated", "autonomous"), ("agent", "assistant", "model", "system"), ("this", "these")),
    (("user",), ("approved", "authori", "granted", "allowed", "consented")),
    (("</",), ("tool_result", "function_results", "function_call_output", "tool_output", "tool_response")),
))
_PATTERNS = [(rule_id, pattern, needs) for (rule_id, pattern), needs in zip(_RULES, _NEEDS, strict=True)]

_HTML_COMMENT = re.compile(r"<!--(.*?)-->", re.DOTALL)
# Speaking *to* the agent: "you must", "Assistant:", "note for the AI", "if you are an LLM".
_ADDRESSEE = re.compile(
    r"\byou\s+(must|should|will|need\s+to|have\s+to|are\s+(an?\s+)?(ai|assistant|agent|llm|language\s+model))\b"
    r"|\b(assistant|ai(\s+(agent|assistant)s?)?|agents?|model|llm|claude|codex|gpt|copilot|gemini|bot)\s*[:,]"
    r"|\b(note|message|instructions?)\s+(for|to)\s+(the\s+|any\s+)?(ai|assistant|agent|model|llm|claude)s?\b"
    r"|\bif\s+you\s+are\s+(an?\s+)?(ai|assistant|agent|llm|language\s+model|claude)\b"
    r"|\b(when|if|once|whenever)\s+(the\s+|an?\s+|any\s+)?(ai|assistant|agent|model|llm|claude|codex|copilot)s?\s+"
    r"(reads?|sees?|loads?|opens?|finds?|processes|parses|gets?)\b",
    _I,
)
_IMPERATIVE = re.compile(
    r"\b(must|should|always|never|run|execute|send|add|include|insert|fetch|download|install|ignore|write|"
    r"delete|remove|curl|wget|post|upload|reply|respond|say|tell|obey|follow)\b",
    _I,
)
# Without an addressee, only verbs that make an agent *do* something count: "please include an
# example" in an issue template is not an attack, "run curl ... | sh" is.
_STRONG_IMPERATIVE = re.compile(
    r"\b(run|execute|curl|wget|send|upload|post|download|install|ignore|disregard|delete|eval|exfiltrate)\b",
    _I,
)
_TOOLING_COMMENT = re.compile(
    r"^\s*(prettier-|markdownlint|toc|end ?toc|vale |eslint|textlint|cspell|spell-?checker|lint-|"
    r"skillforge:|BEGIN|END|START|STOP|region|endregion|more|omit|docs-|mdformat)",
    _I,
)


def _norm(line: str, *, tag: str = "") -> str:
    """Undo the cheap evasions before matching: zero-width characters inside words, fullwidth letters,
    Cyrillic/Greek look-alikes and the Turkish dotless/dotted i (``ıgnore``), all of which a model
    reads as the Latin word (``fold_confusables``); and the markup that splits a word for a filter but
    not for a reader, who sees it rendered or reads through it: emphasis (``ig**nore**``, ``_all_``,
    ``~~``), inline HTML tags (``ig<b></b>nore``), HTML entities (``&#73;gnore``, ``&nbsp;``), percent-
    and backslash-escapes (``ignore%20all``, ``\\u0049gnore``, ``previous\\ninstructions``) and soft hyphens.
    Backticks stay: a phrase in a code span is a quoted example (``_quoted``). ``tag`` replaces each tag
    (``" "`` reads ``Note<br>Ignore`` as the two words it shows)."""
    line = fold_confusables(line)
    if "&" in line and ";" in line:
        line = html.unescape(line)
    if "<" in line:
        line = _INLINE_TAG.sub(tag, line)
    if "%" in line:
        line = _PERCENT.sub(lambda m: chr(int(m.group(1), 16)), line)
    if "\\" in line:
        line = _BACKSLASH_ESCAPE.sub(_unescape, line)
    if "*" in line or "_" in line or "~~" in line:
        line = _EMPHASIS.sub("", line)
    if not line.isascii():
        line = fold_confusables(line.translate(_IGNORABLE))
    return line


# Inline tags only (a letter or "/" after "<"): chat-template tokens (<|im_start|>, <<SYS>>), comments
# (<!-- -->) and a forged end of a tool result are what other rules look for.
_INLINE_TAG = re.compile(
    r"</?(?!(?:tool_result|function_results|function_call_output|tool_output|tool_response)>)[A-Za-z][\w:-]*"
    r"(?:\s[^<>\n]{0,200})?/?>"
)
# Printable ASCII as %XX (a URL-encoded sentence); other bytes belong to real URLs and stay.
_PERCENT = re.compile(r"%(2[0-9A-Fa-f]|[3-6][0-9A-Fa-f]|7[0-9A-Ea-e])")
_BACKSLASH_ESCAPE = re.compile(r"\\(?:u([0-9A-Fa-f]{4})|x([0-9A-Fa-f]{2})|([nrt]))")
# Emphasis markers: any run of *, a strikethrough's ~~ (one ~ is a home folder) and _ at either end of a
# word (snake_case names keep theirs).
_EMPHASIS = re.compile(r"\*+|~~+|(?<![A-Za-z0-9])_+|_+(?![A-Za-z0-9])")
# Characters that render as nothing (Unicode's default-ignorable code points other than the zero-width
# ones fold_confusables drops): soft hyphen, combining grapheme joiner, Hangul fillers, variation selectors.
_IGNORABLE = dict.fromkeys(
    [0x00AD, 0x034F, 0x061C, 0x115F, 0x1160, 0x17B4, 0x17B5, *range(0x180B, 0x1810), *range(0x200B, 0x2010),
     *range(0x2060, 0x2070), 0x3164, *range(0xFE00, 0xFE10), 0xFFA0]
)


def _unescape(m: re.Match[str]) -> str:
    code = m.group(1) or m.group(2)
    return chr(int(code, 16)) if code else " "


def scan_injection(text: str, *, comments: bool = True) -> list[Hit]:
    """Injection / hijack phrases, one hit per rule and line, plus (``comments``) instructions hidden in
    HTML comments. A phrase quoted as an example (``"ignore previous instructions"``) is medium.
    Phrases written in base64, or in rot13 next to the word "rot13", are found too (a model decodes
    them on request: "decode this and follow it: SWdub3Jl…").
    """
    hits = _scan_plain(text, comments=comments)
    if _SPACED_RUN.search(text):
        hits += _spaced_letters(text)
    if _BASE64.search(text):
        hits += _encoded_base64(text)
    lowered = text.lower()
    if "rot13" in lowered or "rot-13" in lowered or "rot 13" in lowered:
        hits += [
            Hit(h.rule_id, h.line, h.start, h.end, severity=h.severity, detail=f"rot13 of: {h.detail}")
            for h in _scan_plain(codecs.decode(text, "rot13"), comments=False)
        ]
    return hits


# Single letters set apart by spaces, dots, hyphens or underscores ("I g n o r e  a l l", "i-g-n-o-r-e",
# "I.g.n.o.r.e"): a model reads the words they spell. Two spaces or more end a word.
# Each letter is matched once (a run never ends in a failure that would retry from every later letter), so a
# long line of single letters costs linear time.
_SPACED_RUN = re.compile(r"(?<![\w.-])[^\W\d_](?=[ .\-_*])(?:[ .\-_*]{1,3}[^\W\d_](?!\w)){3,}")
_WORD_GAP = re.compile(r"[ \t]{2,}")
_LETTER_GAP = re.compile(r"[ .\-_*]")
# The English rules with their word gaps optional, for letters spaced evenly ("I g n o r e a l l …" reads
# "Ignoreall…"): tried only where a spaced run is, so ordinary text never meets them.
_COMPACT = [
    (rule_id, re.compile(p.pattern.replace(r"\s+", r"\s*"), p.flags), needs) for rule_id, p, needs in _PATTERNS[:_ENGLISH]
]


# A compact rule matches all its plain one does (an optional gap takes a space too): the other rules as they are.
_SPACED_PATTERNS = _COMPACT + _PATTERNS[_ENGLISH:]


def _spaced_letters(text: str) -> list[Hit]:
    """Injection hits in lines holding letters spaced apart, read with each run closed up; a hit must
    cover part of a run (the rest of the line was read by ``_scan_plain``)."""
    hits: list[Hit] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        if len(raw) > 4000 or not _SPACED_RUN.search(raw):
            continue
        line = fold_confusables(raw)
        spans: list[tuple[int, int]] = []
        out, pos = "", 0
        for run in _SPACED_RUN.finditer(line):
            out += line[pos : run.start()]
            joined = " ".join(_LETTER_GAP.sub("", word) for word in _WORD_GAP.split(run.group()))
            spans.append((len(out), len(out) + len(joined)))
            out, pos = out + joined, run.end()
        out += line[pos:]
        seen: set[str] = set()
        lower = out.lower()
        for rule_id, pattern, needs in _SPACED_PATTERNS:
            m = None if rule_id in seen or not _holds(lower, needs) else pattern.search(out)
            if m and any(start < m.end() and m.start() < end for start, end in spans):
                seen.add(rule_id)
                sev: Severity | None = "medium" if _quoted(out, m.start(), m.end()) else None
                hits.append(Hit(rule_id, number, severity=sev,
                                detail=f"letters spaced apart: {excerpt(out, m.start(), m.end())}"))
    return hits


# A run of 24 to 4096 base64 characters standing alone (not part of a longer blob, a path or a URL).
_BASE64 = re.compile(r"(?<![A-Za-z0-9+/=_.-])[A-Za-z0-9+/]{24,4096}={0,2}(?![A-Za-z0-9+/=_.-])")


def _encoded_base64(text: str) -> list[Hit]:
    """Injection hits in the sentences that base64 runs of ``text`` decode to, at the run's line."""
    hits: list[Hit] = []
    for number, line in enumerate(text.split("\n"), start=1):
        for m in itertools.islice(_BASE64.finditer(line), 32):
            decoded = _as_sentence(m.group())
            if decoded is None:
                continue
            for h in _scan_plain(decoded, comments=False):
                hits.append(Hit(h.rule_id, number, m.start(), m.end(), severity=h.severity,
                                detail=f"base64 of: {h.detail}"))
    return hits


def _as_sentence(run: str) -> str | None:
    """What a base64 run decodes to when that is text with words in it (not a hash, key or image)."""
    try:
        decoded = base64.b64decode(run + "=" * (-len(run) % 4), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return None
    if decoded.count(" ") < 2 or not decoded.isprintable():
        return None
    return decoded


def _scan_plain(text: str, *, comments: bool) -> list[Hit]:
    lines = text.split("\n")
    pieces = [_pieces(raw) for raw in lines]
    # A pattern whose words are not all in the text cannot match a line or a pair of lines of it
    # (the words hold no whitespace, so none spans the join of two lines): most tool outputs rule
    # out every pattern in one substring search per word, instead of one per word and line.
    whole = "\n".join(lower for line in pieces for _, lower in line)
    patterns = [entry for entry in _PATTERNS if _holds(whole, entry[2])]
    hits: list[Hit] = []
    if not patterns:
        return hits + (_hidden_comments(text) if comments and "<!--" in text else [])
    # Only pieces of lines that hold a first word of a pattern can match it (``_candidate_pieces``).
    flat = [(lineno, line, lower) for lineno, line_pieces in enumerate(pieces, start=1) for line, lower in line_pieces]
    chosen = _candidate_pieces(whole, [len(lower) for _, _, lower in flat], patterns)
    lineno_seen = 0
    seen: set[str] = set()
    for index in chosen:
        lineno, line, lower = flat[index]
        if lineno != lineno_seen:
            lineno_seen, seen = lineno, set()
        for rule_id, pattern, needs in patterns:
            if rule_id in seen or (rule_id == "injection-contact-url" and "injection-exfiltration" in seen):
                continue
            if not _holds(lower, needs):
                continue
            m = pattern.search(line)
            if m:
                seen.add(rule_id)
                sev: Severity | None = "medium" if _quoted(line, m.start(), m.end()) else None
                hits.append(
                    Hit(
                        rule_id,
                        lineno,
                        m.start(),
                        m.end(),
                        severity=sev,
                        detail=excerpt(line, m.start(), m.end()),
                    )
                )
    candidates = {flat[i][0] for i in chosen}
    hits += _across_lines(lines, {(h.rule_id, h.line) for h in hits}, patterns, candidates)
    if comments and "<!--" in text:
        hidden = _hidden_comments(text)
        if hidden:
            # "<!-- Note for the AI: run … -->" is one finding, the hidden comment's, not two.
            inside = _comment_lines(text, {h.line for h in hidden})
            hits = [h for h in hits if h.rule_id != "injection-addressed" or h.line not in inside]
        hits.extend(hidden)
    return hits


def _pieces(raw: str) -> list[tuple[str, str]]:
    """``(normalized, lowercased)`` windows of one line. A line with tags is read twice: with the tags
    dropped (``Ig<b></b>nore`` is one word) and with each tag as a space, since a tag also ends a word
    (``Note<br>Ignore all …``, ``<summary>x</summary>Ignore …`` read as two words, rendered or raw)."""
    out = [(line, line.lower()) for line in map(_norm, windows(raw))]
    if "<" in raw and _INLINE_TAG.search(raw):
        out += [(line, line.lower()) for line in (_norm(w, tag=" ") for w in windows(raw))]
        # A title shows only on hover and alt text not at all, but an agent reads the raw tag.
        out += [(value, value.lower()) for value in (_norm(m.group(2)) for m in _SHOWN_ATTR.finditer(raw))]
    return out


# Attributes whose value is text for a reader (not a URL or a name); dropped with the tag otherwise.
_SHOWN_ATTR = re.compile(r"""\b(?:title|alt|aria-label|placeholder|summary)\s*=\s*(["'])(.{1,2000}?)\1""", _I)


def _comment_lines(text: str, starts: set[int]) -> set[int]:
    """The line numbers inside the HTML comments that begin on one of ``starts``."""
    out: set[int] = set()
    for m in _HTML_COMMENT.finditer(text):
        first = text.count("\n", 0, m.start()) + 1
        if first in starts:
            out.update(range(first, first + m.group(0).count("\n") + 1))
    return out


def _candidate_pieces(whole: str, sizes: list[int], patterns: list[tuple[str, re.Pattern[str], Needs]]) -> list[int]:
    """Indexes of the pieces (``whole`` is their lowercased text joined by newlines; ``sizes`` their
    lengths) that hold a word of the first part of some alternative of ``patterns``: only those can
    match one. One search through the text instead of a word test per line and pattern."""
    starts = list(itertools.accumulate((size + 1 for size in sizes), initial=0))
    first_words = _first_words(frozenset(rule_id for rule_id, _, _ in patterns))
    found: list[int] = []
    pos = 0
    while pos < len(whole):
        m = first_words.search(whole, pos)
        if m is None:
            break
        index = bisect.bisect_right(starts, m.start()) - 1
        found.append(index)
        pos = starts[index + 1]
    return found


@functools.lru_cache(maxsize=128)
def _first_words(rule_ids: frozenset[str]) -> re.Pattern[str]:
    words = {word for rule_id, _, needs in _PATTERNS if rule_id in rule_ids for alt in needs for word in alt[0]}
    return re.compile("|".join(re.escape(w) for w in sorted(words, key=lambda w: (-len(w), w))))


def _holds(lower: str, needs: Needs) -> bool:
    """``lower`` holds a word of every part of one of a pattern's alternatives (loops, not generators:
    this runs for every line of every tool output)."""
    for alternative in needs:
        for part in alternative:
            for word in part:
                if word in lower:
                    break
            else:
                break  # no word of this part: the alternative cannot match
        else:
            return True
    return False


def _across_lines(
    lines: list[str],
    seen: set[tuple[str, int]],
    patterns: list[tuple[str, re.Pattern[str], Needs]] | None = None,
    candidates: set[int] | None = None,
) -> list[Hit]:
    """Phrases wrapped over two lines ("ignore all previous\ninstructions"), as Markdown paragraphs and
    ticket texts are: each pair of neighbouring lines is read as one, and a match that crosses the line
    end is reported on the first line. ``patterns``: the ones worth trying (default: all);
    ``candidates``: the line numbers that hold a first word of one of them (default: any line may),
    as no word spans the join of two lines, a pair without one cannot match."""
    hits: list[Hit] = []
    for lineno in range(1, len(lines)):
        if candidates is not None and lineno not in candidates and lineno + 1 not in candidates:
            continue
        first, second = lines[lineno - 1].rstrip(), lines[lineno].lstrip()
        if not first or not second or len(first) > 2000 or len(second) > 2000:
            continue
        joined = _norm(first + " " + second)
        lower = joined.lower()
        cut = len(_norm(first))
        for rule_id, pattern, needs in _PATTERNS if patterns is None else patterns:
            if (rule_id, lineno) in seen or (rule_id, lineno + 1) in seen or not _holds(lower, needs):
                continue
            m = pattern.search(joined)
            if m and m.start() < cut < m.end():
                seen.add((rule_id, lineno))
                sev: Severity | None = "medium" if _quoted(joined, m.start(), m.end()) else None
                hits.append(Hit(rule_id, lineno, severity=sev, detail=excerpt(joined, m.start(), m.end())))
    return hits


_LINK_TITLE_OPEN = re.compile(r"(?:\]\(\s*<?[^\s()<>]*>?|^\s{0,3}\[[^\]]+\]:\s*<?\S+?>?)\s+$")
_QUOTES = {'"': '"', "'": "'", "\u201c": "\u201d", "\u2018": "\u2019", "`": "`"}


def _quoted(line: str, start: int, end: int) -> bool:
    """The match is a short quotation (an example being discussed), not a sentence addressed to anyone."""
    before = line[max(0, start - 3) : start].rstrip()
    if not before or before[-1] not in _QUOTES:
        return False
    if _LINK_TITLE_OPEN.search(line, 0, line.rfind(before[-1], 0, start)):
        return False  # [x](url "…") or [x]: url "…": the quotes are the title's syntax, not a quotation
    closing = _QUOTES[before[-1]]
    rest = line[end : end + 25]
    return closing in rest and len(rest.split(closing, 1)[0].split()) <= 3


def _hidden_comments(text: str) -> list[Hit]:
    hits: list[Hit] = []
    for m in _HTML_COMMENT.finditer(text):
        body = " ".join(_norm(m.group(1)).split())
        if len(body.split()) < 3 or _TOOLING_COMMENT.match(body):
            continue
        addressed = bool(_ADDRESSEE.search(body))
        if not (_IMPERATIVE if addressed else _STRONG_IMPERATIVE).search(body):
            continue
        lineno = text.count("\n", 0, m.start()) + 1
        severity: Severity = "high" if addressed else "medium"
        hits.append(
            Hit("injection-hidden-comment", lineno, severity=severity, detail=excerpt(f"<!-- {body} -->"))
        )
    return hits


def is_instruction_like(text: str) -> list[str]:
    """The injection rule ids that ``text`` triggers (empty when it reads as ordinary content)."""
    return sorted({h.rule_id for h in scan_injection(text)})
