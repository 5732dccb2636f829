"""apply_patch: every edit op, and anchors that are missing or ambiguous are reported, never guessed."""

from __future__ import annotations

import pytest

from skillforge.models import (
    AddSection,
    AppendToSection,
    CreateFile,
    DeleteFile,
    DeleteSection,
    Frontmatter,
    InsertAfter,
    InsertBefore,
    Patch,
    ReplaceInSection,
    SkillPackage,
)
from skillforge.skills.patch import apply_patch

BODY = """# Deploy helper

Use this when deploying.

## Procedure

1. Build the image.
2. Push it.

### Rollback

- Run `deploy --rollback`.

## Pitfalls

- Never deploy on Friday.

```bash
## not a heading: inside a code block
echo ok
```
"""


@pytest.fixture
def pkg() -> SkillPackage:
    return SkillPackage(
        frontmatter=Frontmatter(name="deploy-helper", description="Use when deploying the service."),
        body=BODY,
        files={"references/notes.md": "# Notes\n\n## Details\n\nSome details.\n"},
    )


def _apply(pkg: SkillPackage, *edits):  # type: ignore[no-untyped-def]
    return apply_patch(pkg, Patch(skill="deploy-helper", edits=list(edits)))


def test_create_and_delete_files(pkg: SkillPackage) -> None:
    new, problems = _apply(pkg, CreateFile(file="scripts/check.sh", content="#!/bin/sh\necho ok\n"),
                           DeleteFile(file="references/notes.md"))
    assert problems == []
    assert new.files == {"scripts/check.sh": "#!/bin/sh\necho ok\n"}
    assert pkg.files == {"references/notes.md": "# Notes\n\n## Details\n\nSome details.\n"}  # input untouched


def test_create_skill_md_on_an_empty_package() -> None:
    empty = SkillPackage(frontmatter=Frontmatter(name="x", description="d"), body="")
    content = "---\nname: fresh-skill\ndescription: Use when testing.\n---\n\n# Fresh\n\nBody.\n"
    new, problems = apply_patch(empty, Patch(skill="fresh-skill", edits=[CreateFile(file="SKILL.md", content=content)]))
    assert problems == []
    assert new.frontmatter.name == "fresh-skill"
    assert new.body == "# Fresh\n\nBody.\n"


def test_add_section_after_an_anchor_and_at_the_end(pkg: SkillPackage) -> None:
    new, problems = _apply(
        pkg,
        AddSection(heading="Checks", content="- Check the health endpoint.", after="Procedure"),
        AddSection(heading="See also", content="- The runbook."),
    )
    assert problems == []
    lines = new.body.splitlines()
    # after "Procedure" means after its sub-sections too, right before "Pitfalls"
    assert lines.index("## Checks") > lines.index("- Run `deploy --rollback`.")
    assert lines.index("## Checks") < lines.index("## Pitfalls")
    assert new.body.rstrip().endswith("## See also\n\n- The runbook.")


def test_append_to_section_joins_the_list_before_sub_sections(pkg: SkillPackage) -> None:
    new, problems = _apply(pkg, AppendToSection(heading="Procedure", content="3. Watch the rollout."),
                           AppendToSection(heading="Pitfalls", content="- Do not skip the canary."))
    assert problems == []
    assert "2. Push it.\n3. Watch the rollout.\n\n### Rollback" in new.body
    assert new.body.split("## Pitfalls")[1].rstrip().endswith("echo ok\n```\n\n- Do not skip the canary.")


def test_replace_delete_and_insert(pkg: SkillPackage) -> None:
    new, problems = _apply(
        pkg,
        ReplaceInSection(heading="Rollback", old="deploy --rollback", new="deploy rollback --to previous"),
        DeleteSection(heading="Pitfalls"),
        InsertBefore(anchor="1. Build the image.", content="0. Read the changelog."),
        InsertAfter(anchor="Use this when deploying.", content="It never deletes data."),
        InsertAfter(file="references/notes.md", anchor="Some details.", content="More details."),
    )
    assert problems == []
    assert "`deploy rollback --to previous`" in new.body
    assert "## Pitfalls" not in new.body and "Never deploy on Friday" not in new.body
    assert "0. Read the changelog.\n1. Build the image." in new.body
    assert "Use this when deploying.\nIt never deletes data." in new.body
    assert new.files["references/notes.md"].endswith("Some details.\nMore details.\n")


def test_missing_and_ambiguous_anchors_are_reported_not_guessed(pkg: SkillPackage) -> None:
    doubled = pkg.model_copy(update={"body": pkg.body + "\n## Pitfalls\n\n- Another.\n"})
    edits = [
        AppendToSection(heading="Procedures", content="- x"),             # near miss: not guessed
        ReplaceInSection(heading="Procedure", old="Build the images", new="y"),
        InsertAfter(anchor="no such text", content="z"),
        InsertBefore(anchor="- ", content="z"),                           # occurs many times
        DeleteSection(heading="not a heading: inside a code block"),      # headings in code do not count
        AppendToSection(heading="Pitfalls", content="- x"),              # two sections with this heading
        AddSection(heading="Procedure", content="dup"),                   # already exists
        AddSection(heading="New", content="x", after="Missing"),
        DeleteFile(file="references/none.md"),
        CreateFile(file="references/notes.md", content="different"),     # exists with other content
        CreateFile(file="../outside.md", content="x"),                    # escapes the folder
        DeleteFile(file="SKILL.md"),
        AppendToSection(file="references/missing.md", heading="Details", content="x"),
    ]
    new, problems = apply_patch(doubled, Patch(skill="deploy-helper", edits=edits))
    assert [p.index for p in problems] == list(range(len(edits)))
    messages = [p.message for p in problems]
    assert "section 'Procedures' not found" in messages[0]
    assert "text to replace not found" in messages[1]
    assert "anchor 'no such text' not found" in messages[2]
    assert "occurs" in messages[3] and "times" in messages[3]
    assert "occurs 2 times" in messages[5]
    assert "already exists" in messages[6]
    assert "escapes the skill folder" in messages[10]
    assert new == doubled.model_copy(update={"body": doubled.body.strip("\n") + "\n"})


def test_apply_is_deterministic(pkg: SkillPackage) -> None:
    patch = Patch(skill="deploy-helper", edits=[AppendToSection(heading="Pitfalls", content="- One more.")])
    assert apply_patch(pkg, patch) == apply_patch(pkg, patch)
