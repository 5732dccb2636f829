"""Dangerous commands in scripts, code blocks and allowed-tools: shell by pattern, Python by its syntax tree."""

from __future__ import annotations

import re

from skillforge.models.scan import Severity
from skillforge.scan.commands import analyze
from skillforge.scan.detect import Hit
from skillforge.scan.text import clip_line, excerpt

_I = re.IGNORECASE
_SH = r"(?:ba|z|k|da|fi)?sh\b"
_SUDO = r"(?:sudo\s+(?:-\S+\s+)*)?"
_SYSTEM_DIRS = (
    r"/(?:etc|usr|bin|sbin|lib|lib64|boot|var|opt|home|root|System|Users|Library|Applications|private)"
)
_RC_FILES = (
    r"\.(?:bashrc|bash_profile|bash_login|bash_logout|zshrc|zshenv|zprofile|zlogin|profile|kshrc|cshrc|tcshrc|"
    r"config/fish/config\.fish|config/autostart|ssh/|gitconfig|npmrc|pypirc|pip/pip\.conf|docker/config\.json|"
    r"aws/|kube/|gnupg/|local/bin/|config/systemd/)"
)
_HOME = r"(?:~|\$HOME|\$\{HOME\}|\"\$HOME\"|/root|/home/[\w.-]+|/Users/[\w.-]+)"
_CRED_PATHS = (
    rf"{_HOME}/\.ssh(?:/|\b)|\.ssh/(?:id_[a-z0-9]+|identity)\b|\bid_(?:rsa|dsa|ecdsa|ed25519)\b(?!\.pub)|"
    rf"\.aws/credentials\b|{_HOME}/\.aws\b|\.netrc\b|\.git-credentials\b|\.docker/config\.json\b|\.kube/config\b|"
    r"\.config/gh/hosts\.yml\b|\.npmrc\b|\.pypirc\b|\.gnupg\b|/etc/shadow\b|\.password-store\b|"
    r"login\.keychain|Keychains/|Login Data\b|/Cookies\b|\bsecurity\s+(?:find-generic-password|"
    r"find-internet-password|dump-keychain)\b|\bsecret-tool\s+lookup\b|\bgcloud/(?:credentials|"
    r"application_default_credentials)|\.azure/(?:accessTokens|msal_token_cache)"
)
_CRED = re.compile(_CRED_PATHS, _I)
_HISTORY_FILE = (
    r"(?:\.(?:bash_|zsh_|sh_|ksh_|python_|node_repl_|mysql_|psql_|sqlite_|irb_|rediscli_|z)history|fish_history"
    r"|\.lesshst)\b"
)
SECRET_VAR = re.compile(
    r"\$\{?\w*(?:TOKEN|SECRET|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY)\w*\}?", _I
)

