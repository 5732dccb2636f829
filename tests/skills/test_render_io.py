"""Rendering a skill (SKILL.md under 500 lines, the rest in references/) and reading/writing skill folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from skills_ref.validator import validate as reference_validate

from skillforge.errors import SpecError
from skillforge.models import Evidence, Frontmatter, Lesson, SkillPackage
from skillforge.skills.io import read_package, write_package
from skillforge.skills.render import render_skill
from skillforge.skills.validate import validate_skill


def _lessons(n: int) -> list[Lesson]:
    kinds = [("recovery", "recovery"), ("pitfall", "pitfalls"), ("procedure", "procedure"), ("guardrail", "guardrails")]
    out = []
    for i in range(n):
        kind, section = kinds[i % len(kinds)]
        steps = "\n".join(f"{k}. Do step {k} of task {i}." for k in range(1, 13)) if kind == "procedure" else ""
        out.append(Lesson(
            kind=kind, title=f"Rule number {i:03d}", target_skill="big-skill",
            body=f"When case {i} happens, do the thing number {i}.\n{steps}\nExample: `tool --case {i}`.",
            support=1 + (i % 7), tags=[f"section:{section}", "source:trace"],
            evidence=[Evidence(trace_id=f"t{i % 40:03d}", step=i % 9, quote=f"case {i}", source=f"runs/{i % 40}.jsonl")],
        ))
    return out


def test_big_lesson_sets_keep_skill_md_under_500_lines(tmp_path: Path) -> None:
    lessons = _lessons(400)
    rendered = render_skill("big-skill", "Big skill", "Use when testing very large skills.", lessons)
    target = write_package(rendered.package, tmp_path / "big-skill")
    lines = (target / "SKILL.md").read_text(encoding="utf-8").count("\n")
    assert lines < 500
    report = validate_skill(target)
    assert report.errors == [] and report.warnings == []
    assert reference_validate(target) == []
    # every lesson is somewhere: SKILL.md or a references/ file, and provenance says where
    everything = "\n".join(p.read_text(encoding="utf-8") for p in target.rglob("*.md"))
    assert {r.id for r in rendered.rules} == {r.id for r in rendered.rules if f"sf:{r.id}" in everything}
    in_references = [r for r in rendered.rules if r.file != "SKILL.md"]
    assert in_references and all((target / r.file).is_file() for r in in_references)
    assert "more rule(s) in [references/" in (target / "SKILL.md").read_text(encoding="utf-8")


def test_small_skills_keep_every_rule_in_skill_md(tmp_path: Path) -> None:
    rendered = render_skill("small-skill", "Small skill", "Use when testing small skills.", _lessons(6))
    assert all(r.file == "SKILL.md" for r in rendered.rules)
    body = rendered.package.body
    assert "## Recovering from common errors" in body and "## Procedure" in body
    assert "  1. Do step 1 of task 2." in body  # procedures show their steps in SKILL.md
    assert "more step(s) in [references/procedure.md]" in body
    assert rendered.package.frontmatter.metadata == {"generated-by": "skillforge", "sources": "6", "version": "0.1.0"}


def test_write_then_read_round_trips_and_is_byte_stable(tmp_path: Path) -> None:
    rendered = render_skill("small-skill", "Small skill", "Use when testing small skills.", _lessons(8))
    first = write_package(rendered.package, tmp_path / "a" / "small-skill")
    second = write_package(rendered.package, tmp_path / "b" / "small-skill")
    files_a = {p.relative_to(first): p.read_bytes() for p in sorted(first.rglob("*")) if p.is_file()}
    files_b = {p.relative_to(second): p.read_bytes() for p in sorted(second.rglob("*")) if p.is_file()}
    assert files_a == files_b
    back = read_package(first)
    assert back.frontmatter == rendered.package.frontmatter
    assert back.body.strip() == rendered.package.body.strip()
    assert back.files == rendered.package.files


def test_rewrite_is_atomic_and_keeps_binary_assets(tmp_path: Path) -> None:
    pkg = SkillPackage(frontmatter=Frontmatter(name="demo", description="Use when demoing."), body="# Demo\n",
                       files={"references/a.md": "A\n", "references/old.md": "old\n"})
    target = write_package(pkg, tmp_path / "demo")
    (target / "assets").mkdir()
    (target / "assets" / "logo.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    changed = pkg.model_copy(update={"files": {"references/a.md": "A2\n"}})
    write_package(changed, target)
    assert (target / "references" / "a.md").read_text() == "A2\n"
    assert not (target / "references" / "old.md").exists()  # dropped text files go away
    assert (target / "assets" / "logo.png").read_bytes() == b"\x89PNG\r\n\x1a\n\x00\xff"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["demo"]  # no staging or backup folders left behind


@pytest.mark.parametrize("bad", ["../escape.md", "/etc/passwd", "references/../../x.md", "~/x.md", "a\\b.md", "SKILL.md"])
def test_paths_that_escape_the_folder_are_refused(tmp_path: Path, bad: str) -> None:
    pkg = SkillPackage(frontmatter=Frontmatter(name="demo", description="Use when demoing."), body="# Demo\n",
                       files={bad: "x"})
    with pytest.raises(SpecError):
        write_package(pkg, tmp_path / "demo")
    assert not (tmp_path / "demo").exists()
    assert not (tmp_path.parent / "escape.md").exists()


def test_read_package_reports_a_folder_without_skill_md(tmp_path: Path) -> None:
    with pytest.raises(SpecError, match="SKILL.md is missing"):
        read_package(tmp_path)


def test_read_package_does_not_follow_symlinks(tmp_path: Path) -> None:
    pkg = SkillPackage(frontmatter=Frontmatter(name="demo", description="Use when demoing."), body="# Demo\n")
    target = write_package(pkg, tmp_path / "demo")
    secret = tmp_path / "secret.txt"
    secret.write_text("do not read me\n")
    os.symlink(secret, target / "link.md")
    assert "link.md" not in read_package(target).files


def test_rules_that_overflow_skill_md_are_written_in_full_in_references(tmp_path: Path) -> None:
    rendered = render_skill("big-skill", "Big skill", "Use when testing very large skills.", _lessons(400))
    in_references = [r for r in rendered.rules if r.file != "SKILL.md"]
    assert in_references
    for rule in in_references[:20]:
        text = rendered.package.files[rule.file]
        assert rule.text in text, rule.text  # the rule itself, not only its evidence


def test_references_name_where_a_step_was_seen_without_copying_it_again() -> None:
    from skillforge.skills.render import entry_parts

    steps = ["Save your certificate chain into a `.pem` file.", "Set `NODE_EXTRA_CA_CERTS` to that file."]
    lesson = Lesson(
        kind="procedure", title="Trust a CA for Node.js", target_skill="ca",
        body="To trust a CA for Node.js:\n" + "\n".join(f"{n}. {s}" for n, s in enumerate(steps, 1)),
        support=1, tags=["section:procedure", "source:document"],
        evidence=[Evidence(trace_id="d", step=3, quote=steps[0], source="docs/ssl.md"),
                  Evidence(trace_id="d", step=3, quote="Node.js ships a fixed snapshot of the Mozilla CA store.",
                           source="docs/ssl.md")],
    )
    _, content = entry_parts(lesson)
    assert "- docs/ssl.md, step 3\n" in content and ".pem" not in content  # the step is in SKILL.md already
    assert "Mozilla CA store" in content  # a quote that adds something is still shown
