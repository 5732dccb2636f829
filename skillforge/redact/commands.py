"""Passwords handed to commands on their command line, and ``.netrc`` entries.

A flag is read as a password only for the commands where it means one: ``-p`` is a password for
``mysql``/``sshpass``/``docker login`` but a port for ``ssh`` and "parents" for ``mkdir``; ``-u``
carries ``user:password`` for ``curl`` but "upstream" for ``git push``.
"""

from __future__ import annotations

import re

from skillforge.redact.patterns import is_placeholder, marker

_VALUE = r"""(?P<value>'[^'\n]*'|"[^"\n]*"|[^\s'"|;&]+)"""
# The rest of one command: up to a pipe, ;, & or end of line.
_SAME_COMMAND = r"[^\n;&|]*?\s"
# A command word stands alone: not inside a longer word, path or flag name ("-t http -u URL" is
# caught by the password check instead: "//host" is not a password).
_AT_COMMAND = r"(?<![\w.-])"

# user:password after curl -u/--user, httpie -a/--auth, wget/curl --proxy-user; any --auth/--basic-auth.
_USERINFO_FLAG = re.compile(
    r"(?:" + _AT_COMMAND + r"(?:curl|curlie|wget|http|https|xh)\b" + _SAME_COMMAND + r"(?:-u|--user|-a|--auth|-U|--proxy-user)"
    r"|(?<![\w-])--(?:basic-)?auth)(?:[ \t]+|=)" + _VALUE
)
# mysql -pPASS, mysql -p'PASS', mysql -p 'PASS' (a bare word after "-p " is the database name).
_MYSQL = re.compile(
    r"\b(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mariadb|mariadb-dump)\b"
    + _SAME_COMMAND
    + r"-p(?:(?P<attached>'[^'\n]*'|\"[^\"\n]*\"|[^\s'\"|;&-][^\s'\"|;&]*)|[ \t]+(?P<quoted>'[^'\n]*'|\"[^\"\n]*\"))"
)
# Commands whose -p (or -P) is always a password.
_PASSWORD_FLAG = re.compile(
    r"\b(?:sshpass|(?:docker|podman|nerdctl|buildah|skopeo|oras|helm[ \t]+registry)[ \t]+login|twine[ \t]+upload)\b"
    + _SAME_COMMAND
    + r"-p(?:[ \t]+|=)?"
    + _VALUE
)
_CAPITAL_P_FLAG = re.compile(r"\b(?:sqlcmd|bcp|osql)\b" + _SAME_COMMAND + r"-P[ \t]+" + _VALUE)
_COMMAND_WORDS = ("curl", "wget", "http", "xh", "auth", "mysql", "mariadb", "sshpass", "login", "twine", "sqlcmd", "bcp", "osql")
_NETRC = re.compile(r"(?m)((?:^[ \t]*|\blogin[ \t]+\S+[ \t]+)pass(?:word|wd)[ \t]+)(\S+)")
_NETRC_CONTEXT = re.compile(r"(?m)^[ \t]*(?:machine[ \t]+\S+|default\b)|\bmachine[ \t]+\S+[ \t]+login[ \t]")


def redact_command_passwords(text: str, lowered: str) -> str:
    """``text`` with passwords given as command-line flags and ``.netrc`` passwords masked.

    ``lowered`` is ``text.lower()`` (the caller has it): it gates the patterns cheaply.
    """
    if not any(word in lowered for word in _COMMAND_WORDS) and "machine" not in lowered:
        return text
    if "-u" in text or "-a" in text or "--" in text or "-U" in text:
        text = _USERINFO_FLAG.sub(_userinfo_sub, text)
    if "-p" in text or "-P" in text:
        text = _MYSQL.sub(_mysql_sub, text)
        text = _PASSWORD_FLAG.sub(_flag_sub, text)
        text = _CAPITAL_P_FLAG.sub(_flag_sub, text)
    if "machine" in lowered and "login" in lowered and _NETRC_CONTEXT.search(text):
        text = _NETRC.sub(_netrc_sub, text)
    return text


def _unquote(value: str) -> tuple[str, str]:
    if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]:
        return value[0], value[1:-1]
    return "", value


def _userinfo_sub(match: re.Match[str]) -> str:
    quote, value = _unquote(match.group("value"))
    user, colon, password = value.partition(":")
    if not colon or not password or is_placeholder(password) or password.isdigit() or "$" in value or password.startswith("//"):
        return match.group(0)  # curl -u admin (prompts), -u "$USER:$TOKEN", --user 1000:1000
    start = match.start("value") - match.start()
    return match.group(0)[:start] + f"{quote}{user}:{marker('password')}{quote}"


def _mysql_sub(match: re.Match[str]) -> str:
    group = "attached" if match.group("attached") is not None else "quoted"
    return _mask_group(match, group)


def _flag_sub(match: re.Match[str]) -> str:
    return _mask_group(match, "value")


def _mask_group(match: re.Match[str], group: str) -> str:
    value = match.group(group)
    quote, bare = _unquote(value)
    if not bare or bare.startswith("-") or is_placeholder(value) or "$" in bare:
        return match.group(0)
    start, end = match.start(group) - match.start(), match.end(group) - match.start()
    whole = match.group(0)
    return whole[:start] + f"{quote}{marker('password')}{quote}" + whole[end:]


def _netrc_sub(match: re.Match[str]) -> str:
    value = match.group(2)
    if is_placeholder(value) or value.lower() in ("is", "was", "for", "the", "and", "of"):
        return match.group(0)
    return match.group(1) + marker("password")
