"""Secrets never leave: plant one secret of every class in real-format trace files, distill them
(offline and through the model path against the loopback server), publish into a registry, then grep
everything that was written, sent or printed. None of the planted secrets may appear anywhere.

Also checks that terminal control and bidi characters planted in the traces reach no written file.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

import redaction_corpus as corpus  # type: ignore[import-not-found]  # loaded by conftest.py
from skillforge.cli import cli
from skillforge.ingest import read_paths
from skillforge.testing.server import FakeOpenAIServer
from skillforge.models import Trace

CASES = corpus.CASES
SECRETS = sorted({s for _, _, secrets in CASES for s in secrets} | {s for _, _, secrets in corpus.VALUE_CASES for s in secrets})
HOSTILE_CONTROLS = "\x1b]8;;http://evil.example/\x07click\x1b]8;;\x07 \x1b[2J\x1b[1A all good \u202egnp.exe \u200b"
# The CSV reader refuses a file with raw ESC/BEL bytes as binary; it gets the invisible characters only.
CSV_CONTROLS = "all good \u202egnp.exe \u200b\u2066hidden\u2069"
FILE_NAME_TOKEN = corpus.GHP_PATH


def _claude_line(kind: str, content: Any, n: int, session: str) -> str:
    return json.dumps({
        "parentUuid": f"00000000-0000-4000-8000-{n - 1:012d}" if n else None,
        "isSidechain": False, "userType": "external", "cwd": "/work/app", "sessionId": session,
        "version": "2.0.64", "type": kind, "uuid": f"00000000-0000-4000-8000-{n:012d}",
        "timestamp": f"2026-01-01T00:{n // 60:02d}:{n % 60:02d}.000Z",
        "message": {"role": kind, "content": content} if kind == "user" else
        {"model": "claude-sonnet-4-5", "id": f"msg_{n}", "type": "message", "role": "assistant", "content": content},
    })


def _claude_session(cases: list[tuple[str, str, list[str]]]) -> str:
    """One Claude Code session: each case is a Bash command that fails with a 401 whose message names the fix
    (so the analyzer learns a rule from it, with the failing command as its example), then works on retry."""
    session = "7c2e9d14-3b8a-4f6c-8e1d-5a9b0c2d4e6f"
    lines = [_claude_line("user", "deploy the service and fix the failing upload", 0, session)]
    n = 1
    for number, (_, text, _) in enumerate(cases):
        for attempt, (output, error) in enumerate([(f"HTTP 401 Unauthorized\n{text}\nRun 'auth refresh' to fix.\n"
                                                    f"{HOSTILE_CONTROLS}", True),
                                                   (f"ok: {text}", False)]):
            call_id = f"toolu_{number}_{attempt}"
            tool_input: dict[str, Any] = {"command": text, "description": "call the API"}
            if number < len(corpus.VALUE_CASES):
                tool_input["env"] = corpus.VALUE_CASES[number][1]
            lines.append(_claude_line("assistant", [{"type": "tool_use", "id": call_id, "name": "Bash", "input": tool_input}], n, session))
            lines.append(_claude_line("user", [{"type": "tool_result", "tool_use_id": call_id, "content": output, "is_error": error}], n + 1, session))
            n += 2
    lines.append(_claude_line("assistant", [{"type": "text", "text": "Done: the upload works now."}], n, session))
    return "\n".join(lines) + "\n"


def _openai_chat(cases: list[tuple[str, str, list[str]]]) -> str:
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You are a helpful agent."},
        {"role": "user", "content": "Restore the database connection. " + " ".join(t for _, t, _ in cases[:3])},
    ]
    for number, (_, text, _) in enumerate(cases):
        for attempt, output in enumerate([f"Error: access denied\n{text}\n{HOSTILE_CONTROLS}", "done"]):
            call_id = f"call_{number}_{attempt}"
            messages.append({"role": "assistant", "content": f"Trying: {text}", "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": "bash", "arguments": json.dumps({"command": text})}}]})
            messages.append({"role": "tool", "tool_call_id": call_id, "content": output})
    messages.append({"role": "assistant", "content": "The connection works again."})
    return json.dumps({"messages": messages}, indent=1)


def _tickets(cases: list[tuple[str, str, list[str]]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["Ticket ID", "Subject", "Description", "Status", "Priority", "Tags", "Created At", "Requester",
                     "Assignee", "Conversation", "Resolution"])
    for number, (_, text, _) in enumerate(cases):
        writer.writerow([f"HD-{1000 + number}", "Login fails after credential rotation", f"It fails with:\n{text}\n{CSV_CONTROLS}",
                         "Solved", "High", "auth;login", "2026-01-02 10:00", "user@example.com", "agent@example.com",
                         f"Agent: please run {text}", f"Resolved by running:\n{text}\nthen restarting the service."])
    return out.getvalue()


def write_inputs(root: Path) -> Path:
    """Three real formats, each carrying every corpus case; a token also sits in a trace's file name."""
    project = root / "claude" / "projects" / "-work-app"
    project.mkdir(parents=True)
    (project / f"session-{FILE_NAME_TOKEN}.jsonl").write_text(_claude_session(CASES), encoding="utf-8")
    (root / "chat").mkdir()
    (root / "chat" / "incident.json").write_text(_openai_chat(CASES), encoding="utf-8")
    (root / "tickets").mkdir()
    (root / "tickets" / "helpdesk.csv").write_text(_tickets(CASES), encoding="utf-8")
    return root


