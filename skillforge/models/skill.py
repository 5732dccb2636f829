"""A skill package: SKILL.md frontmatter plus the files of the folder."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Frontmatter(BaseModel):
    """The spec's frontmatter fields. Limits are enforced by ``skills.validate``, which mirrors skills-ref."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    name: str
    description: str
    license: str | None = None
    compatibility: str | None = None
    allowed_tools: str | None = Field(default=None, alias="allowed-tools")
    metadata: dict[str, str] = Field(default_factory=dict)


class SkillPackage(BaseModel):
    """A skill folder in memory: frontmatter, SKILL.md body and the other files (relative path → text)."""

    model_config = ConfigDict(extra="forbid")

    frontmatter: Frontmatter
    body: str
    files: dict[str, str] = Field(default_factory=dict)
    """Other files of the folder (``references/x.md``, ``scripts/y.sh``), POSIX relative paths."""

    @property
    def name(self) -> str:
        return self.frontmatter.name
