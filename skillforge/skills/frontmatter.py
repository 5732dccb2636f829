"""Read and write SKILL.md frontmatter exactly as the reference parser (skills-ref) reads it.

skills-ref splits the file on ``---`` and loads the middle with strictyaml, which reads every
scalar as a string; we do the same so ``validate`` accepts exactly what the reference accepts.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any

import yaml

from skillforge.errors import SpecError
from skillforge.models import Frontmatter

FIELD_ORDER = ("name", "description", "license", "compatibility", "allowed-tools", "metadata")


def split(content: str, path: str | None = None) -> tuple[dict[str, Any], str]:
    """Return ``(frontmatter mapping, body)``; raise ``SpecError`` where skills-ref raises ParseError."""
    if not content.startswith("---"):
        raise SpecError("SKILL.md must start with YAML frontmatter (---)", path=path)
    parts = content.split("---", 2)
    if len(parts) < 3:
        raise SpecError("SKILL.md frontmatter not properly closed with ---", path=path)
    data, error = _load(parts[1])
    if error is not None:
        raise SpecError(f"Invalid YAML in frontmatter: {error}", path=path) from None
    data = copy.deepcopy(data)  # the parsed value is shared with later calls: callers get their own
    if not isinstance(data, dict):
        raise SpecError("SKILL.md frontmatter must be a YAML mapping", path=path)
    if "metadata" in data and isinstance(data["metadata"], dict):
        data["metadata"] = {str(k): str(v) for k, v in data["metadata"].items()}
    return data, parts[2].strip()


def _load(text: str) -> tuple[Any, str | None]:
    """strictyaml's reading of ``text`` (or its error). Parsing costs a few milliseconds and a distill
    run reads the same frontmatter again to plan, render, validate and lint each skill: ordinary-sized
    frontmatter is parsed once per process."""
    return _parse_cached(text) if len(text) <= _CACHED_CHARS else _parse(text)


_CACHED_CHARS = 16_384
"""Longer frontmatter (hostile or broken) is parsed each time rather than held in the cache."""


def _parse(text: str) -> tuple[Any, str | None]:
    import strictyaml

    try:
        return strictyaml.load(text).data, None
    except strictyaml.YAMLError as exc:
        return None, str(exc)


_parse_cached = lru_cache(maxsize=256)(_parse)


def dump(front: Frontmatter) -> str:
    """Render frontmatter (with ``---`` fences) in a fixed key order, quoting whatever needs quoting."""
    data = front.model_dump(by_alias=True, exclude_none=True)
    if not data.get("metadata"):
        data.pop("metadata", None)
    ordered = {key: data[key] for key in FIELD_ORDER if key in data}
    if "metadata" in ordered:
        ordered["metadata"] = {k: str(v) for k, v in sorted(ordered["metadata"].items())}
    text = yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=10_000, default_flow_style=False)
    if "---" in text:
        # skills-ref splits SKILL.md on every '---', so such a value would cut the frontmatter short.
        raise SpecError("frontmatter values must not contain '---'", hint="rephrase the name or description")
    rendered = f"---\n{text}---\n"
    data_back, _ = split(rendered + "\n")
    if data_back != ordered:
        raise SpecError("frontmatter does not survive a round trip through the reference parser")
    return rendered


def render(front: Frontmatter, body: str) -> str:
    """The full SKILL.md text: frontmatter, a blank line, the body, one trailing newline."""
    return dump(front) + "\n" + body.strip() + "\n"
