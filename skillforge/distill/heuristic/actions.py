"""Turn a Trace's tool calls into Actions: what ran, which family of command it was, its role, and whether it failed.

Every reader normalizes tool calls differently (a shell string, ``{"command": ...}``, ``{"cmd": ...}``,
SWE-agent's text commands, IPython code calling ``edit_file_by_replace(...)``); this module is the
one place that reads them back into comparable pieces for the heuristic analyzer.
"""

from __future__ import annotations

import json
import re
import shlex
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from skillforge.distill.heuristic.signals import classify, missing_library, unclosed_quote
from skillforge.distill.heuristic.signatures import error_line, normalize_signature
from skillforge.distill.heuristic.trace_hints import tool_hint
from skillforge.models import Step, Trace

__all__ = ["Action", "action_of", "actions_of", "command_family", "error_line", "iter_actions", "normalize_signature"]

SHELL_TOOLS = {
    "bash", "shell", "sh", "zsh", "exec_command", "execute_bash", "execute_command", "run", "run_command",
    "run_shell_command", "shell_command", "terminal", "local_shell", "cmd", "command", "container.exec", "cmdrun",
}
CODE_TOOLS = {"run_ipython", "ipython", "python", "execute_ipython_cell", "jupyter", "js", "javascript", "code"}
_CMD_KEYS = ("command", "cmd", "commands", "script", "code", "input", "query", "action")
_SUBCOMMAND_TOOLS = {
    "git", "npm", "yarn", "pnpm", "cargo", "go", "just", "make", "pip", "pip3", "docker", "kubectl", "uv", "poetry",
    "conda", "helm", "terraform", "gh", "bun", "deno", "mvn", "gradle", "dotnet", "tox", "nox", "hatch", "brew", "apt",
    "apt-get", "systemctl", "journalctl", "pdm", "rye", "composer", "bundle", "rake",
}
_WRAPPERS = {"sudo", "time", "nohup", "env", "timeout", "exec", "command", "nice", "xargs", "stdbuf", "unbuffer"}

ROLE_OF: dict[str, str] = {}
# "+" stands for a space inside a family name ("sed+-i" is the family "sed -i").
for _role_name, _names in {
    "search": "grep rg ag ack find fd locate find_file search_dir search_file glob grep_search websearch web_search "
    "codebase_search git+grep file_search",
    "read": "cat head tail less more nl view open read read_file open_file goto scroll_up scroll_down sed+-n wc "
    "str_replace_editor:view view_file readfile get_file_contents webfetch web_fetch",
    "edit": "edit sed+-i multiedit write apply_patch edit_file_by_replace insert_content_at_line append_file patch "
    "perl+-pi cat+> str_replace_editor:str_replace str_replace_editor:insert str_replace_editor:create "
    "str_replace_editor:undo_edit str_replace edit_file write_file create_file replace_in_file notebookedit tee "
    "create touch",
    "test": "pytest tox nox unittest runtests.py npm+test yarn+test pnpm+test go+test cargo+test just+test make+test "
    "jest vitest mocha rspec phpunit ctest mvn+test gradle+test bun+test deno+test dotnet+test hatch+test",
    "build": "make cargo+build go+build npm+build yarn+build pnpm+build npm+run tsc mvn+package gradle+build "
    "pip+install uv+sync poetry+install npm+install yarn+install pnpm+install just+build docker+build pip3+install "
    "uv+pip",
    "lint": "ruff flake8 mypy eslint black prettier ty pyright pylint just+fmt just+typecheck just+lint isort "
    "pre-commit golangci-lint cargo+clippy cargo+fmt gofmt npm+lint yarn+lint pnpm+lint",
    "vcs": "git",
    "submit": "submit finish task_complete attempt_completion complete_task",
    "cleanup": "rm rmdir",
    "trivial": "ls cd pwd echo clear true which whoami date sleep printf export source set todowrite think "
    "update_plan todoread exit history type file stat tree du df id uname",
}.items():
    for _name in _names.split():
        ROLE_OF[_name.replace("+", " ")] = _role_name


