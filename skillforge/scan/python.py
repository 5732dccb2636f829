"""Python scripts read by their syntax tree: exec/eval of decoded or downloaded data, shell=True on input."""

from __future__ import annotations

import ast
import re
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
    if (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in ("get", "pop", "setdefault", "__getitem__")
        and node.args
        and _namespace(node.func.value)
    ):
        key = fold(node.args[0])
        if key in _DANGEROUS_ATTRS or key is None:
            return f".{node.func.attr}({key or '<computed>'})"
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
    tainted = _fetched_names(tree)
    downloaded = _downloaded_paths(tree)
    hits += _exec_as_value(tree) + _reverse_shell(tree) + _exfiltration(tree)
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
        arg_fetched = any(_downloads(a) or _uses(a, tainted) for a in [*node.args, *(k.value for k in node.keywords)])
        if name in _DESERIALIZERS and arg_fetched:
            hits.append(Hit("obfuscated-exec", line, start, end))  # unpickling downloaded bytes runs their code
            continue
        if name in _PROCESS_EXEC and arg_fetched:
            hits.append(Hit("shell-injection", line, start, end, severity="high"))
            continue
        if name in _RUN_FILE and node.args and fold(node.args[0]) in downloaded:
            hits.append(Hit("obfuscated-exec", line, start, end))
            continue
        if short in _EXEC or name in ("compile", "builtins.compile"):
            if not node.args or _literal(node.args[0]):
                continue
            inner = [c.rsplit(".", 1)[-1] for c in _calls(node.args[0])]
            opened = [fold(c.args[0]) for c in ast.walk(node.args[0]) if isinstance(c, ast.Call) and _dotted(c.func) == "open" and c.args]
            if (
                any(c in _DECODERS for c in inner)
                or any(c in _NETWORK for c in inner)
                or _uses(node.args[0], tainted)
                or any(o in downloaded for o in opened)
            ):
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


_DESERIALIZERS = frozenset(
    {"pickle.loads", "pickle.load", "cPickle.loads", "marshal.loads", "dill.loads", "cloudpickle.loads",
     "joblib.load", "yaml.unsafe_load", "yaml.full_load", "shelve.open", "jsonpickle.decode"}
)
_PROCESS_EXEC = frozenset(
    {f"os.{n}" for n in ("execv", "execve", "execl", "execle", "execlp", "execlpe", "execvp", "execvpe", "spawnl",
                          "spawnle", "spawnlp", "spawnv", "spawnve", "spawnvp", "posix_spawn", "posix_spawnp")}
    | {"pty.spawn"}
)
_RUN_FILE = frozenset({"runpy.run_path", "execfile", "imp.load_source", "importlib.machinery.SourceFileLoader"})


_NET_MODULES = ("requests.", "httpx.", "aiohttp.", "urllib3.", "http.client.", "session.", "client.")


def _downloads(node: ast.AST) -> bool:
    """``node`` calls something that returns bytes from the network (narrower than ``_fetched``:
    ``dict.get`` and ``file.read`` do not count)."""
    for call in _calls(node):
        short = call.rsplit(".", 1)[-1]
        if short in ("urlopen", "urlretrieve", "recv", "recvfrom", "recv_into") or (
            call.startswith(_NET_MODULES) and short in ("get", "post", "request", "stream", "urlopen")
        ):
            return True
    return False


def _uses(node: ast.AST, names: set[str]) -> bool:
    return bool(names) and any(isinstance(n, ast.Name) and n.id in names for n in ast.walk(node))


def _fetched_names(tree: ast.AST) -> set[str]:
    """Names bound to downloaded data (``c = urlopen(u).read()``, ``body = r.text`` after ``r = requests.get``)."""
    names: set[str] = set()
    assigns = [n for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and n.value is not None]
    for _ in range(4):  # a few rounds reach chains of assignments
        before = len(names)
        for node in assigns:
            value = node.value
            assert value is not None
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if _downloads(value) or _uses(value, names):
                names.update(t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name))
        if len(names) == before:
            break
    return names


def _downloaded_paths(tree: ast.AST) -> set[str]:
    """Literal paths a download writes: ``urlretrieve(url, '/tmp/x.py')``, ``wget.download(url, 'x.py')``."""
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _dotted(node.func).rsplit(".", 1)[-1] in ("urlretrieve", "download"):
            target = node.args[1] if len(node.args) > 1 else next((k.value for k in node.keywords if k.arg in ("filename", "out")), None)
            path = fold(target) if target is not None else None
            if path:
                out.add(path)
    return out


