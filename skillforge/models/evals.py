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
    """One run of one task in one arm. ``passed`` needs both a clean agent run and a passing check."""

    model_config = ConfigDict(extra="forbid")

    id: str
    with_skill: bool
    passed: bool
    reason: str = ""
    agent_exit: int | None = None
    duration_s: float = 0.0
    output: str = ""
    run: int = 0
    """Which repetition of the task this is (0-based); runs with the same index are paired across arms."""
    arm: str = ""
    """``with``/``without`` in ``eval``; ``current``/``candidate`` in the evolve gate."""
    check_passed: bool | None = None
    """What the check said, kept even when the agent crashed (None: the check did not run)."""
    agent_failed: bool = False
    """The agent exited non-zero, timed out or could not start: a failed run whatever the check says."""


class PassCount(BaseModel):
    passed: int
    total: int

    @property
    def rate(self) -> float:
        return self.passed / self.total if self.total else 0.0


class ArmStats(PassCount):
    """One arm over every run of every task: pass rate, run-to-run spread and a 95 % interval."""

    pass_rate: float = 0.0
    sd: float = 0.0
    """Standard deviation of the arm's pass rate across repetitions (0 with one run)."""
    ci: tuple[float, float] = (0.0, 1.0)
    """Wilson score interval of the pass rate."""


class DeltaStats(BaseModel):
    """The paired difference of two arms (first minus second) with its 95 % interval."""

    mean: float
    ci: tuple[float, float]


Verdict = Literal["better", "worse", "no-difference"]


class TaskSummary(BaseModel):
    """One task across its runs in both arms."""

    model_config = ConfigDict(populate_by_name=True)

    id: str
    with_: PassCount = Field(alias="with")
    without: PassCount
    delta: DeltaStats
    verdict: Verdict


class EvalReport(BaseModel):
    """What ``skillforge eval --json`` prints (plus per-run results)."""

    model_config = ConfigDict(populate_by_name=True)

    skill: str
    runs: int = 1
    with_: ArmStats = Field(alias="with")
    without: ArmStats
    delta: DeltaStats
    verdict: Verdict = "no-difference"
    """From the interval of ``delta``, never from point estimates."""
    regressed_tasks: list[str] = Field(default_factory=list)
    """Tasks worse with the skill beyond noise (their own paired interval is below zero)."""
    worse: list[str] = Field(default_factory=list)
    """Tasks with a lower pass rate with the skill (point estimate: negative transfer to look at)."""
    better: list[str] = Field(default_factory=list)
    tasks: list[TaskSummary] = Field(default_factory=list)
    results: list[TaskResult] = Field(default_factory=list)
    run_dir: str | None = None
