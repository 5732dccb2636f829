"""Interactive Claude Code / Codex sessions: host wrappers and cancellations are not failures, session-specific
failure kinds get their own fix (too-large reads, unread files, hooks, shell quoting), a tool's own advice
becomes the fix, and what the user said (corrections, "still broken", the reply to a rejection) becomes rules."""

from __future__ import annotations

import re
from typing import Any

import pytest

from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer
from skillforge.distill.heuristic.signals import classify
from skillforge.distill.heuristic.trace_digest import digest
from skillforge.distill.heuristic.trace_feedback import user_turns
from skillforge.distill.heuristic.trace_hints import generic_command, tool_hint
from skillforge.models import Lesson, Outcome, Source, Step, ToolCall, ToolResult, Trace
from skillforge.skills.rules import rule_line, tag

_NOISE = ("/opt/homebrew/Library/Homebrew/brew.sh: line 60: cannot create temp file for here document: Operation not "
          "permitted\n/opt/homebrew/Library/Homebrew/cmd/shellenv.sh: line 18: /bin/ps: Operation not permitted\n")


def _codex(code: int, stderr: str) -> str:
    return (f"failed in sandbox MacosSeatbelt with execution error: sandbox denied exec error, exit code: {code}, "
            f"stdout: , stderr: {_NOISE}{stderr}")


@pytest.mark.parametrize(
    ("output", "flags", "kind", "failure"),
    [
        # Codex wraps every non-zero exit in its sandbox: the command's own stderr decides
        (_codex(1, "sed: src/app/page.tsx: No such file or directory\n"), {"family": "sed -n"}, "failed", "not_found"),
        (_codex(1, ""), {"family": "rg", "role": "search"}, "empty", None),
        (_codex(2, "bash: -c: line 0: syntax error near unexpected token `('\n"), {"family": "sed -n"}, "failed",
         "shell_quoting"),
        (_codex(1, "zsh:1: no matches found: src/app/(protected)/page.tsx\n"), {"family": "rg"}, "failed",
         "shell_quoting"),
        (_codex(1, ""), {"family": "ps"}, "denied", None),
        # a call Claude Code cancelled because its sibling in a parallel batch failed never ran
        ("<tool_use_error>Sibling tool call errored</tool_use_error>", {"is_error": True}, "skipped", None),
        ("File content (85812 tokens) exceeds maximum allowed tokens (25000). Please use offset and limit "
         "parameters to read specific portions of the file", {"is_error": True}, "failed", "too_large"),
        ("<tool_use_error>File has not been read yet. Read it first before writing to it.</tool_use_error>",
         {"is_error": True}, "failed", "not_read"),
        ("EISDIR: illegal operation on a directory, read", {"is_error": True}, "failed", "is_directory"),
        ("Pre-commit validation failed:\\n\\n[FORMAT] Code is not formatted.\\nRun 'mix format' to fix.",
         {"is_error": True}, "failed", "hook"),
        ("\x1b[31mError:\x1b[0m Cannot find module 'vite'", {"exit_code": 1}, "failed", "import"),
    ],
    ids=["codex-not-found", "codex-empty-search", "codex-bash-paren", "codex-zsh-glob", "codex-real-denial",
         "sibling", "too-large", "not-read", "eisdir", "pre-commit-hook", "ansi"],
)
def test_session_results_read_as_what_they_are(output: str, flags: dict[str, Any], kind: str,
                                               failure: str | None) -> None:
    signal = classify(output, **flags)
    assert (signal.kind, signal.failure) == (kind, failure)


def test_tool_advice_is_the_fix_with_run_values_as_placeholders() -> None:
    git = ("fatal: The current branch feature-x has no upstream branch.\nTo push the current branch and set the "
           "remote as upstream, use\n\n    git push --set-upstream origin feature-x\n")
    assert tool_hint(git) == "git push --set-upstream origin {branch}"
    assert tool_hint("Pre-commit validation failed:\\n[FORMAT] Code is not formatted.\\nRun 'mix format' to fix.") \
        == "mix format"
    assert tool_hint("Traceback (most recent call last):\nValueError: x") == ""
    # Python's own suggestion for one task's code (deepseek on django) is that task's fix, not a tool's advice
    assert tool_hint("AttributeError: type object 'B' has no attribute '_meta'. Did you mean: 'Meta'?") == ""
    assert tool_hint("git: 'stauts' is not a git command. See 'git --help'.\nDid you mean 'status'?") == "status"
    assert generic_command("cd apps/app && pnpm test NavUser.test.tsx") == "cd apps/app && pnpm test {test_file}"
    assert generic_command("pytest tests/test_io.py::test_read -q") == "pytest {test_file} -q"


def _session(name: str, steps: list[Step], cwd: str = "/home/me/proj", success: bool | None = None) -> Trace:
    return Trace(id=name, source=Source(path=f"{name}.jsonl", format="claude-code"), task=steps[0].text,
                 steps=steps, outcome=Outcome(success=success), metadata={"cwd": cwd})


