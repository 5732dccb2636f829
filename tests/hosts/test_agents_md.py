"""The AGENTS.md fallback: a managed section that install rewrites and uninstall removes byte-exactly."""

from __future__ import annotations

from pathlib import Path

import pytest

from skillforge.errors import HostError
from skillforge.hosts import install, installed, uninstall, update
from skillforge.hosts.agents_md import BEGIN, END, find_section

EXISTING = {
    "no file": None,
    "empty file": b"",
    "trailing newline": b"# Project\n\nRun `make test` before committing.\n",
    "no trailing newline": b"# Project\n\nRun `make test` before committing.",
    "crlf and unicode": "# Projekt\r\n\r\nBitte `make test` ausf\u00fchren \u2014 danke.\r\n".encode(),
    "blank lines at end": b"# Project\n\n\n\n",
}


@pytest.mark.parametrize("case", sorted(EXISTING))
def test_install_then_uninstall_is_byte_identical(case: str, project: Path, make_skill) -> None:
    agents = project / "AGENTS.md"
    original = EXISTING[case]
    if original is not None:
        agents.write_bytes(original)
    src = make_skill()

    install(str(src), hosts=["agents-md"], project=project)
    text = agents.read_text(encoding="utf-8")
    assert text.count(BEGIN) == 1 and text.count(END) == 1
    assert "<name>pdf-tools</name>" in text
    assert "<location>.skillforge/skills/pdf-tools/SKILL.md</location>" in text
    assert (project / ".skillforge/skills/pdf-tools/SKILL.md").is_file()
    if original:
        assert agents.read_bytes().startswith(original), "content before the section is untouched"

    uninstall("pdf-tools", project=project)
    if original is None:
        assert not agents.exists(), "a file skillforge created is deleted again"
    else:
        assert agents.read_bytes() == original


def test_section_tracks_installs_and_keeps_user_edits_around_it(project: Path, make_skill) -> None:
    agents = project / "AGENTS.md"
    agents.write_text("# Rules\n\nUse tabs.\n", encoding="utf-8")
    install(str(make_skill("pdf-tools")), hosts=["agents-md"], project=project)
    with agents.open("a", encoding="utf-8") as handle:
        handle.write("\n## Added by a person after the section\n")
    install(str(make_skill("csv-tools")), hosts=["agents-md"], project=project)

    text = agents.read_text(encoding="utf-8")
    start, end = find_section(text)  # type: ignore[misc]
    section = text[start:end]
    assert section.index("<name>csv-tools</name>") < section.index("<name>pdf-tools</name>"), "sorted by name"
    assert text.endswith("\n## Added by a person after the section\n")

    uninstall("csv-tools", project=project)
    text = agents.read_text(encoding="utf-8")
    assert "csv-tools" not in text and "<name>pdf-tools</name>" in text
    uninstall("pdf-tools", project=project)
    assert (
        agents.read_text(encoding="utf-8")
        == "# Rules\n\nUse tabs.\n\n## Added by a person after the section\n"
    )


def test_update_rewrites_the_description(project: Path, make_skill) -> None:
    src = make_skill()
    install(str(src), hosts=["agents-md"], project=project)
    skill_md = src / "SKILL.md"
    skill_md.write_text(
        skill_md.read_text().replace("Extract text and tables", "Read <forms> & tables"), encoding="utf-8"
    )
    (outcome,) = update(project=project)
    assert outcome.action == "updated"
    text = (project / "AGENTS.md").read_text(encoding="utf-8")
    assert "Read &lt;forms&gt; &amp; tables from PDF files." in text, "descriptions are XML-escaped"
    assert installed(project=project)[0].status == "ok"


def test_damaged_markers_are_reported_and_nothing_changes(project: Path, make_skill, snapshot) -> None:
    agents = project / "AGENTS.md"
    agents.write_text(f"# Rules\n{BEGIN}\nhalf a section, END marker deleted\n", encoding="utf-8")
    before = snapshot(project)
    with pytest.raises(HostError, match="markers are damaged") as info:
        install(str(make_skill()), hosts=["agents-md"], project=project)
    assert info.value.line == 2
    assert snapshot(project) == before, "no skill folder and no lock file are left behind"


def test_agents_md_has_no_global_scope(make_skill) -> None:
    with pytest.raises(HostError, match="agents-md has no global skills folder"):
        install(str(make_skill()), hosts=["agents-md"], scope="global")
