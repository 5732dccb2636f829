"""Install skills into agent hosts (Claude Code, Codex, Gemini CLI, Copilot, Cursor, OpenCode, Goose, Amp,
Windsurf, Cline, and an AGENTS.md index for the rest), keep a lock file, update and uninstall.

The host folders are data (``hosts.json``); see ``table.py``. Library entry points:
``install``, ``uninstall``, ``update``, ``installed``, ``list_hosts``.
"""

from __future__ import annotations

import importlib
from typing import Any

# Imported on first use, so ``python -m skillforge.hosts.table`` does not load the installer first.
_API = {
    "install": "skillforge.hosts.installer",
    "installed": "skillforge.hosts.manage",
    "list_hosts": "skillforge.hosts.manage",
    "other_tools": "skillforge.hosts.manage",
    "uninstall": "skillforge.hosts.manage",
    "update": "skillforge.hosts.manage",
}

__all__ = sorted(_API)


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'skillforge.hosts' has no attribute {name!r}")
