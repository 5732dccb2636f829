from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from skillforge.registry import open_registry

AGENT = Path(__file__).parent.parent / "data" / "agents" / "scripted_agent.py"
SIGNED_CHECK = (
    "tail -n1 r.txt | grep -qx 'Signed-off-by: bot' "
    "|| { echo \"Files must end with the line 'Signed-off-by: bot'\"; exit 1; }"
)


@pytest.fixture
def agent_cmd() -> str:
    return f"{sys.executable} {AGENT} {{prompt}} {{skill_dir}}"


@pytest.fixture
def tasks_file(tmp_path: Path) -> Path:
    tasks = [
        {"id": "plain", "prompt": "write hello to a.txt", "check": "grep -qx hello a.txt || { echo 'a.txt must hold hello'; exit 1; }"},
        {"id": "signed", "prompt": "write report to r.txt", "check": SIGNED_CHECK},
        {"id": "signed-2", "prompt": "write summary to s.txt", "check": SIGNED_CHECK.replace("r.txt", "s.txt"), "split": "holdout"},
    ]
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in tasks) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def registry(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real registry holding skill 'writer' 1.0.0, which knows nothing about signing files."""
    reg = open_registry(tmp_path / "registry")
    skill = tmp_path / "src" / "writer"
    skill.mkdir(parents=True)
    (skill / "SKILL.md").write_text(
        "---\nname: writer\ndescription: Use when asked to write text into files.\n---\n"
        "# Writer\n\n## Procedure\n\n- Write the requested text to the requested file.\n",
        encoding="utf-8",
    )
    reg.publish(skill, version="1.0.0", message="first version")
    return reg
