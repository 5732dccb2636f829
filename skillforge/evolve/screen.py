"""The scan a rewritten skill passes before evolve or ``correct`` publishes it.

The publish gate trusts a skill's own ``skillforge: ignore[...]`` markers and ``.skillforgeignore``:
they are its author's. A rewrite is not written by the author: a correction text or a model edit
can carry a marker that silences the very command it adds. So the candidate is scanned again with
the skill's markers disregarded, and any high-severity finding the base version did not already
have refuses the rewrite (findings the base had, silenced by its author, stay as they were).
"""

from __future__ import annotations

from pathlib import Path

from skillforge.errors import ScanRefused
from skillforge.scan.paths import scan_skill


def check_rewrite(base_dir: Path, candidate_dir: Path) -> None:
    """Raise ``ScanRefused`` when ``candidate_dir`` adds a high-severity finding to ``base_dir``."""
    def keys(folder: Path) -> dict[tuple[str, str, str], str]:
        report = scan_skill(folder, trust_content=False)
        return {(f.rule_id, Path(f.file).name, f.excerpt): f"{f.rule_id}: {f.excerpt}" for f in report.high}

    before = keys(base_dir)
    added = [text for key, text in keys(candidate_dir).items() if key not in before]
    if added:
        more = f" (and {len(added) - 1} more)" if len(added) > 1 else ""
        raise ScanRefused(
            f"security scan refused the rewrite: it adds a high-severity finding, {added[0]}{more}; "
            "nothing was published",
            hint="an ignore marker inside a correction or a model edit does not count; "
            "fix the skill by hand and publish it",
        )
