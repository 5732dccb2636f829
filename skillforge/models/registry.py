"""Data the skill registry stores and returns: version records, index entries, pins, results.

The registry (``skillforge.registry``) is the only module that reads or writes these files; the
models are here so the CLI, the TUI, hosts and evolve can type against them without importing git.
The JSON Schemas in top-level ``registry/`` are generated from these models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

RECORD_FORMAT = 1
INDEX_FORMAT = 1
PINS_FORMAT = 1


class VersionRecord(BaseModel):
    """What skillforge writes about one published version.

    Stored as a one-line JSON trailer (``Skillforge-Record: {...}``) in both the annotated tag
    ``<name>@<version>`` and the commit it points to, so a lost tag can be rebuilt from the commit.
    """

    model_config = ConfigDict(extra="forbid")

    format: int = RECORD_FORMAT
    name: str
    version: str
    message: str = ""
    """What the publisher said about this version (``-m``); may span lines."""
    changelog: list[str] = Field(default_factory=list)
    """One line per change, newest version's own changes only."""
    previous: str | None = None
    """The latest version before this one (``None`` for a skill's first version)."""
    extra: dict[str, Any] = Field(default_factory=dict)
    """Free-form facts about the version: ``rolled_back_from``, an evolve decision, a scan verdict."""


class SkillVersion(BaseModel):
    """One published version as ``Registry.versions`` returns it (record + who and when, from git)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    date: datetime
    author: str
    email: str = ""
    message: str = ""
    changelog: list[str] = Field(default_factory=list)
    previous: str | None = None
    commit: str
    """The commit the tag ``<name>@<version>`` points to."""
    extra: dict[str, Any] = Field(default_factory=dict)

    @property
    def tag(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def rolled_back_from(self) -> str | None:
        """The version whose content this version restored, when it was made by ``rollback``."""
        value = self.extra.get("rolled_back_from")
        return str(value) if value is not None else None


class IndexEntry(BaseModel):
    """One skill in the index: what ``list`` shows without walking every tag."""

    model_config = ConfigDict(extra="forbid")

    name: str
    latest: str
    description: str = ""
    updated: datetime
    """Date of the latest version."""
    tags: list[str] = Field(default_factory=list)
    """Topic tags from the skill's ``metadata.tags`` (comma separated in SKILL.md)."""
    versions: int
    """How many versions the skill has."""
    tree: str
    """Git tree id of ``skills/<name>`` at the latest version (detects a stale index)."""


class IndexFile(BaseModel):
    """The index cache ``.git/skillforge/index.json``; always rebuildable from git."""

    model_config = ConfigDict(extra="forbid")

    format: int = INDEX_FORMAT
    head: str | None
    """The commit of ``main`` the index describes; a different HEAD means the index is stale."""
    skills: dict[str, IndexEntry] = Field(default_factory=dict)


class Pin(BaseModel):
    """A skill held at one version: ``resolve`` returns it unless a version is asked for."""

    model_config = ConfigDict(extra="forbid")

    version: str
    message: str | None = None


class PinsFile(BaseModel):
    """``pins.json`` at the root of the registry tree (committed, so pins travel with push/pull)."""

    model_config = ConfigDict(extra="forbid")

    format: int = PINS_FORMAT
    pins: dict[str, Pin] = Field(default_factory=dict)


class SkillSummary(BaseModel):
    """One row of ``Registry.skills``."""

    model_config = ConfigDict(extra="forbid")

    name: str
    latest: str
    description: str = ""
    pinned: str | None = None
    updated: datetime
    tags: list[str] = Field(default_factory=list)
    versions: int = 1


class PublishResult(BaseModel):
    """What a publish (or rollback) did."""

    model_config = ConfigDict(extra="forbid")

    name: str
    version: str
    """The new version, or the existing one when nothing was published."""
    created: bool
    """False when the content was identical to the latest version: nothing was written."""
    commit: str
    previous: str | None = None
    reason: str = ""
    """Why nothing was created, when ``created`` is False."""
    warnings: list[str] = Field(default_factory=list)
    """Validation warnings and scan findings that did not block the publish."""


class RemoteInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    url: str


SyncAction = Literal["up-to-date", "fast-forward", "merged", "pushed", "created"]


class SyncResult(BaseModel):
    """What a push or pull did."""

    model_config = ConfigDict(extra="forbid")

    remote: str
    action: SyncAction
    commit: str | None = None
    tags: list[str] = Field(default_factory=list)
    """Version tags received (pull) or sent (push)."""


class Finding(BaseModel):
    """One problem ``fsck`` found; ``fixable`` ones are what ``repair`` fixes."""

    model_config = ConfigDict(extra="forbid")

    kind: str
    message: str
    fixable: bool = True


class FsckReport(BaseModel):
    model_config = ConfigDict(extra="forbid")

    path: str
    findings: list[Finding] = Field(default_factory=list)
    repaired: list[str] = Field(default_factory=list)
    """What ``repair`` changed (empty for ``fsck``)."""

    @property
    def ok(self) -> bool:
        return not self.findings