def _call(n: int, tool: str, args: dict[str, Any], output: str, is_error: bool = False) -> list[Step]:
    return [Step(role="assistant", tool_call=ToolCall(name=tool, arguments=args, id=f"c{n}")),
            Step(role="tool", tool_result=ToolResult(output=output, is_error=is_error, call_id=f"c{n}"))]


def _lessons(traces: list[Trace]) -> list[Lesson]:
    return HeuristicAnalyzer().analyze(traces)


def test_too_large_reads_in_two_sessions_give_one_rule_naming_the_tool() -> None:
    traces = []
    for n, (size, path) in enumerate([("(806.5KB) exceeds maximum allowed size (256KB)", "/w/a/app.js"),
                                      ("(85812 tokens) exceeds maximum allowed tokens (25000)", "/w/b/big.json")]):
        steps = [Step(role="user", text="Explain how the assets are bundled")]
        steps += _call(0, "Read", {"file_path": path}, f"File content {size}. Please use offset and limit parameters",
                       is_error=True)
        steps += _call(1, "Read", {"file_path": path, "offset": 0, "limit": 200}, "1\tconst x = 1")
        steps += _call(2, "Grep", {"pattern": "bundle"}, "a/app.js:3: bundle()")
        steps += _call(3, "Read", {"file_path": "/w/a/vite.config.ts"}, "1\texport default {}")
        traces.append(_session(f"s{n}", steps))
    rules = [l for l in _lessons(traces) if "too large" in l.body]
    assert len(rules) == 1 and rules[0].support == 2
    first = rules[0].body.splitlines()[0]
    assert first.startswith("When `Read` fails") and "`offset` and `limit`" in first
    assert "806" not in first and "85812" not in first


def test_sibling_cancellations_teach_nothing() -> None:
    steps = [Step(role="user", text="Find the session registry")]
    steps += _call(0, "Bash", {"command": "ls lib/registry"}, "ls: lib/registry: No such file or directory",
                   is_error=True)
    steps += _call(1, "Bash", {"command": "find lib -name '*registry*'"},
                   "<tool_use_error>Sibling tool call errored</tool_use_error>", is_error=True)
    steps += _call(2, "Bash", {"command": "find lib -name '*registry*.ex'"}, "lib/session_registry.ex")
    lessons = _lessons([_session("s", steps), _session("t", steps)])
    assert not [l for l in lessons if "Sibling" in l.body or "sibling" in l.body]


def test_a_hook_rejection_says_what_the_hook_asked_for() -> None:
    traces = []
    for n in range(2):
        steps = [Step(role="user", text="Commit the formatter change")]
        steps += _call(0, "Bash", {"command": "git add -A && git commit -m 'wip'"},
                       "Pre-commit validation failed:\\n\\n[FORMAT] Code is not formatted.\\nRun 'mix format' to fix.",
                       is_error=True)
        steps += _call(1, "Bash", {"command": "mix format"}, "")
        steps += _call(2, "Bash", {"command": "git add -A && git commit -m 'wip: format'"}, "[main 1a2b3c4] wip")
        traces.append(_session(f"h{n}", steps))
    rules = [l.body.splitlines()[0] for l in _lessons(traces) if "hook" in l.body.splitlines()[0]]
    assert rules, "a pre-commit hook rejection teaches a rule"
    assert any("`mix format`" in r and "--no-verify" in r and "`git commit`" in r for r in rules), rules


def test_host_chatter_is_not_the_user_talking() -> None:
    steps = [
        Step(role="user", text="<system-reminder>\nPostToolUse:Edit hook additional context: [CREDO]\n</system-reminder>"),
        Step(role="user", text="Implement the retry queue"),
        Step(role="user", text="<task-notification>\n<task-id>b0be39e</task-id>\n</task-notification>"),
        Step(role="user", text="This session is being continued from a previous conversation that ran out of context."),
        Step(role="user", text="[Request interrupted by user]"),
        Step(role="user", text="# Context from my IDE setup:\n\n## Open tabs:\n- a.ts\n\n## My request for Codex:\n"
                                "no, don't add a new package for this"),
    ]
    turns = user_turns(_session("c", steps))
    assert [t.text for t in turns] == ["no, don't add a new package for this"]
    assert turns[0].kind == "correction"


def test_a_users_correction_becomes_a_rule_and_a_feature_remark_does_not() -> None:
    steps = [Step(role="user", text="Add the avatar initials to the menu")]
    steps += _call(0, "Bash", {"command": "npm install initials"}, "added 1 package")
    steps += [Step(role="user", text="No, use pnpm instead of npm in this repo. It is a pnpm workspace.")]
    steps += _call(1, "Bash", {"command": "pnpm add initials"}, "Done")
    steps += [Step(role="user", text="not the sidebar one, the header menu")]
    steps += _call(2, "Edit", {"file_path": "/home/me/proj/src/Header.tsx", "old_string": "a", "new_string": "b"},
                   "updated")
    lessons = _lessons([_session("u", steps)])
    corrections = [l for l in lessons if "corrected" in l.body]
    assert len(corrections) == 1
    rule = corrections[0].body.splitlines()[0]
    assert rule.startswith("Use pnpm instead of npm") and "because the user corrected" in rule
    assert "`npm install`" in corrections[0].body  # what the user reacted to, in the detail
    assert corrections[0].kind == "guardrail"


