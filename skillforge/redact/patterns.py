"""The patterns redaction shares: the marker, provider token formats, secret-looking names, placeholders."""

from __future__ import annotations

import re


def marker(kind: str) -> str:
    """The text that replaces a secret of ``kind``."""
    return f"[REDACTED:{kind}]"


B = r"(?<![A-Za-z0-9])"
"""A token starts at a boundary. ``-``/``_`` may precede it: ``session-sk-proj-…`` and ``x_ghp_…`` are
file names with a token inside, and provider prefixes are distinctive enough not to need more."""
E = r"(?![A-Za-z0-9_-])"

_KEY_BODY_START = r"(?<![A-Za-z0-9+/])"
_KEY_BODY_REST = r"[A-Za-z0-9+/]{16,}={0,2}(?:[ \t]*\r?\n[ \t]*(?:[A-Za-z0-9+/]{16,}={0,2}|[A-Za-z0-9+/]{1,15}={1,2})(?![^\s\"']))*"

# Provider tokens recognised by their prefix: (kind, literal that must occur, pattern). A pattern only
# runs when its literal is in the text, which keeps redaction cheap on long tool outputs. GitLab's
# prefixes are several: its pattern is gated by GITLAB_PREFIXES instead of the short literal (and
# Discord's by DISCORD_TAIL). A pattern's literal comes first where it can (a boundary check is a
# lookbehind after it): the regex engine then skips to the literal instead of trying every position.
# A pattern with a group keeps the group (``sig=``) and masks the rest.
TOKENS: list[tuple[str, str, re.Pattern[str]]] = [
    (kind, literal, re.compile(pattern))
    for kind, literal, pattern in [
        ("anthropic-key", "sk-ant-", B + r"sk-ant-[A-Za-z0-9_-]{20,}" + E),
        ("openai-key", "sk-", B + r"sk-(?:proj|svcacct|admin|None)-[A-Za-z0-9_-]{20,}" + E),
        ("openai-key", "sk-", B + r"sk-(?=[A-Za-z0-9]*[0-9])(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{20,}" + E),
        ("stripe-key", "_live_", B + r"(?:sk|rk)_live_[A-Za-z0-9]{16,}" + E),
        ("stripe-key", "_test_", B + r"(?:sk|rk)_test_[A-Za-z0-9]{16,}" + E),
        ("aws-access-key", "AKIA", r"(?<![A-Z0-9])AKIA[0-9A-Z]{16}(?![A-Z0-9])"),
        ("aws-access-key", "ASIA", r"(?<![A-Z0-9])ASIA[0-9A-Z]{16}(?![A-Z0-9])"),
        # ghp_ tokens are 36 base62 characters; a longer run after them is a file name's tail.
        ("github-token", "gh", B + r"gh[pousr]_[A-Za-z0-9]{30,}"),
        ("github-token", "github_pat_", B + r"github_pat_[A-Za-z0-9_]{22,}" + E),
        ("slack-token", "xox", B + r"xox[abposre]-[A-Za-z0-9-]{10,}" + E),
        ("slack-token", "xapp-", B + r"xapp-[0-9]+-[A-Za-z0-9-]{10,}" + E),
        ("slack-webhook", "hooks.slack.com", r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}"),
        ("google-api-key", "AIza", B + r"AIza[0-9A-Za-z_-]{35,40}" + E),
        ("huggingface-token", "hf_", B + r"hf_[A-Za-z0-9]{30,}" + E),
        ("gitlab-token", "gl", B + r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-[A-Za-z0-9_-]{20,}" + E),
        ("npm-token", "npm_", B + r"npm_[A-Za-z0-9]{36,}" + E),
        ("pypi-token", "pypi-", B + r"pypi-AgE[A-Za-z0-9_-]{50,}" + E),
        ("jwt", "eyJ", B + r"eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}" + E),
        # More providers with published prefixes: DigitalOcean, Shopify, HashiCorp Vault, Grafana,
        # Linear, Atlassian, Figma, Sentry auth tokens, RubyGems, PlanetScale, Doppler, Stripe webhook
        # secrets, Google OAuth access tokens, HubSpot.
        ("digitalocean-token", "_v1_", B + r"do[por]_v1_[a-f0-9]{64}" + E),
        ("shopify-token", "shp", B + r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + E),
        ("vault-token", "hv", B + r"hv[sbr]\.[A-Za-z0-9_-]{24,}" + E),
        ("grafana-token", "gl", B + r"gl(?:c|sa)_[A-Za-z0-9_+/=-]{32,}" + E),
        ("linear-key", "lin_api_", B + r"lin_api_[A-Za-z0-9]{32,}" + E),
        ("atlassian-token", "ATATT", B + r"ATATT[A-Za-z0-9_=-]{32,}" + E),
        ("figma-token", "figd_", B + r"figd_[A-Za-z0-9_-]{32,}" + E),
        ("sentry-token", "sntr", B + r"sntr[ysu]_[A-Za-z0-9_+/=-]{32,}" + E),
        ("rubygems-key", "rubygems_", B + r"rubygems_[a-f0-9]{48}" + E),
        ("planetscale-token", "pscale_", B + r"pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,}" + E),
        ("doppler-token", "dp.", B + r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{32,}" + E),
        ("stripe-key", "whsec_", B + r"whsec_[A-Za-z0-9]{24,}" + E),
        ("google-oauth-token", "ya29.", B + r"ya29\.[A-Za-z0-9_-]{30,}" + E),
        ("hubspot-token", "pat-", B + r"pat-(?:na|eu)[0-9]-[a-f0-9-]{36}" + E),
        # Third adversarial pass: Telegram bot tokens (in an API URL or bare), Discord bot tokens (the
        # first part is a numeric user id in base64, so every 4 characters follow a fixed shape),
        # Mailgun, age, Bitbucket app passwords, New Relic user keys, Google OAuth refresh tokens, and
        # the signature of a pre-signed URL (Azure SAS ``sig=``, GCS ``X-Goog-Signature=``, S3
        # ``X-Amz-Signature=``/``X-Amz-Security-Token=``): only the value is masked.
        ("telegram-bot-token", "bot", r"bot(?<![A-Za-z0-9]bot)[0-9]{6,12}:[A-Za-z0-9_-]{35}" + E),
        ("telegram-bot-token", ":AA", B + r"[0-9]{8,12}:AA[A-Za-z0-9_-]{33}" + E),
        ("discord-token", ".", B + r"(?:[MNO][DTjz][AEIMQUYcgk][w-z0-5]){5,6}(?:[MNO][AQgw]|[MNO][DTjz][AEIMQUYcgk])?"
         r"\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}" + E),
        ("mailgun-key", "key-", r"key-(?<![A-Za-z0-9]key-)[0-9a-f]{32}" + E),
        ("age-secret-key", "AGE-SECRET-KEY-1", r"AGE-SECRET-KEY-1[0-9A-Z]{50,}"),
        ("bitbucket-app-password", "ATBB", r"ATBB(?<![A-Za-z0-9]ATBB)[A-Za-z0-9]{24,}" + E),
        ("newrelic-key", "NRAK-", r"NRAK-(?<![A-Za-z0-9]NRAK-)[A-Z0-9]{27}" + E),
        ("google-oauth-token", "1//0", r"1//0(?<![A-Za-z0-9]1//0)[0-9A-Za-z_-]{20,}" + E),
        ("url-signature", "sig=", r"(sig=)(?<=[?&;]sig=)[A-Za-z0-9%+/=_-]{16,}"),
        ("url-signature", "oog-", r"(oog-[Ss]ignature=)(?<=[?&][Xx]-[Gg]oog-[Ss]ignature=)[A-Za-z0-9%+/=_-]{16,}"),
        ("url-signature", "X-Amz-", r"(X-Amz-Signature=)(?<=[?&]X-Amz-Signature=)[A-Za-z0-9%+/=_-]{16,}"),
        ("aws-session-token", "X-Amz-", r"(X-Amz-Security-Token=)(?<=[?&]X-Amz-Security-Token=)[A-Za-z0-9%+/=_-]{16,}"),
        # Fifth pass: Discord webhooks (the token after the id), Google OAuth client secrets, Databricks,
        # Groq, Replicate, Terraform Cloud, Pulumi, Notion, xAI, OpenRouter, Perplexity, LangSmith, Supabase,
        # Postman, Heroku, Netlify, Hugging Face organization tokens, Twilio API keys, Azure AD client secrets.
        ("discord-webhook", "/api/webhooks/",
         r"(discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/)[A-Za-z0-9_-]{60,68}" + E),
        ("google-oauth-secret", "GOCSPX-", B + r"GOCSPX-[A-Za-z0-9_-]{28}" + E),
        ("databricks-token", "dapi", B + r"dapi[a-f0-9]{32}(?:-[0-9])?" + E),
        ("groq-key", "gsk_", B + r"gsk_[A-Za-z0-9]{52}" + E),
        ("replicate-token", "r8_", B + r"r8_[A-Za-z0-9]{37}" + E),
        ("terraform-token", ".atlasv1.", B + r"[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}" + E),
        ("pulumi-token", "pul-", B + r"pul-[a-f0-9]{40}" + E),
        ("notion-token", "ntn_", B + r"ntn_[0-9]{11}[A-Za-z0-9]{35}" + E),
        ("notion-token", "secret_", B + r"secret_[A-Za-z0-9]{43}" + E),
        ("xai-key", "xai-", B + r"xai-[A-Za-z0-9]{80}" + E),
        ("openrouter-key", "sk-or-", B + r"sk-or-v1-[a-f0-9]{64}" + E),
        ("perplexity-key", "pplx-", B + r"pplx-[A-Za-z0-9]{48}" + E),
        ("langsmith-key", "lsv2_", B + r"lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10}" + E),
        ("supabase-token", "sbp_", B + r"sbp_[a-f0-9]{40}" + E),
        ("postman-key", "PMAK-", B + r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}" + E),
        ("heroku-key", "HRKU-", B + r"HRKU-[A-Za-z0-9_-]{60}" + E),
        ("netlify-token", "nfp_", B + r"nfp_[A-Za-z0-9]{36}" + E),
        ("huggingface-token", "api_org_", B + r"api_org_[A-Za-z0-9]{34}" + E),
        ("twilio-key", "SK", r"(?<![A-Za-z0-9_-])SK[0-9a-f]{32}" + E),
        ("azure-client-secret", "Q~", B + r"[A-Za-z0-9_~.]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"),
        # A private key's base64 body without its BEGIN line (output cut at the top, a value holding only the
        # body), known by the fixed DER start of each format: PKCS#1 RSA, PKCS#8 RSA, PKCS#12, PKCS#8 EC
        # and Ed25519, SEC1 EC, OpenSSH. Public keys (``…AAOC…``) and certificates start otherwise. The
        # base64 lines after it go with it.
        ("private-key", "IBA", _KEY_BODY_START + r"MII[A-Za-z0-9+/]{3}IBA(?:AK[BC]|DANBgkqhkiG9w0BAQEFAASC|zCC)"
         + _KEY_BODY_REST),
        ("private-key", "AgE", _KEY_BODY_START + r"(?:MIG[A-Za-z0-9+/]AgEAMBMGByqGSM49AgEGC|MI[GH][A-Za-z0-9+/]AgEBB)"
         + _KEY_BODY_REST),
        ("private-key", "MC4CAQAwBQYDK2VwBCIEI", _KEY_BODY_START + r"MC4CAQAwBQYDK2VwBCIEI" + _KEY_BODY_REST),
        ("private-key", "MHcCAQEEI", _KEY_BODY_START + r"MHcCAQEEI" + _KEY_BODY_REST),
        ("private-key", "b3BlbnNzaC1rZXktdjE", _KEY_BODY_START + r"b3BlbnNzaC1rZXktdjE" + _KEY_BODY_REST),
        # A PEM private key base64-encoded once more (a CI variable): "-----BEGIN [RSA |OPENSSH |EC |DSA |
        # ENCRYPTED |PGP ]PRIVATE K" encoded; certificates and public keys stay.
        ("private-key", "LS0tLS1CRUdJTi", r"LS0tLS1CRUdJTiB(?:SU0EgUFJJVkFURSBL|PUEVOU1NIIFBSSVZBVEUgS0VZ|QUklWQVRFIEtF|"
         r"FQyBQUklWQVRFIEtF|EU0EgUFJJVkFURSBL|FTkNSWVBURUQgUFJJVkFURSBL|QR1AgUFJJVkFURSBL)[A-Za-z0-9+/]*={0,2}"),
    ]
]

PRIVATE_KEY_RE = re.compile(
    r"-----BEGIN (?P<label>[A-Z0-9 ]*?)PRIVATE KEY( BLOCK)?-----.*?(?:-----END (?P=label)PRIVATE KEY( BLOCK)?-----|\Z)",
    re.DOTALL,
)

# PuTTY's .ppk format: the base64 lines after "Private-Lines: N" are the private key (the public lines
# and the MAC stay). The SSH2 (RFC 4716 / ssh.com) private key block has 4 dashes and spaces.
PUTTY_PRIVATE_RE = re.compile(r"(?m)(Private-Lines:[ \t]*\d+[ \t]*\r?\n)[ \t]*[A-Za-z0-9+/=]+[ \t]*(?:\r?\n[ \t]*[A-Za-z0-9+/=]+[ \t]*$)*")
SSH2_PRIVATE_KEY_RE = re.compile(
    r"---- BEGIN SSH2 (?P<label>(?:ENCRYPTED )?)PRIVATE KEY ----.*?(?:---- END SSH2 (?P=label)PRIVATE KEY ----|\Z)", re.DOTALL
)

# "Authorization: Bearer abc", "authorization=Token abc", "-H 'Authorization: Basic abc'", and
# "Proxy-Authorization".
AUTH_HEADER_RE = re.compile(
    r"(?i)(\bauthorization\\?[\"']?\s*[:=]\s*\\?[\"']?\s*)(?:(bearer|token|basic|digest)\s+)?([A-Za-z0-9._~+/=:-]{8,})"
)
BEARER_RE = re.compile(r"(?i)(\bbearer\s+)([A-Za-z0-9._~+/-]{16,}=*)")

# scheme://user:password@host — the user may be empty (redis://:pw@host) and the password may hold
# "/" or "@": it runs (lazily) up to the "@" that is followed by a host and the end of the authority.
URL_PASSWORD_RE = re.compile(
    r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)([^:/?#\s@\"'<>\[\]]*):([^\s\"'<>]+?)@(?=[A-Za-z0-9.\[\]-]+(?::\d+)?(?:[/?#\s\"'<>]|$))"
)
URL_PORT_RE = re.compile(r"\d{1,5}(?:/.*)?")
# scheme://TOKEN@host with no password: a token used as the user name.
URL_TOKEN_USER_RE = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*://)([A-Za-z0-9_-]{20,})@")

# A name that holds a secret ends with one of these words (``DB_PASSWORD``, ``openai_api_key``,
# ``client-secret``, ``GITHUB_TOKEN``, ``MYSQL_PWD``, ``AccountKey``, Rails' ``SECRET_KEY_BASE``, a personal
# access token's ``GH_PAT``, ``AWS_CREDS``) — ``max_tokens`` or
# ``token_count`` do not, nor SWE-bench's ``FAIL_TO_PASS``/``PASS_TO_PASS`` test lists. Longer words first.
KEYWORDS = (
    r"secret[_-]?key[_-]?base|secret[_-]?key|access[_-]?key|private[_-]?key|api[_-]?key|apikey|account[_-]?key|shared[_-]?access[_-]?key|"
    r"(?:signing|encryption|master|session|hmac|license|client|app|deploy|ssh|subscription|functions?)[_-]?key|"
    r"pass(?:word|wd|phrase)|[_-]pwd|(?<!_to)[_-]pass(?![a-z0-9_])|(?:gh|github|gitlab|ado|azdo|devops|bitbucket|docker(?:hub)?)[_-]pat(?![a-z0-9_])|secret|token|credentials?|creds"
)
KEYWORD = re.compile(KEYWORDS)
"""Searched in the lowercased text: a case-insensitive alternation is several times slower."""
KEYWORD_ANY_CASE = re.compile(KEYWORDS, re.IGNORECASE)
SECRET_NAME_RE = re.compile(rf"^[A-Za-z0-9_.-]*?(?:{KEYWORDS})$", re.IGNORECASE)
SECRET_NAMES_RE = re.compile(rf"^[A-Za-z0-9_.-]*?(?:{KEYWORDS})s?$", re.IGNORECASE)
"""Also plural: a map or list under ``api_tokens`` or ``passwords`` holds secrets."""
NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-")

PLACEHOLDER_RE = re.compile(
    r"""(?ix)^\\?["']?(
        \$.*|<.*>|\{.*\}|\[REDACTED.*|%\(.*|\*+|x{3,}|\.{3}|
        none|null|nil|true|false|undefined|required|optional|str|string|int|bool|bytes|any|
        os\..*|process\.env.*|env\..*|self\..*|settings\..*|config\..*|getpass.*|input\(.*|
        [A-Za-z_][A-Za-z0-9_.]*\(.*|[A-Za-z_][A-Za-z0-9_]*\[.*|
        \d{1,6}
    )\\?["']?$"""
)


def is_placeholder(value: str) -> bool:
    """True for values that stand for a secret without being one (``$TOKEN``, ``<key>``, ``None``)."""
    return bool(PLACEHOLDER_RE.match(value)) or value.startswith("[REDACTED")


DISCORD_TAIL = re.compile(r"\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_-])")
"""The end of a Discord token: starting with a literal, it is many times faster to look for than the
whole token, and gates it."""
GITLAB_PREFIXES = ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "glcbt-", "glimt-", "glptt-", "glagent-", "gloas-")

EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])(?!git@)[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")


def kind_for_name(name: str) -> str:
    """The marker kind for a value held by ``name`` (``DB_PASSWORD`` -> ``password``)."""
    lowered = name.lower()
    if "aws" in lowered and "secret" in lowered:
        return "aws-secret-key"
    if "pass" in lowered or lowered.endswith("pwd"):
        return "password"
    if "token" in lowered:
        return "token"
    if "key" in lowered:
        return "api-key"
    if "cookie" in lowered:
        return "cookie"
    if "authorization" in lowered:
        return "authorization"
    return "secret"
