"""Installs never read or write outside the skill, the source or the project through a symlink.

Red-team findings: ``--link`` exposing symlinks in skipped folders, a git source whose skill folder is
a symlink out of the clone, a folder swapped for a symlink mid-copy, a symlinked ``.skillforge``
redirecting the lock write, a tar link loop, and look-alike Unicode names.
"""

from __future__ import annotations

import io
import os
import subprocess
import tarfile
import unicodedata
from pathlib import Path

import pytest

from skillforge.errors import HostError, InputError, SpecError
from skillforge.hosts import install

SECRET = "PRIVATE KEY do-not-copy\n"


@pytest.fixture
def secret_dir(tmp_path: Path) -> Path:
    """A folder outside every skill and project, like ``~/.ssh``."""
    folder = tmp_path / "dot-ssh"
    folder.mkdir()
    (folder / "id_rsa").write_text(SECRET)
    return folder


def _no_secret_under(folder: Path) -> None:
    if not folder.exists():
        return
    for path in folder.rglob("*"):
        if path.is_file():
            assert SECRET not in path.read_text(errors="replace"), path


# 1. --link shows the whole source folder, including what a copy skips


@pytest.mark.parametrize("skipped", ["node_modules", ".git", "__pycache__"])
def test_link_refuses_a_symlink_out_in_a_skipped_folder(
    project: Path, make_skill, secret_dir: Path, skipped: str
) -> None:
    src = make_skill()
    os.symlink(secret_dir, src / skipped)
    with pytest.raises(InputError, match=f"symlink {skipped} points outside"):
        install(str(src), hosts=["claude-code"], project=project, link=True)
    dest = project / ".claude/skills/pdf-tools"
    assert not dest.exists() and not dest.is_symlink()


def test_link_refuses_a_symlink_out_deep_in_a_skipped_folder(
    project: Path, make_skill, secret_dir: Path
) -> None:
    src = make_skill()
    (src / "node_modules/pkg").mkdir(parents=True)
    os.symlink(secret_dir / "id_rsa", src / "node_modules/pkg/key")
    with pytest.raises(InputError, match="node_modules/pkg/key points outside"):
        install(str(src), hosts=["claude-code"], project=project, link=True)


def test_link_refuses_a_hard_link_in_a_skipped_folder(project: Path, make_skill, secret_dir: Path) -> None:
    src = make_skill()
    (src / "node_modules").mkdir()
    os.link(secret_dir / "id_rsa", src / "node_modules/key")
    with pytest.raises(InputError, match="hard link"):
        install(str(src), hosts=["claude-code"], project=project, link=True)


def test_link_keeps_symlinks_that_stay_inside_the_source(project: Path, make_skill, secret_dir: Path) -> None:
    src = make_skill()
    (src / "node_modules/pkg").mkdir(parents=True)
    (src / "node_modules/.bin").mkdir()
    (src / "node_modules/pkg/cli.js").write_text("x\n")
    os.symlink("../pkg/cli.js", src / "node_modules/.bin/cli")
    report = install(str(src), hosts=["claude-code"], project=project, link=True)
    assert report.placements[0].mode == "link"
    # a copy install of a source with a link out of a skipped folder still works: the copy skips it
    os.symlink(secret_dir, src / "__pycache__")
    install(str(src), hosts=["codex"], project=project)
    _no_secret_under(project / ".agents")


# 2. a git source's skill folder must be inside the clone


def _git_repo(folder: Path, links: dict[str, Path], files: dict[str, str] | None = None) -> Path:
    folder.mkdir()
    for name, target in links.items():
        os.symlink(target, folder / name)
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "x"]):
        subprocess.run(["git", *args], cwd=folder, check=True, capture_output=True)
    return folder


@pytest.fixture
def private_skills(tmp_path: Path) -> Path:
    """A host skills folder outside the source (``~/.claude/skills``) holding a private skill."""
    skills = tmp_path / "victim-skills"
    (skills / "private-notes").mkdir(parents=True)
    (skills / "private-notes/SKILL.md").write_text(
        "---\nname: private-notes\ndescription: Use this skill for private deploy notes.\n---\n" + SECRET
    )
    return skills


def test_git_source_whose_only_folder_is_a_symlink_out_is_refused(
    tmp_path: Path, project: Path, private_skills: Path
) -> None:
    repo = _git_repo(tmp_path / "evil", {"x": private_skills / "private-notes"})
    with pytest.raises(InputError, match="symlink out of the source"):
        install(f"file://{repo}", hosts=["claude-code"], project=project)
    _no_secret_under(project)