def test_the_reply_to_a_rejected_call_is_the_example_of_the_guardrail() -> None:
    steps = [Step(role="user", text="Move the + button next to the search box")]
    steps += _call(0, "ExitPlanMode", {"plan": "Move the + button inside the search input"},
                   "The user doesn't want to proceed with this tool use. The tool use was rejected", is_error=True)
    steps += [Step(role="user", text="[Request interrupted by user for tool use]"),
              Step(role="user", text="Completely outside the search bar entirely")]
    steps += _call(1, "ExitPlanMode", {"plan": "Move the + button outside the search bar"}, "User approved")
    lessons = _lessons([_session("r", steps)])
    rule = next(l for l in lessons if l.kind == "guardrail" and "rejects a tool call" in l.body)
    assert "follow the correction in their next message" in rule.body.splitlines()[0]
    assert "Completely outside the search bar entirely" in rule.body


def test_still_broken_reports_become_one_verification_pitfall() -> None:
    traces = []
    for n, text in enumerate(["scrolling back in xterm.js still does not work", "the build still fails the same way"]):
        steps = [Step(role="user", text="Fix scrolling in the terminal view")]
        steps += _call(0, "Edit", {"file_path": "/home/me/proj/a.ts", "old_string": "x", "new_string": "y"}, "ok")
        steps += [Step(role="user", text=text)]
        traces.append(_session(f"b{n}", steps))
    pitfalls = [l for l in _lessons(traces) if "still did not work" in l.body]
    assert len(pitfalls) == 1 and pitfalls[0].support == 2
    assert "xterm" not in pitfalls[0].body.splitlines()[0]


def test_sessions_in_git_worktrees_belong_to_their_project() -> None:
    steps = [Step(role="user", text="Work on the bead")]
    one = digest(_session("w1", steps, cwd="/home/me/projects/spotter-worktrees/spotter-4te"))
    two = digest(_session("w2", steps, cwd="/home/me/projects/spotter/.worktrees/feature-x"))
    assert one.area == "spotter" and two.area == "spotter"


def test_an_mcp_tool_is_a_keyword_by_its_server() -> None:
    from skillforge.distill.heuristic.trace_common import SkillNames, make_lesson

    names = SkillNames(general="coding-agent-playbook", single_area=None, project={})
    lesson = make_lesson("guardrail", "t", "When x, do y.", names.target([], True), "guardrails", [], 1,
                         keywords=["mcp__github__create_issue", "Read"])
    assert {"keyword:github", "keyword:read"} <= set(lesson.tags)


def test_escaped_output_lines_are_split_but_an_escape_inside_a_message_stays() -> None:
    from skillforge.distill.heuristic.trace_common import clean_quote

    assert clean_quote("Pre-commit validation failed:\\n\\n[FORMAT] Code is not formatted.") == \
        "Pre-commit validation failed:"
    assert clean_quote('rg: the literal "\\n" is not allowed in a regex') == 'rg: the literal "\\n" is not allowed in a regex'


def _ends_failing(name: str, last: list[Step], task: str) -> Trace:
    steps = [Step(role="user", text=task)]
    steps += _call(0, "Read", {"file_path": "/w/p/src/app.py"}, "1\tdef f(): pass")
    steps += _call(1, "Bash", {"command": "pytest tests/test_app.py"}, "1 passed")
    return _session(name, steps + last, success=False)


def test_a_run_ending_on_a_failed_edit_is_not_told_to_re_run_the_edit() -> None:
    mismatch = "<tool_use_error>String to replace not found in file.\nString: def g(): pass</tool_use_error>"
    edits = [_ends_failing(f"e{n}", _call(9, "Edit", {"file_path": "/w/p/src/app.py", "old_string": "def g(): pass",
                                                       "new_string": "def g(): return 1"}, mismatch, is_error=True),
                           f"Make g return one, take {n}") for n in range(2)]
    tests = [_ends_failing(f"t{n}", _call(9, "Bash", {"command": "pytest tests/test_app.py"},
                                          "FAILED tests/test_app.py::test_g - assert 0 == 1\n1 failed", is_error=True),
                           f"Fix g, take {n}") for n in range(2)]
    ended = {l.title: l.body.splitlines()[0] for l in _lessons(edits + tests) if l.title.startswith("Runs ended")}
    edit = next(body for title, body in ended.items() if "after edit" in title.lower())
    assert "re-run it" not in edit and "make it pass" not in edit
    assert edit.startswith("Do not finish on a failed `Edit`") and "re-read the file" in edit, edit
    test = next(body for title, body in ended.items() if "pytest" in title)
    assert test.startswith("Do not finish while `pytest` still fails") and "make it pass first" in test


