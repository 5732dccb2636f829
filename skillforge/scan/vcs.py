"""Git repositories inside a skill: the folders git would open, and the settings in them that run code.

Git runs commands from a repository's own files: ``core.fsmonitor`` on every ``git status`` (which
shell prompts run on ``cd``), ``core.hooksPath`` and ``hooks/*`` on commit and checkout, filters,
diff drivers and more. A folder counts as a repository when it holds ``HEAD`` next to ``objects``,
``refs`` or ``commondir``, whatever its name: git opens such a folder as a bare repository when a
command runs in or below it, and its ``config`` may set a work tree and an fsmonitor.

Install never copies a folder named ``.git``, so one there is reported only when its settings run
code (``git-exec-config``: someone may copy or ``--link`` the folder). A repository under any other
name is copied like any folder, so it is always refused (``embedded-git-repo``). Settings are judged
against a short list of ones known to run nothing; anything else, or a line this reader cannot
place, counts as running code, so a config git reads differently from this reader errs towards a
finding.
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Callable, Iterable
from pathlib import Path, PurePosixPath

from skillforge.models.scan import Finding
from skillforge.scan import rules
from skillforge.scan.text import visible

GIT_DIR_NAME = ".git"
_REPO_MARKERS = frozenset({"objects", "refs", "commondir"})
_CONFIG_NAMES = frozenset({"config", "config.worktree"})
MAX_CONFIG_BYTES = 1 << 20
_MAX_ENTRIES = 20_000  # entries looked at inside one repository
_NOT_WALKED = frozenset({"objects", "refs", "logs"})  # data, never settings or hooks (a branch may be named config)

# Settings that run nothing, by section (keys lowercase; None: any key of the section).
_INERT: dict[str, frozenset[str] | None] = {
    "core": frozenset(
        {
            "repositoryformatversion", "filemode", "bare", "logallrefupdates", "ignorecase",
            "precomposeunicode", "symlinks", "autocrlf", "eol", "safecrlf", "quotepath", "checkstat",
            "trustctime", "untrackedcache", "splitindex", "sparsecheckout", "sparsecheckoutcone",
            "abbrev", "compression", "worktree",
        }
    ),
    "remote": frozenset({"url", "pushurl", "fetch", "push", "tagopt", "prune", "prunetags", "mirror",
                         "skipdefaultupdate", "skipfetchall", "promisor", "partialclonefilter"}),
    "branch": frozenset({"remote", "merge", "rebase", "pushremote", "description"}),
    "submodule": frozenset({"url", "active"}),
    "user": frozenset({"name", "email"}),
    "init": frozenset({"defaultbranch"}),
    "pull": frozenset({"rebase", "ff"}),
    "push": frozenset({"default", "autosetupremote", "followtags"}),
    "fetch": frozenset({"prune", "prunetags"}),
    "extensions": frozenset({"objectformat"}),
    "lfs": frozenset({"repositoryformatversion"}),
    "index": frozenset({"version"}),
}
_BOOL = re.compile(r'\s*"?(true|false|yes|no|on|off|1|0)"?\s*(?:[#;].*)?', re.IGNORECASE)
_HEADER = re.compile(r'\[\s*([A-Za-z0-9.-]+)(?:\s+"(?:[^"\\\n]|\\.)*")?\s*\]')
_KEY = re.compile(r"([A-Za-z][A-Za-z0-9-]*)\s*(?:=(.*))?$")


def exec_settings(text: str) -> list[str]:
    """The settings in git config ``text`` that may run code or pull in other config (``section.key``),
    in file order; a line that is not a comment, a section header or a known inert setting is listed
    as ``line N``."""
    found: list[str] = []
    section = ""
    for lineno, raw in enumerate(text.removeprefix("\ufeff").split("\n"), start=1):
        line = raw.strip()
        header = _HEADER.match(line)
        if header:
            section = header.group(1).split(".")[0].lower()
            line = line[header.end() :].strip()  # git reads a setting after the header on the same line
        if not line or line.startswith(("#", ";")):
            continue
        key = _KEY.match(line)
        if key is None or not section:
            found.append(f"line {lineno}")
            continue
        name, value = key.group(1).lower(), key.group(2)
        if section == "core" and name == "fsmonitor":
            # true/false pick git's built-in daemon; any other value is a command run on `git status`
            if value is None or _BOOL.fullmatch(value):
                continue
        else:
            allowed = _INERT.get(section, frozenset())
            if allowed is None or name in allowed:
                continue
        found.append(f"{section}.{name}")
    return found


def is_git_dir(folder: Path) -> bool:
    """True when git would open ``folder`` as a repository (its ``HEAD`` next to ``objects``,
    ``refs`` or ``commondir``); links count as entries and are not followed."""
    try:
        names = set(os.listdir(folder))
    except OSError:
        return False
    return "HEAD" in names and bool(names & _REPO_MARKERS)


def git_dir_findings(folder: Path, rel: str, shown: str) -> list[Finding]:
    """Findings for ``folder`` (at ``rel`` in the skill, shown as ``shown``) when it is a repository.

    A repository not named ``.git`` is copied by install and opened by git: always high. A ``.git``
    folder is reported when a config in it sets something that runs code, when it holds a hook, or
    when its config, hooks or common dir live elsewhere (a link, ``commondir``).
    """
    if folder.is_symlink() or not is_git_dir(folder):
        return []
    if PurePosixPath(rel).name != GIT_DIR_NAME:
        return repo_findings(rel, shown, [])
    return repo_findings(rel, shown, _exec_reasons(folder))


def repo_findings(rel: str, shown: str, reasons: list[str]) -> list[Finding]:
    """The finding for the repository at ``rel``: ``embedded-git-repo`` unless it is named ``.git``
    (which install never copies), else ``git-exec-config`` when ``reasons`` says what in it runs code."""
    if PurePosixPath(rel).name != GIT_DIR_NAME:
        where = visible(rel) + "/" if rel else "the skill folder itself"
        return [rules.make("embedded-git-repo", shown, excerpt=f"{where} is a git repository (HEAD, objects or refs)")]
    if not reasons:
        return []
    more = f" (and {len(reasons) - 3} more)" if len(reasons) > 3 else ""
    return [rules.make("git-exec-config", shown, excerpt=visible("; ".join(reasons[:3]) + more))]


def _exec_reasons(git_dir: Path) -> list[str]:
    """What in ``git_dir`` makes git run code or read files from elsewhere, as short notes."""
    reasons: list[str] = []
    seen = 0
    for dirpath, dirnames, filenames in os.walk(git_dir, followlinks=False):
        here = Path(dirpath)
        rel_dir = here.relative_to(git_dir)
        dirnames[:] = sorted(d for d in dirnames if d not in _NOT_WALKED)
        seen += len(dirnames) + len(filenames)
        if seen > _MAX_ENTRIES:
            reasons.append(f"over {_MAX_ENTRIES} files, not all checked")
            break
        linked = [d for d in dirnames if (here / d).is_symlink()]
        for name in sorted([*filenames, *linked]):
            rel = (rel_dir / name).as_posix()
            reason = _entry_reason(rel)
            if reason:
                reasons.append(reason)
            elif name in _CONFIG_NAMES or name == "hooks":
                reasons += _config_reasons(here / name, rel)
    return reasons


def _entry_reason(rel: str) -> str | None:
    """Why the entry ``rel`` of a ``.git`` folder makes git run code or read another folder, by name alone."""
    parts = PurePosixPath(rel).parts
    if parts == ("commondir",):
        return "commondir (config read from another folder)"
    if "hooks" in parts[:-1] and not parts[-1].endswith(".sample"):
        return f"hook {visible(rel)}"
    return None


def member_reasons(repo: str, names: Iterable[str], read: Callable[[str], bytes | None]) -> list[str]:
    """``_exec_reasons`` for a ``.git`` folder in an archive: ``names`` are member names, ``read``
    gives a regular member's bytes (None for a link or anything else)."""
    prefix = f"{repo}/" if repo else ""
    reasons: list[str] = []
    for name in names:
        rel = "/".join(p for p in name.replace("\\", "/").split("/") if p not in ("", "."))
        if not rel.startswith(prefix) or _NOT_WALKED.intersection(rel[len(prefix) :].split("/")[:-1]):
            continue
        inner = rel[len(prefix) :]
        reason = _entry_reason(inner)
        if reason:
            reasons.append(reason)
        elif PurePosixPath(inner).name in _CONFIG_NAMES or inner == "hooks":
            data = read(name)
            if data is None:
                reasons.append(f"{visible(inner)} is a link or not a regular file")
            elif len(data) > MAX_CONFIG_BYTES:
                reasons.append(f"{visible(inner)} is over {MAX_CONFIG_BYTES} bytes")
            else:
                reasons += [f"{visible(inner)}: {s}" for s in exec_settings(data.decode("latin-1"))]
    return reasons


