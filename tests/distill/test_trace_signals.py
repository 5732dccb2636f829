"""Tool results that are not failures (running, empty search, warning, interruption, permission prompt) are
never read as failures, and real failures are told apart by kind."""

from __future__ import annotations

import pytest

from skillforge.distill.heuristic.analyzer import HeuristicAnalyzer
from skillforge.distill.heuristic.signals import classify
from skillforge.models import Outcome, Source, Step, ToolCall, ToolResult, Trace


@pytest.mark.parametrize(
    ("output", "flags", "expected"),
    [
        ("Chunk ID: 1\nWall time: 10.0 seconds\nProcess running with session ID 47596\nOutput:\n", {}, "running"),
        ("Command running in background with ID: bash_3", {"is_error": False}, "running"),
        ("", {"exit_code": 1, "family": "grep", "role": "search"}, "empty"),
        ("No matches found", {"is_error": True, "family": "grep", "role": "search"}, "empty"),
        ("", {"exit_code": 1, "family": "ps", "command": "ps aux | grep myserver"}, "empty"),
        ("npm WARN deprecated inflight@1.0.6: not supported\nadded 3 packages", {"is_error": True, "exit_code": 0},
         "warning"),
        ("warning: uv 0.9 is a pre-release; expect changes", {"is_error": True}, "warning"),
        ("[Request interrupted by user for tool use]", {"is_error": True}, "interrupted"),
        ("The user doesn't want to proceed with this tool use. The tool use was rejected", {"is_error": True},
         "interrupted"),
        ("This command requires approval", {"is_error": True}, "denied"),
        ("Claude requested permissions to use WebSearch, but you haven't granted it yet.", {"is_error": True}, "denied"),
        ("ls in '~/.claude' was blocked. For security, Claude Code may only list files in the allowed directories",
         {"is_error": True}, "denied"),
        ("Process exited with code 1\nOutput:\nzsh:1: operation not permitted: ps", {}, "denied"),
        ("all good", {}, "ok"),
    ],
)
def test_signal_classes(output: str, flags: dict, expected: str) -> None:  # type: ignore[type-arg]
    signal = classify(output, **flags)
    assert signal.kind == expected
    assert (signal.failed is True) == (expected == "failed")


