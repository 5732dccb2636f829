"""The redaction corpus: one planted secret per class a trace can carry, and benign text that must survive.

Every secret is assembled at runtime from pieces so this file never trips a secret scanner, and every
value is unique so a grep over everything a pipeline wrote finds exactly the case that leaked.
Each case is ``(id, text, secrets)``: after redaction none of ``secrets`` may appear in the text.
Structured cases (a secret as a dict key) are in ``VALUE_CASES`` and go through ``redact_value``.
"""

from __future__ import annotations

import base64

ALNUM = "a7Bc9De2Fg4Hj6Kl8Mn0Pq3Rs5Tu1Vw"


def pw(n: int) -> str:
    """A password nobody would mistake for a word: unique per case."""
    return f"Qz{n}vR7-kP2mW{n}x"


def opaque(n: int, length: int = 32) -> str:
    """A random-looking token (mixed case and digits) with no provider prefix."""
    base = f"Zx{n}q8LmN3rT7vB2kW9pH4sD6fJ1gY5cE0aU{n}"
    return (base * 3)[:length]


OPENAI = "sk-" + "proj-" + ALNUM + "Xy_Zz-09"
OPENAI_LEGACY = "sk-" + "Ab3De5Gh7Jk9Lm1No3Pq" + "T3Bl" + "bkFJ" + "Rs5Tu7Vw9Xy1Za3Bc5De"
ANTHROPIC = "sk-" + "ant-" + "api03-" + ALNUM + ALNUM[:8]
GHP = "gh" + "p_" + ALNUM + "abcd"
GHP_PATH = "gh" + "p_" + ALNUM[::-1] + "wxyz"
GITHUB_PAT = "github" + "_pat_" + "11ABCDEFG0" + ALNUM + "_" + ALNUM[:20]
AWS_ID = "AK" + "IA" + "IOSFODNN7EXAMPLQ"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYzq8Pkey9ab"
SLACK_XAPP = "xa" + "pp-" + "1-A0123BCDEFG-4567890123456-" + "9f8e7d6c5b4a39281706f5e4d3c2b1a0" + "ab12cd34ef56ab78cd90ef12ab34cd56"
SLACK_XOXB = "xo" + "xb-" + "1234567890-0987654321-" + ALNUM[:24]
SLACK_XOXP = "xo" + "xp-" + "2234567890-1987654321-3234567890-" + ALNUM
JWT = "ey" + "JhbGciOiJIUzI1NiJ9." + "ey" + "JzdWIiOiIxMjM0NTY3ODkwIn0." + "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
PRIVATE_KEY_BODY = "MIIEowIBAAKCAQEA1c7d4iR2kW3YxR0" + ALNUM
PRIVATE_KEY = "-----BEGIN " + "RSA PRIVATE KEY-----\n" + PRIVATE_KEY_BODY + "\nq9f7w8X0vYbZk2LmNpQrStUvWxYz012345\n-----END " + "RSA PRIVATE KEY-----"
OPENSSH_BODY = "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ" + ALNUM
OPENSSH_KEY = "-----BEGIN " + "OPENSSH PRIVATE KEY-----\n" + OPENSSH_BODY + "\n-----END " + "OPENSSH PRIVATE KEY-----"
GITLAB = "gl" + "pat-" + "Xy7Kp2Lm9Qr4St6Uv8Wz"
SENDGRID = "S" + "G." + "aB3dE5fG7hJ9kL1mN3pQ5r" + "." + "sT7uV9wX1yZ3aB5cD7eF9gH1jK3lM5nP7qR9sT1uV3w"
NPM = "np" + "m_" + ALNUM + "AbCdE"
PYPI = "py" + "pi-" + "AgEIcHlwaS5vcmc" + ALNUM * 3
AZURE_KEY = base64.b64encode(bytes(range(7, 71))).decode()
BASIC = base64.b64encode(f"deploy:{pw(40)}".encode()).decode()

DOCKER_AUTH = base64.b64encode(f"bot:{pw(56)}".encode()).decode()
QUERY_AUTH = base64.b64encode(f"svc:{pw(57)}".encode()).decode()
PEM_B64 = base64.b64encode(("-----BEGIN " + "OPENSSH PRIVATE KEY-----\n" + ALNUM * 2).encode()).decode()
DO_TOKEN = "dop" + "_v1_" + ("a1b2c3d4e5f6" * 6)[:64]
SHOPIFY = "shp" + "at_" + ("0a1b2c3d4e5f" * 3)[:32]
VAULT = "hv" + "s." + ALNUM + ALNUM
GHP_ZW = "gh" + "p_" + ALNUM[:12] + chr(0x200B) + ALNUM[12:] + "wxyz"

