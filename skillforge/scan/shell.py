"""A small, forgiving shell parser: enough structure to judge what a command does.

It turns shell text into pipelines of simple commands with quote-removed words, redirections, and
the scripts nested in ``$(...)``, backticks, ``<(...)``/``>(...)`` and ``( ... )``/``{ ...; }``. It
never raises: unbalanced quotes or parentheses end at the end of the text, unknown syntax becomes
words. (bashlex is GPLv3 and refuses input it does not understand; a scanner that gives up on odd
syntax is a scanner an attacker can walk past.)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

MAX_DEPTH = 24
"""Nesting of substitutions and groups followed; deeper text is kept as plain words."""

_PLAIN = re.compile(r"[^\s'\"\\$`<>|&;()]+")
_OPS = ("|&", "||", "&&", ";;", "|", "&", ";")
_REDIR = re.compile(r"(\d*)(&>>|&>|>>|>\||>&|<&|<<<|<<-|<<|<>|>|<)")
_KEYWORDS_SKIP = frozenset({"if", "then", "else", "elif", "do", "while", "until", "!", "{", "time", "RUN"})
_KEYWORDS_END = frozenset({"fi", "done", "esac", "}", "]]"})
_ANSI_C = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "e": "\x1b", "E": "\x1b", "v": "\v", "f": "\f"}


@dataclass
class Word:
    """One shell word: ``text`` with quotes removed (expansions such as ``$HOME`` kept as written)."""

    text: str
    quoted: bool = False
    subs: list[Script] = field(default_factory=list)
    """Scripts run by command substitutions inside the word (``$(...)``, backticks)."""
    proc: str | None = None
    """``<`` or ``>`` when the whole word is a process substitution; its script is ``subs[0]``."""


@dataclass
class Redirect:
    op: str
    fd: str
    target: Word


@dataclass
class Command:
    """A simple command (``words``) or a group/subshell (``body``), with its redirections."""

    line: int
    words: list[Word] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)
    assigns: list[tuple[str, Word]] = field(default_factory=list)
    body: Script | None = None


@dataclass
class Pipeline:
    commands: list[Command]
    line: int


Script = list[Pipeline]


def parse(text: str, line: int = 1) -> Script:
    """The pipelines of ``text`` in order (``;``, ``&&``, ``||``, ``&`` and newlines separate them)."""
    return _Parser(text, line, 0).script(end=None)


def walk(script: Script) -> list[Command]:
    """Every command of ``script``, nested ones (substitutions, groups) after their parent."""
    out: list[Command] = []
    for pipeline in script:
        for cmd in pipeline.commands:
            out.append(cmd)
            if cmd.body is not None:
                out.extend(walk(cmd.body))
            for w in [*cmd.words, *(r.target for r in cmd.redirects), *(v for _, v in cmd.assigns)]:
                for sub in w.subs:
                    out.extend(walk(sub))
    return out


class _Parser:
    def __init__(self, text: str, line: int, depth: int) -> None:
        self.s = text
        self.i = 0
        self.line = line
        self.depth = depth
        self.heredocs: list[tuple[Redirect, str, bool]] = []

    # -- structure -----------------------------------------------------------------------------
    def script(self, end: str | None) -> Script:
        out: Script = []
        commands: list[Command] = []
        while True:
            self._blank()
            if self.i >= len(self.s):
                break
            ch = self.s[self.i]
            if end is not None and ch == end:
                self.i += 1
                break
            if ch == "\n":
                self._newline()
                if commands:
                    out.append(Pipeline(commands, commands[0].line))
                    commands = []
                continue
            if ch == "#":
                while self.i < len(self.s) and self.s[self.i] != "\n":
                    self.i += 1
                continue
            op = next((o for o in _OPS if self.s.startswith(o, self.i)), None)
            if op is not None:
                self.i += len(op)
                if op in ("|", "|&"):
                    continue  # the next command joins this pipeline
                if commands:
                    out.append(Pipeline(commands, commands[0].line))
                    commands = []
                continue
            if ch == ")":
                self.i += 1  # a stray ')' (case patterns, unbalanced text): skip it
                continue
            before = self.i
            cmd = self.command(end)
            if cmd is not None:
                commands.append(cmd)
            elif self.i == before:
                self.i += 1  # nothing this parser understands here; never stop making progress
        if commands:
            out.append(Pipeline(commands, commands[0].line))
        return out

    def command(self, end: str | None) -> Command | None:
        cmd = Command(line=self.line)
        while True:
            self._blank()
            if self.i >= len(self.s):
                break
            ch = self.s[self.i]
            if ch in "\n;|&" and not self.s.startswith(("&>", "&>>"), self.i):
                break
            if end is not None and ch == end:
                break
            if ch == "#" and not cmd.words:
                break
            if ch == "(" and not cmd.words and not self.s.startswith("((", self.i):
                self.i += 1
                cmd.body = self._nested(")")
                continue
            if ch == ")":
                if end is None:
                    self.i += 1
                break
            m = _REDIR.match(self.s, self.i)
            if m and not self.s.startswith(("<(", ">("), self.i + len(m.group(1))):
                self.i = m.end()
                self._blank()
                target = self.word() or Word("")
                redirect = Redirect(m.group(2), m.group(1), target)
                if m.group(2) in ("<<", "<<-"):
                    self.heredocs.append((redirect, target.text, m.group(2) == "<<-"))
                cmd.redirects.append(redirect)
                continue
            word = self.word()
            if word is None:
                self.i += 1  # an unexpected character; never loop on it
                continue
            name, eq, _ = word.text.partition("=")
            if not cmd.words and eq and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) and not word.text.startswith("="):
                cmd.assigns.append((name, Word(word.text[len(name) + 1 :], word.quoted, word.subs)))
                continue
            if not cmd.words and not word.quoted and word.text in _KEYWORDS_SKIP:
                if word.text == "{":
                    cmd.body = self._nested("}")
                continue
            if not cmd.words and not word.quoted and word.text in _KEYWORDS_END:
                continue
            cmd.words.append(word)
        if not (cmd.words or cmd.redirects or cmd.assigns or cmd.body):
            return None
        return cmd

    def _nested(self, end: str) -> Script:
        if self.depth >= MAX_DEPTH:
            self._skip_to(end)
            return []
        inner = _Parser(self.s, self.line, self.depth + 1)
        inner.i = self.i
        body = inner.script(end=end)
        self.i, self.line = inner.i, inner.line
        return body

    def _skip_to(self, end: str) -> None:
        j = self.s.find(end, self.i)
        self.i = len(self.s) if j < 0 else j + 1

    # -- words ---------------------------------------------------------------------------------
    def word(self) -> Word | None:
        s = self.s
        if s.startswith(("<(", ">("), self.i):
            kind = s[self.i]
            self.i += 2
            return Word(f"{kind}(...)", subs=[self._nested(")")], proc=kind)
        parts: list[str] = []
        subs: list[Script] = []
        quoted = False
        start = self.i
        while self.i < len(s):
            ch = s[self.i]
            m = _PLAIN.match(s, self.i)
            if m:
                parts.append(m.group(0))
                self.i = m.end()
                continue
            if ch == "\\":
                if s.startswith("\\\n", self.i):
                    self.i += 2
                    self.line += 1
                    continue
                parts.append(s[self.i + 1 : self.i + 2])
                self.i += 2
                continue
            if ch == "'":
                quoted = True
                j = s.find("'", self.i + 1)
                j = len(s) if j < 0 else j
                parts.append(s[self.i + 1 : j])
                self.line += s.count("\n", self.i, j)
                self.i = j + 1
                continue
            if ch == '"':
                quoted = True
                self.i += 1
                self._double(parts, subs)
                continue
            if ch == "$":
                self._dollar(parts, subs)
                continue
            if ch == "`":
                self.i += 1
                subs.append(self._backtick())
                parts.append("$(...)")
                continue
            break  # whitespace or an operator
        if self.i == start:
            return None
        return Word("".join(parts), quoted, subs)

    def _double(self, parts: list[str], subs: list[Script]) -> None:
        s = self.s
        while self.i < len(s):
            ch = s[self.i]
            if ch == '"':
                self.i += 1
                return
            if ch == "\\" and self.i + 1 < len(s):
                nxt = s[self.i + 1]
                if nxt == "\n":
                    self.line += 1
                    self.i += 2
                    continue
                parts.append(nxt if nxt in '"\\$`' else ch + nxt)
                self.i += 2
                continue
            if ch == "$":
                self._dollar(parts, subs)
                continue
            if ch == "`":
                self.i += 1
                subs.append(self._backtick())
                parts.append("$(...)")
                continue
            if ch == "\n":
                self.line += 1
            parts.append(ch)
            self.i += 1

    def _dollar(self, parts: list[str], subs: list[Script]) -> None:
        s = self.s
        if s.startswith("$((", self.i):
            j = s.find("))", self.i)
            j = len(s) if j < 0 else j + 2
            parts.append(s[self.i : j])
            self.i = j
        elif s.startswith("$(", self.i):
            self.i += 2
            subs.append(self._nested(")"))
            parts.append("$(...)")
        elif s.startswith("${", self.i):
            j = s.find("}", self.i)
            j = len(s) if j < 0 else j + 1
            parts.append(s[self.i : j])
            self.i = j
        elif s.startswith("$'", self.i):
            j = self.i + 2
            buf = []
            while j < len(s) and s[j] != "'":
                if s[j] == "\\" and j + 1 < len(s):
                    j, ch = _ansi_escape(s, j)
                    buf.append(ch)
                    continue
                buf.append(s[j])
                j += 1
            parts.append("".join(buf))
            self.i = j + 1
        else:
            m = re.compile(r"\$(?:[A-Za-z_][A-Za-z0-9_]*|[0-9@*#?$!-])?").match(s, self.i)
            parts.append(m.group(0) if m else "$")
            self.i = m.end() if m else self.i + 1

    def _backtick(self) -> Script:
        j = self.i
        while j < len(self.s) and self.s[j] != "`":
            j += 2 if self.s[j] == "\\" else 1
        inner_text = self.s[self.i : j].replace("\\`", "`")
        body = parse_nested(inner_text, self.line, self.depth + 1)
        self.line += self.s.count("\n", self.i, j)
        self.i = j + 1
        return body

    # -- layout --------------------------------------------------------------------------------
    def _blank(self) -> None:
        while self.i < len(self.s):
            if self.s[self.i] in " \t\r":
                self.i += 1
            elif self.s.startswith("\\\n", self.i):
                self.i += 2
                self.line += 1
            else:
                return

    def _newline(self) -> None:
        self.i += 1
        self.line += 1
        while self.heredocs:
            redirect, delim, strip = self.heredocs.pop(0)
            delim = delim.strip()
            body: list[str] = []
            while self.i < len(self.s):
                j = self.s.find("\n", self.i)
                j = len(self.s) if j < 0 else j
                raw = self.s[self.i : j]
                self.i = min(j + 1, len(self.s))
                self.line += 1
                if (raw.lstrip("\t") if strip else raw) == delim:
                    break
                body.append(raw)
            redirect.target = Word("\n".join(body), quoted=True)


def parse_nested(text: str, line: int, depth: int) -> Script:
    if depth >= MAX_DEPTH:
        return []
    return _Parser(text, line, depth).script(end=None)


def _ansi_escape(s: str, j: int) -> tuple[int, str]:
    """Decode one ``$'...'`` escape at ``s[j]`` (a backslash): attackers spell ``$'\\x63url'`` for ``curl``."""
    nxt = s[j + 1]
    if nxt in _ANSI_C:
        return j + 2, _ANSI_C[nxt]
    for prefix, width in (("x", 2), ("u", 4), ("U", 8)):
        if nxt == prefix:
            m = re.compile(rf"[0-9A-Fa-f]{{1,{width}}}").match(s, j + 2)
            if m:
                try:
                    return m.end(), chr(int(m.group(0), 16))
                except (ValueError, OverflowError):
                    return m.end(), "?"
    m = re.compile(r"[0-7]{1,3}").match(s, j + 1)
    if m:
        return m.end(), chr(int(m.group(0), 8))
    return j + 2, nxt
