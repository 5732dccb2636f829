"""What a lesson's text means to a skill: stable rule ids, the rule line, tag conventions, rule order.

Every analyzer writes lessons with these conventions and the renderer reads them, so they live with
the skill, not with distill.

Tag conventions (``Lesson.tags``), all optional — an LLM analyst may set none of them:

* ``section:<key>`` — where the rule goes in SKILL.md (see ``skills.render.SECTIONS``);
* ``area:<slug>`` — the project the lesson is about (``django``, ``kubernetes``);
* ``scope:general`` / ``scope:project`` — whether it holds beyond that project;
* ``source:trace`` / ``source:ticket`` / ``source:document`` — what kind of input taught it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from skillforge.models import Lesson

__all__ = ["inline_code", "lesson_id", "rule_line", "sort_key", "tag", "with_tag"]


def lesson_id(lesson: Lesson) -> str:
    """Stable short id from the lesson's kind and title (not its support, which grows with more data)."""
    key = f"{lesson.kind}\0{' '.join(lesson.title.lower().split())}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:10]


def tag(lesson: Lesson, name: str) -> str | None:
    """The value of tag ``name:value``, or None."""
    prefix = name + ":"
    return next((t[len(prefix) :] for t in lesson.tags if t.startswith(prefix)), None)


def with_tag(tags: Iterable[str], name: str, value: str) -> list[str]:
    """``tags`` with ``name:value`` set (replacing an earlier value), sorted."""
    kept = [t for t in tags if not t.startswith(name + ":")]
    return sorted({*kept, f"{name}:{value}"})


def rule_line(lesson: Lesson) -> str:
    """The first line of the body: the rule itself; later lines are detail for references/."""
    first = lesson.body.strip().split("\n", 1)[0].strip()
    return first or lesson.title


def sort_key(lesson: Lesson) -> tuple[int, str, str, str]:
    """Most supported first, then in source order (``order:`` tag), then by title: a stable order."""
    return (-lesson.support, tag(lesson, "order") or "", lesson.title.lower(), lesson_id(lesson))


def inline_code(text: str, limit: int = 90) -> str:
    """``text`` as one line of Markdown inline code, shortened to ``limit`` characters."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    if "`" in text:
        # A fence longer than any backtick run inside lets the code keep its own backticks.
        fence = "`" * (max(len(run) for run in re.findall(r"`+", text)) + 1)
        return f"{fence} {text} {fence}"
    return f"`{text}`"
