"""Small text helpers shared by the detectors: safe excerpts, masking, reading files within limits."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterator
from pathlib import Path

EXCERPT_WIDTH = 120
MAX_TEXT_BYTES = 5 << 20
"""Text files larger than this are reported as oversized (and read in chunks of this size)."""
MAX_SCANNED_BYTES = 4 * MAX_TEXT_BYTES
"""Bytes of one text file whose content is scanned. Past this the rest is unread, which is high for any
file an agent reads (hosts install files of up to 10 MiB, so everything installable is scanned whole)."""
MAX_SCAN_LINE = 20_000
"""Characters of one line handed to the regex detectors (a minified bundle must not stall the scan)."""


# Letters and marks that render as nothing: Hangul fillers and the supplementary variation selectors.
_BLANK_LETTERS = frozenset(["\u115f", "\u1160", "\u3164", "\uffa0", *map(chr, range(0xE0100, 0xE01F0))])


def visible(text: str) -> str:
    """Show invisible and control characters as <U+XXXX> so printing an excerpt cannot reorder a terminal."""
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\t " or (cat[0] != "C" and cat not in ("Zl", "Zp") and ch not in _BLANK_LETTERS):
            out.append(ch)
        else:
            out.append(f"<U+{ord(ch):04X}>")
    return "".join(out)


def excerpt(line: str, start: int = 0, end: int | None = None, width: int = EXCERPT_WIDTH) -> str:
    """The part of ``line`` around ``[start, end)``, one line, at most about ``width`` visible characters,
    with secrets masked.

    A cut never falls inside a word: half a token (``ghp_Zx9qLm2P…``) or a URL whose host was cut off
    (``https://u:PW@h.exa…``) is no longer recognisable as a secret, and would be printed. The cut moves
    out to the word's end, or, for a run of more than ``_WORD_REACH`` characters, drops the run's piece.
    """
    end = len(line) if end is None else end
    if len(line) > width:
        room = max(width - (end - start), 20)
        lo = _word_edge(line, max(0, start - room // 2), -1)
        hi = _word_edge(line, min(len(line), max(end, lo + width)), 1)
        piece = ("… " if lo else "") + _masked(line[lo:hi]) + (" …" if hi < len(line) else "")
    else:
        piece = _masked(line)
    return visible(piece.strip().replace("\n", " "))


_WORD_REACH = 100


def _word_edge(line: str, at: int, direction: int) -> int:
    """``at`` moved out (``direction`` -1: left, 1: right) to a word boundary; when the word runs on for
    more than ``_WORD_REACH`` characters, moved in past it instead."""
    def inside(i: int) -> bool:
        return 0 < i < len(line) and not line[i - 1].isspace() and not line[i].isspace()

    out = at
    while inside(out) and abs(out - at) < _WORD_REACH:
        out += direction
    if not inside(out):
        return out
    back = at
    while inside(back) and abs(back - at) < _WORD_REACH:
        back -= direction
    return back


def _masked(text: str) -> str:
    from skillforge.redact.text import redact_text  # redaction imports nothing of the scanner's

    return redact_text(text)


def mask(secret: str) -> str:
    """Enough of a secret to recognise it, never enough to use it."""
    secret = secret.strip()
    if len(secret) <= 8:
        return "*" * len(secret)
    return secret[:4] + "…" + "*" * 4


def read_text(path: Path, limit: int = MAX_TEXT_BYTES) -> str | None:
    """Decode a file as UTF-8 text (at most ``limit`` bytes), or None when it looks binary."""
    with path.open("rb") as fh:
        data = fh.read(limit)
    return decode(data)


def decode(data: bytes) -> str | None:
    if b"\x00" in data[:8192]:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A multi-byte character cut by the read limit is still text.
        if exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8")
        return None


_EXEC_MAGIC = (
    b"\x7fELF",
    b"MZ",
    b"\xfe\xed\xfa\xce",
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",
)


def is_executable(data: bytes) -> bool:
    """ELF, PE, Mach-O or Python bytecode: compiled code, not text that happens to start with 'MZ'."""
    return (data.startswith(_EXEC_MAGIC) or _is_bytecode(data)) and decode(data) is None


def _is_bytecode(data: bytes) -> bool:
    """A .pyc header: a 2-byte version number then ``\r\n``. Python imports such a file with no source
    beside it, and ``python FILE`` runs one whatever its name, so every version counts (2.x: 20000-62999)."""
    version = int.from_bytes(data[:2], "little")
    return data[2:4] == b"\r\n" and (2900 <= version < 4000 or 20000 <= version < 63000)


_MEDIA_MAGIC = (
    b"\x89PNG",
    b"\xff\xd8\xff",
    b"GIF8",
    b"RIFF",
    b"%PDF",
    b"\x00\x01\x00\x00",
    b"OTTO",
    b"wOFF",
    b"wOF2",
    b"\x00\x00\x01\x00",
    b"ID3",
    b"\x1aE\xdf\xa3",
    b"fLaC",
    b"OggS",
)


def is_media(data: bytes) -> bool:
    """Images, PDFs, fonts, audio/video: binary, but not code an agent could run."""
    return data.startswith(_MEDIA_MAGIC) or data[4:8] in (b"ftyp",)


def text_chunks(first: bytes, read: Callable[[int], bytes], limit: int = MAX_SCANNED_BYTES) -> Iterator[tuple[int, str]]:
    """``(line number before it, text)`` of a long text file read in chunks of ``MAX_TEXT_BYTES``: ``first``
    is the chunk already read, ``read(n)`` gives the next bytes. A chunk ends at a line end (the cut line
    goes on in the next chunk), so a phrase is never split between two; at most ``limit`` bytes in all."""
    data, before, total = first, 0, len(first)
    while True:
        more = read(min(MAX_TEXT_BYTES, limit - total)) if total < limit else b""
        total += len(more)
        cut = data.rfind(b"\n") + 1 if more else len(data)
        # One endless line: all of it now, and its last bytes again with the next chunk.
        keep = data[cut:] if cut else data[-400:]
        yield before, data[: cut or len(data)].decode("utf-8", errors="replace")
        if not more:
            return
        before += data.count(b"\n", 0, cut)
        data = keep + more


def clip_line(line: str) -> str:
    return line if len(line) <= MAX_SCAN_LINE else line[:MAX_SCAN_LINE]


def windows(line: str, size: int = MAX_SCAN_LINE, overlap: int = 400) -> list[str]:
    """A long line as overlapping pieces, so detectors see all of it without regex blow-ups."""
    if len(line) <= size:
        return [line]
    step = size - overlap
    return [line[i : i + size] for i in range(0, len(line) - overlap, step)]
