"""A demo registry as a person would have after distill and evolve: pdf-forms with three versions,
provenance and a rejected evolve round, git-bisect, and release-notes pinned to its first version.

Used by the TUI tests (``conftest.registry``) and by ``benchmarks/tui_screenshot.py``. Dates are
fixed (GIT_AUTHOR_DATE / GIT_COMMITTER_DATE per write, and the clock the registry stamps events with)
so snapshots and screenshots are byte-stable.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from skillforge.models.evals import PassCount
from skillforge.models.evolve import GateDecision, RoundReport
from skillforge.models.lesson import Evidence
from skillforge.models.provenance import Provenance, ProvenanceRule, ProvenanceSource
from skillforge.registry import Registry, open_registry
from skillforge.registry import store as registry_store

from ..factories import skill_md, write_skill_folder

FRONT = """---
name: pdf-forms
description: Fill, read and flatten PDF forms with pypdf. Use when the user asks to fill in or read a PDF form.
license: MIT
metadata:
  tags: pdf, forms
---
"""

V1 = (
    FRONT
    + """# PDF forms

## When to use
Fillable PDF (AcroForm) documents: reading field names, filling values, flattening.

## Procedure
1. List the fields first: `python scripts/fields.py form.pdf`. <!-- sf:fields-first -->
2. Fill every page with `writer.update_page_form_field_values(page, values)`. <!-- sf:fill-each-page -->
3. Write to a new file; never overwrite the input. <!-- sf:new-file -->

## Pitfalls
- Checkbox values are names such as `/Yes`, not `True`. <!-- sf:checkbox-names -->
"""
)

V2 = (
    V1
    + """- XFA forms cannot be filled with pypdf; see references/xfa.md. <!-- sf:xfa -->
"""
)

V3 = V2.replace(
    "- Checkbox values",
    "- Set `writer.set_need_appearances_writer(True)` or viewers show empty fields. <!-- sf:need-appearances -->\n"
    "- Checkbox values",
)

FIELDS_PY = '''"""Print the form fields of a PDF: name, type and current value."""
import sys

from pypdf import PdfReader

for name, field in (PdfReader(sys.argv[1]).get_fields() or {}).items():
    print(name, field.get("/FT"), field.get("/V"))
'''

XFA_MD = """# XFA forms

pypdf reads but cannot fill XFA (XML Forms Architecture) documents. Check `"/XFA" in reader.trailer["/Root"]["/AcroForm"]`
and ask the user for a flattened or AcroForm copy.
"""

TRACES = {
    "a": "t-3f9a1c2e5b7d",
    "b": "t-8c1f2a9e04b7",
    "c": "t-c47e90d1a2f3",
    "d": "t-e21b6f7c9d08",
}

DATES = [f"2025-03-{day:02d}T10:00:00+00:00" for day in range(1, 29)]


def _rule(
    rid: str, section: str, kind: str, title: str, text: str, traces: list[str], quote: str
) -> ProvenanceRule:
    return ProvenanceRule(
        id=rid,
        section=section,
        kind=kind,
        title=title,
        text=text,
        support=len(traces),  # type: ignore[arg-type]
        trace_ids=traces,
        evidence=[
            Evidence(trace_id=t, step=4 + i, quote=quote, source="traces/pdf-session.jsonl")
            for i, t in enumerate(traces)
        ],
    )


def provenance(version: str, *, xfa: bool, appearances: bool) -> dict[str, Any]:
    """Provenance in the shape distill writes (``skillforge.models.provenance.Provenance``)."""
    a, b, c, d = TRACES["a"], TRACES["b"], TRACES["c"], TRACES["d"]
    rules = [
        _rule(
            "fields-first",
            "Procedure",
            "procedure",
            "List the fields before filling",
            "List the fields first: `python scripts/fields.py form.pdf`.",
            [a, b, c],
            "KeyError: '/Name'",
        ),
        _rule(
            "fill-each-page",
            "Procedure",
            "recovery",
            "Fill fields page by page",
            "Fill every page with `writer.update_page_form_field_values(page, values)`.",
            [b, c],
            "only the first page was filled",
        ),
        _rule(
            "new-file",
            "Procedure",
            "guardrail",
            "Never overwrite the input PDF",
            "Write to a new file; never overwrite the input.",
            [a],
            "the original form was lost",
        ),
        _rule(
            "checkbox-names",
            "Pitfalls",
            "pitfall",
            "Checkbox values are names",
            "Checkbox values are names such as `/Yes`, not `True`.",
            [c, d],
            "checkbox stayed empty",
        ),
    ]
    if xfa:
        rules.append(
            _rule(
                "xfa",
                "Pitfalls",
                "failure_cause",
                "XFA forms cannot be filled",
                "XFA forms cannot be filled with pypdf; see references/xfa.md.",
                [d],
                "/XFA found in AcroForm",
            )
        )
    if appearances:
        rules.append(
            _rule(
                "need-appearances",
                "Pitfalls",
                "recovery",
                "Ask viewers to regenerate appearances",
                "Set `writer.set_need_appearances_writer(True)` or viewers show empty fields.",
                [a, d],
                "fields look empty in Preview",
            )
        )
    return Provenance(
        skill="pdf-forms",
        version=version,
        analyzer="heuristic",
        sources=[
            ProvenanceSource(
                path="traces/pdf-session.jsonl", format="claude_code", trace_ids=sorted(TRACES.values())
            )
        ],
        rules=rules,
    ).model_dump(mode="json")


def simple_skill(name: str, description: str, body: str, tags: str) -> str:
    return skill_md(name, description, body, frontmatter=f"metadata:\n  tags: {tags}")


class Clock:
    """Sets the time git and the registry stamp the next write with."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.monkeypatch = monkeypatch
        self.step = 0
        self.now = datetime.fromisoformat(DATES[0])
        clock = self

        class FixedDateTime(datetime):
            @classmethod
            def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
                return clock.now.astimezone(tz or timezone.utc)

        # Events are stamped with datetime.now() by the registry; pin it like GIT_*_DATE pins git.
        monkeypatch.setattr(registry_store, "datetime", FixedDateTime)

    def tick(self) -> None:
        self.now = datetime.fromisoformat(DATES[self.step])
        self.step += 1
        for var in ("GIT_AUTHOR_DATE", "GIT_COMMITTER_DATE"):
            self.monkeypatch.setenv(var, DATES[self.step - 1])


