"""``publish out/`` (every skill folder under it) and ``metadata.version`` honoured when newer."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from skillforge.cli import cli

from ..factories import skill_md, write_skill_folder


def _skill(root: Path, name: str, version: str, body: str = "Do it.") -> Path:
    description = f"Handle {name} tasks. Use when the user asks about {name}."
    text = skill_md(name, description, f"# {name}\n\n{body}\n", frontmatter=f'metadata:\n  version: "{version}"')
    return write_skill_folder(root / name, text)


def test_publish_honours_a_newer_metadata_version(registry, tmp_path: Path) -> None:
    folder = _skill(tmp_path / "src", "pdf-tidy", "1.1.0")
    assert registry.publish(folder).version == "1.1.0", "a skill marked 1.1.0 is published as 1.1.0"
    _skill(tmp_path / "src", "pdf-tidy", "1.1.0", body="Edited, version not bumped.")
    assert registry.publish(folder).version == "1.1.1", "an unchanged marker falls back to --bump"
    _skill(tmp_path / "src", "pdf-tidy", "1.0.0", body="Older marker.")
    assert registry.publish(folder, bump="minor").version == "1.2.0", "an older marker is ignored"
    _skill(tmp_path / "src", "pdf-tidy", "2.0.0", body="New major.")
    assert registry.publish(folder).version == "2.0.0"


def test_publish_a_folder_of_skills(registry, tmp_path: Path) -> None:
    out = tmp_path / "out"
    for name in ("a-skill", "b-skill", "c-skill"):
        _skill(out, name, "0.3.0")
    (out / "notes").mkdir()
    runner = CliRunner()
    result = runner.invoke(cli, ["publish", str(out), "--registry", str(registry.path)])
    assert result.exit_code == 0, result.output
    assert [(s.name, s.latest) for s in registry.skills()] == [
        ("a-skill", "0.3.0"), ("b-skill", "0.3.0"), ("c-skill", "0.3.0")
    ]
    again = runner.invoke(cli, ["publish", str(out / "a-skill"), str(out / "b-skill"), "--registry", str(registry.path)])
    assert again.exit_code == 0 and again.output.count("nothing published") == 2
    many = runner.invoke(cli, ["publish", str(out), "--version", "9.0.0", "--registry", str(registry.path)])
    assert many.exit_code != 0 and "one skill folder" in many.output


def test_registry_clone_url(registry, tmp_path: Path, bare_remote: Path) -> None:
    _skill(tmp_path / "src", "pdf-tidy", "1.0.0")
    registry.publish(tmp_path / "src/pdf-tidy")
    registry.add_remote("origin", str(bare_remote))
    registry.push("origin")
    mine = tmp_path / "mine"
    result = CliRunner().invoke(cli, ["registry", "clone", str(bare_remote), "--registry", str(mine)])
    assert result.exit_code == 0, result.output
    from skillforge.registry import open_registry

    with open_registry(mine) as reg:
        assert [(s.name, s.latest) for s in reg.skills()] == [("pdf-tidy", "1.0.0")]
        assert reg.read_file("pdf-tidy") == registry.read_file("pdf-tidy")
    again = CliRunner().invoke(cli, ["registry", "clone", str(bare_remote), "--registry", str(mine)])
    assert again.exit_code != 0 and "already holds skills" in again.output