_RULES: list[tuple[str, re.Pattern[str]]] = [
    (
        "pipe-to-shell",
        re.compile(
            rf"\b(?:curl|wget|fetch|iwr|irm|Invoke-WebRequest|Invoke-RestMethod)\b[^|\n;]*\|\s*{_SUDO}(?:env\s+\S+\s+)?"
            rf"(?:{_SH}|python[0-9.]*\b(?!\s+-m\s+json|\s+-c\b)|perl\b(?!\s+-[ne]\b)|ruby\b(?!\s+-e\b)|node\b(?!\s+-e\b)|php\b(?!\s+-r\b))"
            rf"|\b{_SH}\s+(?:-s\s+)?(?:-c\s+)?[\"']?(?:<\(|\$\()\s*(?:curl|wget)\b"
            r"|\bsource\s+<\(\s*(?:curl|wget)\b"
            r"|\b(?:iex|Invoke-Expression)\b[^\n]*\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|DownloadString)\b"
            r"|\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|DownloadString)\b[^\n]*\|\s*&?\s*(?:iex|Invoke-Expression)\b"
            r"|\[scriptblock\]::Create\([^\n]*\b(?:iwr|irm|Invoke-WebRequest|Invoke-RestMethod|DownloadString|WebClient)\b"
            # Tools that fetch a package or script from a URL and run it at once.
            r"|\b(?:deno\s+(?:run|eval|install)|bunx?(?:\s+run|\s+x)?|npx|pnpx|pnpm\s+dlx|yarn\s+dlx|npm\s+exec)\b"
            r"[^\n;|&]*\s[\"']?(?:https?://(?!(?:deno\.land|jsr\.io|esm\.sh)/)|git\+|git://|github:|gitlab:|bitbucket:)"
            r"|\b(?:uvx|uv\s+tool\s+(?:run|install)|pipx\s+(?:run|install))\b[^\n;|&]*\s[\"']?(?:https?://|git\+)"
            r"|\b(?:pip[0-9.]*|uv\s+pip|python[0-9.]*\s+-m\s+pip|npm|pnpm|yarn|bun|gem)\s+(?:install|add|i)\b[^\n;|&]*(?<!-i)(?<!-f)(?<!-url)(?<!-links)(?<!registry)\s[\"']?"
            r"(?:git\+)?(?:https?|git|ssh)://(?!(?:www\.)?(?:github\.com|gitlab\.com|bitbucket\.org|pypi\.org|files\.pythonhosted\.org|registry\.npmjs\.org)[/:])",
            _I,
        ),
    ),
    (
        "destructive-delete",
        re.compile(
            r"\brm\s+(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)(?:\s+-{1,2}[\w-]+)*\s+(?:[^\n;&|]*\s)?"
            rf"[\"']?(?:/\*?|~/?\*?|\$HOME/?\*?|\$\{{HOME\}}/?\*?|{_SYSTEM_DIRS}/?\*?)[\"']?(?=\s|$|;|&|\||\))"
            r"|\brm\b[^\n;&|]*--no-preserve-root"
            r"|\bmkfs(?:\.\w+)?\s+/dev/|\bdd\b[^\n]*\bof=/dev/(?:sd|nvme|hd|disk|mmcblk|xvd)"
            r"|>\s*/dev/(?:sd[a-z]|nvme\d|disk\d)|:\(\)\s*\{\s*:\s*\|\s*:\s*&\s*\}\s*;\s*:"
            r"|\bshutil\.rmtree\(\s*(?:[\"'](?:/|~)[\"']|os\.path\.expanduser\(\s*[\"']~[\"']\s*\)|Path\.home\(\))\s*\)"
            r"|\bRemove-Item\b[^\n]*-Recurse[^\n]*\s(?:C:\\\s|C:\\\*|\$env:USERPROFILE|~)(?:\s|$)",
            _I,
        ),
    ),
    (
        "write-outside-tree",
        re.compile(
            rf"(?:>{{1,2}}|\btee\s+(?:-a\s+)?|\b(?:cp|mv|install)\s+(?:-\S+\s+)*\S+\s+|\bln\s+-\S*s\S*\s+\S+\s+)"
            rf"\s*[\"']?(?:{_SYSTEM_DIRS}/|{_HOME}/{_RC_FILES}|{_HOME}/Library/(?:LaunchAgents|LaunchDaemons)"
            r"|/Library/(?:LaunchAgents|LaunchDaemons))"
            rf"|\bopen\(\s*[\"'](?:{_SYSTEM_DIRS}/|~/{_RC_FILES})[^\"']*[\"']\s*,\s*[\"'][wax]"
            r"|\bcrontab\s+-(?!l)\S*|\bcrontab\s+[^-\s]\S*|\|\s*crontab\b"
            # A service that starts at every login (or boot) is persistence as a cron line is: a user unit needs
            # no root, a unit enabled by path is one the skill brought, lingering keeps it running logged out.
            r"|\bsystemctl\s+(?:-\S+\s+)*--user\s+(?:-\S+\s+)*(?:enable|link|reenable|add-wants|add-requires)\b"
            r"|\bsystemctl\s+(?:-\S+\s+)*(?:enable|link|reenable)\s+(?:-\S+\s+)*[\"']?[^\s\"';&|]*/"
            r"|\bloginctl\s+enable-linger\b|\blaunchctl\s+(?:load|bootstrap|submit|enable)\b"
            r"|\bschtasks(?:\.exe)?\s+/create\b",
            _I,
        ),
    ),
    ("credential-read", _CRED),
    (
        "dotenv-read",
        re.compile(
            r"\b(?:cat|source|less|more|head|tail|grep|cp|scp|base64|xxd|rsync)\b[^\n|;]*(?:^|[\s/\"'])\.env(?:\.[\w-]+)?\b"
            r"|^\s*\.\s+\S*\.env\b|\bopen\(\s*[\"'][^\"']*\.env[\"']",
            _I,
        ),
    ),
    (
        "obfuscated-exec",
        re.compile(
            rf"\bbase64\s+(?:-d|--decode|-D)\b[^\n]*\|\s*{_SUDO}(?:{_SH}|python[0-9.]*\b|perl\b)"
            rf"|\bxxd\s+-r\b[^\n]*\|\s*{_SH}|\bprintf\s+[\"'](?:\\x[0-9a-fA-F]{{2}}){{8,}}[^\n]*\|\s*{_SH}"
            r"|\beval\s*\(?\s*[\"']?\$\((?:echo|printf|cat)\b[^)]*\|\s*(?:base64|xxd|openssl|gunzip|rev)\b"
            r"|\b(?:eval|Function)\s*\(\s*atob\s*\(|\bnew\s+Function\s*\(\s*atob\s*\("
            r"|\b(?:exec|eval)\s*\(\s*(?:base64\.\w*decode|codecs\.decode|bytes\.fromhex|binascii\.\w+|zlib\.decompress|"
            r"marshal\.loads|__import__\(\s*[\"'](?:base64|zlib|codecs|marshal|binascii)|compile\(\s*base64)"
            r"|\bpython[0-9.]*\s+-c\s+[\"'][^\n]*\b(?:exec|eval)\b[^\n]*\b(?:b64decode|b32decode|decompress|fromhex|"
            r"unhexlify|urlopen|requests\.get)"
            r"|\b(?:eval|Function|runInThisContext|runInNewContext|execSync|exec)\s*\(\s*(?:String\()?\s*Buffer\.from\([^\n]*['\"](?:base64|hex|base64url)['\"]"
            r"|\b(?:eval|Function|runInThisContext)\s*\(\s*(?:decodeURIComponent\(\s*escape\(\s*)?atob\("
            r"|\bFromBase64String\b[^\n]*\b(?:iex|Invoke-Expression)\b"
            r"|(?<![\w-])-(?:e|ec|en|enc|enco|encod|encode|encoded|encodedc\w*|EncodedCommand)\s+[A-Za-z0-9+/]{40,}",
            _I,
        ),
    ),
    (
        "dynamic-exec",
        re.compile(
            r"\beval\s+[\"']?\$(?!\(\s*(?:ssh-agent|pyenv|rbenv|nodenv|brew|/opt/homebrew/bin/brew|direnv|conda|starship|"
            r"zoxide|fnm|mise|rtx|jenv|goenv|plenv|luarocks|opam|thefuck|gh\s+completion|kubectl\s+completion)\b)",
            _I,
        ),
    ),
    (
        "reverse-shell",
        re.compile(
            r"/dev/(?:tcp|udp)/|/inet/(?:tcp|udp)/\d|\bn(?:c|cat|etcat)\b[^\n]*\s-[a-z]*[ec]\s+(?:/bin/)?(?:ba)?sh\b|\bbash\s+-i\s*[>&]+"
            r"|\bsocat\b[^\n]*\bexec:|\bztcp\b[^\n]*&\s*\$REPLY|\bopenssl\s+s_client\b[^\n]*\|\s*(?:/bin/)?(?:ba|z|da)?sh\b|\bpty\.spawn\(\s*[\"'](?:/bin/)?(?:ba)?sh"
            # an interactive shell whose input and output go through a TLS, socat or telnet connection
            # (each scan of the rest of the line stops at the next mkfifo, telnet or sh -i: linear, not quadratic)
            r"|\bmkfifo\b(?:(?!\bmkfifo\b)[^\n])*\b(?:n(?:c|cat|etcat)|openssl\s+s_client|socat|telnet)\b"
            r"|\btelnet\b(?:(?!\btelnet\b)[^\n])*\|\s*(?:/bin/)?(?:ba|z|da)?sh\b"
            r"|\b(?:ba|z|da|k)?sh\s+-i\b(?:(?!\bsh\s+-i\b)[^\n])*\|\s*(?:openssl\s+s_client|socat|n(?:c|cat|etcat)|telnet)\b",
            _I,
        ),
    ),
    (
        "chmod-777",
        re.compile(
            r"\bchmod\s+(?:-R\s+|--recursive\s+|-\w+\s+)*(?:0?777|a\+rwx|ugo\+rwx|a=rwx)\s+(?P<target>[^\s;&|]+)",
            _I,
        ),
    ),
    (
        "sudo",
        re.compile(r"(?:^|[;&|(`]|\$\(|\s)(?:sudo|doas)\s+\S|\bsu\s+(?:-\w*\s+)*-c\b|\bpkexec\s+\S", _I),
    ),
    (
        "disable-security",
        re.compile(
            r"\bset\s+\+o\s+history\b|\bunset\s+HISTFILE\b|\bHISTFILE=/dev/null\b|\bhistory\s+-c\b|\bHISTSIZE=0\b"
            r"|\b(?:HISTFILESIZE|SAVEHIST)=0\b|\bHISTFILE=(?:[\"']{2})?(?=[\s;&|]|$)"
            # a shell's or REPL's history file emptied, deleted or pointed at /dev/null: what was run is gone
            rf"|\b(?:truncate|rm|shred|unlink|srm|wipe)\b(?:(?!\b(?:truncate|rm|shred|unlink|srm|wipe)\b)[^\n;&|])*"
            rf"[\s/\"']{_HISTORY_FILE}"
            rf"|\bln\s+-\S*s\S*\s+/dev/null\s+[^\s;&|]*{_HISTORY_FILE}|>\s*[\"']?(?:[^\s;&|<>\"']*/)?{_HISTORY_FILE}"
            r"|\bwevtutil(?:\.exe)?\s+cl\b|\bClear-EventLog\b"
            r"|\bgit\s+config\s+(?:--\w+\s+)*core\.hooksPath\b|\bsetenforce\s+0\b|\bSet-MpPreference\b[^\n]*-Disable"
            r"|\bspctl\s+--master-disable\b|\bcsrutil\s+disable\b|\bufw\s+disable\b"
            r"|\bsystemctl\s+(?:stop|disable|mask)\s+(?:firewalld|apparmor|auditd|ufw)\b|\biptables\s+-F\b",
            _I,
        ),
    ),
    (
        "tls-verify-off",
        re.compile(
            r"\bcurl\b[^\n]*\s(?:-k|--insecure)(?=\s|$)|\bwget\b[^\n]*--no-check-certificate|\bverify\s*=\s*False\b"
            r"|\bsslVerify\s+false\b|\bhttp\.sslVerify\b|NODE_TLS_REJECT_UNAUTHORIZED\s*=\s*[\"']?0|PYTHONHTTPSVERIFY\s*=\s*0"
            r"|\bstrict-ssl\s+false\b|\bGIT_SSL_NO_VERIFY\b|--trusted-host\b|\bCERT_NONE\b|_create_unverified_context",
            _I,
        ),
    ),
    (
        # Where every later install or clone comes from, changed for good: an attacker's registry or a
        # git URL rewrite serves whatever it likes to each future `npm install`/`pip install`/`git clone`.
        "package-source-override",
        re.compile(
            r"\b(?:npm|pnpm|yarn)\s+config\s+set\s+(?:--\S+\s+)*(?:@[\w.-]+:)?registry\b"
            r"|\byarn\s+config\s+set\s+npmRegistryServer\b"
            r"|\bpip3?\s+config\s+(?:--\S+\s+)*set\s+[\w.-]*(?:index-url|extra-index-url|find-links)\b"
            r"|\b(?:export\s+)?(?:PIP_INDEX_URL|PIP_EXTRA_INDEX_URL|UV_INDEX_URL|UV_EXTRA_INDEX_URL|UV_DEFAULT_INDEX|"
            r"NPM_CONFIG_REGISTRY|npm_config_registry|YARN_REGISTRY)=\S"
            r"|\bgem\s+sources\s+(?:-a|--add)\b|\bbundle\s+config\s+(?:set\s+)?(?:--global\s+)?mirror\."
            r"|\bgo\s+env\s+-w\s+(?:GOPROXY|GONOSUMDB|GONOSUMCHECK|GOSUMDB=off|GOINSECURE|GOFLAGS=\S*-insecure)"
            r"|\bgit\s+config\s+(?:--\w+\s+)*url\.\S+\.(?:insteadOf|pushInsteadOf)\b",
            _I,
        ),
    ),
    (
        "crypto-miner",
        re.compile(
            r"\b(?:xmrig|minerd|cpuminer|cgminer|bfgminer|ethminer|nbminer|phoenixminer|lolminer|xmr-stak|t-rex)\b"
            r"|stratum\+(?:tcp|ssl|tls)://|--donate-level\b|\b(?:minexmr|supportxmr|nanopool|moneroocean|nicehash|"
            r"hashvault)\b|\bcryptonight\b|\bcoinhive\b",
            _I,
        ),
    ),
]

