"""Skill-quality metrics: does a skill (or a set of skills) hold rules worth an agent's context?

``skillforge lint PATH...`` and ``distill``'s one-line summary both come from here. A **rule** is a
list item (bullet or numbered, at any indent) of SKILL.md outside fenced code, with skillforge's
``<!-- sf:… -->`` markers stripped. Rule shares are pooled over every rule of the set; skill shares
over every skill. Reference values were measured on 17 human-written skills (anthropics/skills);
the defaults of ``Thresholds`` are the targets of issue 12.

Each metric, with the value measured on human skills and the default limit:

- ``run_specific`` (human 0.02, limit ≤ 0.05): rules holding a value from one run: absolute
  paths, 5+ digit numbers, ``word_12345`` ids, ``AB123`` codes, uuids and long hex, session ids,
  ``edit N:M`` / ``lines N-M`` / ``file.py:12``, test node ids (``test_x.py::test_y``), scratch scripts (``reproduce*.py``,
  ``verify_*.py``, ``test_fix*.py``, ``debug*.py``, ``scratch*``). Placeholders (``{path}``,
  ``<file>``), system paths (``/dev/null``) and hex colours are fine.
- ``vague`` (human 0.00, ≤ 0.05): rules whose action does not say what to do: "fix (or find) the
  cause", "retry with a corrected …", "look further", "retrying did not help", "try again",
  "investigate the issue".
- ``near_duplicates`` (human 0.06, ≤ 0.10): rules with token Jaccard ≥ 0.6 to another rule of the
  same skill, after lower-casing and masking digits and ids.
- ``templated_descriptions`` (human 0.00, limit 0): skills whose description is a table of
  contents: counts ("N … (s)", "N rules"), "distilled from", "N known".
- ``description_similarity`` (human 0.14, ≤ 0.30): median over the skills of the highest token
  Jaccard (stop-words removed) of a description to another description of the set.
- ``boilerplate`` (human 0.00, ≤ 0.10): share of SKILL.md body words in banners ("Distilled by",
  "Details and examples"), run counts ("(3/7 runs)", "worked in N run(s)", "N× in N run(s)"), the
  description repeated verbatim, and "When to use" lines that only restate section names.
- ``reference_duplication`` (human 0.00, ≤ 0.20): rules whose normalized text (6+ words) appears
  verbatim in another Markdown or text file of the skill (``references/``).
- ``sprawl`` (human 0.06, ≤ 0.15): skills with two rules or fewer.
- ``rationale`` (reported only): rules that say why ("because", "so that", "otherwise", "since",
  "— reason", "to avoid", "which …").
- ``code_blocks`` (reported only): fenced code blocks in SKILL.md.
- ``outcome_consistency`` (should be 1.0, limit ≥ 1.0): from provenance, the share of "what worked"
  rules (recovery, success_pattern, procedure tagged ``source:trace``) that no failed run
  supports (``harmful == 0``); the set figure is the lowest skill's. None without provenance.

The human values are from 17 anthropics/skills skills. On the ten vendored in
``benchmarks/human_skills`` near-duplicates (0.07) and sprawl (0.10: frontend-design is prose with
no list) come out above that reference, every figure within the limits;
``benchmarks/skill_quality.py`` prints the current figures.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from pathlib import Path

from skillforge.errors import InputError, SkillforgeError, SpecError
from skillforge.models.lint import LintReport, SetMetrics, SkillDoc, SkillMetrics, Thresholds, Violation
from skillforge.models.provenance import Provenance
from skillforge.skills.frontmatter import split
from skillforge.skills.lint_text import (
    boilerplate_spans,
    code_blocks,
    description_tokens,
    is_templated_description,
    jaccard,
    normalize,
    rule_tokens,
    rules_of,
    run_specific_match,
    says_why,
    vague_match,
    word_count,
)
from skillforge.skills.provenance import read_provenance

__all__ = [
    "QualityThresholdExceeded",
    "check",
    "lint_paths",
    "lint_skill",
    "lint_skills",
    "load_skills",
    "summary_line",
]

NEAR_DUPLICATE = 0.6
SPRAWL_RULES = 2
MIN_COPIED_WORDS = 6
WORKED_KINDS = frozenset({"recovery", "success_pattern", "procedure"})
_MAX_FLAGGED = 20
_MAX_FILE_BYTES = 2_000_000


class QualityThresholdExceeded(SkillforgeError):
    """``lint --strict``: a set figure is outside its threshold."""


# -- one skill -----------------------------------------------------------------------------------


def lint_skill(skill: SkillDoc) -> SkillMetrics:
    """The figures of one skill on its own (description similarity needs the set: see ``lint_skills``)."""
    rules = rules_of(skill.body)
    flagged: dict[str, list[str]] = {}

    def share(metric: str, hits: list[str]) -> float | None:
        if hits:
            flagged[metric] = hits[:_MAX_FLAGGED]
        return len(hits) / len(rules) if rules else None

    run_specific = [f"{r}  [{label}]" for r in rules if (label := run_specific_match(r))]
    vague = [r for r in rules if vague_match(r)]
    tokens = [rule_tokens(r) for r in rules]
    duplicates = [
        r for i, r in enumerate(rules)
        if any(j != i and jaccard(tokens[i], t) >= NEAR_DUPLICATE for j, t in enumerate(tokens) if t)
    ]
    references = "\n".join(normalize(text) for rel, text in sorted(skill.files.items()) if _is_document(rel))
    normalized = [normalize(r) for r in rules]
    copied = [r for r, n in zip(rules, normalized, strict=False) if len(n.split()) >= MIN_COPIED_WORDS and n in references]
    words = word_count(skill.body)
    spans = boilerplate_spans(skill.body, skill.description)
    if spans:
        flagged["boilerplate"] = spans[:_MAX_FLAGGED]
    template = is_templated_description(skill.description)
    if template:
        flagged["templated_description"] = [template]
    return SkillMetrics(
        name=skill.name, path=skill.path, rules=len(rules), words=words,
        run_specific=share("run_specific", run_specific),
        vague=share("vague", vague),
        near_duplicates=share("near_duplicates", duplicates),
        templated_description=template is not None,
        boilerplate=min(1.0, sum(word_count(s) for s in spans) / words) if words else 0.0,
        reference_duplication=share("reference_duplication", copied),
        rationale=len([r for r in rules if says_why(r)]) / len(rules) if rules else None,
        code_blocks=code_blocks(skill.body),
        outcome_consistency=_outcome_consistency(skill.provenance, flagged),
        flagged=flagged,
    )


def _is_document(rel: str) -> bool:
    documents = (".md", ".markdown", ".txt", ".rst")
    return rel.lower().endswith(documents) and not rel.upper().startswith("LICENSE")


def _outcome_consistency(provenance: Provenance | None, flagged: dict[str, list[str]]) -> float | None:
    if provenance is None:
        return None
    worked = [r for r in provenance.rules if r.kind in WORKED_KINDS and "source:trace" in r.tags]
    if not worked:
        return None
    contradicted = [f"{r.text}  [harmful {r.harmful}]" for r in worked if r.harmful > 0]
    if contradicted:
        flagged["outcome_consistency"] = contradicted[:_MAX_FLAGGED]
    return 1 - len(contradicted) / len(worked)


# -- a set ---------------------------------------------------------------------------------------


def lint_skills(skills: Sequence[SkillDoc], thresholds: Thresholds | None = None,
                paths: Sequence[str] = ()) -> LintReport:
    """Per-skill and per-set figures of ``skills`` and the thresholds the set figures break."""
    thresholds = thresholds or Thresholds()
    ordered = sorted(skills, key=lambda s: (s.path, s.name))
    metrics = [lint_skill(s) for s in ordered]
    described = [description_tokens(s.description) for s in ordered]
    for i, m in enumerate(metrics):
        others = [(jaccard(described[i], d), ordered[j].name) for j, d in enumerate(described) if j != i]
        if others:
            best = min(others, key=lambda pair: (-pair[0], pair[1]))
            m.description_similarity, m.nearest = round(best[0], 4), best[1]
    figures = _set_metrics(metrics)
    return LintReport(paths=list(paths), skills=metrics, set=figures, thresholds=thresholds,
                      violations=check(figures, thresholds))


def _set_metrics(metrics: list[SkillMetrics]) -> SetMetrics:
    rules = sum(m.rules for m in metrics)
    words = sum(m.words for m in metrics)

    def pooled(metric: str) -> float | None:
        if not rules:
            return None
        return sum((getattr(m, metric) or 0.0) * m.rules for m in metrics) / rules

    worked = [m.outcome_consistency for m in metrics if m.outcome_consistency is not None]
    similarities = [m.description_similarity for m in metrics if m.description_similarity is not None]
    return SetMetrics(
        skills=len(metrics), rules=rules, words=words,
        run_specific=pooled("run_specific"), vague=pooled("vague"), near_duplicates=pooled("near_duplicates"),
        templated_descriptions=(sum(m.templated_description for m in metrics) / len(metrics)) if metrics else None,
        description_similarity=statistics.median(similarities) if similarities else None,
        boilerplate=sum(m.boilerplate * m.words for m in metrics) / words if words else None,
        reference_duplication=pooled("reference_duplication"),
        sprawl=sum(m.rules <= SPRAWL_RULES for m in metrics) / len(metrics) if metrics else None,
        rationale=pooled("rationale"),
        code_blocks=sum(m.code_blocks for m in metrics),
        # The worst skill decides: one contradicted rule anywhere is what the figure must show.
        outcome_consistency=min(worked) if worked else None,
    )


def check(figures: SetMetrics, thresholds: Thresholds) -> list[Violation]:
    """The set figures outside ``thresholds`` (a figure that is None breaks nothing)."""
    found = []
    for metric, limit in thresholds.model_dump().items():
        value = getattr(figures, metric)
        if value is None:
            continue
        minimum = metric == "outcome_consistency"
        # A small tolerance: shares like 1/20 must not fail a 0.05 limit by a rounding error.
        if (value < limit - 1e-9) if minimum else (value > limit + 1e-9):
            found.append(Violation(metric=metric, value=round(value, 4), limit=limit, minimum=minimum))
    return found


# -- reading skills ------------------------------------------------------------------------------


def load_skills(paths: Iterable[str | Path]) -> list[SkillDoc]:
    """The skills under ``paths``: a skill folder, a folder of skill folders (``out/``, a host's
    skills folder), or a registry (latest or pinned version of every skill, with its provenance).

    Raises ``InputError`` for a path that holds no skill.
    """
    found: list[SkillDoc] = []
    for raw in paths:
        path = Path(raw).expanduser()
        if not path.exists():
            raise InputError("no such file or folder", path=path)
        if _is_registry(path):
            found.extend(_registry_skills(path))
            continue
        folders = _skill_folders(path)
        if not folders:
            raise InputError("no skill here: neither a SKILL.md nor folders holding one", path=path,
                             hint="pass a skill folder, a folder of skills or a registry")
        found.extend(_folder_skill(folder) for folder in folders)
    return found


def lint_paths(paths: Sequence[str | Path], thresholds: Thresholds | None = None) -> LintReport:
    """``load_skills`` then ``lint_skills``: what ``skillforge lint PATH...`` reports."""
    return lint_skills(load_skills(paths), thresholds, paths=[str(p) for p in paths])


def _skill_folders(path: Path) -> list[Path]:
    if path.is_file() and path.name.lower() == "skill.md":
        return [path.parent]
    if not path.is_dir():
        return []
    if _skill_md(path):
        return [path]
    return sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".") and _skill_md(p))


def _skill_md(folder: Path) -> Path | None:
    for name in ("SKILL.md", "skill.md"):
        if (folder / name).is_file():
            return folder / name
    return None


def _folder_skill(folder: Path) -> SkillDoc:
    skill_md = _skill_md(folder)
    assert skill_md is not None
    files: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        rel = path.relative_to(folder).as_posix()
        hidden = any(part.startswith(".") for part in rel.split("/"))
        if path == skill_md or hidden or path.is_symlink() or not path.is_file():
            continue
        if path.stat().st_size > _MAX_FILE_BYTES:
            continue
        try:
            files[rel] = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
    try:
        provenance = read_provenance(folder)
    except InputError:
        provenance = None  # a damaged provenance file only costs the outcome figure
    return _doc(str(folder), folder.name, _read(skill_md), files, provenance)


def _doc(path: str, fallback_name: str, content: str, files: dict[str, str],
         provenance: Provenance | None) -> SkillDoc:
    try:
        data, body = split(content, path)
    except SpecError:
        data, body = {}, content  # lint what is there; `skillforge validate` reports the frontmatter
    raw_name, raw_description = data.get("name"), data.get("description")
    name = raw_name if isinstance(raw_name, str) else fallback_name
    description = raw_description if isinstance(raw_description, str) else ""
    return SkillDoc(name=name, path=path, description=" ".join(description.split()), body=body,
                    files=files, provenance=provenance)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"SKILL.md is not valid UTF-8 (byte {exc.start})", path=path) from None


def _is_registry(path: Path) -> bool:
    from skillforge.registry.layout import MARKER

    return path.is_dir() and (path / MARKER).is_file() and (path / ".git").exists()


def _registry_skills(path: Path) -> list[SkillDoc]:
    from pydantic import ValidationError

    from skillforge.registry import open_registry

    registry = open_registry(path)
    found = []
    for summary in registry.skills():
        version = registry.resolve(summary.name)
        files = registry.files(summary.name, version)
        content = files.pop("SKILL.md", None) or files.pop("skill.md", "")
        raw = registry.provenance(summary.name, version)
        try:
            provenance = Provenance.model_validate(raw) if raw else None
        except ValidationError:
            provenance = None
        found.append(_doc(f"registry:{summary.name}@{version}", summary.name, content,
                          {k: v for k, v in files.items() if len(v) <= _MAX_FILE_BYTES}, provenance))
    return found


# -- one line for distill ------------------------------------------------------------------------


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{round(value * 100):.0f} %"


def summary_line(report: LintReport) -> str:
    """One line of the set figures, e.g. ``Quality: 0 % run-specific, 0 % vague, 3 % near-duplicate, …``."""
    s = report.set
    similarity = "n/a" if s.description_similarity is None else f"{s.description_similarity:.2f}"
    parts = [
        f"{_pct(s.run_specific)} run-specific", f"{_pct(s.vague)} vague", f"{_pct(s.near_duplicates)} near-duplicate",
        f"{_pct(s.templated_descriptions)} templated descriptions", f"{_pct(s.boilerplate)} boilerplate",
        f"{_pct(s.reference_duplication)} copied into references", f"{_pct(s.sprawl)} tiny skills",
        f"description similarity {similarity}",
    ]
    if s.outcome_consistency is not None:
        parts.append(f"{_pct(s.outcome_consistency)} outcome-consistent")
    over = f"; {len(report.violations)} over the limit" if report.violations else ""
    where = " ".join(report.paths) or "PATH"
    return f"Quality: {', '.join(parts)}{over} (skillforge lint {where} for details)"
