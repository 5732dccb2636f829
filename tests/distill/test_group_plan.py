"""Grouping lessons into skills (names, descriptions, folding thin skills) and planning patches for them."""

from __future__ import annotations

import re

from skillforge.distill.group import group_lessons
from skillforge.distill.plan import plan_skill
from skillforge.models import AddSection, AppendToSection, CreateFile, Frontmatter, Lesson, SkillPackage
from skillforge.skills.naming import skill_name
from skillforge.skills.patch import apply_patch
from skillforge.skills.rules import lesson_id, tag
from skillforge.skills.validate import _WHEN, is_valid_name


def test_sample_skills_have_valid_names_and_trigger_descriptions(sample_lessons: list[Lesson]) -> None:
    groups = group_lessons(sample_lessons)
    names = [g.name for g in groups]
    assert names == sorted(names)
    for group in groups:
        assert is_valid_name(group.name) and len(group.name) <= 64
        assert len(set(group.name.split("-"))) == len(group.name.split("-"))  # no repeated words
        assert 1 <= len(group.description) <= 300 and "---" not in group.description
        assert _WHEN.search(group.description), group.description
        # a trigger, not a table of contents: no counts, no "distilled from"
        assert not re.search(r"\d+ \w+\(s\)|distilled from|\bsource\(s\)", group.description), group.description
        assert all(l.target_skill == group.name for l in group.lessons)
    assert len({g.description for g in groups}) == len(groups)
    assert sum(len(g.lessons) for g in groups) == len(sample_lessons)


def test_project_lessons_from_traces_stay_in_the_general_skill(sample_lessons: list[Lesson]) -> None:
    groups = {g.name: g for g in group_lessons(sample_lessons)}
    assert not any(n.endswith("bug-fixing") and len(g.lessons) < 3 for n, g in groups.items())
    general = groups["coding-agent-playbook"]
    assert all(l.target_skill == general.name for l in sample_lessons if tag(l, "source") == "trace")
    assert not any(n.startswith(("django", "xarray")) for n in groups)


def test_tiny_skills_join_their_nearest_neighbour() -> None:
    def lesson(skill: str, title: str, source: str, *keywords: str) -> Lesson:
        return Lesson(kind="procedure", title=title, body=f"Do {title.lower()}.", target_skill=skill,
                      tags=[f"source:{source}", *(f"keyword:{k}" for k in keywords)])

    lessons = [
        *(lesson("kubernetes-alert-runbooks", f"Rule {i}", "document", "kubectl", "node") for i in range(4)),
        lesson("etcd-alerts", "Check the etcd leader", "document", "etcd", "kubectl"),
        lesson("billing-faq", "Refund within 30 days", "document", "refund"),
    ]
    groups = {g.name: g for g in group_lessons(lessons)}
    # the tiny etcd skill shares words with the runbooks and joins them; billing shares nothing and stays
    assert set(groups) == {"kubernetes-alert-runbooks", "billing-faq"}
    assert len(groups["kubernetes-alert-runbooks"].lessons) == 5
    assert groups["kubernetes-alert-runbooks"].description != groups["billing-faq"].description


def test_into_puts_everything_in_one_skill(sample_lessons: list[Lesson]) -> None:
    groups = group_lessons(sample_lessons, into="Team Playbook")
    assert [g.name for g in groups] == ["team-playbook"]
    assert len(groups[0].lessons) == len(sample_lessons)


def test_skill_name_normalizes_anything_to_a_valid_name() -> None:
    assert skill_name("django-debugging") == "django-debugging"
    assert skill_name("Django Bug Fixing!!") == "django-bug-fixing"
    assert skill_name("KubeNodeNotReady runbook") == "kube-node-not-ready-runbook"
    assert skill_name("Мой навык") == "мой-навык"
    long = skill_name("a very " * 30 + "long name")
    assert is_valid_name(long) and len(long) <= 64
    assert skill_name("---") == "distilled-lessons"


def _group(sample_lessons: list[Lesson], name: str):  # type: ignore[no-untyped-def]
    return next(g for g in group_lessons(sample_lessons) if g.name == name)


