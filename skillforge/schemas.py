"""JSON Schemas for the files skillforge exchanges, generated from the pydantic models.

The schemas live in top-level ``registry/`` (shipped in the wheel) so other tools can validate
our files without Python. ``python -m skillforge.schemas`` rewrites them from the models;
``python -m skillforge.schemas --check`` (and the test suite) fails when they drift apart.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from skillforge.errors import InputError
from skillforge.resources import schema_path

# schema name -> "module:Model"; the file is registry/<name>.schema.json.
SCHEMAS: dict[str, str] = {
    "trace": "skillforge.models.trace:Trace",
    "lesson": "skillforge.models.lesson:Lesson",
    "patch": "skillforge.models.patch:Patch",
    "frontmatter": "skillforge.models.skill:Frontmatter",
    "lock": "skillforge.models.lock:LockFile",
    "lock-sidecar": "skillforge.models.lock:OwnerFile",
    "eval-task": "skillforge.models.evals:EvalTask",
    "evolve-report": "skillforge.models.evolve:EvolveReport",
    "scan-report": "skillforge.models.scan:ScanReport",
    "registry-index": "skillforge.models.registry:IndexFile",
    "registry-pins": "skillforge.models.registry:PinsFile",
    "version-record": "skillforge.models.registry:VersionRecord",
    "provenance": "skillforge.models.provenance:Provenance",
}

_ID_BASE = "https://skillforge.dev/schemas/"


def model_for(name: str) -> Any:
    module, attr = SCHEMAS[name].split(":")
    return getattr(importlib.import_module(module), attr)


def generate(name: str) -> dict[str, Any]:
    """The JSON Schema of model ``name`` as pydantic produces it, with a stable ``$id``."""
    schema = model_for(name).model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": f"{_ID_BASE}{name}.schema.json", **schema}


def render(name: str) -> str:
    return json.dumps(generate(name), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@cache
def load(name: str) -> dict[str, Any]:
    """Load ``registry/<name>.schema.json`` from the checkout or the installed wheel."""
    path = schema_path(name)
    if not path.exists():
        raise InputError(f"no JSON schema named {name!r}", path=path)
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def validate(document: Any, name: str) -> list[str]:
    """Validate ``document`` against schema ``name``; return readable problems (empty when valid)."""
    import jsonschema

    validator = jsonschema.Draft202012Validator(load(name))
    problems = []
    for err in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.absolute_path))):
        where = "/".join(map(str, err.absolute_path)) or "(root)"
        problems.append(f"{where}: {err.message}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--check", action="store_true", help="fail when a schema file differs from its model")
    args = parser.parse_args(argv)
    stale = []
    for name in sorted(SCHEMAS):
        path = schema_path(name) if schema_path(name).parent.exists() else Path("registry") / f"{name}.schema.json"
        text = render(name)
        current = path.read_text(encoding="utf-8") if path.exists() else None
        if current == text:
            continue
        if args.check:
            stale.append(str(path))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path}")
    if stale:
        print("schemas out of date (run python -m skillforge.schemas): " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
