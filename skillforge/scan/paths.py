"""Scan what a person points at: skill folders, folders of skills, trace files and folders, archives."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

from skillforge.errors import SkillforgeError
from skillforge.models import Skipped, Trace
from skillforge.models.scan import Finding, ScanReport, Severity
from skillforge.scan.archive import is_archive, scan_archive
from skillforge.scan.content import SCRIPT_SUFFIXES, scan_text
from skillforge.scan.detect import Hit, dedupe, to_findings
from skillforge.scan.ignore import MARKER_TEXT, Suppressor
from skillforge.scan.injection import scan_injection
from skillforge.scan.secrets import scan_secrets
from skillforge.scan.skill import scan_skill_dir
from skillforge.scan.text import read_text
from skillforge.scan.trace import trace_findings
from skillforge.scan.unicode import scan_unicode

_SKILL_FILES = ("SKILL.md", "skill.md")
_JSON_ESCAPE = re.compile(
    r"\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})|\\u(20[0-6][0-9a-f]|feff|180e)", re.IGNORECASE
)


def _is_skill(folder: Path) -> bool:
    return any((folder / name).is_file() for name in _SKILL_FILES)


def scan_skill(skill_dir: Path, *, ignore: Iterable[str] = (), trust_content: bool = True) -> ScanReport:
    """Scan one skill folder (SKILL.md, references/, scripts/, assets/, anything else in it).

    ``ignore`` silences rule ids; ``trust_content=False`` disregards inline markers and the
    folder's ``.skillforgeignore`` (use it for skills written by someone else).
    """
    skill_dir = Path(skill_dir)
    sup = Suppressor.for_root(skill_dir, ignore, trust_content=trust_content)
    report = scan_skill_dir(skill_dir, sup)
    report.skipped.extend(sup.problems)
    report.normalize()
    return report


def scan_paths(
    paths: Iterable[Path | str], *, ignore: Iterable[str] = (), trust_content: bool = True
) -> ScanReport:
    """Scan every given path: skill folders (any folder with a SKILL.md), trace files and folders, archives."""
    report = ScanReport()
    ignore = frozenset(ignore)
    for given in paths:
        path = Path(given)
        report.paths.append(str(path))
        if not path.exists():
            report.skipped.append(f"{path}: no such file or directory")
        elif path.is_file() and path.name in _SKILL_FILES:
            report.extend(scan_skill(path.parent, ignore=ignore, trust_content=trust_content))
        elif path.is_file():
            sup = Suppressor.for_root(path.parent, ignore, trust_content=trust_content)
            _scan_loose_file(path, str(path), path.name, sup, report)
        elif _is_skill(path):
            report.extend(scan_skill(path, ignore=ignore, trust_content=trust_content))
        else:
            _scan_folder(path, ignore, trust_content, report)
    report.normalize()
    return report


def _scan_folder(root: Path, ignore: frozenset[str], trust_content: bool, report: ScanReport) -> None:
    from skillforge.ingest.walk import iter_files

    sup = Suppressor.for_root(root, ignore, trust_content=trust_content)
    report.skipped.extend(sup.problems)
    skills = sorted({p.parent for name in _SKILL_FILES for p in root.rglob(name) if p.is_file()})
    skills = [s for s in skills if not any(o != s and o in s.parents for o in skills)]
    for skill in skills:
        rel = skill.relative_to(root).as_posix() + "/"
        report.extend(scan_skill_dir(skill, sup, display_root=str(skill), ignore_prefix=rel))
    for item in iter_files([root]):
        if isinstance(item, Skipped):
            report.skipped.append(str(item))
            continue
        if any(s == item or s in item.parents for s in skills):
            continue
        _scan_loose_file(item, str(item), item.relative_to(root).as_posix(), sup, report)


def _scan_loose_file(path: Path, shown: str, rel: str, sup: Suppressor, report: ScanReport) -> None:
    """A file outside any skill: an archive, or a trace / document / ticket file."""
    report.files_scanned += 1
    if is_archive(path):
        findings = scan_archive(path, shown)
        kept, silenced = sup.apply(findings, rel=rel, lines=None)
    elif path.suffix.lower() in SCRIPT_SUFFIXES:
        # A script on its own is judged as a skill's script would be: it is meant to be run.
        text = read_text(path)
        if text is None:
            report.skipped.append(f"{shown}: binary file, not scanned")
            return
        findings = scan_text(path.name, text, file=shown)
        kept, silenced = sup.apply(findings, rel=rel, lines=text.split("\n"))
    else:
        findings, markers, skipped = scan_trace_file(path, shown)
        report.skipped.extend(skipped)
        kept, silenced = sup.apply(findings, rel=rel, lines=markers)
    report.findings.extend(kept)
    report.suppressed.extend(silenced)


def scan_trace_file(path: Path, shown: str) -> tuple[list[Finding], dict[int, str], list[str]]:
    """Findings for one trace file, the lines holding suppression markers, and reasons it was (partly) skipped.

    Secrets and hidden characters are searched in the raw lines (every byte, exact line numbers);
    injection is judged on the normalized traces, where we know whether text is a tool output,
    a document or the agent's own words, and then located in the file by its text.
    """
    findings, markers, binary = _raw_pass(path, shown)
    if binary:
        return findings, markers, [f"{shown}: binary file, not scanned"]
    skipped: list[str] = []
    pairs: list[tuple[Finding, str]] = []
    kinds: set[str] = set()
    try:
        from skillforge.ingest import read_file

        for item in read_file(path):
            if isinstance(item, Trace):
                kinds.add(item.kind)
                pairs += trace_findings(item, families=("injection",))
            elif item.line is not None:
                skipped.append(str(item))
    except (SkillforgeError, OSError) as exc:
        skipped.append(f"{shown}: could not read as traces ({exc}); scanned as plain text")
    if kinds == {"document"}:
        # A document is all third-party text, and its reader drops what a renderer hides (HTML
        # comments): judge the file itself, with exact line numbers.
        pairs = _plain_injection(path, shown, cap=None, context="document")
    elif not kinds:
        pairs = _plain_injection(path, shown, cap="medium", context="plain text")
    _locate(path, pairs)
    for finding, _ in pairs:
        finding.file = shown
    return findings + dedupe([f for f, _ in pairs]), markers, skipped


def _raw_pass(path: Path, shown: str) -> tuple[list[Finding], dict[int, str], bool]:
    findings: list[Finding] = []
    markers: dict[int, str] = {}
    with path.open("rb") as fh:
        head = fh.read(8192)
        if b"\x00" in head:
            return findings, markers, True
        fh.seek(0)
        for lineno, raw in enumerate(fh, start=1):
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            if MARKER_TEXT in line:
                markers[lineno] = line
            if "\\u" in line:
                line = _JSON_ESCAPE.sub(
                    _unescape, line
                )  # JSON writers escape the very characters we look for
            # JSON strings keep a whole tool output on one line; judge its own lines, report the file's.
            for piece in _json_lines(line):
                hits: list[Hit] = scan_secrets(piece, path.name) + scan_unicode(
                    piece, code=False, in_trace=True
                )
                if hits:
                    findings += to_findings(hits, [piece], shown, line_offset=lineno - 1)
    return findings, markers, False


def _json_lines(line: str) -> list[str]:
    if "\\n" not in line:
        return [line]
    return (
        line.replace("\\r\\n", "\n").replace("\\n", "\n").replace("\\t", "\t").replace('\\"', '"').split("\n")
    )


def _unescape(m: re.Match[str]) -> str:
    if m.group(3):
        return chr(int(m.group(3), 16))
    hi, lo = int(m.group(1), 16), int(m.group(2), 16)
    return chr(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))


def _plain_injection(
    path: Path, shown: str, *, cap: Severity | None, context: str
) -> list[tuple[Finding, str]]:
    """Injection text in a file judged as a whole (a document, or text no reader understood)."""
    text = read_text(path)
    if text is None:
        return []
    lines = text.split("\n")
    return [(f, "") for f in to_findings(scan_injection(text), lines, shown, context=context, cap=cap)]


def _locate(path: Path, pairs: list[tuple[Finding, str]]) -> None:
    """Give each trace finding the line of the file where its text occurs (JSON-escaped or not)."""
    import json

    pending = {}
    for i, (finding, needle) in enumerate(pairs):
        if finding.line is None or needle:
            variants = {needle, json.dumps(needle)[1:-1], json.dumps(needle, ensure_ascii=False)[1:-1]} - {""}
            if variants:
                pending[i] = variants
    if not pending:
        return
    with path.open("rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            line = raw.decode("utf-8", "replace")
            for i in [i for i, variants in pending.items() if any(v in line for v in variants)]:
                pairs[i][0].line = lineno
                del pending[i]
            if not pending:
                return
