from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from skillforge.cli import cli

PUBLISHED = Path(__file__).parent.parent / "data" / "published_skills"


def test_validate_folder_of_skills_reports_each(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(PUBLISHED)])
    assert result.exit_code == 1  # template/ and claude-api/ are invalid, as skills-ref says too
    assert "FAIL" in result.output and "template" in result.output
    assert "Directory name 'template' must match skill name 'template-skill'" in result.output
    assert "8 of 10 skill(s) valid" in result.output


def test_validate_json_and_strict(tmp_path: Path) -> None:
    good = PUBLISHED / "internal-comms"
    result = CliRunner().invoke(cli, ["validate", "--json", str(good)])
    assert result.exit_code == 0
    payload = json.loads(result.output)
    assert payload[0]["valid"] is True
    # theme-factory is valid but its description never says when to use it: a warning, fatal only with --strict.
    advice = PUBLISHED / "theme-factory"
    assert CliRunner().invoke(cli, ["validate", str(advice)]).exit_code == 0
    strict = CliRunner().invoke(cli, ["validate", "--strict", str(advice)])
    assert strict.exit_code == 1 and "when to use" in strict.output


def test_validate_missing_path_is_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["validate", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "Path does not exist" in result.output
    assert "Traceback" not in result.output