CASES: list[tuple[str, str, list[str]]] = [
    # passwords in command arguments
    ("curl -u", f"curl -s -u admin:{pw(1)} https://api.example.com/v1/items", [pw(1)]),
    ("curl --user", f"curl --user admin:{pw(2)} -X POST https://api.example.com/login", [pw(2)]),
    ("curl -u quoted", f"curl -u 'admin:{pw(3)}' https://api.example.com", [pw(3)]),
    ("mysql -pPASS", f"mysql -uroot -p{pw(4)} -h db.internal shop", [pw(4)]),
    ("mysql -p 'PASS'", f"mysql -u root -p '{pw(5)}' -h db.internal", [pw(5)]),
    ("sshpass -p", f"sshpass -p '{pw(6)}' ssh deploy@10.0.0.5 uptime", [pw(6)]),
    ("sshpass -p bare", f"sshpass -p {pw(7)} scp build.tgz deploy@host:/srv", [pw(7)]),
    ("--password=", f"./manage.py createsuperuser --password={pw(8)} --noinput", [pw(8)]),
    ("PGPASSWORD", f"PGPASSWORD={pw(9)} psql -h db -U app -c 'select 1'", [pw(9)]),
    ("docker login -p", f"docker login -u bot -p {pw(10)} registry.example.com", [pw(10)]),
    ("httpie --auth", f"http --auth alice:{pw(11)} POST https://api.example.com/x", [pw(11)]),
    ("after a 401 retry", f"HTTP 401 Unauthorized\nretrying: curl -u ops:{pw(12)} https://ci.example.com/job", [pw(12)]),
    # AWS
    ("aws secret in prose", f"Use {AWS_ID} with secret {AWS_SECRET} for the upload bucket.", [AWS_ID, AWS_SECRET]),
    ("aws secret on next line", f"key id {AWS_ID}\nand the matching {AWS_SECRET}", [AWS_ID, AWS_SECRET]),
    ("aws_secret_access_key", f"aws_secret_access_key = {AWS_SECRET}", [AWS_SECRET]),
    # tokens inside file names and paths
    ("token in file name", f"cat /home/dev/.config/{GHP_PATH}_backup.json", [GHP_PATH]),
    ("token in path component", f"Wrote /tmp/session-{OPENAI}/trace.jsonl", [OPENAI]),
    # .netrc
    ("netrc one line", f"machine api.example.com login alice password {pw(13)}", [pw(13)]),
    ("netrc multi line", f"machine git.example.com\n  login bob\n  password {pw(14)}\n", [pw(14)]),
    # escaped JSON
    ("escaped json", f'{{"body": "{{\\"user\\": \\"alice\\", \\"password\\": \\"{pw(15)}\\"}}"}}', [pw(15)]),
    ("escaped json api_key", f'"{{\\"api_key\\":\\"{opaque(16)}\\"}}"', [opaque(16)]),
    # provider tokens
    ("slack xapp", f"SLACK_APP_TOKEN {SLACK_XAPP}", [SLACK_XAPP]),
    ("slack xoxb", f"client = WebClient({SLACK_XOXB!r})", [SLACK_XOXB]),
    ("slack xoxp", f"use {SLACK_XOXP} to post", [SLACK_XOXP]),
    ("github ghp", f"git remote set-url origin https://{GHP}@github.com/org/repo.git", [GHP]),
    ("github_pat", f"echo {GITHUB_PAT} | gh auth login --with-token", [GITHUB_PAT]),
    ("openai key", f"client = OpenAI(api_key={OPENAI!r})", [OPENAI]),
    ("openai legacy key", f"the key was {OPENAI_LEGACY}", [OPENAI_LEGACY]),
    ("anthropic key", f"ANTHROPIC_API_KEY={ANTHROPIC} claude -p hi", [ANTHROPIC]),
    ("jwt", f"cookie session={JWT}; Path=/", [JWT]),
    ("private key block", f"{PRIVATE_KEY}\nafter", [PRIVATE_KEY_BODY]),
    ("openssh private key", f"cat ~/.ssh/id_ed25519\n{OPENSSH_KEY}", [OPENSSH_BODY]),
    ("gitlab token", f"git clone https://oauth2@gitlab.example.com/x.git # used {GITLAB}", [GITLAB]),
    ("sendgrid key", f"mail via {SENDGRID}", [SENDGRID]),
    ("npm token", f"//registry.npmjs.org/:_authToken={NPM}", [NPM]),
    ("pypi token", f"twine upload -u __token__ -p {PYPI} dist/*", [PYPI]),
    # URL userinfo
    ("url password with /", f"git clone https://alice:{pw(17)}/ab@git.example.com/team/repo.git", [pw(17)]),
    ("url password with @", f"postgres://app:{pw(18)}@x@db.example.com:5432/app", [pw(18)]),
    ("url empty user", f"redis://:{pw(19)}@cache.internal:6379/0", [pw(19)]),
    ("url token as user", f"https://{opaque(20, 40)}@github.com/org/private.git", [opaque(20, 40)]),
    # multi-word unquoted config values
    ("yaml multi word", f"db:\n  password: correct horse {pw(21)} staple\n", ["correct horse", pw(21), "staple"]),
    ("ini multi word", f"[db]\npassword = two words {pw(22)}\n", ["two words", pw(22)]),
    ("env multi word", f"SMTP_PASSWORD=open sesame {pw(23)}\n", ["open sesame", pw(23)]),
    ("assignment inside a sentence", f"Trying: SMTP_PASSWORD=open sesame {pw(43)} then retry", [pw(43)]),
    # headers
    ("authorization basic", f"curl -H 'Authorization: Basic {BASIC}' https://x.example.com", [BASIC]),
    ("authorization bearer", f'-H "Authorization: Bearer {opaque(24)}"', [opaque(24)]),
    ("proxy-authorization", f"Proxy-Authorization: Basic {BASIC[:-4]}QQ==", [BASIC[:-4]]),
    ("x-api-key header", f"-H 'X-Api-Key: {opaque(25)}'", [opaque(25)]),
    ("bearer in prose", f"send it with bearer {opaque(26)} please", [opaque(26)]),
    # connection strings
    ("sqlserver conn string", f"Server=tcp:db.example.com,1433;Database=app;User ID=sa;Password={pw(27)};Encrypt=yes", [pw(27)]),
    ("mongodb+srv", f"mongodb+srv://app:{pw(28)}@cluster0.example.net/?retryWrites=true", [pw(28)]),
    ("azure storage", f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net", [AZURE_KEY]),
    # high-entropy tokens next to key-like words
    ("api key is X", f"the api key is {opaque(29)} for staging", [opaque(29)]),
    ("secret: X prose", f"Here is the secret {opaque(30)} you asked for", [opaque(30)]),
    ("password is X", f"my password is {pw(31)} on that box", [pw(31)]),
    ("token= in json", f'{{"token":"{opaque(32)}","ok":true}}', [opaque(32)]),
    ("plural tokens map text", f'{{"api_tokens": {{"{opaque(33)}": "ci-bot"}}}}', [opaque(33)]),
    # already handled before this corpus
    ("DB_PASSWORD env", f"DB_PASSWORD={pw(34)}", [pw(34)]),
    ("json client_secret", f'{{"client_secret": "{pw(35)}"}}', [pw(35)]),
    ("--token flag", f"./deploy --token={pw(36)}", [pw(36)]),
    ("mysql --password space", f"mysql --password {pw(37)} -h db", [pw(37)]),
    ("url basic", f"git clone https://deploy:{pw(38)}@git.example.com/team/repo.git", [pw(38)]),
    ("esc-coloured token", f"\x1b[32m{GHP}\x1b[0m printed in green", [GHP]),
    # second adversarial pass (issue 18): encodings, odd names, more providers, split tokens
    ("auth key in json output", f'{{"registry": {{"auth": "{opaque(50)}"}}}}', [opaque(50)]),
    ("docker config auths", f'{{"auths": {{"ghcr.io": {{"auth": "{DOCKER_AUTH}"}}}}}}', [DOCKER_AUTH]),
    ("base64 user:pw in a query", f"curl -s 'https://api.example.com/login?auth={QUERY_AUTH}'", [QUERY_AUTH.rstrip("=")]),
    ("cookie header", f"curl -H 'Cookie: lang=en; sessionid={opaque(51, 40)}' https://admin.example.com", [opaque(51, 40)]),
    ("set-cookie", f"Set-Cookie: auth_session={opaque(52, 40)}; Path=/; HttpOnly", [opaque(52, 40)]),
    ("curl -b cookie", f"curl -b 'sid={opaque(53, 40)}' https://admin.example.com", [opaque(53, 40)]),
    ("DB_PASS env", f"DB_PASS={pw(54)} ./migrate", [pw(54)]),
    ("SIGNING_KEY env", f"export SIGNING_KEY={opaque(55, 44)}", [opaque(55, 44)]),
    ("base64 PEM private key", f"SSH_KEY_B64={PEM_B64}", [PEM_B64[:40]]),
    ("bare digitalocean token", f"default ({DO_TOKEN})", [DO_TOKEN]),
    ("bare shopify token", f"using {SHOPIFY} for the store", [SHOPIFY]),
    ("bare vault token", f"accessor x\n{VAULT}", [VAULT]),
    ("zero-width inside a token", f"Logged in as {GHP_ZW}", [GHP_ZW.split(chr(0x200B))[1]]),
    ("zero-width inside a token after 'token'", f"token {GHP_ZW}", [GHP_ZW.split(chr(0x200B))[1]]),
]

# Structured values: (id, value, secrets). The secret is a dict key, not a value.
VALUE_CASES: list[tuple[str, object, list[str]]] = [
    ("secret as dict key", {"headers": {OPENAI: "prod"}}, [OPENAI]),
    ("opaque key under a secret-named map", {"api_tokens": {opaque(39): "ci-bot", opaque(41): "deploy"}}, [opaque(39), opaque(41)]),
    ("password map keyed by secret", {"passwords": {pw(42): "alice"}}, [pw(42)]),
]

# Ordinary text that must come back unchanged.
BENIGN: list[tuple[str, str]] = [
    ("git log", "commit 3ea751c087f32b16e039a2233dd6eefecef325d5\nAuthor: A <a@example.com>\n\n    fix the runner\n"),
    ("git oneline", "3ea751c fix the runner\n9a766b0 add token refresh\n"),
    ("uuid ids", 'session 395eec3e-bf72-451f-9334-f1e4cc6307e9 and {"request_id": "c0ffee00-1234-4abc-8def-0123456789ab"}'),
    ("prose about tokens", "the token expired; max_tokens=1000 token_count: 52 and password: str"),
    ("getpass", "password = getpass()  # read it, never hard-code it"),
    ("env lookups", "api_key = os.environ['OPENAI_API_KEY']\ntoken = os.getenv('GH_TOKEN')"),
    ("templated header", "Authorization: Bearer ${TOKEN}"),
    ("templated url", "postgres://user:${DB_PASSWORD}@localhost/db and https://example.com/a@b"),
    ("hash and ssh remote", "sha256 9a766b0902178f46e0d3e0c36f5f0212 and mail git@github.com:org/repo.git"),
    ("port in url", "curl http://localhost:8080/api@v2 and https://host:443/x"),
    ("short flags", "mkdir -p build && ssh -p 2222 host && docker run -p 8080:80 img && cp -p a b && tar -cpf x.tar ."),
    ("pytest -p", "python -m pytest -p no:cacheprovider -q"),
    ("-u elsewhere", "git push -u origin main && python -u run.py && sort -u names.txt && docker run --user 1000:1000 img"),
    ("curl -u prompt", 'curl -u admin https://api.example.com && curl -u "$CI_USER:$CI_TOKEN" https://x'),
    ("mysql prompt", "mysql -u root -p -h db.internal shop"),
    ("base64 of text", "echo aGVsbG8gd29ybGQgZnJvbSB0aGUgdGVzdHM= | base64 -d"),
    ("cache key hex", "cache key 9a766b0902178f46e0d3e0c36f5f0212 hit; GPG key ABCDEF0123456789"),
    ("pydantic field", "    password: str = Field(min_length=8)\n    api_key: SecretStr | None = None"),
    ("yaml template", 'password: "{{ vault_db_password }}"\ntoken: ${{ secrets.GITHUB_TOKEN }}'),
    ("integrity hash", '"integrity": "sha512-z4PhNX7vuL3xVChQ1m2AB9Yg5AULVxXcg/SpIdNs6c5H0NE8XYXysP+DGNKHfuwvY7kxvUdBeoGlODJ6+SfaPg=="'),
    ("password prose", "Reset the password if the login fails; the password is required."),
    ("emoji and accents", "café ✓ naïve — done"),
    ("plain cookies", "Cookie: lang=en; theme=dark; consent=yes"),
    ("pass names that are not passwords", "first_pass: true\nbypass: 3"),
    ("base64 certificate", "CA_B64=" + base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMIIB").decode()),
    ("zero-width kept outside secrets", "pip i\u200bnstall requests"),
]
