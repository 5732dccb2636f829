"""Regression guard over skillforge's own source: no eval/exec, no shell=True, no pickle, no unsafe YAML,
no unfiltered archive extraction, no os.system.

This reads the syntax tree rather than grepping text, so the scanner's own rule strings (which spell
out ``shell=True`` and ``eval(`` to catch them in skills) do not count, and no call can hide behind
formatting.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent.parent / "skillforge"
_BANNED_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "jsonpickle"}
_UNSAFE_YAML = {"unsafe_load", "full_load", "unsafe_load_all", "full_load_all"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_name(node.value)}.{node.attr}"
    return ""


def violations(source: str, filename: str) -> list[str]:
    tree = ast.parse(source, filename)
    found = []
    for node in ast.walk(tree):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import):
            found += [
                f"{where}: imports {a.name}" for a in node.names if a.name.split(".")[0] in _BANNED_MODULES
            ]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in _BANNED_MODULES:
            found.append(f"{where}: imports from {node.module}")
        elif isinstance(node, ast.Call):
            name = _name(node.func)
            short = name.rsplit(".", 1)[-1]
            if name in ("eval", "exec", "builtins.eval", "builtins.exec"):
                found.append(f"{where}: calls {name}()")
            if name in ("os.system", "os.popen"):
                found.append(f"{where}: calls {name}()")
            for kw in node.keywords:
                if kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and kw.value.value is False):
                    found.append(f"{where}: shell={ast.unparse(kw.value)}")
            if name.startswith("yaml.") and short in _UNSAFE_YAML:
                found.append(f"{where}: yaml.{short}()")
            if name.startswith("yaml.") and short in ("load", "load_all"):
                loader = next((kw.value for kw in node.keywords if kw.arg == "Loader"), None)
                if loader is None or "SafeLoader" not in ast.unparse(loader):
                    found.append(f"{where}: yaml.{short}() without SafeLoader")
            if short == "extractall" and not any(kw.arg == "filter" for kw in node.keywords):
                found.append(f"{where}: extractall() without filter= (tar-slip)")
    return found


def test_package_source_has_no_dangerous_calls() -> None:
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 50
    problems = [
        v
        for f in files
        for v in violations(f.read_text(encoding="utf-8"), str(f.relative_to(PACKAGE.parent)))
    ]
    assert problems == []


def test_the_guard_catches_what_it_claims_to() -> None:
    bad = (
        "import pickle\nfrom marshal import loads\nimport subprocess, os, yaml, tarfile\n"
        "subprocess.run(cmd, shell=True)\nos.system(cmd)\neval(x)\nyaml.load(s)\n"
        "yaml.load(s, Loader=yaml.Loader)\nyaml.full_load(s)\ntarfile.open(p).extractall(d)\n"
    )
    got = [v.split(": ", 1)[1] for v in violations(bad, "bad.py")]
    assert got == [
        "imports pickle",
        "imports from marshal",
        "shell=True",
        "calls os.system()",
        "calls eval()",
        "yaml.load() without SafeLoader",
        "yaml.load() without SafeLoader",
        "yaml.full_load()",
        "extractall() without filter= (tar-slip)",
    ]
    ok = (
        "yaml.load(s, Loader=getattr(yaml, 'CSafeLoader', yaml.SafeLoader))\nyaml.safe_load(s)\n"
        "subprocess.run(['ls'], shell=False)\ntf.extractall(d, filter='data')\n"
    )
    assert violations(ok, "ok.py") == []
