from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from ..factories import skill_md, write_skill_folder

AGENT = Path(__file__).parent.parent / "data" / "agents" / "scripted_agent.py"


def _make_skill(root: Path, name: str, rules: str) -> Path:
    text = skill_md(name, "Use when writing files for the scripted agent.", f"# {name}\n\n{rules}\n")
    return write_skill_folder(root / name, text)


@pytest.fixture
def agent_cmd() -> str:
    return f"{sys.executable} {AGENT} {{prompt}} {{skill_dir}}"


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    tasks = [
        {"id": "plain", "prompt": "write hello to a.txt", "check": "grep -qx hello a.txt"},
        {
            "id": "signed",
            "prompt": "write report to r.txt",
            "check": "tail -n1 r.txt | grep -qx 'Signed-off-by: bot'",
        },
        {
            "id": "output",
            "prompt": "write x to o.txt",
            "check": {"output_contains": "wrote o.txt", "file": "o.txt", "file_contains": "x"},
        },
    ]
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in tasks) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def make_skill():  # type: ignore[no-untyped-def]
    """Build a skill folder whose body holds rules the scripted agent understands."""
    return _make_skill
