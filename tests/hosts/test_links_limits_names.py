"""Install: symlinked host folders, hard links, size limits from stat, same-name skills, user-facing paths."""

from __future__ import annotations

import os
import resource
import tarfile
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.errors import HostError, InputError, SpecError
from skillforge.hosts import install, installed

from ..factories import count_tar_headers, many_member_tar


def test_symlinked_host_folder_outside_the_project_is_refused(
    project: Path, make_skill, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (project / ".claude").mkdir()
    (project / ".claude" / "skills").symlink_to(elsewhere, target_is_directory=True)
    with pytest.raises(HostError, match=f"resolves to {elsewhere}, outside the project") as info:
        install(str(make_skill()), hosts=["claude-code"], project=project)
    assert info.value.path == str(project / ".claude" / "skills")
    assert list(elsewhere.iterdir()) == []
    assert not (project / "skills-lock.json").exists()


def test_symlinked_host_folder_inside_the_project_is_fine(project: Path, make_skill) -> None:
    shared = project / "shared-skills"
    shared.mkdir()
    (project / ".claude").mkdir()
    (project / ".claude" / "skills").symlink_to(shared, target_is_directory=True)
    install(str(make_skill()), hosts=["claude-code"], project=project)
    assert (shared / "pdf-tools" / "SKILL.md").is_file()
    assert installed(project=project)[0].status == "ok"


def test_hard_linked_file_is_refused(project: Path, make_skill, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("AWS_SECRET_ACCESS_KEY=...\n")
    src = make_skill()
    os.link(secret, src / "references" / "notes.md")
    with pytest.raises(InputError, match=r"references/notes.md is a hard link") as info:
        install(str(src), hosts=["codex"], project=project)
    assert info.value.path == str(src)
    assert not (project / ".agents").exists()


def test_a_3gb_sparse_file_is_refused_from_stat(project: Path, make_skill) -> None:
    src = make_skill()
    with (src / "assets.bin").open("wb") as handle:
        handle.truncate(3 * 1024**3)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    start = time.perf_counter()
    with pytest.raises(InputError, match="assets.bin is 3072 MiB, over the per-file limit of 10 MiB"):
        install(str(src), hosts=["codex"], project=project)
    assert time.perf_counter() - start < 2.0
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - rss_before < 100
    assert not (project / ".agents").exists()


def test_archive_member_over_the_file_limit_is_refused_before_unpacking(
    project: Path, make_skill, tmp_path: Path
) -> None:
    src = make_skill()
    big = tmp_path / "big.bin"
    with big.open("wb") as handle:
        handle.truncate(64 * 1024 * 1024)
    archive = tmp_path / "pdf-tools.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(src, arcname="pdf-tools")
        tf.add(big, arcname="pdf-tools/assets/big.bin")
    with pytest.raises(InputError, match="'pdf-tools/assets/big.bin' unpacks to 67108864 bytes"):
        install(str(archive), hosts=["codex"], project=project)


def test_a_different_skill_with_the_same_name_needs_replace(
    project: Path, make_skill, tmp_path: Path
) -> None:
    ours = make_skill()
    install(str(ours), hosts=["claude-code"], project=project)
    theirs = make_skill(folder=tmp_path / "other" / "pdf-tools", extra={"references/tables.md": "# Theirs\n"})
    clash = "already installed .for claude-code. from path .*different skill"
    with pytest.raises(HostError, match=clash) as info:
        install(str(theirs), hosts=["claude-code"], project=project)
    assert "--replace" in (info.value.hint or "")
    dest = project / ".claude/skills/pdf-tools"
    assert "camelot" in (dest / "references/tables.md").read_text()

    # the same source again, or identical content from elsewhere, is not a different skill
    install(str(ours), hosts=["claude-code"], project=project)
    twin = make_skill(folder=tmp_path / "twin" / "pdf-tools")
    install(str(twin), hosts=["claude-code"], project=project, replace=False)

    report = install(str(theirs), hosts=["claude-code"], project=project, replace=True)
    assert report.source.ref == str(theirs)
    assert (dest / "references/tables.md").read_text() == "# Theirs\n"


def test_install_cli_replace_flag(project: Path, make_skill, tmp_path: Path) -> None:
    install(str(make_skill()), hosts=["codex"], project=project)
    theirs = make_skill(folder=tmp_path / "other" / "pdf-tools", extra={"references/tables.md": "# Theirs\n"})
    args = ["install", str(theirs), "--host", "codex", "--project", str(project)]
    refused = CliRunner().invoke(cli, args)
    assert refused.exit_code != 0 and "--replace" in refused.output
    assert CliRunner().invoke(cli, [*args, "--replace"]).exit_code == 0


def test_archive_errors_name_the_archive_not_the_staging_folder(
    project: Path, make_skill, tmp_path: Path
) -> None:
    src = make_skill()
    (src / "SKILL.md").write_text((src / "SKILL.md").read_text().replace("name: pdf-tools\n", ""))
    archive = tmp_path / "pdf-tools.tar.gz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(src, arcname="pdf-tools")
    with pytest.raises(SpecError, match="no valid name") as info:
        install(str(archive), hosts=["codex"], project=project)
    shown = str(info.value)
    assert "skillforge-stage-" not in shown
    assert info.value.path == f"{archive}#pdf-tools/SKILL.md"


def test_a_tar_with_too_many_members_is_refused_one_header_past_the_limit(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Empty members compress to almost nothing: a 1 MB tar.gz holds millions of headers, and reading
    # them all (TarFile.getmembers) before counting cost minutes and gigabytes of TarInfo objects.
    archive = many_member_tar(tmp_path / "many.tar.gz", 400)
    monkeypatch.setattr("skillforge.hosts.archives.MAX_FILES", 50)
    read = count_tar_headers(monkeypatch)
    with pytest.raises(InputError, match="more than 50 members"):
        install(str(archive), hosts=["codex"], project=project)
    assert read["headers"] <= 52
    assert not (project / ".agents").exists()


@pytest.mark.parametrize("limit", ["MAX_FILES", "MAX_ZIP_DIRECTORY"])
def test_a_zip_with_too_many_members_is_refused_before_its_directory_is_read(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, limit: str
) -> None:
    # zipfile reads the whole central directory into one object per member when the file is opened: an
    # 18 MB zip of 200,000 empty members cost 115 MB and 1.6 s before the member count was looked at.
    import zipfile

    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(400):
            zf.writestr(f"pdf-tools/f{i}.md", b"")
        zf.comment = b"a decoy end record PK\x05\x06 in the comment"
    monkeypatch.setattr(f"skillforge.hosts.archives.{limit}", 50 if limit == "MAX_FILES" else 4000)

    def unread(self: zipfile.ZipFile) -> None:
        raise AssertionError("the central directory was read")

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", unread)
    with pytest.raises(InputError, match="more than 50 members|central directory"):
        install(str(archive), hosts=["codex"], project=project)
    assert not (project / ".agents").exists()