@pytest.mark.parametrize(
    ("output", "flags", "kind"),
    [
        ("cat: /tmp/x.py: No such file or directory", {"exit_code": 1}, "not_found"),
        ("bash: rgx: command not found", {"exit_code": 127}, "command_not_found"),
        ("  File \"x.py\", line 3\n    def f(\nSyntaxError: '(' was never closed", {"exit_code": 1}, "syntax"),
        ("[No exact match found in /w/a.tsx for\n```\nfoo\n```]", {"is_error": True}, "edit_mismatch"),
        ("FAILED tests/test_a.py::test_b - assert 1 == 2\n1 failed, 3 passed", {"exit_code": 1, "role": "test"},
         "test_failure"),
        ("ModuleNotFoundError: No module named 'yaml'", {"exit_code": 1}, "import"),
        ("Command timed out after 120s", {"is_error": True}, "timeout"),
        ("rm: cannot remove '/etc/x': Permission denied", {"exit_code": 1}, "permission"),
        ("error: unrecognized arguments: --fast", {"exit_code": 2}, "bad_arguments"),
        ("curl: (7) Failed to connect to localhost port 80: Connection refused", {"exit_code": 7}, "network"),
        ("Error: gift card balance is not enough", {"in_shell": False}, "rejected"),
        # tool-schema validation told as "<parameter> is required", and a failed `cd` inside a build script
        ("ERROR:\nParameter `old_str` is required for command: str_replace.", {"is_error": True}, "bad_arguments"),
        ("/bin/sh: 1: cd: can't cd to /workspace/build", {"exit_code": 2}, "not_found"),
        # A library or package the build needs is missing: installed, not searched for as a path.
        ("CMake Error at CMakeLists.txt:27 (find_package):\n  Could not find a package configuration file provided "
         "by \"LLVM\" with any of\n  the following names:", {"exit_code": 1}, "import"),
        ("-- Could NOT find ZLIB (missing: ZLIB_LIBRARY ZLIB_INCLUDE_DIR)", {"exit_code": 1}, "import"),
        ("Package libffi was not found in the pkg-config search path.", {"exit_code": 1}, "import"),
        ("No package 'gtk+-3.0' found", {"exit_code": 1}, "import"),
        ("/usr/bin/ld: cannot find -lz: No such file or directory", {"exit_code": 1}, "import"),
        ("src/io.c:3:10: fatal error: zlib.h: No such file or directory", {"exit_code": 1}, "import"),
        # `python -m pytest` without pytest: the program is missing, as `pytest: command not found` says
        ("/usr/bin/python3: No module named pytest", {"exit_code": 1, "command": "/usr/bin/python3 -m pytest a"},
         "command_not_found"),
        ("ModuleNotFoundError: No module named 'yaml'", {"exit_code": 1, "command": "python -m app.cli"}, "import"),
        # pip timing out on the package index is the network, not a command to narrow
        ("pip._vendor.urllib3.exceptions.ReadTimeoutError: HTTPSConnectionPool(host='files.pythonhosted.org', "
         "port=443): Read timed out.", {"exit_code": 2}, "network"),
        # an exception of the code under test whose message says "could not find" is no missing path
        ("Traceback (most recent call last):\n  File \"t.py\", line 3, in <module>\nValueError: Could not find object "
         "Outer.Inner in __main__.", {"exit_code": 1}, "exception"),
        ("Traceback (most recent call last):\nFileNotFoundError: [Errno 2] No such file or directory: 'a.csv'",
         {"exit_code": 1}, "not_found"),
        # A traceback's kind is the error it ends on, not words in the source lines it shows (deepseek on marshmallow:
        # a NameError read as invalid arguments; a TypeError of the code under test is no tool's usage either)
        ("Traceback (most recent call last):\n  File \"t.py\", line 3, in <module>\n    raise ValueError(\"invalid "
         "argument\")\nNameError: name 'validates_schema' is not defined", {"exit_code": 1}, "exception"),
        ("Traceback (most recent call last):\n  File \"t.py\", line 9, in <module>\n    load(path, fast=True)\n"
         "TypeError: load() got an unexpected keyword argument 'fast'", {"exit_code": 1}, "exception"),
        ("Traceback (most recent call last):\n  File \"t.py\", line 1, in <module>\n    import yaml\n"
         "ModuleNotFoundError: No module named 'yaml'", {"exit_code": 1}, "import"),
    ],
)
def test_failure_kinds(output: str, flags: dict, kind: str) -> None:  # type: ignore[type-arg]
    signal = classify(output, **flags)
    assert signal.kind == "failed" and signal.failure == kind


def _trace(name: str, calls: list[tuple[str, str, ToolResult]], success: bool | None = True) -> Trace:
    steps = [Step(role="user", text="Fix the failing build in the parser module")]
    for number, (tool, command, result) in enumerate(calls):
        steps.append(Step(role="assistant", tool_call=ToolCall(name=tool, arguments={"command": command}, id=str(number))))
        steps.append(Step(role="tool", tool_result=result.model_copy(update={"call_id": str(number)})))
    return Trace(id=name, source=Source(path=f"{name}.jsonl", format="claude-code"), task="Fix the failing build",
                 steps=steps, outcome=Outcome(success=success))