def test_plan_for_a_new_skill_creates_its_files(sample_lessons: list[Lesson]) -> None:
    group = _group(sample_lessons, "kubernetes-alert-runbooks")
    plan = plan_skill(group)
    assert plan.created and all(isinstance(e, CreateFile) for e in plan.patch.edits)
    files = {e.file for e in plan.patch.edits}
    assert {"SKILL.md", "references/kube-node-not-ready.md", "references/etcd-no-leader.md"} <= files
    assert {r.id for r in plan.rules} == {lesson_id(l) for l in group.lessons}
    empty = SkillPackage(frontmatter=Frontmatter(name=group.name, description=group.description), body="")
    pkg, problems = apply_patch(empty, plan.patch)
    assert problems == [] and pkg.frontmatter.metadata["version"] == "0.1.0"


def test_plan_deepens_an_existing_skill_without_repeating_rules(sample_lessons: list[Lesson]) -> None:
    group = _group(sample_lessons, "coding-agent-playbook")
    recoveries = [l for l in group.lessons if tag(l, "section") == "recovery"]
    others = [l for l in group.lessons if tag(l, "section") != "recovery"]
    first = group.model_copy(update={"lessons": others + recoveries[:1]})
    empty = SkillPackage(frontmatter=Frontmatter(name=group.name, description=group.description), body="")
    existing, _ = apply_patch(empty, plan_skill(first).patch)

    again = plan_skill(first, existing)
    assert again.patch.edits == [] and again.new_rules == 0  # nothing new: nothing changes

    deeper = plan_skill(group, existing)
    assert deeper.new_rules == len(recoveries) - 1
    assert deeper.version == "0.2.0"
    assert any(isinstance(e, AppendToSection) and e.heading == "Recovering from common errors"
               for e in deeper.patch.edits)
    updated, problems = apply_patch(existing, deeper.patch)
    assert problems == []
    for lesson in group.lessons:
        assert updated.body.count(f"sf:{lesson_id(lesson)}") == 1


def test_plan_respects_hand_written_rules_and_adds_missing_sections(sample_lessons: list[Lesson]) -> None:
    group = _group(sample_lessons, "ccusage-contributing")
    guard = next(l for l in group.lessons if l.kind == "guardrail")
    hand = SkillPackage(
        frontmatter=Frontmatter(name=group.name, description="Use when contributing to ccusage."),
        body=f"# ccusage\n\n## Guardrails\n\n- {guard.body}\n",
    )
    plan = plan_skill(group, hand)
    assert guard.body not in "\n".join(getattr(e, "content", "") for e in plan.patch.edits)
    assert any(isinstance(e, AddSection) and e.heading == "Procedure" for e in plan.patch.edits)
    updated, problems = apply_patch(hand, plan.patch)
    assert problems == []
    assert updated.body.count(guard.body) == 1


def test_a_document_skill_is_described_by_what_its_procedures_achieve() -> None:
    from skillforge.distill.describe import describe

    def procedure(rule: str, topic: str) -> Lesson:
        return Lesson(kind="procedure", title=topic, body=f"{rule}\n1. Do the first thing.\n2. Do the next.",
                      target_skill="actions-runner-usage", tags=["source:document", "section:procedure"])

    lessons = [procedure("To trust CA certificate for Node.js:", "Node"),
               procedure("To download SSL certificate chain:", "Chain"),
               procedure("To identify and solve these problems:", "Network"),  # points elsewhere: no goal
               procedure("For emergency backup:", "Backup")]  # a topic, not a goal
    text = describe("actions-runner-usage", lessons)
    assert text.startswith("Work with actions runner: download SSL certificate chain and trust CA certificate for "
                           "Node.js."), text
    assert "documented steps" not in text and "these problems" not in text and "backup" not in text
    assert "Use when working with actions runner" in text  # never "Use when using"


def test_the_playbook_description_says_what_to_do_not_how_runs_managed(sample_lessons: list[Lesson]) -> None:
    playbook = next(g for g in group_lessons(sample_lessons) if g.name == "coding-agent-playbook")
    assert playbook.description.startswith("Fix a bug the way successful runs did, and recover from ")
    assert "managed" not in playbook.description and "how to" not in playbook.description.lower()


