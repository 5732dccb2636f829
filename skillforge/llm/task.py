"""One shape for every model stage: a prompt file, a typed answer, a check and one repair round.

A stage (analyst, merge, plan, fix, failure, diagnose, optimize, correct) is a ``Task``: its class
line names the answer model and the template in ``templates/prompts/``
(``class MergeTask(Task[MergeAnswer], kind="merge", prompt="merge")``), its fields are the stage's
typed inputs (a subclass is a dataclass), ``inputs`` renders them into the template's
placeholders and ``check`` adds the semantic rules pydantic cannot express (ids that must exist,
headings of the skill). ``run`` asks, parses, checks and repairs once, as ``complete_as`` does for
every task, so a stage is its inputs, its check and what it does with the answer — the idea of
dspy's Signature (typed inputs and outputs plus instructions) run by its Predict module.

``kind`` is the task type: the prefix of the request's label and the name the scripted fake model
(``skillforge.testing``) queues answers under.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar, get_args, get_origin

from pydantic import BaseModel
from typing_extensions import dataclass_transform

from skillforge.errors import BudgetExceeded, LLMError
from skillforge.llm.client import LLMClient
from skillforge.llm.structured import build_request, complete_as
from skillforge.models.llm import CallFailure, LLMRequest, LLMResponse

A = TypeVar("A", bound=BaseModel)


@dataclass_transform()
class Task(ABC, Generic[A]):
    """A model stage: ``prompt`` + ``answer`` + ``inputs()`` + ``check()``, run with one repair round."""

    kind: ClassVar[str]
    """Task type (``merge``, ``plan``, ``evolve-diagnose``...): label prefix and the fake model's queue name."""
    prompt: ClassVar[str]
    """Template name: ``templates/prompts/<prompt>.md``."""
    answer: ClassVar[type[BaseModel]]
    """The pydantic model the answer must validate as (the ``A`` of ``Task[A]``)."""

    def __init_subclass__(cls, *, kind: str = "", prompt: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.kind = kind or getattr(cls, "kind", "")
        cls.prompt = prompt or getattr(cls, "prompt", "")
        for base in cls.__dict__.get("__orig_bases__", ()):
            if get_origin(base) is Task:
                cls.answer = get_args(base)[0]
        dataclass(cls)

    @abstractmethod
    def inputs(self) -> dict[str, Any]:
        """The template's placeholder values (``schema`` is filled in from ``answer``)."""

    def check(self, answer: A) -> None:
        """Semantic rules beyond the schema; a ``ValueError`` goes back to the model in the repair round."""
        del answer

    def label(self) -> str:
        """The request's label in errors, the journal and reports (``kind`` unless a stage says more)."""
        return self.kind

    def request(self, *, tools: list[dict[str, Any]] | None = None) -> LLMRequest:
        """The rendered request (what a dry run prices and the cache is keyed on)."""
        return build_request(self.label(), self.prompt, self.answer, tools=tools, **self.inputs())

    async def run(self, client: LLMClient, *, request: LLMRequest | None = None, first: LLMResponse | None = None) -> A:
        """Ask (``request``, default ``self.request()``) and return the checked answer; one repair round.

        ``first`` is an answer already obtained for ``request`` (an agent's last turn). Raises the
        client's ``LLMError``, or ``OutputParseError`` when the repaired answer is still unusable."""
        output: type[A] = self.answer  # type: ignore[assignment]  # the A of Task[A], set by __init_subclass__
        return await complete_as(client, request or self.request(), output, check=self.check, first=first)

    async def attempt(self, client: LLMClient, failures: list[CallFailure] | None) -> A | None:
        """``run``, or None with the failure appended to ``failures`` when the call fails.

        For stages with a fallback (unmerged lessons, the lessons' own skills): one bad answer
        costs that stage its model result, not the run. ``BudgetExceeded`` still stops the run."""
        try:
            return await self.run(client)
        except BudgetExceeded:
            raise
        except LLMError as exc:
            if failures is not None:
                failures.append(CallFailure(task=self.label(), error=exc.message, kind=type(exc).__name__))
            return None


class Ids:
    """Row ids a prompt shows (``L1``, ``L2``, ... for ``count`` rows) and the checks of the ids an answer names."""

    def __init__(self, prefix: str, count: int) -> None:
        self.prefix = prefix
        self.valid = [f"{prefix}{i + 1}" for i in range(count)]

    def json(self, rows: Iterable[dict[str, Any]]) -> str:
        """``rows`` as the prompt shows them: a JSON list, each row headed by its id."""
        listed = [{"id": rid, **row} for rid, row in zip(self.valid, rows, strict=True)]
        return json.dumps(listed, ensure_ascii=False, indent=1)

    def index(self, ref: str) -> int:
        """The row position an id names (``" l3 "`` -> 2); ``ValueError`` for an id not shown."""
        key = ref.strip().upper()
        if key not in self.valid:
            raise ValueError(f"unknown id {ref!r} (the ids are {self.prefix}1..{self.prefix}{len(self.valid)})")
        return int(key[len(self.prefix) :]) - 1

    def check_partition(self, groups: Iterable[Iterable[str]], where: str) -> None:
        """Every id in exactly one group (``where`` names a group in the error, e.g. 'cluster')."""
        seen: set[int] = set()
        for group in groups:
            for ref in group:
                i = self.index(ref)
                if i in seen:
                    raise ValueError(f"{self.valid[i]} is in more than one {where}")
                seen.add(i)
        missing = [rid for i, rid in enumerate(self.valid) if i not in seen]
        if missing:
            raise ValueError(f"{', '.join(missing[:10])} {'is' if len(missing) == 1 else 'are'} in no {where}")
