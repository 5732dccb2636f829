"""skillforge: turn agent traces, tickets and documents into versioned, installable Agent Skills.

The public API, imported lazily so ``import skillforge`` (and ``skillforge --help``) stays fast:

>>> from skillforge import read_paths, run_distill, validate_skill, open_registry
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_API: dict[str, str] = {
    # ingest
    "read_paths": "skillforge.ingest",
    "read_file": "skillforge.ingest",
    "inspect_paths": "skillforge.ingest",
    "redact_trace": "skillforge.redact",
    "redact_text": "skillforge.redact",
    # distill
    "run_distill": "skillforge.distill.pipeline",
    "apply_patch": "skillforge.skills.patch",
    "run_llm_distill": "skillforge.distill.model.run",
    # skills
    "validate_skill": "skillforge.skills.validate",
    "read_package": "skillforge.skills.io",
    "write_package": "skillforge.skills.io",
    # registry
    "open_registry": "skillforge.registry",
    "Registry": "skillforge.registry",
    # hosts
    "install": "skillforge.hosts",
    "uninstall": "skillforge.hosts",
    "update": "skillforge.hosts",
    "installed": "skillforge.hosts",
    "list_hosts": "skillforge.hosts",
    # evals and evolve
    "load_tasks": "skillforge.evals",
    "run_eval": "skillforge.evals",
    "run_evolve": "skillforge.evolve.loop",
    "apply_correction": "skillforge.evolve.corrections",
    # security
    "scan_paths": "skillforge.scan",
    "scan_skill": "skillforge.scan",
    "poisoned_lessons": "skillforge.scan",
}

__all__ = ["__version__", *sorted(_API)]


def __getattr__(name: str) -> Any:
    if name in _API:
        return getattr(importlib.import_module(_API[name]), name)
    raise AttributeError(f"module 'skillforge' has no attribute {name!r}")