@pytest.mark.parametrize(
    "result",
    [
        ToolResult(output="Process running with session ID 47596", exit_code=None),
        ToolResult(output="", exit_code=1),
        ToolResult(output="npm WARN deprecated glob@7: use v9", is_error=True, exit_code=0),
        ToolResult(output="[Request interrupted by user]", is_error=True),
        ToolResult(output="This command requires approval", is_error=True),
    ],
    ids=["running", "empty-grep", "warning", "interrupted", "permission-prompt"],
)
def test_misread_signals_give_no_recovery_or_pitfall(result: ToolResult) -> None:
    traces = []
    for n in range(3):
        command = "grep -rn parse_header src" if result.exit_code == 1 else "npm run build"
        calls = [(
            "Bash", command, result),
            ("Bash", command + " --verbose", ToolResult(output="done", exit_code=0)),
            ("Edit", "src/parser.py", ToolResult(output="updated")),
        ]
        traces.append(_trace(f"run{n}", calls))
    lessons = HeuristicAnalyzer().analyze(traces)
    wrong = [l for l in lessons if l.kind in ("recovery", "pitfall", "failure_cause")]
    assert not wrong, [l.body for l in wrong]


@pytest.mark.parametrize(
    ("command", "code", "output", "expected"),
    [
        ("diff a.txt b.txt", 1, "3c3\n< old\n---\n> new", "ok"),  # the differences are the answer
        ("diff a.txt b.txt 2>&1", 1, "3c3\n< old\n---\n> new", "ok"),  # a redirection's "&" splits nothing
        ("python gen.py | diff - expected.txt", 1, "1c1\n< 3\n---\n> 4", "ok"),
        ("git diff --exit-code", 1, "diff --git a/x b/x\n-old\n+new", "ok"),
        ("cmp a.bin b.bin", 1, "a.bin b.bin differ: byte 3, line 1", "ok"),
        ("test -f build/out.js", 1, "", "empty"),  # "no"
        ("[ -d node_modules ] && echo yes", 1, "", "empty"),  # the echo never ran: `[` answered
        ("pgrep -f uvicorn", 1, "", "empty"),
        ("pkill -f 'uvicorn app:main'", 1, "", "empty"),
        ("git grep -n parse_header", 1, "", "empty"),
        ("command -v rg", 1, "", "empty"),
        ("systemctl is-active nginx", 1, "inactive", "empty"),
        ("FOO=1 sudo test -w /etc/hosts", 1, "", "empty"),
        # Their real trouble is status 2 or an error text, and a failure it stays.
        ("diff a.txt b.txt", 2, "diff: b.txt: No such file or directory", "failed"),
        ("test -f a b c", 1, "bash: test: too many arguments\nusage: test", "failed"),
        ("git diff HEAD~3", 1, "fatal: not a git repository", "failed"),
        ("systemctl restart nginx", 1, "Job for nginx.service failed", "failed"),
        ("make test && echo done", 1, "make: *** [test] Error 1", "failed"),
        # A project's own runner called by path (sympy's `bin/test`) is not the shell's `test`: exit 1 is failing tests.
        ("bin/test sympy/core/tests/test_symbol.py", 1, "= tests finished: 3 passed, 1 failed =", "failed"),
        ("./test", 1, "1 test failed", "failed"),
    ],
)
def test_commands_that_answer_by_exit_status_one_are_not_failures(
        command: str, code: int, output: str, expected: str) -> None:
    signal = classify(output, is_error=True, exit_code=code, family=command.split()[0], role="run", command=command)
    assert signal.kind == expected


def test_a_timeout_wrapper_killing_its_command_is_a_timeout() -> None:
    signal = classify("", is_error=True, exit_code=124, family="npm test", role="test", command="timeout 60 npm test")
    assert (signal.kind, signal.failure) == ("failed", "timeout")


def test_a_codex_poll_reporting_its_commands_exit_is_not_a_second_failure() -> None:
    # The reader gives a command finished by `write_stdin` polls its exit status; the poll that carried
    # "Process exited with code 2" worked, only a poll the reader flagged ("stdin is closed") failed.
    from pathlib import Path

    from skillforge.distill.heuristic.actions import actions_of
    from skillforge.ingest import read_file

    path = Path(__file__).parent.parent / "data" / "fixtures" / "codex" / "unified_exec_polls.jsonl"
    (trace,) = [t for t in read_file(path) if isinstance(t, Trace)]
    failed = [(a.tool, a.failure) for a in actions_of(trace) if a.failed]
    assert failed == [("write_stdin", "rejected"), ("exec_command", "not_found")]