# Install guides do these for one downloaded tool; worth a look, not a refusal.
_SECURITY_MEDIUM = re.compile(
    r"\bxattr\s+-\w*d\w*\s+com\.apple\.quarantine|\bSet-ExecutionPolicy\s+(?:Unrestricted|Bypass)\b", _I
)
_UPLOAD = re.compile(
    r"\bcurl\b[^\n]*\s(?:-d|--data(?:-binary|-raw|-urlencode)?|-F|--form)\s*[\"']?(?:[\w.-]+=)?@(?P<f1>[^\s\"']+)"
    r"|\bcurl\b[^\n]*\s(?:-T|--upload-file)\s+[\"']?(?P<f2>[^\s\"']+)"
    r"|\bwget\b[^\n]*--post-file[= ]\s*[\"']?(?P<f3>[^\s\"']+)"
    r"|\bn(?:c|cat|etcat)\b\s+[^\n<]*<\s*(?P<f4>\S+)|\bscp\s+(?:-\S+\s+)*(?P<f5>\S+)\s+\S+@\S+:",
    _I,
)
_ENV_DUMP = re.compile(
    r"\b(?:env|printenv|set|export\s+-p)\s*\|\s*(?:[^\n|]*\|\s*)*(?:curl|wget|n(?:c|cat|etcat)|socat|ssh)\b"
    r"|\b(?:curl|wget)\b[^\n]*\$\(\s*(?:env|printenv|cat\s[^)]*(?:\.ssh|\.aws|\.env|\.netrc|credentials|id_rsa))"
    rf"|\b(?:cat|tar|zip|base64)\b[^\n|]*(?:{_CRED_PATHS}|\.env\b)[^\n]*\|\s*(?:[^\n|]*\|\s*)*"
    r"(?:curl|wget|n(?:c|cat|etcat)|socat|ssh)\b",
    _I,
)
_SENSITIVE_UPLOAD = re.compile(
    _CRED_PATHS + r"|(?:^|/)\.env\b|/etc/passwd\b|\bsecrets?\b|\bcredentials\b", _I
)
_CURL_DATA_SECRET = re.compile(
    r"\b(?:curl|wget)\b[^\n]*(?:\s(?:-d|--data\S*|-F|--form)\s+[^\n]*|https?://\S*[?&=/])"
    + SECRET_VAR.pattern,
    _I,
)
_SYSTEM_TARGET = re.compile(rf"^[\"']?(?:/\*?|~/?|\$HOME/?|{_SYSTEM_DIRS}(?:/\S*)?)[\"']?$")
_UNSET_VAR_RM = re.compile(
    r"\brm\s+(?:-[a-zA-Z]*[rR][a-zA-Z]*|--recursive)(?:\s+-{1,2}[\w-]+)*\s+(?:[^\n;&|]*\s)?"
    r"[\"']?\$\{?(?P<var>[A-Za-z_][A-Za-z0-9_]*)\}?/\*?[\"']?(?=\s|$|;|&|\||\))"
)
_NOUNSET = re.compile(r"^\s*set\s+-[a-z]*u|\bset\s+-o\s+nounset\b", re.MULTILINE)
_ALWAYS_SET = {"HOME", "PWD", "TMPDIR", "USER"}


