"""Agent command lines: a user's template, or a built-in adapter for the agents skillforge reads traces from.

``--agent "my-agent {prompt}"`` is a template: placeholders are filled in after the line is split
like a shell would, so the prompt is always one argument. ``--agent claude-code`` (or ``codex``,
``mini-swe-agent``, each optionally ``NAME:MODEL``) builds the headless command line of that agent;
the runner installs the skill in the task's temporary project where that agent looks for skills.

``mode`` says how the skill reaches the agent:

- ``discovered`` (default): installed among the project's skills; the agent must find and load it,
  as it would in real use. Agents without a skills feature (mini-swe-agent) get a skills listing
  (name, description, path of SKILL.md) in front of the task, the way hosts list skills, and read
  the body on demand.
- ``forced``: the skill's SKILL.md is appended to the prompt, so obedience is measured without
  discovery.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from skillforge.errors import InputError

Mode = Literal["discovered", "forced"]
MODES: tuple[Mode, ...] = ("discovered", "forced")
PLACEHOLDERS = ("{prompt}", "{skill_dir}", "{workdir}", "{skill_name}", "{task_id}", "{run}")


@dataclass(frozen=True)
class Adapter:
    """A built-in agent: its headless command template and how it takes a model name."""

    name: str
    template: str
    model_flag: str
    native_skills: bool
    """The agent finds project skills itself (``.claude/skills`` or ``.agents/skills``)."""
    note: str


ADAPTERS: dict[str, Adapter] = {
    a.name: a
    for a in (
        Adapter(
            "claude-code",
            # -p: headless, prints the final answer; permissions are skipped because each task runs in
            # a throwaway folder and no one is there to approve a tool call.
            "claude -p {prompt} --output-format text --dangerously-skip-permissions",
            "--model",
            True,
            "Claude Code headless; the skill is in the task folder's .claude/skills",
        ),
        Adapter(
            "codex",
            # The task folder is no git repository; workspace-write lets the agent edit files in it only.
            "codex exec --skip-git-repo-check --sandbox workspace-write --cd {workdir} {prompt}",
            "--model",
            True,
            "Codex exec; the skill is in the task folder's .agents/skills",
        ),
        Adapter(
            "mini-swe-agent",
            "mini -t {prompt} -y --exit-immediately",
            "-m",
            False,
            "mini-swe-agent; it has no skills feature, so the skill is listed (or injected) in the prompt",
        ),
    )
}


@dataclass(frozen=True)
class AgentCommand:
    """What the runner needs: the template, whether it is built in, and how the prompt reaches it."""

    template: str
    builtin: Adapter | None = None
    prompt_stdin: bool = False


def resolve_agent(agent: str, *, prompt_stdin: bool = False) -> AgentCommand:
    """A built-in adapter (``NAME`` or ``NAME:MODEL``) or a user's template, checked before any task runs.

    A template without ``{prompt}`` would run every task with no task at all; it is refused unless
    ``prompt_stdin`` says the prompt goes to the agent's standard input.
    """
    name, _, model = agent.strip().partition(":")
    adapter = ADAPTERS.get(name)
    if adapter is not None and " " not in agent.strip():
        template = adapter.template
        if model:
            template += f" {adapter.model_flag} {shlex.quote(model)}"
        return AgentCommand(template=template, builtin=adapter)
    try:
        parts = shlex.split(agent)
    except ValueError as exc:
        raise InputError(f"cannot parse --agent command: {exc}") from None
    if not parts:
        raise InputError("--agent command is empty")
    if "{prompt}" not in agent and not prompt_stdin:
        raise InputError(
            f"--agent {agent!r} has no {{prompt}} placeholder: every task would run without its prompt",
            hint='put {prompt} where the agent takes the task (e.g. "my-agent --task {prompt}"), pass '
            "--prompt-stdin to send it on standard input, or use a built-in agent: "
            + ", ".join(sorted(ADAPTERS)),
        )
    return AgentCommand(template=agent, prompt_stdin=prompt_stdin)


def agent_argv(agent: str, values: dict[str, str]) -> list[str]:
    """Split the agent template like a shell would, then fill placeholders inside each argument.

    The prompt is substituted after splitting, so it always stays one argument and is never
    interpreted by a shell.
    """
    try:
        parts = shlex.split(agent)
    except ValueError as exc:
        raise InputError(f"cannot parse --agent command: {exc}") from None
    if not parts:
        raise InputError("--agent command is empty")
    argv = []
    for part in parts:
        for key, value in values.items():
            part = part.replace("{" + key + "}", value)
        argv.append(part)
    return argv


def skill_prompt(prompt: str, skill_dir: Path, mode: Mode, command: AgentCommand) -> str:
    """The prompt as the agent gets it with the skill: unchanged, with a skills listing, or with the skill."""
    skill_md = skill_dir / "SKILL.md"
    if mode == "forced":
        body = skill_md.read_text(encoding="utf-8", errors="replace")
        return (
            f'{prompt}\n\nFollow this skill:\n\n<skill name="{skill_dir.name}">\n{body.strip()}\n</skill>\n'
        )
    if command.builtin is not None and not command.builtin.native_skills:
        description = _description(skill_md)
        return (
            f"{prompt}\n\nSkills available (read a skill's SKILL.md before you start when it applies):\n"
            f"- {skill_dir.name}: {description} ({skill_md})\n"
        )
    return prompt


def _description(skill_md: Path) -> str:
    """The frontmatter description, as a host's skills listing shows it."""
    from skillforge.skills.io import read_package

    try:
        return " ".join(read_package(skill_md.parent).frontmatter.description.split())
    except Exception:  # noqa: BLE001 - a listing line is best effort; the body is still on disk
        return ""