@dataclass(slots=True)
class Action:
    """One tool call of a trace and what came back (slotted: a long session makes tens of thousands)."""

    index: int
    """Position among the trace's actions."""
    step: int
    """Index of the step that made the call."""
    tool: str
    command: str
    """The shell command or code, or a compact rendering of the arguments."""
    args: dict[str, Any] | str
    family: str
    role: str
    result_step: int | None = None
    output: str = ""
    failed: bool | None = None
    """True for a real failure (see ``signals.classify``); None when no result was seen, or the call is still
    running, was interrupted or waits for permission."""
    signal: str = ""
    """How the result reads: ok, running, empty, warning, interrupted, denied or failed ("" without a result)."""
    failure: str | None = None
    """For a failure, its kind (``not_found``, ``syntax``, ``edit_mismatch``, ``test_failure`` …)."""
    thought: str = ""
    """The assistant's text on the calling step (why it ran this)."""
    files: list[str] = field(default_factory=list)
    """Files the action writes (for edits) or reads, as given."""
    quote: str = ""
    """A short piece of the call exactly as it occurs in its arguments (for evidence)."""
    main_length: int = 0
    """Length of the call's longest string argument (an edit's snippet), kept after ``slim``."""
    call_id: str | None = None
    hint: str = ""
    """For a failure, the command or flag its output recommends (``trace_hints.tool_hint``), kept after ``slim``."""

    def slim(self, keep: int = 2000) -> None:
        """Drop what the aggregation no longer needs (outputs, long arguments) so digests stay small.

        Long argument strings become a stand-in carrying their length and a hash, so two calls that
        differed still differ and one that repeated the other still compares equal.
        """
        self.output = ""
        self.thought = self.thought[:keep]
        self.command = self.command[:keep]
        self.args = _slim_value(self.args)

    @property
    def ok(self) -> bool:
        return self.failed is False


def actions_of(trace: Trace) -> list[Action]:
    """The trace's tool calls in order, each paired with its result (by call id, else in order)."""
    return list(iter_actions(trace))


def iter_actions(trace: Trace) -> Iterator[Action]:
    """``actions_of`` as a stream: an action is yielded once its result is attached (or at the end).

    An attached action never changes again, so a consumer may drop it after use; only calls still
    waiting for their result, and those after them, are held.
    """
    held: deque[Action] = deque()
    count = 0
    pending: list[Action] = []
    by_id: dict[str, Action] = {}
    for number, step in enumerate(trace.steps):
        if step.tool_call is not None:
            action = _make_action(count, number, step)
            count += 1
            held.append(action)
            if step.tool_call.id:
                by_id[step.tool_call.id] = action
            if step.tool_result is not None:
                _attach(action, number, step)
                _answered(by_id, action)
            else:
                pending.append(action)
        elif step.tool_result is not None:
            target = by_id.get(step.tool_result.call_id or "")
            if target is None or target.result_step is not None:
                target = next((a for a in pending if a.result_step is None), None)
            if target is not None:
                _attach(target, number, step)
                _answered(by_id, target)
        if pending:
            pending = [a for a in pending if a.result_step is None]
        while held and held[0].result_step is not None:
            yield held.popleft()
    yield from held


def _answered(by_id: dict[str, Action], action: Action) -> None:
    # An answered call takes no other result: a later result with its id goes to the first pending
    # call, exactly as if the id were unknown, so forgetting it keeps the map to unanswered calls.
    if action.call_id and by_id.get(action.call_id) is action:
        del by_id[action.call_id]


def _attach(action: Action, number: int, step: Step) -> None:
    result = step.tool_result
    assert result is not None
    action.result_step = number
    action.output = result.output
    exit_code = result.exit_code
    if exit_code is None and not result.is_error and action.tool.lower() in _POLL_TOOLS:
        # A poll's "Process exited with code 2" is the polled command's status, which the reader already
        # gave that command; the poll itself worked unless the reader flagged it.
        exit_code = 0
    signal = classify(result.output, is_error=result.is_error, exit_code=exit_code, family=action.family,
                      role=action.role, command=action.command, in_shell=_is_shell_tool(action.tool, action.command))
    action.signal, action.failure, action.failed = signal.kind, signal.failure, signal.failed
    if signal.failure == "import" and missing_library(result.output):
        action.failure = "dependency"  # a library the build needs: installed and found unlike a Python module
    elif signal.failure == "shell_quoting" and unclosed_quote(result.output):
        action.failure = "unclosed_quote"  # a quote the command never closed, not a path the shell parsed
    if signal.failed:
        action.hint = tool_hint(result.output)
        if signal.failure == "hook" and "git commit" in action.command and action.family.startswith("git"):
            action.family = "git commit"  # `git add -A && git commit …`: the commit's hook answered


