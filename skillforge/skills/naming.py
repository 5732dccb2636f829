"""How to spell names as valid skill names: one rule for distill, evolve and the renderer."""

from __future__ import annotations

import re
import unicodedata

from skillforge.skills.validate import MAX_NAME, is_valid_name

__all__ = ["FALLBACK_NAME", "skill_name", "skill_slug", "slug"]

FALLBACK_NAME = "distilled-lessons"
_NON_WORD = re.compile(r"[^\w]+|_")


def slug(text: str, limit: int = 40) -> str:
    """``"Kube Node Not Ready"`` → ``"kube-node-not-ready"``: lowercase letters/digits joined by single hyphens."""
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"([a-z0-9])([A-Z])", r"\1-\2", text)
    words = re.findall(r"[^\W_]+", text.lower())
    out = ""
    for word in words:
        candidate = f"{out}-{word}" if out else word
        if len(candidate) > limit:
            break
        out = candidate
    return out


def skill_name(text: str) -> str:
    """A valid skill name for ``text`` (kebab-case, at most 64 characters), or the fallback."""
    if is_valid_name(text) and len(text) <= MAX_NAME and text == text.lower():
        return text
    name = slug(text, MAX_NAME)
    return name if name and is_valid_name(name) else FALLBACK_NAME


def skill_slug(name: str) -> str:
    """A spec-valid skill name from whatever a model wrote: lowercase, hyphens, at most 64 chars, or
    ``"general"``. Unlike ``skill_name`` it splits no camelCase and keeps over-long names (cut at
    64 characters rather than at a word), so names already chosen by model runs stay the same."""
    out = _NON_WORD.sub("-", name.strip().lower()).strip("-")
    out = re.sub(r"-{2,}", "-", out)[:MAX_NAME].strip("-")
    return out or "general"
