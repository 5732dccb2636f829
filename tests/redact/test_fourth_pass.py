"""Fourth adversarial pass on redaction: secrets in shapes the first three passes left in clear.

Each came through ``redact_text`` untouched before: passwords given to commands by flags only those
commands read as a password (keytool, openssl ``pass:``, ssh-keygen ``-N``, zip/7z/rar, ldap ``-w``,
htpasswd, rabbitmqctl, ``net user``), SQL ``IDENTIFIED BY``, Oracle ``user/password@service``,
percent-encoded ``name=value`` pairs, names such as Rails' ``SECRET_KEY_BASE``, ``GH_PAT`` and
``*_CREDS``, and a ``{"user": …, "pass": …}`` argument.
"""

from __future__ import annotations

import pytest

from skillforge.models import Source, Step, ToolCall, ToolResult, Trace
from skillforge.redact import redact_text, redact_trace, redact_value

S = "Zx9qLm2PvR7tWc4KyB8nHd3Fs6Ju1Ae5"
HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"

LEAKED = [
    f"keytool -importkeystore -srcstorepass {S} -deststorepass {S}",
    f"jarsigner -keystore ks.jks -storepass {S} app.apk alias",
    f"apksigner sign --ks ks.jks --ks-pass pass:{S} app.apk",
    f"openssl pkcs12 -export -in c.pem -passout pass:{S} -out c.p12",
    f"openssl enc -aes-256-cbc -k {S} -in f -out f.enc",
    f"ssh-keygen -t ed25519 -N '{S}' -f deploy_key",
    f"ssh-keygen -p -P {S} -N {S} -f key",
    f"zip -P {S} backup.zip db.sql",
    f"unzip -P {S} backup.zip",
    f"7z a -p{S} backup.7z db.sql",
    f"rar a -hp{S} backup.rar db.sql",
    f"ldapsearch -x -D cn=admin,dc=x -w {S} -b dc=x",
    f"useradd -m -p {S} deploy",
    f"rabbitmqctl add_user admin {S}",
    f"net user admin {S} /add",
    f"htpasswd -b .htpasswd admin {S}",
    f"htpasswd -nbB admin {S}",
    f"CREATE USER app IDENTIFIED BY '{S}';",
    f"ALTER USER app IDENTIFIED BY {S};",
    f"CREATE USER 'u'@'%' IDENTIFIED WITH mysql_native_password BY '{S}';",
    f"sqlplus -S scott/{S}@//db:1521/ORCL",
    f"jdbc:oracle:thin:scott/{S}@db:1521/ORCL",
    f"curl -d 'grant_type=password&username=u&password%3D{S}' https://x.example/token",
    f"https://x.example/cb?next=%2Fhome%3Ftoken%3D{S}%26x%3D1",
    f"%7B%22password%22%3A%22{S}%22%7D",
    f"SECRET_KEY_BASE={HEX}",
    f"GH_PAT={S}",
    f"export AWS_CREDS={S}",
]


@pytest.mark.parametrize("text", LEAKED)
def test_the_secret_is_masked(text: str) -> None:
    out = redact_text(text)
    assert S not in out and HEX not in out and "[REDACTED:" in out


KEPT = [
    "keytool -list -keystore ks.jks -storepass:env STORE_PW",
    "openssl rsa -passin env:KEY_PASS -in k.pem",
    "openssl rand -hex 32 -out key.bin",
    "ssh-keygen -t ed25519 -N '' -f key",
    "zip -r site.zip public/",
    "unzip -o site.zip -d out",
    "net user admin * /add",
    "htpasswd -c .htpasswd admin",
    "ALTER USER app IDENTIFIED EXTERNALLY;",
    "sqlplus / as sysdba",
    "re_pat = r'^a+$'",
    "https://example.com/search?q=a%20b%3Dc",
]


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_commands_are_left_alone(text: str) -> None:
    assert redact_text(text) == text


