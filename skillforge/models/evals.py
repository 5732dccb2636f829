"""Eval tasks and their results."""

from __future__ import annotations

from pathlib import PurePosixPath
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Check(BaseModel):
    """A deterministic pass/fail check, run in the task's working directory after the agent."""

    model_config = ConfigDict(extra="forbid")

    command: str | None = None
    """Shell command; exit status 0 means pass."""
    output_contains: str | None = None
    """Text that must occur in the agent's standard output."""
    output_regex: str | None = None
    """Regular expression that must match the agent's standard output."""
    file: str | None = None
    """Relative path of a file the agent must leave behind."""
    file_contains: str | None = None
    file_equals: str | None = None

    @field_validator("file")
    @classmethod
    def _inside(cls, value: str | None) -> str | None:
        return None if value is None else task_relative(value)


class EvalTask(BaseModel):
    """One task: a prompt for the agent, optional files to start from, and a deterministic check."""

    model_config = ConfigDict(extra="forbid")

    id: str
    prompt: str
    setup: dict[str, str] = Field(default_factory=dict)
    """Files created in the working directory before the agent runs (relative path → content)."""
    check: str | Check
    """A shell command (exit 0 = pass) or a structured check."""
    timeout: float | None = None
    """Seconds; overrides the run's default."""
    split: Literal["train", "holdout"] | None = None
    """For evolve: train tasks produce failures to learn from, holdout tasks gate the candidate.
    Tasks without a split are used for both."""


    @field_validator("setup")
    @classmethod
    def _setup_inside(cls, value: dict[str, str]) -> dict[str, str]:
        for rel in value:
            task_relative(rel)
        return value


def task_relative(rel: str) -> str:
    """A path inside a task's folder; anything that could land outside it is refused."""
    pure = PurePosixPath(rel)
    if not rel or "\\" in rel or pure.is_absolute() or ".." in pure.parts:
        raise ValueError(f"setup/check path {rel!r} must stay inside the task folder")
    return rel


class TaskResult(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    with_skill: bool
    passed: bool
    reason: str = ""
    agent_exit: int | None = None
    duration_s: float = 0.0
    output: str = ""


class PassCount(BaseModel):
    passed: int
    total: int

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


class EvalReport(BaseModel):
    """What ``skillforge eval --json`` prints (plus per-task results)."""

    model_config = ConfigDict(populate_by_name=True)

    skill: str
    with_: PassCount = Field(alias="with")
    without: PassCount
    delta: float
    worse: list[str] = Field(default_factory=list)
    better: list[str] = Field(default_factory=list)
    results: list[TaskResult] = Field(default_factory=list)
    run_dir: str | None = None