def test_git_subdir_through_a_symlink_out_is_refused(
    tmp_path: Path, project: Path, private_skills: Path
) -> None:
    repo = _git_repo(tmp_path / "evil", {"sub": private_skills})
    with pytest.raises(InputError, match="outside the source through a symlink"):
        install(f"file://{repo}#sub/private-notes", hosts=["claude-code"], project=project)
    _no_secret_under(project)


def test_git_error_hint_lists_no_skill_found_through_a_symlink(
    tmp_path: Path, project: Path, private_skills: Path
) -> None:
    repo = _git_repo(tmp_path / "evil", {"sub": private_skills}, {"docs/README.md": "hi\n"})
    with pytest.raises(InputError) as caught:
        install(f"file://{repo}", hosts=["claude-code"], project=project)
    assert "private-notes" not in f"{caught.value.message} {caught.value.hint}"


def test_git_symlink_inside_the_clone_still_selects_the_skill(tmp_path: Path, project: Path) -> None:
    md = "---\nname: inner\ndescription: Use this skill when testing symlinked subdirs.\n---\n# inner\n"
    repo = _git_repo(tmp_path / "ok", {"alias": Path("real")}, {"real/inner/SKILL.md": md})
    report = install(f"file://{repo}#alias/inner", hosts=["claude-code"], project=project)
    assert report.name == "inner"


# 3. a folder swapped for a symlink between the check and the read


