"""Third adversarial pass: command-line passwords for more tools, structured arguments judged in their
context, and more provider token formats. Every secret is assembled from pieces at runtime."""

from __future__ import annotations

import base64

import pytest

from skillforge.redact import redact_text, redact_value

PW = "Qz7vR7-kP2mW" + "91x"
ALNUM = "a7Bc9De2Fg4Hj6Kl8Mn0Pq3Rs5Tu1Vw"


def _masked(text: str, secret: str) -> str:
    out = redact_text(text)
    assert secret not in out, out
    assert "[REDACTED:" in out
    assert redact_text(out) == out
    return out


@pytest.mark.parametrize(
    "text",
    [
        f"redis-cli -h cache.internal -a {PW} ping",
        f"redis-cli --no-auth-warning -a '{PW}' info",
        f"redis-cli -h cache --pass {PW} ping",
        f"mongosh mongodb://db.internal/app -u admin -p {PW}",
        f"mongosh -p {PW}",
        f"mongo --password {PW} --authenticationDatabase admin",
        f"mongodump -u backup -p '{PW}' --out /srv/dump",
        f"lftp -u deploy,{PW} ftp.example.com",
        f"lftp -e 'open -u deploy,{PW} sftp://files.example.com; put x'",
        f"smbclient //fs01/share -U admin%{PW} -c 'ls'",
        f"smbclient //fs01/share --user=CORP\\\\admin%{PW}",
        f"echo '{PW}' | docker login --password-stdin -u bot registry.example.com",
        f'echo "{PW}" | docker login -u bot --password-stdin ghcr.io',
        f"echo -n {PW} | podman login --username bot --password-stdin quay.io",
        f"docker login -u bot --password-stdin registry.example.com <<< '{PW}'",
        f"echo 'db.example.com:5432:app:appuser:{PW}' >> ~/.pgpass",
        f"cat ~/.pgpass\ndb.example.com:5432:app:appuser:{PW}\n*:*:*:postgres:{PW}",
        f"cat >> ~/.pgpass <<< 'localhost:*:shop:admin:{PW}'",
    ],
)
def test_command_line_passwords_of_more_tools(text: str) -> None:
    _masked(text, PW)


def test_command_line_passwords_keep_the_command_readable() -> None:
    assert redact_text(f"redis-cli -a {PW} ping") == "redis-cli -a [REDACTED:password] ping"
    assert redact_text(f"lftp -u deploy,{PW} host") == "lftp -u deploy,[REDACTED:password] host"
    assert redact_text(f"smbclient //h/s -U admin%{PW}") == "smbclient //h/s -U admin%[REDACTED:password]"
    assert redact_text(f"echo '{PW}' | docker login --password-stdin") == "echo '[REDACTED:password]' | docker login --password-stdin"


TELEGRAM = "123456789" + ":AA" + ALNUM + "_x"
DISCORD = base64.b64encode(b"1052345678901234567").decode().rstrip("=") + ".GhIjKl." + ALNUM[:27] + "AB"
MAILGUN = "key-" + "0123456789abcdef" * 2
AGE = "AGE-SECRET-KEY-1" + "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L" + "QPZRY9X8GF2TVDW0S3JN54KHCE"
BITBUCKET = "ATBB" + ALNUM
NEWRELIC = "NRAK-" + "ABCDEFGHIJ0123456789KLMNOPQ"
OPENAI_NONE = "sk-" + "None-" + ALNUM
OPENAI_SVC = "sk-" + "svcacct-" + ALNUM
GOOGLE_REFRESH = "1//0" + "gAbCdEfGhIjKl" + ALNUM
AZURE_SIG = "AbCdEf0123456789%2BghIjKlMnOpQrStUvWxYz%3D"
GOOG_SIG = "0a1b2c3d4e5f60718293a4b5c6d7e8f9" * 4
PPK_PRIVATE = "AAAAIFakePrivateBody" + ALNUM
SSH2_BODY = "P2/56wAAAi4AAAA3aWYtbW9kbntzaWdue3JzYS1wa2NzMS1zaGExfSxlbmNyeXB0" + ALNUM


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"curl https://api.telegram.org/bot{TELEGRAM}/sendMessage -d chat_id=1", TELEGRAM),
        (f"TELEGRAM_BOT=bot{TELEGRAM} and bare {TELEGRAM}", TELEGRAM),
        (f"client.run('{DISCORD}')", DISCORD),
        (f"mailgun {MAILGUN} for the domain", MAILGUN),
        (f"# created: 2024\n{AGE}", AGE),
        (f"git clone https://bob:{BITBUCKET}@bitbucket.org/team/repo.git and again {BITBUCKET}", BITBUCKET),
        (f"newrelic {NEWRELIC}", NEWRELIC),
        (f"export OPENAI={OPENAI_NONE}", OPENAI_NONE),
        (f"using {OPENAI_SVC}", OPENAI_SVC),
        (f'{{"refresh_token_value": "x", "r": "{GOOGLE_REFRESH}"}}', GOOGLE_REFRESH),
        (f"https://acct.blob.core.windows.net/c/b.txt?sv=2022-11-02&sp=r&sig={AZURE_SIG}", AZURE_SIG),
        (f"https://storage.googleapis.com/b/o?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Signature={GOOG_SIG}&x=1", GOOG_SIG),
        (
            "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\nComment: k\nPublic-Lines: 1\nAAAAC3NzaC1lZDI1NTE5\n"
            f"Private-Lines: 2\n{PPK_PRIVATE}\n{PPK_PRIVATE[::-1]}\nPrivate-MAC: 0123456789abcdef",
            PPK_PRIVATE[::-1],
        ),
        (f"---- BEGIN SSH2 ENCRYPTED PRIVATE KEY ----\nComment: \"k\"\n{SSH2_BODY}\n---- END SSH2 ENCRYPTED PRIVATE KEY ----", SSH2_BODY),
        (f"API key:\n{ALNUM}Zz\n", ALNUM),
        (f"Password:\n  {PW}\n", PW),
        (f"env:\n  - name: DB_PASSWORD\n    value: {PW}\n  - name: LOG_LEVEL\n    value: debug\n", PW),
        (f'env:\n- name: API_TOKEN\n  value: "{PW}"\n', PW),
        (f'[{{"name": "API_TOKEN", "value": "{PW}"}}]', PW),
    ],
)
def test_more_token_formats(text: str, secret: str) -> None:
    _masked(text, secret)


