"""Suppressing false positives: inline markers, a .skillforgeignore file, and ``--ignore RULE``.

* ``skillforge: ignore[rule-id]`` (or ``ignore[rule-a, rule-b]``) on the finding's line, or alone
  on the line just above it, in any comment syntax;
* ``.skillforgeignore`` at the root of a scanned folder: one ``rule-id [glob]`` per line (no glob:
  the whole folder), ``#`` comments;
* ``--ignore rule-id`` on the command line (or ``ignore=`` in the API).

The first two live inside the scanned content, so whoever wrote the content controls them. A
high-severity finding silenced that way is therefore still reported, as a medium
``suppressed-high`` finding, and ``trust_content=False`` (for third-party skills) ignores them.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from skillforge.errors import InputError
from skillforge.models.scan import Finding
from skillforge.scan import rules

IGNORE_FILE = ".skillforgeignore"
MARKER_TEXT = "skillforge:"
_MARKER = re.compile(r"skillforge:\s*ignore\[([A-Za-z0-9_,\s-]+)\]")


def check_rule_ids(ids: Iterable[str]) -> list[str]:
    """Validate rule ids given by a person; raise ``InputError`` naming the unknown ones."""
    ids = sorted(set(ids))
    unknown = [i for i in ids if i not in rules.RULES]
    if unknown:
        raise InputError(
            "unknown rule id: " + ", ".join(unknown), hint="`skillforge scan --rules` lists them"
        )
    return ids


@dataclass
class Suppressor:
    """Decides which findings are silenced, and records by what."""

    ignore: frozenset[str] = frozenset()
    trust_content: bool = True
    file_rules: list[tuple[str, str, str]] = field(default_factory=list)
    """(rule id, glob, where it was written: ``.skillforgeignore:3``)."""
    problems: list[str] = field(default_factory=list)

    @classmethod
    def for_root(cls, root: Path, ignore: Iterable[str] = (), *, trust_content: bool = True) -> Suppressor:
        """A suppressor with ``root``'s ``.skillforgeignore`` loaded (when the content is trusted)."""
        sup = cls(ignore=frozenset(ignore), trust_content=trust_content)
        path = root / IGNORE_FILE
        if trust_content and root.is_dir() and path.is_file() and not path.is_symlink():
            sup._load(path)
        return sup

    def _load(self, path: Path) -> None:
        text = path.read_bytes()[:65536].decode("utf-8", "replace")
        for lineno, raw in enumerate(text.splitlines(), start=1):
            line = raw.split("#", 1)[0].strip()
            if not line:
                continue
            rule_id, _, glob = line.partition(" ")
            if rule_id not in rules.RULES:
                self.problems.append(f"{path}:{lineno}: unknown rule id {rule_id!r}, line ignored")
                continue
            self.file_rules.append((rule_id, glob.strip() or "*", f"{IGNORE_FILE}:{lineno}"))

    def apply(
        self, findings: list[Finding], *, rel: str, lines: Mapping[int, str] | list[str] | None
    ) -> tuple[list[Finding], list[Finding]]:
        """Split ``findings`` (all in the file ``rel``) into ``(kept, suppressed)``.

        ``lines`` is the file's text as a list, or a ``{line number: text}`` map of the lines that
        hold markers (big trace files are not kept in memory).
        """
        if isinstance(lines, list):
            lines = dict(enumerate(lines, start=1))
        kept: list[Finding] = []
        silenced: list[Finding] = []
        for f in findings:
            by = self._why(f, rel, lines)
            if by is None:
                kept.append(f)
                continue
            silenced.append(f.model_copy(update={"suppressed_by": by}))
            if f.severity == "high" and by != "--ignore":
                kept.append(
                    rules.make(
                        "suppressed-high",
                        f.file,
                        f.line,
                        excerpt=f"{f.rule_id} silenced by {by}: {f.excerpt}"[:200],
                    )
                )
        return kept, silenced

    def _why(self, f: Finding, rel: str, lines: Mapping[int, str] | None) -> str | None:
        if f.rule_id in self.ignore:
            return "--ignore"
        if not self.trust_content or f.rule_id == "suppressed-high":
            return None
        if lines and f.line:
            if f.rule_id in _marked(lines.get(f.line, "")):
                return "inline"
            above = lines.get(f.line - 1, "")
            if f.rule_id in _marked(above) and _only_marker(above):
                return "inline"
        for rule_id, glob, where in self.file_rules:
            if rule_id == f.rule_id and (glob == "*" or fnmatch.fnmatch(rel, glob)):
                return where
        return None


def _marked(line: str) -> set[str]:
    out: set[str] = set()
    for m in _MARKER.finditer(line):
        out.update(part.strip() for part in m.group(1).split(",") if part.strip())
    return out


def _only_marker(line: str) -> bool:
    """The line holds nothing but a marker inside comment punctuation."""
    rest = _MARKER.sub("", line)
    return not re.sub(r"[#/<>!*;\-\s]", "", rest)
