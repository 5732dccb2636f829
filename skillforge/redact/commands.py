"""Passwords handed to commands on their command line, and ``.netrc`` entries.

A flag is read as a password only for the commands where it means one: ``-p`` is a password for
``mysql``/``mongosh``/``sshpass``/``docker login`` but a port for ``ssh`` and "parents" for ``mkdir``; ``-u``
carries ``user:password`` for ``curl`` but "upstream" for ``git push``. Each rule finds the flag
first (a cheap literal) and then checks which command the flag belongs to.
"""

from __future__ import annotations

import functools
import re

from skillforge.redact.patterns import is_placeholder, marker

_VALUE = r"""(?P<value>'[^'\n]*'|"[^"\n]*"|[^\s'"|;&]+)"""
# user:password after curl -u/--user, httpie -a/--auth, --proxy-user; --auth/--basic-auth anywhere.
_USERINFO_FLAG = re.compile(r"[ \t](?P<flag>-u|--user|-a|--auth|-U|--proxy-user|--basic-auth)(?:[ \t]+|=)" + _VALUE)
_USERINFO_COMMANDS = re.compile(r"(?<![\w.-])(?:curl|curlie|wget|http|https|xh)\b")
# -p with a value: attached (-pPW, -p'PW') or separate (-p PW, -p 'PW').
_P_FLAG = re.compile(
    r"[ \t]-p(?:(?P<attached>'[^'\n]*'|\"[^\"\n]*\"|[^\s'\"|;&-][^\s'\"|;&]*)|(?:[ \t]+|=)(?P<separate>'[^'\n]*'|\"[^\"\n]*\"|[^\s'\"|;&]+))"
)
_MYSQL = re.compile(r"(?<![\w.-])(?:mysql|mysqldump|mysqladmin|mysqlimport|mysqlshow|mysqlcheck|mariadb|mariadb-dump)\b")
_P_IS_PASSWORD = re.compile(
    r"(?<![\w.-])(?:sshpass|(?:docker|podman|nerdctl|buildah|skopeo|oras|helm[ \t]+registry)[ \t]+login|twine[ \t]+upload)\b"
)
_MONGO = re.compile(r"(?<![\w.-])mongo(?:sh|dump|restore|export|import|stat|top|files)?(?![\w.-])")
_PORTS = re.compile(r"[\d.:]+(?:/(?:tcp|udp))?")  # docker run --name mongo -p 27017:27017
_REDIS = re.compile(r"(?<![\w.-])(?:redis-cli|valkey-cli|keydb-cli)\b")
_LFTP = re.compile(r"(?<![\w.-])lftp\b|(?<![\w.-])open[ \t]")
# Samba's user%password: smbclient -U admin%PW, --user=admin%PW, -Uadmin%PW.
_SAMBA_USER = re.compile(r"[ \t](?:-U[ \t]*|--user(?:name)?(?:[ \t]+|=))" + _VALUE)
_SAMBA = re.compile(r"(?<![\w.-])(?:smbclient|rpcclient|smbcacls|smbget|smbmap|smbpasswd|mount\.cifs|net[ \t]+(?:rpc|ads))\b")
# echo 'PW' | docker login --password-stdin; docker login --password-stdin <<< 'PW'.
_STDIN_ECHO = re.compile(
    r"(?<![\w.-])(?:echo|printf)(?P<args>(?:[ \t]+(?:'[^'\n]*'|\"[^\"\n]*\"|[^\s'\"|;&<>]+))+)[ \t]*\|[^|\n;&]*?--(?:password-stdin|with-token)\b"
)
_STDIN_HERE = re.compile(r"--(?:password-stdin|with-token)\b[^|\n;&]*?<<<[ \t]*" + _VALUE)
_ARG = re.compile(r"""'[^'\n]*'|"[^"\n]*"|[^\s'"]+""")
# A .pgpass line, host:port:database:user:password; masked only in a text about a .pgpass file.
_PGPASS_LINE = re.compile(
    r"""(?m)((?:^|[ \t'"]|<<<[ \t]*)[A-Za-z0-9_.*\[\]-]+:(?:\d{1,5}|\*):[^:\s'"]+:[^:\s'"]+:)((?:\\:|[^\s'"])+)"""
)
_CAPITAL_P_FLAG = re.compile(r"[ \t]-P[ \t]+" + _VALUE)
_CAPITAL_P_COMMANDS = re.compile(r"(?<![\w.-])(?:sqlcmd|bcp|osql)\b")
_NETRC = re.compile(r"(?m)((?:^[ \t]*|\blogin[ \t]+\S+[ \t]+)pass(?:word|wd)[ \t]+)(\S+)")
_NETRC_CONTEXT = re.compile(r"(?m)^[ \t]*(?:machine[ \t]+\S+|default\b)|\bmachine[ \t]+\S+[ \t]+login[ \t]")
# Commands that take a password as a flag of their own (the flag means something else elsewhere):
# (literal gating it, the command, the flag with its value). ``pass:`` (openssl, apksigner) prefixes the
# value; ``env:``/``file:``/``fd:`` name where it is, which is kept.
_OWN_FLAGS: list[tuple[str, re.Pattern[str], re.Pattern[str]]] = [
    (lit, re.compile(command), re.compile(r"(?:" + flag + r")(?:pass:)?" + _VALUE))
    for lit, command, flag in [
        ("pass", r"(?<![\w.-])(?:keytool|jarsigner|apksigner)\b",
         r"[ \t]-{1,2}(?:(?:src|dest|new)?(?:store|key)pass|ks-pass|key-pass)(?:[ \t]+|=)"),
        ("openssl", r"(?<![\w.-])openssl\b", r"[ \t]-(?:passin|passout|pass|password|k)[ \t]+"),
        ("ssh-keygen", r"(?<![\w.-])ssh-keygen\b", r"[ \t]-[NP][ \t]+"),
        ("zip", r"(?<![\w.-])(?:zip|unzip|zipcloak|funzip)\b", r"[ \t]-P[ \t]+"),
        ("7z", r"(?<![\w.-])7z[ar]?\b", r"[ \t]-p(?=[^\s-])"),
        ("rar", r"(?<![\w.-])(?:un)?rar\b", r"[ \t]-h?p(?=[^\s-])"),
        ("ldap", r"(?<![\w.-])ldap\w+\b", r"[ \t]-w[ \t]+"),
        ("user", r"(?<![\w.-])(?:useradd|usermod)\b", r"[ \t]-p[ \t]+"),
        ("rabbitmqctl", r"(?<![\w.-])rabbitmqctl\b", r"[ \t](?:add_user|change_password)[ \t]+\S+[ \t]+"),
        ("net", r"(?<![\w.-])net(?:\.exe)?\b", r"[ \t]user[ \t]+[^\s/]+[ \t]+"),
        ("htpasswd", r"(?<![\w.-])htpasswd\b", r"[ \t]-\w*n\w*b\w*[ \t]+\S+[ \t]+|[ \t]-\w*b\w*[ \t]+\S+[ \t]+\S+[ \t]+"),
    ]
]
_KEPT_SOURCE = re.compile(r"^['\"]?(?:env|file|fd|stdin)(?::|['\"]?$)")
# SQL: CREATE/ALTER USER … IDENTIFIED BY 'PW' (MySQL, Oracle), … IDENTIFIED BY PASSWORD 'hash'.
_IDENTIFIED_BY = re.compile(r"(?i)\bidentified[ \t]+(?:with[ \t]+\w+[ \t]+)?by[ \t]+(?:password[ \t]+)?" + _VALUE)
# Oracle's user/password@service: sqlplus scott/PW@db, jdbc:oracle:thin:scott/PW@host:1521/ORCL.
_ORACLE_LOGIN = re.compile(
    r"(?:jdbc:oracle:(?:thin|oci8?):|(?<![\w.-])(?:sqlplus|rman|expdp|impdp|exp|imp|sqlldr|dgmgrl)(?:[ \t]+-\w+)*[ \t]+['\"]?)"
    r"[\w$#.]+/(?P<value>[^\s/@'\"]+)@"
)
_USERINFO_GATES = (" -u", " --user", " -a", " --auth", " -U", " --proxy-user", " --basic-auth", "\t-")


