"""--link: symlinks instead of copies, never for hosts that ignore symlinks, never removing the target."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

from skillforge import config
from skillforge.hosts import install, installed, uninstall, update


def test_link_points_at_the_source_folder(project: Path, make_skill) -> None:
    src = make_skill()
    report = install(str(src), hosts=["claude-code"], project=project, link=True)
    dest = project / ".claude/skills/pdf-tools"
    assert dest.is_symlink() and Path(os.readlink(dest)) == src.resolve()
    (placement,) = report.placements
    assert placement.mode == "link"
    (row,) = installed(project=project)
    assert row.status == "ok" and row.entry.link_target == str(src.resolve())

    # Editing the linked working folder is live; update records the new content.
    (src / "references/tables.md").write_text("# Tables v2\n")
    assert (dest / "references/tables.md").read_text() == "# Tables v2\n"
    (outcome,) = update(project=project)
    assert outcome.action == "updated" and outcome.detail == "linked folder changed"
    assert installed(project=project)[0].status == "ok"

    uninstall("pdf-tools", project=project)
    assert not dest.exists() and not dest.is_symlink()
    assert (src / "SKILL.md").is_file(), "uninstall removes the link, never what it points to"


def test_link_from_an_archive_points_into_the_store(tmp_path: Path, project: Path, make_skill) -> None:
    src = make_skill()
    archive = tmp_path / "pdf-tools.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for file in sorted(src.rglob("*")):
            if file.is_file():
                zf.write(file, f"pdf-tools/{file.relative_to(src).as_posix()}")
    install(str(archive), hosts=["codex"], scope="global", link=True)
    dest = Path.home() / ".agents/skills/pdf-tools"
    target = Path(os.readlink(dest))
    assert dest.is_symlink() and config.home() / "store" in target.parents
    assert (dest / "SKILL.md").read_bytes() == (src / "SKILL.md").read_bytes()


def test_hosts_that_ignore_symlinks_get_a_copy(project: Path, make_skill) -> None:
    report = install(str(make_skill()), hosts=["cursor", "claude-code"], project=project, link=True)
    modes = {p.host: p.mode for p in report.placements}
    assert modes == {"cursor": "copy", "claude-code": "link"}
    assert not (project / ".cursor/skills/pdf-tools").is_symlink()
    assert any("cursor" in n and "copied instead" in n for n in report.notices)
