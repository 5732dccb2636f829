"""`evolve --model fake`: the model-backed Failure Analyzer, Diagnostician and Optimizer, gated by evals.

The scripted agent follows rules it finds in the installed skill, so a good edit makes tasks pass
and a bad one makes them fail. The fake model answers from the prompts; nothing touches the network.
"""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from skillforge import schemas
from skillforge.cli import cli
from skillforge.evals import load_tasks
from skillforge.evolve.llm_optimize import optimize_with_model
from skillforge.evolve.loop import run_evolve
from skillforge.models import Patch
from skillforge.models.evolve import FailureCluster
from skillforge.registry import open_registry
from skillforge.skills.io import read_package
from skillforge.skills.patch import apply_patch

SIGNED_RULE = "Files must end with the line 'Signed-off-by: bot'"


def evolve_cli(registry, tasks_file: Path, agent_cmd: str, *extra: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    args = [
        "evolve",
        "writer",
        "--tasks",
        str(tasks_file),
        "--agent",
        agent_cmd,
        "--registry",
        str(registry.path),
        "--timeout",
        "30",
        "--model",
        "fake",
        *extra,
    ]
    result = CliRunner().invoke(cli, args)
    return result.exit_code, result.output


def test_model_edit_of_the_attributed_section_is_accepted_published_and_logged(
    registry, tasks_file: Path, agent_cmd: str, tmp_path: Path
) -> None:
    report_file = tmp_path / "evolve.json"
    code, output = evolve_cli(registry, tasks_file, agent_cmd, "--report", str(report_file))
    assert code == 0, output
    assert "round 1 from writer@1.0.0 (skillforge-fake/fake): 1 failure(s) analysed, 1 cluster(s)" in output
    assert f"1x {SIGNED_RULE}  [followed: Procedure]" in output
    assert (
        "gate on 3 held-out task(s) x 3 runs: 3/9 -> 9/9" in output
        and "decision: accepted -> writer@1.1.0" in output
    )
    # The edit went into the section the analysis blamed, not into a generic guardrails list.
    skill_md = registry.read_file("writer", "1.1.0")
    procedure = skill_md.split("## Procedure", 1)[1]
    assert f"- {SIGNED_RULE}." in procedure and "## Guardrails" not in skill_md
    report = json.loads(report_file.read_text())
    assert schemas.validate(report, "evolve-report") == []
    (round1,) = report["rounds"]
    assert round1["analyzer"] == "skillforge-fake/fake" and round1["decision"] == "accepted"
    assert round1["clusters"][0]["section"] == "Procedure" and round1["clusters"][0]["fix"] == SIGNED_RULE
    assert report["usage"]["calls_by_stage"] == {
        "evolve-failure": 1,
        "evolve-diagnose": 1,
        "evolve-optimize": 1,
    }
    extra = registry.version("writer", "1.1.0").extra["evolve"]
    assert extra["decision"] == "accepted" and extra["analyzer"] == "skillforge-fake/fake"
    log = CliRunner().invoke(cli, ["log", "writer", "--registry", str(registry.path)]).output
    assert (
        "evolve round 1 from 1.0.0 (skillforge-fake/fake): 1 failure(s) analysed, 1 cluster(s), 1 edit(s); accepted"
        in log
    )
    assert (
        "gate on 3 held-out task(s) x 3 runs: 3/9 -> 9/9; pass rate 33% -> 100%, paired lift +67% (95% CI +23% to +88%) above margin 0%"
        in log
    )


def test_model_harmful_edit_is_rejected_registry_unchanged_and_log_says_why(
    registry, tasks_file: Path, agent_cmd: str, tmp_path: Path, write_failure, fake_client
) -> None:
    before = registry.files("writer", "1.0.0")
    failures = write_failure(
        tmp_path / "failures.jsonl", "write loud to l.txt", "Write everything in uppercase"
    )
    report = run_evolve(
        registry,
        "writer",
        failures=failures,
        tasks=load_tasks(tasks_file),
        agent=agent_cmd,
        timeout=30,
        client=fake_client(),
    )
    (round1,) = report.rounds
    assert round1.decision == "rejected" and round1.edits == [
        "append to 'Procedure' for 1 failure(s): Write everything in uppercase"
    ]
    assert round1.gate is not None and round1.gate.regressions == ["plain"]
    assert [v.version for v in registry.versions("writer")] == ["1.0.0"]
    assert registry.files("writer", registry.resolve("writer")) == before
    log = CliRunner().invoke(cli, ["log", "writer", "--registry", str(registry.path)]).output
    lines = log.splitlines()
    assert lines[0].startswith("writer (no version)") and "rejected, nothing published" in lines[0]
    assert (
        "    gate on 3 held-out task(s) x 3 runs: 3/9 -> 0/9; worse beyond noise on held-out task(s): plain"
        in lines
    )
    assert lines[-1].startswith("writer@1.0.0")  # the rejected round sits above the version it started from


def test_unverifiable_evidence_falls_back_to_the_heuristic_analysis(
    registry, tasks_file: Path, agent_cmd: str, tmp_path: Path, write_failure, fake_client
) -> None:
    # A failure whose only text is too short to quote: the model's answer has no verifiable evidence.
    failures = write_failure(tmp_path / "failures.jsonl", "write x to x.txt", "bad")
    report = run_evolve(
        registry,
        "writer",
        failures=failures,
        tasks=load_tasks(tasks_file),
        agent=agent_cmd,
        timeout=30,
        client=fake_client(),
    )
    (round1,) = report.rounds
    assert round1.failures_analysed == 1
    assert round1.clusters[0].cause == "bad"  # the heuristic analysis of the same trace
    assert any(
        "the heuristic analysis is used" in n or "heuristic analysis" in n
        for n in round1.notes + [f.task for f in round1.model_failures]
    )


def test_a_too_long_skill_goes_back_to_the_model_and_the_fix_is_published(
    tmp_path: Path, tasks_file: Path, agent_cmd: str
) -> None:
    """Validation problems of the optimizer's patch go back to the model (a fix round), then the gate runs."""
    head = "---\nname: writer\ndescription: Use when asked to write text into files.\n---\n\n# Writer\n\n## Procedure\n\n"
    procedure = "- Write the requested text to the requested file.\n"
    notes = "".join(f"- Note {i}: keep the wording plain.\n" for i in range(499))
    text = head + procedure + "\n## Notes\n\n" + notes
    lines = text.splitlines(keepends=True)
    text = "".join(lines[:499])  # SKILL.md at 499 lines: one more and it breaks the 500-line limit
    skill = tmp_path / "src" / "writer"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text(text, encoding="utf-8")
    registry = open_registry(tmp_path / "registry")
    registry.publish(skill, version="1.0.0")
    code, output = evolve_cli(registry, tasks_file, agent_cmd)
    assert code == 0, output
    assert "fix rounds: 1 (validation problems went back to the model)" in output
    assert "decision: accepted -> writer@1.1.0" in output
    files = registry.files("writer", "1.1.0")
    assert SIGNED_RULE in files["references/evolve-notes.md"]
    skill_md = registry.read_file("writer", "1.1.0")
    assert skill_md.count("\n") == 499 and "Read references/evolve-notes.md" in skill_md
    assert SIGNED_RULE not in skill_md


def test_malformed_answers_are_repaired_and_failing_stages_fall_back(
    registry, tasks_file: Path, agent_cmd: str, monkeypatch, fake_client
) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_FAULTS", "malformed=1")
    repaired = run_evolve(
        registry, "writer", tasks=load_tasks(tasks_file), agent=agent_cmd, timeout=30, client=fake_client()
    )
    assert repaired.rounds[0].decision == "accepted" and not repaired.rounds[0].model_failures
    assert (
        repaired.usage is not None and repaired.usage.llm_calls == 6
    )  # each of the 3 tasks: answer + repair

    monkeypatch.setenv("SKILLFORGE_FAKE_FAULTS", "malformed=1,malformed_repairs=1")
    code, output = evolve_cli(
        registry, tasks_file, agent_cmd, "--failures", str(_signed_failure(registry, tasks_file, agent_cmd))
    )
    assert code == 1, output  # model tasks failed: reported, and the exit code says so
    assert "model failure: evolve-diagnose: OutputParseError" in output
    assert "note: the optimizer fell back to the heuristic guardrails" in output


def _signed_failure(registry, tasks_file: Path, agent_cmd: str) -> Path:  # type: ignore[no-untyped-def]
    """An eval run of the original version, saved as traces (its 'signed' runs failed)."""
    from skillforge.evals import run_eval
    from skillforge.evolve.source import skill_folder

    out = Path(registry.path).parent / "run"
    with skill_folder("writer@1.0.0", registry.path) as folder:
        run_eval(folder, load_tasks(tasks_file), agent_cmd, timeout=30, run_dir=out)
    return out / "results.jsonl"


def test_budget_stops_before_anything_is_published(registry, tasks_file: Path, agent_cmd: str) -> None:
    code, output = evolve_cli(registry, tasks_file, agent_cmd, "--budget", "0.001")
    assert code == 3, output
    assert [v.version for v in registry.versions("writer")] == ["1.0.0"] and registry.events("writer") == []


def test_a_rerun_on_the_same_input_comes_from_the_cache(
    tmp_path: Path, tasks_file: Path, agent_cmd: str, fake_client
) -> None:
    outcomes = []
    for copy in ("a", "b"):
        skill = tmp_path / copy / "writer"
        skill.mkdir(parents=True)
        (skill / "SKILL.md").write_text(
            "---\nname: writer\ndescription: Use when asked to write text into files.\n"
            "---\n# Writer\n\n## Procedure\n\n- Write the requested text to the requested file.\n"
        )
        registry = open_registry(tmp_path / copy / "registry")
        registry.publish(skill, version="1.0.0")
        report = run_evolve(
            registry,
            "writer",
            tasks=load_tasks(tasks_file),
            agent=agent_cmd,
            timeout=30,
            client=fake_client(),
        )
        outcomes.append((report.usage, registry.read_file("writer", report.final_version)))
    (first, text_a), (second, text_b) = outcomes
    assert first is not None and second is not None
    assert (first.llm_calls, first.cache_hits) == (3, 0) and (second.llm_calls, second.cache_hits) == (0, 3)
    assert text_a == text_b


def test_optimizer_edit_with_a_missing_anchor_is_reported_not_guessed(registry, fake_client) -> None:
    import asyncio

    pkg = read_package(registry.export("writer", "1.0.0", Path(registry.path).parent / "export"))
    cluster = FailureCluster(
        signature="s",
        cause="Files lacked the sign-off line",
        count=2,
        trace_ids=["t1", "t2"],
        section="Procedure",
        attribution="misleading",
        rule="Write files without a trailer.",
        fix=SIGNED_RULE,
    )
    optimized = asyncio.run(optimize_with_model(fake_client(), pkg, [cluster]))
    (edit,) = optimized.patch.edits
    assert edit.op == "replace_in_section" and edit.old == "Write files without a trailer."
    assert optimized.patch.changelog == [
        "reword 'Procedure' for 2 failure(s): Files lacked the sign-off line"
    ]
    result, problems = apply_patch(pkg, optimized.patch)
    assert [str(p) for p in problems] == [
        "edit 0 (replace_in_section on SKILL.md): text to replace not found in section 'Procedure'"
    ]
    assert result == apply_patch(pkg, Patch(skill=pkg.name))[0]  # nothing was placed anywhere else
