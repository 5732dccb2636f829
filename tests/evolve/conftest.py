from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from skillforge.registry import open_registry

from ..factories import skill_md, write_skill_folder

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
        {
            "id": "plain",
            "prompt": "write hello to a.txt",
            "check": "grep -qx hello a.txt || { echo 'a.txt must hold hello'; exit 1; }",
        },
        {"id": "signed", "prompt": "write report to r.txt", "check": SIGNED_CHECK},
        {
            "id": "signed-2",
            "prompt": "write summary to s.txt",
            "check": SIGNED_CHECK.replace("r.txt", "s.txt"),
            "split": "holdout",
        },
    ]
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(json.dumps(t) for t in tasks) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def registry(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A real registry holding skill 'writer' 1.0.0, which knows nothing about signing files."""
    reg = open_registry(tmp_path / "registry")
    body = "# Writer\n\n## Procedure\n\n- Write the requested text to the requested file.\n"
    skill = write_skill_folder(tmp_path / "src" / "writer", skill_md("writer", "Use when asked to write text into files.", body))
    reg.publish(skill, version="1.0.0", message="first version")
    return reg


@pytest.fixture(autouse=True)
def fake_model_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """No fault or latency of the fake model leaks in from the environment; its counters start at zero
    and no answer is queued."""
    from skillforge.testing import reset
    from skillforge.testing.fake_model import STATS

    monkeypatch.delenv("SKILLFORGE_FAKE_FAULTS", raising=False)
    monkeypatch.delenv("SKILLFORGE_FAKE_LATENCY", raising=False)
    STATS.reset()
    reset()


@pytest.fixture
def fake_client():  # type: ignore[no-untyped-def]
    """A fresh client for the offline fake model, caching under this test's SKILLFORGE_HOME."""
    from skillforge.evolve.model import make_client
    from skillforge.models.llm import LLMSettings

    return lambda **kw: make_client(LLMSettings(model="fake", **kw))


@pytest.fixture
def write_failure():  # type: ignore[no-untyped-def]
    """``write_failure(path, task, error)``: a failed run, as a skillforge trace file, whose check said ``error``."""
    return _write_failure


def _write_failure(path: Path, task: str, error: str, trace_id: str = "bad0000000000001") -> Path:
    from skillforge.models import Outcome, Source, Step, ToolCall, ToolResult, Trace

    trace = Trace(
        id=trace_id,
        source=Source(path=str(path), format="skillforge-trace"),
        task=task,
        steps=[
            Step(role="user", text=task),
            Step(role="assistant", tool_call=ToolCall(name="check", arguments={"check": "test -s out.txt"})),
            Step(role="tool", tool_result=ToolResult(output=error, is_error=True)),
        ],
        outcome=Outcome(success=False, error=error),
    )
    path.write_text(trace.model_dump_json() + "\n", encoding="utf-8")
    return path
