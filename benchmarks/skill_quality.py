"""Are distilled skills as clean as human-written ones? (``skillforge lint`` figures side by side)

Distills ``examples/`` twice into temporary folders (nothing is published, no network):

- ``offline``: the embedded heuristic analyzer (``skillforge.run_distill``);
- ``fake``: the model analyzer with the offline ``--model fake`` (``ModelAnalyzer``, fresh cache);

and lints both, plus the human-written skills vendored in ``benchmarks/human_skills`` (Apache-2.0
skills from anthropics/skills, see SOURCES.md). Prints one row per metric with the default limit
(the "Done when" targets of issue 12); ``--json`` prints the three reports instead. Exit code 1
when the offline set breaks a limit (the figure issue 12 is judged on), else 0.

    python benchmarks/skill_quality.py [--json] [--examples DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from skillforge.distill.model.run import ModelAnalyzer, ModelOptions  # noqa: E402
from skillforge.distill.pipeline import run_distill  # noqa: E402
from skillforge.models.lint import LintReport, Thresholds  # noqa: E402
from skillforge.models.llm import LLMSettings  # noqa: E402
from skillforge.skills.lint import lint_paths  # noqa: E402

HUMAN = ROOT / "benchmarks" / "human_skills"
EXAMPLES = ROOT / "examples"

# (metric, label, how to show it)
ROWS = [
    ("skills", "skills", "n"), ("rules", "rules", "n"),
    ("run_specific", "run-specific rules", "%"), ("vague", "vague actions", "%"),
    ("near_duplicates", "near-duplicate rules", "%"), ("templated_descriptions", "templated descriptions", "%"),
    ("description_similarity", "median nearest-description similarity", "f"),
    ("boilerplate", "boilerplate words", "%"), ("reference_duplication", "rules copied into references/", "%"),
    ("sprawl", "skills with <= 2 rules", "%"), ("rationale", "rules that say why", "%"),
    ("code_blocks", "fenced code blocks", "n"), ("outcome_consistency", "outcome consistency", "%"),
]


def distill_offline(examples: Path, out: Path) -> Path:
    run_distill([examples], out)
    return out


def distill_fake(examples: Path, out: Path, cache: Path) -> Path:
    options = ModelOptions(settings=LLMSettings(model="fake"), cache_dir=cache)
    run_distill([examples], out, analyzer=ModelAnalyzer(options))
    return out


def _cell(value: object, how: str) -> str:
    if value is None:
        return "n/a"
    if how == "%":
        return f"{float(value) * 100:.1f} %"  # type: ignore[arg-type]
    if how == "f":
        return f"{float(value):.2f}"  # type: ignore[arg-type]
    return str(value)


def _limit(metric: str, thresholds: Thresholds) -> str:
    limits = thresholds.model_dump()
    if metric not in limits:
        return ""
    op = ">=" if metric == "outcome_consistency" else "<="
    value = limits[metric]
    return f"{op} {value:.2f}" if metric == "description_similarity" else f"{op} {value * 100:.0f} %"


def render(reports: dict[str, LintReport]) -> str:
    """The plain side-by-side table: one row per metric, one column per set, then the limit."""
    thresholds = Thresholds()
    headers = ["metric", *reports, "limit"]
    rows = [[label, *(_cell(getattr(r.set, metric), how) for r in reports.values()), _limit(metric, thresholds)]
            for metric, label, how in ROWS]
    rows.append(["over the limit", *(", ".join(v.metric for v in r.violations) or "none" for r in reports.values()),
                 ""])
    widths = [max(len(str(row[i])) for row in [headers, *rows]) for i in range(len(headers))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=False)).rstrip() for row in [headers, *rows]]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the three lint reports as JSON")
    parser.add_argument("--examples", type=Path, default=EXAMPLES, help="inputs to distill (default: examples/)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        # Nothing may land in the user's skillforge home or cache: both point into the temporary folder.
        os.environ["SKILLFORGE_HOME"] = str(work / "home")
        os.environ["SKILLFORGE_CACHE"] = str(work / "cache")
        offline = distill_offline(args.examples, work / "offline")
        fake = distill_fake(args.examples, work / "fake", work / "cache")
        reports = {
            "offline": lint_paths([offline]),
            "fake model": lint_paths([fake]),
            "human": lint_paths([HUMAN]),
        }
        # The temporary paths would change every run; name the sets instead.
        for name in ("offline", "fake model"):
            reports[name] = reports[name].model_copy(update={"paths": [f"{name} distill of {args.examples}"]})
    if args.json:
        print(json.dumps({k: r.model_dump(mode="json") for k, r in reports.items()}, indent=2, sort_keys=True))
    else:
        print(render(reports))
    return 1 if reports["offline"].violations else 0


if __name__ == "__main__":
    raise SystemExit(main())