def test_a_projects_test_runner_called_by_path_is_a_test_run() -> None:
    # sympy's `bin/test` (and `./run_tests.sh`) run the project's tests; the shell's `test -f` is never called by a
    # relative path. Read as the builtin, a run that used only `bin/test` looked as if it never ran its tests.
    from skillforge.distill.heuristic.actions import command_family

    trace = _trace("sympy", [
        ("Bash", "bin/test sympy/core/tests/test_symbol.py", ToolResult(output="tests finished: 12 passed", exit_code=0)),
        ("Bash", "./run_tests.sh -k parser", ToolResult(output="ok", exit_code=0)),
        ("Bash", "test -f setup.py && echo yes", ToolResult(output="yes", exit_code=0)),
    ])
    from skillforge.distill.heuristic.actions import actions_of

    assert [(a.family, a.role) for a in actions_of(trace)] == [
        ("bin/test", "test"), ("run_tests.sh", "test"), ("test", "other")]
    assert command_family("/usr/bin/test -d build") == "test"


def test_a_reproduction_script_failing_is_the_bug_reproduced_not_an_error_to_learn_from() -> None:
    # mini-swe-agent runs write `reproduce_issue.py` and run it (`pytest reproduce_issue.py`): before the fix it must
    # fail, and that failure is no pitfall ("check whether it also fails without your change" would be nonsense).
    def run(name: str) -> Trace:
        calls = [
            ("Bash", "cat <<'EOF' > reproduce_issue.py\ndef test_cr():\n    assert read() == 'a\\r'\nEOF",
             ToolResult(output="", exit_code=0)),
            ("Bash", "pytest reproduce_issue.py", ToolResult(
                output="FAILED reproduce_issue.py::test_cr - AssertionError: assert 'a\\n' == 'a\\r'\n1 failed",
                exit_code=1)),
            ("Bash", "python3 reproduce_issue.py", ToolResult(
                output="Traceback (most recent call last):\nValueError: newline lost", exit_code=1)),
            *[("Bash", f"grep -n newline src/capture.py | head -{n}", ToolResult(output="12: newline", exit_code=0))
              for n in range(1, 7)],
            ("Bash", "sed -i 's/newline=None/newline=\"\"/' src/capture.py", ToolResult(output="", exit_code=0)),
            ("Bash", "pytest reproduce_issue.py", ToolResult(output="1 passed", exit_code=0)),
            ("Bash", "pytest testing/test_capture.py", ToolResult(output="40 passed", exit_code=0)),
        ]
        return _trace(name, calls, success=name != "run2")

    lessons = HeuristicAnalyzer().analyze([run(f"run{n}") for n in range(3)])
    wrong = [l.body for l in lessons if l.kind in ("pitfall", "recovery") and "reproduce_issue" in str(l.evidence)]
    assert not wrong, wrong


@pytest.mark.parametrize("second", ["cmake -DLLVM_DIR=/usr/lib/llvm-14/cmake -B build", "cmake -B build"])
def test_a_pitfall_says_resending_unchanged_failed_only_when_the_same_call_was_resent(second: str) -> None:
    # The ponyc run changed its cmake call (-DLLVM_DIR=...) and it failed the same way: that is no
    # "resending it unchanged"; only the very same call failing again is.
    error = "CMake Error at CMakeLists.txt:27 (find_package):\n  Could not find a package configuration file"
    traces = [_trace(f"run{n}", [
        ("Bash", "cmake -B build", ToolResult(output=error, exit_code=1)),
        ("Bash", second, ToolResult(output=error, exit_code=1)),
        ("Bash", "ls build", ToolResult(output="CMakeFiles", exit_code=0)),
    ], success=False) for n in range(2)]
    (pitfall,) = [l for l in HeuristicAnalyzer().analyze(traces) if l.kind == "pitfall" and l.body.startswith("When `cmake`")]
    assert ("resending it unchanged" in pitfall.body) == (second == "cmake -B build"), pitfall.body


