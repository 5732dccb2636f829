"""An archive a person cannot unpack here is refused with one line naming the member, never a traceback.

Red-team finding: a tar member with a 300-character name, or a zip holding both the folder ``x/``
and the file ``x``, crashed ``skillforge install`` with a Python traceback (OSError: File name too
long / Is a directory) that also printed the temporary staging path.
"""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from skillforge.errors import InputError
from skillforge.hosts import install

from ..factories import count_tar_headers, many_member_tar, skill_md

SKILL = skill_md("pdf-tools", "Extract text from PDF files. Use when the user asks about a PDF.", "\n# PDF\n")


def _long_name(path: Path) -> None:
    with tarfile.open(path, "w") as tf:
        for name, text in (("pdf-tools/SKILL.md", SKILL), ("pdf-tools/" + "a" * 300, "x")):
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tf.addfile(info, io.BytesIO(text.encode()))


def _folder_and_file(path: Path) -> None:
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("pdf-tools/SKILL.md", SKILL)
        zf.writestr("pdf-tools/x/", "")
        zf.writestr("pdf-tools/x", "data")


@pytest.mark.parametrize(("name", "make"), [("long.tar", _long_name), ("clash.zip", _folder_and_file)])
def test_an_archive_that_cannot_be_unpacked_is_an_input_error(tmp_path: Path, name: str, make) -> None:
    project = tmp_path / "project"
    project.mkdir()
    archive = tmp_path / name
    make(archive)
    with pytest.raises(InputError, match="cannot unpack") as caught:
        install(str(archive), hosts=["claude-code"], project=project)
    assert "skillforge-stage" not in str(caught.value), "the message names the archive, not the staging folder"
    assert not (project / ".claude").exists()


def test_scan_of_a_tar_with_too_many_members_stops_one_header_past_the_limit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A tar.gz of millions of empty members is a few MB: every header was read (getmembers) before
    # the member count was looked at, and again to find a repository's config.
    from skillforge.scan import scan_paths

    archive = many_member_tar(tmp_path / "many.tar.gz", 400)
    monkeypatch.setattr("skillforge.scan.archive.MAX_MEMBERS", 50)
    read = count_tar_headers(monkeypatch)
    report = scan_paths([archive])
    assert [(f.rule_id, f.severity) for f in report.findings] == [("oversized-file", "high")]
    assert "more than 50 members" in report.findings[0].excerpt
    assert read["headers"] <= 52


def test_scan_of_a_zip_with_too_many_members_does_not_read_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from skillforge.scan import scan_paths

    archive = tmp_path / "many.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for i in range(400):
            zf.writestr(f"pdf-tools/f{i}.md", b"")
    monkeypatch.setattr("skillforge.scan.archive.MAX_MEMBERS", 50)

    def unread(self: zipfile.ZipFile) -> None:
        raise AssertionError("the central directory was read")

    monkeypatch.setattr(zipfile.ZipFile, "_RealGetContents", unread)
    report = scan_paths([archive])
    assert [(f.rule_id, f.severity) for f in report.findings] == [("oversized-file", "high")]
    assert "more than 50 members" in report.findings[0].excerpt
