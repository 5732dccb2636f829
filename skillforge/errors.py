"""One exception tree for the whole library.

Every error a person can see carries the file (and line) it is about and, where we know it,
what to do next. The CLI turns these into one red line and a non-zero exit code.
"""

from __future__ import annotations

from pathlib import Path


class SkillforgeError(Exception):
    """Base class: a message a person can act on, optionally located in a file."""

    exit_code = 1

    def __init__(
        self,
        message: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = str(path) if path is not None else None
        self.line = line
        self.hint = hint

    def __str__(self) -> str:
        where = ""
        if self.path:
            where = self.path + (f":{self.line}" if self.line else "") + ": "
        text = where + self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class InputError(SkillforgeError):
    """An input file or argument cannot be used."""


class FormatError(InputError):
    """A file is not in the format its reader expects."""


class SpecError(SkillforgeError):
    """A skill folder breaks the Agent Skills spec."""


class LLMError(SkillforgeError):
    """A model call failed."""


class RateLimitError(LLMError):
    def __init__(self, message: str, *, retry_after: float | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.retry_after = retry_after


class ContextWindowError(LLMError):
    """The prompt does not fit the model's context window."""


class AuthError(LLMError):
    """The provider refused the credentials."""


class ProviderError(LLMError):
    """A transient or unknown provider failure (5xx, timeout, connection)."""

    def __init__(self, message: str, *, status: int | None = None, **kw: object) -> None:
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.status = status


class BudgetExceeded(LLMError):
    """The next call would exceed the configured budget."""

    exit_code = 3


class OutputParseError(LLMError):
    """A model answer could not be parsed into the expected structure, even after a repair round."""


class RegistryError(SkillforgeError):
    """The skill registry refused an operation or is in a bad state."""


class ConflictError(RegistryError):
    """A pull or concurrent write conflicts with local state."""


class LockedError(RegistryError):
    """Another process holds the registry lock."""


class UnknownVersion(RegistryError):
    """The requested skill or version does not exist."""


class HostError(SkillforgeError):
    """Installing into an agent host failed."""


class ScanRefused(SkillforgeError):
    """A security scan found high-severity problems."""

    exit_code = 4


class PatchError(SkillforgeError):
    """A patch could not be applied."""
