"""Make the redaction corpus (``corpus.py`` beside this file) importable as ``redaction_corpus``.

Tests run with ``--import-mode=importlib``, so sibling modules are not on ``sys.path``; pytest loads
this conftest before it collects the test files here, which then ``import redaction_corpus``.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path


def _load() -> None:
    if "redaction_corpus" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location("redaction_corpus", Path(__file__).parent / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    sys.modules["redaction_corpus"] = module


_load()
