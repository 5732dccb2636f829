"""Sources: archives and folders, hostile ones refused with nothing written (zip-slip, tar-slip, symlinks)."""

from __future__ import annotations

import io
import os
import stat
import tarfile
import tempfile
import zipfile
from pathlib import Path

import pytest

from skillforge.errors import InputError, SkillforgeError
from skillforge.hosts import install, installed
from skillforge.hosts.sources import parse_spec

GOOD_MD = "---\nname: pdf-tools\ndescription: Read PDFs. Use when a PDF is involved.\n---\n\n# PDF\n"


def _zip(path: Path, members: dict[str, str], links: dict[str, str] | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in members.items():
            zf.writestr(name, text)
        for name, target in (links or {}).items():
            info = zipfile.ZipInfo(name)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, target)
    return path


def _tar(
    path: Path, members: dict[str, str], *, links: dict[str, str] | None = None, hardlinks=None, fifo=None
) -> Path:
    with tarfile.open(path, "w:gz") as tf:
        for name, text in members.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
        for name, target in (links or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tf.addfile(info)
        for name, target in (hardlinks or {}).items():
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.LNKTYPE, target
            tf.addfile(info)
        if fifo:
            info = tarfile.TarInfo(fifo)
            info.type = tarfile.FIFOTYPE
            tf.addfile(info)
    return path


# Deep enough to climb from any staging folder to /, then into /tmp: an unchecked extractor writes EVIL.
EVIL = Path(tempfile.gettempdir()) / "skillforge-test-evil.txt"
UP = "../" * 30 + EVIL.as_posix().lstrip("/")

HOSTILE = {
    "zip dot-dot": lambda d: _zip(d / "a.zip", {"pdf-tools/SKILL.md": GOOD_MD, "pdf-tools/" + UP: "x"}),
    "zip absolute": lambda d: _zip(d / "a.zip", {"pdf-tools/SKILL.md": GOOD_MD, EVIL.as_posix(): "x"}),
    "zip backslash dot-dot": lambda d: _zip(d / "a.skill", {"SKILL.md": GOOD_MD, UP.replace("/", "\\"): "x"}),
    "zip drive letter": lambda d: _zip(d / "a.zip", {"SKILL.md": GOOD_MD, "C:/evil.txt": "x"}),
    "zip symlink out": lambda d: _zip(
        d / "a.zip", {"SKILL.md": GOOD_MD}, links={"scripts/key": "../../../../etc/passwd"}
    ),
    "tar dot-dot": lambda d: _tar(d / "a.tar.gz", {"SKILL.md": GOOD_MD, UP: "x"}),
    "tar absolute symlink": lambda d: _tar(
        d / "a.tgz", {"SKILL.md": GOOD_MD}, links={"passwd": "/etc/passwd"}
    ),
    "tar relative symlink out": lambda d: _tar(
        d / "a.tar.gz", {"SKILL.md": GOOD_MD}, links={"x/up": "../../outside"}
    ),
    "tar hardlink out": lambda d: _tar(
        d / "a.tar.gz", {"SKILL.md": GOOD_MD}, hardlinks={"h": "../../etc/passwd"}
    ),
    "tar fifo": lambda d: _tar(d / "a.tar.gz", {"SKILL.md": GOOD_MD}, fifo="pipe"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archive_is_refused_and_nothing_is_written(
    case: str, tmp_path: Path, project: Path, snapshot
) -> None:
    archive = HOSTILE[case](tmp_path)
    before = snapshot(tmp_path)
    stages = set(Path(tempfile.gettempdir()).glob("skillforge-stage-*"))
    with pytest.raises(InputError) as info:
        install(str(archive), hosts=["claude-code", "codex"], project=project)
    assert info.value.path == str(archive)
    assert snapshot(tmp_path) == before, "no file written anywhere, no lock, no half-installed skill"
    assert not EVIL.exists()
    assert set(Path(tempfile.gettempdir()).glob("skillforge-stage-*")) == stages, "staging is cleaned up"


def test_folder_with_symlink_out_of_the_skill_is_refused(tmp_path: Path, project: Path, make_skill) -> None:
    secret = tmp_path / "secret.env"
    secret.write_text("TOKEN=abc\n")
    src = make_skill()
    (src / "scripts/creds").symlink_to(secret)
    with pytest.raises(InputError, match="points outside the skill"):
        install(str(src), hosts=["claude-code"], project=project)
    assert not (project / ".claude").exists()


def test_skill_zip_with_top_folder_installs(tmp_path: Path, project: Path, independent_hash) -> None:
    archive = _zip(
        tmp_path / "pdf-tools.skill",
        {"pdf-tools/SKILL.md": GOOD_MD, "pdf-tools/references/a.md": "# A\n"},
        links={"pdf-tools/references/b.md": "a.md"},
    )
    report = install(str(archive), hosts=["claude-code"], project=project)
    dest = project / ".claude/skills/pdf-tools"
    assert report.source.kind == "archive" and report.source.ref == str(archive)
    link_copy = dest / "references/b.md"
    assert link_copy.is_file() and not link_copy.is_symlink(), "an in-skill link becomes a plain copy"
    assert link_copy.read_text() == "# A\n"
    assert installed(project=project)[0].entry.hash == independent_hash(dest)


def test_archive_subdir_selects_one_skill_of_many(tmp_path: Path, project: Path) -> None:
    other = GOOD_MD.replace("pdf-tools", "csv-tools")
    archive = _tar(
        tmp_path / "bundle.tar.gz", {"skills/pdf-tools/SKILL.md": GOOD_MD, "skills/csv-tools/SKILL.md": other}
    )
    with pytest.raises(InputError, match="no single skill") as info:
        install(str(archive), hosts=["codex"], project=project)
    assert "#skills/csv-tools" in (info.value.hint or "")
    report = install(f"{archive}#skills/csv-tools", hosts=["codex"], project=project)
    assert report.name == "csv-tools" and report.source.subdir == "skills/csv-tools"
    assert (project / ".agents/skills/csv-tools/SKILL.md").read_text() == other


def test_parse_spec_kinds(tmp_path: Path) -> None:
    assert parse_spec("pdf-tools").kind == "registry"
    spec = parse_spec("pdf-tools@1.2.0")
    assert (spec.kind, spec.ref, spec.version) == ("registry", "pdf-tools", "1.2.0")
    spec = parse_spec("https://github.com/acme/skills.git#skills/pdf")
    assert (spec.kind, spec.ref, spec.subdir) == ("git", "https://github.com/acme/skills.git", "skills/pdf")
    assert parse_spec("git@github.com:acme/skills.git").kind == "git"
    with pytest.raises(InputError, match="escapes"):
        parse_spec("https://github.com/acme/skills.git#../../etc")
    with pytest.raises(InputError, match="remote archives"):
        parse_spec("https://example.com/pdf-tools.zip")
    with pytest.raises(InputError, match="no such file"):
        parse_spec("./missing-folder", cwd=tmp_path)
    with pytest.raises(InputError, match="not a skill name"):
        parse_spec("Bad Name!")
    (tmp_path / "pdf-tools").mkdir()
    assert parse_spec("./pdf-tools", cwd=tmp_path).kind == "path"


def test_unreachable_git_url_is_a_one_line_error(project: Path) -> None:
    with pytest.raises(SkillforgeError, match="git clone failed|shallow_clone"):
        install("file:///nonexistent/repo.git", hosts=["codex"], project=project)
    assert os.listdir(project) == []
