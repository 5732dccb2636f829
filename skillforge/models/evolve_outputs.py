"""The typed answers of evolve's model tasks; each pairs with a prompt in ``templates/prompts/``.

The model fills these; code then checks them: evidence quotes must occur in the trace, a quoted
rule must occur in SKILL.md, failure and cluster ids must be real, every edit must name what its
operation needs. Counts and rankings are computed by code, never taken from the model.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from skillforge.models.evolve import Attribution
from skillforge.models.llm_outputs import EvidenceDraft

EditOp = Literal[
    "add_section",
    "append_to_section",
    "insert_before",
    "insert_after",
    "replace_in_section",
    "delete_section",
    "create_file",
]


class _Out(BaseModel):
    # As in llm_outputs: a stray key from the model is ignored rather than worth a repair round.
    model_config = ConfigDict(extra="ignore")


class FailureAnswer(_Out):
    """The Failure Analyzer's reading of one failed run of an agent that had the skill installed."""

    step: int = Field(description="Number ([N] in the outline) of the step where the run went wrong.")
    cause: str = Field(min_length=3, max_length=400, description="Why the run failed, in one sentence.")
    attribution: Attribution = Field(
        description="followed: the agent did what the skill says and that was not enough; missing: the skill "
        "says nothing about this; misleading: the skill told the agent to do the wrong thing."
    )
    section: str | None = Field(
        default=None, description="Heading of the skill section involved (from SECTIONS), or null."
    )
    rule: str | None = Field(
        default=None,
        max_length=400,
        description="The skill's text that was followed or misled, copied verbatim from SKILL.md; null when missing.",
    )
    fix: str = Field(
        min_length=3, max_length=400, description="What the skill should say so the next run succeeds."
    )
    evidence: list[EvidenceDraft] = Field(min_length=1, max_length=4)


class DiagnosedCluster(_Out):
    """Failures that share one cause."""

    failures: list[str] = Field(
        min_length=1, description="Ids (F1, F2, ...) of the failures this cause explains."
    )
    cause: str = Field(min_length=3, max_length=400, description="The shared cause, in one sentence.")
    section: str | None = Field(
        default=None, description="Heading of the skill section to change (from SECTIONS), or null."
    )
    attribution: Attribution
    fix: str = Field(
        min_length=3, max_length=600, description="The change to the skill that would prevent these failures."
    )


class DiagnosisAnswer(_Out):
    """The Skill Diagnostician's clusters: every failure id in exactly one cluster."""

    clusters: list[DiagnosedCluster] = Field(default_factory=list)


class EditDraft(_Out):
    """One anchored edit, as a model writes it; code turns it into a Patch edit and checks its fields."""

    op: EditOp
    file: str = Field(
        default="SKILL.md", description="SKILL.md, or a new file under references/ (create_file only)."
    )
    heading: str | None = Field(
        default=None,
        description="Section heading without '#': the section to add (add_section) or to edit "
        "(append_to_section, replace_in_section, delete_section).",
    )
    after: str | None = Field(
        default=None, description="add_section only: heading of the section the new one follows."
    )
    anchor: str | None = Field(
        default=None, description="insert_before/insert_after: exact text that occurs once in the file."
    )
    content: str | None = Field(
        default=None, description="Markdown to add (add_section, append_to_section, insert_*, create_file)."
    )
    old: str | None = Field(
        default=None, description="replace_in_section: exact text of that section to replace."
    )
    new: str | None = Field(default=None, description="replace_in_section: the replacement text.")
    reason: str = Field(default="", max_length=400, description="Why this edit, in a few words.")


class OptimizeEdit(EditDraft):
    """An optimizer edit, tied to the diagnosis clusters it addresses."""

    clusters: list[str] = Field(
        default_factory=list, description="Ids (C1, C2, ...) of the clusters this edit addresses."
    )


class OptimizeAnswer(_Out):
    """The Skill Optimizer's patch: anchored edits against the current SKILL.md."""

    edits: list[OptimizeEdit] = Field(default_factory=list, max_length=8)
    notes: str = Field(default="", max_length=600)


class CorrectionAnswer(_Out):
    """A person's correction turned into anchored edits of the section it concerns."""

    section: str | None = Field(default=None, description="Heading of the section the correction concerns.")
    edits: list[EditDraft] = Field(min_length=1, max_length=4)
    summary: str = Field(
        default="", max_length=300, description="The change, in one line, for the changelog."
    )