def test_a_file_one_resolved_run_changed_is_not_a_file_that_matters() -> None:
    def fixed(name: str, task: str, files: list[str]) -> Trace:
        steps = [Step(role="user", text=task)]
        for n, path in enumerate(files):
            steps += _call(n, "Edit", {"file_path": f"/home/me/proj/{path}", "old_string": "a", "new_string": "b"},
                           "The file has been updated.")
        steps += _call(9, "Bash", {"command": "pytest tests"}, "3 passed")
        return _session(name, steps, success=True)

    traces = [fixed("a", "Fix the date parser on leap years", ["src/dates.py", "src/leap.py"]),
              fixed("b", "Make the parser accept ISO weeks", ["src/dates.py", "src/weeks.py"]),
              fixed("c", "Fix the date parser on leap years", ["src/dates.py", "src/leap.py"])]  # a rerun of a
    files = [l for l in _lessons(traces) if l.title.startswith("Files that matter")]
    assert len(files) == 1
    assert "`src/dates.py`" in files[0].body and "leap" not in files[0].body and "weeks" not in files[0].body


def test_a_file_the_runs_wrote_themselves_is_not_a_file_that_matters() -> None:
    # deepseek on django: "In django, resolved runs changed `test_comprehensive.py`, `test_edge_cases.py`, …,
    # `django/db/models/base.py`; start reading there" — the runs wrote the test_*.py files themselves.
    def fixed(name: str, task: str) -> Trace:
        steps = [Step(role="user", text=task)]
        steps += _call(0, "Bash", {"command": "cat > test_comprehensive.py << 'EOF'\nimport django\nEOF"}, "")
        steps += _call(1, "Write", {"file_path": "/home/me/django/test_edge_cases.py", "content": "import django"},
                       "File created successfully")
        steps += _call(2, "Bash", {"command": "sed -i 's/a/b/' django/db/models/base.py"}, "")
        steps += _call(3, "Bash", {"command": "python test_comprehensive.py"}, "ok")
        return _session(name, steps, cwd="/home/me/django", success=True)

    traces = [fixed("a", "Fix the model save on proxies"), fixed("b", "Make deferred fields reload")]
    (files,) = [l.body for l in _lessons(traces) if l.title.startswith("Files that matter")]
    assert "`django/db/models/base.py`" in files and "test_" not in files, files


def test_the_procedure_shows_verifying_by_a_test_run_not_by_the_install_before_it() -> None:
    def run(name: str, test_file: str) -> Trace:
        steps = [Step(role="user", text=f"Fix the crash in the parser ({name})")]
        steps += _call(0, "Bash", {"command": "pip install -e .[dev]"}, "Successfully installed proj")
        steps += _call(1, "Grep", {"pattern": "parse_header"}, "src/parser.py:3: def parse_header")
        steps += _call(2, "Read", {"file_path": "/home/me/proj/src/parser.py"}, "1\tdef parse_header(): ...")
        steps += _call(3, "Edit", {"file_path": "/home/me/proj/src/parser.py", "old_string": "a", "new_string": "b"},
                       "The file has been updated.")
        steps += _call(4, "Bash", {"command": f"pytest {test_file}"}, "4 passed")
        return _session(name, steps, success=True)

    lessons = _lessons([run("a", "tests/test_parser.py"), run("b", "tests/test_header.py")])
    procedure = next(l for l in lessons if l.kind == "procedure")
    verify = next(line for line in procedure.body.splitlines() if "Verify the fix" in line)
    assert "`pytest {test_file}`" in verify and "pip install" not in verify


def test_a_host_prompt_seen_once_and_handled_is_no_guardrail_but_seen_again_it_is() -> None:
    def session(name: str, denials: int) -> Trace:
        steps = [Step(role="user", text=f"List the running browsers ({name})")]
        for n in range(denials):
            steps += _call(n, "Bash", {"command": "ps -ef | rg chrome"}, "zsh:1: operation not permitted: ps",
                           is_error=True)
        steps += _call(9, "Bash", {"command": "ps -ef | rg chrome", "sandbox_permissions": "require_escalated"},
                       "501 1234 chrome")
        return _session(name, steps, success=True)

    def guards(traces: list[Trace]) -> list[Lesson]:
        return [l for l in _lessons(traces) if l.kind == "guardrail" and "sandbox" in l.body]

    assert guards([session("once", 1)]) == []
    again = guards([session("twice", 2)])
    assert len(again) == 1 and "require_escalated" in again[0].body
    assert len(guards([session("a", 1), session("b", 1)])) == 1  # once each, in two runs


