"""`skillforge correct --model fake`: a correction becomes an anchored edit of the section it concerns."""

from __future__ import annotations

from click.testing import CliRunner

from skillforge.cli import cli


def correct(registry, text: str, *extra: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli, ["correct", "writer", text, "--registry", str(registry.path), *extra])


def test_model_correction_rewords_the_rule_it_names_and_rolls_back(registry) -> None:
    original = registry.files("writer", "1.0.0")
    text = "when the file already exists, append the text instead of overwriting the requested file"
    result = correct(registry, text, "--model", "fake")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "published writer@1.0.1 (edited by skillforge-fake/fake)",
        f"  correction: {text}",
        "  reword 'Procedure'",
        "undo with: skillforge rollback writer 1.0.0",
    ]
    skill_md = registry.read_file("writer", "1.0.1")
    assert "## Corrections" not in skill_md  # an edit of the right section, not the dated append
    assert (
        "- Write the requested text to the requested file; when the file already exists, append the text "
        "instead of overwriting the requested file."
    ) in skill_md.split("## Procedure", 1)[1]
    record = registry.version("writer", "1.0.1")
    assert record.extra["model"] == "skillforge-fake/fake" and record.extra["based_on"] == "1.0.0"
    back = CliRunner().invoke(cli, ["rollback", "writer", "1.0.0", "--registry", str(registry.path)])
    assert back.exit_code == 0, back.output
    assert registry.files("writer", registry.resolve("writer")) == original


def test_model_correction_without_a_rule_to_reword_is_appended_to_the_section(registry) -> None:
    result = correct(registry, "write the requested text with a trailing newline", "--model", "fake")
    assert result.exit_code == 0, result.output
    procedure = registry.read_file("writer", "1.0.1").split("## Procedure", 1)[1]
    assert procedure.strip().splitlines() == [
        "- Write the requested text to the requested file.",
        "- Write the requested text with a trailing newline.",
    ]


def test_model_correction_with_a_missing_anchor_is_reported_and_nothing_published(registry) -> None:
    result = correct(
        registry, "when asked for JSON, pretty-print it instead of minifying it", "--model", "fake"
    )
    assert result.exit_code == 1
    assert (
        "the correction could not be applied: edit 0 (replace_in_section on SKILL.md): text to replace not found in section"
        in result.output
    )
    assert "nothing was published; writer is still at 1.0.0" in result.output
    assert [v.version for v in registry.versions("writer")] == ["1.0.0"]


def test_offline_correction_still_appends_a_dated_rule(registry) -> None:
    result = correct(registry, "never write empty files")
    assert result.exit_code == 0, result.output
    assert "## Corrections" in registry.read_file("writer", "1.0.1")
    assert "undo with: skillforge rollback writer 1.0.0" in result.output


def test_model_options_need_model(registry) -> None:
    result = correct(registry, "never write empty files", "--budget", "1")
    assert result.exit_code == 2 and "--api-base and --budget need --model" in result.output


def test_model_correction_over_budget_publishes_nothing(registry) -> None:
    result = correct(registry, "never write empty files", "--model", "fake", "--budget", "0.0001")
    assert result.exit_code == 3
    assert [v.version for v in registry.versions("writer")] == ["1.0.0"]
