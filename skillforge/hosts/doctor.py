"""``doctor``: the health of the whole installed skill set, as each host would load it.

For every host checked it lists the skills the host loads (both scopes, every folder it reads,
Claude Code plugin skills) and reports findings a user cannot see from inside the host:

- ``name-collision`` — one name (also differing only in case or ``_``/``-``) in two places one host
  reads; which copy wins by that host's documented precedence (``budgets.json``) and which is hidden.
- ``trigger-overlap`` — two descriptions so alike they compete (``doctor_overlap``).
- ``budget`` — the listing against the host's budget and the skills whose descriptions it cuts
  (``doctor_budget``).
- ``oversized`` (SKILL.md over 500 lines or ~5k tokens), ``invalid`` (spec), ``unsafe`` (scan high),
  ``unused`` (not loaded in the session logs given with ``usage``).

``run_doctor`` is the library entry point; ``DoctorReport.exit_code`` is 1 when a skill is hidden or
cut or a finding is high, else 0 (``strict``: any finding).
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from skillforge.hosts.base import HostAdapter, all_adapters, get_adapter
from skillforge.hosts.doctor_budget import BudgetReport, simulate
from skillforge.hosts.doctor_data import HostListing, listing_for
from skillforge.hosts.doctor_discover import LoadedSkill, host_skills
from skillforge.hosts.doctor_overlap import OVERLAP_THRESHOLD, overlapping_pairs
from skillforge.skills.validate import MAX_SKILL_MD_LINES, validate_skill

Kind = Literal["name-collision", "trigger-overlap", "budget", "oversized", "invalid", "unsafe", "unused"]
Severity = Literal["high", "medium", "low"]
MAX_SKILL_MD_TOKENS = 5000
CHARS_PER_TOKEN = 4  # the rough rate both Claude Code and Codex use for their own budgets


class DoctorFinding(BaseModel):
    kind: Kind
    severity: Severity
    host: str | None = Field(description="the hosts it applies to, comma-separated; None when none loads it")
    hosts: list[str] = Field(default_factory=list)
    skills: list[str] = Field(description="skill folders involved")
    message: str
    fix: str
    blocking: bool = Field(default=False, description="a skill is hidden or cut, or the finding is high")


class HostSkills(BaseModel):
    host: str
    skills: list[LoadedSkill]
    hidden: list[str] = Field(default_factory=list, description="folders another copy of the name hides")


class DoctorReport(BaseModel):
    project: str | None
    hosts: list[HostSkills]
    findings: list[DoctorFinding]
    budgets: list[BudgetReport]
    overlap_threshold: float = OVERLAP_THRESHOLD

    def exit_code(self, strict: bool = False) -> int:
        if any(f.blocking for f in self.findings) or (strict and self.findings):
            return 1
        return 0


def run_doctor(
    project: Path | None = None,
    hosts: Sequence[str] = (),
    *,
    context_tokens: int | None = None,
    usage: Mapping[str, int] | None = None,
    scan: bool = True,
) -> DoctorReport:
    """Check the skills every chosen host loads (default: hosts detected here or holding any skill).

    ``usage`` maps skill names to load counts from session logs: Claude Code keeps descriptions of
    the most-used skills first, and skills missing from it are reported ``unused``.
    """
    project = project.absolute() if project else None
    adapters = [get_adapter(h) for h in hosts] if hosts else _default_adapters(project)
    findings: list[DoctorFinding] = []
    budgets: list[BudgetReport] = []
    views: list[HostSkills] = []
    for adapter in adapters:
        listing = listing_for(adapter.name)
        skills = host_skills(adapter, project, scan_depth=listing.scan_depth, plugins=listing.plugins)
        view = HostSkills(host=adapter.name, skills=skills)
        findings += _collisions(adapter.name, skills, listing, view)
        listed = [s for s in skills if s.path not in view.hidden or _lists_duplicates(listing)]
        if adapter.name == "codex":  # its loader drops what it cannot parse or what is too long
            listed = [s for s in listed if s.parsed and len(s.description) <= 1024]
        scope = "project+global" if project else "global"
        report = simulate(adapter.name, scope, listed, listing.budget, context_tokens=context_tokens, usage=usage)
        budgets.append(report)
        if report.cut or report.omitted:
            findings.append(_budget_finding(adapter.name, report, listing, listed))
        for a, b, score in overlapping_pairs([s for s in skills if s.path not in view.hidden]):
            findings.append(_finding(
                "trigger-overlap", "medium", adapter.name, [a.path, b.path],
                f"{a.name} and {b.name} describe the same kind of task (word overlap {score:.2f} >= "
                f"{OVERLAP_THRESHOLD}); the router may pick either one",
                f"make each description say what only that skill does and when not to use it, or merge them "
                f"(check with `skillforge lint {a.path} {b.path}`)",
            ))
        views.append(view)
    findings += _per_skill(views, usage, scan)
    return DoctorReport(
        project=str(project) if project else None,
        hosts=views,
        findings=_merge(findings),
        budgets=budgets,
    )


def _default_adapters(project: Path | None) -> list[HostAdapter]:
    chosen = []
    for adapter in all_adapters():
        if adapter.spec.adapter:  # index-file hosts (AGENTS.md) do not load skill folders
            continue
        if adapter.detect().found or host_skills(adapter, project):
            chosen.append(adapter)
    return chosen


def _lists_duplicates(listing: HostListing) -> bool:
    return bool(listing.precedence and listing.precedence.duplicates_listed)


def _finding(kind: Kind, severity: Severity, host: str | None, skills: list[str], message: str, fix: str,
             blocking: bool | None = None) -> DoctorFinding:
    return DoctorFinding(
        kind=kind, severity=severity, host=host, hosts=[host] if host else [], skills=skills,
        message=message, fix=fix, blocking=severity == "high" if blocking is None else blocking,
    )


def _rank(skill: LoadedSkill, listing: HostListing) -> tuple[int, int, str]:
    # Documented order when there is one; else the Agent Skills client guide: project overrides user.
    scopes = listing.precedence.scopes if listing.precedence else ["project", "global"]
    origin = {"admin": "global", "plugin": "global"}.get(skill.origin, skill.origin)
    admin_last = 1 if skill.origin == "admin" else 0
    return (scopes.index(origin) * 2 + admin_last, skill.root_index, skill.path)  # type: ignore[arg-type]


def _collisions(host: str, skills: list[LoadedSkill], listing: HostListing, view: HostSkills) -> list[DoctorFinding]:
    groups: dict[str, list[LoadedSkill]] = {}
    for skill in skills:
        groups.setdefault(skill.key, []).append(skill)
    found = []
    for group in groups.values():
        if len(group) < 2:
            continue
        group.sort(key=lambda s: _rank(s, listing))
        winner, losers = group[0], group[1:]
        names = sorted({s.name for s in group})
        loose = " (the names differ only in case or _/-)" if len(names) > 1 else ""
        same = len({_digest(s) for s in group}) == 1
        where = ", ".join(f"{s.origin} {s.path}" for s in losers)
        if listing.precedence is None:
            why = "precedence is not documented for this host; assumed project over global"
        else:
            why = f"{listing.precedence.source.split(':')[0]} [{listing.precedence.status}]"
        if same:
            message = (f"{winner.name} is installed {len(group)} times with the same content; only one is "
                       f"used but every copy may cost listing space ({where})")
            fix = f"remove the extra copies: {where}"
            found.append(_finding("name-collision", "low", host, [s.path for s in group], message, fix, False))
            view.hidden += [s.path for s in losers]
            continue
        if _lists_duplicates(listing):
            message = (f"{' / '.join(names)}{loose}: {len(group)} different skills share one name; the host lists "
                       f"all of them and the model cannot tell them apart; {winner.origin} {winner.path} is listed "
                       f"first, {where} is shadowed ({why})")
        else:
            verb = "ranks first and may hide" if loose else "wins and hides"
            message = f"{' / '.join(names)}{loose}: {winner.origin} {winner.path} {verb} {where} ({why})"
        fix = (f"rename one skill (its folder and `name:`) or remove the copy you do not want "
               f"(`skillforge uninstall {losers[0].name}` if skillforge installed it, else delete {losers[0].path})")
        found.append(_finding("name-collision", "high", host, [s.path for s in group], message, fix))
        view.hidden += [s.path for s in losers]
    return found


def _digest(skill: LoadedSkill) -> str:
    try:
        return hashlib.sha256(Path(skill.skill_md).read_bytes()).hexdigest()
    except OSError:
        return skill.path


def _budget_finding(host: str, report: BudgetReport, listing: HostListing,
                    listed: list[LoadedSkill]) -> DoctorFinding:
    budget = listing.budget
    assert budget is not None and report.budget_chars is not None
    share = (f"{budget.fraction:.0%} of a {report.context_tokens:,}-token context" if report.context_tokens
             else f"the {budget.fallback_chars:,}-character fallback used when the context size is unknown")
    lost = {"names-only": "lose their description", "shortened": "have their description shortened",
            "omitted": "are left out"}[report.mode] if report.mode != "fits" else "are cut"
    names = report.omitted or report.cut
    message = (f"listing is {report.used_chars:,} characters for a budget of ~{report.budget_chars:,} "
               f"({share}); {len(names)} of {report.skills} skills {lost}: "
               f"{', '.join(names[:8])}{' …' if len(names) > 8 else ''}")
    by_path = {s.name: s.path for s in listed}
    fix = ("shorten the longest descriptions (keep the trigger words first), remove skills you do not use "
           "(`skillforge usage` shows which)" + (f", or raise {budget.settings}" if budget.settings else ""))
    return _finding("budget", "high", host, sorted({by_path[n] for n in names if n in by_path}), message, fix)


def _per_skill(views: list[HostSkills], usage: Mapping[str, int] | None, scan: bool) -> list[DoctorFinding]:
    """Findings about one skill folder whoever loads it: invalid, oversized, unsafe, unused."""
    loaders: dict[str, list[str]] = {}
    skills: dict[str, LoadedSkill] = {}
    for view in views:
        for skill in view.skills:
            loaders.setdefault(skill.path, []).append(view.host)
            skills.setdefault(skill.path, skill)
    found = []
    for path in sorted(skills):
        skill, hosts = skills[path], ", ".join(loaders[path])
        if skill.origin != "plugin":
            errors = validate_skill(path).errors
            if errors:
                found.append(_finding(
                    "invalid", "high", hosts, [path],
                    f"{skill.name}: {'; '.join(p.message for p in errors[:3])}",
                    f"fix the frontmatter (`skillforge validate {path}` lists every problem); hosts may skip it",
                ))
        tokens = skill.chars // CHARS_PER_TOKEN
        if skill.lines > MAX_SKILL_MD_LINES or tokens > MAX_SKILL_MD_TOKENS:
            found.append(_finding(
                "oversized", "medium", hosts, [path],
                f"{skill.name}: SKILL.md has {skill.lines} lines (~{tokens:,} tokens); keep it under "
                f"{MAX_SKILL_MD_LINES} lines and ~{MAX_SKILL_MD_TOKENS:,} tokens",
                "move detail into references/ files that SKILL.md links to",
            ))
        if scan:
            found += _unsafe(skill, hosts)
        if usage is not None and skill.name not in usage:
            found.append(_finding(
                "unused", "low", hosts, [path],
                f"{skill.name} was not loaded in any session of the logs read",
                "uninstall it if nobody needs it: every listed skill costs listing space in every session",
            ))
    return found


def _unsafe(skill: LoadedSkill, hosts: str) -> list[DoctorFinding]:
    from skillforge.scan import scan_skill  # the scanner is heavy; only load it when scanning

    high = scan_skill(Path(skill.path), trust_content=False).at("high")
    if not high:
        return []
    rules = sorted({f.rule_id for f in high})
    return [_finding(
        "unsafe", "high", hosts, [skill.path],
        f"{skill.name}: {len(high)} high-severity scan finding(s): {', '.join(rules)}",
        f"read `skillforge scan {skill.path}` and remove the skill unless you trust every flagged line",
    )]


def _merge(findings: list[DoctorFinding]) -> list[DoctorFinding]:
    """One finding per (kind, skills, message) with every host it applies to; stable order."""
    merged: dict[tuple[str, tuple[str, ...], str], DoctorFinding] = {}
    for f in findings:
        key = (f.kind, tuple(f.skills), f.message)
        if key in merged:
            into = merged[key]
            into.hosts = sorted(set(into.hosts) | set(f.hosts))
            into.host = ", ".join(into.hosts) or None
        else:
            hosts = sorted({h.strip() for h in (f.host or "").split(",") if h.strip()})
            merged[key] = f.model_copy(update={"hosts": hosts, "host": ", ".join(hosts) or None})
    order = {"high": 0, "medium": 1, "low": 2}
    return sorted(merged.values(), key=lambda f: (order[f.severity], f.kind, f.skills, f.message))
