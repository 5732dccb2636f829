"""A skill the registry already holds is deepened, never replaced by a version without its rules."""

from __future__ import annotations

from pathlib import Path

from skillforge.distill.pipeline import run_distill
from skillforge.distill.publish import publish_skills, registry_seed
from skillforge.registry import open_registry
from skillforge.skills.provenance import read_provenance

ROOT = Path(__file__).parent.parent
SWE = ROOT / "data" / "samples" / "swe_agent_traj"
MINI = ROOT / "data" / "samples" / "mini_swe_agent_traj"


def test_distilling_new_traces_elsewhere_deepens_the_registry_skill(tmp_path: Path) -> None:
    registry = open_registry(tmp_path / "registry")
    first = run_distill([SWE], tmp_path / "team-a", seed=registry_seed(registry))
    assert first.deepened == {}
    publish_skills(registry, first.skills, sources=first.traces)
    name = "coding-agent-playbook"
    old = read_provenance(tmp_path / "team-a" / name)
    assert old is not None

    # Other traces, another folder, the same skill name: without the registry's rules the next version
    # would silently drop them.
    second = run_distill([MINI], tmp_path / "team-b", seed=registry_seed(registry))
    assert second.deepened == {name: "0.1.0"}
    new = read_provenance(tmp_path / "team-b" / name)
    assert new is not None
    assert {r.id for r in old.rules} < {r.id for r in new.rules}
    skill_md = (tmp_path / "team-b" / name / "SKILL.md").read_text(encoding="utf-8")
    assert all(f"sf:{r.id}" in skill_md for r in old.rules if r.file == "SKILL.md")

    published = {p.name: p for p in publish_skills(registry, second.skills, sources=second.traces)}
    assert published[name].created and published[name].version == "0.2.0", published[name]
    latest = registry.read_file(name)
    assert all(f"sf:{r.id}" in latest for r in old.rules if r.file == "SKILL.md")


def test_re_distilling_into_the_same_folder_changes_nothing(tmp_path: Path) -> None:
    registry = open_registry(tmp_path / "registry")
    out = tmp_path / "out"
    first = run_distill([SWE], out, seed=registry_seed(registry))
    publish_skills(registry, first.skills, sources=first.traces)
    again = run_distill([SWE], out, seed=registry_seed(registry))
    assert again.deepened == {}  # the folder already holds the skill
    assert [s.name for s in again.skills] == [s.name for s in first.skills]
    assert not any(p.created for p in publish_skills(registry, again.skills, sources=again.traces))
