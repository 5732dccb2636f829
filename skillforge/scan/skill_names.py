"""File names inside a skill or an archive that hide what they are."""

from __future__ import annotations

import re

from skillforge.models.scan import Finding
from skillforge.scan import rules
from skillforge.scan.text import visible

_NAME_TRICKS = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\u3164\ufeff\uffa0"
    "\ufff9-\ufffb\U000e0000-\U000e007f]"
)


def hidden_name(rel: str, shown: str) -> list[Finding]:
    """A finding when a path inside a skill holds control, bidi or invisible characters:
    ``readme\u202eht.sh`` lists as ``readmehs.th``, ``x\x1b[2K…`` rewrites the terminal line."""
    m = _NAME_TRICKS.search(rel)
    if m is None:
        return []
    return [rules.make("hidden-file-name", shown, excerpt=f"{visible(rel)} (U+{ord(m.group()):04X})")]