def test_one_missing_dependency_is_one_pitfall_whichever_command_hit_it() -> None:
    # The same fix for cmake's find_package and the linker's -lz (install the library): one rule, as recoveries of
    # these kinds already are, not a near-duplicate per command. It is said as what it is, a library the build
    # needs (not "a missing module or import"), with its own fix; a Python module missing keeps the import rule.
    traces = [
        _trace("ponyc", [("Bash", "cmake -B build", ToolResult(
            output="CMake Error at CMakeLists.txt:27 (find_package):\n  Could not find a package configuration file "
                   "provided by \"LLVM\"", exit_code=1))], success=False),
        _trace("zlib", [("Bash", "make", ToolResult(
            output="/usr/bin/ld: cannot find -lz: No such file or directory", exit_code=2))], success=False),
        _trace("sympy", [("Bash", "python3 -m pytest sympy/core", ToolResult(
            output="ModuleNotFoundError: No module named 'mpmath'", exit_code=1))], success=False),
    ]
    pitfalls = [l.body for l in HeuristicAnalyzer().analyze(traces) if l.kind == "pitfall" and l.body.startswith("When ")]
    library = [p for p in pitfalls if "library" in p]
    assert len(library) == 1 and library[0].startswith("When a command fails because a library the build needs is "
                                                       "missing"), pitfalls
    assert "module" not in library[0] and "development package" in library[0], library
    assert "`Could not find a package configuration file provided by \"LLVM\"`" in library[0], library  # not "CMake Error at"
    assert [p for p in pitfalls if p.startswith("When `pytest` fails with a missing module or import")], pitfalls


def test_a_timeout_is_one_pitfall_whichever_command_timed_out_and_quotes_the_timeout() -> None:
    # SWE-agent CTF runs: `RsaCtfTool.py`, `python solve.py` and `./rock` each timed out. Narrowing the command or
    # running it in the background is the fix for every command: one rule, not one per command. RsaCtfTool printed
    # a notice and then its attacks' progress; the harness's verdict came last, and that verdict is what to quote.
    verdict = "EXECUTION TIMED OUT BECAUSE NO OUTPUT WAS PRODUCED FOR MORE THAN 60.0 SECONDS."
    chatty = "\n".join([
        "\x1b[33;21mprivate argument is not set, the private key will not be displayed, even if recovered.\x1b[0m",
        *(f"\x1b[38;21m[*] Performing attack {n} on pub1.pub.\x1b[0m" for n in range(60)),
        verdict, "PLEASE REFINE YOUR RUNNING COMMAND SO IT WILL PRODUCE OUTPUT IN THE SPECIFIED TIME FRAME."])
    runs = [("a_rsa", "RsaCtfTool.py --publickey pub1.pub --decrypt 0xA76E", chatty),
            ("b_katy", "python solve.py", verdict), ("c_rock", "./rock", verdict)]
    traces = [_trace(name, [("Bash", command, ToolResult(output=output, is_error=True)),
                            ("Bash", "cat flag.txt", ToolResult(output="flag{x}", exit_code=0))], success=None)
              for name, command, output in runs]
    timeouts = [l.body for l in HeuristicAnalyzer().analyze(traces) if "timed out" in l.body.lower() or "timeout" in l.body]
    assert len(timeouts) == 1, timeouts
    assert "EXECUTION TIMED OUT" in timeouts[0] and "private argument" not in timeouts[0], timeouts
    assert timeouts[0].startswith("When a command times out ("), timeouts


def test_a_rule_for_whatever_command_failed_says_why_as_a_person_would() -> None:
    # `cat` and `python` each missing a file, recovered by the path a search showed: one rule that says what
    # went wrong ("because a file … does not exist"), not "When a call fails with a missing file or path".
    def run(name: str, first: str, then: str) -> Trace:
        return _trace(name, [
            ("Bash", first, ToolResult(output=f"{first.split()[0]}: 'a.py': No such file or directory", exit_code=1)),
            ("Bash", "find . -name a.py", ToolResult(output="./src/a.py", exit_code=0)),
            ("Bash", then, ToolResult(output="ok", exit_code=0)),
            ("Edit", "src/a.py", ToolResult(output="updated")),
            ("Bash", "pytest tests", ToolResult(output="3 passed", exit_code=0)),
        ])

    traces = [run("cat", "cat a.py", "cat src/a.py"), run("py", "python a.py", "python src/a.py")]
    (rule,) = [l.body for l in HeuristicAnalyzer().analyze(traces) if l.kind == "recovery"]
    assert rule.startswith("When a command fails because a file or path it names does not exist, "), rule