def test_folder_swapped_for_a_symlink_mid_copy_is_refused(
    project: Path, make_skill, secret_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    src = make_skill()
    refs = src / "references"
    real_stat = os.stat
    swapped = []

    def racing_stat(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        result = real_stat(path, *args, **kwargs)
        if not swapped and os.path.basename(os.fspath(path)) == "references":
            # right after the copy looked at the folder: swap it for a link to ~/.ssh
            swapped.append(True)
            os.rename(refs, src / "references-real")
            os.symlink(secret_dir, refs)
        return result

    monkeypatch.setattr(os, "stat", racing_stat)
    with pytest.raises(InputError, match="changed while copying"):
        install(str(src), hosts=["claude-code"], project=project)
    monkeypatch.undo()
    assert swapped
    _no_secret_under(project)


def test_symlinked_folder_out_of_the_skill_is_refused(project: Path, make_skill, secret_dir: Path) -> None:
    src = make_skill()
    os.rename(src / "references", src / "references-real")
    os.symlink(secret_dir, src / "references")
    with pytest.raises(InputError, match="points outside the skill"):
        install(str(src), hosts=["claude-code"], project=project)
    _no_secret_under(project)


def test_symlinks_inside_the_skill_are_copied_as_files(project: Path, make_skill) -> None:
    src = make_skill()
    os.symlink("references/tables.md", src / "tables.md")
    os.symlink("references", src / "refs")
    install(str(src), hosts=["claude-code"], project=project)
    dest = project / ".claude/skills/pdf-tools"
    assert not (dest / "tables.md").is_symlink() and (dest / "tables.md").read_text().startswith("# Tables")
    assert not (dest / "refs").is_symlink() and (dest / "refs/tables.md").is_file()


# 4. the lock file is not written through a symlinked folder


def test_lock_is_not_written_through_a_symlinked_sidecar_folder(
    tmp_path: Path, project: Path, make_skill
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, project / ".skillforge")
    with pytest.raises(HostError, match="outside"):
        install(str(make_skill()), hosts=["claude-code"], project=project)
    assert list(outside.iterdir()) == []
    assert not (project / ".claude/skills/pdf-tools").exists()


# 5. a tar link to its own ancestor


def test_tar_link_to_its_own_ancestor_is_a_clear_error(tmp_path: Path, project: Path) -> None:
    archive = tmp_path / "chain.tar"
    md = b"---\nname: arch\ndescription: Use this skill when testing archive extraction safety.\n---\n# a\n"
    with tarfile.open(archive, "w") as tf:
        info = tarfile.TarInfo("SKILL.md")
        info.size = len(md)
        tf.addfile(info, io.BytesIO(md))
        for name, target in [("a/b/s", "../.."), ("t", "a/b/s/SKILL.md")]:
            link = tarfile.TarInfo(name)
            link.type, link.linkname = tarfile.SYMTYPE, target
            tf.addfile(link)
    with pytest.raises(InputError, match="link loop"):
        install(str(archive), hosts=["claude-code"], project=project)


# 6. names that only look the same


def _named(tmp_path: Path, folder: str, name: str) -> Path:
    src = tmp_path / folder
    src.mkdir()
    (src / "SKILL.md").write_text(
        f"---\nname: {name}\ndescription: Use this skill when testing unicode name collisions.\n---\n# x\n",
        encoding="utf-8",
    )
    return src


def test_names_not_in_normal_form_are_refused(tmp_path: Path, project: Path) -> None:
    composed = unicodedata.normalize("NFC", "café")
    install(str(_named(tmp_path, "a", composed)), hosts=["claude-code"], project=project)
    for folder, name in [("b", unicodedata.normalize("NFD", "café")), ("c", "ｃａｆｅ")]:
        with pytest.raises(SpecError, match="normal form"):
            install(str(_named(tmp_path, folder, name)), hosts=["claude-code"], project=project)
    assert [p.name for p in (project / ".claude/skills").iterdir()] == [composed]


# 7. file names that become one file on another system

SKILL_TEXT = (
    "---\nname: pdf-tools\ndescription: Use this skill when testing colliding file names.\n---\n# x\n"
)
NFC = unicodedata.normalize("NFC", "pdf-tools/références.md")
COLLIDING = [
    pytest.param(["pdf-tools/SKILL.md", "pdf-tools/skill.md"], id="case"),
    pytest.param(["pdf-tools/SKILL.md", "pdf-tools/Scripts/a.sh", "pdf-tools/scripts/b.sh"], id="case-folder"),
    pytest.param(["pdf-tools/SKILL.md", NFC, unicodedata.normalize("NFD", NFC)], id="nfc-nfd"),
    pytest.param(["pdf-tools/SKILL.md", "pdf-tools/ref.md", "pdf-tools/ｒｅｆ.md"], id="nfkc"),
    pytest.param(["pdf-tools/SKILL.md", "pdf-tools/SKILL.md."], id="windows-trailing-dot"),
    pytest.param(["pdf-tools/SKILL.md", "pdf-tools/SKILL.md"], id="duplicate"),
]


def _zip_of(path: Path, names: list[str]) -> Path:
    import zipfile

    with zipfile.ZipFile(path, "w") as zf:
        for i, name in enumerate(names):
            # the last copy of a name is the benign one: what a case-insensitive disk keeps differs
            zf.writestr(name, SKILL_TEXT if name.endswith("SKILL.md") and i else f"{SKILL_TEXT}\nnote {i}\n")
    return path


def _tar_of(path: Path, names: list[str]) -> Path:
    with tarfile.open(path, "w") as tf:
        for name in names:
            data = SKILL_TEXT.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tf.addfile(info, io.BytesIO(data))
    return path


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("names", COLLIDING)
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_archive_members_that_collide_are_refused(tmp_path: Path, project: Path, names: list[str], kind: str) -> None:
    # On macOS or Windows (case-insensitive, normalization-insensitive, trailing dots dropped) two such
    # members are one file: which content an agent reads there is not the one every scan saw here.
    archive = (_zip_of if kind == "zip" else _tar_of)(tmp_path / f"skill.{kind}", names)
    with pytest.raises(InputError, match="same file|twice"):
        install(str(archive), hosts=["claude-code"], project=project)
    assert not (project / ".claude").exists()


@pytest.mark.parametrize("names", COLLIDING[:5])
def test_folder_files_that_collide_are_refused_by_install_and_publish(
    tmp_path: Path, project: Path, names: list[str]
) -> None:
    from skillforge.registry import open_registry

    src = tmp_path / "src"
    for i, name in enumerate(names):
        path = src / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(SKILL_TEXT if i == 0 else f"note {i}\n", encoding="utf-8")
    folder = src / "pdf-tools"
    with pytest.raises(InputError, match="same file"):
        install(str(folder), hosts=["claude-code"], project=project)
    with pytest.raises(InputError, match="same file"):
        open_registry(tmp_path / "registry").publish(folder, version="1.0.0", message="x")


WINDOWS_RESERVED = [
    "pdf-tools/CON", "pdf-tools/aux.md", "pdf-tools/references/nul.txt", "pdf-tools/scripts/COM1.sh",
    "pdf-tools/lpt9.log", "pdf-tools/Aux/notes.md", "pdf-tools/conin$", "pdf-tools/com\u00b9.md",
    "pdf-tools/notes.md:hidden",  # an alternate data stream of notes.md
    "pdf-tools/notes.md ", "pdf-tools/references /x.md", "pdf-tools/notes.",
    "pdf-tools/a<b>.md", "pdf-tools/what?.md", "pdf-tools/x|y.md", 'pdf-tools/"q".md', "pdf-tools/star*.md",
]


@pytest.mark.parametrize("name", WINDOWS_RESERVED)
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_archive_member_windows_cannot_write_is_refused(tmp_path: Path, project: Path, name: str, kind: str) -> None:
    # On Windows "aux.md" opens the AUX device, "notes.md:hidden" writes a hidden stream of notes.md, and a
    # trailing space or dot is dropped (another name than the one checked): refused on every system, so a
    # skill installs the same everywhere.
    from skillforge.scan import scan_paths

    archive = (_zip_of if kind == "zip" else _tar_of)(tmp_path / f"skill.{kind}", ["pdf-tools/SKILL.md", name])
    with pytest.raises(InputError, match="Windows"):
        install(str(archive), hosts=["claude-code"], project=project)
    assert not (project / ".claude").exists()
    assert "file-name-collision" in {f.rule_id for f in scan_paths([archive]).findings}


@pytest.mark.parametrize("name", ["pdf-tools/aux.md", "pdf-tools/notes.md:hidden", "pdf-tools/notes.md "])
def test_folder_file_windows_cannot_write_is_refused_by_install_and_publish(
    tmp_path: Path, project: Path, name: str
) -> None:
    from skillforge.registry import open_registry

    src = tmp_path / "src"
    (src / "pdf-tools").mkdir(parents=True)
    (src / "pdf-tools/SKILL.md").write_text(SKILL_TEXT, encoding="utf-8")
    (src / name).write_text("note\n", encoding="utf-8")
    with pytest.raises(InputError, match="Windows"):
        install(str(src / "pdf-tools"), hosts=["claude-code"], project=project, force=True, acknowledge="test")
    with pytest.raises(InputError, match="Windows"):
        open_registry(tmp_path / "registry").publish(
            src / "pdf-tools", version="1.0.0", message="x", force=True, acknowledge="test"
        )


@pytest.mark.parametrize("name", ["aux", "con", "nul", "com1", "lpt3"])
def test_a_skill_named_like_a_windows_device_is_refused(tmp_path: Path, project: Path, name: str) -> None:
    # The name becomes the skill's folder in every host: '.claude/skills/aux' cannot exist on Windows.
    with pytest.raises(SpecError, match="Windows"):
        install(str(_named(tmp_path, "src", name)), hosts=["claude-code"], project=project)
    assert not (project / ".claude").exists()


@pytest.mark.parametrize("name", ["pdf-tools/auxiliary.md", "pdf-tools/console.md", "pdf-tools/com10.md",
                                  "pdf-tools/references/nul-results.md", "pdf-tools/my aux.md", "pdf-tools/.con"])
def test_names_that_only_start_like_a_device_install(tmp_path: Path, project: Path, name: str) -> None:
    archive = _zip_of(tmp_path / "skill.zip", ["pdf-tools/SKILL.md", name])
    install(str(archive), hosts=["claude-code"], project=project)
    assert (project / ".claude/skills" / name).exists()


@pytest.mark.parametrize("name", ["pdf-tools/．．/．．/evil.md", "pdf-tools/‥/evil.md", "pdf-tools/x／..／..／evil.md",
                                  "pdf-tools/..／evil.md", "pdf-tools/＼..＼evil.md"])
def test_archive_member_that_reads_as_dot_dot_after_nfkc_is_refused(tmp_path: Path, project: Path, name: str) -> None:
    # Windows' best-fit code pages and NFKC-normalizing tools turn "．．", "‥" and "／" into "..", "/".
    from skillforge.scan import scan_paths

    archive = _zip_of(tmp_path / "skill.zip", ["pdf-tools/SKILL.md", name])
    with pytest.raises(InputError, match="escapes the skill"):
        install(str(archive), hosts=["claude-code"], project=project)
    assert "archive-traversal" in {f.rule_id for f in scan_paths([archive]).findings}
