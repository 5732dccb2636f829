"""pydantic v2 models shared by every module; no I/O here."""

from skillforge.models.lesson import Evidence, Lesson, LessonKind
from skillforge.models.patch import (
    AddSection,
    AppendToSection,
    CreateFile,
    DeleteFile,
    DeleteSection,
    Edit,
    InsertAfter,
    InsertBefore,
    Patch,
    ReplaceInSection,
)
from skillforge.models.skill import Frontmatter, SkillPackage
from skillforge.models.trace import Outcome, Skipped, Source, Step, ToolCall, ToolResult, Trace

__all__ = [
    "AddSection",
    "AppendToSection",
    "CreateFile",
    "DeleteFile",
    "DeleteSection",
    "Edit",
    "Evidence",
    "Frontmatter",
    "InsertAfter",
    "InsertBefore",
    "Lesson",
    "LessonKind",
    "Outcome",
    "Patch",
    "ReplaceInSection",
    "SkillPackage",
    "Skipped",
    "Source",
    "Step",
    "ToolCall",
    "ToolResult",
    "Trace",
]
