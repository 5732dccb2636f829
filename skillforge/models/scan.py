"""What a security scan reports: findings with a rule, a severity and a place, and what was quarantined."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from skillforge.models.lesson import Lesson

Severity = Literal["low", "medium", "high"]
SEVERITY_RANK: dict[str, int] = {"low": 0, "medium": 1, "high": 2}


class Finding(BaseModel):
    """One problem found by one rule at one place."""

    model_config = ConfigDict(extra="forbid")

    rule_id: str
    severity: Severity
    file: str
    """The file the finding is in; ``archive.zip!member`` for a member of an archive."""
    line: int | None = None
    """1-based line in ``file`` (None when the finding is about the whole file)."""
    excerpt: str = ""
    """The offending text, one line, shortened; secrets are masked and invisible characters shown as <U+XXXX>."""
    hint: str = ""
    """What to do about it."""
    context: str | None = None
    """Where inside the file: ``code block``, ``frontmatter allowed-tools``, ``step 12 (tool output)`` ..."""
    suppressed_by: str | None = None
    """Set on suppressed findings: ``inline``, ``.skillforgeignore:3`` or ``--ignore``."""

    @property
    def location(self) -> str:
        return self.file + (f":{self.line}" if self.line else "")

    def sort_key(self) -> tuple[str, int, int, str, str]:
        return (self.file, self.line or 0, -SEVERITY_RANK[self.severity], self.rule_id, self.excerpt)


class ScanReport(BaseModel):
    """All findings for a set of scanned paths, in a stable order."""

    model_config = ConfigDict(extra="forbid")

    paths: list[str] = Field(default_factory=list)
    findings: list[Finding] = Field(default_factory=list)
    suppressed: list[Finding] = Field(default_factory=list)
    """Findings silenced by an inline marker, a .skillforgeignore file or --ignore; kept for the record."""
    files_scanned: int = 0
    skipped: list[str] = Field(default_factory=list)
    """Inputs that were not scanned, as ``path: reason``."""

    def at(self, severity: Severity) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]

    @property
    def high(self) -> list[Finding]:
        return self.at("high")

    @property
    def max_severity(self) -> Severity | None:
        if not self.findings:
            return None
        return max((f.severity for f in self.findings), key=SEVERITY_RANK.__getitem__)

    @property
    def ok(self) -> bool:
        """True when nothing of high severity is left unsuppressed."""
        return not self.high

    def counts(self) -> dict[str, int]:
        return {sev: len(self.at(sev)) for sev in ("high", "medium", "low")}

    def extend(self, other: ScanReport) -> None:
        """Add another report's results to this one (paths, findings, counts) and restore the order."""
        self.paths.extend(p for p in other.paths if p not in self.paths)
        self.findings.extend(other.findings)
        self.suppressed.extend(other.suppressed)
        self.files_scanned += other.files_scanned
        self.skipped.extend(other.skipped)
        self.normalize()

    def normalize(self) -> None:
        """Sort and de-duplicate findings so the same input always gives byte-identical output."""
        self.findings = _unique(sorted(self.findings, key=Finding.sort_key))
        self.suppressed = _unique(sorted(self.suppressed, key=Finding.sort_key))
        self.skipped = sorted(set(self.skipped))


def _unique(findings: list[Finding]) -> list[Finding]:
    seen: set[tuple[str, str, int | None, str]] = set()
    out = []
    for f in findings:
        key = (f.rule_id, f.file, f.line, f.excerpt)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


class QuarantinedLesson(BaseModel):
    """A lesson kept out of skills because its evidence looks poisoned, with the reason."""

    model_config = ConfigDict(extra="forbid")

    lesson: Lesson
    rule_id: str
    reason: str


class GateDecision(BaseModel):
    """What a scan gate decided for a publish or an install; callers store it with the operation."""

    model_config = ConfigDict(extra="forbid")

    allowed: bool
    forced: bool = False
    acknowledgement: str | None = None
    blocking: list[Finding] = Field(default_factory=list)
    """The high-severity findings that were (or, when forced, would have been) refused."""
    summary: str = ""
