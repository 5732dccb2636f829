"""The normalized unit every reader produces: a Trace of Steps."""

from __future__ import annotations

import dataclasses
import hashlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.dataclasses import dataclass
from typing_extensions import Self

TraceKind = Literal["trace", "ticket", "document"]
Role = Literal["system", "user", "assistant", "tool"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


_STRICT = ConfigDict(extra="forbid")


class _StepPart:
    """What a step and its call and result answer of pydantic's model API.

    They are pydantic dataclasses with slots, not ``BaseModel``s: a 300 MB session becomes ~300k of
    them, and a slotted instance is ~80 bytes where a model's ``__dict__`` and fields set make ~270.
    They validate on construction like a model (``extra="forbid"``) and nest in ``Trace`` as usual.
    """

    __slots__ = ()

    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        return _adapter(type(self)).dump_python(self, **kwargs)  # type: ignore[no-any-return]

    def model_dump_json(self, **kwargs: Any) -> str:
        return _adapter(type(self)).dump_json(self, **kwargs).decode()

    def model_copy(self, *, update: dict[str, Any] | None = None) -> Self:
        """A copy with ``update`` applied (validated, unlike ``BaseModel.model_copy``)."""
        return dataclasses.replace(self, **(update or {}))  # type: ignore[type-var]


_ADAPTERS: dict[type[Any], TypeAdapter[Any]] = {}


def _adapter(cls: type[Any]) -> TypeAdapter[Any]:
    adapter = _ADAPTERS.get(cls)
    if adapter is None:
        adapter = _ADAPTERS[cls] = TypeAdapter(cls)
    return adapter


@dataclass(slots=True, config=_STRICT)
class ToolCall(_StepPart):
    """A tool the agent asked to run."""

    name: str
    arguments: dict[str, Any] | str = Field(default_factory=dict)
    """Parsed JSON arguments, or the raw string when they were not JSON (e.g. a shell command)."""
    id: str | None = None


@dataclass(slots=True, config=_STRICT)
class ToolResult(_StepPart):
    """What a tool returned."""

    output: str = ""
    is_error: bool = False
    exit_code: int | None = None
    call_id: str | None = None


@dataclass(slots=True, config=_STRICT)
class Step(_StepPart):
    """One message or event of a trace, in order."""

    role: Role
    text: str = ""
    tool_call: ToolCall | None = None
    tool_result: ToolResult | None = None
    timestamp: str | None = None


class Outcome(_Model):
    """How the run ended, as far as the source says."""

    success: bool | None = None
    reward: float | None = None
    error: str | None = None


class Source(_Model):
    """Where a trace came from: file, format and position inside the file."""

    path: str
    format: str
    line: int | None = None
    index: int = 0
    """Position of this trace among the traces of the same file (0 for one-trace files)."""


class Trace(_Model):
    """An agent run, a ticket or a document, normalized."""

    id: str
    kind: TraceKind = "trace"
    source: Source
    task: str = ""
    steps: list[Step] = Field(default_factory=list)
    outcome: Outcome = Field(default_factory=Outcome)
    metadata: dict[str, Any] = Field(default_factory=dict)

    @staticmethod
    def make_id(path: str, index: int = 0) -> str:
        """Stable id: hash of the source path (as given) and the trace's index in that file."""
        digest = hashlib.sha256(f"{path}\0{index}".encode()).hexdigest()
        return digest[:16]

    @property
    def tool_calls(self) -> int:
        return sum(1 for s in self.steps if s.tool_call is not None)

    @property
    def errors(self) -> int:
        return sum(1 for s in self.steps if s.tool_result is not None and s.tool_result.is_error)


class Skipped(_Model):
    """A record or file that could not be read, with the reason a person needs."""

    path: str
    line: int | None = None
    reason: str

    def __str__(self) -> str:
        return f"{self.path}{':' + str(self.line) if self.line else ''}: {self.reason}"
