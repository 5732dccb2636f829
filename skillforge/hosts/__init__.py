"""Install skills into agent hosts (Claude Code, Codex, Gemini CLI, Copilot, Cursor, OpenCode, Goose, Amp,
Windsurf, Cline, and an AGENTS.md index for the rest), keep a lock file, update and uninstall.

The host folders are data (``hosts.json``); see ``table.py``. Library entry points:
``install``, ``uninstall``, ``update``, ``installed``, ``list_hosts``.
"""

from skillforge.hosts.installer import install
from skillforge.hosts.manage import installed, list_hosts, uninstall, update

__all__ = ["install", "installed", "list_hosts", "uninstall", "update"]