def _config_reasons(path: Path, rel: str) -> list[str]:
    try:
        info = path.lstat()
    except OSError:
        return []
    if stat.S_ISLNK(info.st_mode):
        return [f"{visible(rel)} is a link ({visible(os.readlink(path))})"]
    if not stat.S_ISREG(info.st_mode):
        return [f"{visible(rel)} is not a regular file"]
    with path.open("rb") as fh:
        data = fh.read(MAX_CONFIG_BYTES + 1)
    if len(data) > MAX_CONFIG_BYTES:
        return [f"{visible(rel)} is over {MAX_CONFIG_BYTES} bytes"]
    # latin-1 keeps every byte: git's config syntax is ASCII, and a key hidden in bad UTF-8 still shows
    return [f"{visible(rel)}: {s}" for s in exec_settings(data.decode("latin-1"))]


def repo_dirs_in(names: Iterable[str]) -> list[str]:
    """The folders (posix, ``""`` for the root) that hold a repository, among archive member ``names``;
    folders inside a found repository are not listed again."""
    entries: set[str] = set()
    for raw in names:
        parts = [p for p in raw.replace("\\", "/").split("/") if p not in ("", ".")]
        for i in range(1, len(parts) + 1):
            entries.add("/".join(parts[:i]))
    heads = sorted((e.rpartition("/")[0] for e in entries if e.rpartition("/")[2] == "HEAD"), key=_depth_first)
    found: list[str] = []
    for parent in heads:
        prefix = f"{parent}/" if parent else ""
        nested = any(not f or parent == f or parent.startswith(f"{f}/") for f in found)
        if not nested and any(prefix + m in entries for m in _REPO_MARKERS):
            found.append(parent)
    return found


def _depth_first(rel: str) -> tuple[int, str]:
    return (rel.count("/") + bool(rel), rel)
