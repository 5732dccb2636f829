"""Prompt templates are files: ``templates/prompts/<name>.md``, loaded by name, with named placeholders.

A template has a system part and a user part, marked by ``<!-- system -->`` and ``<!-- user -->``
lines; placeholders are ``{{name}}``. The template's hash goes into every cache key, so editing
a prompt invalidates exactly the answers it produced.

Every placeholder stands inside a tag of its own name (``<outline>{{outline}}</outline>``): the
model sees where each input starts and ends, and a program reading the prompt (the fake model in
``skillforge.testing``) finds an input by its name, never by the wording around it.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any

from pydantic import BaseModel, ConfigDict

from skillforge.errors import SkillforgeError
from skillforge.resources import template_path

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_][a-z0-9_]*)\s*\}\}")
_PART = re.compile(r"^<!--\s*(system|user)\s*-->\s*$", re.MULTILINE)


class Prompt(BaseModel):
    """A loaded prompt template."""

    model_config = ConfigDict(frozen=True)

    name: str
    hash: str
    """First 16 hex digits of the file's sha256."""
    system: str
    user: str

    @property
    def placeholders(self) -> set[str]:
        return set(_PLACEHOLDER.findall(self.system)) | set(_PLACEHOLDER.findall(self.user))

    def render(self, **values: Any) -> list[dict[str, Any]]:
        """Chat messages with every placeholder filled. Missing or unknown names are errors, not blanks."""
        wanted = self.placeholders
        missing = sorted(wanted - values.keys())
        extra = sorted(values.keys() - wanted)
        if missing or extra:
            raise SkillforgeError(
                f"prompt {self.name!r}: missing values {missing}, unknown values {extra}",
                path=template_path("prompts", f"{self.name}.md"),
            )

        def fill(text: str) -> str:
            return _PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), text)

        messages: list[dict[str, Any]] = []
        if self.system.strip():
            messages.append({"role": "system", "content": fill(self.system).strip()})
        messages.append({"role": "user", "content": fill(self.user).strip()})
        return messages

    def render_user(self, **values: Any) -> dict[str, Any]:
        """Only the user message (for follow-up turns such as a repair request)."""
        return self.render(**values)[-1]


@cache
def load_prompt(name: str) -> Prompt:
    """Load ``templates/prompts/<name>.md`` (cached for the process)."""
    path = template_path("prompts", f"{name}.md")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise SkillforgeError(f"prompt template {name!r} not found", path=path, hint=str(exc)) from exc
    text = raw.decode("utf-8")
    parts = _PART.split(text)
    sections: dict[str, str] = {}
    # split() gives [preamble, marker, body, marker, body, ...]; the preamble is a comment for editors.
    for i in range(1, len(parts) - 1, 2):
        sections[parts[i]] = parts[i + 1]
    if "user" not in sections:
        raise SkillforgeError(f"prompt template {name!r} has no '<!-- user -->' part", path=path)
    return Prompt(
        name=name,
        hash=hashlib.sha256(raw).hexdigest()[:16],
        system=sections.get("system", ""),
        user=sections["user"],
    )
