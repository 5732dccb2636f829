"""Locate data shipped with skillforge (templates, JSON schemas) in a checkout or an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PKG = Path(__file__).resolve().parent


@cache
def data_dir(name: str) -> Path:
    """Return the directory of shipped data ``name`` (``templates`` or ``registry``).

    An installed wheel carries them under ``skillforge/_data/``; a source checkout (also an
    editable install) keeps them at the top level of the repository.
    """
    packaged = _PKG / "_data" / name
    if packaged.is_dir():
        return packaged
    source = _PKG.parent / name
    if source.is_dir():
        return source
    raise FileNotFoundError(f"skillforge data directory {name!r} not found (looked in {packaged} and {source})")


def template_path(*parts: str) -> Path:
    return data_dir("templates").joinpath(*parts)


def schema_path(name: str) -> Path:
    return data_dir("registry") / f"{name}.schema.json"