def everything_under(*roots: Path) -> str:
    """Every path and file text under ``roots``; git's own (compressed, binary) files are left to
    ``git_history``, which reads what they hold."""
    parts = []
    for root in roots:
        for path in sorted(root.rglob("*")):
            if ".git" in path.parts:
                continue
            if path.is_file():
                parts.append(str(path))
                parts.append(path.read_bytes().decode("utf-8", "replace"))
            elif path.is_dir():
                parts.append(str(path))
    return "\n".join(parts)


def git_history(registry: Path) -> str:
    """Every commit of the registry with its full patch, every ref and tag message."""
    if not (registry / ".git").exists() and not (registry / "HEAD").exists():
        return ""
    run = lambda *args: subprocess.run(["git", "-C", str(registry), *args], capture_output=True, text=True, check=True).stdout  # noqa: E731
    return run("log", "-p", "--all", "--format=%H %s%n%b") + run("show-ref") + run("tag", "-n99")


def leaked(text: str) -> list[str]:
    """The planted secrets found in ``text`` (whole, or JSON-escaped)."""
    return [s for s in SECRETS if s in text or json.dumps(s)[1:-1] in text]


def test_a_command_line_in_a_ticket_thread_keeps_its_password_flag(tmp_path: Path) -> None:
    from skillforge.redact import redact_trace

    password = corpus.pw(80)
    path = tmp_path / "tickets.csv"
    path.write_text("Ticket ID,Subject,Description,Status,Conversation,Resolution\n"
                    f'HD-1,Login fails,It fails,Solved,"Agent: please run\ncurl -s -u admin:{password} https://x",Fixed\n')
    traces = [redact_trace(t) for t in read_paths([path]) if isinstance(t, Trace)]
    assert traces and password not in traces[0].model_dump_json()


def test_inputs_are_read_as_the_formats_they_claim(tmp_path: Path) -> None:
    root = write_inputs(tmp_path / "in")
    traces = [t for t in read_paths([root]) if isinstance(t, Trace)]
    assert sorted({t.source.format for t in traces}) == ["claude-code", "openai-chat", "tickets-csv"]
    assert sum(t.kind == "ticket" for t in traces) == len(CASES)


def test_offline_distill_and_publish_write_no_planted_secret(tmp_path: Path) -> None:
    root = write_inputs(tmp_path / "in")
    out, registry = tmp_path / "out", tmp_path / "registry"
    runner = CliRunner()
    result = runner.invoke(cli, ["distill", str(root), "-o", str(out), "--registry", str(registry)])
    again = runner.invoke(cli, ["distill", str(root), "-o", str(tmp_path / "out-json"), "--no-publish", "--json"])
    assert result.exit_code in (0, 4), result.output
    assert again.exit_code in (0, 4), again.output
    written = everything_under(out, tmp_path / "out-json", registry, Path(os.environ["SKILLFORGE_HOME"]))
    assert "SKILL.md" in written  # something was distilled, so the check below means something
    printed = "\n".join([result.stdout, result.stderr, again.stdout, again.stderr])
    for where, text in {"files": written, "git history": git_history(registry), "output": printed}.items():
        assert leaked(text) == [], where
    assert FILE_NAME_TOKEN not in written + printed
    for char in ("\x1b", "\u202e", "\u200b", "\x07"):
        assert char not in written, repr(char)


@pytest.mark.slow
def test_model_path_sends_and_writes_no_planted_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-loopback-test")
    monkeypatch.setenv("SKILLFORGE_NO_PROGRESS", "1")
    monkeypatch.setenv("SKILLFORGE_CACHE", str(tmp_path / "cache"))
    received: list[str] = []

    def capture(messages: list[dict[str, Any]], content: str) -> str:
        received.append(json.dumps(messages, ensure_ascii=False))
        return content

    root = write_inputs(tmp_path / "in")
    out, registry, report = tmp_path / "out", tmp_path / "registry", tmp_path / "report.json"
    with FakeOpenAIServer(rewrite=capture) as server:
        result = CliRunner().invoke(cli, [
            "distill", str(root), "--model", "openai/loopback-model", "--api-base", server.api_base,
            "-o", str(out), "--registry", str(registry), "--report", str(report), "--json",
        ])
    assert result.exit_code in (0, 4), result.output
    assert received, "the model was never called"
    sent = "\n".join(received)
    written = everything_under(out, registry, tmp_path / "cache", Path(os.environ["SKILLFORGE_HOME"]))
    printed = "\n".join([result.stdout, result.stderr, report.read_text() if report.exists() else ""])
    for where, text in {"requests": sent, "files": written, "git history": git_history(registry), "output": printed}.items():
        assert leaked(text) == [], where
    assert "\x1b" not in sent and "\u202e" not in sent
