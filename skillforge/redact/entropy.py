"""Secrets recognised by context and randomness, with detect-secrets' entropy and heuristics.

A random-looking token is not a secret by itself (git SHAs, UUIDs, content hashes, base64 payloads
are everywhere in traces). It is one when something names it: a key-like word just before it
("the api key is …", "with secret …", ``"api_tokens": {"…": …}``) or an AWS access key id in the
same text (the 40-character secret access key travels with its id).
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

from skillforge.redact.patterns import is_placeholder, marker


@cache
def _entropy_plugin() -> Any:
    from detect_secrets.plugins.high_entropy_strings import Base64HighEntropyString

    return Base64HighEntropyString()


@cache
def _heuristics() -> tuple[Any, ...]:
    from detect_secrets.filters import heuristic

    return (heuristic.is_potential_uuid, heuristic.is_sequential_string, heuristic.is_templated_secret)


def shannon_entropy(value: str) -> float:
    """Bits per character of ``value`` (detect-secrets' measure over the base64 alphabet)."""
    return float(_entropy_plugin().calculate_shannon_entropy(value))


_HEX = re.compile(r"[0-9a-fA-F]+")
_PATHLIKE = re.compile(r"^(?:[/~.@]|[A-Za-z]:\\)|^[\w.-]+\.[A-Za-z]{1,5}$|^https?:")
# A path segment made of words: lower case, or CamelCase where each capital starts a word.
_PATH_SEGMENT = re.compile(r"[A-Z]?[a-z0-9_.-]+(?:[A-Z][a-z0-9_.-]+)*|[A-Z0-9_.-]+")
_SYMBOLS = frozenset(string.punctuation) - frozenset("_-.")  # identifier and file-name characters are not "symbols"


def looks_secret(token: str, *, strong: bool) -> bool:
    """True when ``token`` is random enough to be a credential rather than a word, id or path.

    ``strong`` context (password, secret, token next to it) accepts a short mixed password such as
    ``Hunter2-x9``; weak context (a bare "key") needs 20+ characters of real randomness. Hex-only
    strings count only in strong context: next to "key" they are usually hashes or key ids.
    """
    bare = token.strip("\"'`")
    if len(bare) < (8 if strong else 20) or is_placeholder(bare) or _PATHLIKE.search(bare):
        return False
    if any(check(bare) for check in _heuristics()):
        return False
    if "/" in bare and all(_PATH_SEGMENT.fullmatch(part) for part in bare.strip("/").split("/")):
        return False  # packages/services/src/getAll.ts, base64/hex-encoded
    if _HEX.fullmatch(bare):
        return strong and len(bare) >= 16
    lower = any(c.islower() for c in bare)
    upper = any(c.isupper() for c in bare)
    digit = any(c.isdigit() for c in bare)
    symbol = any(c in _SYMBOLS for c in bare)
    if not (digit or symbol) or lower + upper + digit + symbol < (2 if strong else 3):
        return False
    return shannon_entropy(bare) >= (2.5 if strong else 3.5)


# Key-like words in prose or data, singular or plural, found by their stems with str.find (much
# faster than a case-insensitive alternation over a long tool output), then checked in place.
_STEMS = ("pass", "pwd", "secret", "token", "credential", "auth", "key")
_KEYWORD_AT = re.compile(r"(?:password|passwd|passphrase|pwd|secret|token|credential|auth|key)s?(?![a-z0-9_])")
_STRONG_KEY_PREFIX = re.compile(r"(?:api|access|private|secret)[ _-]?$")


def _keywords(lowered: str) -> list[tuple[int, int, bool]]:
    """(start, end, strong) of every key-like word in ``lowered``, in order."""
    found = []
    for stem in _STEMS:
        at = lowered.find(stem)
        while at >= 0:
            match = _KEYWORD_AT.match(lowered, at)
            if match is not None:
                prefix = lowered[max(0, at - 8) : at]
                if stem == "key":
                    strong = _STRONG_KEY_PREFIX.search(prefix) is not None
                    if not strong and at > 0 and lowered[at - 1].isalnum():
                        at = lowered.find(stem, at + 1)
                        continue
                elif at > 0 and lowered[at - 1].isalnum():
                    at = lowered.find(stem, at + 1)
                    continue
                found.append((at, match.end(), stem != "key" or strong))
            at = lowered.find(stem, at + 1)
    found.sort()
    return found


_GAP = re.compile(r"""[ \t"'`:={(\\]+""")  # no closing bracket: "${PASSWORD}@host" names a variable
_NEXT_LINE = re.compile(r"""["'`]?[ \t]*[:=][ \t]*\r?\n[ \t]*""")
_NEXT_LINE_START = frozenset(":=\"'`")
_LINE_END = re.compile(r"[ \t]*(?:\r?\n|$)")
_WORD = re.compile(r"[A-Za-z0-9_.~+/!@#$%^&*?-]+")  # "=" separates: min_length=8, NAME=value


def redact_near_keywords(text: str) -> str:
    """Mask a random-looking token that follows a key-like word within a few filler words."""
    spans: list[tuple[int, int]] = []
    lowered = text.lower()
    if len(lowered) != len(text):
        return text  # lower() moved positions (rare characters such as "İ"); the other rules still ran
    for kw_start, kw_end, strong in _keywords(lowered):
        before = kw_start
        while before > 0 and (text[before - 1].isalnum() or text[before - 1] in "_-."):
            before -= 1
        if before > 0 and text[before - 1] in "${%":
            continue  # ${DB_PASSWORD}, {{ vault_password }}, %(password)s: a name, not a value
        pos = kw_end
        # Look a few words on: "SMTP_PASSWORD=open sesame <token>" in a sentence, "the api key is <token>".
        # Only random-looking words are masked; a line end or other punctuation stops the look.
        next_line = _NEXT_LINE.match(text, pos) if text[pos : pos + 1] in _NEXT_LINE_START else None
        if next_line is not None:
            # "API key:" then the key alone on the next line.
            word = _WORD.match(text, next_line.end())
            if word is not None and _LINE_END.match(text, word.end()) and looks_secret(word.group(), strong=strong):
                spans.append(word.span())
            continue
        for _ in range(5):
            gap = _GAP.match(text, pos)
            if gap is None:
                break  # "tokens|usage", "password.txt": the word goes on, nothing is assigned to it
            pos = gap.end()
            if text.startswith("[REDACTED:", pos):
                close = text.find("]", pos)
                pos = close + 1 if close > 0 else len(text)
                continue
            word = _WORD.match(text, pos)
            if word is None:
                break
            token = word.group().rstrip(".!?")
            pos = word.end()
            if looks_secret(token, strong=strong):
                spans.append((word.start(), word.start() + len(token)))
            if token != word.group():
                break  # the sentence ended
    if not spans:
        return text
    out, last = [], 0
    for start, end in spans:
        if start < last:
            continue
        out += [text[last:start], marker("secret")]
        last = end
    out.append(text[last:])
    return "".join(out)


_AWS_HINTS = ("AKIA", "ASIA", "[REDACTED:aws-access-key]", "ecret_access", "ECRET_ACCESS", "ws_secret", "WS_SECRET")
_AWS_ANCHOR = re.compile(
    r"(?<![A-Z0-9])A(?:KIA|SIA)[0-9A-Z]{16}(?![A-Z0-9])|\[REDACTED:aws-access-key\]|(?i:aws_?secret|secret_?access_?key)"
)
_AWS_SECRET = re.compile(r"(?<![A-Za-z0-9/+=_-])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=_-])")
_AWS_REACH = 240
"""How far (in characters) from its key id a secret access key is looked for: the same sentence or
the next lines of a credentials file, not anywhere in a long tool output."""


def redact_aws_secrets(text: str) -> str:
    """Mask 40-character secret access keys written near an AWS key id (or an ``aws_secret…`` name)."""
    if not any(hint in text for hint in _AWS_HINTS):
        return text
    anchors = [m.start() for m in _AWS_ANCHOR.finditer(text)]
    if not anchors:
        return text

    def sub(match: re.Match[str]) -> str:
        value = match.group()
        if not any(abs(a - match.start()) <= _AWS_REACH for a in anchors):
            return value
        mixed = any(c.islower() for c in value) and any(c.isupper() for c in value)
        digit = any(c.isdigit() for c in value)
        if mixed and digit and looks_secret(value, strong=True) and shannon_entropy(value) >= 3.5:
            return marker("aws-secret-key")
        return value

    return _AWS_SECRET.sub(sub, text)


# detect-secrets plugins for provider formats the token table does not list, by a substring each
# secret contains (the plugin's regexes run only when it is present).
_PLUGIN_HINTS = {
    "SendGridDetector": ("SG.", "sendgrid-key"),
    "SquareOAuthDetector": ("sq0csp-", "square-oauth"),
    "ArtifactoryDetector": ("AKC", "artifactory-token"),
    "AzureStorageKeyDetector": ("AccountKey=", "azure-storage-key"),
}


@cache
def _plugin_regexes() -> list[tuple[str, str, list[re.Pattern[str]]]]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.base import RegexBasedDetector

    # Every plugin named in _PLUGIN_HINTS is regex based (it has a denylist).
    plugins: list[Any] = list(get_mapping_from_secret_type_to_class().values())  # untyped in some releases
    by_name: dict[str, type[RegexBasedDetector]] = {
        cls.__name__: cls
        for cls in plugins
        if issubclass(cls, RegexBasedDetector)
    }
    return [
        (hint, kind, list(by_name[name]().denylist))
        for name, (hint, kind) in sorted(_PLUGIN_HINTS.items())
        if name in by_name
    ]


_TOKEN_CHARS = frozenset(string.ascii_letters + string.digits + "_-.+/=")
_LEADING_NAME = re.compile(r"^[\s\"':=]*(?:AccountKey=)?")


def redact_detect_secrets(text: str) -> str:
    """Mask tokens that detect-secrets' provider plugins (not in our table) recognise."""
    for hint, kind, regexes in _plugin_regexes():
        if hint not in text:
            continue
        for regex in regexes:
            spans = []
            for match in regex.finditer(text):
                value = match.group()
                lead_match = _LEADING_NAME.match(value)  # always matches (every part is optional)
                lead = lead_match.end() if lead_match else 0
                start, end = match.start() + lead, match.start() + len(value.rstrip(" \t\r\n\"'"))
                while end < len(text) and text[end] in _TOKEN_CHARS:
                    end += 1
                if end > start:
                    spans.append((start, end))
            for start, end in reversed(spans):
                text = text[:start] + marker(kind) + text[end:]
    return text


__all__ = ["looks_secret", "redact_aws_secrets", "redact_detect_secrets", "redact_near_keywords", "shannon_entropy"]
