"""Where the analysis stage's work runs: the seam between ``analysis._analyse`` and its executors.

``_analyse`` decides *what* happens (the order of traces, clustering, the merge tree's shape, what
goes into the report); an executor decides *where* the three kinds of work run:

- ``feed``: reading + redaction (+ the slim copy the poisoned-lesson check reads), in input order;
- ``analyze``: one analyst sub-agent on one trace, then the poisoned-lesson check of its lessons;
- ``merge_step``: one node of the consolidation tree.

``LocalExecutor`` is the default: a child process reads, the calls run on this process's event loop.
``executor="ray"`` loads ``ray_executor.RayExecutor`` (and Ray itself) only when it is asked for.
Both give the same answers for the same input; only where and how fast differ.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from skillforge.distill.consolidate import MergeStep
from skillforge.distill.model.analysts import AnalystResult, LLMAnalyst
from skillforge.distill.model.merge import LLMMergeStep
from skillforge.distill.model.trace_feed import TraceFeed
from skillforge.errors import SkillforgeError
from skillforge.ingest import ReadOptions
from skillforge.llm.client import LLMClient
from skillforge.models import Skipped, Trace
from skillforge.models.llm import CallFailure
from skillforge.models.scan import QuarantinedLesson
from skillforge.scan import poisoned_lessons

EXECUTORS = ("local", "ray")


class Feed(Protocol):
    """Redacted traces in input order; what could not be read piles up in ``skipped``."""

    skipped: list[Skipped]

    async def next(self) -> tuple[Trace, Trace] | None:
        """The next ``(trace, slim copy)``, or None at the end."""
        ...

    def close(self) -> None: ...


@dataclass
class Analysed:
    """One trace's analyst result, its lessons already through the poisoned-lesson check."""

    result: AnalystResult
    quarantined: list[QuarantinedLesson] = field(default_factory=list)


class Executor(Protocol):
    """Runs the analysis stage's work; see the module docstring."""

    def feed(self, files: list[Path], fmt: str | None, options: ReadOptions, redact_emails: bool) -> Feed: ...

    async def analyze(self, trace: Trace, slim: Trace) -> Analysed:
        """Analyse ``trace``. Model failures (and where the work ran, its failures: a Ray task error, a
        lost worker) come back in ``result.failure``; ``BudgetExceeded`` is raised."""
        ...

    def merge_step(self, failures: list[CallFailure]) -> MergeStep:
        """The consolidation tree's merge step; failed merges (model or executor failures) are
        appended to ``failures`` and keep their lessons unmerged."""
        ...

    def close(self) -> None: ...


def screen(result: AnalystResult, slim: Trace) -> Analysed:
    """Keep instructions planted in tool outputs, documents or tickets from becoming rules (the same
    check as the offline path, on this trace's evidence, before anything is merged)."""
    result.lessons, quarantined = poisoned_lessons(result.lessons, {result.trace_id: slim})
    return Analysed(result, quarantined)


class LocalExecutor:
    """Today's behaviour: a child process reads, every call runs on this process's event loop."""

    def __init__(self, client: LLMClient, analyst: LLMAnalyst) -> None:
        self.client = client
        self.analyst = analyst

    def feed(self, files: list[Path], fmt: str | None, options: ReadOptions, redact_emails: bool) -> Feed:
        return TraceFeed(files, fmt, options, redact_emails=redact_emails)

    async def analyze(self, trace: Trace, slim: Trace) -> Analysed:
        return screen(await self.analyst.analyze(trace), slim)

    def merge_step(self, failures: list[CallFailure]) -> MergeStep:
        return LLMMergeStep(self.client, failures)

    def close(self) -> None:
        return None


def make_executor(name: str, client: LLMClient, analyst: LLMAnalyst, *, ray_address: str | None = None) -> Executor:
    """The executor called ``name`` (``local`` or ``ray``); Ray is imported only for ``ray``."""
    if name == "local":
        if ray_address is not None:
            raise SkillforgeError("--ray-address needs the Ray executor", hint="add --executor ray")
        return LocalExecutor(client, analyst)
    if name == "ray":
        from skillforge.distill.model.ray_executor import RayExecutor

        return RayExecutor(client, analyst, address=ray_address)
    raise SkillforgeError(f"unknown executor {name!r}", hint=f"use one of: {', '.join(EXECUTORS)}")
