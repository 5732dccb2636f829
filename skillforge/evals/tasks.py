"""Load eval task files (JSONL, JSON or YAML)."""

from __future__ import annotations

import json
from pathlib import Path

import yaml
from pydantic import ValidationError

from skillforge.errors import InputError
from skillforge.models.evals import EvalTask


def load_tasks(path: str | Path) -> list[EvalTask]:
    """Read tasks from ``path``; every problem names the file and line (or task index)."""
    path = Path(path)
    if not path.is_file():
        raise InputError("eval task file not found", path=path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"invalid UTF-8 at byte {exc.start}", path=path) from None
    raw: list[tuple[int | None, object]] = []
    if path.suffix.lower() in (".yaml", ".yml"):
        try:
            data = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise InputError(f"invalid YAML: {exc}", path=path) from None
        items = data.get("tasks", []) if isinstance(data, dict) else data
        raw = [(None, item) for item in (items or [])]
    elif text.lstrip().startswith("["):
        try:
            raw = [(None, item) for item in json.loads(text)]
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON: {exc.msg}", path=path, line=exc.lineno) from None
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            try:
                raw.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise InputError(f"invalid JSON: {exc.msg}", path=path, line=number) from None
    tasks: list[EvalTask] = []
    seen: set[str] = set()
    for index, (line_no, item) in enumerate(raw):
        try:
            task = EvalTask.model_validate(item)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(map(str, first["loc"])) or "task"
            raise InputError(f"task {index + 1}: {where}: {first['msg']}", path=path, line=line_no) from None
        if task.id in seen:
            raise InputError(f"duplicate task id {task.id!r}", path=path, line=line_no)
        seen.add(task.id)
        tasks.append(task)
    if not tasks:
        raise InputError("no tasks in file", path=path)
    return tasks

