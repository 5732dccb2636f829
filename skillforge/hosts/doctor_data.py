"""The listing table (``budgets.json``): each host's skill-listing budget and name precedence, as data.

Budgets and precedence rules change with host releases, so they live beside the host table with the
source each figure was read in. A host whose budget or precedence no source states has ``null``:
doctor then says "not documented" instead of inventing a number.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from skillforge.errors import InputError
from skillforge.models.lock import Scope

BUDGETS_FILE = Path(__file__).with_name("budgets.json")


class Budget(BaseModel):
    """A listing budget: ``fraction`` of the context window, or ``fallback_chars`` when it is unknown."""

    model_config = ConfigDict(extra="forbid")

    unit: Literal["chars", "tokens"]
    fraction: float
    chars_per_token: int
    context_tokens: int | None
    fallback_chars: int
    max_description_chars: int | None
    overflow: Literal["drop-descriptions", "shorten-descriptions"]
    status: Literal["V", "S", "U"]
    sources: list[str]
    settings: str = ""

    def limit(self, context_tokens: int | None = None) -> tuple[int, Literal["chars", "tokens"]]:
        """``(limit, unit)`` for a context window (the table's assumption when ``context_tokens`` is None).

        Claude Code counts characters (``tokens x 4 x fraction``); Codex counts tokens (``tokens x
        fraction``) and falls back to a character budget when the window is unknown.
        """
        window = context_tokens if context_tokens is not None else self.context_tokens
        if window is None or window <= 0:
            return self.fallback_chars, "chars"
        if self.unit == "tokens":
            return max(1, int(window * self.fraction)), "tokens"
        return max(1, int(window * self.chars_per_token * self.fraction)), "chars"


class Precedence(BaseModel):
    """Which copy of a name a host keeps: ``scopes`` highest first; within a scope the first folder read."""

    model_config = ConfigDict(extra="forbid")

    scopes: list[Scope]
    duplicates_listed: bool
    status: Literal["V", "S", "U"]
    source: str


class HostListing(BaseModel):
    model_config = ConfigDict(extra="forbid")

    budget: Budget | None
    precedence: Precedence | None
    scan_depth: int = 1
    plugins: Literal["claude"] | None = None


class ListingTable(BaseModel):
    model_config = ConfigDict(extra="forbid")

    table_version: int
    checked: str
    about: str
    legend: dict[str, str]
    hosts: dict[str, HostListing]


@cache
def load_listing_table(path: Path = BUDGETS_FILE) -> ListingTable:
    """Read the shipped listing table."""
    try:
        return ListingTable.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"listing budget table is unreadable: {exc}", path=path) from None


def listing_for(host: str) -> HostListing:
    """The host's row, or an empty one (no budget, no documented precedence) for hosts not in the table."""
    return load_listing_table().hosts.get(host) or HostListing(budget=None, precedence=None)
