"""The evolve prompts and what the fake model makes of them: real traces in, answers derived from them."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from skillforge.evolve.failures import analyze_failure
from skillforge.evolve.llm_diagnose import diagnose_with_model
from skillforge.evolve.llm_failures import FailureTask, analyze_with_model
from skillforge.ingest import read_paths
from skillforge.llm.prompts import load_prompt
from skillforge.models import SkillPackage, Trace
from skillforge.redact import redact_trace
from skillforge.skills.frontmatter import split
from skillforge.testing import answers

SAMPLES = Path(__file__).parent.parent / "data" / "samples"
PROMPTS = ["evolve_failure", "evolve_diagnose", "evolve_optimize", "evolve_optimize_fix", "correct"]
SKILL = (
    "---\nname: django-testing\ndescription: Use when running Django's test suite.\n---\n# Django testing\n\n"
    "## Procedure\n\n- Run the failing test module with ./tests/runtests.py before editing.\n"
    "- Read the traceback from the bottom up.\n"
)


@pytest.mark.parametrize("name", PROMPTS)
def test_every_evolve_prompt_loads_and_renders(name: str) -> None:
    prompt = load_prompt(name)
    text = "\n".join(m["content"] for m in prompt.render(**{p: f"<{p}>" for p in prompt.placeholders}))
    assert "{{" not in text and all(f"<{p}>" in text for p in prompt.placeholders)


@pytest.fixture(scope="module")
def django_failure() -> Trace:
    """The mini-swe-agent django run that failed (SWE-bench unresolved), with tool errors."""
    traces = [t for t in read_paths([SAMPLES / "mini_swe_agent_traj"]) if isinstance(t, Trace)]
    return redact_trace(next(t for t in traces if "django__django-15127" in t.source.path))


def _skill() -> SkillPackage:
    from skillforge.models import Frontmatter

    meta, body = split(SKILL)
    return SkillPackage(frontmatter=Frontmatter.model_validate(meta), body=body)


def test_fake_failure_answer_quotes_the_real_trace_and_is_verified(
    django_failure: Trace, fake_client
) -> None:
    pkg = _skill()
    request = FailureTask(django_failure, pkg).request()
    first = answers.answer(request.messages, None)
    assert answers.answer(request.messages, None) == first  # deterministic
    analysis, notes = asyncio.run(analyze_with_model(fake_client(), django_failure, pkg))
    assert analysis is not None and notes == []
    assert analysis.analyzer == "skillforge-fake/fake" and analysis.evidence
    steps = [e.step for e in analysis.evidence]
    from skillforge.llm.trace_view import step_text

    for evidence, step in zip(analysis.evidence, steps):
        assert " ".join(evidence.quote.split()) in " ".join(step_text(django_failure.steps[step]).split())
    assert analysis.signature == analyze_failure(django_failure, pkg).signature


def test_diagnosis_counts_traces_itself_and_ranks_by_them(django_failure: Trace, fake_client) -> None:
    pkg = _skill()
    client = fake_client()
    analysis, _ = asyncio.run(analyze_with_model(client, django_failure, pkg))
    assert analysis is not None
    # The same cause seen in three runs, and a different one in one run.
    same = [analysis.model_copy(update={"trace_id": f"run{i}"}) for i in range(3)]
    other = analysis.model_copy(
        update={"trace_id": "other", "cause": "The disk was full", "fix": "Free disk space first"}
    )
    clusters = asyncio.run(diagnose_with_model(client, [other, *same], pkg))
    assert [(c.count, c.trace_ids) for c in clusters] == [(3, ["run0", "run1", "run2"]), (1, ["other"])]
    assert json.loads(clusters[0].model_dump_json())["fix"] == analysis.fix
