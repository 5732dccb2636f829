"""``redact_text``: every rule family run over one string, cheapest gates first."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from skillforge.redact import commands, entropy
from skillforge.redact.patterns import (
    AUTH_HEADER_RE,
    BEARER_RE,
    DISCORD_TAIL,
    EMAIL_RE,
    GITLAB_PREFIXES,
    KEYWORD,
    KEYWORD_ANY_CASE,
    NAME_CHARS,
    PRIVATE_KEY_RE,
    PUTTY_PRIVATE_RE,
    SECRET_NAME_RE,
    SSH2_PRIVATE_KEY_RE,
    TOKENS,
    URL_PASSWORD_RE,
    URL_PORT_RE,
    URL_TOKEN_USER_RE,
    is_placeholder,
    kind_for_name,
    marker,
)

# An ANSI escape sequence (CSI, OSC, or a two-character one). Text is redacted piece by piece
# between them, so "\x1b[32mghp_…" still has a token boundary before the token.
_ANSI = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")


def redact_text(text: str, *, redact_emails: bool = False) -> str:
    """Return ``text`` with every secret replaced by a ``[REDACTED:<kind>]`` marker."""
    if not text:
        return text
    if _INVISIBLE.search(text) or "\\\n" in text or "\\\r\n" in text or _HARD_WRAP.search(text):
        return _redact_split_tokens(text, redact_emails)
    return _redact_visible(text, redact_emails)


# Zero-width and other invisible format characters. Inside a word one splits a token for every matcher
# ("ghp_abc\u200bdef…"), and neutralizing it later would print both halves around a visible escape.
_INVISIBLE = re.compile("[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]")
# Also a line break inside a word: a line continuation (backslash-newline: the shell, Python and C join
# the two lines with nothing between), or a hard wrap after a long token (a terminal or log viewer cut it
# at its width; judged by ``_hard_wrap``).
_INVISIBLE_IN_WORD = re.compile(
    "(?<=[\\w./+=-])(?:[\u00ad\u180e\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff]+|\\\\\r?\n)(?=[\\w./+=-])"
    "|(?<=[A-Za-z0-9_-]{16})\r?\n(?=[A-Za-z0-9_-])"
)
_HARD_WRAP = re.compile("[A-Za-z0-9_-]{16}\r?\n[A-Za-z0-9_-]")
_TOKEN_END = re.compile("[A-Za-z0-9_-]+\\Z")
_TOKEN_START = re.compile("[A-Za-z0-9_-]+")
_WRAPPED_TAIL = re.compile("[A-Za-z0-9_-]{6,}(?=[\\s\"'`]|\\Z)")


def _redact_split_tokens(text: str, redact_emails: bool) -> str:
    """Redact ``text`` as if an invisible character inside a word were not there, where that matters.

    An invisible run is dropped only when joining its two sides makes a secret that redaction masks
    across the join ("ghp_abc\u200bdef…"): it goes with the secret. Every other invisible character
    stays, for the poison checks to see (``pip i\u200bnstall``).
    """
    out = text
    # A bare line break is a candidate only where it may cut a token, so ordinary lines do not use up the 64.
    splits = (f for f in _INVISIBLE_IN_WORD.finditer(text)
              if not f.group().startswith(("\n", "\r")) or _hard_wrap(text, f.start(), f.end(), redact_emails))
    for found in reversed(list(itertools.islice(splits, 64))):
        lo, hi = max(0, found.start() - 200), min(len(text), found.end() + 200)
        window = text[lo : found.start()] + text[found.end() : hi]
        join = found.start() - lo
        masked = _redact_visible(window, redact_emails)
        if masked != window and _common_prefix(masked, window) < join and _common_prefix(masked[::-1], window[::-1]) < len(window) - join:
            out = out[: found.start()] + out[found.end() :]
    return _redact_visible(out, redact_emails)


def _hard_wrap(text: str, start: int, end: int, redact_emails: bool) -> bool:
    """The line break at ``text[start:end]`` may cut a token: the token before it holds a digit, and either
    it is no secret on its own (a prefix token cut short: ``ghp_…`` + the rest on the next line) or the
    line is long, as a wrapped one is, and the next line opens with a random-looking run (letters and
    digits up to a space). ``PATH=…`` or a word after a secret's line is not its tail."""
    line = text[text.rfind("\n", 0, start) + 1 : start]
    run = _TOKEN_END.search(line)
    if run is None or not any(ch.isdigit() for ch in run.group()):
        return False
    if _redact_visible(line, redact_emails).endswith(line[-8:]):
        rest = _TOKEN_START.match(text, end)
        joined = run.group() + (rest.group() if rest else "")
        return _redact_visible(joined, redact_emails).startswith("[REDACTED:")  # a token by its own shape
    tail = _WRAPPED_TAIL.match(text, end)
    return len(line) >= 60 and tail is not None and any(ch.isdigit() for ch in tail.group())