def test_a_stock_test_command_seen_in_one_run_is_no_useful_command_but_a_project_one_is() -> None:
    def run(name: str, task: str, command: str) -> Trace:
        steps = [Step(role="user", text=task)]
        steps += _call(0, "Edit", {"file_path": "/home/me/proj/src/a.py", "old_string": "a", "new_string": "b"},
                       "The file has been updated.")
        steps += _call(1, "Bash", {"command": command}, "3 passed")
        return _session(name, steps, success=True)

    def commands(traces: list[Trace]) -> list[str]:
        return [l.body for l in _lessons(traces) if tag(l, "section") == "commands"]

    assert commands([run("a", "Fix the parser", "pytest tests/test_parser.py")]) == []
    assert len(commands([run("a", "Fix the parser", "pytest tests/test_parser.py"),
                         run("b", "Add ISO weeks", "pytest tests/test_weeks.py")])) == 1  # two tasks: the project's
    (monorepo,) = commands([run("a", "Fix the sidebar", "cd apps/app && pnpm test NavUser.test.tsx")])
    assert "`cd apps/app && pnpm test {test_file}`" in monorepo
    # deepseek mini-swe-agent runs: `cd /testbed && python -m pytest … -xvs 2>&1 | tail -100` is the stock runner in
    # the checkout's root, its output cut short; seen in one task it is no command of the project's own
    assert commands([run("a", "Fix the parser", "cd /testbed && python -m pytest tests/test_parser.py -xvs 2>&1 | "
                                                "tail -100")]) == []
    # ... and the same stock runner in several projects is none's own (deepseek on astroid, marshmallow, pydicom,
    # sqlfluff: four "Run the relevant tests in X with `cd /testbed && python -m pytest {test_id} -xv…`")
    projects = [run(f"{p}{n}", f"Fix {p} issue {n}", f"cd /testbed && python -m pytest tests/test_{n}.py -k L06{n} -v")
                for p in ("astroid", "sqlfluff") for n in range(2)]
    for trace in projects:
        trace.metadata["cwd"] = f"/home/me/{trace.id[:-1]}"
    assert commands(projects) == []


def _ctf(name: str, task: str, answer: str) -> Trace:
    steps = [Step(role="user", text=task)]
    steps += _call(0, "Bash", {"command": "submit 'flag{guess}'"}, "Wrong flag!", is_error=True)
    steps += _call(1, "Bash", {"command": "python solve.py"}, answer)
    steps += _call(2, "Bash", {"command": f"submit '{answer}'"}, "Correct!")
    return _session(name, steps, success=True)


def test_a_fix_that_was_one_tasks_answer_is_no_recovery() -> None:
    # Three challenges hit the same message; each got past it with its own flag: nothing to share.
    tasks = [_ctf(f"c{n}", f"Solve the crypto challenge number {n}", f"flag{{answer-{n}}}") for n in range(3)]
    assert not [l for l in _lessons(tasks) if "Wrong flag" in l.body]
    # The same fix in runs of two tasks is one.
    shared = [_ctf(f"s{n}", f"Solve the crypto challenge number {n}", "flag{same}") for n in range(2)]
    (rule,) = [l for l in _lessons(shared) if l.kind == "recovery" and "Wrong flag" in l.body]
    assert rule.support == 2


def test_an_unexplained_error_of_one_task_teaches_nothing_and_a_message_with_its_fix_does() -> None:
    def failing(name: str, output: str, tool: str = "Bash", args: dict[str, Any] | None = None) -> Trace:
        steps = [Step(role="user", text=f"Fix the parser ({name})")]
        for n in range(2):
            steps += _call(n, tool, args or {"command": "codemie-codex --task x"}, output, is_error=True)
        steps += _call(5, "Bash", {"command": "submit"}, "Submitted")
        return _session(name, steps, success=False)

    bodies = [l.body for l in _lessons([failing("a", "Options:\n  --profile TEXT")])]
    assert not [b for b in bodies if "Options" in b or "change the call" in b or "switch to `submit`" in b]
    hinted = [l.body for l in _lessons([failing("b", "No file open. Use the `open` command first.", "edit",
                                                {"command": "edit 3:4"})])]
    assert any("use the fix its message suggests (`open`)" in b for b in hinted), hinted
    api = [l.body for l in _lessons([failing("c", "Error: upstream timeout", "get_weather", {"city": "Oslo"})])]
    rule = next(b for b in api if "timeout" in b)
    assert "retry it once after a pause" in rule and "narrow the command" not in rule


def test_one_tasks_own_exception_fixed_by_an_edit_is_no_rule_but_failing_tests_are() -> None:
    def fixed(name: str, command: str, output: str) -> Trace:
        steps = [Step(role="user", text=f"Decode the message ({name})")]
        steps += _call(0, "Bash", {"command": command}, output, is_error=True)
        steps += _call(1, "Edit", {"file_path": "/home/me/proj/solve.py", "old_string": "a", "new_string": "b"},
                       "The file has been updated.")
        steps += _call(2, "Bash", {"command": command}, "ok")
        return _session(name, steps, success=True)

    own = _lessons([fixed("a", "python solve.py", "Traceback (most recent call last):\n"
                                                  "TypeError: integer argument expected, got float")])
    assert not [l for l in own if "TypeError" in l.body]
    tests = _lessons([fixed("b", "pytest tests/test_solve.py", "FAILED tests/test_solve.py::test_x\n1 failed")])
    assert [l for l in tests if l.kind == "recovery" and "failing tests" in l.body]


