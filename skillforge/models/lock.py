"""The lock files: ``skills-lock.json`` (shared with the ``skills`` CLI) and skillforge's sidecar.

``skills-lock.json`` at the project root has the vercel-labs ``skills`` CLI's v1 shape, so both tools
can add, update and restore from the same file::

    {"version": 1, "skills": {NAME: {"source", "sourceType", "computedHash", ...}}}

Measured with skills@1.5.26: it keeps entries it does not touch (with any extra keys), drops unknown
top-level keys, and replaces an entry whole when it adds or restores that skill (``experimental_install``
does so for every entry). So skillforge's richer record (host, scope, folder, mode, version, commit,
install time, overrides) lives in a sidecar, ``.skillforge/lock.json`` beside it (:class:`OwnerFile`),
one :class:`Install` per host. A name is skillforge's when the sidecar lists it; every other entry
belongs to another tool and is written back byte for byte.

In memory, :class:`Lock` holds one :class:`LockEntry` per (skill, host) plus the shared entries as
read. JSON Schemas: ``registry/lock.schema.json`` (:class:`LockFile`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

LOCKFILE_VERSION: Literal[1] = 1
LOCK_FILENAME = "skills-lock.json"
SIDECAR = ".skillforge/lock.json"

Scope = Literal["project", "global"]
SourceKind = Literal["registry", "path", "git", "archive"]


class LockSource(BaseModel):
    """Where a skill came from, enough to fetch it again on ``update``."""

    model_config = ConfigDict(extra="forbid")

    kind: SourceKind
    ref: str = Field(
        description="registry skill name, path of a folder or archive (./relative to the lock's folder "
        "when inside it), or git URL"
    )
    subdir: str | None = Field(default=None, description="folder inside an archive or git repository")
    commit: str | None = Field(
        default=None, description="resolved git commit (git sources, and registry versions)"
    )


class Override(BaseModel):
    """Checks that failed and were let through with ``--force`` (and the person's acknowledgement)."""

    model_config = ConfigDict(extra="forbid")

    checks: list[str] = Field(description="what failed: validation errors, security findings")
    acknowledgement: str | None = Field(default=None, description="the --acknowledge text given with --force")


class Install(BaseModel):
    """One host's installed copy (or link) of a skill, as stored in the sidecar."""

    model_config = ConfigDict(extra="forbid")

    host: str
    scope: Scope
    path: str = Field(description="installed folder, relative to the project (or home) when inside it")
    mode: Literal["copy", "link"] = "copy"
    link_target: str | None = Field(
        default=None, description="what the symlink points to (relative inside the project), for mode=link"
    )
    index_file: str | None = Field(
        default=None, description="AGENTS.md-style file holding our managed section"
    )
    version: str | None = Field(
        default=None, description="registry version, or metadata.version of the skill"
    )
    source: LockSource
    hash: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$",
        description="sha256 over sorted (relative path, size, content); drift check of installed files",
    )
    computed_hash: str | None = Field(default=None, description="the skills CLI's hash of the same files")
    override: Override | None = Field(default=None, description="set when failing checks were forced through")
    installed_at: datetime


class OwnerData(BaseModel):
    """skillforge's record of one skill in the sidecar."""

    model_config = ConfigDict(extra="forbid")

    installs: list[Install] = Field(min_length=1)


class OwnerFile(BaseModel):
    """The sidecar ``.skillforge/lock.json``: what skillforge installed, per skill and host."""

    model_config = ConfigDict(extra="forbid")

    version: Literal[1] = LOCKFILE_VERSION
    skills: dict[str, OwnerData] = Field(default_factory=dict)


class SharedEntry(BaseModel):
    """One skill in the shared file: the ``skills`` CLI's fields, plus ours under ``skillforge``."""

    model_config = ConfigDict(extra="allow", populate_by_name=True)

    source: str = Field(description="where the skill comes from (./relative path, URL, NAME@VERSION)")
    ref: str | None = Field(default=None, description="branch or tag (skills CLI)")
    source_type: str = Field(
        alias="sourceType", description="local, github, git, ... (skills CLI); skillforge for registry/archive"
    )
    skill_path: str | None = Field(default=None, alias="skillPath", description="SKILL.md inside the source")
    computed_hash: str = Field(
        alias="computedHash",
        description="sha256 hex over (relative path, content) of the skill's files, the skills CLI's way",
    )


class LockFile(BaseModel):
    """The file as written: the ``skills`` CLI's project lock, version 1."""

    model_config = ConfigDict(extra="allow")

    version: Literal[1] = LOCKFILE_VERSION
    skills: dict[str, SharedEntry] = Field(default_factory=dict)


class LockEntry(BaseModel):
    """One skill installed for one host (the in-memory view of an :class:`Install`)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str | None = Field(
        default=None, description="registry version, or metadata.version of the skill"
    )
    source: LockSource
    hash: str = Field(
        pattern=r"^sha256:[0-9a-f]{64}$", description="sha256 over sorted relative path + content"
    )
    computed_hash: str | None = Field(default=None, description="the skills CLI's hash of the same files")
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


class Lock(BaseModel):
    """The whole lock in memory: skillforge's entries (sorted by (name, host)) and other tools' entries.

    ``raw`` holds every shared entry as read (name -> JSON object): other tools' entries, and ours
    as last written by either tool, which is kept unless ``touched`` names it (changed by this
    operation). ``notice`` says when an old-shape skillforge lock was migrated on read.
    """

    model_config = ConfigDict(extra="forbid")

    skills: list[LockEntry] = Field(default_factory=list)
    raw: dict[str, dict[str, Any]] = Field(default_factory=dict)
    touched: set[str] = Field(default_factory=set)
    notice: str | None = None

    def foreign(self) -> dict[str, dict[str, Any]]:
        """Entries of names skillforge does not manage (another tool's), as read."""
        ours = {e.name for e in self.skills}
        return {n: e for n, e in self.raw.items() if n not in ours}