def test_a_test_runner_that_is_not_installed_is_recovered_by_the_projects_own_runner() -> None:
    # sympy: `python3 -m pytest` answered "No module named pytest" and the run went on with the project's `bin/test`.
    # That is a recovery (another command of the same role), and the rule says to look for the project's runner.
    def run(name: str, runner: str) -> Trace:
        return _trace(name, [
            ("Bash", "sed -i 's/a/b/' sympy/polys/densearith.py", ToolResult(output="", exit_code=0)),
            ("Bash", "/usr/bin/python3 -m pytest sympy/polys/tests/test_densearith.py",
             ToolResult(output="/usr/bin/python3: No module named pytest", exit_code=1)),
            ("Bash", "ls bin", ToolResult(output="test", exit_code=0)),
            ("Bash", f"{runner} sympy/polys/tests/test_densearith.py", ToolResult(output="12 passed", exit_code=0)),
        ])

    lessons = HeuristicAnalyzer().analyze([run("sympy-1", "bin/test"), run("sympy-2", "bin/test")])
    (recovery,) = [l for l in lessons if l.kind == "recovery"]
    assert recovery.body.startswith("When `pytest` is not installed, check which command the environment provides")
    assert "and use that one (e.g. `bin/test {test_file}`)." in recovery.body, recovery.body
    assert "then `bin/test " in recovery.body, recovery.body
    assert not [l.body for l in lessons if l.kind == "pitfall"]


@pytest.mark.parametrize("then", ["cat setup.cfg", "python -c \"from tests.test_http import run; run()\"",
                                  "python test_http_directly.py"])
def test_a_missing_runner_is_not_recovered_by_what_is_no_runner(then: str) -> None:
    # After `pytest` was not found the run read a file, or ran its own code through the interpreter (deepseek runs
    # on django: `python -c "…"`, `python test_validators_directly.py`): nothing there is the project's runner.
    trace = _trace("x", [
        ("Bash", "pytest tests", ToolResult(output="bash: pytest: command not found", exit_code=127)),
        ("Bash", then, ToolResult(output="ok", exit_code=0)),
        ("Bash", "grep -rn def parse src", ToolResult(output="src/a.py:1:def parse", exit_code=0)),
    ])
    assert not [l for l in HeuristicAnalyzer().analyze([trace, trace.model_copy(update={"id": "y"})])
                if l.kind == "recovery"]


def test_a_quote_left_open_is_told_apart_from_a_path_the_shell_parsed() -> None:
    # deepseek on django: `sed -i '935a\    # … doesn\'t match …' base.py` — a ' inside a single-quoted sed script ends
    # it, and bash answered "unexpected EOF while looking for matching `''". The rule said to quote the path.
    output = ("bash: -c: line 1: unexpected EOF while looking for matching `''\n"
              "bash: -c: line 2: syntax error: unexpected end of file\n")
    command = "cd /testbed && sed -i '935a\\    # Use pk if it doesn\\'t match' django/db/models/base.py"
    trace = _trace("django", [("Bash", command, ToolResult(output=output, exit_code=2)),
                              ("Bash", command, ToolResult(output=output, exit_code=2)),
                              ("Bash", "python tests/runtests.py model_fields", ToolResult(output="OK", exit_code=0))])
    (rule,) = [l.body for l in HeuristicAnalyzer().analyze([trace]) if l.kind == "pitfall"]
    assert rule.startswith("When `sed -i` fails because a quote in it is never closed"), rule
    assert "path" not in rule.split("\n")[0] and "'\\''" in rule, rule