def redact_command_passwords(text: str, lowered: str) -> str:
    """``text`` with passwords given as command-line flags and ``.netrc`` passwords masked.

    ``lowered`` is ``text.lower()`` (the caller has it): it gates the patterns cheaply.
    """
    if any(gate in text for gate in _USERINFO_GATES):
        text = _USERINFO_FLAG.sub(lambda m: _userinfo_sub(m, text), text)
    if " -p" in text or "\t-p" in text:
        text = _P_FLAG.sub(lambda m: _p_sub(m, text), text)
    if " -P" in text:
        text = _CAPITAL_P_FLAG.sub(lambda m: _capital_p_sub(m, text), text)
    if "machine" in lowered and "login" in lowered and _NETRC_CONTEXT.search(text):
        text = _NETRC.sub(_netrc_sub, text)
    if "%" in text and (" -U" in text or " --user" in text):
        text = _SAMBA_USER.sub(lambda m: _samba_sub(m, text), text)
    if "--password-stdin" in text or "--with-token" in text:
        text = _STDIN_ECHO.sub(_stdin_echo_sub, text)
        if "<<<" in text:
            text = _STDIN_HERE.sub(lambda m: _mask(m, "value"), text)
    if "pgpass" in lowered:
        text = redact_pgpass(text)
    for literal, command, flag in _OWN_FLAGS:
        if literal in lowered and command.search(text):
            text = flag.sub(functools.partial(_own_flag_sub, text=text, command=command), text)
    if "identified" in lowered:
        text = _IDENTIFIED_BY.sub(lambda m: _mask(m, "value"), text)
    if "/" in text and "@" in text and ("oracle" in lowered or any(c in lowered for c in _ORACLE_TOOLS)):
        text = _ORACLE_LOGIN.sub(lambda m: _mask(m, "value"), text)
    return text


