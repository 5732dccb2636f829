"""Output helpers every command shares: tables, JSON, coloured one-line messages, a progress line.

Keep this small and stable: commands import these instead of formatting output themselves.
Messages for people go to stderr (``warn``/``error``/``progress``), results to stdout
(``echo_json``/``table``/``info``/``success``), so ``--json`` output can always be piped.

Nothing printed here obeys a terminal: file names, quotes and skill text come from traces an attacker
may have written, so control and invisible characters are shown as escapes (``\\x1b``, ``<U+202E>``).
One-line messages (``warn``, ``error``, table cells, the status line, and any value passed through
``printable``) also show newlines as ``\\n``, so a file name cannot forge a line of its own.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import click


def echo_json(data: Any) -> None:
    """Print ``data`` as indented JSON with sorted keys (pydantic models are dumped first)."""
    click.echo(json.dumps(_plain(data), indent=2, sort_keys=True, ensure_ascii=False))


def _plain(data: Any) -> Any:
    if hasattr(data, "model_dump"):
        return data.model_dump(mode="json")
    if isinstance(data, (list, tuple)):
        return [_plain(d) for d in data]
    if isinstance(data, dict):
        return {k: _plain(v) for k, v in data.items()}
    return data


def printable(value: object) -> str:
    """``value`` as inert text on one line: ``\\n``, ``\\t`` and ``\\r`` shown as escapes, terminal
    controls as ``\\x1b``, invisible characters as ``<U+XXXX>``. Use it for every file name or quote
    inserted into a message printed with ``info``/``success``."""
    text = str(value)
    if text.isprintable():  # the usual case, and it holds no newline, tab or control
        return text
    from skillforge.redact import neutralize_controls

    return neutralize_controls(text.replace("\n", "\\n").replace("\t", "\\t").replace("\r", "\\r"))


def _inert(text: str) -> str:
    """``text`` with controls and invisible characters escaped; its newlines and tabs kept."""
    if text.isprintable():
        return text
    from skillforge.redact import neutralize_controls

    return neutralize_controls(text)


def table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    """A plain-text table: columns padded to their widest cell, numbers right-aligned, cells ``printable``."""
    cells = [[("" if c is None else printable(c)) for c in row] for row in rows]
    numeric = [all(isinstance(row[i], (int, float)) for row in rows) if rows else False for i in range(len(headers))]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]

    def line(values: Sequence[str]) -> str:
        parts = [v.rjust(w) if numeric[i] else v.ljust(w) for i, (v, w) in enumerate(zip(values, widths, strict=False))]
        return "  ".join(parts).rstrip()

    return "\n".join([line(list(headers))] + [line(r) for r in cells])


def info(message: str) -> None:
    """Plain text on stdout (controls escaped; pass file names through ``printable``)."""
    click.echo(_inert(message))


def success(message: str) -> None:
    """A green line on stdout (controls escaped)."""
    click.secho(_inert(message), fg="green")


def warn(message: str) -> None:
    """A yellow line on stderr, kept to one line (``printable``)."""
    click.secho(printable(message), fg="yellow", err=True)


def error(message: str) -> None:
    """A red line on stderr, kept to one line (``printable``); for errors the command handles itself
    (library errors reach the root group)."""
    click.secho(printable(message), fg="red", err=True)


def progress_enabled() -> bool:
    """Status lines are drawn only on a terminal, and never in CI."""
    return sys.stderr.isatty() and not os.environ.get("CI") and not os.environ.get("SKILLFORGE_NO_PROGRESS")


class _StatusLine:
    """One line on stderr, redrawn in place at most every 0.1 s."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._last = 0.0
        self._width = 0

    def _due(self, force: bool = False) -> bool:
        now = time.monotonic()
        if not self.enabled or (now - self._last < 0.1 and not force):
            return False
        self._last = now
        return True

    def _draw(self, text: str) -> None:
        text = printable(text)[: _columns() - 1]
        sys.stderr.write("\r" + text.ljust(self._width))
        sys.stderr.flush()
        self._width = len(text)

    def clear(self) -> None:
        if self.enabled and self._width:
            sys.stderr.write("\r" + " " * self._width + "\r")
            sys.stderr.flush()
            self._width = 0


class Progress(_StatusLine):
    """A one-line counter on stderr; does nothing unless stderr is a terminal."""

    def __init__(self, label: str, total: int | None, enabled: bool) -> None:
        super().__init__(enabled)
        self.label, self.total = label, total
        self.done = 0

    def advance(self, n: int = 1, item: str = "") -> None:
        """Count ``n`` more done; ``item`` names what is being worked on."""
        self.done += n
        if self._due():
            count = f"{self.done}/{self.total}" if self.total else str(self.done)
            self._draw(f"{self.label} {count} {item}")


class StageLine(_StatusLine):
    """A counter per pipeline stage on one line ("analysis 120 | merge L1 14 | plan 1/1")."""

    def __init__(self) -> None:
        super().__init__(progress_enabled())
        self.stages: dict[str, str] = {}

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        label = stage.replace("merge level ", "merge L")
        self.stages[label] = f"{done}/{total}" if total else str(done)
        if self._due(force=total is not None):
            self._draw(" | ".join(f"{name} {count}" for name, count in self.stages.items()))


@contextmanager
def progress(label: str, total: int | None = None) -> Iterator[Progress]:
    """``with progress("Reading") as bar: bar.advance(item=name)`` — quiet when not a TTY or in CI."""
    bar = Progress(label, total, progress_enabled())
    try:
        yield bar
    finally:
        bar.clear()


def _columns() -> int:
    try:
        return os.get_terminal_size(sys.stderr.fileno()).columns
    except (OSError, ValueError):
        return 80
