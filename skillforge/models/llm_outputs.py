"""The typed answer of each LLM task. Each pairs with a prompt in ``templates/prompts/``.

The model fills these; code then checks them (evidence quotes must occur in the trace, merge
sources must name real input lessons) and computes what must not be trusted to a model, such as
support counts.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from skillforge.models.lesson import LessonKind


class _Out(BaseModel):
    # Models add stray keys now and then; ignoring them beats a repair round for a harmless extra.
    model_config = ConfigDict(extra="ignore")


class EvidenceDraft(_Out):
    """Where in the trace a lesson shows, with a verbatim quote."""

    step: int = Field(description="Step number from the outline ([N]) where the quote occurs.")
    quote: str = Field(
        min_length=8,
        max_length=300,
        description="Text copied verbatim from that step (8-300 characters); it is checked against the trace.",
    )


class LessonDraft(_Out):
    """One reusable rule an analyst learned from one trace."""

    kind: LessonKind
    title: str = Field(min_length=3, max_length=120, description="The rule as one imperative sentence.")
    body: str = Field(min_length=3, max_length=1500, description="Why and how: what happened, what to do instead.")
    target_skill: str = Field(
        min_length=2,
        max_length=64,
        description="kebab-case name of the skill this belongs to (an area of work, e.g. 'django-testing').",
    )
    evidence: list[EvidenceDraft] = Field(min_length=1, max_length=5)


class AnalystAnswer(_Out):
    """What an analyst returns for one trace."""

    summary: str = Field(default="", max_length=600, description="One or two sentences on what happened.")
    lessons: list[LessonDraft] = Field(default_factory=list, max_length=6)


class MergedRule(_Out):
    """One rule after merging: the input lessons it stands for are listed in ``sources``."""

    title: str = Field(min_length=3, max_length=120)
    body: str = Field(min_length=3, max_length=2000)
    kind: LessonKind
    target_skill: str = Field(min_length=2, max_length=64)
    sources: list[str] = Field(min_length=1, description="Ids (L1, L2, ...) of the input lessons merged into this rule.")


class ConflictDraft(_Out):
    """Input lessons that contradict each other: which one is kept and which are dropped."""

    kept: str = Field(description="Id of the lesson kept (the better supported one).")
    dropped: list[str] = Field(min_length=1, description="Ids of the contradicting lessons that are dropped.")
    reason: str = Field(default="", max_length=600)


class MergeAnswer(_Out):
    """A merge step's answer: deduplicated rules plus the conflicts that were resolved."""

    rules: list[MergedRule] = Field(default_factory=list)
    conflicts: list[ConflictDraft] = Field(default_factory=list)


class NewSkill(_Out):
    """A skill to create because some rules fit none of the existing ones."""

    name: str = Field(min_length=1, max_length=64, description="kebab-case: lowercase letters, digits, hyphens.")
    description: str = Field(
        min_length=1, max_length=1024, description="What the skill does and when to use it (one or two sentences)."
    )


class Assignment(_Out):
    """Where one rule goes: which skill, under which section heading."""

    rule: str = Field(description="Rule id (R1, R2, ...).")
    skill: str
    section: str = Field(default="other", max_length=40, description="Section key from the SECTIONS list.")


class PlanAnswer(_Out):
    """The final level: every rule assigned to an existing skill or to a new one."""

    new_skills: list[NewSkill] = Field(default_factory=list)
    assignments: list[Assignment] = Field(default_factory=list)


class FixAnswer(_Out):
    """Corrections for a skill that failed validation."""

    name: str | None = Field(default=None, description="Corrected skill name, or null to keep it.")
    description: str | None = Field(default=None, description="Corrected description, or null to keep it.")
    body: str | None = Field(default=None, description="Corrected SKILL.md body (after the frontmatter), or null.")
    notes: str = Field(default="", max_length=600)