def _exec_as_value(tree: ast.AST) -> list[Hit]:
    """exec/eval handed around as a value: ``map(exec, …)``, ``[exec][0](…)``, ``exec.__call__(…)``,
    ``(lambda f: f(…))(exec)``. Nobody writes that except to keep a scanner from seeing the call."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    aliased = {
        id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Assign) and isinstance(n.value, ast.Name)
    }  # run = exec is judged where run is called
    hits = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Name)
            and node.id in _EXEC
            and isinstance(node.ctx, ast.Load)
            and id(node) not in called
            and id(node) not in aliased
        ):
            hits.append(Hit("obfuscated-exec", getattr(node, "lineno", 1), getattr(node, "col_offset", 0)))
    return hits


def _reverse_shell(tree: ast.AST) -> list[Hit]:
    """A socket that connects out, wired to the standard streams (``os.dup2``) or to a spawned shell."""
    calls = [n for n in ast.walk(tree) if isinstance(n, ast.Call)]
    names = [_dotted(n.func) for n in calls]
    if not any(n.rsplit(".", 1)[-1] in ("connect", "create_connection") for n in names):
        return []
    if not any("socket" in n for n in names):
        return []
    for node, name in zip(calls, names, strict=True):
        if name in ("os.dup2", "dup2", "pty.spawn") or (
            name in _PROCESS_EXEC and any((fold(a) or "").rsplit("/", 1)[-1] in _INTERPRETERS for a in node.args)
        ):
            return [Hit("reverse-shell", getattr(node, "lineno", 1), getattr(node, "col_offset", 0))]
    return []


_SENDS = frozenset({"post", "put", "patch", "request", "urlopen", "Request", "send", "sendall", "sendto", "upload",
                    "upload_file", "upload_fileobj", "put_object", "sendmail", "send_message", "storbinary"})
_ENV_WHOLE = frozenset({"copy", "items", "keys", "values"})
_CRED_TEXT = re.compile(
    r"\.ssh\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b|\.aws/credentials|\.netrc\b|\.git-credentials|\.kube/config|"
    r"\.docker/config\.json|\.gnupg\b|\.pypirc\b|\.npmrc\b|/etc/shadow\b"
)


def _whole_environment(node: ast.AST) -> bool:
    """``os.environ`` itself (``dict(os.environ)``, ``os.environ.copy()``, ``{**os.environ}``), not one variable of it."""
    parents = {id(child): parent for parent in ast.walk(node) for child in ast.iter_child_nodes(parent)}
    for n in ast.walk(node):
        if _dotted(n) not in ("os.environ", "environ"):
            continue
        parent = parents.get(id(n))
        if isinstance(parent, ast.Subscript) and parent.value is n:
            continue  # os.environ["HOME"]
        if isinstance(parent, ast.Attribute) and parent.attr not in _ENV_WHOLE:
            continue  # os.environ.get("X")
        return True
    return False


def _reads_credentials(node: ast.AST) -> bool:
    """An ``open``/``read_text``/``Path`` of a credential file, the path built from any literal pieces."""
    for n in ast.walk(node):
        if not isinstance(n, ast.Call):
            continue
        short = _dotted(n.func).rsplit(".", 1)[-1]
        if short not in ("open", "Path", "read_text", "read_bytes", "expanduser", "join"):
            continue
        pieces = [p for c in ast.walk(n) for p in [fold(c)] if p]
        if _CRED_TEXT.search("/".join(pieces)) or _CRED_TEXT.search("".join(pieces)):
            return True
    return False


def _exfiltration(tree: ast.AST) -> list[Hit]:
    """The whole environment or a credential file's content passed to a network call (directly or by a name)."""
    secret: set[str] = set()
    assigns = [n for n in ast.walk(tree) if isinstance(n, (ast.Assign, ast.AnnAssign, ast.NamedExpr)) and n.value is not None]
    for _ in range(4):
        before = len(secret)
        for node in assigns:
            value = node.value
            assert value is not None
            if _whole_environment(value) or _reads_credentials(value) or _uses(value, secret):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                secret.update(t.id for target in targets for t in ast.walk(target) if isinstance(t, ast.Name))
        if len(secret) == before:
            break
    hits = []
    for call in ast.walk(tree):
        if not isinstance(call, ast.Call) or _dotted(call.func).rsplit(".", 1)[-1] not in _SENDS:
            continue
        payload = [*call.args, *(k.value for k in call.keywords)]
        if any(_whole_environment(a) or _reads_credentials(a) or _uses(a, secret) for a in payload):
            hits.append(Hit("network-exfil", getattr(call, "lineno", 1), getattr(call, "col_offset", 0)))
    return hits
