"""The lock file (``skills-lock.json``): what skillforge installed, where, from which source.

One file per project (``<project>/skills-lock.json``) and one for global installs
(``<skillforge home>/skills-lock.json``). Each entry is one skill installed for one host; two hosts
that read the same folder get two entries with the same ``path``. The JSON Schema is
``registry/lock.schema.json``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

LOCKFILE_VERSION: Literal[1] = 1
LOCK_FILENAME = "skills-lock.json"

Scope = Literal["project", "global"]
SourceKind = Literal["registry", "path", "git", "archive"]


class LockSource(BaseModel):
    """Where a skill came from, enough to fetch it again on ``update``."""

    model_config = ConfigDict(extra="forbid")

    kind: SourceKind
    ref: str = Field(description="registry skill name, absolute path of a folder or archive, or git URL")
    subdir: str | None = Field(default=None, description="folder inside an archive or git repository")
    commit: str | None = Field(default=None, description="resolved git commit, for git sources")


class Override(BaseModel):
    """Checks that failed and were let through with ``--force`` (and the person's acknowledgement)."""

    model_config = ConfigDict(extra="forbid")

    checks: list[str] = Field(description="what failed: validation errors, security findings")
    acknowledgement: str | None = Field(default=None, description="the --acknowledge text given with --force")


class LockEntry(BaseModel):
    """One skill installed for one host."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str | None = Field(
        default=None, description="registry version, or metadata.version of the skill"
    )
    source: LockSource
    hash: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$", description="sha256 over sorted relative path + content"
    )
    host: str
    scope: Scope
    path: str = Field(description="installed folder, relative to the project (or home) when inside it")
    mode: Literal["copy", "link"] = "copy"
    link_target: str | None = Field(default=None, description="what the symlink points to, for mode=link")
    index_file: str | None = Field(
        default=None, description="AGENTS.md-style file holding our managed section"
    )
    override: Override | None = Field(default=None, description="set when failing checks were forced through")
    installed_at: datetime

    def key(self) -> tuple[str, str]:
        return (self.name, self.host)


class LockFile(BaseModel):
    """The whole lock file; entries are kept sorted by (name, host) so rewrites are stable."""

    model_config = ConfigDict(extra="forbid")

    lockfile_version: Literal[1] = LOCKFILE_VERSION
    generator: Literal["skillforge"] = "skillforge"
    skills: list[LockEntry] = Field(default_factory=list)
