"""Terminal control and invisible characters, made visible before text is written or printed.

A trace is attacker-controlled text: an ESC/OSC sequence can recolour a terminal, rewrite a line
("all good") or plant a hyperlink; a bidi override can show ``rm -rf /`` as something harmless; a
zero-width character can split a command so a reviewer and a scanner read different things.
``neutralize_controls`` keeps the text readable and inert: C0/C1 controls become ``\\x1b``-style
escapes, format and invisible characters become ``<U+202E>``-style tags.
"""

from __future__ import annotations

import re

__all__ = ["neutralize_controls"]

# C0 controls except \t and \n (a \r is kept only as part of \r\n), DEL, C1 controls; then the
# invisible format characters: soft hyphen, Arabic letter mark, Mongolian vowel separator,
# zero-width space/joiners and LRM/RLM, line/paragraph separators, bidi embeddings and overrides,
# word joiner and invisible operators, bidi isolates, BOM/zero-width no-break space, interlinear
# annotation marks, and Unicode tag characters (used to smuggle hidden ASCII).
_CONTROLS = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]|\r(?!\n)"
    "|[\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\U000e0000-\U000e007f]"
)


def _show(match: re.Match[str]) -> str:
    ch = match.group()
    code = ord(ch)
    if code < 0xA0:
        return f"\\x{code:02x}"
    return f"<U+{code:04X}>"


def neutralize_controls(text: str) -> str:
    """``text`` with every terminal control and invisible character shown as an inert escape.

    ESC becomes the four characters ``\\x1b`` (so ``\\x1b[31m`` is printed, not obeyed), other C0/C1
    controls likewise; bidi overrides/isolates, zero-width characters, BOMs and tag characters become
    ``<U+XXXX>``. Newlines, tabs and ``\\r\\n`` line ends are kept. Text without any of these comes
    back as the same object. Trade-off: an emoji built with a zero-width joiner shows its joiner.
    """
    if not text or _CONTROLS.search(text) is None:
        return text
    return _CONTROLS.sub(_show, text)
