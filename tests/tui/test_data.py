"""The TUI's pure layer on real registry output: live validation, diff parsing, timeline, provenance by section."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from skillforge.errors import SpecError
from skillforge.registry import Registry
from skillforge.tui.data import check_skill_md, filter_skills, fit, list_widths, load_skill, publish_edit
from skillforge.tui.diffs import parse_diff, side_by_side
from skillforge.tui.provenance import build, strip_markers
from skillforge.tui.timeline import build_timeline

from .demo_registry import V1, V3, XFA_MD


def test_live_check_accepts_what_publish_accepts_and_points_at_the_line() -> None:
    assert check_skill_md("pdf-forms", V3).ok
    missing = check_skill_md(
        "pdf-forms",
        V3.replace(
            "description: Fill, read and flatten PDF forms with pypdf. Use when the user asks to fill in or read a PDF form.\n",
            "",
        ),
    )
    assert (missing.ok, missing.message, missing.line) == (
        False,
        "Missing required field in frontmatter: description",
        6,
    )
    unclosed = check_skill_md("pdf-forms", "---\nname: pdf-forms\n")
    assert (unclosed.message, unclosed.line) == ("SKILL.md frontmatter not properly closed with ---", 1)
    long = check_skill_md("pdf-forms", V3.replace("license: MIT", "compatibility: " + "x" * 501))
    assert long.describe() == "✗ line 4: Compatibility exceeds 500 character limit (501 chars)"


def test_publish_edit_refuses_invalid_text_and_writes_nothing(registry: Registry) -> None:
    with pytest.raises(SpecError, match=r"cannot save: Skill name 'Pdf-forms' must be lowercase") as info:
        publish_edit(
            registry,
            "pdf-forms",
            "0.3.0",
            V3.replace("name: pdf-forms", "name: Pdf-forms"),
            bump="patch",
            message="x",
        )
    assert info.value.line == 2
    assert [v.version for v in registry.versions("pdf-forms")] == ["0.3.0", "0.2.0", "0.1.0"]


def test_publish_edit_from_an_older_version_keeps_its_other_files(registry: Registry) -> None:
    result = publish_edit(registry, "pdf-forms", "0.1.0", V1 + "\nMore.\n", bump="major", message="")
    assert (result.version, result.created) == ("1.0.0", True)
    assert sorted(registry.files("pdf-forms", "1.0.0")) == [
        "SKILL.md",
        "scripts/fields.py",
    ]  # 0.1.0 had no references/
    record = registry.versions("pdf-forms")[0]
    assert record.message == "edit SKILL.md of pdf-forms in the TUI"
    assert record.changelog == ["edit SKILL.md (from 0.1.0)"] and record.extra == {"edited_from": "0.1.0"}


def test_filter_and_column_widths(registry: Registry) -> None:
    summaries = registry.skills()
    assert [s.name for s in filter_skills(summaries, "forms PDF")] == ["pdf-forms"]
    assert [s.name for s in filter_skills(summaries, "release")] == [
        "release-notes"
    ]  # tag, name and description
    widths = list_widths(summaries, 80)
    assert widths["skill"] == len("release-notes") and sum(widths.values()) + 11 == 80
    assert fit("a  b\nc", 10) == "a b c" and fit("abcdefghijkl", 5) == "abcd…"


def test_parse_diff_numbers_lines_and_pairs_them_side_by_side(registry: Registry) -> None:
    files = parse_diff(registry.diff("pdf-forms", "0.1.0", "0.3.0"))
    assert [(f.path, f.notes, f.added, f.removed) for f in files] == [
        ("SKILL.md", [], 2, 0),
        ("references/xfa.md", ["new file"], len(XFA_MD.splitlines()), 0),
    ]
    added = [line for line in files[0].hunks[0].lines if line.tag == "+"]
    assert (
        added[0].new == V3.splitlines().index(next(x for x in V3.splitlines() if "need-appearances" in x)) + 1
    )
    # A replaced line becomes one "change" row; context sits on both sides with both numbers.
    files = parse_diff(registry.diff("release-notes", "0.1.0", "0.1.1"))
    rows = side_by_side(files[0].hunks[0])
    change = next(r for r in rows if r.kind == "change")
    assert change.old == "Group changes by Added / Fixed / Removed."
    assert change.new == "Group changes by Added / Fixed / Removed / Security."
    assert change.old_no == change.new_no
    assert all(r.old == r.new for r in rows if r.kind == "same")


def test_deleted_files_are_noted(registry: Registry) -> None:
    files = parse_diff(registry.diff("pdf-forms", "0.3.0", "0.1.0"))
    assert [(f.path, f.notes, f.removed) for f in files][1] == ("references/xfa.md", ["deleted"], 4)


def test_timeline_puts_events_between_versions_by_date(registry: Registry) -> None:
    view = load_skill(registry, "pdf-forms")
    entries = build_timeline(view.versions, view.events)
    assert [(e.version, e.badge) for e in entries] == [
        ("0.3.0", "evolve ✓"),
        (None, "evolve ✗"),
        ("0.2.0", "publish"),
        ("0.1.0", "first"),
    ]
    assert entries[1].summary == "rejected: 1 held-out task regressed (fill-w9)"
    assert entries[1].date == datetime(2025, 3, 4, 10, tzinfo=timezone.utc)
    # An event of a kind the TUI does not know is still shown, with its data.
    other = build_timeline(
        [], [{"date": "2025-01-01T00:00:00+00:00", "kind": "note", "data": {"b": [1], "a": "x"}}]
    )
    assert (other[0].badge, other[0].decision) == ("note", ("a: x", "b: [1]"))


def test_rollback_and_edit_are_named_in_the_timeline(registry: Registry) -> None:
    registry.rollback("pdf-forms", "0.1.0")
    publish_edit(registry, "pdf-forms", "0.3.1", V1 + "\nx\n", bump="patch", message="typo")
    entries = build_timeline(registry.versions("pdf-forms"), [])
    assert [(e.version, e.badge, e.decision) for e in entries[:2]] == [
        ("0.3.2", "edit", ("SKILL.md edited by hand from 0.3.1",)),
        ("0.3.1", "rollback", ("restores the content of 0.1.0",)),
    ]


def test_provenance_grouped_by_section_in_reading_order(registry: Registry) -> None:
    view = load_skill(registry, "pdf-forms")
    prov = build(view.files, view.provenance)
    assert [(s.label, [r.id for r in s.rules], s.in_text) for s in prov.sections] == [
        ("PDF forms", [], True),
        ("When to use", [], True),
        ("Procedure", ["fields-first", "fill-each-page", "new-file"], True),
        ("Pitfalls", ["need-appearances", "checkbox-names", "xfa"], True),
    ]
    assert prov.sections[3].trace_ids == ["t-3f9a1c2e5b7d", "t-c47e90d1a2f3", "t-e21b6f7c9d08"]
    assert "sf:" not in strip_markers(view.files["SKILL.md"])


def test_provenance_of_a_removed_section_and_of_an_unknown_format(registry: Registry) -> None:
    view = load_skill(registry, "pdf-forms")
    text = view.files["SKILL.md"].split("## Pitfalls")[0]
    prov = build({**view.files, "SKILL.md": text}, view.provenance)
    assert [(s.label, s.in_text) for s in prov.sections][-1] == ("Pitfalls", False)
    raw = build(view.files, {"lines": {"12": ["t-1"]}})
    assert raw.provenance is None and raw.raw is not None and '"12": [' in raw.raw
    assert not build(view.files, None).recorded
