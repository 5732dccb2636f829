"""Programs of other languages handed to an interpreter inline (``python -c``, ``node -e``, ``perl -e``,
``ruby -e``, ``php -r``, ``pwsh -c``) or written as a script file: judged by what they combine.

No parser per language: a one-liner is short, and what makes it dangerous is a combination that
ordinary code rarely has in one program: fetching from the network *and* evaluating text as code;
opening a socket *and* spawning a shell or wiring the socket to stdin/stdout; reading the environment
or a credential file *and* sending it. Python programs also go through the syntax-tree checks.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

_NET = re.compile(
    r"\bfetch\s*\(|\bhttps?\.(?:get|request)\b|\brequire\(\s*['\"](?:node:)?https?['\"]\s*\)|\burlopen\b|\burlretrieve\b"
    r"|\brequests\.(?:get|post)\b|\bhttpx\.(?:get|post)\b|LWP::|HTTP::Tiny|\bget\s*\(?\s*(?:q\{|['\"])https?://"
    r"|\bURI\.open\b|open-uri|Net::HTTP|\bopen\(\s*['\"]https?://|WebClient|DownloadString|DownloadFile"
    r"|\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b|file_get_contents\(\s*['\"]https?://|\bcurl_exec\b"
    r"|\baxios\b|\bgot\(|\bundici\b|\bXMLHttpRequest\b|[\"'(]\s*(?:curl|wget)\s+(?:-\S+\s+)*['\"]?https?://",
    _I,
)
_EXEC = re.compile(
    r"\beval\b|\bexec\s*\(|\bexec\s+[\w$]|\bnew\s+Function\b|\bFunction\s*\(|runInThisContext|runInNewContext"
    r"|\bexecSync\b|\bexecFileSync\b|\bspawnSync\b|child_process|\bsystem\s*\(|\bpassthru\s*\(|\bshell_exec\s*\("
    r"|\bpopen\s*\(|\biex\b|Invoke-Expression|\[scriptblock\]::Create|\binstance_eval\b|\bKernel\.(?:exec|system)\b"
    r"|\bcompile\s*\(|\brunpy\b|\bimportlib\b|\bpickle\.loads?\b|\bmarshal\.loads\b|\bos\.execute\b|(?<![\w.:])load(?:string)?\s*\(",
    _I,
)
# Runs a line of text as a command without naming a shell: with a socket, what the other end sends is run.
_RUNS_TEXT = (
    r"`#\{|%x[({\[]|\bIO\.popen\b|\bqx\s*[({/]|\bshell_exec\s*\(|\bpassthru\s*\(|\bproc_open\s*\("
)
_SOCKET = re.compile(
    r"\bsocket\b|\bfsockopen\b|\bTCPSocket\b|IO::Socket|/inet/(?:tcp|udp)/|\bnet\.(?:connect|createConnection|Socket)\b"
    r"|\bnew\s+net\.Socket\b|System\.Net\.Sockets|\bTcpClient\b",
    _I,
)
_SPAWN = re.compile(
    r"/bin/(?:ba|z|da|k)?sh\b|\bcmd(?:\.exe)?\b|\bpowershell\b|\bpty\.spawn\b|\bdup2\b|\bsh\s+-i\b|['\"]sh['\"]"
    r"|\bexec\s*\(\s*['\"]/bin|\bspawn\s*\(\s*['\"](?:/bin/)?(?:ba)?sh|\bopen\s*\(\s*STD(?:IN|OUT|ERR)\s*,\s*['\"][<>]&"
    r"|" + _RUNS_TEXT,
    _I,
)
_SECRETS_READ = re.compile(
    r"\bos\.environ\b|\bprocess\.env\b(?!\.\w+\s*\|\|)|%ENV\b|\bENV\.to_h\b|\$env:|\bgetenv\(\s*\)|\bprintenv\b"
    r"|\.ssh/|\.aws/credentials|\.netrc|\.git-credentials|\.kube/config|/etc/shadow|\.docker/config\.json",
    _I,
)
_SEND = re.compile(
    r"\bdata\s*=|\bpost\b|\bPOST\b|\bsend\b|\bwrite\b|\bbody\s*:|\bUploadString\b|\bupload|\bput\b|\?\w+=",
    _I,
)
_STDIN = re.compile(r"\bstdin\b|readFileSync\(\s*(?:0|['\"]/dev/stdin)|<STDIN>|\$stdin|php://stdin|\bSTDIN\b|\bprocess\.stdin\b|\[Console\]::In", _I)


def judge_program(program: str, *, stdin_fetched: bool = False) -> list[str]:
    """Rule ids for what an inline program does: ``pipe-to-shell`` (fetched text run as code),
    ``reverse-shell`` (a socket wired to a shell), ``network-exfil`` (environment or credential files
    sent over the network). ``stdin_fetched``: the program's standard input is downloaded content."""
    found: list[str] = []
    executes = bool(_EXEC.search(program))
    if executes and (_NET.search(program) or (stdin_fetched and _STDIN.search(program))):
        found.append("pipe-to-shell")
    if _SOCKET.search(program) and _SPAWN.search(program):
        found.append("reverse-shell")
    if _SECRETS_READ.search(program) and (_NET.search(program) or _SOCKET.search(program)) and _SEND.search(program):
        found.append("network-exfil")
    return found


