"""Which project (area) a trace is about."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import PurePath, PurePosixPath
from typing import Any

from skillforge.models import Trace
from skillforge.skills.naming import slug

__all__ = ["GENERIC_DIRS", "detect_area", "swe_instance_project"]

GENERIC_DIRS = {
    "", "tmp", "temp", "private", "workspace", "workspaces", "testbed", "repo", "repos", "repository", "project",
    "projects", "src", "source", "app", "apps", "home", "user", "users", "code", "work", "root", "data", "tests",
    "test", "lib", "libs", "experiments", "experiment", "desktop", "documents", "downloads", "dev", "sandbox",
    "playground", "mnt", "opt", "var", "workdir", "build", "dist", "scripts", "docs", "examples", "git", "github",
    "content", "pkg", "packages", "internal", "cmd", "main", "master", "input", "output", "out", "ideas",
}
_INSTANCE = re.compile(r"^(?P<owner>[A-Za-z0-9.-]+?)__(?P<name>[A-Za-z0-9.-]+?)-[a-z]?\d+$")
_OWNER_NAME = re.compile(r"^(?P<owner>[A-Za-z0-9.-]+?)__(?P<name>[A-Za-z0-9.-]+)$")


def swe_instance_project(value: str, *, loose: bool = False) -> str | None:
    """``django__django-11163`` → ``django``; ``pydata__xarray-4629`` → ``xarray``; with ``loose``, also
    the ``owner__name`` folders SWE-bench checks repositories out into."""
    match = _INSTANCE.match(value.strip()) or (_OWNER_NAME.match(value.strip()) if loose else None)
    return match.group("name") if match else None


def detect_area(trace: Trace) -> str | None:
    """The project a trace works on, as a slug, or None when nothing says so reliably.

    Looks, in order, at repository metadata (``repo``, ``instance_id``), the working directory, the
    source file name (SWE-bench instance names), and the top folder of the files the agent touched.
    """
    meta = trace.metadata
    for key in ("repo", "repository", "repo_name", "project", "git_repo"):
        name = _repo_name(meta.get(key))
        if name:
            return name
    for key in ("instance_id", "task_id", "ticket_id"):
        value = meta.get(key)
        if isinstance(value, str):
            project = swe_instance_project(value)
            if project:
                return slug(project)
    for key in ("cwd", "workdir", "working_dir", "project_dir", "workspace"):
        name = _dir_name(meta.get(key))
        if name:
            return name
    stem = PurePath(trace.source.path).name.split(".")[0]
    project = swe_instance_project(stem)
    if project:
        return slug(project)
    if trace.source.format == "claude-code":
        # ~/.claude/projects/-home-me-myproj/<session>.jsonl: the folder is the encoded cwd.
        folder = PurePath(trace.source.path).parent.name
        name = _dir_name(folder.replace("-", "/"))
        if name:
            return name
    return _area_from_files(trace)


def _repo_name(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("full_name") or value.get("repo")
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip().rstrip("/")
    text = re.sub(r"\.git$", "", text)
    name = re.split(r"[/:]", text)[-1]
    name = slug(name)
    return name if name and name not in GENERIC_DIRS else None


def _dir_name(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    parts = [p for p in PurePosixPath(value.strip().replace("\\", "/")).parts if p not in ("/", "~")]
    for part in reversed(parts):
        project = swe_instance_project(part, loose=True) or part
        name = slug(project)
        if name and name not in GENERIC_DIRS and not re.fullmatch(r"[0-9a-f-]{8,}", name):
            return name
        if part.lower() not in GENERIC_DIRS:
            return None  # a specific but unusable name: do not climb to the parent
    return None


def _area_from_files(trace: Trace) -> str | None:
    from skillforge.distill.heuristic.actions import actions_of

    tops: Counter[str] = Counter()
    for action in actions_of(trace):
        for path in action.files:
            parts = [p for p in PurePosixPath(path).parts if p not in ("/", ".", "..", "~")]
            if len(parts) < 2:
                continue
            for part in parts[:-1]:
                project = swe_instance_project(part, loose=True)
                name = slug(project or part)
                if name and name not in GENERIC_DIRS and not name.startswith("."):
                    tops[name] += 1
                    break
    if not tops:
        return None
    (best, count), *rest = tops.most_common(2) + [("", 0)]
    return best if count >= 2 and count > rest[0][1] else None
