"""The names skillforge promises at the top level resolve, and importing the package stays light."""

from __future__ import annotations

import subprocess
import sys

import skillforge


def test_every_public_name_resolves() -> None:
    for name in skillforge.__all__:
        assert getattr(skillforge, name) is not None, name


def test_import_skillforge_loads_no_heavy_module() -> None:
    code = "import sys, skillforge; print([m for m in ('litellm', 'textual', 'git', 'pydantic') if m in sys.modules])"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