_JS_FETCHED = re.compile(
    r"(?:const|let|var)\s+(\w+)\s*=\s*[^;\n]*(?:\bfetch\s*\(|\.text\(\)|\bhttps?\.get\b|\baxios\b|\bgot\()"
)
_JS_RUN = r"(?:\beval|\bnew\s+Function|\bFunction|\bexecSync|\bexec|\bspawnSync|\brunInThisContext|\brunInNewContext)\s*\(\s*(?:\w+\s*,\s*)?"


def fetched_code_in_script(text: str) -> list[int]:
    """Line numbers (1-based) where a JavaScript/TypeScript file runs text it downloaded as code:
    ``.then(eval)``, or ``eval(x)`` / ``new Function(x)`` / ``execSync(x)`` on a variable assigned from
    ``fetch(...)``/``.text()``/``https.get``/``axios``."""
    names = set(_JS_FETCHED.findall(text))
    lines = []
    run = re.compile(_JS_RUN + r"(" + "|".join(map(re.escape, sorted(names))) + r")\b") if names else None
    for number, line in enumerate(text.split("\n"), start=1):
        if re.search(r"\.then\(\s*(?:eval|Function|execSync)\s*\)", line) or (run is not None and any(not _REGEX_EXEC.search(line, 0, m.start()) for m in run.finditer(line))) or re.search(r"\beval\s*\(\s*await\b[^\n]*\bfetch\s*\(", line):
            lines.append(number)
    return lines


