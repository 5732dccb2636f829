"""JSON Schemas for the files skillforge exchanges, generated from the pydantic models.

The schemas live in top-level ``registry/`` (shipped in the wheel) so other tools can validate
our files without Python. ``python -m skillforge.schemas`` rewrites them from the models;
``python -m skillforge.schemas --check`` (and the test suite) fails when they drift apart.
"""

from __future__ import annotations

import argparse
import json
import sys
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from skillforge.errors import InputError
from skillforge.models.evals import EvalTask
from skillforge.models.evolve import EvolveReport
from skillforge.models.lesson import Lesson
from skillforge.models.lock import LockFile, OwnerFile
from skillforge.models.patch import Patch
from skillforge.models.provenance import Provenance
from skillforge.models.registry import IndexFile, PinsFile, VersionRecord
from skillforge.models.scan import ScanReport
from skillforge.models.skill import Frontmatter
from skillforge.models.trace import Trace
from skillforge.resources import schema_path

# schema name -> model; the file is registry/<name>.schema.json.
SCHEMAS: dict[str, type[BaseModel]] = {
    "trace": Trace,
    "lesson": Lesson,
    "patch": Patch,
    "frontmatter": Frontmatter,
    "lock": LockFile,
    "lock-sidecar": OwnerFile,
    "eval-task": EvalTask,
    "evolve-report": EvolveReport,
    "scan-report": ScanReport,
    "registry-index": IndexFile,
    "registry-pins": PinsFile,
    "version-record": VersionRecord,
    "provenance": Provenance,
}

_ID_BASE = "https://skillforge.dev/schemas/"


def model_for(name: str) -> type[BaseModel]:
    """The pydantic model behind schema ``name``."""
    return SCHEMAS[name]


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