_ORACLE_TOOLS = ("sqlplus", "rman", "expdp", "impdp", "exp ", "imp ", "sqlldr", "dgmgrl")


def _own_flag_sub(match: re.Match[str], text: str, command: re.Pattern[str]) -> str:
    if not command.search(_command_of(text, match.start())) or _KEPT_SOURCE.match(match.group("value")):
        return match.group(0)
    return _mask(match, "value")


def redact_pgpass(text: str) -> str:
    """``text`` with the password of every ``host:port:database:user:password`` line masked.

    Only for a text known to be about a ``.pgpass`` file: compiler output (``x.c:12:5:error:msg``)
    has the same shape.
    """
    return _PGPASS_LINE.sub(_pgpass_sub, text)


def _pgpass_sub(match: re.Match[str]) -> str:
    value = match.group(2)
    if is_placeholder(value) or "$" in value:
        return match.group(0)
    return match.group(1) + marker("password")


def _samba_sub(match: re.Match[str], text: str) -> str:
    if not _SAMBA.search(_command_of(text, match.start())):
        return match.group(0)
    return _split_mask(match, "%")


def _split_mask(match: re.Match[str], separator: str) -> str:
    """Mask what follows ``separator`` in the value: ``admin%PW``, ``user,PW``."""
    quote, value = _unquote(match.group("value"))
    user, sep, password = value.partition(separator)
    if not sep or not password or is_placeholder(password) or "$" in password:
        return match.group(0)
    return _replace(match, "value", f"{quote}{user}{sep}{marker('password')}{quote}")


