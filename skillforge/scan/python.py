"""Python scripts read by their syntax tree: exec/eval of decoded or downloaded data, shell=True on input."""

from __future__ import annotations

import ast
import warnings

from skillforge.models.scan import Severity
from skillforge.scan.detect import Hit

_DECODERS = frozenset(
    {
        "b64decode",
        "b32decode",
        "b16decode",
        "a85decode",
        "b85decode",
        "decodebytes",
        "decodestring",
        "urlsafe_b64decode",
        "decompress",
        "fromhex",
        "unhexlify",
        "a2b_base64",
        "a2b_hex",
        "loads",
    }
)
_NETWORK = frozenset({"urlopen", "urlretrieve", "get", "post", "request", "recv", "read"})
_EXEC = frozenset({"exec", "eval", "execfile"})
_SHELL_ALWAYS = frozenset(
    {"os.system", "os.popen", "subprocess.getoutput", "subprocess.getstatusoutput", "commands.getoutput"}
)
_SUBPROCESS = frozenset(
    {
        "subprocess.run",
        "subprocess.call",
        "subprocess.check_call",
        "subprocess.check_output",
        "subprocess.Popen",
        "run",
        "call",
        "check_call",
        "check_output",
        "Popen",
    }
)
_INPUT_NAMES = (
    "sys.argv",
    "input",
    "os.environ",
    "os.getenv",
    "environ",
    "getenv",
    "request",
    "argv",
    "stdin",
    "args",
)


def _dotted(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _dotted(node.value)
        return f"{base}.{node.attr}" if base else node.attr
    if isinstance(node, ast.Call):
        return _dotted(node.func)
    return ""


def _literal(node: ast.AST) -> bool:
    """A constant string (or a list/tuple of them): nothing from outside can reach it."""
    if isinstance(node, ast.Constant):
        return True
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(_literal(e) for e in node.elts)
    return False


def _calls(node: ast.AST) -> list[str]:
    return [_dotted(n.func) for n in ast.walk(node) if isinstance(n, ast.Call)]


def _mentions_input(node: ast.AST) -> bool:
    names = {_dotted(n) for n in ast.walk(node) if isinstance(n, (ast.Name, ast.Attribute, ast.Call))}
    return any(
        any(n == i or n.startswith(i + ".") or n.endswith("." + i) for i in _INPUT_NAMES) for n in names
    )


def scan_python(source: str) -> list[Hit] | None:
    """Hits from the syntax tree of ``source``, or None when it does not parse (the caller falls back to patterns)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in old scripts are not our business
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    hits: list[Hit] = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        short = name.rsplit(".", 1)[-1]
        line = getattr(node, "lineno", 1)
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None) if getattr(node, "end_lineno", line) == line else None
        if short in _EXEC or name in ("compile", "builtins.compile"):
            if not node.args or _literal(node.args[0]):
                continue
            inner = [c.rsplit(".", 1)[-1] for c in _calls(node.args[0])]
            if any(c in _DECODERS for c in inner) or any(c in _NETWORK for c in inner):
                hits.append(Hit("obfuscated-exec", line, start, end))
            elif short in _EXEC:
                hits.append(Hit("dynamic-exec", line, start, end))
            continue
        shell_true = any(
            kw.arg == "shell" and not (isinstance(kw.value, ast.Constant) and not kw.value.value)
            for kw in node.keywords
        )
        if name in _SHELL_ALWAYS or (shell_true and (name in _SUBPROCESS or short in _SUBPROCESS)):
            command = (
                node.args[0]
                if node.args
                else next((k.value for k in node.keywords if k.arg in ("args", "cmd")), None)
            )
            if command is None or _literal(command):
                continue
            severity: Severity = "high" if _mentions_input(command) else "medium"
            hits.append(Hit("shell-injection", line, start, end, severity=severity))
    return sorted(hits, key=lambda h: (h.line, h.start, h.rule_id))