def test_a_procedure_step_shows_no_second_example_cut_short() -> None:
    def run(name: str, sed_first: bool) -> Trace:
        steps = [Step(role="user", text=f"Fix the merge of variable attributes ({name})")]
        steps += _call(0, "Grep", {"pattern": "variable_attrs"}, "xarray/core/merge.py:504: return variable_attrs[0]")
        edit = _call(1, "Edit", {"file_path": "/home/me/proj/xarray/core/merge.py", "old_string": "a",
                                 "new_string": "b"}, "The file has been updated.")
        sed = _call(2, "Bash", {"command": "sed -i '504s/return variable_attrs\\[0\\]/return dict(variable_attrs"
                                           "[0])/' xarray/core/merge.py"}, "")
        steps += sed + edit if sed_first else edit + sed
        steps += _call(3, "Bash", {"command": "pytest xarray/tests/test_merge.py"}, "12 passed")
        return _session(name, steps, success=True)

    procedure = next(l for l in _lessons([run("a", True), run("b", False), run("c", True)])
                     if l.kind == "procedure")
    edit = next(line for line in procedure.body.splitlines() if "smallest change" in line)
    assert "…" not in edit and "`Edit " in edit, edit


def test_one_fix_is_one_rule_whichever_tool_hit_it_and_is_not_repeated_as_a_pitfall() -> None:
    def run(name: str, tool: str, args: dict[str, Any], fixed: dict[str, Any], success: bool = True) -> Trace:
        steps = [Step(role="user", text=f"Fix the loader ({name})")]
        steps += _call(0, tool, args, "No such file or directory: src/loader.py", is_error=True)
        steps += _call(1, "Bash", {"command": "ls src/pkg"}, "loader.py")
        steps += _call(2, tool, fixed, "def load(): ...")
        return _session(name, steps, success=success)

    traces = [run("a", "Read", {"file_path": "/home/me/proj/src/loader.py"}, {"file_path": "/home/me/proj/src/pkg/loader.py"}),
              run("b", "Bash", {"command": "cat src/loader.py"}, {"command": "cat src/pkg/loader.py"}),
              run("c", "Bash", {"command": "rg load src/loader.py"}, {"command": "rg load src/pkg/loader.py"})]
    # A run that never got past it: the recovery already says what to do.
    failed = [_session("d", [Step(role="user", text="Fix the writer"),
                             *_call(0, "Bash", {"command": "head src/writer.py"}, "head: cannot open 'src/writer.py': "
                                    "No such file or directory", is_error=True),
                             *_call(1, "Bash", {"command": "head src/writer.py"}, "head: cannot open 'src/writer.py': "
                                    "No such file or directory", is_error=True)], success=False)]
    lessons = _lessons(traces + failed)
    missing = [l for l in lessons if "missing file or path" in l.body or "does not exist" in l.body]
    assert len(missing) == 1 and missing[0].kind == "recovery" and missing[0].support == 3
    assert rule_line(missing[0]).startswith("When a call fails because a file or path it names does not exist")
    assert not [l for l in lessons if "skip this step: submit" in l.body]


def test_failed_runs_that_did_not_submit_do_not_teach_submitting() -> None:
    def run(name: str, solved: bool) -> Trace:
        steps = [Step(role="user", text=f"Solve challenge {name}")]
        steps += _call(0, "Bash", {"command": "python solve.py"}, "flag{x}" if solved else "no flag yet")
        steps += _call(1, "Edit", {"file_path": "/home/me/proj/solve.py", "old_string": "a", "new_string": "b"},
                       "The file has been updated.")
        if solved:
            steps += _call(2, "Bash", {"command": "submit 'flag{x}'"}, "Correct!")
        return _session(name, steps, success=solved)

    lessons = _lessons([run(f"s{n}", True) for n in range(3)] + [run(f"f{n}", False) for n in range(3)])
    assert not [l for l in lessons if "Do not skip this step: submit" in l.body]


def test_runs_that_only_write_their_own_scripts_teach_no_code_change_procedure() -> None:
    def solve(name: str) -> Trace:
        steps = [Step(role="user", text=f"Find the flag of challenge {name}")]
        steps += _call(0, "Bash", {"command": "ls"}, "challenge.bin")
        steps += _call(1, "Write", {"file_path": "/home/me/ctf/solve.py", "content": "print(1)"}, "File created")
        steps += _call(2, "Bash", {"command": "python solve.py"}, "flag{x}")
        steps += _call(3, "Bash", {"command": "submit 'flag{x}'"}, "Correct!")
        return _session(name, steps, success=True)

    assert not [l for l in _lessons([solve("a"), solve("b"), solve("c")]) if l.kind == "procedure"]


def test_a_fix_that_gives_its_reason_gets_no_second_because() -> None:
    def run(name: str) -> Trace:
        steps = [Step(role="user", text=f"Fix the parser ({name})")]
        steps += _call(0, "edit", {"command": "edit 3:4"}, "Your proposed edit has introduced new syntax error(s).",
                       is_error=True)
        fixed = _call(1, "edit", {"command": "edit 3:5"}, "File updated.")
        fixed[0] = fixed[0].model_copy(update={"text": "The changes have not been applied correctly, because of wrong "
                                                       "indentation."})
        steps += fixed
        return _session(name, steps, success=True)

    (rule,) = [rule_line(l) for l in _lessons([run("a")]) if l.kind == "recovery"]
    assert rule.count("because") + rule.count("since") == 1, rule