def _stdin_echo_sub(match: re.Match[str]) -> str:
    args = match.group("args")
    printf = match.group(0).startswith("printf")

    def arg_sub(arg: re.Match[str]) -> str:
        quote, bare = _unquote(arg.group())
        if not bare or bare.startswith("-") or "$" in bare or is_placeholder(arg.group()) or (printf and "%" in bare):
            return arg.group()
        return f"{quote}{marker('password')}{quote}"

    masked = _ARG.sub(arg_sub, args)
    start = match.start("args") - match.start()
    whole = match.group(0)
    return whole[:start] + masked + whole[start + len(args) :]


def _command_of(text: str, pos: int) -> str:
    """The command ``pos`` belongs to: from the last line end, pipe, ``;`` or ``&`` up to ``pos``."""
    start = max(text.rfind(sep, 0, pos) for sep in ("\n", "|", ";", "&")) + 1
    return text[start:pos]


def _unquote(value: str) -> tuple[str, str]:
    if len(value) > 1 and value[0] in "'\"" and value[-1] == value[0]:
        return value[0], value[1:-1]
    return "", value


def _userinfo_sub(match: re.Match[str], text: str) -> str:
    flag, command = match.group("flag"), _command_of(text, match.start())
    if flag == "-a" and _REDIS.search(command):
        return _mask(match, "value")  # redis-cli -a PW: the password alone
    if flag == "-u" and _LFTP.search(command):
        return _split_mask(match, ",")  # lftp -u user,PW
    if not flag.endswith("auth") and not _USERINFO_COMMANDS.search(command):
        return match.group(0)  # git push -u origin, docker run -u 1000:1000
    quote, value = _unquote(match.group("value"))
    user, colon, password = value.partition(":")
    if not colon or not password or is_placeholder(password) or password.isdigit() or "$" in value or password.startswith("//"):
        return match.group(0)  # curl -u admin (prompts), -u "$USER:$TOKEN", -t http -u https://host
    return _replace(match, "value", f"{quote}{user}:{marker('password')}{quote}")


def _p_sub(match: re.Match[str], text: str) -> str:
    command = _command_of(text, match.start())
    if _P_IS_PASSWORD.search(command):
        group = "attached" if match.group("attached") is not None else "separate"
    elif _MONGO.search(command):
        group = "attached" if match.group("attached") is not None else "separate"
        if _PORTS.fullmatch(match.group(group)) or "://" in match.group(group):
            return match.group(0)
    elif _MYSQL.search(command):
        # mysql -p db_name: a bare word after "-p " is the database; a quoted one is the password.
        group = "attached" if match.group("attached") is not None else "separate"
        if group == "separate" and match.group("separate")[0] not in "'\"":
            return match.group(0)
    else:
        return match.group(0)  # mkdir -p, ssh -p 22, docker run -p 8080:80, pytest -p no:cacheprovider
    return _mask(match, group)


def _capital_p_sub(match: re.Match[str], text: str) -> str:
    if not _CAPITAL_P_COMMANDS.search(_command_of(text, match.start())):
        return match.group(0)
    return _mask(match, "value")


def _mask(match: re.Match[str], group: str) -> str:
    value = match.group(group)
    quote, bare = _unquote(value)
    if not bare or bare.startswith("-") or is_placeholder(value) or "$" in bare:
        return match.group(0)
    return _replace(match, group, f"{quote}{marker('password')}{quote}")


def _replace(match: re.Match[str], group: str, new: str) -> str:
    whole, base = match.group(0), match.start()
    return whole[: match.start(group) - base] + new + whole[match.end(group) - base :]


def _netrc_sub(match: re.Match[str]) -> str:
    value = match.group(2)
    if is_placeholder(value) or value.lower() in ("is", "was", "for", "the", "and", "of"):
        return match.group(0)
    return match.group(1) + marker("password")
