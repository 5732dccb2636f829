"""The model's last steps: planning skills (deepen existing, create only when nothing fits), fixing
validation errors in at most two rounds, and the reader process that redacts before any call."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from skillforge.distill.model.fix import validate_and_fix
from skillforge.distill.model.skill_plan import existing_skills, plan_groups
from skillforge.distill.model.trace_feed import TraceFeed
from skillforge.ingest import ReadOptions
from skillforge.llm.client import LLMClient
from skillforge.models import Evidence, Frontmatter, Lesson, SkillPackage
from skillforge.models.llm import CallFailure, LLMSettings
from skillforge.skills.frontmatter import render as render_skill_md
from skillforge.skills.io import write_package
from skillforge.skills.rules import tag
from skillforge.skills.validate import validate_skill

SAMPLES = Path(__file__).parent.parent / "data" / "samples"


@pytest.fixture(autouse=True)
def _fake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLFORGE_FAKE_FAULTS", raising=False)
    monkeypatch.delenv("SKILLFORGE_FAKE_LATENCY", raising=False)


def lesson(title: str, skill: str, kind: str = "pitfall", trace: str = "t1") -> Lesson:
    return Lesson(kind=kind, title=title, body=f"{title}.", target_skill=skill,  # type: ignore[arg-type]
                  evidence=[Evidence(trace_id=trace, step=1, quote=f"evidence for {title}")])


def client() -> LLMClient:
    return LLMClient(LLMSettings(model="fake", cache=False))


def test_plan_deepens_existing_skills_and_creates_new_ones_only_when_nothing_fits(tmp_path: Path) -> None:
    write_package(SkillPackage(frontmatter=Frontmatter(name="django-migrations", description="Use when migrating."),
                               body="# Django migrations\n\n## Pitfalls\n\n- Back up first.\n"), tmp_path / "django-migrations")
    lessons = [
        lesson("Run makemigrations before migrate in django", "django-migrations", trace="t1"),
        lesson("Pin pytest-xdist workers in CI", "pytest-ci", "guardrail", "t2"),
        lesson("Use -p no:cacheprovider on read-only checkouts", "pytest-ci", "procedure", "t3"),
        lesson("Rerun flaky tests once before bisecting", "pytest-ci", "recovery", "t4"),
        lesson("Quote globs in zsh", "zsh-tips", "pitfall", "t5"),
    ]
    existing = existing_skills(tmp_path, lessons)
    assert [(s.name, s.sections) for s in existing] == [("django-migrations", ["Pitfalls"])]
    groups = asyncio.run(plan_groups(client(), lessons, existing))
    by_name = {g.name: g for g in groups}
    assert sorted(by_name) == ["django-migrations", "pytest-ci", "zsh-tips"]  # nothing near enough to join
    assert [les.title for les in by_name["django-migrations"].lessons] == [lessons[0].title]
    assert by_name["django-migrations"].description == "Use when migrating."  # an existing skill keeps its own
    # A trigger, not a table of contents: what it does, then "Use when …", short and without counts.
    description = by_name["pytest-ci"].description
    assert ". Use when " in description and len(description) <= 300 and not any(c.isdigit() for c in description)
    assert "pytest" in description and description != by_name["zsh-tips"].description
    assert len(by_name["pytest-ci"].lessons) == 3
    sections = {les.title: tag(les, "section") for les in by_name["pytest-ci"].lessons}
    assert sections == {
        "Pin pytest-xdist workers in CI": "guardrails",
        "Use -p no:cacheprovider on read-only checkouts": "procedure",
        "Rerun flaky tests once before bisecting": "recovery",
    }
    assert all(les.target_skill == name for name, g in by_name.items() for les in g.lessons)


def test_existing_skill_written_from_the_same_rules_is_not_shown_to_the_model(tmp_path: Path) -> None:
    from skillforge.models.provenance import Provenance, ProvenanceRule
    from skillforge.skills.provenance import write_provenance
    from skillforge.skills.rules import lesson_id

    rule = lesson("Quote globs in zsh", "zsh-tips")
    write_package(SkillPackage(frontmatter=Frontmatter(name="zsh-tips", description="Use when in zsh."), body="# Zsh\n"),
                  tmp_path / "zsh-tips")
    write_provenance(Provenance(skill="zsh-tips", rules=[ProvenanceRule(
        id=lesson_id(rule), section="Pitfalls", kind="pitfall", title=rule.title, text=rule.title, support=1)]),
        tmp_path / "zsh-tips")
    assert existing_skills(tmp_path, [rule]) == []
    assert [s.name for s in existing_skills(tmp_path, [lesson("Something else entirely", "x-y")])] == ["zsh-tips"]


def test_a_failed_plan_falls_back_to_the_lessons_own_skills(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_FAULTS", "malformed=1,malformed_repairs=1")
    failures: list[CallFailure] = []
    lessons = [lesson("Quote globs in zsh", "zsh-tips"), lesson("Pin pytest-xdist workers", "pytest-ci")]
    groups = asyncio.run(plan_groups(client(), lessons, [], failures=failures))
    assert sorted(g.name for g in groups) == ["pytest-ci", "zsh-tips"]
    assert [(f.task, f.kind) for f in failures] == [("plan", "OutputParseError")]


def _skill(folder: Path, front: str, body: str = "# Pytest debugging\n\n- Run one test first.\n") -> Path:
    folder.mkdir(parents=True)
    (folder / "SKILL.md").write_text(f"---\n{front}---\n\n{body}", encoding="utf-8")
    return folder


def test_validation_errors_go_back_to_the_model_and_get_fixed(tmp_path: Path) -> None:
    skill = _skill(tmp_path / "pytest-debugging", "name: Pytest_Debugging\ndescription: Use when a test fails.\n")
    assert validate_skill(skill).errors
    failures: list[CallFailure] = []
    errors, rounds = asyncio.run(validate_and_fix(client(), skill, failures))
    assert errors == [] and rounds == 1 and failures == []
    assert not validate_skill(skill).errors
    assert "name: pytest-debugging" in (skill / "SKILL.md").read_text()
    assert "- Run one test first." in (skill / "SKILL.md").read_text()  # the rules are kept


def test_what_the_model_cannot_fix_is_reported_after_the_rounds(tmp_path: Path) -> None:
    front = render_skill_md(
        Frontmatter(name="pytest-debugging", description="Use when a test fails.", compatibility="x" * 600), "# T\n"
    ).split("---\n")[1]
    skill = _skill(tmp_path / "pytest-debugging", front)
    before = (skill / "SKILL.md").read_text()
    errors, rounds = asyncio.run(validate_and_fix(client(), skill, []))
    assert rounds == 1 and errors and "ompatibility" in errors[0]
    assert (skill / "SKILL.md").read_text() == before


def test_reader_process_and_thread_give_the_same_redacted_traces(tmp_path: Path) -> None:
    secret = "sk-proj-" + "Ab3" * 12
    path = tmp_path / "chat.json"
    messages = json.loads((SAMPLES / "chat_tool_calls" / "fncall-llm-message.json").read_text())
    messages[1]["content"] = f"export OPENAI_API_KEY={secret} then run the tests"
    path.write_text(json.dumps(messages))
    files = [path, *sorted((SAMPLES / "swe_agent_traj").glob("*.traj"))]

    async def collect(use_process: bool) -> tuple[list[str], list[str], int]:
        feed = TraceFeed(files, None, ReadOptions(), use_process=use_process)
        traces, slims = [], []
        try:
            while (item := await feed.next()) is not None:
                traces.append(item[0].model_dump_json())
                slims.append(item[1].model_dump_json())
        finally:
            feed.close()
        return traces, slims, len(feed.skipped)

    in_process = asyncio.run(collect(True))
    in_thread = asyncio.run(collect(False))
    assert in_process == in_thread and len(in_process[0]) == 6
    assert secret not in in_process[0][0] and "[REDACTED:openai-key]" in in_process[0][0]
