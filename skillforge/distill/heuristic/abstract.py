"""Replace run-specific values in a text with named placeholders, so a rule learned from one run reads as
a rule for every run (Agent Workflow Memory style: ``HAT290`` -> ``{flight_id}``).

What counts as run-specific: URLs, e-mail addresses, UUIDs, dates and times, absolute paths, values whose
key names their type (``reservation_id: ZFA04Y``, ``session ID 47596``), customer data under a personal
key (``first_name: Mia``), scratch scripts an agent writes for itself (``reproduce_issue.py``), line numbers
and ranges (``edit 12:14``, ``x.py:12:5``), typed ids (``gift_card_8190333``), mixed letter/digit codes
(``HAT290``), test node ids (``tests/test_io.py::test_read``), hex hashes and numbers of five or more digits.

Everything here is a pure function of its input: the same text always gives the same output, and
abstracting twice changes nothing more (placeholders are never matched again).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

__all__ = [
    "SCRATCH_SCRIPT",
    "abstract",
    "abstract_value",
    "instance_values",
    "once_each",
    "is_scratch_file",
    "placeholder_for_key",
]

SCRATCH_SCRIPT = re.compile(
    r"(?i)(?:^|(?<=[\s'\"`(=])|(?<=/tmp/))(?:repro\w*|reproduc\w*|verify_\w+|debug_\w+|check_\w+|test_fix\w*|"
    r"test_repro\w*|demo_\w+|scratch\w*|tmp_\w+|temp_\w+|try_\w+|quick_?test\w*|my_?test\w*|simple_test\w*|"
    r"minimal_\w+)"
    r"\.(?:py|js|mjs|ts|sh|rb|go|php)\b"
)
"""File names agents give the throw-away scripts they write to reproduce or check a problem."""

_PERSONAL_KEYS = {
    "name", "first_name", "last_name", "full_name", "firstname", "lastname", "address", "address1", "address2",
    "street", "city", "zip", "zipcode", "zip_code", "postal_code", "phone", "phone_number", "dob", "date_of_birth",
    "birthday", "email", "password", "card_number", "ssn", "passport", "passport_number",
}
"""Keys whose value is a person's data: always a placeholder, whatever the value looks like."""

_TYPED_PREFIXES = {
    "gift_card", "credit_card", "debit_card", "paypal", "certificate", "voucher", "coupon", "order", "user", "session",
    "job", "task", "run", "ticket", "payment", "account", "customer", "item", "product", "invoice", "booking",
    "reservation", "flight", "trip", "request", "build", "issue", "pr", "commit", "message", "thread", "event",
}
"""``<prefix>_<digits>`` values whose prefix names a type (``gift_card_8190333`` -> ``{gift_card_id}``);
any other prefix may be a person's name (``mia_li_3668``) and becomes a plain ``{id}``."""

_KEEP_CODES = re.compile(
    r"^(?i:sha|md|utf|ucs|es|iso|rfc|pep|http|ipv|x|arm|win|py|cp|gpt|llama|qwen|int|float|sm|h)\d{1,4}$|"
    r"^(?:[A-Z]|RUF|SIM|PLR|PLW|PLC|PLE|ANN|UP|ARG|PTH|ERA|TRY|FBT|DTZ|PIE|RET|TCH|PYI|SLF|PERF|FURB|ASYNC|TID|PGH|ISC|"
    r"BLE|RSE|EM|PT|PD|NPY|DJ|TD|SC|DL|DS|GL|TS|JS|SA|ST|SLF)\d{2,4}$"
)
"""Letter+digit words that name a standard or a lint code, not an instance (``SHA256``, ``PEP8``, ``E501``)."""

_ID_KEY = r"[A-Za-z][A-Za-z0-9]*(?:[_-][A-Za-z0-9]+)*?(?:_id|_ids|_number|_num|_no|_code|Id|ID|_key|_uuid)"
_NOUN_KEY = r"(?:session|process|job|task|order|reservation|flight|user|ticket|pid|booking|confirmation|request|run)"
_VALUE = r"(?P<val>[A-Za-z0-9][\w.-]*[A-Za-z0-9]|[A-Za-z0-9])"

_PATTERNS: list[tuple[re.Pattern[str], str | Callable[[re.Match[str]], str]]] = []


def _rule(pattern: str, replacement: str | Callable[[re.Match[str]], str], flags: int = 0) -> None:
    _PATTERNS.append((re.compile(pattern, flags), replacement))