def test_the_playbook_says_when_by_request_and_failure_not_by_the_tools_runs_called(
    sample_lessons: list[Lesson],
) -> None:
    """'Use when asked to fix a bug with cat, edit or edit_file_by_replace' read as if the tools were the
    occasion; an agent picks a skill by its request and by what just went wrong."""
    playbook = next(g for g in group_lessons(sample_lessons) if g.name == "coding-agent-playbook")
    when = playbook.description.split("Use when ", 1)[1]
    assert when.startswith("asked to fix a bug"), playbook.description
    assert not re.search(r"\bwith (?:`?cat|`?edit|`?sed)", when), playbook.description
    assert "an edit does not match the file" in when or "a file or path is missing" in when, playbook.description


def test_a_contributing_guide_is_described_by_its_gates_and_the_checks_to_run() -> None:
    """'Contribute to ccusage: the documented steps and the rules to respect (just fmt, …)' was a table of
    contents; the rules' own moments ("Before submitting a PR:") and topic instructions say what to do."""
    from skillforge.distill.describe import describe

    def procedure(body: str) -> Lesson:
        return Lesson(kind="procedure", title="t", body=body, target_skill="ccusage-contributing",
                      tags=["source:document", "section:procedure"])

    lessons = [procedure("Before submitting a PR:\n1. Run:\n```bash\njust fmt\njust test\n```"),
               procedure("For contribution gate, start with an issue before opening a PR. Keep it short."),
               procedure("For development setup, make sure to follow the dev setup instructions in quickstart.md."),
               procedure("For installation from source:\n1. Clone it.\n2. Run `pip install -e .`"),
               Lesson(kind="recovery", title="r", body="When you hit command not found, try `python -m x`.",
                      target_skill="ccusage-contributing", tags=["source:document", "section:recovery"])]
    text = describe("ccusage-contributing", lessons)
    assert text.startswith("Contribute to ccusage: run just fmt and just test before submitting a PR, start with an "
                           "issue before opening a PR and install from source"), text
    assert "documented steps" not in text and "quickstart.md" not in text
    assert "e.g. when you hit command not found" in text


def test_a_metric_in_a_runbook_is_not_a_command_it_runs() -> None:
    from skillforge.distill.describe import _commands

    lesson = Lesson(kind="procedure", title="t", target_skill="k", tags=["source:document"],
                    body="The alert evaluates `cluster:kubevirt_virt_controller_pods_running:count == 0`; "
                         "check it with `kubectl get pods -n kubevirt`.")
    assert _commands([lesson], "kubevirt") == ["kubectl get"]


def test_the_output_shown_in_a_prompted_block_is_not_a_command() -> None:
    from skillforge.distill.describe import _commands

    lesson = Lesson(kind="procedure", title="t", target_skill="k", tags=["source:document"], body=(
        "To check expansion:\n```bash\n$ kubectl get storageclass standard\n"
        "NAME                 PROVISIONER            RECLAIMPOLICY\nstandard (default)   kubernetes.io/gce-pd   Delete\n```"))
    assert _commands([lesson], "kubernetes") == ["kubectl get"]


def test_a_guide_of_topic_sections_is_described_by_its_activities_not_as_documented_steps() -> None:
    """uv's CONTRIBUTING (Setup, Testing, Formatting, Linting, Releases) was 'the documented steps and the
    rules to respect (cargo run, …)': a table of contents."""
    from skillforge.distill.describe import describe

    def procedure(rule: str) -> Lesson:
        return Lesson(kind="procedure", title=rule, body=f"{rule}\n1. Run `cargo run -- venv`.",
                      target_skill="uv-contributing", tags=["source:document", "section:procedure"])

    lessons = [procedure("For setup:"), procedure("When testing:"), procedure("For local testing, invoke uv."),
               procedure("When formatting, run `cargo fmt --all`."), procedure("For releases:")]
    text = describe("uv-contributing", lessons)
    what = text.split(". Use when")[0]
    assert what.startswith("Contribute to uv: ") and " it (" in what, text
    assert {"set up", "test", "format", "release"} <= set(re.split(r", | and ", what[len("Contribute to uv: "):
                                                                                 what.index(" it (")])), text
    assert "documented steps" not in text and "invoke" not in text
