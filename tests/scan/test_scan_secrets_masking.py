"""``scan`` reports secrets without printing them: not one run of a planted secret reaches the terminal
or the JSON report, and a secret next to its key id in prose is found, not called clean.

The planted secrets are the redaction corpus (tests/redact/corpus.py), one per class.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.scan.secrets import mask_secrets, scan_secrets


def _corpus() -> ModuleType:
    spec = importlib.util.spec_from_file_location("redaction_corpus", Path(__file__).parent.parent / "redact" / "corpus.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


corpus = _corpus()
SECRETS = sorted({s for _, _, secrets in corpus.CASES for s in secrets if len(s) >= 10})


def pieces_shown(text: str, secrets: list[str], run: int = 8) -> list[str]:
    """The secrets of which some ``run`` consecutive characters appear in ``text``."""
    return [s for s in secrets if any(s[i : i + run] in text for i in range(len(s) - run + 1))]


def test_scan_prints_and_reports_no_piece_of_any_planted_secret(write_skill) -> None:  # type: ignore[no-untyped-def]
    lines = "\n".join(text.replace("\n", " ") for _, text, _ in corpus.CASES)
    skill = write_skill({"SKILL.md": f"# Notes\n\n{lines}\n", "references/creds.md": lines + "\n"})
    runner = CliRunner()
    shown = runner.invoke(cli, ["scan", str(skill)])
    as_json = runner.invoke(cli, ["scan", "--json", str(skill)])
    assert shown.exit_code == 4 and as_json.exit_code == 4  # secrets are a refusal, not a pass
    for output in (shown.stdout + shown.stderr, as_json.stdout + as_json.stderr):
        assert pieces_shown(output, SECRETS) == []
    report = json.loads(as_json.stdout)
    excerpts = [f["excerpt"] for f in report["findings"] if f["rule_id"] in ("secret", "possible-secret")]
    assert excerpts and all("[REDACTED:" in e for e in excerpts)


def test_an_aws_secret_next_to_its_key_id_is_found_and_masked_whole() -> None:
    line = f"Use {corpus.AWS_ID} with secret {corpus.AWS_SECRET} for the upload bucket."
    hits = scan_secrets(line)
    spans = {line[h.start : h.end] for h in hits}
    assert corpus.AWS_SECRET in spans and corpus.AWS_ID in spans
    for hit in hits:
        assert hit.detail is not None and pieces_shown(hit.detail, [corpus.AWS_ID, corpus.AWS_SECRET], run=4) == []


def test_a_placeholder_looking_secret_is_not_reported_but_still_never_shown() -> None:
    # "…EXAMPLEKEY" reads like documentation, so the guessing rule stays quiet about it; an excerpt
    # of its line (shown for another finding) must still not carry it.
    fake = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
    line = f"aws_secret_access_key = {fake} and {corpus.GHP}"
    hits = scan_secrets(line)
    assert hits and all(fake[:8] not in (h.detail or "") and corpus.GHP[:8] not in (h.detail or "") for h in hits)


def test_mask_secrets_masks_every_line_a_detector_might_quote() -> None:
    text = f"ok line\ncurl -u admin:{corpus.pw(70)} https://x\nexport TOKEN={corpus.OPENAI}\nplain"
    masked = mask_secrets(text)
    assert corpus.pw(70) not in masked and corpus.OPENAI not in masked
    assert masked.splitlines()[0] == "ok line" and masked.splitlines()[-1] == "plain"
