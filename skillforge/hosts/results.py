"""What install, uninstall, update, installed and hosts report (rendered by the CLI, asserted by tests)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from skillforge.models.lock import LockEntry, LockSource, Scope

Status = Literal["ok", "modified", "missing", "refused"]


class Placement(BaseModel):
    """One host's copy (or link) of an installed skill."""

    host: str
    path: str
    mode: Literal["copy", "link"]
    also_read_by: list[str] = Field(default_factory=list, description="other hosts that read this folder")


class InstallReport(BaseModel):
    name: str
    version: str | None
    source: LockSource
    hash: str
    scope: Scope
    lock_file: str
    placements: list[Placement]
    notices: list[str] = Field(default_factory=list)


class Removal(BaseModel):
    host: str
    path: str
    removed: bool = Field(description="False when another host still uses the folder or it was already gone")


class UninstallReport(BaseModel):
    name: str
    removals: list[Removal]
    lock_files: list[str]


class UpdateOutcome(BaseModel):
    name: str
    host: str
    scope: Scope
    path: str
    action: Literal["updated", "up-to-date", "drift-skipped", "failed"]
    old_version: str | None = None
    new_version: str | None = None
    detail: str = ""


class InstalledSkill(BaseModel):
    """A lock entry plus what is on disk now."""

    entry: LockEntry
    lock_file: str
    status: Status
    disk_hash: str | None = None
    detail: str = Field(default="", description="why the entry was refused (its path leaves its folders)")


class OtherToolSkill(BaseModel):
    """A skill in the shared ``skills-lock.json`` that another tool (the ``skills`` CLI) installed."""

    name: str
    source: str
    source_type: str
    lock_file: str


class HostInfo(BaseModel):
    name: str
    display: str
    detected: bool
    reason: str
    global_dir: str | None
    project_dir: str | None
    global_reads: list[str]
    project_reads: list[str]
    verified: str
    notes: str
