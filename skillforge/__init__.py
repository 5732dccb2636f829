"""skillforge: turn agent traces, tickets and documents into versioned, installable Agent Skills."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
