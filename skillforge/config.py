"""Where skillforge keeps its files, and the settings every command shares."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """skillforge's home: ``$SKILLFORGE_HOME`` or ``~/.skillforge``."""
    env = os.environ.get("SKILLFORGE_HOME")
    if env:
        return Path(env).expanduser()
    return Path.home() / ".skillforge"


def registry_dir() -> Path:
    """Default registry repository: ``$SKILLFORGE_REGISTRY`` or ``<home>/registry``."""
    env = os.environ.get("SKILLFORGE_REGISTRY")
    if env:
        return Path(env).expanduser()
    return home() / "registry"


def cache_dir() -> Path:
    """LLM response cache: ``$SKILLFORGE_CACHE`` or ``<home>/cache``."""
    env = os.environ.get("SKILLFORGE_CACHE")
    if env:
        return Path(env).expanduser()
    return home() / "cache"
