"""Publish limits (checked from stat, before reading), hard links, a different folder under an existing
name, and `list --registry` on a path that is not a registry."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.errors import ConflictError, InputError, RegistryError
from skillforge.hosts.limits import MAX_FILE_BYTES, MAX_SKILL_BYTES
from skillforge.registry import Registry


def _sparse(path: Path, size: int) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        handle.truncate(size)
    return path


def _maxrss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def test_a_3gb_sparse_file_is_refused_from_stat_fast_and_without_reading_it(
    registry: Registry, make_skill
) -> None:
    skill = make_skill("pdf-forms")
    _sparse(skill / "references" / "big.bin", 3 * 1024**3)
    rss_before, start = _maxrss_mib(), time.perf_counter()
    too_big = r"references/big.bin is 3072 MiB, over the per-file limit of 10 MiB"
    with pytest.raises(InputError, match=too_big):
        registry.publish(skill)
    assert time.perf_counter() - start < 2.0
    assert _maxrss_mib() - rss_before < 100, "the file's content must never be read into memory"
    assert not registry.exists() or registry.skills() == []


def test_total_size_limit_names_the_limit(registry: Registry, make_skill) -> None:
    skill = make_skill("pdf-forms")
    per_file = MAX_FILE_BYTES - 1024
    for i in range(MAX_SKILL_BYTES // per_file + 1):
        _sparse(skill / "assets" / f"part{i:02d}.bin", per_file)
    with pytest.raises(InputError, match="larger than 100 MiB in all .limit MAX_SKILL_BYTES"):
        registry.publish(skill)


def test_a_hard_link_to_a_file_outside_the_skill_is_refused(
    registry: Registry, make_skill, tmp_path: Path
) -> None:
    secret = tmp_path / "outside" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("-----BEGIN OPENSSH PRIVATE KEY-----\n")
    skill = make_skill("pdf-forms", files={"references/tables.md": "# Tables\n"})
    os.link(secret, skill / "references" / "notes.md")
    with pytest.raises(InputError, match=r"references/notes.md is a hard link \(2 names") as info:
        registry.publish(skill)
    assert "cp " in (info.value.hint or "")
    assert not registry.exists() or registry.skills() == []



@pytest.mark.parametrize(
    ("link", "target"),
    [("references/Tables.md", "tables.md"), ("references/tables.md.", "tables.md"), ("Scripts", "scripts"),
     ("skill.md", "references/tables.md")],
)
def test_a_symlink_whose_name_is_one_file_with_another_is_refused(
    registry: Registry, make_skill, link: str, target: str
) -> None:
    # Regular files were checked, links were not: 'references/Tables.md' -> tables.md next to a real
    # 'references/tables.md' is one name on macOS and Windows, and install refuses the checked-out copy.
    skill = make_skill("pdf-forms", files={"references/tables.md": "# Tables\n", "scripts/run.sh": "echo ok\n"})
    os.symlink(target, skill / link)
    # The scan gate reports it too (file-name-collision), but --force lets a high finding through: the
    # refusal must not rest on it.
    with pytest.raises(InputError, match="same file"):
        registry.publish(skill, force=True, acknowledge="reviewed")
    assert not registry.exists() or registry.skills() == []


OTHER_DESCRIPTION = "Convert scanned invoices to CSV. Use when the user uploads receipts."
OTHER_BODY = "1. Run OCR.\n2. Split the columns.\n3. Check the totals.\n4. Write invoices.csv.\n"


def test_a_different_folder_under_an_existing_name_needs_replace(
    registry: Registry, make_skill, tmp_path: Path
) -> None:
    ours = make_skill("pdf-forms", body="Fill forms with pdftk.")
    assert registry.publish(ours, check_source=True).version == "0.1.0"
    (ours / "SKILL.md").write_text((ours / "SKILL.md").read_text() + "\nStep two.\n")
    assert registry.publish(ours, check_source=True).version == "0.1.1", "same folder: a new version"

    theirs = make_skill("pdf-forms", body=OTHER_BODY, description=OTHER_DESCRIPTION)
    with pytest.raises(ConflictError, match="was published from .*src1/pdf-forms.*different folder") as info:
        registry.publish(theirs, check_source=True)
    assert "--replace" in (info.value.hint or "")
    assert [v.version for v in registry.versions("pdf-forms")] == ["0.1.1", "0.1.0"]

    result = registry.publish(theirs, check_source=True, replace=True)
    assert result.version == "0.1.2"
    extra = registry.versions("pdf-forms")[0].extra
    assert extra["source"] == str(theirs.resolve())
    assert extra["replaced_source"] == str(ours.resolve())

    # The same skill edited in another checkout (a teammate, a moved folder) is not "different".
    checkout = registry.export("pdf-forms", None, tmp_path / "teammate")
    (checkout / "SKILL.md").write_text((checkout / "SKILL.md").read_text() + "\n5. Sum per month.\n")
    assert registry.publish(checkout, check_source=True).version == "0.1.3"
    assert registry.versions("pdf-forms")[0].extra["source"] == str(checkout.resolve())
    theirs = checkout

    # Library callers that start from the registry's own content (evolve, edits) keep the source.
    edited = registry.export("pdf-forms", None, tmp_path / "edit")
    (edited / "SKILL.md").write_text((edited / "SKILL.md").read_text() + "\nEdited.\n")
    assert registry.publish(edited).version == "0.1.4"
    assert registry.versions("pdf-forms")[0].extra["source"] == str(theirs.resolve())


def test_publish_cli_asks_for_replace(registry: Registry, make_skill) -> None:
    ours = make_skill("pdf-forms")
    theirs = make_skill("pdf-forms", body=OTHER_BODY, description=OTHER_DESCRIPTION)
    args = ["--registry", str(registry.path)]
    assert CliRunner().invoke(cli, ["publish", str(ours), *args]).exit_code == 0
    refused = CliRunner().invoke(cli, ["publish", str(theirs), *args])
    assert refused.exit_code != 0
    assert "different folder" in refused.output and "--replace" in refused.output
    replaced = CliRunner().invoke(cli, ["publish", str(theirs), "--replace", *args])
    assert replaced.exit_code == 0 and "published pdf-forms@0.1.1" in replaced.output


@pytest.mark.parametrize("kind", ["missing", "file", "plain-folder"])
def test_list_with_a_registry_path_that_is_not_one_fails(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "reg"
    if kind == "file":
        target.write_text("not a registry\n")
    elif kind == "plain-folder":
        target.mkdir()
    result = CliRunner().invoke(cli, ["list", "--registry", str(target)])
    assert result.exit_code != 0
    assert str(target) in result.output
    expected = {"missing": "does not exist", "file": "is a file", "plain-folder": "no .git"}[kind]
    assert expected in result.output and "no skills" not in result.output
    with pytest.raises(RegistryError):
        Registry(target).require()


def test_export_checks_stored_sizes_before_reading(
    registry: Registry, make_skill, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a pulled registry may hold blobs publish would have refused; export (and so install) checks too
    registry.publish(make_skill("pdf-forms", files={"references/big.md": "x" * 400}))
    monkeypatch.setattr("skillforge.registry.content.MAX_FILE_BYTES", 300)
    too_big = "pdf-forms/references/big.md is 400 bytes, over the per-file limit"
    with pytest.raises(RegistryError, match=too_big):
        registry.export("pdf-forms", None, tmp_path / "out")
    assert not (tmp_path / "out" / "pdf-forms").exists()
