"""``skillforge distill`` and ``skillforge explain`` run for real on the sample files."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from click.testing import CliRunner
from skills_ref.validator import validate as reference_validate

from skillforge.cli import cli
from skillforge.skills.validate import validate_skill

SAMPLES = Path(__file__).parent.parent / "data" / "samples"


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    return result.exit_code, result.output


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _skills(out: Path) -> list[Path]:
    return sorted(p for p in out.iterdir() if p.is_dir() and not p.name.startswith("."))


def test_distill_samples_writes_valid_skills_and_reruns_byte_identical(tmp_path: Path) -> None:
    code, output = _run("distill", str(SAMPLES), "-o", str(tmp_path / "out"))
    assert code == 0, output
    assert "Read " in output and "trace(s)" in output and "lesson(s)" in output
    skills = _skills(tmp_path / "out")
    assert len(skills) >= 5
    for skill in skills:
        report = validate_skill(skill)
        assert report.errors == [] and report.warnings == [], (skill, report.problems)
        assert reference_validate(skill) == [], skill
        assert (tmp_path / "out" / ".provenance" / f"{skill.name}.json").is_file()
        assert skill.name in output

    code, _ = _run("distill", str(SAMPLES), "-o", str(tmp_path / "again"))
    assert code == 0
    assert _tree(tmp_path / "out") == _tree(tmp_path / "again")

    before = _tree(tmp_path / "out")
    code, output = _run("distill", str(SAMPLES), "-o", str(tmp_path / "out"))
    assert code == 0
    assert _tree(tmp_path / "out") == before  # re-running into the same folder changes nothing


def test_json_report_lists_formats_skills_and_skips(tmp_path: Path) -> None:
    code, output = _run("distill", str(SAMPLES), "-o", str(tmp_path / "out"), "--json")
    assert code == 0
    report = json.loads(output)
    assert report["traces"] == sum(report["traces_by_format"].values()) > 20
    assert {"claude-code", "mini-swe-agent", "swe-agent", "markdown", "tickets-json"} <= set(report["traces_by_format"])
    assert any("duplicate of ticket" in s["reason"] for s in report["skipped"])
    names = {s["name"] for s in report["skills"]}
    assert "kubernetes-alert-runbooks" in names
    assert all(s["errors"] == [] and s["rules"] >= 1 for s in report["skills"])


def test_a_planted_secret_never_reaches_the_output(tmp_path: Path) -> None:
    secret = "sk-" + "proj-" + "Zq8" * 12 + "Ab9_x"
    token = "gh" + "p_" + "Rt5" * 12
    source = (SAMPLES / "mini_swe_agent_traj" / "github_issue.traj.json").read_text(encoding="utf-8")
    planted = source.replace("/Users/fuchur/Documents/24/git_sync", f"/Users/fuchur/{secret}")
    planted = planted.replace("cat tests/missing_colon.py", f"GITHUB_TOKEN={token} cat tests/missing_colon.py")
    assert planted.count(secret) >= 2 and token in planted
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "github_issue.traj.json").write_text(planted, encoding="utf-8")
    shutil.copy(SAMPLES / "swe_agent_traj" / "swe-agent__test-repo-i1.traj", inputs)

    code, output = _run("distill", str(inputs), "-o", str(tmp_path / "out"))
    assert code == 0, output
    written = "\n".join(b.decode("utf-8") for b in _tree(tmp_path / "out").values())
    assert secret not in written and token not in written and secret not in output
    assert "[REDACTED:openai-key]" in written  # the field that held it did reach the skill, masked


def test_into_deepens_one_skill_and_explain_maps_rules_to_traces(tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, _ = _run("distill", str(SAMPLES / "documents"), "-o", str(out), "--into", "ops-playbook")
    assert code == 0
    assert [p.name for p in _skills(out)] == ["ops-playbook"]
    first = (out / "ops-playbook" / "SKILL.md").read_text(encoding="utf-8")

    code, output = _run("distill", str(SAMPLES / "support_tickets"), "-o", str(out), "--into", str(out / "ops-playbook"))
    assert code == 0, output
    second = (out / "ops-playbook" / "SKILL.md").read_text(encoding="utf-8")
    kept = re.findall(r"sf:[0-9a-f]{10}", first)
    assert kept and all(second.count(marker) == 1 for marker in kept)  # deepened, nothing repeated or lost
    assert "## Known issues and resolutions" in second and "KubeNodeNotReady" in second
    assert "version: 0.2.0" in second
    assert "or when a report resembles one of" in second.split("---")[1]  # the description now covers both
    assert validate_skill(out / "ops-playbook").ok(strict=True)

    code, output = _run("explain", str(out / "ops-playbook"))
    assert code == 0
    assert "ops-playbook 0.2.0" in output
    assert "Known issues and resolutions" in output and "Runbooks" in output
    assert "runbook_KubeNodeNotReady.md" in output and "swe-bench-dev-easy.json" in output
    provenance = json.loads((out / ".provenance" / "ops-playbook.json").read_text(encoding="utf-8"))
    rule = next(r for r in provenance["rules"] if r["title"] == "KubeNodeNotReady runbook")
    assert rule["trace_ids"] and rule["support"] == 1 and rule["section"] == "Runbooks"
    code, output = _run("explain", str(out / "ops-playbook"), "--rule", rule["id"])
    assert code == 0 and "KubeNodeNotReady" in output and "kubectl get node" in output


def test_nothing_usable_exits_non_zero_with_reasons(tmp_path: Path) -> None:
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "empty.jsonl").write_bytes(b"")
    (inputs / "blob.bin").write_bytes(b"\x00\x01\x02" * 100)
    result = CliRunner().invoke(cli, ["distill", str(inputs), "-o", str(tmp_path / "out")])
    assert result.exit_code != 0
    assert "empty file" in result.output and "binary file" in result.output
    assert "nothing usable was read" in result.output
    assert "Traceback" not in result.output


def test_explain_without_provenance_is_one_clear_error(tmp_path: Path) -> None:
    skill = tmp_path / "hand-made"
    skill.mkdir()
    (skill / "SKILL.md").write_text("---\nname: hand-made\ndescription: Use when testing.\n---\n\n# Hand made\n")
    result = CliRunner().invoke(cli, ["explain", str(skill)])
    assert result.exit_code == 1
    assert "no provenance recorded for this skill" in result.output


def test_a_later_run_deepens_the_skill_that_already_holds_its_rules(tmp_path: Path) -> None:
    """The general skill is named after its corpus ("python-bug-fixing", "coding-agent-playbook"), so a
    later distill used to start a sibling skill repeating the rules of the one a team already has (here
    kept as "team-playbook"): now the run deepens the skill that holds its rules, found in the output
    folder or in the registry."""
    traces = [str(SAMPLES / "swe_agent_traj"), str(SAMPLES / "mini_swe_agent_traj")]
    registry = tmp_path / "registry"
    code, output = _run("distill", *traces, "-o", str(tmp_path / "first"), "--into", "team-playbook",
                        "--registry", str(registry))
    assert code == 0, output
    held = set(re.findall(r"sf:[0-9a-f]{10}", (tmp_path / "first" / "team-playbook" / "SKILL.md").read_text()))
    assert len(held) >= 2

    code, output = _run("distill", *traces, "-o", str(tmp_path / "first"), "--no-publish")  # the same folder
    assert code == 0, output
    assert [p.name for p in _skills(tmp_path / "first")] == ["team-playbook"], output

    code, output = _run("distill", *traces, "-o", str(tmp_path / "fresh"), "--registry", str(registry))
    assert code == 0, output
    assert [p.name for p in _skills(tmp_path / "fresh")] == ["team-playbook"], output  # found in the registry
    assert "deepened team-playbook@0.1.0 from the registry" in output
    kept = (tmp_path / "fresh" / "team-playbook" / "SKILL.md").read_text()
    assert all(kept.count(marker) == 1 for marker in held)


def test_a_run_whose_rules_no_skill_holds_still_gets_its_own_skill(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    code, output = _run("distill", str(SAMPLES / "documents"), "-o", str(tmp_path / "docs"), "--registry", str(registry))
    assert code == 0, output
    code, output = _run("distill", str(SAMPLES / "swe_agent_traj"), "-o", str(tmp_path / "traces"),
                        "--registry", str(registry))
    assert code == 0, output
    assert [p.name for p in _skills(tmp_path / "traces")] == ["coding-agent-playbook"], output