def test_a_note_that_opens_with_because_is_not_said_twice() -> None:
    def run(name: str) -> Trace:
        steps = [Step(role="user", text=f"Load the settings ({name})")]
        steps += _call(0, "Bash", {"command": "cat conf/settings.toml"}, "cat: conf/settings.toml: No such file or "
                       "directory", is_error=True)
        fixed = _call(1, "Bash", {"command": "cat config/settings.toml"}, "[app]")
        fixed[0] = fixed[0].model_copy(update={"text": "Because the folder is config, not conf."})
        return _session(name, steps + fixed, success=True)

    (rule,) = [rule_line(l) for l in _lessons([run("a")]) if l.kind == "recovery"]
    assert "because because" not in rule.lower()


def test_a_sed_edit_is_shown_without_that_runs_code() -> None:
    # A procedure's "make the smallest change, e.g. …" showed one task's fix: `sed -i 's/write_through=True,/…`.
    from skillforge.distill.heuristic.trace_hints import generic_edit

    assert generic_edit("sed -i 's/write_through=True,/write_through=True, newline=\"\"/' src/_pytest/capture.py") \
        == "sed -i 's/{old}/{new}/' src/_pytest/capture.py"
    assert generic_edit("sed -i '272s/return \\[ cf \\* c for cf in f \\]/return dup_strip(x)/g' a.py") \
        == "sed -i '{line}s/{old}/{new}/g' a.py"
    assert generic_edit("sed -i -e 's|a/b|c/d|' x.py && cat x.py") == "sed -i -e 's/{old}/{new}/' x.py && cat x.py"
    assert generic_edit("perl -pi -e 's/foo(\\d)/bar$1/' x.py") == "perl -pi -e 's/{old}/{new}/' x.py"
    assert generic_edit("pytest tests/test_io.py") == "pytest tests/test_io.py"


def test_a_procedure_example_shows_a_placeholder_once() -> None:
    # `rm reproduce_issue.py verify_fix.py` read `rm {scratch_script} {scratch_script}` in the clean-up step: the
    # same placeholder twice says nothing a reader needs, and reads like a typo.
    def run(name: str) -> Trace:
        steps = [Step(role="user", text=f"Fix the crash in the parser ({name})")]
        steps += _call(0, "Grep", {"pattern": "parse_header"}, "src/parser.py:3: def parse_header")
        steps += _call(1, "Write", {"file_path": "/home/me/proj/reproduce_issue.py", "content": "parse_header('')"},
                       "File created")
        steps += _call(2, "Bash", {"command": "python reproduce_issue.py"}, "IndexError: list index out of range")
        steps += _call(3, "Edit", {"file_path": "/home/me/proj/src/parser.py", "old_string": "a", "new_string": "b"},
                       "The file has been updated.")
        steps += _call(4, "Bash", {"command": "pytest tests/test_parser.py tests/test_header.py"}, "4 passed")
        steps += _call(5, "Bash", {"command": "rm reproduce_issue.py verify_fix.py"}, "")
        return _session(name, steps, success=True)

    procedure = next(l for l in _lessons([run("a"), run("b")]) if l.kind == "procedure")
    examples = " ".join(re.findall(r"`[^`]+`", procedure.body))
    assert "`rm {scratch_script}`" in examples, procedure.body
    assert not re.search(r"(\{\w+\}) \1", examples), procedure.body


def test_a_skipped_step_is_shown_where_it_was_skipped_and_as_successful_runs_took_it() -> None:
    # The evidence of "Do not skip this step: run the code you changed" was each failed run's submit command, which
    # does not show the skip: the change the run never ran does, and the rule shows the step as successful runs took it.
    def run(name: str, solved: bool) -> Trace:
        steps = [Step(role="user", text=f"Fix the crash in the parser ({name})")]
        steps += _call(0, "Grep", {"pattern": "parse_header"}, "src/parser.py:3: def parse_header")
        if solved:
            steps += _call(1, "Write", {"file_path": "/home/me/proj/reproduce_issue.py", "content": "parse_header('')"},
                           "File created")
        steps += _call(2, "Edit", {"file_path": "/home/me/proj/src/parser.py", "old_string": "a", "new_string": "b"},
                       "The file has been updated.")
        if solved:
            steps += _call(3, "Bash", {"command": "python reproduce_issue.py"}, "ok")
        steps += _call(4, "Bash", {"command": "submit"}, "Submitted")
        return _session(name, steps, success=solved)

    traces = [run(f"s{n}", True) for n in range(3)] + [run(f"f{n}", False) for n in range(2)]
    (skipped,) = [l for l in _lessons(traces) if l.title.startswith("Unsuccessful runs skipped step run")]
    assert "`python {scratch_script}`" in rule_line(skipped), skipped.body
    edits = {t.id: next(n for n, s in enumerate(t.steps) if s.tool_call and s.tool_call.name == "Edit") for t in traces}
    assert {(e.trace_id, e.step) for e in skipped.evidence} == {("f0", edits["f0"]), ("f1", edits["f1"])}