def test_a_short_password_key_in_tool_arguments() -> None:
    value = {"url": "https://x.example/login", "user": "admin", "pass": S, "pw": "hunter2-x9", "search_pat": "foo.*"}
    red = redact_value(value)
    assert red["pass"].startswith("[REDACTED:") and red["pw"].startswith("[REDACTED:")
    assert red["user"] == "admin" and red["search_pat"] == "foo.*"


def test_nothing_of_them_survives_a_trace() -> None:
    trace = Trace(
        id="t",
        source=Source(path="s.jsonl", format="claude-code"),
        task="sign the release",
        steps=[
            Step(role="assistant", tool_call=ToolCall(name="Bash", arguments={"command": LEAKED[0]})),
            Step(role="tool", tool_result=ToolResult(output="\n".join(LEAKED))),
            Step(role="assistant", tool_call=ToolCall(name="Bash", arguments={"argv": ["ssh-keygen", "-N", S, "-f", "deploy_key"]})),
        ],
    )
    assert S not in redact_trace(trace).model_dump_json()


# Fifth pass: provider tokens whose published prefix redaction did not know (they came through whole).
H40 = "0123456789abcdef0123456789abcdef01234567"
PROVIDER_TOKENS = [
    "https://discord.com/api/webhooks/123456789012345678/" + S + S[:28] + "_-ab",
    "GOCSPX-" + S[:28],
    "dapi" + H40[:32],
    "dapi" + H40[:32] + "-2",
    "gsk_" + S + S[:20],
    "r8_" + S + S[:5],
    "abcdefghijklmn.atlasv1." + S + S,
    "pul-" + H40,
    "ntn_" + "12345678901" + S + "abc",
    "secret_" + S + S[:11],
    "xai-" + S + S + S[:16],
    "sk-or-v1-" + HEX,
    "pplx-" + S + S[:16],
    "lsv2_pt_" + H40[:32] + "_" + H40[:10],
    "sbp_" + H40,
    "PMAK-" + H40[:24] + "-" + H40[:34],
    "HRKU-" + S + S[:28],
    "nfp_" + S + "abcd",
    "api_org_" + S + "ab",
    "SK" + H40[:32],
    "abC8Q~" + S,
    "Ocp-Apim-Subscription-Key: " + H40[:32],
    "x-functions-key: " + S,
]


@pytest.mark.parametrize("token", PROVIDER_TOKENS)
def test_provider_tokens_by_their_prefix(token: str) -> None:
    out = redact_text(f"the service answered 200 with {token} in the log")
    assert S[:12] not in out and H40[:16] not in out and HEX[:16] not in out, out
    assert out.startswith("the service answered 200 with ") and out.endswith(" in the log")


@pytest.mark.parametrize("text", [
    "see https://discord.com/api/webhooks for the docs",
    "SKU 12 and SKILLS-0123456789abcdef are product codes",
    "the pul-request and dapi-docs pages",
    "secret_santa_list.md",
])
def test_provider_prefixes_alone_are_not_tokens(text: str) -> None:
    assert redact_text(text) == text


# Fifth pass: a secret as the text of an XML element (Maven settings.xml, NuGet.Config, web.config).
XML_SECRETS = [
    f"<server><id>nexus</id><username>deploy</username><password>{S}</password></server>",
    f"<Password>{S}</Password>",
    f'  <password encrypted="false">{S}</password>',
    f"<apiKey>{S}</apiKey>",
    f"<add key=\"ClearTextPassword\" value=\"{S}\" />",
    f"<ns:client_secret>{S}</ns:client_secret>",
    f"<passphrase><![CDATA[{S}]]></passphrase>",
]


@pytest.mark.parametrize("text", XML_SECRETS)
def test_secrets_in_xml_elements(text: str) -> None:
    out = redact_text(text)
    assert S not in out and "[REDACTED:" in out, out


@pytest.mark.parametrize("text", [
    "<password>${env.NEXUS_PASSWORD}</password>",
    "<passwordPolicy>strong</passwordPolicy><tokenizer>bpe</tokenizer>",
    "<max_tokens>4096</max_tokens>",
])
def test_xml_without_a_secret_is_kept(text: str) -> None:
    assert redact_text(text) == text


