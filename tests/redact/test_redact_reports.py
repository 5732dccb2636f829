"""Secrets in file names, skip reasons and parse errors never reach what inspect and distill print or write."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from skillforge.cli import cli

TOKEN = "ghp_" + "a" * 16 + "GHPTAILqrstuvwxyz01"
PASSWORD = "PWSNIPq7mWz3Pv9Lx"


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "traces"
    folder.mkdir()
    # A parse error near a secret: the parser's ~30-character quote cuts off the key name or prefix.
    (folder / "a.json").write_text('[{"role": "user", "content": "hi", "password": "' + PASSWORD + '" oops}]')
    (folder / "b.json").write_text('[{"role": "user", "content": "' + TOKEN + '"} ,,')
    (folder / f"session-{TOKEN}.jsonl").write_text(json.dumps({"role": "user", "content": "hello"}) + "\n")
    (folder / "notes.log").write_text(f"export STRIPE=sk_live_{'x' * 24}SKIPREASON\n")
    return folder


def test_inspect_and_distill_never_print_a_secret(tmp_path: Path) -> None:
    folder = _folder(tmp_path)
    runner = CliRunner()
    outputs = [
        runner.invoke(cli, ["inspect", str(folder)]).output,
        runner.invoke(cli, ["inspect", "--json", str(folder)]).output,
        runner.invoke(cli, ["distill", str(folder), "-o", str(tmp_path / "out"), "--no-publish",
                            "--report", str(tmp_path / "report.json")]).output,
        (tmp_path / "report.json").read_text(encoding="utf-8"),
    ]
    for text in outputs:
        for leak in ("GHPTAIL", PASSWORD, "SKIPREASON", "sk_live_"):
            assert leak not in text, text
    assert "a.json" in outputs[0] and "b.json" in outputs[0]  # still named, with a reason
