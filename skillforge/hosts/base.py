"""HostAdapter: where one agent host reads skills, whether it is installed here, how to put a skill there.

Most hosts differ only in their folders, which come from the data table (``hosts.json``); they use
this generic adapter. A host with different behaviour names its adapter in the ``adapter`` field, e.g.
``agents_md`` for hosts without a skills folder. Every adapter, built-in or from a plugin, is registered
through the ``register_hosts`` hook (``skillforge.plugins``).
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from skillforge import plugins
from skillforge.errors import HostError, InputError
from skillforge.hosts.fsops import Transaction
from skillforge.hosts.table import HostSpec, ScopePaths
from skillforge.models.lock import LockEntry, Scope


@dataclass(frozen=True)
class Detection:
    """Whether a host looks installed, and why we think so."""

    found: bool
    reason: str


def expand(path: str, project: Path | None) -> Path:
    """A table path as a real path: ``~/`` is the home folder, absolute stays, else under the project."""
    if path.startswith("~/"):
        return Path.home() / path[2:]
    if path.startswith("/"):
        return Path(path)
    return (project or Path.cwd()) / path


class HostAdapter:
    """The generic adapter: everything comes from the host's row in the table."""

    def __init__(self, spec: HostSpec) -> None:
        self.spec = spec

    @property
    def name(self) -> str:
        return self.spec.name

    def paths(self, scope: Scope) -> ScopePaths | None:
        return self.spec.project if scope == "project" else self.spec.global_

    def supports(self, scope: Scope) -> bool:
        return self.paths(scope) is not None

    def skills_dir(self, scope: Scope, project: Path | None) -> Path:
        """The folder this host's skills are installed into, in ``scope``."""
        paths = self.paths(scope)
        if paths is None:
            other = "project" if scope == "global" else "global"
            raise HostError(
                f"{self.name} has no {scope} skills folder", hint=f"install with --{other} instead"
            )
        if paths.env_override and os.environ.get(paths.env_override.var):
            return Path(os.environ[paths.env_override.var]).expanduser() / paths.env_override.subdir
        return expand(paths.install, project)

    def skill_path(self, name: str, scope: Scope, project: Path | None) -> Path:
        return self.skills_dir(scope, project) / name

    def read_dirs(self, scope: Scope, project: Path | None) -> list[Path]:
        """Every folder the host reads skills from in ``scope`` (the env override replaces its default)."""
        paths = self.paths(scope)
        if paths is None:
            return []
        found = [expand(p, project) for p in paths.reads]
        default = expand(paths.install, project)
        return [self.skills_dir(scope, project) if p == default else p for p in found]

    def detect(self) -> Detection:
        """Installed here if one of its folders exists, one of its env vars is set, or its CLI is on PATH."""
        for path in self.spec.detect.paths:
            if expand(path, None).is_dir():
                return Detection(True, f"{path} exists")
        for var in self.spec.detect.env:
            if os.environ.get(var):
                return Detection(True, f"${var} is set")
        for binary in self.spec.detect.binaries:
            if shutil.which(binary):
                return Detection(True, f"{binary} on PATH")
        return Detection(False, "not found")

    def link_ok(self) -> bool:
        """False when the host is known not to discover symlinked skills (then we copy)."""
        return self.spec.symlinks

    def sync(self, tx: Transaction, scope: Scope, project: Path | None, entries: list[LockEntry]) -> None:
        """Bring host-side indexes in line with ``entries`` (this host's lock entries after the change).

        Hosts that discover skill folders by themselves need nothing here.
        """


def get_adapter(name: str) -> HostAdapter:
    """The adapter for host ``name`` (a CLI name such as ``claude-code``, or a plugin's host)."""
    adapters = plugins.hosts()
    if name in adapters:
        return adapters[name]
    raise InputError(f"unknown host {name!r}", hint=f"known hosts: {', '.join(adapters)}")


def all_adapters() -> list[HostAdapter]:
    """Every host's adapter: the table's hosts in table order, then the plugins'."""
    return list(plugins.hosts().values())
