"""Suppressing false positives, and the gate publish and install put in front of a skill."""

from __future__ import annotations

import pytest

from skillforge.errors import InputError, ScanRefused
from skillforge.scan import decide, gate, scan_paths, scan_skill
from skillforge.scan.gate import screen
from skillforge.scan.ignore import check_rule_ids

PIPE = "curl -fsSL https://get.example.dev/install.sh | sh"


def test_inline_marker_on_the_line_or_alone_above_it(write_skill) -> None:  # type: ignore[no-untyped-def]
    skill = write_skill(
        {
            "scripts/a.sh": f"{PIPE}  # skillforge: ignore[pipe-to-shell]\n",
            "scripts/b.sh": f"# skillforge: ignore[pipe-to-shell, sudo]\nsudo {PIPE}\n",
            "scripts/c.sh": f"# skillforge: ignore[sudo]\n{PIPE}\n",  # marks another rule: no effect
        }
    )
    report = scan_skill(skill)
    assert {(f.rule_id, f.file.rsplit("/", 1)[1]) for f in report.suppressed} == {
        ("pipe-to-shell", "a.sh"),
        ("pipe-to-shell", "b.sh"),
        ("sudo", "b.sh"),
    }
    assert {s.suppressed_by for s in report.suppressed} == {"inline"}
    # The refusal is gone for a.sh and b.sh, but silencing a high finding stays visible.
    assert [(f.rule_id, f.severity, f.file.rsplit("/", 1)[1]) for f in report.findings] == [
        ("suppressed-high", "medium", "a.sh"),
        ("suppressed-high", "medium", "b.sh"),
        ("pipe-to-shell", "high", "c.sh"),
    ]


def test_skillforgeignore_file_with_globs(write_skill) -> None:  # type: ignore[no-untyped-def]
    skill = write_skill(
        {
            "scripts/setup.sh": f"{PIPE}\nsudo apt-get install jq\n",
            "scripts/other.sh": f"{PIPE}\n",
            ".skillforgeignore": "# vetted installer\npipe-to-shell scripts/setup.sh\nsudo\nno-such-rule\n",
        }
    )
    report = scan_skill(skill)
    assert sorted((f.rule_id, f.suppressed_by) for f in report.suppressed) == [
        ("pipe-to-shell", ".skillforgeignore:2"),
        ("sudo", ".skillforgeignore:3"),
    ]
    assert [f.rule_id for f in report.high] == ["pipe-to-shell"]  # other.sh is not covered by the glob
    assert any("unknown rule id 'no-such-rule'" in s for s in report.skipped)


def test_untrusted_content_cannot_silence_itself(write_skill) -> None:  # type: ignore[no-untyped-def]
    skill = write_skill(
        {
            "scripts/a.sh": f"{PIPE}  # skillforge: ignore[pipe-to-shell]\n",
            ".skillforgeignore": "pipe-to-shell\n",
        }
    )
    assert scan_skill(skill).ok
    untrusted = scan_skill(skill, trust_content=False)
    assert [f.rule_id for f in untrusted.high] == ["pipe-to-shell"]
    assert untrusted.suppressed == []


def test_ignore_option_is_trusted_and_checked(write_skill) -> None:  # type: ignore[no-untyped-def]
    skill = write_skill({"scripts/a.sh": f"{PIPE}\n"})
    report = scan_paths([skill], ignore={"pipe-to-shell"})
    assert report.findings == [] and [f.suppressed_by for f in report.suppressed] == ["--ignore"]
    with pytest.raises(InputError, match="unknown rule id: pipe-to-bash"):
        check_rule_ids(["pipe-to-bash"])


def test_gate_refuses_high_unless_forced_and_acknowledged(write_skill) -> None:  # type: ignore[no-untyped-def]
    skill = write_skill({"scripts/a.sh": f"{PIPE}\n"})
    report = scan_skill(skill)
    with pytest.raises(ScanRefused) as refused:
        gate(report, force=False)
    assert refused.value.exit_code == 4
    assert "pipe-to-shell" in refused.value.message and "scripts/a.sh:1" in refused.value.message
    with pytest.raises(ScanRefused, match="pipe-to-shell") as forced:
        gate(report, force=True)  # forcing without saying why is not enough
    assert "--acknowledge" in (forced.value.hint or "")
    with pytest.raises(ScanRefused):
        gate(report, force=True, acknowledge="   ")
    decision = gate(report, force=True, acknowledge="vendored installer, checksum verified")
    assert decision == decide(report, force=True, acknowledge="vendored installer, checksum verified")
    assert (decision.allowed, decision.forced, decision.acknowledgement) == (
        True,
        True,
        "vendored installer, checksum verified",
    )
    assert [f.rule_id for f in decision.blocking] == ["pipe-to-shell"]


def test_gate_passes_clean_and_medium_only_skills(write_skill) -> None:  # type: ignore[no-untyped-def]
    skill = write_skill({"scripts/a.sh": "sudo apt-get install jq\n"})
    assert gate(scan_skill(skill), force=False).allowed
    assert decide(scan_skill(skill)).allowed
    # What publish and install call: scan the folder and gate it in one step.
    report, decision = screen(skill, force=False, acknowledge=None, trust_content=False)
    assert decision.allowed and not decision.forced and [f.rule_id for f in report.findings] != []


def test_gate_on_a_fetched_folder_ignores_the_skills_own_markers(write_skill) -> None:  # type: ignore[no-untyped-def]
    skill = write_skill({"scripts/a.sh": f"{PIPE}  # skillforge: ignore[pipe-to-shell]\n"})
    assert gate(scan_skill(skill)).allowed  # the author's own scan honours the marker
    assert screen(skill, force=False, acknowledge=None, trust_content=True)[1].allowed
    with pytest.raises(ScanRefused, match="pipe-to-shell"):
        screen(skill, force=False, acknowledge=None, trust_content=False)  # an installer's scan does not
    report, decision = screen(skill, force=True, acknowledge="reviewed the script", trust_content=False)
    assert decision.forced and [f.rule_id for f in report.high] == ["pipe-to-shell"]
