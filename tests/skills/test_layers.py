"""skills sits below distill: reading, rendering, patching and linting a skill never loads the pipeline."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import pkgutil, importlib, sys
import skillforge.skills
names = sorted(m.name for m in pkgutil.iter_modules(skillforge.skills.__path__, "skillforge.skills."))
for name in names:
    importlib.import_module(name)
loaded = sorted(m for m in sys.modules if m.startswith(("skillforge.distill", "skillforge.evolve")))
print(len(names), loaded)
"""


def test_importing_every_skills_module_does_not_import_distill_or_evolve() -> None:
    # A fresh interpreter: this test process has long since imported distill.
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True, check=True).stdout.split(" ", 1)
    assert int(out[0]) >= 10  # render, patch, provenance, naming, rules, lint, … were all imported
    assert out[1].strip() == "[]"
