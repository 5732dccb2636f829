"""``redact_skipped``: a skip's path and quoted reason are masked once, wherever the skip passes."""

from __future__ import annotations

from skillforge.models import Skipped
from skillforge.redact import redact_skipped

KEY = "sk-ant-api03-AbCdEf0123456789AbCdEf0123456789AbCdEfGh"


def test_path_and_reason_are_masked_and_a_second_pass_changes_nothing() -> None:
    item = Skipped(path=f"runs/session-{KEY}/t.json", line=3,
                   reason="unknown format (JSON object with keys AKIAIOSFODNN7EXAMPLE, \x1b[2Jname)")
    once = redact_skipped(item)
    assert KEY not in once.path and "[REDACTED:anthropic-key]" in once.path
    assert "AKIAIOSFODNN7EXAMPLE" not in once.reason and "\x1b" not in once.reason and once.line == 3
    assert redact_skipped(once) is once  # idempotent: reader, feed and report may each apply it


def test_a_clean_skip_comes_back_as_is_and_emails_only_when_asked() -> None:
    clean = Skipped(path="a.json", reason="binary file, not a trace")
    assert redact_skipped(clean) is clean
    mail = Skipped(path="a.csv", reason="no ticket column in header 'from: alice@example.com'")
    assert redact_skipped(mail) is mail
    assert "alice@example.com" not in redact_skipped(mail, redact_emails=True).reason
