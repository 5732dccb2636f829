"""Install skills into agent hosts (Claude Code, Codex, Gemini CLI, Copilot, Cursor, OpenCode, Goose, Amp,
Windsurf, Cline, and an AGENTS.md index for the rest), keep a lock file, update and uninstall.

The host folders are data (``hosts.json``); see ``table.py``. Plugins add hosts through the
``register_hosts`` hook (``skillforge.plugins``). Library entry points:
``install``, ``uninstall``, ``update``, ``installed``, ``list_hosts``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what mypy and IDEs see; at run time ``__getattr__`` imports each name on first use
    from skillforge.hosts.installer import install as install
    from skillforge.hosts.manage import installed as installed
    from skillforge.hosts.manage import list_hosts as list_hosts
    from skillforge.hosts.manage import other_tools as other_tools
    from skillforge.hosts.manage import uninstall as uninstall
    from skillforge.hosts.manage import update as update

# Imported on first use, so ``python -m skillforge.hosts.table`` does not load the installer first.
# name -> module, the same pairs as the block above (tests/test_public_api.py keeps them equal).
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
        from skillforge.plugins import load_attr

        return load_attr(_API[name], name)
    raise AttributeError(f"module 'skillforge.hosts' has no attribute {name!r}")
