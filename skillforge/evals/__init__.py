"""Evaluate a skill: run tasks N times with and without it through an agent, score deterministically, compare paired."""

from skillforge.evals.agents import ADAPTERS, resolve_agent
from skillforge.evals.runner import check_options, run_arms, run_check, run_eval, run_tasks, save_run
from skillforge.evals.tasks import load_tasks

__all__ = [
    "ADAPTERS",
    "check_options",
    "load_tasks",
    "resolve_agent",
    "run_arms",
    "run_check",
    "run_eval",
    "run_tasks",
    "save_run",
]
