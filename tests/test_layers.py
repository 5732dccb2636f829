"""The package layers docs/ARCHITECTURE.md states: importing every module of a package loads only the
skillforge packages it may use (checked in a fresh interpreter, since this test process has imported
everything)."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import importlib, pkgutil, sys
package = importlib.import_module(sys.argv[1])
for info in pkgutil.walk_packages(package.__path__, sys.argv[1] + "."):
    importlib.import_module(info.name)
print(" ".join(sorted({".".join(m.split(".")[:2]) for m in sys.modules if m.startswith("skillforge.")})))
"""

ALLOWED = {
    "models": {"models"},
    "redact": {"models", "redact"},
    "llm": {"errors", "llm", "models", "resources"},
    "skills": {"errors", "models", "resources", "skills"},
    "scan": {"errors", "models", "redact", "scan"},
    "evolve": {"config", "errors", "evals", "evolve", "hookspecs", "hosts", "ingest", "llm", "models", "plugins",
               "redact", "resources", "scan", "skills"},
}


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_a_package_loads_only_the_packages_it_may_import(package: str) -> None:
    out = subprocess.run([sys.executable, "-c", CHECK, f"skillforge.{package}"], capture_output=True, text=True,
                         check=True).stdout
    loaded = {name.removeprefix("skillforge.") for name in out.split()}
    assert loaded <= ALLOWED[package], f"skillforge.{package} loads {sorted(loaded - ALLOWED[package])}"
