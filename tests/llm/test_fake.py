"""The fake model: offline, deterministic, registered through litellm's CustomLLM, answers derived from input."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from skillforge.distill.model.analysts import AnalystResult, LLMAnalyst
from skillforge.distill.model.outline import step_text
from skillforge.llm import _litellm
from skillforge.llm.client import LLMClient
from skillforge.models import Trace
from skillforge.models.llm import LLMSettings
from skillforge.testing.fake_model import STATS, FaultConfig, hits


def run_all(analyst: LLMAnalyst, traces: list[Trace]) -> list[AnalystResult]:
    async def go() -> list[AnalystResult]:
        return list(await asyncio.wait_for(asyncio.gather(*(analyst.analyze(t) for t in traces)), 60))

    return asyncio.run(go())


def test_fake_is_a_litellm_custom_provider_with_prices_and_capabilities() -> None:
    lit = _litellm.get_litellm()
    providers = {item["provider"]: item["custom_handler"] for item in lit.custom_provider_map}
    assert isinstance(providers["skillforge-fake"], lit.CustomLLM)
    assert _litellm.supports_tools("skillforge-fake/fake") and _litellm.supports_schema("skillforge-fake/fake")
    assert not _litellm.supports_tools("skillforge-fake/fake-notools")
    assert _litellm.cost_for("skillforge-fake/fake", 1_000_000, 0) == pytest.approx(1.0)


def test_same_input_same_answer_and_answers_follow_the_input(sample_traces: list[Trace]) -> None:
    traces = [t for t in sample_traces if t.steps]

    def run() -> list[list[str]]:
        client = LLMClient(LLMSettings(model="fake", cache=False))
        analyst = LLMAnalyst(client)
        results = run_all(analyst, traces)
        return [[lesson.model_dump_json() for lesson in r.lessons] for r in results]

    first, second = run(), run()
    assert first == second
    # Not canned: traces with something reusable give lessons of their own (no lessons is a valid
    # answer for a run where nothing reusable happened), and every quote is a real line of its trace.
    answered = [json.dumps(r) for r in first if r]
    assert len(answered) >= 10 and len(set(answered)) == len(answered)
    for trace, lessons in zip(traces, first):
        for raw in lessons:
            for ev in json.loads(raw)["evidence"]:
                assert " ".join(ev["quote"].split()) in " ".join(step_text(trace.steps[ev["step"]]).split())


def test_fault_coin_is_deterministic_and_close_to_its_rate() -> None:
    keys = [f"request-{i}" for i in range(2000)]
    hit_keys = [k for k in keys if hits("malformed", k, 0.25)]
    assert hit_keys == [k for k in keys if hits("malformed", k, 0.25)]
    assert 0.2 < len(hit_keys) / len(keys) < 0.3
    assert FaultConfig.from_env() == FaultConfig()


def test_unknown_fault_name_is_rejected(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SKILLFORGE_FAKE_FAULTS", "ratelimit=0.5")
    with pytest.raises(ValueError, match="unknown fault 'ratelimit'"):
        FaultConfig.from_env()


def test_latency_is_simulated_with_asyncio_sleep(monkeypatch: pytest.MonkeyPatch, failed_trace: Trace) -> None:
    import time

    monkeypatch.setenv("SKILLFORGE_FAKE_LATENCY", "0.3")
    client = LLMClient(LLMSettings(model="fake-notools", cache=False, concurrency=4))
    analyst = LLMAnalyst(client)
    started = time.monotonic()
    run_all(analyst, [failed_trace] * 4)
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 1.2  # four calls overlapped: one latency, not four (1.2 s)
    assert STATS.max_in_flight == 4


def test_importing_the_llm_layer_does_not_import_litellm() -> None:
    code = (
        "import sys\n"
        "import skillforge.llm.client, skillforge.llm.structured, skillforge.distill.model.analysts\n"
        "import skillforge.distill.consolidate, skillforge.testing.fake_model\n"
        "assert 'litellm' not in sys.modules, 'litellm imported eagerly'\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