def placeholder_for_key(key: str) -> str:
    """The placeholder a value under ``key`` becomes: ``flight_number`` -> ``{flight_id}``,
    ``reservation_id`` -> ``{reservation_id}``, ``session ID`` -> ``{session_id}``, ``email`` -> ``{email}``."""
    words = re.findall(r"[a-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", key.strip()).lower())
    if not words:
        return "{value}"
    joined = "_".join(words)
    if joined in _PERSONAL_KEYS:
        return "{" + joined + "}"
    while len(words) > 1 and words[-1] in ("id", "ids", "number", "num", "no", "code", "key", "uuid"):
        words = words[:-1]
    stem = "_".join(words)
    if stem in ("id", "number", "num", "no", "code", "key", "uuid"):
        return "{id}"
    return "{" + stem + "_id}"


def _looks_like_instance(value: str) -> bool:
    """A value that names one thing of one run: has a digit, or is an upper-case code of 5+ characters."""
    if value.startswith("{") or _KEEP_CODES.match(value):
        return False
    return bool(re.search(r"\d", value)) or bool(re.fullmatch(r"[A-Z0-9]{5,}", value))


def _keyed(match: re.Match[str]) -> str:
    key, sep, value = match.group("key"), match.group("sep"), match.group("val")
    personal = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_") in _PERSONAL_KEYS
    if personal and not sep.strip() and not _looks_like_instance(value):
        return match.group(0)  # "password reset", "name resolution": a key word in prose, not a key and its value
    if not personal and not _looks_like_instance(value):
        return match.group(0)
    return f"{key}{sep.replace('#', '')}{placeholder_for_key(key)}"


def _typed_id(match: re.Match[str]) -> str:
    prefix = match.group("prefix").lower()
    words = prefix.split("_")
    for n in range(len(words)):
        tail = "_".join(words[n:])
        if tail in _TYPED_PREFIXES:
            return "{" + tail + "_id}"
    return "{id}"


def _mixed_code(match: re.Match[str]) -> str:
    return match.group(0) if _KEEP_CODES.match(match.group(0)) else "{id}"


def _hash(match: re.Match[str]) -> str:
    value = match.group(0)
    has_letter, has_digit = bool(re.search(r"[a-f]", value)), bool(re.search(r"\d", value))
    return "{hash}" if has_letter and has_digit else value