def test_pre_signed_urls_and_ppk_keep_their_shape() -> None:
    out = redact_text(f"https://h/b?sv=1&sig={AZURE_SIG}&se=2")
    assert out == "https://h/b?sv=1&sig=[REDACTED:url-signature]&se=2"
    ppk = f"PuTTY-User-Key-File-3: ssh-rsa\nPublic-Lines: 1\nAAAAB3Nza\nPrivate-Lines: 1\n{PPK_PRIVATE}\nPrivate-MAC: ab12"
    assert redact_text(ppk) == ppk.replace(PPK_PRIVATE, "[REDACTED:private-key]")
    assert redact_text(f"  - name: DB_PASSWORD\n    value: {PW}") == "  - name: DB_PASSWORD\n    value: [REDACTED:password]"


@pytest.mark.parametrize(
    "text",
    [
        "docker run --name mongo -p 27017:27017 mongo:7",
        "mongosh -p 27017 --host db",
        "smbclient -L fs01 -U admin",
        "lftp -u deploy ftp.example.com && ls -a",
        "redis-cli -a $REDIS_PASSWORD ping",
        "echo hello | cat && echo \"$CR_PAT\" | docker login ghcr.io -u bot --password-stdin",
        "src/main.c:12:5:error:expected",
        "  - name: LOG_LEVEL\n    value: debug\n  - name: DB_PASSWORD\n    valueFrom:\n      secretKeyRef: {name: db}",
        "  - name: DB_PASSWORD\n    value: $(DB_PASSWORD)",
        "the primary key-value store; robot 12345 and bot 1234567",
        "https://example.com/x?sig=abc&x=1",
        "API key:\nsee the vault entry below\n",
        "Private-Lines are documented in the PuTTY manual",
    ],
)
def test_more_benign_text_is_left_alone(text: str) -> None:
    assert redact_text(text) == text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (["mysql", "-u", "root", f"-p{PW}"], ["mysql", "-u", "root", "-p[REDACTED:password]"]),
        (["curl", "-u", f"bob:{PW}", "https://x"], ["curl", "-u", "bob:[REDACTED:password]", "https://x"]),
        (["deploy", "--password", PW], ["deploy", "--password", "[REDACTED:password]"]),
        (["redis-cli", "-a", PW, "ping"], ["redis-cli", "-a", "[REDACTED:password]", "ping"]),
        (("sshpass", "-p", PW, "ssh", "h"), ("sshpass", "-p", "[REDACTED:password]", "ssh", "h")),
        ({"name": "API_TOKEN", "value": PW}, {"name": "API_TOKEN", "value": "[REDACTED:token]"}),
        ({"Name": "DbPassword", "Value": PW}, {"Name": "DbPassword", "Value": "[REDACTED:password]"}),
        ({"Cookie": f"sid={PW}"}, {"Cookie": "[REDACTED:cookie]"}),
        ({"SET-COOKIE": [f"sid={PW}; Path=/", "b=1"]}, {"SET-COOKIE": ["[REDACTED:cookie]", "[REDACTED:cookie]"]}),
        ({"authorization": f"Basic {PW}"}, {"authorization": "[REDACTED:authorization]"}),
        ({"master_password": {"value": PW, "type": "string"}}, {"master_password": {"value": "[REDACTED:password]", "type": "string"}}),
    ],
)
def test_structured_arguments_are_judged_in_context(value: object, expected: object) -> None:
    assert redact_value(value) == expected


def test_a_pgpass_file_written_by_a_tool_is_masked() -> None:
    value = {"file_path": "/home/dev/.pgpass", "content": f"db:5432:app:app:{PW}\n"}
    assert redact_value(value) == {"file_path": "/home/dev/.pgpass", "content": "db:5432:app:app:[REDACTED:password]\n"}


@pytest.mark.parametrize(
    "value",
    [
        ["git", "push", "-u", "origin", "main"],
        ["docker", "run", "-p", "8080:80", "--name", "mongo", "-p", "27017:27017", "mongo"],
        ["mysql", "-u", "root", "-p", "shop"],
        {"name": "LOG_LEVEL", "value": "debug"},
        {"name": "API_TOKEN", "value": "$(API_TOKEN)"},
        {"Authorization": "Bearer ${TOKEN}", "Cookie": "<cookie>"},
        {"master_password": {"description": "the master password", "value": None}},
        {"file_path": "src/main.c", "content": "main.c:12:5:error:expected"},
        ["the", "token", "expired", "3ea751c087f32b16e039a2233dd6eefecef325d5"][:3],
    ],
)
def test_benign_structured_values_stay_the_same_object(value: object) -> None:
    assert redact_value(value) is value