_POLL_TOOLS = frozenset({"write_stdin"})
"""Tools that read more output of a command still running (Codex unified exec) rather than run one."""


def _is_shell_tool(tool: str, command: str) -> bool:
    lowered = tool.lower()
    return (lowered in SHELL_TOOLS or lowered in CODE_TOOLS or "bash" in lowered or "shell" in lowered
            or lowered.endswith("exec_command") or command.startswith(tool) or lowered in _EDITOR_TOOLS)


_EDITOR_TOOLS = {
    "edit", "write", "multiedit", "read", "str_replace_editor", "str_replace_based_edit_tool", "apply_patch", "glob",
    "grep", "ls", "view", "open", "create", "find_file", "search_dir", "search_file", "notebookedit", "webfetch",
    "websearch", "task", "todowrite", "exitplanmode",
}


def action_of(number: int, step: Step) -> Action:
    """The (unanswered) action of the tool call on step ``number``: its family, role and files."""
    return _make_action(0, number, step)


def _make_action(index: int, number: int, step: Step) -> Action:
    call = step.tool_call
    assert call is not None
    command, family = _command_and_family(call.name, call.arguments)
    role = _role(family, command)
    return Action(
        index=index,
        step=number,
        tool=call.name,
        command=command,
        args=call.arguments,
        family=family,
        role=role,
        thought=step.text,
        files=_files(call.arguments, command, role),
        quote=_quote(call.arguments),
        main_length=_main_length(call.arguments),
        call_id=call.id,
    )


def _main_length(args: dict[str, Any] | str) -> int:
    if isinstance(args, dict):
        return max((len(v) for v in args.values() if isinstance(v, str)), default=0)
    return len(args)


def _slim_value(value: Any, limit: int = 200) -> Any:
    if isinstance(value, str) and len(value) > limit:
        import hashlib

        return f"<{len(value)} chars {hashlib.sha1(value.encode('utf-8', 'replace')).hexdigest()[:12]}>"
    if isinstance(value, dict):
        return {k: _slim_value(v, limit) for k, v in value.items()}
    if isinstance(value, list):
        return [_slim_value(v, limit) for v in value]
    return value


def _quote(args: dict[str, Any] | str, limit: int = 120) -> str:
    """The first line of the call's main string argument: a quote that really occurs in the step."""
    text = args if isinstance(args, str) else ""
    key = ""
    if isinstance(args, dict):
        for key in (*_CMD_KEYS, "file_path", "path", "pattern", "url", "prompt"):
            if isinstance(args.get(key), str) and args[key].strip():
                text = args[key]
                break
        else:
            key = ""
            text = next((v for _, v in sorted(args.items()) if isinstance(v, str) and v.strip()), "")
    stripped = text.strip()
    line = stripped.split("\n", 1)[0].strip()
    if len(line) >= 40 or "\n" not in stripped or key not in ("code", "input", "script"):
        return line[:limit]
    # A short first line ("edit_file_by_replace(") says little: keep the next lines too, as they occur.
    return stripped[:limit]