def _common_prefix(a: str, b: str) -> int:
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n


def _redact_visible(text: str, redact_emails: bool) -> str:
    if "\x1b" in text:
        pieces = _ANSI.split(text)
        if len(pieces) > 1:
            seps = _ANSI.findall(text)
            out = [_redact(pieces[0], redact_emails)]
            for sep, piece in zip(seps, pieces[1:], strict=False):
                out += [sep, _redact(piece, redact_emails)]
            return "".join(out)
    return _redact(text, redact_emails)


_GATES: dict[str, Callable[[str], object]] = {
    "gitlab-token": lambda text: any(prefix in text for prefix in GITLAB_PREFIXES),
    "discord-token": DISCORD_TAIL.search,
}


def _redact(text: str, redact_emails: bool) -> str:
    if not text:
        return text
    if "PRIVATE KEY" in text:
        text = PRIVATE_KEY_RE.sub(marker("private-key"), text)
        if "---- BEGIN SSH2" in text:
            text = SSH2_PRIVATE_KEY_RE.sub(marker("private-key"), text)
    if "Private-Lines:" in text:
        text = PUTTY_PRIVATE_RE.sub(lambda m: m.group(1) + marker("private-key"), text)
    # The AWS secret is recognised by its key id nearby, so it goes before the id is masked.
    text = entropy.redact_aws_secrets(text)
    for kind, literal, pattern in TOKENS:
        if literal in text and (kind not in _GATES or _GATES[kind](text)):
            text = pattern.sub(rf"\g<1>{marker(kind)}" if pattern.groups else marker(kind), text)
    text = entropy.redact_detect_secrets(text)
    lowered = text.lower()
    if "authorization" in lowered:
        text = AUTH_HEADER_RE.sub(_auth_sub, text)
    if "bearer" in lowered:
        text = BEARER_RE.sub(lambda m: m.group(1) + marker("bearer-token"), text)
    if "://" in text and "@" in text:
        text = _redact_urls(text)
    text = commands.redact_command_passwords(text, lowered)
    if "cookie" in lowered or " -b " in text:
        text = _redact_cookies(text)
    if any(word in lowered for word in ("pass", "secret", "token", "key", "cred", "pwd", "auth", "_pat", "-pat")):
        if "value" in lowered:
            text = _redact_name_value_pairs(text, text.lower())
        text = _redact_assignments(text)
        if "</" in text:
            text = _XML_ELEMENT.sub(_xml_sub, text)
        text = entropy.redact_near_keywords(text)
    if redact_emails and "@" in text:
        text = EMAIL_RE.sub(marker("email"), text)
    return text


# An XML element holding a secret: Maven's settings.xml ``<password>…</password>``, ``<apiKey>``, a CDATA value.
_XML_ELEMENT = re.compile(
    r"<(?P<name>[A-Za-z_][\w.:-]{0,80})(?P<attrs>\s[^<>]{0,200})?>"
    r"(?P<value><!\[CDATA\[[^\]\n]*\]\]>|[^<>\n]{3,})</(?P=name)\s*>"
)


def _xml_sub(match: re.Match[str]) -> str:
    name = match.group("name").rsplit(":", 1)[-1]
    value = match.group("value")
    inner = value[9:-3] if value.startswith("<![CDATA[") else value
    if not SECRET_NAME_RE.match(name) or len(inner.strip()) < 3 or is_placeholder(inner.strip()):
        return match.group(0)
    start, end = match.start("value") - match.start(), match.end("value") - match.start()
    whole = match.group(0)
    return whole[:start] + marker(kind_for_name(name)) + whole[end:]


