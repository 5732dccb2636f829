"""What a failed call's own output tells the agent to do, and how a rule shows a command without run values.

Many tools answer a failure with the fix: git prints the ``git push --set-upstream …`` to run, a pre-commit
hook says ``Run 'mix format' to fix``, ripgrep suggests ``--multiline``. That advice is the best recovery a
rule can give (it is the tool's, not a guess), so it is read once, when the output is still at hand.
"""

from __future__ import annotations

import re

from skillforge.distill.heuristic.abstract import once_each
from skillforge.distill.heuristic.signals import strip_ansi

__all__ = ["generic_command", "generic_edit", "tool_hint"]

_HINTS: list[re.Pattern[str]] = [
    # git: "To push the current branch and set the remote as upstream, use\n\n    git push --set-upstream origin x"
    re.compile(r"(?i)\buse\s*(?:\\n|\n)+\s*((?:git|npm|pnpm|yarn|cargo|pip|uv|go|mix|bundle|gh) [^\n\\]{3,100})"),
    # "Run 'mix format' to fix", "run `npm install` first", "Run: mix ash.codegen"
    re.compile(r"(?i)\brun[: ]+[`'\"]([^`'\"\n]{3,80})[`'\"](?: to fix| first| and try again| to (?:update|install|generate))?"),
    re.compile(r"(?i)\bplease run[: ]+([a-z][\w.-]* [^\n.;]{2,80})"),
    # "Did you mean 'x'?", "The most similar command is\n\tx"
    re.compile(r"(?i)did you mean[: ]+[`'\"]?([^`'\"\n?]{2,60})[`'\"]?\?"),
    re.compile(r"(?i)the most similar commands? (?:is|are)\s*(?:\\n|\n)\s*([\w:.-]+)"),
    # SWE-agent: "No file open. Use the `open` command first."; "use `goto` instead"
    re.compile(r"(?i)\buse (?:the )?`([^`\n]{2,60})`(?: command| tool)?(?: first| instead| to\b)"),
    # Codex: "stdin is closed for this session; rerun exec_command with tty=true to keep stdin open"
    re.compile(r"(?i)\b(?:re-?run|retry|call) ([a-z][\w.-]+ with [\w.-]+=[\w.-]+)"),
    # ripgrep: "Consider enabling multiline mode with the --multiline flag (or -U for short)."
    re.compile(r"(?i)consider (?:enabling|using|adding|passing) [^\n]{0,40}?(--[\w-]+)(?: flag)?"),
]
_PYTHON_ERROR = re.compile(r"\s*(?:[\w.]+\.)?[A-Z]\w*(?:Error|Exception): ")
_BRANCH = re.compile(r"(?P<cmd>git push (?:--set-upstream|-u) \S+) (?P<branch>\S+)")
_TEST_FILE = re.compile(
    r"(?<![\w{/])(?:[\w.-]+/)*(?:test_[\w-]+\.py|[\w-]+_test\.(?:py|go|rb|exs)|[\w-]+\.(?:test|spec)\.[jt]sx?|"
    r"[\w-]+Test\.(?:java|kt|php)|[\w-]+_spec\.rb)(?:::[\w:\[\]-]+)?"
)


def tool_hint(output: str) -> str:
    """The command or flag a failed call's output recommends (run values as placeholders), or ""."""
    text = strip_ansi(output[:6000]).replace("\\n", "\n")  # some hosts store newlines escaped
    for pattern in _HINTS:
        found = pattern.search(text)
        if found and _PYTHON_ERROR.match(text[text.rfind("\n", 0, found.start()) + 1:]):
            continue  # Python's "Did you mean: 'Meta'?" names one task's code, not a tool's advice
        if found:
            hint = found.group(1).strip().rstrip(".,:;")
            hint = _BRANCH.sub(lambda m: f"{m.group('cmd')} {{branch}}", hint)
            if 2 <= len(hint) <= 100 and not re.search(r"[<>]{2}|\.\.\.|…", hint):
                return hint
    return ""


def generic_command(command: str) -> str:
    """``command`` with the particular test file it ran replaced by ``{test_file}`` (the command is the
    lesson; the file was this run's)."""
    return once_each(_TEST_FILE.sub("{test_file}", command))


_SUBSTITUTION = re.compile(
    r"""(?P<head>\b(?:sed\s+(?:-\w+\s+)*-i\S*|perl\s+-pi\S*)(?:\s+-\w+)*\s+)(?P<q>['"])(?P<addr>\d+(?:,\d+)?)?"""
    r"""s(?P<d>[/|#,:@])(?:\\.|(?!(?P=d)).)*(?P=d)(?:\\.|(?!(?P=d)).)*(?P=d)(?P<flags>[gIi0-9]*)(?P=q)"""
)


def generic_edit(command: str) -> str:
    """The first line of ``command`` with the text a ``sed -i`` or ``perl -pi`` substitution replaced, and the line
    it was on, as placeholders: the edit's way of working is the lesson, its code was one task's fix."""
    first = command.strip().split("\n", 1)[0]

    def shown(m: re.Match[str]) -> str:
        line = "{line}" if m.group("addr") else ""
        return f"{m.group('head')}{m.group('q')}{line}s/{{old}}/{{new}}/{m.group('flags')}{m.group('q')}"

    return _SUBSTITUTION.sub(shown, first)