def test_a_command_of_a_run_whose_project_is_unknown_joins_the_projects_rule() -> None:
    # Eight SWE-agent replays of one marshmallow task: the project of two could not be told, and `pip install -e
    # .[dev]` came out twice, "Build or install the project with …" and "… in marshmallow with …".
    def run(name: str, cwd: str, command: str) -> Trace:
        steps = [Step(role="user", text=f"Fix the field validation ({name})")]
        steps += _call(0, "Bash", {"command": command}, "Successfully installed")
        steps += _call(1, "Edit", {"file_path": "src/fields.py", "old_string": "a", "new_string": "b"},
                       "The file has been updated.")
        steps += _call(2, "Bash", {"command": "python reproduce.py"}, "ok")
        return _session(name, steps, cwd=cwd, success=True)

    def commands(traces: list[Trace]) -> list[str]:
        return [l.body for l in _lessons(traces) if tag(l, "section") == "commands"]

    project = [run("a", "/home/me/marshmallow", "pip install -e .[dev]"), run("b", "/tmp", "pip install -e .[dev]")]
    assert commands(project) == ["Build or install the project in marshmallow with `pip install -e .[dev]`."]
    # A command no run of the project ran stays out of the project's rule.
    assert not [c for c in commands([*project, run("c", "/tmp", "pip install pwntools")]) if "marshmallow" in c
                and "pwntools" in c]


def test_switching_commands_is_a_rule_only_when_the_next_command_does_the_same_job() -> None:
    # deepseek on django: `python -c …` failed with ImproperlyConfigured and the next command that worked wrote a
    # script ("switch to `cat > analyze_code.py` as the run did"): that is what the run did next, not an alternative.
    def run(name: str, then: str) -> Trace:
        steps = [Step(role="user", text=f"Fix the form rendering ({name})")]
        steps += _call(0, "Bash", {"command": "python -c \"import django; from app import models\""},
                       "django.core.exceptions.ImproperlyConfigured: Requested setting USE_I18N, but settings are not "
                       "configured.", is_error=True)
        steps += _call(1, "Bash", {"command": then}, "ok")
        return _session(name, steps, success=True)

    def switches(then: str) -> list[str]:
        return [l.body for l in _lessons([run("a", then), run("b", then)]) if "switch to" in l.body]

    assert not switches("cat > analyze_code.py << 'EOF'\nprint(1)\nEOF")
    # inline code the run typed in is its own work, not a command to switch to (pvlib: pytest, then `python -c "…"`)
    def pvlib(name: str) -> Trace:
        steps = [Step(role="user", text=f"Fix the irradiance model ({name})")]
        steps += _call(0, "Bash", {"command": "cd /testbed && pytest pvlib/tests/test_irradiance.py"},
                       "TypeError: /testbed/setup.cfg: config option 'testpaths' expects a list for type 'args', got "
                       "str: 'pvlib/tests'", is_error=True)
        steps += _call(1, "Bash", {"command": "cd /testbed && python -c \"from pvlib.tests import test_irradiance\""},
                       "ok")
        return _session(name, steps, success=True)

    assert not [l.body for l in _lessons([pvlib("a"), pvlib("b")]) if "switch to" in l.body]
    # another command doing the same job is the alternative to name (a search for a search)
    def search(name: str) -> Trace:
        steps = [Step(role="user", text=f"Find where the widget renders ({name})")]
        steps += _call(0, "Bash", {"command": "ack render_widget src"}, "ack: walker crashed in src", is_error=True)
        steps += _call(1, "Bash", {"command": "grep -rn render_widget src"}, "src/w.py:3: def render_widget")
        return _session(name, steps, success=True)

    assert [l.body for l in _lessons([search("a"), search("b")]) if "switch to `grep -rn" in l.body]


def test_installing_a_named_package_or_running_inline_code_is_no_project_command() -> None:
    # deepseek on astropy and django: "Build or install the project in astropy with `pip install pytest -q`" and
    # "Run the relevant tests in django with … `cd /testbed && python -c "`": a package the run wanted and code it
    # typed in are that run's, not how the project is built or tested.
    def run(name: str, install: str, check: str) -> Trace:
        steps = [Step(role="user", text=f"Fix the unit conversion ({name})")]
        steps += _call(0, "Bash", {"command": install}, "Successfully installed")
        steps += _call(1, "Edit", {"file_path": "src/units.py", "old_string": "a", "new_string": "b"},
                       "The file has been updated.")
        steps += _call(2, "Bash", {"command": check}, "3 passed")
        return _session(name, steps, cwd="/home/me/astropy", success=True)

    def commands(install: str, check: str) -> list[str]:
        traces = [run("a", install, check), run("b", install, check)]
        return [l.body for l in _lessons(traces) if tag(l, "section") == "commands"]

    assert commands("pip install pytest -q", "cd /testbed && python -c \"from astropy import units; units.test()\"") == []
    assert len(commands("pip install -e .[test]", "python -m pytest astropy/units -q")) == 2
