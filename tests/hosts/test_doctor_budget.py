"""Listing budgets: the Codex port gives the host's own answers (cases from codex-rs render.rs tests)."""

from __future__ import annotations

from pathlib import Path

from skillforge.hosts.doctor_budget import _line, simulate
from skillforge.hosts.doctor_data import listing_for
from skillforge.hosts.doctor_discover import LoadedSkill


def skill(name: str, description: str, origin: str = "project") -> LoadedSkill:
    return LoadedSkill(name=name, description=description, path=f"/s/{name}", skill_md=f"/s/{name}/SKILL.md",
                       origin=origin, root="/s", root_index=0, lines=5, chars=100, parsed=True)  # type: ignore[arg-type]


def bare(*skills: LoadedSkill) -> int:
    return sum(len(_line(s, "", path=True)) + 1 for s in skills)


def test_codex_shortens_every_description_evenly() -> None:
    alpha, beta = skill("alpha-skill", "abcdef"), skill("beta-skill", "uvwxyz")
    budget = listing_for("codex").budget
    report = simulate("codex", "global", [beta, alpha], budget, context_tokens=0)  # unknown window: chars
    assert report.mode == "fits"
    tight = budget.model_copy(update={"fallback_chars": bare(alpha, beta) + 6})
    report = simulate("codex", "global", [beta, alpha], tight, context_tokens=0)
    # render.rs: "budgeted_rendering_truncates_descriptions_equally_before_omitting_skills" keeps "ab" and "uv".
    assert report.mode == "shortened" and report.cut == ["alpha-skill", "beta-skill"] and report.omitted == []


def test_codex_gives_unused_room_to_the_long_description() -> None:
    short, long = skill("short-skill", "x"), skill("long-skill", "abcdefghi")
    budget = listing_for("codex").budget.model_copy(update={"fallback_chars": bare(short, long) + 11})
    report = simulate("codex", "global", [short, long], budget, context_tokens=0)
    assert report.cut == ["long-skill"]  # "x" fits whole, "abcdefgh" is one short


def test_codex_omits_skills_when_names_alone_overflow_keeping_scope_order() -> None:
    admin, repo, user = skill("admin-skill", "d", "admin"), skill("repo-skill", "d"), skill("user-skill", "d", "global")
    budget = listing_for("codex").budget.model_copy(update={"fallback_chars": bare(admin, repo)})
    report = simulate("codex", "global", [user, repo, admin], budget, context_tokens=0)
    assert report.mode == "omitted" and report.omitted == ["user-skill"]


def test_codex_budget_follows_the_context_window_in_tokens() -> None:
    report = simulate("codex", "global", [skill("a", "b")], listing_for("codex").budget, context_tokens=272_000)
    assert report.budget_chars == 5_440 * 4  # budget_limit=5440 tokens as logged in openai/codex#24299


def test_claude_keeps_most_used_descriptions_and_lists_every_name() -> None:
    skills = [skill(f"s{i}", "w" * 3000) for i in range(4)]  # 4 x 1,536 capped chars > 8,000 - names
    budget = listing_for("claude-code").budget
    report = simulate("claude-code", "global", skills, budget)
    assert report.budget_chars == 8_000 and report.mode == "names-only"
    assert report.cut == ["s0", "s1", "s2", "s3"]  # every one is over the 1,536-character cap
    skills = [skill(f"s{i}", "w" * 1500) for i in range(8)]
    report = simulate("claude-code", "global", skills, budget, usage={"s7": 9, "s6": 3})
    kept = sorted({s.name for s in skills} - set(report.cut))
    assert kept == ["s0", "s1", "s2", "s6", "s7"]  # the most used first, then by name, while room lasts


def test_hosts_without_a_documented_budget_report_none() -> None:
    report = simulate("cursor", "global", [skill("a", "b")], listing_for("cursor").budget)
    assert report.budget_chars is None and report.cut == [] and "no listing budget" in report.source


def test_every_budget_names_its_sources_and_the_context_it_assumes() -> None:
    for host in ("claude-code", "codex"):
        budget = listing_for(host).budget
        assert budget is not None and budget.sources and budget.fallback_chars == 8_000
    assert listing_for("claude-code").budget.context_tokens == 200_000
    assert Path(__file__).exists()
