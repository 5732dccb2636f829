"""Compiled Python in a skill is code the scan cannot read, and Python runs it.

Red-team finding: a skill whose ``scripts/run.py`` puts ``assets/`` on ``sys.path`` and imports
``tables`` ran ``assets/tables.pyc`` (bytecode with no source beside it), and the scan reported
nothing: bytecode is neither ELF, PE nor Mach-O, and binary files in ``assets/`` are expected.
``python FILE`` also runs any file that starts with a bytecode header, whatever its name.
"""

from __future__ import annotations

import importlib.util
import marshal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from skillforge.errors import ScanRefused
from skillforge.hosts import install
from skillforge.scan import scan_paths

from ..factories import skill_md, write_skill_folder

DESCRIPTION = "Extract tables from PDF files. Use when the user asks about the tables in a PDF."
RUN_PY = (
    '"""Print the tables of a PDF."""\nimport sys\nfrom pathlib import Path\n\n'
    'sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "assets"))\n'
    "import tables  # noqa: E402\n\nprint(tables.main())\n"
)


def _bytecode(marker: Path, magic: bytes = importlib.util.MAGIC_NUMBER) -> bytes:
    """A sourceless .pyc (what ``py_compile`` writes) that touches ``marker`` when imported."""
    source = f"import pathlib\npathlib.Path({str(marker)!r}).touch()\ndef main():\n    return 'ok'\n"
    code = compile(source, "tables.py", "exec")
    return magic + (0).to_bytes(4, "little") + (0).to_bytes(8, "little") + marshal.dumps(code)


def _skill(folder: Path, files: dict[str, str | bytes]) -> Path:
    text = skill_md("pdf-tables", DESCRIPTION, "\n# Tables\n\nRun `python scripts/run.py FILE.pdf`.\n")
    return write_skill_folder(folder, text, {"scripts/run.py": RUN_PY, **files})


def test_the_bytecode_really_runs(tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    skill = _skill(tmp_path / "pdf-tables", {"assets/tables.pyc": _bytecode(marker)})
    subprocess.run([sys.executable, str(skill / "scripts/run.py")], check=True, capture_output=True)
    assert marker.exists(), "the fixture must be what Python really runs"


@pytest.mark.parametrize("where", ["assets/tables.pyc", "references/tables.pyc", "assets/table-data.bin"])
@pytest.mark.parametrize("magic", [importlib.util.MAGIC_NUMBER, (3413).to_bytes(2, "little") + b"\r\n"])
def test_scan_reports_python_bytecode_anywhere(tmp_path: Path, where: str, magic: bytes) -> None:
    skill = _skill(tmp_path / "pdf-tables", {where: _bytecode(tmp_path / "ran", magic)})
    high = [(f.rule_id, f.file) for f in scan_paths([skill]).findings if f.severity == "high"]
    assert high == [("binary-executable", f"{skill}/{where}")]


def test_scan_reports_bytecode_in_an_archive(tmp_path: Path) -> None:
    archive = tmp_path / "pdf-tables.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("pdf-tables/assets/tables.pyc", _bytecode(tmp_path / "ran"))
    high = [(f.rule_id, f.file) for f in scan_paths([archive]).findings if f.severity == "high"]
    assert high == [("binary-executable", f"{archive}!pdf-tables/assets/tables.pyc")]


def test_install_refuses_a_skill_with_bytecode(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    skill = _skill(tmp_path / "pdf-tables", {"assets/tables.pyc": _bytecode(tmp_path / "ran")})
    with pytest.raises(ScanRefused, match="binary-executable"):
        install(str(skill), hosts=["claude-code"], project=project)
    assert not (project / ".claude/skills/pdf-tables").exists()
