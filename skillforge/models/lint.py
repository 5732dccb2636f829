"""What ``skillforge lint`` reports: per-skill and per-set quality figures, thresholds, violations.

The metrics themselves are defined (and documented, with the human-skill reference values) in
``skillforge.skills.lint``; these models only carry the numbers across the library/CLI boundary.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from skillforge.models.provenance import Provenance


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class SkillDoc(_Model):
    """One skill as lint reads it: frontmatter fields, SKILL.md body, its other text files, provenance."""

    name: str
    path: str
    """Where the skill was read from (a folder, or ``registry:NAME@VERSION``)."""
    description: str = ""
    body: str = ""
    """SKILL.md without its frontmatter."""
    files: dict[str, str] = Field(default_factory=dict)
    """Other text files of the skill (``references/x.md``), POSIX relative paths."""
    provenance: Provenance | None = None


class Thresholds(_Model):
    """Limits on the set figures; the defaults are the "Done when" targets of issue 12.

    Every field is a maximum except ``outcome_consistency``, which is a minimum.
    """

    run_specific: float = 0.05
    vague: float = 0.05
    near_duplicates: float = 0.10
    templated_descriptions: float = 0.0
    boilerplate: float = 0.10
    reference_duplication: float = 0.20
    sprawl: float = 0.15
    description_similarity: float = 0.30
    outcome_consistency: float = 1.0


class SkillMetrics(_Model):
    """The figures of one skill. Shares are in 0..1; None where the metric has nothing to measure."""

    name: str
    path: str
    rules: int
    words: int
    """Words in the SKILL.md body (the boilerplate denominator)."""
    run_specific: float | None = None
    vague: float | None = None
    near_duplicates: float | None = None
    templated_description: bool = False
    description_similarity: float | None = None
    """Highest description similarity to another skill of the set (None in a set of one)."""
    nearest: str | None = None
    """The skill whose description is most similar."""
    boilerplate: float = 0.0
    reference_duplication: float | None = None
    rationale: float | None = None
    code_blocks: int = 0
    outcome_consistency: float | None = None
    """None when the skill has no provenance or no "what worked" rule from traces."""
    flagged: dict[str, list[str]] = Field(default_factory=dict)
    """Metric -> the rules (or description / boilerplate spans) that counted against it."""


class SetMetrics(_Model):
    """Figures over the whole set: rule shares pooled over all rules, skill shares over all skills."""

    skills: int
    rules: int
    words: int
    run_specific: float | None = None
    vague: float | None = None
    near_duplicates: float | None = None
    templated_descriptions: float | None = None
    description_similarity: float | None = None
    """Median over the skills of the similarity to their nearest neighbour (None below two skills)."""
    boilerplate: float | None = None
    reference_duplication: float | None = None
    sprawl: float | None = None
    rationale: float | None = None
    code_blocks: int = 0
    outcome_consistency: float | None = None


class Violation(_Model):
    """A set figure outside its threshold."""

    metric: str
    value: float
    limit: float
    minimum: bool = False
    """True when ``limit`` is a floor (outcome consistency), False when it is a ceiling."""

    def describe(self) -> str:
        op = "<" if self.minimum else ">"
        return f"{self.metric} {self.value:.3g} {op} {self.limit:.3g}"


class LintReport(_Model):
    """Everything ``skillforge lint`` found, in a stable order (skills sorted by path)."""

    paths: list[str]
    skills: list[SkillMetrics]
    set: SetMetrics
    thresholds: Thresholds
    violations: list[Violation] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.violations
