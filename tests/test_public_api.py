"""The names skillforge promises at the top level resolve, mypy sees their real types, and importing the
package stays light."""

from __future__ import annotations

import ast
import importlib
import inspect
import subprocess
import sys
from types import ModuleType

import pytest

import skillforge


def test_every_public_name_resolves() -> None:
    for name in skillforge.__all__:
        assert getattr(skillforge, name) is not None, name


def _type_checking_imports(module: ModuleType) -> dict[str, str]:
    """name -> module of the ``from X import name as name`` lines under ``if TYPE_CHECKING:``."""
    tree = ast.parse(inspect.getsource(module))
    found: dict[str, str] = {}
    for node in tree.body:
        if isinstance(node, ast.If) and isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING":
            for stmt in node.body:
                assert isinstance(stmt, ast.ImportFrom) and stmt.module, ast.dump(stmt)
                for alias in stmt.names:
                    assert alias.asname == alias.name, f"re-export {alias.name} as itself"
                    found[alias.name] = stmt.module
    return found


@pytest.mark.parametrize(
    ("package", "table"),
    [("skillforge", "_API"), ("skillforge.distill", "_EXPORTS"), ("skillforge.hosts", "_API")],
)
def test_what_mypy_sees_is_what_the_lazy_api_returns(package: str, table: str) -> None:
    """Each lazily imported name is declared for type checkers, and from a module that holds the very
    object ``__getattr__`` returns (so ``skillforge.run_distill`` is typed, never ``Any``)."""
    module = importlib.import_module(package)
    lazy: dict[str, str] = getattr(module, table)
    declared = _type_checking_imports(module)
    assert sorted(declared) == sorted(lazy)
    for name, source in declared.items():
        assert getattr(importlib.import_module(source), name) is getattr(module, name), name


def test_import_skillforge_loads_no_heavy_module() -> None:
    code = (
        "import sys, skillforge, skillforge.cli; "
        "print([m for m in ('litellm', 'textual', 'git', 'pydantic', 'pluggy') if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