# Whole script files of other languages (JavaScript/TypeScript, Ruby, Perl, PHP, PowerShell, Lua).
# A file is long, so "fetches somewhere and executes something somewhere" would flag ordinary tools:
# a line has to combine them, or run a variable an earlier line filled from the network.
_JS_EXEC = re.compile(
    r"\beval\s*\(|\.then\(\s*eval\b|\bnew\s+Function\b|(?<![\w.$])Function\s*\(|\bvm\.\w*[Rr]un\w*|runIn(?:This|New)Context"
    r"|\bexec(?:Sync|File|FileSync)?\s*\("
    r"|\bspawn(?:Sync)?\s*\(|\bprocess\.binding\b|\bDeno\.(?:run|Command)\b|\bBun\.(?:spawn|spawnSync)\b|\bBun\.\$"
    r"|\bimport\(\s*['\"`](?:node:)?child_process"
)
_REGEX_EXEC = re.compile(r"(?:/[gimsuy]*|\b(?:re|rx|regex|regexp|pattern)|[a-z](?:Re|RE|Rx|Regex|Regexp|Pattern))\.$")
_JS_NET_EXTRA = re.compile(r"\bDeno\.connect\b|\bBun\.connect\b|\bimport\(\s*['\"`]https?://")
_JS_DATA = re.compile(r"\.on\(\s*['\"]data['\"]\s*,\s*(?:function\s*)?\(?\s*\w+\s*\)?\s*(?:=>)?\s*\{?\s*([\w$]+)\s*\+=")
_JS_PIPE_SHELL = re.compile(r"\.pipe\([^)\n]*\b(?:spawn|exec)\(\s*['\"](?:/bin/)?(?:ba|z|da)?sh['\"]")
_FILE_SOCKET = re.compile(
    r"\bnet\.(?:connect|createConnection)\b|\bnew\s+net\.Socket\b|\bnet\.Socket\s*\(|\bDeno\.connect\b|\bBun\.connect\b"
    r"|\bTCPSocket\b|IO::Socket|\bfsockopen\b|\bsocket\s*\(|System\.Net\.Sockets|\bTcpClient\b|/inet/(?:tcp|udp)/"
)
_FILE_SPAWN = re.compile(
    r"/bin/(?:ba|z|da|k)?sh\b|['\"](?:ba|z)?sh['\"]|\bcmd\.exe\b|['\"]cmd['\"]|\bpty\.spawn\b|\bdup2\b"
    r"|['\"]powershell(?:\.exe)?['\"]|\bsh\s+-i\b|\bopen\s*\(\s*STD(?:IN|OUT|ERR)\s*,\s*['\"][<>]&|" + _RUNS_TEXT,
    _I,
)
_WHOLE_ENV = re.compile(
    r"\bprocess\.env\s*[),]|\bos\.environ\s*[),]|\bdict\(os\.environ\)|%ENV\b|\bENV\.(?:to_h|to_a|each)\b"
    r"|\bgetenv\(\s*\)|\$_ENV\b|Get-ChildItem\s+env:|\bgci\s+env:|\bls\s+env:|GetEnvironmentVariables\(\)"
    r"|\bDeno\.env\.toObject\(\)|\bBun\.env\s*[),]"
    r"|\.ssh/|\.aws/credentials|\.netrc|\.git-credentials|\.kube/config|/etc/shadow|\.docker/config\.json",
    _I,
)
_ASSIGN = re.compile(
    r"^\s*(?:(?:const|let|var|local|my|our|export)\s+)?(?:\{[^}]*\}|\(?\s*(\$?[A-Za-z_][\w]*))\s*(?::\s*[\w<>\[\]]+\s*)?=(?![=~])\s*(.*)$"
)


def judge_script_file(text: str, suffix: str) -> list[tuple[str, int]]:
    """``(rule id, line)`` for a whole script file in a language other than shell and Python: a line that
    fetches *and* executes, executes a variable an earlier line downloaded into, pipes a response into a
    spawned shell, or (anywhere in the file) wires a socket to a shell or sends the whole environment or a
    credential file over the network."""
    js = suffix in (".js", ".mjs", ".cjs", ".ts", ".jsx", ".tsx", ".mts", ".cts")

    def executes(s: str) -> bool:
        if not js:
            return bool(_EXEC.search(s))
        # ``/x/g.exec(s)`` and ``pattern.exec(s)`` match a regular expression; they run nothing.
        return any(not _REGEX_EXEC.search(s, 0, m.start()) for m in _JS_EXEC.finditer(s))

    def net(s: str) -> bool:
        return bool(_NET.search(s) or (js and _JS_NET_EXTRA.search(s)))

    found: list[tuple[str, int]] = []
    fetched: set[str] = set()
    lines = text.split("\n")
    has_net = net(text)
    for number, line in enumerate(lines, start=1):
        if has_net and js:
            m = _JS_DATA.search(line)
            if m:
                fetched.add(m.group(1))
        m = _ASSIGN.match(line)
        if m and m.group(1) and net(m.group(2)):
            fetched.add(m.group(1))
        if not executes(line):
            if has_net and js and _JS_PIPE_SHELL.search(line):
                found.append(("pipe-to-shell", number))
            continue
        uses = any(re.search(r"(?<![\w$])" + re.escape(name) + r"(?![\w$])", line) for name in fetched)
        if net(line) or uses or (has_net and js and _JS_PIPE_SHELL.search(line)):
            found.append(("pipe-to-shell", number))
    if _FILE_SOCKET.search(text):
        m = _FILE_SPAWN.search(text)
        if m:
            found.append(("reverse-shell", text.count("\n", 0, m.start()) + 1))
    m = _WHOLE_ENV.search(text)
    if m and has_net and _SEND.search(text):
        found.append(("network-exfil", text.count("\n", 0, m.start()) + 1))
    return found
