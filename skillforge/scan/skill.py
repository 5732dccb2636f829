"""Scan a skill folder: every file's content, plus what the files themselves are (size, kind, links, modes)."""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from skillforge.models.scan import Finding, ScanReport
from skillforge.scan import rules, vcs
from skillforge.scan.archive import is_archive, scan_archive
from skillforge.scan.content import SCRIPT_SUFFIXES, scan_text
from skillforge.scan.ignore import Suppressor
from skillforge.scan.skill_names import NameClashes, hidden_name
from skillforge.scan.text import (
    MAX_SCANNED_BYTES,
    MAX_TEXT_BYTES,
    decode,
    is_executable,
    is_media,
    text_chunks,
    visible,
)

_SKIP_DIRS = frozenset({".git", ".hg", ".svn"})


def scan_skill_dir(
    skill_dir: Path, suppressor: Suppressor, *, display_root: str | None = None, ignore_prefix: str = ""
) -> ScanReport:
    """Scan one skill folder; paths in findings are ``display_root/relative``.

    ``ignore_prefix`` is the folder's path below the root whose ``.skillforgeignore`` applies.
    """
    root = skill_dir
    shown_root = display_root if display_root is not None else str(skill_dir)
    report = ScanReport(paths=[shown_root])
    real_root = root.resolve()
    _repo(report, root, "", shown_root, suppressor, ignore_prefix)
    names = NameClashes(shown_root)
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        base = here.relative_to(root).as_posix()
        kept_dirs = []
        for d in sorted(dirnames):
            rel = d if base == "." else f"{base}/{d}"
            # a reported repository's files (objects, hooks, config) are judged there, not as skill text
            repo = _repo(report, root, rel, f"{shown_root}/{rel}", suppressor, ignore_prefix)
            if d not in _SKIP_DIRS and not repo:
                kept_dirs.append(d)
        dirnames[:] = kept_dirs
        entries = sorted(filenames) + [d for d in dirnames if (here / d).is_symlink()]
        for name in entries:
            path = here / name
            rel = path.relative_to(root).as_posix()
            shown = f"{shown_root}/{rel}"
            findings, texts = _scan_entry(path, rel, shown, real_root)
            findings += hidden_name(rel, shown)
            findings += names.check(rel, shown, folder=path.is_symlink() and path.is_dir())
            report.files_scanned += 1
            kept, silenced = suppressor.apply(findings, rel=ignore_prefix + rel, lines=texts)
            report.findings.extend(kept)
            report.suppressed.extend(silenced)
        dirnames[:] = [d for d in dirnames if not (here / d).is_symlink()]
    report.normalize()
    return report


def _repo(report: ScanReport, root: Path, rel: str, shown: str, suppressor: Suppressor, prefix: str) -> bool:
    """Add the findings for ``root/rel`` when it is a git repository; True when there were any."""
    found = vcs.git_dir_findings(root / rel, rel, shown)
    kept, silenced = suppressor.apply(found, rel=prefix + rel, lines=None)
    report.findings.extend(kept)
    report.suppressed.extend(silenced)
    return bool(found)


def _scan_entry(path: Path, rel: str, shown: str, real_root: Path) -> tuple[list[Finding], list[str] | None]:
    """Findings for one directory entry and, for text files, its lines (for inline suppressions)."""
    if path.is_symlink():
        target = os.readlink(path)
        resolved = (path.parent / target).resolve()
        inside = resolved == real_root or real_root in resolved.parents
        rule = "symlink" if inside else "symlink-escape"
        return [rules.make(rule, shown, excerpt=f"-> {visible(target)}")], None
    try:
        st = path.stat()
    except OSError as exc:
        return [rules.make("binary-file", shown, excerpt=f"unreadable: {exc.strerror}", severity="low")], None
    if not stat.S_ISREG(st.st_mode):
        return [rules.make("archive-special", shown, excerpt="device file, socket or FIFO in a skill")], None
    parts = PurePosixPath(rel).parts
    out: list[Finding] = []
    with path.open("rb") as fh:
        shebang = fh.read(2) == b"#!"
    # What an agent may run: an oversized or undecodable one is not "only" a large or binary file.
    runnable = "scripts" in parts or PurePosixPath(rel).suffix.lower() in SCRIPT_SUFFIXES or shebang
    if st.st_size > MAX_TEXT_BYTES:
        # Past MAX_SCANNED_BYTES nothing is read: an instruction there would reach the agent unseen.
        unread = st.st_size > MAX_SCANNED_BYTES
        out.append(rules.make(
            "oversized-file", shown, excerpt=f"{st.st_size / (1 << 20):.1f} MB"
            + (" script: only the first 5 MB were scanned" if runnable else "")
            + (f" only the first {MAX_SCANNED_BYTES >> 20} MB were scanned" if unread and not runnable else ""),
            severity="high" if runnable or unread else None,
        ))
    if st.st_mode & 0o111 and "scripts" not in parts:
        out.append(rules.make("unexpected-exec-bit", shown, excerpt=f"mode {stat.filemode(st.st_mode)}"))
    if is_archive(path):
        return out + scan_archive(path, shown), None
    with path.open("rb") as fh:
        data = fh.read(MAX_TEXT_BYTES)
        if st.st_size > MAX_TEXT_BYTES and not runnable and not is_executable(data) and decode(data) is not None:
            # A long reference is read by the agent to its end: scan all of it, chunk by chunk.
            for before, chunk in text_chunks(data, fh.read, MAX_SCANNED_BYTES):
                out += [f.model_copy(update={"line": f.line + before}) if f.line else f
                        for f in scan_text(rel, chunk, file=shown)]
            return out, None
    if is_executable(data):
        out.append(rules.make("binary-executable", shown, excerpt="compiled executable"))
        return out, None
    text = decode(data)
    if text is None:
        media = is_media(data)
        if runnable:
            out.append(rules.make("binary-file", shown, severity="high",
                                  excerpt="script with NUL bytes or text that is not UTF-8"))
        elif "assets" not in parts:
            out.append(
                rules.make(
                    "binary-file",
                    shown,
                    severity="low" if media else None,
                    excerpt="image, font or document outside assets/"
                    if media
                    else "binary content outside assets/",
                )
            )
        if (media or "assets" in parts) and not runnable:
            return out, None
        # Bash runs a Latin-1 script, and skips NUL bytes: what it would run is scanned, decoded leniently.
        text = data.replace(b"\x00", b"").decode("utf-8", errors="replace")
    return out + scan_text(rel, text, file=shown), text.split("\n")
