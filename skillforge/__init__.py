"""skillforge: turn agent traces, tickets and documents into versioned, installable Agent Skills.

The public API, imported lazily so ``import skillforge`` (and ``skillforge --help``) stays fast:

>>> from skillforge import read_paths, run_distill, validate_skill, open_registry
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:  # what mypy and IDEs see; at run time ``__getattr__`` imports each name on first use
    from skillforge.distill.pipeline import run_distill as run_distill
    from skillforge.evals import load_tasks as load_tasks
    from skillforge.evals import run_eval as run_eval
    from skillforge.evolve.corrections import apply_correction as apply_correction
    from skillforge.evolve.loop import run_evolve as run_evolve
    from skillforge.hosts.installer import install as install
    from skillforge.hosts.manage import installed as installed
    from skillforge.hosts.manage import list_hosts as list_hosts
    from skillforge.hosts.manage import uninstall as uninstall
    from skillforge.hosts.manage import update as update
    from skillforge.ingest import inspect_paths as inspect_paths
    from skillforge.ingest import read_file as read_file
    from skillforge.ingest import read_paths as read_paths
    from skillforge.redact import redact_text as redact_text
    from skillforge.redact import redact_trace as redact_trace
    from skillforge.registry import Registry as Registry
    from skillforge.registry import open_registry as open_registry
    from skillforge.scan import poisoned_lessons as poisoned_lessons
    from skillforge.scan import scan_paths as scan_paths
    from skillforge.scan import scan_skill as scan_skill
    from skillforge.skills.io import read_package as read_package
    from skillforge.skills.io import write_package as write_package
    from skillforge.skills.patch import apply_patch as apply_patch
    from skillforge.skills.validate import validate_skill as validate_skill

# name -> module, the same pairs as the block above (tests/test_public_api.py keeps them equal).
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
    # skills
    "validate_skill": "skillforge.skills.validate",
    "read_package": "skillforge.skills.io",
    "write_package": "skillforge.skills.io",
    # registry
    "open_registry": "skillforge.registry",
    "Registry": "skillforge.registry",
    # hosts
    "install": "skillforge.hosts.installer",
    "uninstall": "skillforge.hosts.manage",
    "update": "skillforge.hosts.manage",
    "installed": "skillforge.hosts.manage",
    "list_hosts": "skillforge.hosts.manage",
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
        # plugins (and pluggy) load only here, so ``import skillforge`` and ``skillforge --help`` stay fast.
        from skillforge.plugins import load_attr

        return load_attr(_API[name], name)
    raise AttributeError(f"module 'skillforge' has no attribute {name!r}")