# Fifth pass: a private key's base64 body without its BEGIN line (output cut at the top, `sed 1d`, a
# JSON or env value holding only the body). The DER start of each key format is fixed.
B64 = "q9f7w8X0vYbZk2LmNpQrStUvWxYz0123456789abcdefABCDEF+/"
KEY_BODIES = [
    "MIIEogIBAAKCAQEAtoMmocr98h+gCsOq3xHB0rsa" + B64,  # PKCS#1 RSA 2048
    "MIIJKAIBAAKCAgEAqTR33YE4eWfCZ56I3lEKjdZI" + B64,  # PKCS#1 RSA 4096
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIB" + B64,  # PKCS#8 RSA
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg" + B64,  # PKCS#8 EC
    "MC4CAQAwBQYDK2VwBCIEIHR1psf24Ed15BnS/LOI74UswCvI",  # PKCS#8 Ed25519
    "MHcCAQEEIHAd+PJlhD4nFjf21K1GfOCj4BoJv4Lw" + B64,  # SEC1 EC P-256
    "MIGkAgEBBDDIR+i3hHiaipBuNzk7Y0cV+XTHET7a" + B64,  # SEC1 EC P-384
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9u" + B64,  # OpenSSH
    "MIIJzwIBAzCCCYUGCSqGSIb3DQEHAaCCCXYEggly" + B64,  # PKCS#12 bundle
]


@pytest.mark.parametrize("body", KEY_BODIES)
def test_a_private_key_body_without_its_armor(body: str) -> None:
    text = f"$ tail -n +2 key.pem\n{body}\n{B64}\n{B64[:20]}==\n$ echo done\ndone"
    out = redact_text(text)
    assert body[:24] not in out and B64 not in out and "[REDACTED:private-key]" in out, out
    assert out.endswith("\n$ echo done\ndone")
    assert redact_text(f'{{"key": "{body}"}}') != f'{{"key": "{body}"}}'


@pytest.mark.parametrize("text", [
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAtoMmocr98h+gCsOq3xHB0rsa" + B64,  # a public key
    "MIIC+TCCAeGgAwIBAgIUIvdHdnm4/RSE4cnTMALy" + B64,  # a certificate
])
def test_public_keys_and_certificates_are_kept(text: str) -> None:
    assert redact_text(text) == text


# Fifth pass: a secret split by a line wrap. A shell (or Python, or C) line continuation inside a word is
# no break at all, and a terminal or a log viewer wraps a long token at its width; the part after the
# break came through in clear.
@pytest.mark.parametrize("text", [
    f"export GITHUB_TOKEN=ghp_{S[:16]}\\\n{S[16:]}abcd",
    f"curl -u admin:{S[:16]}\\\n{S[16:]} https://x.example",
    f"password={S[:14]}\\\r\n{S[14:]}",
    f"$ echo $GH\nghp_{S[:26]}\n{S[26:]}abcd0123",
    "x" * 60 + f" sk-ant-api03-{S}\n{S[::-1]}0 rest of the line",
])
def test_a_secret_split_by_a_line_wrap(text: str) -> None:
    out = redact_text(text)
    assert S[16:28] not in out and S[::-1][:12] not in out and "[REDACTED:" in out, out


@pytest.mark.parametrize("text", [
    f"GITHUB_TOKEN=ghp_{S}abcd\nPATH=/usr/local/bin:/usr/bin\nHOME=/root",
    f"export API_KEY={S}\nSuccessfully installed requests-2.31.0",
    "cp build/output_artifact_2024_x86_64 \\\n  dist/",
    "see the file long_identifier_name_v2_final\nnext_section_heading_3 follows",
])
def test_lines_after_a_secret_are_not_taken_for_its_tail(text: str) -> None:
    out = redact_text(text)
    assert out.count("\n") == text.count("\n")
    assert out.split("\n")[1:] == text.split("\n")[1:], out
