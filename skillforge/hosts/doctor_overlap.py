"""Trigger overlap: two skills whose descriptions are so alike a host's router cannot tell them apart.

Measure: Jaccard similarity of the two skills' content words (name + description, lower case,
stop-words removed by ``lint_text.description_tokens``, then a light suffix strip so "deploy",
"deploys" and "deploying" count as one word). Words that more than a quarter of the host's skills
(and at least four of them) use are the set's boilerplate ("tool", "task", a shared name prefix) and
are left out, so a family of short templated descriptions is not one big overlap. Threshold
``OVERLAP_THRESHOLD`` = 0.4.

Why 0.4: over the 15 Anthropic and hand-written skills in ``tests/data`` (105 pairs of distinct
skills) the highest score is 0.07, while two descriptions written for the same job in other words
score 0.64-0.82 (``tests/hosts/test_doctor.py``, ``test_doctor_overlap.py``). 0.4 leaves wide room on both sides.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from itertools import combinations

from skillforge.hosts.doctor_discover import LoadedSkill
from skillforge.skills.lint_text import description_tokens, jaccard

OVERLAP_THRESHOLD = 0.4
_SUFFIX = re.compile(r"(?:ing|ed|es|s)$")


def trigger_tokens(name: str, description: str) -> frozenset[str]:
    """The words a router matches a task against, folded to a rough stem."""
    words = description_tokens(f"{name.replace('-', ' ').replace(':', ' ')} {description}")
    return frozenset(_SUFFIX.sub("", w) if len(w) > 4 else w for w in words)


def similarity(a: LoadedSkill, b: LoadedSkill) -> float:
    return jaccard(trigger_tokens(a.name, a.description), trigger_tokens(b.name, b.description))


def overlapping_pairs(skills: Sequence[LoadedSkill],
                      threshold: float = OVERLAP_THRESHOLD) -> list[tuple[LoadedSkill, LoadedSkill, float]]:
    """Pairs of differently named skills at or above ``threshold``, most similar first."""
    tokens = {s.path: trigger_tokens(s.name, s.description) for s in skills}
    frequency = Counter(w for words in tokens.values() for w in words)
    common = {w for w, n in frequency.items() if n > max(3, len(skills) / 4)}
    tokens = {path: words - common for path, words in tokens.items()}
    pairs = []
    for a, b in combinations(skills, 2):
        if a.key == b.key or not a.description or not b.description:
            continue  # same name is a collision, reported as such
        score = jaccard(tokens[a.path], tokens[b.path])
        if score >= threshold:
            pairs.append((a, b, round(score, 2)))
    return sorted(pairs, key=lambda p: (-p[2], p[0].name, p[1].name))
