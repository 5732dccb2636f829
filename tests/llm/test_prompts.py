"""Prompts are files with named placeholders; their hash versions the cache."""

from __future__ import annotations

import re

import pytest

from skillforge.errors import SkillforgeError
from skillforge.llm.prompts import load_prompt
from skillforge.resources import template_path

PROMPTS = sorted(path.stem for path in template_path("prompts").glob("*.md"))


@pytest.mark.parametrize("name", PROMPTS)
def test_every_prompt_loads_and_renders(name: str) -> None:
    prompt = load_prompt(name)
    assert prompt.user.strip() and len(prompt.hash) == 16
    messages = prompt.render(**{p: f"<{p}>" for p in prompt.placeholders})
    assert messages[-1]["role"] == "user"
    text = "\n".join(m["content"] for m in messages)
    assert "{{" not in text and all(f"<{p}>" in text for p in prompt.placeholders)


def test_missing_or_unknown_values_are_errors_naming_the_file() -> None:
    prompt = load_prompt("merge")
    with pytest.raises(SkillforgeError) as info:
        prompt.render(count=1)
    assert "lessons" in str(info.value) and "merge.md" in str(info.value)
    with pytest.raises(SkillforgeError, match="unknown values"):
        prompt.render(count=1, lessons="[]", schema="{}", typo="x")


def test_hash_is_the_file_content_hash() -> None:
    import hashlib

    raw = template_path("prompts", "merge.md").read_bytes()
    assert load_prompt("merge").hash == hashlib.sha256(raw).hexdigest()[:16]
    assert load_prompt("merge").hash != load_prompt("plan").hash


def test_unknown_prompt_is_a_clear_error() -> None:
    with pytest.raises(SkillforgeError, match="not found"):
        load_prompt("no_such_prompt")


@pytest.mark.parametrize("name", PROMPTS)
def test_every_placeholder_stands_inside_a_tag_of_its_name(name: str) -> None:
    """The contract the fake model (and a careful reader) relies on: inputs are found by name, not wording."""
    prompt = load_prompt(name)
    text = prompt.system + prompt.user
    for placeholder in prompt.placeholders:
        tagged = re.search(rf"<{placeholder}>\n?\{{\{{{placeholder}\}}\}}\n?</{placeholder}>", text)
        assert tagged, f"{name}.md: {{{{{placeholder}}}}} is not inside <{placeholder}>...</{placeholder}>"
