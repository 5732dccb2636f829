"""The last check before distill writes a skill: scan the package exactly as it will be written."""

from __future__ import annotations

from skillforge.models import SkillPackage
from skillforge.models.scan import Finding
from skillforge.scan.content import MARKDOWN_SUFFIXES, risky_markdown, scan_text
from skillforge.scan.detect import dedupe


def scan_rendered(package: SkillPackage) -> list[Finding]:
    """Every finding in ``package`` as rendered (SKILL.md with its frontmatter, then each file in path order).

    Nothing inside the package can suppress a finding (it was generated from untrusted input), and
    distilled Markdown is also read for commands in plain prose. Findings are located at
    ``<skill name>/<path>:<line>``; a caller refuses to write the skill when any is high.
    """
    from skillforge.skills.frontmatter import render

    files = {"SKILL.md": render(package.frontmatter, package.body), **package.files}
    out: list[Finding] = []
    for rel in sorted(files):
        shown = f"{package.name}/{rel}"
        out += scan_text(rel, files[rel], file=shown)
        if rel == "SKILL.md" or any(rel.lower().endswith(s) for s in MARKDOWN_SUFFIXES):
            out += risky_markdown(files[rel], file=shown)
    return sorted(dedupe(out), key=Finding.sort_key)
