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


_DANGEROUS_ATTRS = frozenset(
    {"exec", "eval", "execfile", "compile", "__import__", "system", "popen", "import_module", "spawnl", "spawnv",
     "spawnve", "spawnlp", "execv", "execve", "execl", "execlp", "execvp", "run", "call", "Popen", "check_output",
     "check_call", "getoutput", "getstatusoutput"}
)
_MODULE_LIKE = ("builtins", "__builtins__", "os", "subprocess", "importlib", "sys", "pty", "posix", "nt")
_INTERPRETERS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "python", "python3", "perl", "ruby", "node"})


def fold(node: ast.AST) -> str | None:
    """The string an expression always evaluates to, when it is built from literals only (``'ex' + 'ec'``,
    ``''.join(['e', 'v'])``, ``'lave'[::-1]``, ``chr(101)``, f-strings of literals); else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = fold(node.left), fold(node.right)
        return left + right if left is not None and right is not None else None
    if isinstance(node, ast.JoinedStr):
        parts = [fold(v.value) if isinstance(v, ast.FormattedValue) else fold(v) for v in node.values]
        return "".join(p for p in parts if p is not None) if all(p is not None for p in parts) else None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
        base, sl = fold(node.value), node.slice
        if base is not None and sl.lower is None and sl.upper is None and isinstance(sl.step, ast.UnaryOp):
            return base[::-1]
        return None
    if isinstance(node, ast.Call):
        func = _dotted(node.func)
        if func == "chr" and node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, int):
            try:
                return chr(node.args[0].value)
            except (ValueError, OverflowError):
                return None
        if func.endswith(".join") and isinstance(node.func, ast.Attribute) and node.args:
            sep = fold(node.func.value)
            items = node.args[0]
            if sep is not None and isinstance(items, (ast.List, ast.Tuple)):
                parts = [fold(e) for e in items.elts]
                return sep.join(p for p in parts if p is not None) if all(p is not None for p in parts) else None
        if func in ("str", "str.lower", "str.strip") and node.args:
            return fold(node.args[0])
        if isinstance(node.func, ast.Attribute) and node.func.attr in ("lower", "strip", "replace") and not node.args:
            return fold(node.func.value)
    return None


def _namespace(node: ast.AST) -> bool:
    """An object whose attributes are the builtins or a command-running module, reached any way."""
    name = _dotted(node)
    if name in _MODULE_LIKE or name.endswith((".__dict__", "__builtins__")):
        return True
    if isinstance(node, ast.Call):
        func = _dotted(node.func)
        if func in ("vars", "globals", "locals", "__import__", "importlib.import_module", "import_module"):
            return True
    if isinstance(node, ast.Attribute) and node.attr == "__dict__":
        return _namespace(node.value)
    if isinstance(node, ast.Subscript):
        key = fold(node.slice)
        return _dotted(node.value).endswith("modules") or key in ("__builtins__", "builtins", "os", "subprocess")
    return False


def _hidden_exec(node: ast.AST) -> str | None:
    """``node`` reaches exec/eval/os.system by a route other than its plain name: getattr with a built
    string, a ``__dict__``/``vars()``/``globals()`` lookup, or a module imported by computed name."""
    if isinstance(node, ast.Call) and _dotted(node.func) == "getattr" and len(node.args) >= 2:
        attr = fold(node.args[1])
        if attr in _DANGEROUS_ATTRS or (attr is None and _namespace(node.args[0])):
            return f"getattr(..., {attr or '<computed>'!s})"
    if isinstance(node, ast.Subscript) and _namespace(node.value):
        key = fold(node.slice)
        if key in _DANGEROUS_ATTRS or key is None:
            return f"[{key or '<computed>'}] lookup"
    if isinstance(node, ast.Attribute) and node.attr in _DANGEROUS_ATTRS and isinstance(node.value, ast.Call):
        func = _dotted(node.value.func)
        if func in ("__import__", "importlib.import_module", "import_module"):
            return f"{func}(...).{node.attr}"
    return None


def _aliases(tree: ast.AST) -> dict[str, str]:
    """Names bound to exec/eval (``run = exec``) or to a hidden route to them (``f = getattr(b, 'ex'+'ec')``)."""
    out: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Name) and value.id in _EXEC:
                out[node.targets[0].id] = "alias"
            elif _hidden_exec(value):
                out[node.targets[0].id] = "hidden"
    return out


def _fetched(node: ast.AST) -> bool:
    return any(c.rsplit(".", 1)[-1] in _NETWORK for c in _calls(node))


def _interpreter_list(node: ast.AST) -> bool:
    if not isinstance(node, (ast.List, ast.Tuple)) or not node.elts:
        return False
    head = fold(node.elts[0])
    return head is not None and head.rsplit("/", 1)[-1] in _INTERPRETERS


def scan_python(source: str) -> list[Hit] | None:
    """Hits from the syntax tree of ``source``, or None when it does not parse (the caller falls back to patterns)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # invalid escape sequences in old scripts are not our business
            tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    hits: list[Hit] = []
    aliases = _aliases(tree)
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        name = _dotted(node.func)
        short = name.rsplit(".", 1)[-1]
        line = getattr(node, "lineno", 1)
        start = getattr(node, "col_offset", 0)
        end = getattr(node, "end_col_offset", None) if getattr(node, "end_lineno", line) == line else None
        hidden = _hidden_exec(node.func)
        if hidden or aliases.get(name) == "hidden":
            hits.append(Hit("obfuscated-exec", line, start, end))
            continue
        if aliases.get(name) == "alias" and node.args and not _literal(node.args[0]):
            hits.append(Hit("obfuscated-exec" if _fetched(node.args[0]) else "dynamic-exec", line, start, end))
            continue
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
            severity: Severity = "high" if _mentions_input(command) or _fetched(command) else "medium"
            hits.append(Hit("shell-injection", line, start, end, severity=severity))
            continue
        if name in _SUBPROCESS or short in _SUBPROCESS:
            # ['bash', '-c', <downloaded text>] or ['sh'] fed a download on stdin: a shell runs fetched code.
            command = node.args[0] if node.args else None
            fed = next((k.value for k in node.keywords if k.arg == "input"), None)
            if command is not None and _interpreter_list(command) and (
                _fetched(command) or (fed is not None and _fetched(fed))
            ):
                hits.append(Hit("shell-injection", line, start, end, severity="high"))
    return sorted(hits, key=lambda h: (h.line, h.start, h.rule_id))
