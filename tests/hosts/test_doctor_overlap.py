"""Trigger overlap: distinct real skills stay far below the threshold, rewordings of one job reach it."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

from skillforge.hosts.doctor_discover import _load
from skillforge.hosts.doctor_overlap import OVERLAP_THRESHOLD, overlapping_pairs, similarity

DATA = Path(__file__).parents[1] / "data"


def test_distinct_published_skills_do_not_overlap() -> None:
    folders = sorted({p.parent.name: p.parent for p in DATA.glob("*_skills/*/SKILL.md")}.values())
    skills = [_load(f, "global", f.parent, 0) for f in folders]
    assert len(skills) >= 10
    worst = max(similarity(a, b) for a, b in combinations(skills, 2))
    assert worst < OVERLAP_THRESHOLD / 2
    assert overlapping_pairs(skills) == []


def test_two_wordings_of_one_job_overlap(tmp_path: Path) -> None:
    pairs = [
        ("sql-migrations", "Write and review database schema migrations for Postgres. Use when changing tables.",
         "db-schema-changes", "Review and write Postgres schema migrations. Use when changing a database table."),
        ("deploy-staging", "Deploy the web app to staging with docker compose. Use when shipping a build.",
         "ship-to-staging", "Ship a build of the web app to staging using docker compose."),
    ]
    for a_name, a_desc, b_name, b_desc in pairs:
        found = []
        for name, desc in ((a_name, a_desc), (b_name, b_desc)):
            folder = tmp_path / name
            folder.mkdir()
            (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: {desc}\n---\nbody\n")
            found.append(_load(folder, "project", tmp_path, 0))
        [(a, b, score)] = overlapping_pairs(found)
        assert score >= OVERLAP_THRESHOLD, (a.name, b.name, score)