def _command_and_family(name: str, args: dict[str, Any] | str) -> tuple[str, str]:
    lowered = name.lower()
    text = _main_text(args)
    if lowered in SHELL_TOOLS or "bash" in lowered or "shell" in lowered or lowered.endswith("exec_command"):
        return text, command_family(text) if text else lowered
    if lowered in CODE_TOOLS:
        # The function a cell calls at the start of a statement: edit_file_by_replace(...), open_file(...).
        call = re.search(r"^\s*(?:[\w.]+\s*=\s*)?([A-Za-z_][\w.]*)\s*\(", text, re.MULTILINE)
        return text, call.group(1) if call and call.group(1) not in ("print", "with", "if", "for") else lowered
    if isinstance(args, dict) and text and text.split(None, 1)[0] == name:
        # SWE-agent keeps the whole action line as {"command": "edit 12:14 ..."} under its first word.
        return text, command_family(text)
    if isinstance(args, dict):
        sub = args.get("command")
        if isinstance(sub, str) and re.fullmatch(r"[a-z_]{2,20}", sub):
            return _render_args(args), f"{lowered}:{sub}"
        return _render_args(args), lowered
    # SWE-agent text commands: the tool is the first word ("edit", "open", "find_file"), args the rest.
    return f"{name} {args}".strip(), lowered


def _main_text(args: dict[str, Any] | str) -> str:
    if isinstance(args, str):
        return args.strip()
    for key in _CMD_KEYS:
        value = args.get(key)
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            words: list[str] = value
            if words[:2] in (["bash", "-lc"], ["bash", "-c"], ["sh", "-c"], ["zsh", "-lc"]) and len(words) > 2:
                return words[2].strip()
            return shlex.join(words)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return _render_args(args)


def _render_args(args: dict[str, Any]) -> str:
    return json.dumps(args, sort_keys=True, ensure_ascii=False)


def command_family(command: str) -> str:
    """The command a shell line runs, as a short stable family: ``pytest``, ``git diff``, ``sed -i``, ``python``."""
    first = command.strip().split("\n", 1)[0]
    # Agents rerun the same lines all session long; shlex is the slow part, so remember short ones.
    return _line_family(first) if len(first) <= _MEMO_LINE else _first_line_family(first)


_MEMO_LINE = 400


@lru_cache(maxsize=4096)
def _line_family(first: str) -> str:
    return _first_line_family(first)


