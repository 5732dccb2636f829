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


class NameClashes:
    """The paths of one skill folder or archive, reporting each that install and publish would refuse
    because it is one file with an earlier path on macOS, Windows or after NFKC, or the same member twice.

    The judgement is ``hosts.limits.FileNames`` itself, so ``scan`` in CI and the install gate cannot
    disagree about a name.
    """

    def __init__(self, where: str) -> None:
        # Function-level crossing into hosts: limits.py imports only ``errors``.
        from skillforge.hosts.limits import FileNames

        self._names = FileNames(where)

    def check(self, rel: str, shown: str, *, folder: bool = False) -> list[Finding]:
        """Record ``rel`` (a path inside the skill, '/'-separated); a finding at ``shown`` when it collides."""
        from skillforge.errors import InputError

        try:
            self._names.add(rel, folder=folder)
        except InputError as exc:
            return [rules.make("file-name-collision", shown, excerpt=visible(exc.message))]
        return []
