"""distill publishes what it writes to the registry (unless --no-publish), once per change."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.registry import open_registry

DOCS = Path(__file__).parents[1] / "data" / "samples" / "documents"


def test_distill_publishes_each_skill_once(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    args = ["distill", str(DOCS), "-o", str(tmp_path / "out"), "--registry", str(registry)]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    reg = open_registry(registry)
    names = sorted(s.name for s in reg.skills())
    written = sorted(p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith("."))
    assert names == written and names
    assert all(reg.resolve(n) == "0.1.0" for n in names)
    assert reg.provenance(names[0], "0.1.0") is not None
    again = CliRunner().invoke(cli, args)
    assert again.exit_code == 0 and "(no skill changed)" in again.output
    assert all(len(reg.versions(n)) == 1 for n in names)


def test_no_publish_leaves_the_registry_alone(tmp_path: Path) -> None:
    registry = tmp_path / "registry"
    result = CliRunner().invoke(
        cli, ["distill", str(DOCS), "-o", str(tmp_path / "out"), "--registry", str(registry), "--no-publish"]
    )
    assert result.exit_code == 0, result.output
    assert open_registry(registry).skills() == []
