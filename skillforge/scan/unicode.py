"""Hidden and confusable Unicode: bidi controls, zero-width characters, tag characters, homoglyphs."""

from __future__ import annotations

import re
import unicodedata

from skillforge.models.scan import Severity
from skillforge.scan.detect import Hit

BIDI = frozenset(chr(c) for c in [*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Also the Hangul fillers, which render as nothing outside a jamo sequence (an "invisible" variable name
# in a script), and the interlinear annotation marks, which hide the text between them.
_FILLERS = frozenset(chr(c) for c in (0x115F, 0x1160, 0x3164, 0xFFA0, 0xFFF9, 0xFFFA, 0xFFFB))
ZERO_WIDTH = frozenset(
    chr(c) for c in (0x200B, 0x200C, 0x200D, 0x2060, 0x2061, 0x2062, 0x2063, 0x2064, 0xFEFF, 0x180E)
) | _FILLERS
TAG_FIRST, TAG_LAST = 0xE0000, 0xE007F
_VARIATION = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]{2,}")
"""Two or more variation selectors in a row: one picks a glyph's style, a run is bytes smuggled in them."""
_BLACK_FLAG = "\U0001f3f4"

# Letters of other scripts that look like Latin ones; a word mixing them with Latin letters is a
# classic spoof (Cyrillic 'а' in 'cаt'). Genuine mixed-script words are rare, confusable ones rarer.
_CONFUSABLE = frozenset(
    "аеорсухіјѕԁԛԝһӏɡАВЕКМНОРСТХІЈЅԌԚԜ"  # Cyrillic
    "ΑΒΕΖΗΙΚΜΝΟΡΤΥΧαορνικτυχ"  # Greek
    "օսոհոցաԁ"  # Armenian
)
_WORD = re.compile(r"[^\W\d_]{2,}")
_ANY_SUSPECT = re.compile(
    "[\u202a-\u202e\u2066-\u2069\u200b-\u200d\u2060-\u2064\ufeff\u180e\U000e0000-\U000e007f"
    "\u115f\u1160\u3164\uffa0\ufff9-\ufffb\ufe00-\ufe0f\U000e0100-\U000e01ef"
    "\uff21-\uff3a\uff41-\uff5a" + "".join(sorted(_CONFUSABLE)) + "]"
)


def scan_unicode(text: str, *, code: bool, in_trace: bool) -> list[Hit]:
    """Find hidden or confusable characters in ``text``.

    ``code``: the text is a script, a code block or a command, where homoglyphs are high severity.
    ``in_trace``: the text comes from a trace (reported, but lower: it is not executed as a skill).
    """
    if not _ANY_SUSPECT.search(text):
        return []  # the common case: plain text costs one regex pass
    hits: list[Hit] = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not _ANY_SUSPECT.search(line):
            continue
        hits.extend(_line_hits(line, lineno, code=code, in_trace=in_trace, first_line=lineno == 1))
    return hits


def _line_hits(line: str, lineno: int, *, code: bool, in_trace: bool, first_line: bool) -> list[Hit]:
    hits = []
    bidi = [i for i, ch in enumerate(line) if ch in BIDI]
    if bidi:
        hits.append(
            Hit("bidi-control", lineno, bidi[0], bidi[-1] + 1, severity="medium" if in_trace else None)
        )
    zw = [i for i, ch in enumerate(line) if ch in ZERO_WIDTH and not _benign_zero_width(line, i, first_line)]
    if zw:
        # Inside a command a zero-width character makes the text run differently from how it reads.
        zw_sev: Severity = "low" if in_trace else ("high" if code else "medium")
        hits.append(Hit("zero-width", lineno, zw[0], zw[-1] + 1, severity=zw_sev))
    hidden = _tag_text(line)
    if hidden is not None:
        hits.append(Hit("unicode-tag", lineno, detail=f"hidden tag text: {hidden!r}"))
    smuggled = _VARIATION.search(line)
    if smuggled is not None and hidden is None:
        hits.append(Hit("unicode-tag", lineno, smuggled.start(), smuggled.end(),
                        detail=f"text hidden in variation selectors: {_variation_text(smuggled.group())!r}"))
    homo = _homoglyph_words(line, code=code)
    if homo:
        sev: Severity = "high" if code and not in_trace else "medium"
        start, end, word = homo[0]
        detail = f"{word!r} mixes scripts: " + ", ".join(
            f"{ch!r} is {unicodedata.name(ch, f'U+{ord(ch):04X}')}"
            for ch in dict.fromkeys(word)
            if ord(ch) > 127
        )
        hits.append(Hit("homoglyph", lineno, start, end, severity=sev, detail=detail))
    return hits


def _benign_zero_width(line: str, i: int, first_line: bool) -> bool:
    ch = line[i]
    if ch == "\ufeff" and i == 0 and first_line:
        return True  # a byte-order mark opening the file
    if ch in _FILLERS and ch < "\ufff9":
        # a filler inside a Hangul jamo sequence stands for the missing consonant or vowel
        near = line[max(0, i - 1) : i + 2]
        return any("\u1100" <= c <= "\u11ff" or "\u3131" <= c <= "\u318e" for c in near if c != ch)
    if ch in ("\u200d", "\u200c"):
        before = line[i - 1] if i else ""
        after = line[i + 1] if i + 1 < len(line) else ""
        # Emoji sequences (family, flags of professions) and joining scripts (Persian, Indic) use ZWJ/ZWNJ.
        if _emoji(before) or _emoji(after):
            return True
        if before.isalpha() and after.isalpha() and not (_latin_like(before) or _latin_like(after)):
            return True
    return False


def _variation_text(run: str) -> str:
    """What a run of variation selectors spells as bytes (VS1-16 are 0-15, VS17-256 are 16-255), the
    encoding that hides a sentence after an emoji."""
    data = bytes(ord(c) - 0xFE00 if ord(c) < 0x10000 else ord(c) - 0xE0100 + 16 for c in run)
    return "".join(ch if ch.isprintable() else "?" for ch in data.decode("utf-8", "replace"))


def _emoji(ch: str) -> bool:
    if not ch:
        return False
    o = ord(ch)
    return o >= 0x1F000 or 0x2600 <= o <= 0x27BF or o in (0xFE0F, 0x2640, 0x2642)


def _latin_like(ch: str) -> bool:
    return ch.isascii() or unicodedata.name(ch, "").startswith(("LATIN", "CYRILLIC", "GREEK"))


def _tag_text(line: str) -> str | None:
    """The ASCII smuggled in tag characters, or None; emoji subdivision flags (🏴 + tags + cancel tag) are fine."""
    chars: list[str] = []
    i = 0
    while i < len(line):
        o = ord(line[i])
        if TAG_FIRST <= o <= TAG_LAST:
            j = i
            while j < len(line) and TAG_FIRST <= ord(line[j]) <= TAG_LAST:
                j += 1
            run = line[i:j]
            is_flag = i > 0 and line[i - 1] == _BLACK_FLAG and run.endswith("\U000e007f") and len(run) <= 7
            if not is_flag:
                chars.extend(
                    chr(ord(c) - TAG_FIRST) if 0x20 <= ord(c) - TAG_FIRST < 0x7F else "?" for c in run
                )
            i = j
        else:
            i += 1
    return "".join(chars) if chars else None


def _homoglyph_words(line: str, *, code: bool) -> list[tuple[int, int, str]]:
    found = []
    for m in _WORD.finditer(line):
        word = m.group(0)
        if word.isascii():
            continue
        has_latin = any(c.isascii() for c in word)
        confusable = any(c in _CONFUSABLE for c in word)
        fullwidth = any("\uff21" <= c <= "\uff3a" or "\uff41" <= c <= "\uff5a" for c in word)
        # Fullwidth letters are ordinary in CJK prose; in a command they only serve to deceive.
        if (has_latin and confusable) or (fullwidth and code):
            found.append((m.start(), m.end(), word))
    return found


_LATIN_TWINS = str.maketrans(
    "аеорсухіјѕԁԛԝһӏɡАВЕКМНОРСТХІЈЅԌԚԜΑΒΕΖΗΙΚΜΝΟΡΤΥΧαορνικτυχօսոհցաıİ"
    "ᴀʙᴄᴅᴇꜰɢʜɪᴊᴋʟᴍɴᴏᴘʀꜱᴛᴜᴠᴡʏᴢ",  # Latin small capitals, which NFKC leaves alone: "Iɢɴᴏʀᴇ"
    "aeopcyxijsdqwhlgABEKMHOPCTXIJSGQWABEZHIKMNOPTYXaopviktuxounhgwiI"
    "abcdefghijklmnoprstuvwyz",
)


def fold_confusables(text: str) -> str:
    """``text`` as it reads: fullwidth letters and other compatibility forms (NFKC), Cyrillic/Greek/Armenian
    look-alikes as the Latin letters they imitate, zero-width characters dropped. ``ｃｕｒｌ`` and
    ``сurl`` (Cyrillic с) both become ``curl``, which is what a reader (or an agent) will type."""
    if text.isascii():
        return text
    plain = "".join(ch for ch in text if ch not in ZERO_WIDTH)
    return unicodedata.normalize("NFKC", plain).translate(_LATIN_TWINS)