def _first_line_family(first: str) -> str:
    for segment in re.split(r"\s*(?:&&|\|\||;)\s*", first):
        words = _words(segment)
        while words and (re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=\S*", words[0]) or words[0] in _WRAPPERS):
            words = words[2:] if words[0] == "timeout" and len(words) > 1 else words[1:]
        if not words or words[0] in ("cd", "pushd", "source", ".", "set", "export"):
            continue
        if words[0] in _NOISE and segment is not first and not _last_segment(segment, first):
            # `echo "building" && make`: the banner or pause in front of a chain is not what it runs.
            continue
        return _family_of(words)
    words = _words(first)
    return _family_of(words) if words else "shell"


_NOISE = frozenset({"echo", "printf", "true", "clear", "sleep", "date", "pwd", "mkdir"})
"""Commands that print, wait or prepare inside a chain; the family is the command after them."""


def _last_segment(segment: str, line: str) -> bool:
    return line.rstrip().endswith(segment.rstrip())


def _words(segment: str) -> list[str]:
    segment = segment.split("|", 1)[0]
    try:
        return shlex.split(segment, comments=False)
    except ValueError:
        return segment.split()


_PROJECT_RUNNER = re.compile(r"(?:run[_-])?tests?(?:[_-]all)?(?:\.(?:sh|bash|py))?")
"""A project's own test script (``bin/test``, ``./run_tests.sh``) by the name it is called with."""


def _family_of(words: list[str]) -> str:
    head = words[0].rsplit("/", 1)[-1]
    if "/" in words[0] and not words[0].startswith("/") and _PROJECT_RUNNER.fullmatch(head):
        # Called by a relative path it is the project's script, never the shell's `test` (sympy's `bin/test`).
        path = words[0].removeprefix("./")
        return path if path != "test" else words[0]
    if re.fullmatch(r"python[0-9.]*", head):
        if len(words) > 2 and words[1] == "-m":
            return _family_of(words[2:])
        if len(words) > 1 and words[1] == "-c":
            return "python -c"
        script = next((w for w in words[1:] if not w.startswith("-")), "")
        if script.endswith("runtests.py"):
            return "runtests.py"
        return "python"
    if head in ("node", "ruby", "perl", "bash", "sh", "zsh", "php"):
        if head == "perl" and any(w.startswith("-pi") or w == "-i" for w in words[1:3]):
            return "perl -pi"
        return head
    if head == "sed":
        return "sed -i" if any(w.startswith("-i") or w == "--in-place" for w in words[1:]) else "sed -n"
    if head == "cat" and (">" in words or any(w.startswith(">") for w in words) or any(w.startswith("<<") for w in words)):
        return "cat >"
    if head.endswith("runtests.py"):
        return "runtests.py"
    if head in _SUBCOMMAND_TOOLS and len(words) > 1:
        sub = next((w for w in words[1:] if not w.startswith("-")), "")
        if head in ("npm", "yarn", "pnpm", "bun") and sub == "run":
            script = next((w for w in words[2:] if not w.startswith("-")), "")
            sub = script if script in ("test", "build", "lint") else "run"
        return f"{head} {sub}".strip() if re.fullmatch(r"[A-Za-z][\w:.-]*", sub or "") else head
    return head


def _role(family: str, command: str) -> str:
    name = family.lower()
    if "COMPLETE_TASK_AND_SUBMIT" in command[:80]:
        return "submit"
    if name in ROLE_OF:
        return ROLE_OF[name]
    if name != "test" and _PROJECT_RUNNER.fullmatch(name.rsplit("/", 1)[-1]):
        return "test"  # a project's own test script (see _family_of); bare `test` is the shell's
    if name == "cat >" or name == "echo" and ">" in command:
        return "edit"
    if name in ("python", "node", "bash", "sh", "ruby", "go run", "cargo run", "python -c", "deno run", "bun run"):
        return "test" if re.search(r"\btests?[_/]|_test\.|test_\w+\.py", command) else "run"
    head = name.split(" ", 1)[0]
    if head in ("git",):
        return "vcs"
    if name.startswith(("npm run", "yarn run", "pnpm run")):
        return "build"
    if head in ("make", "cmake", "ninja", "tsc"):
        return "build"
    if ROLE_OF.get(head) in ("test", "lint", "build"):
        return ROLE_OF[head]
    return "other"


_EXTENSIONS_TEXT = (
    "py pyi js mjs cjs ts tsx jsx go rs java kt swift rb php cs c h cc cpp hpp m md rst txt json jsonl yaml yml toml "
    "ini cfg conf env sh bash zsh ps1 html htm css scss sass less sql xml csv lock ipynb vue svelte tf proto gradle "
    "mk dockerfile r jl lua pl ex exs erl hs scala dart"
)
_EXTENSIONS = frozenset(_EXTENSIONS_TEXT.split())
_BARE_FILES = {"Makefile", "Dockerfile", "Justfile", "justfile", "Gemfile", "Rakefile", "Procfile", "LICENSE"}
_PATH_WORD = re.compile(r"^[\w./~@+-]+$")


def _looks_like_file(word: str) -> bool:
    if not _PATH_WORD.match(word) or word.startswith("-") or "//" in word:
        return False
    name = word.rstrip("/").rsplit("/", 1)[-1]
    if name in _BARE_FILES:
        return True
    stem, dot, ext = name.rpartition(".")
    return bool(dot and stem and ext.lower() in _EXTENSIONS)


def _files(args: dict[str, Any] | str, command: str, role: str) -> list[str]:
    if isinstance(args, dict):
        for key in ("file_path", "path", "filename", "file", "target_file", "notebook_path"):
            value = args.get(key)
            if isinstance(value, str) and value.strip():
                return [value.strip()]
    if role not in ("edit", "read", "run", "test", "cleanup"):
        return []
    first = command.split("\n", 1)[0]
    words = _words(re.split(r"\s*(?:&&|\|\||;)\s*", first)[0]) if first else []
    if role == "edit":
        for i, word in enumerate(words):
            if word in (">", ">>") and i + 1 < len(words):
                return [words[i + 1]]
            if word.startswith(">") and len(word.lstrip(">")) > 0:
                return [word.lstrip(">")]
    call = re.search(r"\(\s*['\"]([^'\"]+)['\"]", command)  # open_file('/workspace/x.py')
    found = [w for w in words[1:] if _looks_like_file(w)]
    if not found and call and _looks_like_file(call.group(1)):
        found = [call.group(1)]
    return list(dict.fromkeys(found))[:3]