def logical_lines(text: str) -> list[tuple[int, str]]:
    """``(first line number, line)`` with backslash continuations joined and comment lines dropped."""
    out: list[tuple[int, str]] = []
    pending: list[str] = []
    start = 0
    for lineno, raw in enumerate(text.split("\n"), start=1):
        line = clip_line(raw)
        if not pending:
            start = lineno
            if line.lstrip().startswith(("#", "//")) and not line.lstrip().startswith("#!"):
                continue
        if line.endswith("\\"):
            pending.append(line[:-1])
            continue
        pending.append(line)
        out.append((start, " ".join(pending)))
        pending = []
    if pending:
        out.append((start, " ".join(pending)))
    return out


def scan_commands(text: str, *, as_shell: bool = True) -> list[Hit]:
    """Dangerous commands in ``text``; one hit per rule and line, the most severe.

    Patterns catch shell-in-any-language (PowerShell, Python one-liners, YAML ``run:`` lines); with
    ``as_shell`` the text is also parsed as shell and judged by what it does (``commands.analyze``).
    """
    # Parsed shell knows which variables were set to a literal; the pattern cannot, so it stands aside.
    hits = _pattern_hits(text, unset_vars=not as_shell)
    if as_shell:
        hits += analyze(text, nounset=bool(_NOUNSET.search(text)))
    best: dict[tuple[str, int], Hit] = {}
    order = {"low": 0, "medium": 1, "high": 2}
    for h in hits:
        key = (h.rule_id, h.line)
        sev = order[h.severity or _rule_severity(h.rule_id)]
        if key not in best or sev > order[best[key].severity or _rule_severity(best[key].rule_id)]:
            best[key] = h
    return sorted(best.values(), key=lambda h: (h.line, h.rule_id))