def build_registry(path: Path, src: Path, clock: Clock) -> Registry:
    """pdf-forms 0.1.0 → 0.2.0 → (evolve round rejected) → 0.3.0 (evolve accepted); git-bisect; release-notes pinned."""
    reg = open_registry(path)
    skill = src / "pdf-forms"
    clock.tick()
    write_skill_folder(skill, V1, {"scripts/fields.py": FIELDS_PY}, replace=True)
    reg.publish(
        skill,
        message="distilled from 4 Claude Code sessions",
        changelog=["add procedure", "add pitfalls"],
        provenance=provenance("0.1.0", xfa=False, appearances=False),
    )
    clock.tick()
    write_skill_folder(
        src / "git-bisect",
        simple_skill(
            "git-bisect",
            "Find the commit that broke a test with git bisect. Use when a regression appears.",
            "# git bisect\n\n## Procedure\n1. `git bisect start BAD GOOD`\n2. `git bisect run pytest -x tests/test_x.py`\n",
            "git, debugging",
        ),
        replace=True,
    )
    reg.publish(src / "git-bisect", message="first version")
    clock.tick()
    write_skill_folder(skill, V2, {"scripts/fields.py": FIELDS_PY, "references/xfa.md": XFA_MD}, replace=True)
    reg.publish(
        skill,
        bump="minor",
        message="XFA forms: explain why they fail",
        changelog=["add XFA pitfall", "add references/xfa.md"],
        provenance=provenance("0.2.0", xfa=True, appearances=False),
    )
    clock.tick()
    rejected = RoundReport(
        round=1,
        base_version="0.2.0",
        failures_analysed=3,
        edits=["append to Procedure: flatten after filling"],
        decision="rejected",
        gate=GateDecision(
            accepted=False,
            reason="1 held-out task regressed (fill-w9)",
            before=PassCount(passed=4, total=5),
            after=PassCount(passed=3, total=5),
            regressions=["fill-w9"],
        ),
    )
    reg.record_event("pdf-forms", "evolve-rejected", rejected.model_dump(mode="json"))
    clock.tick()
    write_skill_folder(
        src / "release-notes",
        simple_skill(
            "release-notes",
            "Write release notes from merged pull requests. Use when preparing a release.",
            "# Release notes\n\nGroup changes by Added / Fixed / Removed.\n",
            "docs, release",
        ),
        replace=True,
    )
    reg.publish(src / "release-notes", message="first version")
    clock.tick()
    write_skill_folder(
        src / "release-notes",
        simple_skill(
            "release-notes",
            "Write release notes from merged pull requests. Use when preparing a release.",
            "# Release notes\n\nGroup changes by Added / Fixed / Removed / Security.\n",
            "docs, release",
        ),
        replace=True,
    )
    reg.publish(src / "release-notes", message="add a Security group")
    clock.tick()
    reg.pin("release-notes", "0.1.0", message="0.1.1 not reviewed yet")
    clock.tick()
    accepted = RoundReport(
        round=1,
        base_version="0.2.0",
        failures_analysed=2,
        edits=["add pitfall: NeedAppearances"],
        # As evolve stores it: the report is dumped before its decision is set to "accepted".
        decision="no-change",
        gate=GateDecision(
            accepted=True,
            reason="held-out pass rate 3/5 → 5/5, no regressions",
            before=PassCount(passed=3, total=5),
            after=PassCount(passed=5, total=5),
            improvements=["fill-1040", "fill-w9"],
        ),
    )
    write_skill_folder(skill, V3, {"scripts/fields.py": FIELDS_PY, "references/xfa.md": XFA_MD}, replace=True)
    reg.publish(
        skill,
        bump="minor",
        message="evolve round 1: 1 failure cluster(s); held-out pass rate 3/5 → 5/5",
        changelog=["add pitfall: NeedAppearances"],
        extra={"evolve": accepted.model_dump(mode="json", exclude={"clusters"})},
        provenance=provenance("0.3.0", xfa=True, appearances=True),
    )
    clock.tick()
    return reg