_rule(r"\b(?:https?|ftp|wss?)://[^\s`'\"<>)\]]+", "{url}")
_rule(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b", "{email}")
_rule(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b", "{uuid}")
_rule(r"\b\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?(?![\w:])", "{datetime}")
_rule(r"\b\d{4}-\d{2}-\d{2}\b|\b\d{4}/\d{2}/\d{2}\b", "{date}")
_rule(r"(?<![\w:.])\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?(?![\w:])|\b\d{1,2}:\d{2}\s?[AaPp][Mm]\b", "{time}")
# Values whose key names their type; personal keys first so "email: x" keeps its own name.
_rule(
    rf"(?P<key>\b{_ID_KEY}|\b{_NOUN_KEY}(?:[ _](?:id|ID|Id|number|#))?|\b(?:{'|'.join(sorted(_PERSONAL_KEYS))}))"
    rf"(?P<sep>[\"']?\s*[:=]\s*[\"']?|\s+#?|\s*#){_VALUE}",
    _keyed,
)
# A test's node id (pytest `tests/test_io.py::TestRead::test_empty[utf-8]`) names one test of one project.
_rule(r"(?<![\w{/.-])(?:[\w.-]+/)*[\w.-]+\.py::[\w:.\[\]-]*[\w\]]", "{test_id}")
_rule(SCRATCH_SCRIPT.pattern.replace("(?i)", "") + r"|(?<![\w{])(?:[\w.-]+/)*(?=\w*[Rr]epro)\w+\.py\b", "{scratch_script}",
      re.IGNORECASE)
_rule(r"(?<![\w.:/{}\]-])(?:~|[A-Za-z]:)?(?:/[\w.@+~-]+){2,}/?|(?<![\w.])~/[\w.@+~/-]*|\b[A-Za-z]:\\[\w.\\ -]+",
      "{path}")
# Relative paths through a per-instance work folder (`./ponylang__ponyc__0.1/ponyc`, `django__django-11163/x`):
# SWE-style benchmarks name the checkout `owner__repo[__version]`, so the folder differs in every run.
_rule(r"(?<![\w{/])(?:\.{1,2}/)?(?:[\w.-]+/)*[A-Za-z0-9][\w.-]*?[A-Za-z0-9]__[A-Za-z0-9][\w.-]*(?:/[\w.@+~-]+)*",
      "{path}")
_rule(r"\b(?P<verb>edit|lines?|view_range|range|goto|L)(?P<sep>\s*[\[(]?\s*)\d+\s*(?:[:,]|-(?=\s*\d))\s*\d+(?:\s*[\])])?",
      lambda m: f"{m.group('verb')} {{line_range}}")
_rule(r"\b(?P<word>line|Line|lines|Lines|goto|L)\s+\d+\b", lambda m: f"{m.group('word')} {{line}}")
_rule(r"(?P<file>\.[A-Za-z]{1,5}|\})(?::\d+){1,2}\b", lambda m: f"{m.group('file')}:{{line}}")
_rule(r"\b(?P<prefix>[a-z]+(?:_[a-z]+)*)_\d{3,}\b", _typed_id)
# Record ids such as INV-2024-0311 or DOC-88; standards (PEP-8, UTF-8, ISO-8601, CVE-…) are knowledge, not ids.
_rule(r"\b(?!(?:PEP|UTF|UCS|ISO|RFC|CVE|CWE|SHA|MD|TLS|SSL|HTTP|IEEE|ECMA|ES|RSA|AES|GPT|X|IPV|EN|DIN|ANSI|ASCII)-)"
      r"[A-Z]{2,6}(?:-\d{2,})+\b", "{id}")
_rule(r"#?\b(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*\d)[A-Z0-9]{5,12}\b", _mixed_code)
_rule(r"\b[0-9a-f]{7,64}\b", _hash)
_rule(r"(?<![\w.{])-?\d{5,}(?:\.\d+)?(?![\w{])", "{number}")


def abstract(text: str, scratch: Iterable[str] = ()) -> str:
    """``text`` with its run-specific values replaced by named placeholders (``{path}``, ``{id}``,
    ``{flight_id}``, ``{line_range}``, ``{scratch_script}`` …).

    ``scratch`` names files the run created for itself (e.g. a ``test_bug.py`` it wrote and deleted):
    they become ``{scratch_script}`` too, wherever they occur.
    """
    for name in sorted({s.strip() for s in scratch if s and s.strip()}, key=lambda s: (-len(s), s)):
        base = name.rsplit("/", 1)[-1]
        for variant in dict.fromkeys((name, base)):
            text = re.sub(rf"(?<![\w{{])(?:[\w.~/-]*/)?{re.escape(variant)}(?![\w])", "{scratch_script}", text)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_REPEATED = re.compile(r"(\{[a-z_]+\})(?:\s+\1)+")


def once_each(command: str) -> str:
    """``command`` with a run of the same placeholder shown once (``rm {scratch_script} {scratch_script}`` ->
    ``rm {scratch_script}``): as an example, the second one only reads like a typo."""
    return _REPEATED.sub(r"\1", command)


def abstract_value(key: str, value: Any) -> Any:
    """A tool argument as a rule should show it: the placeholder of its key when the value is an instance
    (``flight_number: HAT290`` -> ``{flight_id}``), the abstracted text otherwise; lists and dicts recurse."""
    if isinstance(value, dict):
        return {k: abstract_value(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [abstract_value(key, v) for v in value]
    if isinstance(value, bool) or value is None:
        return value
    text = str(value)
    normalized = re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")
    if normalized in _PERSONAL_KEYS:
        return placeholder_for_key(key)
    if re.fullmatch(_ID_KEY, key) or re.fullmatch(rf"{_NOUN_KEY}", key, re.IGNORECASE):
        if _looks_like_instance(text) or re.fullmatch(r"[\w-]+", text):
            return placeholder_for_key(key)
    if isinstance(value, (int, float)):
        return value if abs(value) < 10_000 else "{number}"
    return abstract(text)


def instance_values(text: str) -> list[str]:
    """The run-specific values ``abstract`` would replace in ``text``, in order of appearance (for checks)."""
    found: list[str] = []
    current = text
    for pattern, replacement in _PATTERNS:
        for match in pattern.finditer(current):
            after = replacement if isinstance(replacement, str) else replacement(match)
            if after != match.group(0):
                found.append(match.group(0))
        current = pattern.sub(replacement, current)
    return found


def is_scratch_file(path: str) -> bool:
    """Whether ``path`` looks like a throw-away script (``reproduce_issue.py``, ``debug_x.py``, ``verify_fix.py``)."""
    name = path.strip().rstrip("/").rsplit("/", 1)[-1]
    return bool(SCRATCH_SCRIPT.fullmatch(name)) or bool(re.fullmatch(r"(?i)\w*repro\w*\.py", name))