def _rule_severity(rule_id: str) -> str:
    from skillforge.scan.rules import RULES

    return RULES[rule_id].severity


def _pattern_hits(text: str, *, unset_vars: bool) -> list[Hit]:
    hits: list[Hit] = []
    nounset = bool(_NOUNSET.search(text))
    for lineno, line in logical_lines(text):
        found = _LineHits(lineno, line)
        hit = found.add
        for rule_id, pattern in _RULES:
            m = pattern.search(line)
            if not m:
                continue
            if rule_id == "chmod-777":
                hit(rule_id, m, None if _SYSTEM_TARGET.match(m.group("target")) else "medium")
            elif rule_id == "tls-verify-off" and _PERSISTENT_CONFIG.search(line):
                hit(rule_id, m, "high")  # every later fetch, not one command, goes unverified
            else:
                hit(rule_id, m)
        m = _SECURITY_MEDIUM.search(line)
        if m:
            hit("disable-security", m, "medium")
        m = _UNSET_VAR_RM.search(line)
        if m and unset_vars and not nounset and m.group("var") not in _ALWAYS_SET:
            hit("destructive-delete", m)
        m = _ENV_DUMP.search(line)
        if m:
            hit("network-exfil", m)
        else:
            m = _UPLOAD.search(line)
            if m:
                target = next(g for g in m.groups() if g)
                hit("network-exfil", m, None if _SENSITIVE_UPLOAD.search(target) else "low")
            else:
                m = _CURL_DATA_SECRET.search(line)
                if m:
                    hit("network-exfil", m, "medium")
        hits.extend(found.hits.values())
    return hits


# A setting written to a user's or the system's configuration (git --global/--system, npm/pip config set).
_PERSISTENT_CONFIG = re.compile(
    r"\bgit\s+config\s+(?:--\w+\s+)*--(?:global|system)\b|\b(?:npm|pnpm|yarn|pip3?)\s+config\s+(?:--\S+\s+)*set\b",
    _I,
)


class _LineHits:
    """At most one hit per rule on one logical line (the first match wins)."""

    def __init__(self, lineno: int, line: str) -> None:
        self.lineno, self.line = lineno, line
        self.hits: dict[str, Hit] = {}

    def add(self, rule_id: str, m: re.Match[str], severity: Severity | None = None) -> None:
        if rule_id not in self.hits:
            detail = excerpt(self.line, m.start(), m.end())
            self.hits[rule_id] = Hit(rule_id, self.lineno, severity=severity, detail=detail)


def looks_like_shell(text: str) -> bool:
    """Any of the command rules would apply (cheap pre-check used on prose)."""
    return any(p.search(text) for _, p in _RULES) or bool(
        _UNSET_VAR_RM.search(text) or _ENV_DUMP.search(text)
    )
