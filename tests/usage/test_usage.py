"""Usage from session logs: Claude Code Skill calls and SKILL.md reads (real Codex log), and doctor --usage."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from skillforge.cli import cli
from skillforge.usage import read_usage

DATA = Path(__file__).parents[1] / "data" / "samples"
CODEX_LOG = DATA / "codex_rollout" / "rollout-2026-05-11T13-28-45-019e1695-0522-7c83-8b39-0dd379793f80.jsonl"


def claude_session(folder: Path, session: str, skills: list[str], day: str = "2026-06-01") -> Path:
    """A Claude Code session log in the host's own JSONL shape: a prompt, then one Skill call per skill."""
    lines, parent = [], None
    def add(kind: str, content: object, n: int) -> None:
        nonlocal parent
        uuid = f"{session}-{n}"
        lines.append({"parentUuid": parent, "isSidechain": False, "userType": "external", "cwd": "/repo",
                      "sessionId": session, "version": "2.1.17", "type": kind, "uuid": uuid,
                      "timestamp": f"{day}T10:00:{n:02d}.000Z",
                      "message": {"role": kind, "content": content}})
        parent = uuid
    add("user", "Ship the release and write the notes", 0)
    for i, name in enumerate(skills, start=1):
        add("assistant", [{"type": "tool_use", "id": f"toolu_{i}", "name": "Skill",
                           "input": {"skill": name}}], 2 * i - 1)
        add("user", [{"type": "tool_result", "tool_use_id": f"toolu_{i}",
                      "content": f"Launching skill: {name}"}], 2 * i)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{session}.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    return path


def test_claude_code_skill_calls_are_counted_per_session(tmp_path: Path) -> None:
    logs = tmp_path / "projects" / "-repo"
    claude_session(logs, "s1", ["release-notes", "deploy", "release-notes"])
    claude_session(logs, "s2", ["helper:deploy"])
    claude_session(logs, "s3", [])
    report = read_usage([tmp_path / "projects"])
    rows = {s.name: (s.sessions, s.loads) for s in report.skills}
    assert rows == {"deploy": (2, 2), "release-notes": (1, 2), "helper:deploy": (1, 1)}
    assert report.sessions == 3 and report.without_skills["unknown"] == 1


def test_since_skips_older_sessions(tmp_path: Path) -> None:
    claude_session(tmp_path / "p", "old", ["deploy"], day="2026-01-01")
    claude_session(tmp_path / "p", "new", ["lint"], day="2026-06-01")
    from datetime import date

    report = read_usage([tmp_path / "p"], since=date(2026, 3, 1))
    assert [s.name for s in report.skills] == ["lint"] and report.sessions == 1


def test_real_codex_log_counts_skill_file_reads() -> None:
    report = read_usage([CODEX_LOG])
    assert {s.name: s.loads for s in report.skills} == {"browser": 2, "brainstorming": 1, "using-superpowers": 1}
    browser = report.skills[0]
    assert browser.first == "2026-05-11T11:29:03.708Z" and browser.last == "2026-05-11T11:29:13.129Z"


def test_usage_command_prints_a_table(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["usage", str(CODEX_LOG)])
    assert result.exit_code == 0, result.output
    assert "browser" in result.output and "1 session(s); 3 skill(s) loaded" in result.output


def test_doctor_usage_flags_the_skill_never_loaded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    monkeypatch.setenv("HOME", str(home))
    for name, desc in (("deploy", "Deploy the app. Use when shipping."),
                       ("release-notes", "Write release notes. Use after a release."),
                       ("legacy-fax", "Send faxes through the old gateway. Use when a fax is requested.")):
        folder = project / ".claude/skills" / name
        folder.mkdir(parents=True)
        (folder / "SKILL.md").write_text(f"---\nname: {name}\ndescription: {desc}\n---\nbody\n")
    logs = claude_session(tmp_path / "logs", "s1", ["deploy", "release-notes"])
    result = CliRunner().invoke(cli, ["doctor", "--project", str(project), "--host", "claude-code",
                                      "--usage", str(logs), "--json", "--no-scan"])
    report = json.loads(result.output)
    unused = [f for f in report["findings"] if f["kind"] == "unused"]
    assert [Path(f["skills"][0]).name for f in unused] == ["legacy-fax"]
    assert result.exit_code == 0  # unused is advice; --strict makes it fail
    shutil.rmtree(project / ".claude/skills/legacy-fax")
