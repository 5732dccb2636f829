"""Where things live in a registry, and the checks that keep names and versions inside it.

See ``registry/LAYOUT.md`` for the documented layout. Everything here is pure: no git, no I/O.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import lru_cache
from typing import Any

import semver

from skillforge.errors import InputError
from skillforge.models.registry import PinsFile, VersionRecord
from skillforge.skills.validate import is_valid_name

SKILLS = "skills"
PROVENANCE = "provenance"
EVENTS = "events"
PINS = "pins.json"
MARKER = "registry.json"
MARKER_CONTENT = (
    json.dumps({"format": 1, "layout": "https://skillforge.dev/registry/LAYOUT.md"}, indent=2) + "\n"
)
RECORD_TRAILER = "Skillforge-Record: "
BUMPS = ("major", "minor", "patch")
FIRST_VERSION = "0.1.0"

# ASCII-only on top of the spec rules: a skill name becomes a folder, a git ref and a tag on every
# platform, so anything git or a filesystem could reinterpret is refused up front.
_SAFE_NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
_IGNORED = frozenset({".git", "__pycache__", ".DS_Store", ".skillforge"})


def skill_path(name: str) -> str:
    return f"{SKILLS}/{name}"


def provenance_path(name: str) -> str:
    return f"{PROVENANCE}/{name}.json"


def events_path(name: str) -> str:
    return f"{EVENTS}/{name}.jsonl"


def tag_name(name: str, version: str) -> str:
    return f"{name}@{version}"


def tag_ref(name: str, version: str) -> str:
    return f"refs/tags/{name}@{version}"


def check_name(name: str) -> str:
    """Return ``name`` if it is a safe skill name, else raise ``InputError`` saying why."""
    if not isinstance(name, str) or not name:
        raise InputError("a skill name is required")
    if "/" in name or "\\" in name or name.startswith(".") or ".." in name:
        raise InputError(f"invalid skill name {name!r}: it must not contain path separators or '..'")
    if not _SAFE_NAME.match(name) or not is_valid_name(name) or len(name) > 64:
        raise InputError(
            f"invalid skill name {name!r}",
            hint="use 1-64 lowercase letters, digits and single hyphens, e.g. 'pdf-forms'",
        )
    return name


@lru_cache(maxsize=8192)
def parse_version(version: str) -> semver.Version:
    """Parse a semver string strictly (``1.2.3``, ``1.2.3-rc.1``); raise ``InputError`` otherwise."""
    if not isinstance(version, str):
        raise InputError(f"invalid version {version!r}")
    try:
        parsed = semver.Version.parse(version)
    except (ValueError, TypeError):
        hint = "drop the leading 'v'" if version[:1] in "vV" else "use MAJOR.MINOR.PATCH, e.g. 1.4.0"
        raise InputError(f"invalid version {version!r}: not semantic versioning", hint=hint) from None
    if version.endswith(".lock") or "@{" in version:
        raise InputError(f"invalid version {version!r}: cannot be used as a git tag")
    return parsed


def is_safe_name(name: str) -> bool:
    """Fast check used when scanning thousands of tags (the same rule as ``check_name``)."""
    return len(name) <= 64 and _SAFE_NAME.match(name) is not None


def check_version(version: str) -> str:
    parse_version(version)
    return version


def bump(latest: str | None, how: str) -> str:
    """The version after ``latest`` for a ``major|minor|patch`` bump (first version: 0.1.0)."""
    if how not in BUMPS:
        raise InputError(f"invalid bump {how!r}", hint="use major, minor or patch")
    if latest is None:
        return FIRST_VERSION
    current = parse_version(latest)
    return str(getattr(current, f"bump_{how}")())


def newest(versions: list[str]) -> str | None:
    """The highest semver in ``versions`` (None when empty)."""
    return max(versions, key=parse_version) if versions else None


def sort_newest_first(versions: list[str]) -> list[str]:
    return sorted(versions, key=parse_version, reverse=True)


def check_relpath(relpath: str) -> str:
    """A POSIX path relative to a skill folder that cannot climb out of it."""
    parts = relpath.replace("\\", "/").split("/")
    if not relpath or relpath.startswith("/") or any(p in ("", ".", "..") for p in parts):
        raise InputError(
            f"invalid path {relpath!r} inside a skill", hint="use a relative path such as references/x.md"
        )
    return "/".join(parts)


def ignored(name: str) -> bool:
    """Files and folders never published (VCS metadata, caches)."""
    return name in _IGNORED or name.endswith(".pyc")


def unsafe_component(name: str) -> bool:
    """Names git refuses in a tree or that would escape a folder on export."""
    return name in ("", ".", "..") or name.lower() == ".git" or "/" in name or "\\" in name or "\x00" in name


# ---- version records -------------------------------------------------------------------------


def record_message(record: VersionRecord) -> str:
    """Commit and tag message: a readable summary, the changelog, and the JSON record as a trailer."""
    first, _, rest = record.message.strip().partition("\n")
    title = f"{record.name}@{record.version}" + (f": {first.strip()}" if first.strip() else "")
    parts = [title]
    if rest.strip():
        parts.append(rest.strip())
    if record.changelog:
        parts.append("\n".join(f"- {line}" for line in record.changelog))
    payload = json.dumps(
        record.model_dump(mode="json"), sort_keys=True, ensure_ascii=True, separators=(",", ":")
    )
    parts.append(RECORD_TRAILER + payload)
    return "\n\n".join(parts) + "\n"


def parse_record(message: str) -> VersionRecord | None:
    """The record in a commit or tag message, or None for a message without one."""
    for line in reversed(message.splitlines()):
        if line.startswith(RECORD_TRAILER):
            try:
                return VersionRecord.model_validate_json(line[len(RECORD_TRAILER) :])
            except ValueError:
                return None
    return None


def check_text(value: str | None, what: str) -> str:
    """Messages and changelog lines go into git objects: refuse NUL bytes."""
    if value is None:
        return ""
    if "\x00" in value:
        raise InputError(f"{what} must not contain NUL bytes")
    return value


# ---- pins ------------------------------------------------------------------------------------


def dump_pins(pins: PinsFile) -> bytes:
    return (
        json.dumps(pins.model_dump(mode="json", exclude_none=True), indent=2, sort_keys=True) + "\n"
    ).encode()


def load_pins(data: bytes | None) -> PinsFile:
    if not data:
        return PinsFile()
    return PinsFile.model_validate_json(data)


def canonical_json(doc: Any) -> bytes:
    return (json.dumps(doc, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


# ---- events ----------------------------------------------------------------------------------


def event_line(kind: str, data: dict[str, Any], when: datetime) -> bytes:
    """One JSON line for ``events/<name>.jsonl``."""
    kind = check_text(kind, "event kind").strip()
    if not kind:
        raise InputError("an event needs a kind, e.g. 'evolve-rejected'")
    doc = {"date": when.isoformat(timespec="seconds"), "kind": kind, "data": data}
    try:
        return (json.dumps(doc, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n").encode()
    except (TypeError, ValueError) as exc:
        raise InputError(f"event data is not JSON-serialisable: {exc}") from None


def parse_events(data: bytes) -> list[dict[str, Any]]:
    out = []
    for line in data.decode("utf-8", "replace").splitlines():
        try:
            doc = json.loads(line)
        except ValueError:
            continue
        if isinstance(doc, dict):
            out.append(doc)
    return out

