"""Mask secrets (and optionally e-mail addresses) before anything is analysed, sent to a model or written.

Every rule replaces the secret with a stable marker such as ``[REDACTED:openai-key]`` so a redacted
trace still reads naturally ("export OPENAI_API_KEY=[REDACTED:openai-key]") and the same input always
gives the same output. Redaction is pure: ``redact_trace`` returns a new Trace.

What is caught, by family (``tests/redact/corpus.py`` holds one case per family):

- provider tokens by their published prefixes (OpenAI, Anthropic, AWS key ids, GitHub ``ghp_``/
  ``github_pat_``, Slack ``xox*-``/``xapp-``, Google, Stripe, Hugging Face, GitLab, npm, PyPI), JWTs,
  PEM/OpenSSH private-key blocks, and detect-secrets' SendGrid, Square, Mailchimp, Artifactory and
  Azure storage plugins — also inside file names and paths (``session-sk-proj-…/x.jsonl``);
- ``Authorization``/``Proxy-Authorization`` headers (Bearer, Basic, Token), ``bearer <token>``;
- URL user info: ``scheme://user:password@host`` (passwords with ``/`` or ``@``, empty users) and a
  token used as the user (``https://<token>@github.com``);
- values of secret-looking names in env files, config, JSON (escaped JSON too) and CLI flags
  (``PASSWORD=…``, ``api_key: …``, ``--token …``, ``\\"password\\": \\"…\\"``, ``AccountKey=…``); an
  unquoted value on a YAML/INI/.env line is the rest of the line (``password: two words here``);
- passwords on command lines, where the flag means one: ``curl -u/--user user:pw``, httpie
  ``-a/--auth``, ``mysql -pPW``/``-p 'PW'``, ``sshpass -p``, ``docker login -p``, ``twine -p``,
  ``sqlcmd -P``; ``.netrc`` ``machine … login … password …``;
- a random-looking token right after a key-like word ("the api key is …", "with secret …",
  ``"api_tokens": {"<token>": …}``), judged with detect-secrets' Shannon entropy and its uuid /
  sequence / template filters; a 40-character AWS secret access key in a text that names an AWS key
  id; in structured values, whole values of secret-named keys and random-looking keys of maps named
  like secrets (a secret used as a dict key).

The trade-off: randomness alone never redacts. Git SHAs, UUIDs, content hashes, ``sha512-`` integrity
strings and base64 payloads are left alone on purpose (a skill that cites a commit must keep it), so a
bare secret with no prefix, no name and no key-like word in front of it can survive; next to "key"
only long mixed-case tokens count, and hex strings only next to a strong word (password, secret,
token). In the other direction a prose line like ``password: use the vault one`` is masked whole.
Placeholders (``$TOKEN``, ``<key>``, ``{{ vault }}``, ``os.environ[...]``, ``getpass()``, type
annotations such as ``api_key: SecretStr | None``) are kept.

``redact_skipped`` does the same to a ``Skipped`` record (its path and the quoted reason).

``neutralize_controls`` (applied to every trace text by ``redact_trace``) shows terminal control
sequences and invisible/bidi characters as ``\\x1b`` / ``<U+202E>``, so nothing read from a trace can
drive a terminal or hide text in a skill. A zero-width character planted inside a secret is dropped
with the secret (the joined token is masked whole); elsewhere invisible characters are kept for the
poison checks to see.

Also (second adversarial pass): ``auth`` values (Docker ``auths``, ``?auth=<base64>``), cookie values that
look random (``Cookie:``, ``Set-Cookie:``, ``curl -b``), ``*_PASS`` and ``SIGNING_KEY``-style names, PEM
private keys wrapped in base64 (``LS0tLS1CRUdJTi…``), and DigitalOcean, Shopify, Vault, Grafana, Linear,
Atlassian, Figma, Sentry, RubyGems, PlanetScale, Doppler, Stripe webhook, Google OAuth and HubSpot tokens.

Third pass: ``redis-cli -a``, ``mongosh -p``, ``lftp -u user,PW``, ``smbclient -U user%PW``, the value
echoed into ``--password-stdin``, ``.pgpass`` lines (only in a text or dict about a ``.pgpass`` file);
Telegram, Discord, Mailgun, age, Bitbucket, New Relic, ``sk-None-`` and Google refresh tokens, pre-signed
URL signatures, PuTTY ``.ppk`` and SSH2 private keys; a key on the line after "API key:", and a
Kubernetes ``name: DB_PASSWORD`` / ``value: …`` pair. Structured values: an argv list is judged as its
joined command line, ``{"name": "API_TOKEN", "value": …}`` by the sibling name, ``Cookie``/``Set-Cookie``/
``Authorization`` keys mask their whole value, and ``{"master_password": {"value": …}}`` the nested one.

Fourth pass: each command's own password flag (keytool ``-storepass``, openssl ``-passout pass:``/``-k``,
ssh-keygen ``-N``/``-P``, zip/unzip ``-P``, 7z ``-p``, rar ``-hp``, ldap tools ``-w``, useradd ``-p``,
rabbitmqctl ``add_user``, ``net user``, htpasswd ``-b``), SQL ``IDENTIFIED BY``, Oracle ``user/PW@service``
(sqlplus, ``jdbc:oracle:thin:``), percent-encoded pairs (``password%3D…``), ``SECRET_KEY_BASE``,
``GH_PAT``-style and ``*_CREDS`` names, and ``pass``/``pw`` keys of structured arguments.

Fifth pass: Discord webhooks, Google OAuth client secrets (``GOCSPX-``), Azure AD client secrets
(``…Q~…``), Databricks, Groq, Replicate, Terraform Cloud, Pulumi, Notion, xAI, OpenRouter, Perplexity,
LangSmith, Supabase, Postman, Heroku, Netlify, Twilio and Hugging Face organization tokens; Azure
``Ocp-Apim-Subscription-Key`` and ``x-functions-key`` values; secrets as XML element text
(``<password>…</password>``); a private key's base64 body without its BEGIN line, by the DER start of
each format (PKCS#1, PKCS#8, PKCS#12, SEC1, OpenSSH); a secret split by a line continuation
(backslash-newline) or by a hard wrap (a prefix token cut short, or a long line's token whose random tail
opens the next line).
"""

from __future__ import annotations

from skillforge.redact.controls import neutralize_controls
from skillforge.redact.patterns import marker
from skillforge.redact.text import redact_text
from skillforge.redact.trace import (
    clean_text,
    redact_skipped,
    redact_trace,
    redact_trace_in_place,
    redact_value,
)

__all__ = [
    "clean_text",
    "marker", "neutralize_controls", "redact_skipped", "redact_text", "redact_trace", "redact_trace_in_place",
    "redact_value",
]
