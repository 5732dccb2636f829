"""Secrets in text: detect-secrets' plugins run line by line, plus skillforge's own redaction rules.

detect-secrets is used as a library: its plugin classes and heuristic filters are called directly,
with no baseline file and no global settings (its ``scan_line`` mutates a process-wide singleton).
Verification (network calls to providers) is never run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from skillforge.models.scan import Severity
from skillforge.redact import marker, redact_text
from skillforge.scan.detect import Hit
from skillforge.scan.text import MAX_SCAN_LINE, excerpt, windows

if TYPE_CHECKING:  # detect-secrets is imported lazily, inside the functions that use it
    from detect_secrets.plugins.base import BasePlugin

# detect-secrets plugins by class name -> severity. Entropy-only detectors and public IPs are left
# out: in traces full of hashes, ids and base64 payloads they flag everything and find nothing.
_PLUGINS: dict[str, Severity] = {
    "AWSKeyDetector": "high",
    "ArtifactoryDetector": "high",
    "AzureStorageKeyDetector": "high",
    "DiscordBotTokenDetector": "high",
    "GitHubTokenDetector": "high",
    "GitLabTokenDetector": "high",
    "MailchimpDetector": "high",
    "NpmDetector": "high",
    "OpenAIDetector": "high",
    "PrivateKeyDetector": "high",
    "PypiTokenDetector": "high",
    "SendGridDetector": "high",
    "SlackDetector": "high",
    "SquareOAuthDetector": "high",
    "StripeDetector": "high",
    "TelegramBotTokenDetector": "high",
    "TwilioKeyDetector": "high",
    "BasicAuthDetector": "medium",
    "JwtTokenDetector": "medium",
    "KeywordDetector": "medium",
}

# skillforge.redact marker kinds -> severity: provider-specific formats are near-certain secrets;
# assignments and headers are likely ones.
_REDACT_HIGH = {
    "anthropic-key",
    "openai-key",
    "stripe-key",
    "aws-access-key",
    "aws-secret-key",
    "github-token",
    "slack-token",
    "slack-webhook",
    "google-api-key",
    "huggingface-token",
    "private-key",
}
_MARKER = re.compile(r"\[REDACTED:([a-z0-9-]+)\]")
# Cheap pre-checks so most lines never reach the ~20 detector regexes: substrings every secret
# format or keyword contains, and the few token shapes that have no keyword at all.
_HINT_WORDS = (
    "pass",
    "secret",
    "token",
    "key",
    "auth",
    "cred",
    "akia",
    "asia",
    "sk-",
    "sk_",
    "gh",
    "glpat",
    "xox",
    "eyj",
    "private",
    "npm_",
    "pypi-",
    "sg.",
    "aiza",
    "hf_",
    "sq0",
    "artifactory",
    "akc",
    "endpointsprotocol",
    "@",
    # password flags on command lines and .netrc entries (see skillforge.redact.commands)
    " -u",
    " -p",
    " -a",
    "--user",
    "--auth",
    "machine",
    "pwd",
    "xapp-",
)
_HINT_SHAPES = re.compile(
    r"[MN][A-Za-z\d]{23}\.|\d{8,10}:[\w-]{30}|AC[a-z0-9]{32}|SK[a-z0-9]{32}|[0-9a-z]{32}-us\d"
)


def _worth_scanning(line: str) -> bool:
    lower = line.lower()
    return any(w in lower for w in _HINT_WORDS) or bool(_HINT_SHAPES.search(line))


# Documentation is full of fake values: "your-api-key", "ghp_...", "abc123", "${TOKEN}", a variable
# name. Specific-format detectors (high) do not need this; the guessing ones (medium) do.
_PLACEHOLDER = re.compile(
    r"(?i)your|example|placeholder|change_?me|dummy|sample|redacted|here|xxx|\.\.\.|…|[<>{}$()\[\]*]|environ|getenv|"
    r"process\.env|^(abc|token|secret|password|passwd|pass|test|demo|foo|bar|my|fake)[a-z_-]*\d*$"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z_.]*$")


def _placeholder(value: str) -> bool:
    bare = value.strip("\"'` ")
    return len(bare) < 6 or bool(_PLACEHOLDER.search(bare)) or bool(_IDENTIFIER.match(bare))


# Lower-case substrings a plugin's secrets always contain; plugins not listed run on every line.
_PLUGIN_HINTS: dict[str, tuple[str, ...]] = {
    "AWSKeyDetector": ("akia", "asia", "abia", "acca", "a3t", "aws"),
    "AzureStorageKeyDetector": ("accountkey",),
    "GitHubTokenDetector": ("gh", "github_pat"),
    "GitLabTokenDetector": ("gl", "gr1348941"),
    "NpmDetector": ("npm_", "authtoken"),
    "OpenAIDetector": ("sk-", "t3blbkfj"),
    "PrivateKeyDetector": ("private key", "ssh2 encrypted", "putty-user-key"),
    "PypiTokenDetector": ("pypi-",),
    "SendGridDetector": ("sg.",),
    "SlackDetector": ("xox", "hooks.slack"),
    "SquareOAuthDetector": ("sq0",),
    "StripeDetector": ("sk_", "rk_"),
    "BasicAuthDetector": ("://",),
    "JwtTokenDetector": ("eyj",),
    "KeywordDetector": ("pass", "secret", "token", "key", "auth", "cred", "pwd"),
}


@dataclass(frozen=True)
class _Candidate:
    line: int
    start: int
    end: int
    kind: str
    severity: Severity


@cache
def _plugins() -> list[tuple[BasePlugin, Severity]]:
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class

    plugins: list[Any] = list(get_mapping_from_secret_type_to_class().values())  # untyped in some releases
    by_name: dict[str, type[BasePlugin]] = {cls.__name__: cls for cls in plugins}
    return [(by_name[name](), sev) for name, sev in sorted(_PLUGINS.items()) if name in by_name]


@cache
def _filters() -> tuple[Any, ...]:
    from detect_secrets.filters import heuristic

    return (
        heuristic.is_sequential_string,
        heuristic.is_potential_uuid,
        heuristic.is_templated_secret,
        heuristic.is_prefixed_with_dollar_sign,
        heuristic.is_not_alphanumeric_string,
    )


def scan_secrets(text: str, filename: str = "text.txt") -> list[Hit]:
    """One hit per secret found in ``text``; the excerpt masks the secret and names its kind."""
    hits: list[Hit] = []
    for lineno, raw in enumerate(text.split("\n"), start=1):
        seen_values: set[str] = set()
        for line in windows(raw):
            if not _worth_scanning(line):
                continue
            candidates = _dedupe(_detect_secrets(line, lineno, filename) + _redaction_rules(line, lineno))
            found = [c for c in candidates if c.severity == "high" or not _placeholder(line[c.start : c.end])]
            if not found:
                continue
            # Every excerpt masks every candidate of the line, not only its own, and also the ones
            # judged placeholders: "wJal…EXAMPLEKEY" is dropped as a finding but never printed.
            shown, offsets = _masked(line, candidates)
            for cand, (lo, hi) in zip(candidates, offsets, strict=False):
                if cand not in found:
                    continue
                value = line[cand.start : cand.end]
                if value in seen_values:
                    continue
                seen_values.add(value)
                detail = f"{cand.kind}: " + excerpt(shown, lo, hi, width=72)
                rule_id = "secret" if cand.severity == "high" else "possible-secret"
                hits.append(Hit(rule_id, lineno, cand.start, cand.end, severity=cand.severity, detail=detail))
    return hits


def _detect_secrets(line: str, lineno: int, filename: str) -> list[_Candidate]:
    from detect_secrets.filters import heuristic

    out = []
    lower = line.lower()
    for plugin, severity in _plugins():
        name = type(plugin).__name__
        hints = _PLUGIN_HINTS.get(name)
        if hints is not None and not any(h in lower for h in hints):
            continue  # this format's fixed prefix is absent: its regex cannot match
        try:
            found = plugin.analyze_line(filename=filename, line=line, line_number=lineno)
        except Exception:  # noqa: BLE001, S112 - one plugin's regex quirk must not cost the whole scan
            continue
        # "secret = get_secret()" names a secret without holding one; only the keyword detector cares.
        if found and name == "KeywordDetector" and heuristic.is_indirect_reference(line):
            continue
        for secret in found:
            value = secret.secret_value or ""
            if not value or any(f(value) for f in _filters()):
                continue
            if heuristic.is_likely_id_string(value, line, plugin):
                continue
            start = line.find(value)
            if start < 0:
                continue
            lo, hi = _widen(line, start, start + len(value))
            out.append(_Candidate(lineno, lo, hi, secret.type, severity))
    return out


def _redaction_rules(line: str, lineno: int) -> list[_Candidate]:
    redacted = redact_text(line)
    if redacted == line:
        return []
    # The text between markers is copied verbatim, so the original line matches the redacted one
    # with each marker turned into a group: the groups are the secrets' spans.
    pieces = _MARKER.split(redacted)
    literals, kinds = pieces[0::2], pieces[1::2]
    pattern = "(.+?)".join(re.escape(lit) for lit in literals)
    m = re.fullmatch(pattern, line, re.DOTALL)
    if m is None:
        return []
    return [
        _Candidate(lineno, m.start(i + 1), m.end(i + 1), kind, "high" if kind in _REDACT_HIGH else "medium")
        for i, kind in enumerate(kinds)
    ]


_WORD_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_TAIL_CHARS = _WORD_CHARS | frozenset("+/=.")


def _widen(line: str, start: int, end: int) -> tuple[int, int]:
    """detect-secrets reports some tokens by a regex group (just ``ghp``); extend to the whole token."""
    while start > 0 and line[start - 1] in _WORD_CHARS:
        start -= 1
    while end < len(line) and line[end] in _TAIL_CHARS:
        end += 1
    return start, end


def _masked(line: str, cands: list[_Candidate]) -> tuple[str, list[tuple[int, int]]]:
    """``line`` with each candidate replaced whole by ``[REDACTED:<kind>]`` (not one character of a
    secret is shown), and where each marker sits in the result."""
    parts, offsets, pos, length = [], [], 0, 0
    for c in cands:  # sorted by start, non-overlapping
        parts.append(line[pos : c.start])
        length += c.start - pos
        masked = marker(_short_kind(c.kind))
        offsets.append((length, length + len(masked)))
        parts.append(masked)
        length += len(masked)
        pos = c.end
    parts.append(line[pos:])
    return "".join(parts), offsets


def _short_kind(kind: str) -> str:
    """A marker kind from a detect-secrets type ("AWS Access Key" -> "aws-access-key")."""
    return re.sub(r"[^a-z0-9]+", "-", kind.lower()).strip("-") or "secret"


def mask_secrets(text: str) -> str:
    """``text`` with every secret the scanner would report (or drop as a placeholder) masked whole.

    For any detector that shows a line in a finding: a line holding a secret is never printed raw.
    """
    out = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if len(line) > MAX_SCAN_LINE:
            out.append(redact_text(line))  # too long for the detectors: the redaction rules still run
            continue
        if not _worth_scanning(line):
            out.append(line)
            continue
        candidates = _dedupe(_detect_secrets(line, lineno, "text.txt") + _redaction_rules(line, lineno))
        out.append(_masked(line, candidates)[0] if candidates else line)
    return "\n".join(out)


def _dedupe(cands: list[_Candidate]) -> list[_Candidate]:
    """Overlapping spans are one secret: keep the most severe, then the widest."""
    ordered = sorted(cands, key=lambda c: (c.severity != "high", -(c.end - c.start), c.start, c.kind))
    kept: list[_Candidate] = []
    for c in ordered:
        if any(c.start < k.end and k.start < c.end for k in kept):
            continue
        kept.append(c)
    return sorted(kept, key=lambda c: c.start)
