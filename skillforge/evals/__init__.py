"""Evaluate a skill: run tasks with and without it through an agent command, score deterministically."""

from skillforge.evals.runner import run_check, run_eval, save_run
from skillforge.evals.tasks import load_tasks

__all__ = ["load_tasks", "run_check", "run_eval", "save_run"]
