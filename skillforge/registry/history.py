"""Version history read from the ``<name>@<version>`` tags, in one ``git for-each-ref`` call each."""

from __future__ import annotations

from datetime import datetime, timezone

from skillforge.errors import InputError
from skillforge.models.registry import SkillVersion
from skillforge.registry import layout
from skillforge.registry._git import GitRepo

_FULL = (
    "%(refname:lstrip=2)%00%(objectname)%00%(*objectname)%00%(taggername)%00%(taggeremail)%00"
    "%(taggerdate:iso-strict)%00%(*committerdate:iso-strict)%00%(committerdate:iso-strict)%00%(contents)"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


def split_tag(tag: str) -> tuple[str, str] | None:
    """``("name", "1.2.3")`` for a version tag; None for tags that are not ours."""
    name, sep, version = tag.rpartition("@")
    if not sep or not layout.is_safe_name(name):
        return None
    try:
        layout.parse_version(version)
    except InputError:
        return None
    return name, version


def versions(repo: GitRepo, name: str) -> list[SkillVersion]:
    """Every version of ``name``, newest first (semver order)."""
    out = []
    for rec in repo.refs(f"refs/tags/{name}@*", fmt=_FULL):
        fields = rec.lstrip("\n").split("\x00", 8)
        if len(fields) < 9:
            continue
        tag, obj, peeled, tagger, email, tag_date, peeled_date, commit_date, contents = fields
        parsed = split_tag(tag)
        if parsed is None or parsed[0] != name:
            continue
        record = layout.parse_record(contents)
        out.append(
            SkillVersion(
                name=name,
                version=parsed[1],
                date=_date(tag_date, peeled_date, commit_date),
                author=tagger or "",
                email=email.strip("<>"),
                message=record.message if record else contents.strip(),
                changelog=record.changelog if record else [],
                previous=record.previous if record else None,
                commit=peeled or obj,
                extra=record.extra if record else {},
            )
        )
    return sorted(out, key=lambda v: layout.parse_version(v.version), reverse=True)


def version_names(repo: GitRepo, name: str) -> list[str]:
    """Just the version strings of ``name``, newest first (cheaper than ``versions``)."""
    found = []
    for rec in repo.refs(f"refs/tags/{name}@*", fmt="%(refname:lstrip=2)"):
        parsed = split_tag(rec.strip("\n"))
        if parsed and parsed[0] == name:
            found.append(parsed[1])
    return layout.sort_newest_first(found)


def all_versions(repo: GitRepo) -> dict[str, list[str]]:
    """Every skill's version strings from one pass over the tag names (no tag objects are read)."""
    grouped: dict[str, list[str]] = {}
    for rec in repo.refs("refs/tags", fmt="%(refname:lstrip=2)"):
        parsed = split_tag(rec)
        if parsed:
            grouped.setdefault(parsed[0], []).append(parsed[1])
    return grouped


def _date(*candidates: str) -> datetime:
    for text in candidates:
        if text:
            try:
                return datetime.fromisoformat(text)
            except ValueError:
                continue
    return _EPOCH
