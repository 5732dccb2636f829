"""``skillforge lint``: each metric on small good and bad skills, the human reference skills, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.models.lint import SkillDoc
from skillforge.models.provenance import Provenance, ProvenanceRule
from skillforge.skills.lint import lint_paths, lint_skill, lint_skills, summary_line
from skillforge.skills.provenance import write_provenance

from ..factories import skill_md, write_skill_folder

HUMAN = Path(__file__).parent.parent / "data" / "human_skills"

GOOD_DESCRIPTION = "Book, change and cancel airline reservations and payments. Use when a customer asks about flights."


def write_skill(root: Path, name: str, rules: list[str], *, description: str = GOOD_DESCRIPTION,
                body_extra: str = "", files: dict[str, str] | None = None) -> Path:
    """A skill folder ``root/name`` whose SKILL.md lists ``rules`` under one heading."""
    items = "\n".join(f"- {r}" for r in rules)
    text = skill_md(name, json.dumps(description), f"\n# {name}\n\n## Rules\n\n{items}\n{body_extra}")
    return write_skill_folder(root / name, text, files)


def doc(rules: list[str], **kw: str) -> SkillDoc:
    body = "# Skill\n\n" + "\n".join(f"- {r}" for r in rules) + "\n" + kw.pop("extra", "")
    return SkillDoc(name=kw.pop("name", "s"), path=kw.pop("path", "s"), description=kw.pop("description", ""),
                    body=body, **kw)


GOOD_RULES = [
    "Look up the reservation with `get_reservation_details` before changing it, because the cabin decides the fee.",
    "Ask the user to confirm the new flight `{flight_id}` before calling `update_reservation_flights`.",
    "Pay with the gift card only when its balance covers the whole amount; otherwise ask for another method.",
    "Never cancel a basic-economy booking after 24 hours: the policy forbids it.",
]


# -- rules -----------------------------------------------------------------------------------------


def test_rules_are_list_items_outside_code_with_markers_stripped() -> None:
    body = (
        "Intro paragraph.\n\n- first rule <!-- sf:0123456789 -->\n  continued here\n"
        "1. numbered rule\n   - nested rule\n\n```bash\n- not a rule\n```\n"
    )
    metrics = lint_skill(SkillDoc(name="s", path="s", body=body))
    assert metrics.rules == 3
    assert metrics.code_blocks == 1


# -- run-specific values ---------------------------------------------------------------------------


@pytest.mark.parametrize("rule", [
    "Open `/workspace/src/PullRequestViewer.tsx` first.",
    "Refund order 8190333 to the card.",
    "Pay with `gift_card_8190333`.",
    "Change flight HAT290 to a later one.",
    "Use the session 3f2b9c1e-8a4d-4c3b-9e2f-1a2b3c4d5e6f again.",
    "Poll the process (session_id: 47596) until it ends.",
    "Make the change with `edit 12:14`.",
    "Read lines 120-140 of the module.",
    "Run `python reproduce_issue.py` to check.",
    "Delete `verify_fix.py` afterwards.",
    "Copy the wheel from `/var/tmp/build-7/dist/pkg.whl`.",
    "Fix the test `xarray/tests/test_combine.py::test_combine_by_coords_raises_for_differing_calendars`.",
])
def test_run_specific_values_are_caught(rule: str) -> None:
    metrics = lint_skill(doc([rule, GOOD_RULES[0]]))
    assert metrics.run_specific == 0.5
    assert metrics.flagged["run_specific"][0].startswith(rule)


def test_placeholders_and_general_values_are_not_run_specific() -> None:
    rules = GOOD_RULES + [
        "Edit `{path}` at the line the traceback names, then run `pytest {test_file}`.",
        "Discard output with `> /dev/null` and use the brand orange `#d97757`.",
        "Keep SKILL.md under 500 lines.",
        # Where an installer puts things is documented knowledge, the same on every machine.
        "Remove the old libraries with `sudo rm -rf /usr/lib/ollama` (or `/usr/local/lib/ollama`, `/lib/ollama`).",
        "Read the unit's log in `/var/log/ollama/server.log` and its data in `/var/lib/ollama`.",
    ]
    assert lint_skill(doc(rules)).run_specific == 0.0


# -- vague actions ---------------------------------------------------------------------------------


def test_vague_actions_are_caught_and_concrete_ones_are_not() -> None:
    bad = lint_skill(doc([
        "When `edit` fails, fix the cause and re-issue the edit.",
        "When `cat` fails with `No such file`, retry with a corrected `path`.",
        "If the search finds nothing, look further.",
        "`ls` can fail with `blocked` (retrying did not help).",
    ]))
    assert bad.vague == 1.0
    assert lint_skill(doc(GOOD_RULES)).vague == 0.0


# -- near-duplicates -------------------------------------------------------------------------------


def test_rules_differing_only_by_ids_are_near_duplicates() -> None:
    metrics = lint_skill(doc([
        "When `book_reservation` fails with `seat unavailable` for flight HAT290, search again with `search_direct_flight`.",
        "When `book_reservation` fails with `seat unavailable` for flight HAT136, search again with `search_direct_flight`.",
        GOOD_RULES[0], GOOD_RULES[2],
    ]))
    assert metrics.near_duplicates == 0.5
    assert len(metrics.flagged["near_duplicates"]) == 2
    assert lint_skill(doc(GOOD_RULES)).near_duplicates == 0.0


# -- descriptions ----------------------------------------------------------------------------------


def test_templated_descriptions_are_caught() -> None:
    skills = [
        doc(GOOD_RULES, name="a", path="a", description=(
            "Use when working as an agent: how to recover from 9 known tool error(s), "
            "distilled from 37 agent run(s).")),
        doc(GOOD_RULES, name="b", path="b", description=GOOD_DESCRIPTION),
    ]
    report = lint_skills(skills)
    assert [m.templated_description for m in report.skills] == [True, False]
    assert report.set.templated_descriptions == 0.5
    assert "templated_descriptions" in {v.metric for v in report.violations}


def test_description_similarity_is_the_median_nearest_neighbour() -> None:
    shared = "Use when working as an agent on a code repository fixing an issue editing files running tools"
    skills = [
        doc(GOOD_RULES, name="a", path="a", description=shared + " in django"),
        doc(GOOD_RULES, name="b", path="b", description=shared + " in xarray"),
        doc(GOOD_RULES, name="c", path="c", description=GOOD_DESCRIPTION),
    ]
    report = lint_skills(skills)
    a, b, c = report.skills
    assert a.nearest == "b" and b.nearest == "a"
    assert a.description_similarity is not None and a.description_similarity > 0.8
    assert c.description_similarity is not None and c.description_similarity < 0.1
    assert report.set.description_similarity == a.description_similarity
    assert "description_similarity" in {v.metric for v in report.violations}
    assert lint_skills(skills[:1]).set.description_similarity is None  # no neighbour in a set of one


# -- boilerplate, references, sprawl, rationale ----------------------------------------------------


def test_boilerplate_counts_banners_counts_and_a_repeated_description() -> None:
    description = "Recover from failing tool calls while editing a code repository with the shell."
    bad = lint_skill(doc([
        "Run the tests after each edit (5/7 runs).",
        "Search with `grep -rn` before opening files (worked in 4 run(s)).",
    ], description=description, extra=f"\n{description}\n\n_Distilled by skillforge from 12 agent runs._\n"))
    assert bad.boilerplate > 0.3
    assert any("Distilled by" in span for span in bad.flagged["boilerplate"])
    assert lint_skill(doc(GOOD_RULES, description=description)).boilerplate == 0.0


def test_when_to_use_lines_that_only_list_sections_are_boilerplate() -> None:
    body = ("# Playbook\n\nWhen to use: procedure, pitfalls, recovering from common errors.\n\n"
            "## Procedure\n\n- Run the tests.\n\n## Pitfalls\n\n- Do not push.\n\n## Recovering from common errors\n\n- Read it.\n")
    metrics = lint_skill(SkillDoc(name="s", path="s", body=body))
    assert metrics.flagged["boilerplate"] == ["When to use: procedure, pitfalls, recovering from common errors."]


def test_rules_copied_verbatim_into_references_are_counted(tmp_path: Path) -> None:
    copied = "Check the status of that node with `kubectl get node {node} -o yaml` before draining it."
    skill = write_skill(tmp_path, "runbooks", [copied, GOOD_RULES[0]], files={
        "references/notes.md": f"# Notes\n\n## Node\n\n**{copied}**\n\nMore depth here.\n",
    })
    metrics = lint_paths([skill]).skills[0]
    assert metrics.reference_duplication == 0.5
    assert metrics.flagged["reference_duplication"] == [copied]
    deeper = write_skill(tmp_path, "deeper", [copied], files={"references/notes.md": "A worked example: ..."})
    assert lint_paths([deeper]).skills[0].reference_duplication == 0.0


def test_sprawl_is_the_share_of_skills_with_two_rules_or_fewer(tmp_path: Path) -> None:
    write_skill(tmp_path, "tiny", GOOD_RULES[:1], description="Triage astroid issues reported by users.")
    write_skill(tmp_path, "focused", GOOD_RULES)
    report = lint_paths([tmp_path])
    assert report.set.sprawl == 0.5
    assert "sprawl" in {v.metric for v in report.violations}


def test_rationale_share_counts_rules_that_say_why() -> None:
    metrics = lint_skill(doc([
        "Run `pytest -x` first because the full suite takes minutes.",
        "Pin the version so that re-runs stay identical.",
        "Quote the path, otherwise spaces split it.",
        "Run the linter.",
    ]))
    assert metrics.rationale == 0.75


# -- outcome consistency ---------------------------------------------------------------------------


def _rule(rule_id: str, harmful: int, kind: str = "recovery", tags: tuple[str, ...] = ("source:trace",)) -> ProvenanceRule:
    return ProvenanceRule(id=rule_id, section="Recovering from common errors", kind=kind, title=rule_id,
                          text=f"rule {rule_id}", support=2, helpful=2 - harmful, harmful=harmful, tags=list(tags))


def test_outcome_consistency_comes_from_provenance(tmp_path: Path) -> None:
    skill = write_skill(tmp_path, "airline", GOOD_RULES)
    assert lint_paths([skill]).skills[0].outcome_consistency is None  # no provenance, no figure
    write_provenance(Provenance(skill="airline", rules=[
        _rule("aaaaaaaaaa", 0), _rule("bbbbbbbbbb", 1),
        _rule("cccccccccc", 3, kind="pitfall"),  # failures are what a pitfall is made of
        _rule("dddddddddd", 2, tags=("source:document",)),
    ]), skill)
    report = lint_paths([skill])
    assert report.skills[0].outcome_consistency == 0.5
    assert report.skills[0].flagged["outcome_consistency"] == ["rule bbbbbbbbbb  [harmful 1]"]
    assert "outcome_consistency" in {v.metric for v in report.violations}


# -- the human reference set -----------------------------------------------------------------------


def test_human_skills_pass_the_default_thresholds() -> None:
    """The three vendored anthropics/skills skills meet every default limit.

    (So does the larger set in benchmarks/human_skills; there skill-creator alone has 2.5 % run-specific
    rules, its ``/tmp/...`` examples, and one "try again": both under the 5 % limits.)
    """
    report = lint_paths([HUMAN])
    assert [m.name for m in report.skills] == ["brand-guidelines", "internal-comms", "webapp-testing"]
    assert report.violations == []
    assert report.set.run_specific == 0.0 and report.set.vague == 0.0
    assert report.set.templated_descriptions == 0.0 and report.set.boilerplate == 0.0
    assert report.set.outcome_consistency is None


def test_summary_line_names_every_headline_figure() -> None:
    line = summary_line(lint_paths([HUMAN]))
    assert line.startswith("Quality: 0 % run-specific, 0 % vague, ")
    assert "templated descriptions" in line and "description similarity 0.0" in line
    assert line.endswith(f"(skillforge lint {HUMAN} for details)")


# -- CLI -------------------------------------------------------------------------------------------


def _bad_set(root: Path) -> Path:
    write_skill(root, "coding-agent-playbook", [
        "When `cat` fails, retry with the corrected path `/workspace/tests/missing_colon.py`.",
        "Run `python reproduce_issue.py` (3/7 runs).",
    ], description="Use when working as an agent: 4 known tool error(s); distilled from 12 agent run(s).")
    return root


def test_cli_lints_a_folder_of_skills_and_strict_fails_on_thresholds(tmp_path: Path) -> None:
    runner = CliRunner()
    good = tmp_path / "good"
    write_skill(good, "airline-reservations", GOOD_RULES)
    write_skill(good, "kubernetes-runbooks", [
        "Check node conditions with `kubectl describe node {node}` before restarting the kubelet.",
        "Drain the node with `kubectl drain {node} --ignore-daemonsets` so that pods reschedule.",
        "Escalate to the platform team when more than one node is NotReady.",
    ], description="Diagnose Kubernetes alerts such as KubeNodeNotReady and CPUThrottlingHigh with kubectl.")
    result = runner.invoke(cli, ["lint", str(good), "--strict"])
    assert result.exit_code == 0, result.output
    assert "airline-reservations" in result.output and "kubernetes-runbooks" in result.output
    assert "All set figures within the limits." in result.output

    bad = _bad_set(tmp_path / "bad")
    result = runner.invoke(cli, ["lint", str(bad)])
    assert result.exit_code == 0  # without --strict the figures are information
    assert "OVER" in result.output
    result = runner.invoke(cli, ["lint", str(bad), "--strict"])
    assert result.exit_code == 1
    assert "quality threshold(s) exceeded" in result.output and "run_specific 1 > 0.05" in result.output
    loose = ["--max-run-specific", "1", "--max-vague", "1", "--max-templated-descriptions", "1",
             "--max-boilerplate", "1", "--max-sprawl", "1"]
    assert runner.invoke(cli, ["lint", str(bad), "--strict", *loose]).exit_code == 0


def test_cli_json_shape(tmp_path: Path) -> None:
    bad = _bad_set(tmp_path)
    result = CliRunner().invoke(cli, ["lint", str(bad), "--json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert set(data) == {"paths", "skills", "set", "thresholds", "violations"}
    assert data["paths"] == [str(bad)]
    skill = data["skills"][0]
    assert skill["name"] == "coding-agent-playbook" and skill["rules"] == 2 and skill["run_specific"] == 1.0
    assert skill["templated_description"] is True and "run_specific" in skill["flagged"]
    assert data["set"]["sprawl"] == 1.0 and data["thresholds"]["run_specific"] == 0.05
    assert {"metric": "run_specific", "value": 1.0, "limit": 0.05, "minimum": False} in data["violations"]


def test_cli_refuses_a_path_without_skills(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(cli, ["lint", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert "no skill here" in result.output


def test_lint_reads_the_registry_latest_versions(tmp_path: Path) -> None:
    from skillforge.registry import open_registry

    registry = open_registry(tmp_path / "registry")
    skill = write_skill(tmp_path / "src", "airline-reservations", GOOD_RULES)
    registry.publish(skill)
    (skill / "SKILL.md").write_text((skill / "SKILL.md").read_text() + "- Refund order 8190333 now.\n")
    registry.publish(skill)
    report = lint_paths([tmp_path / "registry"])
    assert [m.path for m in report.skills] == ["registry:airline-reservations@0.1.1"]
    assert report.skills[0].rules == 5 and report.skills[0].run_specific == 0.2
