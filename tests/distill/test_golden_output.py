"""``skillforge distill examples/`` writes exactly the files it wrote before a refactor.

The manifests under ``tests/data/golden/`` hold the sha256 of every file the bundled example run
writes, offline and with ``--model fake``. A change that is meant to alter the skills (quality
work) regenerates them on purpose::

    SKILLFORGE_UPDATE_GOLDEN=1 python -m pytest tests/distill/test_golden_output.py

and the diff of the manifest shows which files changed; a refactor must leave them alone.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli

ROOT = Path(__file__).resolve().parents[2]
GOLDEN = ROOT / "tests" / "data" / "golden"


def _manifest(out: Path) -> str:
    lines = []
    for path in sorted(p for p in out.rglob("*") if p.is_file()):
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        lines.append(f"{digest}  {path.relative_to(out).as_posix()}")
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["offline", "fake", "fake-helpers"])
def test_example_output_is_byte_identical(mode: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(ROOT)  # provenance records the input paths as given: relative, as in README
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("SKILLFORGE_HOME", str(tmp_path / "home" / ".skillforge"))
    out = tmp_path / "out"
    args = ["distill", "examples", "-o", str(out), "--no-publish"]
    if mode.startswith("fake"):
        args += ["--model", "fake"]
    if mode == "fake-helpers":
        # Model calls in helper processes: where litellm runs must not change a byte of the output.
        args += ["--call-processes", "2"]
        mode = "fake"
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        from skillforge.llm import call_pool

        call_pool._close_all()  # the helpers would otherwise idle until the test session ends
    assert result.exit_code == 0, result.output
    manifest = _manifest(out)
    golden = GOLDEN / f"examples_{mode}.sha256"
    if os.environ.get("SKILLFORGE_UPDATE_GOLDEN"):
        golden.write_text(manifest, encoding="utf-8")
    assert manifest == golden.read_text(encoding="utf-8"), (
        f"distill examples/ ({mode}) no longer writes the same files; if that is intended, regenerate "
        f"{golden.relative_to(ROOT)} with SKILLFORGE_UPDATE_GOLDEN=1 and review its diff"
    )