# A cookie header or flag: "Cookie: a=1; sessionid=…", "Set-Cookie: …", curl -b/--cookie 'k=v'.
_COOKIES = re.compile(r"""(?i)(?:\b(?:set-)?cookie\\?["']?[ \t]*[:=]|--cookie(?:[ \t]+|=)|[ \t]-b[ \t]+)[ \t]*\\?["']?([^"'\n\\]*)""")
_COOKIE_PAIR = re.compile(r"([\w.$-]+)=([^;,\s]+)")


def _redact_cookies(text: str) -> str:
    """Mask cookie values that look random (session ids, auth cookies); ``lang=en`` stays."""

    def pairs(match: re.Match[str]) -> str:
        start = match.start(1) - match.start()
        head, body = match.group(0)[:start], match.group(1)
        masked = _COOKIE_PAIR.sub(
            lambda p: f"{p.group(1)}={marker('cookie')}" if entropy.looks_secret(p.group(2), strong=True) else p.group(0),
            body,
        )
        return head + masked

    return _COOKIES.sub(pairs, text)


def _auth_sub(match: re.Match[str]) -> str:
    prefix, scheme, value = match.group(1), match.group(2), match.group(3)
    if is_placeholder(value):
        return match.group(0)
    scheme_text = f"{scheme} " if scheme else ""
    kind = "bearer-token" if (scheme or "bearer").lower() in ("bearer", "token") else "password"
    return f"{prefix}{scheme_text}{marker(kind)}"


_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+.-")


def _redact_urls(text: str) -> str:
    """Mask the password (or token user) of every ``scheme://…@host`` URL, visiting each "://" once.

    Anchoring on the literal "://" is several times faster than letting a regex try every position.
    """
    out: list[str] = []
    last = 0
    at = text.find("://")
    while at >= 0:
        start = at
        while start > 0 and text[start - 1] in _SCHEME_CHARS:
            start -= 1
        match = None
        if start < at and start >= last and (start == 0 or not text[start - 1].isalnum()):
            match = URL_PASSWORD_RE.match(text, start) or URL_TOKEN_USER_RE.match(text, start)
        if match is not None:
            sub = _url_sub if match.re is URL_PASSWORD_RE else _url_token_sub
            out += [text[last:start], sub(match)]
            last = match.end()
        at = text.find("://", max(at + 3, last))
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _url_sub(match: re.Match[str]) -> str:
    scheme, user, password = match.group(1), match.group(2), match.group(3)
    if is_placeholder(password) or URL_PORT_RE.fullmatch(password):
        return match.group(0)  # a variable, or host:port/path@… with no user info at all
    return f"{scheme}{user}:{marker('password')}@"


def _url_token_sub(match: re.Match[str]) -> str:
    user = match.group(2)
    if not entropy.looks_secret(user, strong=True):
        return match.group(0)  # git@, deploy@, a plain user name
    return f"{match.group(1)}{marker('token')}@"


# A name/value pair whose name is the secret's: a Kubernetes or Compose env entry ("- name: DB_PASSWORD"
# then "value: …" on the next line) or the same in JSON ({"name": "API_TOKEN", "value": "…"}). Found
# from each "value" (str.find), then the name is looked for just before it.
_VALUE_AFTER = re.compile(r"""["']?[ \t]*:[ \t]*(?P<value>"[^"\n]*"|'[^'\n]*'|[^\s"',}\]]+)""")
_NAME_BEFORE = re.compile(
    r"""(?i)\b(?:name|key)["']?[ \t]*:[ \t]*["']?(?P<name>[A-Za-z0-9_.-]+)["']?[ \t]*"""
    r"""(?:,[ \t]*(?:\r?\n[ \t]*)?|\r?\n[ \t]*(?:-[ \t]+)?)["']?\Z"""
)


def _redact_name_value_pairs(text: str, lowered: str) -> str:
    if len(lowered) != len(text):
        return text
    out: list[str] = []
    last = 0
    at = lowered.find("value")
    while at >= 0:
        gap = at
        while gap > 0 and text[gap - 1] in " \t\"'-":
            gap -= 1
        # "value" starts a line or follows a comma ("- name: X\n  value:", "name": "X", "value":).
        after = _VALUE_AFTER.match(text, at + 5) if gap > 0 and text[gap - 1] in ",\n" else None
        if after is not None:
            before = _NAME_BEFORE.search(text, max(last, at - 300), at)
            value = after.group("value")
            if (
                before is not None
                and SECRET_NAME_RE.match(before.group("name"))
                and len(value.strip("\"'")) >= 3
                and not is_placeholder(value)
            ):
                quote = value[0] if value[0] in "\"'" and value[-1] == value[0] and len(value) > 1 else ""
                out += [text[last : after.start("value")], f"{quote}{marker(kind_for_name(before.group('name')))}{quote}"]
                last = after.end("value")
        at = lowered.find("value", max(at + 5, last))
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


# What follows a secret-looking name: NAME=value, NAME: value, "name": "value", \"name\": \"value\",
# --name value.
# Percent-encoded too (a form body or a query string quoted once more: ``password%3D…``,
# ``%22password%22%3A%22…%22``): the value then runs to the next ``&`` or ``%26``.
_TAIL = re.compile(
    r"""(?:\\?["']?|%22)(?P<sep>[ \t]*[:=][ \t]*|[ \t]+|%3[DdAa](?:%22)?)"""
    r"""(?P<value>\\"(?:[^"\\\n]|\\[^"\n])*\\"|"[^"\n]*"|'[^'\n]*'|(?<=%3[DdAa])[^\s"',;&)}\]\\%]+|"""
    r"""(?<=%22)[^\s"',;&)}\]\\%]+|[^\s"',;)}\]\\]+)"""
)
# After a one-word value, this looks like a type annotation (``api_key: SecretStr | None = None``).
_ANNOTATION = re.compile(r"[ \t]*(?:\|[ \t]*\w|=[ \t]*\S|\[)")
# A config line: the name starts it (YAML, INI, .env, ``export``); an unquoted value is the rest of it.
_LINE_START = re.compile(r"[ \t]*(?:-[ \t]+|export[ \t]+)?")
_CODE_CHARS = frozenset("=(){}[]<>;\"'`$\\")


def _redact_assignments(text: str) -> str:
    """Mask values assigned to secret-looking names: found by keyword, then checked around it."""
    out: list[str] = []
    last = 0
    lowered = text.lower()
    # lower() keeps positions except for a few characters (e.g. "İ"); then search the text itself.
    matches = KEYWORD.finditer(lowered) if len(lowered) == len(text) else KEYWORD_ANY_CASE.finditer(text)
    for match in matches:
        end = match.end()
        if end < len(text) and (text[end].isalnum() or text[end] == "_"):
            continue  # the keyword is inside a longer name (max_tokens, token_count)
        start = match.start()
        while start > 0 and text[start - 1] in NAME_CHARS:
            start -= 1
        if start < last:
            continue
        name = text[start:end]
        flag = name.startswith("-")
        tail = _TAIL.match(text, end)
        if tail is None:
            continue
        separator, value = tail.group("sep"), tail.group("value")
        assigned = ":" in separator or "=" in separator or "%3" in separator
        if not assigned and (not flag or value.startswith("-")):
            continue  # "the token expired" is prose, not an assignment
        bare = value.replace('\\"', "").strip("\"'")
        if len(bare) < 3 or is_placeholder(value) or "[REDACTED:" in value:
            continue
        value_end = tail.end("value")
        quoted = value[0] in "\"'\\"
        if not quoted and ":" in separator and _ANNOTATION.match(text, value_end):
            continue
        if not quoted and assigned and _LINE_START.fullmatch(text, text.rfind("\n", 0, start) + 1, start):
            value_end = _rest_of_line(text, value_end)
        quote = ""
        if value.startswith('\\"') and value.endswith('\\"') and len(value) > 3:
            quote = '\\"'
        elif value[0] in "\"'" and value[-1] == value[0] and len(value) > 1:
            quote = value[0]
        out.append(text[last : tail.start("value")])
        out.append(f"{quote}{marker(kind_for_name(name.lstrip('-')))}{quote}")
        last = value_end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


def _rest_of_line(text: str, value_end: int) -> int:
    """Where a config line's unquoted value ends: ``password: two words here`` is one value.

    Only plain text extends the value; anything code-like after the first word keeps the old end.
    """
    eol = text.find("\n", value_end)
    eol = len(text) if eol < 0 else eol
    rest = text[value_end:eol]
    comment = rest.find(" #")
    if comment >= 0:
        rest = rest[:comment]
    rest = rest.rstrip()
    if not rest or any(ch in _CODE_CHARS for ch in rest):
        return value_end
    return value_end + len(rest)
