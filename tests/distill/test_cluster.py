"""Behaviour clustering before analysis (``distill.model.cluster``): fewer analyst calls, the same rules.

Corpora are made from the real sample traces, with the instance values a fleet of runs differs in
(job numbers, ticket ids, work folders) varied in the task text.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from skillforge.distill.lessons import generalize, merge_duplicates
from skillforge.distill.model.analysis import run_analysis
from skillforge.distill.model.cluster import ClusterGate, behaviour_key, trace_keys
from skillforge.distill.model.estimate import estimate_run
from skillforge.distill.model.run import ModelAnalyzer, ModelOptions
from skillforge.distill.pipeline import run_distill
from skillforge.ingest import read_paths
from skillforge.llm.cache import ResponseCache
from skillforge.llm.client import LLMClient
from skillforge.models import Evidence, Lesson, Outcome, Trace
from skillforge.models.llm import LLMAnalysis, LLMSettings, UsageStats
from skillforge.skills.provenance import read_provenance
from skillforge.skills.rules import lesson_id

SAMPLES = Path(__file__).parent.parent / "data" / "samples"

BEHAVIOURS = [
    "chat_tool_calls/fncall-llm-message.json",
    "chat_tool_calls/nonfncall-llm-message.json",
    "claude_code_jsonl/projects/-src-experiments-claude_p/256ba646-2c15-437a-98e9-4171aafd030e.jsonl",
    "claude_code_jsonl/projects/-src-experiments-claude_p/2b4ed4c0-b905-41de-9238-273db3ec737a.jsonl",
    "claude_code_jsonl/projects/-tmp-private/4c2ddfdc-b619-4525-8d03-1950fb1b0257.jsonl",
    "mini_swe_agent_traj/django__django-11163.traj.json",
    "mini_swe_agent_traj/django__django-15127.traj.json",
    "mini_swe_agent_traj/github_issue.traj.json",
    "swe_agent_traj/pydicom__pydicom-1458.traj",
    "swe_agent_traj/ctf_misc_networking_1.traj",
]
"""Ten distinct behaviours: different agents, tasks, tool sequences and outcomes."""

SUCCESS = "mini_swe_agent_traj/django__django-11163.traj.json"


@pytest.fixture(autouse=True)
def _fake_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SKILLFORGE_FAKE_FAULTS", raising=False)
    monkeypatch.delenv("SKILLFORGE_FAKE_LATENCY", raising=False)


def sample(rel: str) -> Trace:
    return next(t for t in read_paths([SAMPLES / rel]) if isinstance(t, Trace))


def variant(base: Trace, n: int, **update: object) -> Trace:
    """``base`` as run ``n`` of a fleet: its own id, and a task naming its own job, ticket and folder."""
    task = f"[job {n}] In /srv/runs/{1000 + n}/workspace, ticket JOB-{n:05d}: {base.task}"
    return base.model_copy(update={"id": f"{base.id}-{n:04d}", "task": task, **update})


def write_jsonl(path: Path, traces: list[Trace]) -> Path:
    """``traces`` as a skillforge-trace JSONL file that names itself as their source."""
    path.parent.mkdir(parents=True, exist_ok=True)
    moved = [t.model_copy(update={"source": t.source.model_copy(update={"path": str(path)})}) for t in traces]
    path.write_text("".join(t.model_dump_json() + "\n" for t in moved), encoding="utf-8")
    return path


def client(cache: Path) -> LLMClient:
    return LLMClient(LLMSettings(model="fake", concurrency=16), cache=ResponseCache(cache))


def analyse(inputs: list[Path], cache: Path, per_cluster: int | None) -> tuple[LLMAnalysis, UsageStats]:
    llm = client(cache)
    analysis = asyncio.run(run_analysis(inputs, llm, per_cluster=per_cluster))
    return analysis, llm.stats


def rules(lessons: list[Lesson]) -> set[tuple[str, str]]:
    """The rules a run would plan skills from (run.py generalises and merges before planning)."""
    return {(l.target_skill, lesson_id(l)) for l in merge_duplicates(generalize(l) for l in lessons)}


# --- the gate on its own --------------------------------------------------------------------------


def test_instance_values_in_the_task_do_not_split_a_behaviour() -> None:
    base = sample(SUCCESS)
    assert len({behaviour_key(variant(base, n)) for n in range(20)}) == 1
    other = sample("mini_swe_agent_traj/django__django-15127.traj.json")
    assert behaviour_key(variant(other, 1)) != behaviour_key(variant(base, 1))


def test_exact_duplicates_are_admitted_once() -> None:
    base = sample(SUCCESS)
    copies = [base.model_copy(update={"id": f"copy-{n}"}) for n in range(5)]
    gate = ClusterGate(4)
    assert [gate.admit(t) for t in copies] == [True, False, False, False, False]
    summary = gate.summary()
    assert (summary.traces, summary.clusters, summary.duplicates, summary.analysed) == (5, 1, 4, 1)
    assert gate.backers() == {"copy-0": [(f"copy-{n}", base.source.path) for n in range(1, 5)]}


def test_the_last_slot_waits_for_the_outcome_not_yet_seen() -> None:
    base = sample(SUCCESS)
    successes = [variant(base, n) for n in range(6)]
    failure = variant(base, 6, outcome=Outcome(success=False))
    gate = ClusterGate(4)
    assert [gate.admit(t) for t in successes] == [True, True, True, False, False, False]
    assert gate.admit(failure)  # the reserved fourth slot
    assert not gate.admit(variant(base, 7, outcome=Outcome(success=False)))  # the cluster is full
    # Unanalysed successes back the analysed successes, the unanalysed failure backs the analysed one.
    backers = gate.backers()
    assert backers[failure.id] == [(f"{base.id}-0007", base.source.path)]
    assert {m for rep in successes[:3] for m, _ in backers[rep.id]} == {t.id for t in successes[3:]}


def test_members_are_carried_into_the_lessons_of_their_representatives() -> None:
    """An exact copy of an analysed run shows the same quote at the same step; another member of the
    cluster is named without a quote (no model read it); support counts both."""
    base = sample(SUCCESS)
    runs = [variant(base, n) for n in range(3)]
    copy = runs[0].model_copy(update={"id": "copy", "source": runs[0].source.model_copy(update={"path": "copy.json"})})
    late = variant(base, 3)
    gate = ClusterGate(3)
    assert [gate.admit(t) for t in [*runs, copy, late]] == [True, True, False, False, False]
    quote = Evidence(trace_id=runs[0].id, step=7, quote="run the reproduction script", source=base.source.path)
    lesson = Lesson(kind="procedure", title="Re-run the script", body="Re-run it.", target_skill="python",
                    evidence=[quote], support=1)
    untouched = lesson.model_copy(update={"evidence": [quote.model_copy(update={"trace_id": "elsewhere"})]})
    carried, same = gate.carry_support([lesson, untouched])
    assert same == untouched
    assert carried.evidence[0] == quote and carried.support == 4
    by_trace = {e.trace_id: e for e in carried.evidence}
    assert (by_trace["copy"].step, by_trace["copy"].quote, by_trace["copy"].source) == (7, quote.quote, "copy.json")
    # runs[2] and late were not analysed: both back every analysed success of their cluster.
    assert (by_trace[late.id].step, by_trace[late.id].quote) == (None, "")
    assert set(by_trace) == {runs[0].id, "copy", runs[2].id, late.id}


def test_keys_computed_elsewhere_give_the_same_decisions() -> None:
    """A reader process may compute the keys where it reads; the gate decides the same either way."""
    fleet = [variant(sample(BEHAVIOURS[n % 3]), n) for n in range(12)]
    here, there = ClusterGate(2), ClusterGate(2)
    assert [here.admit(t) for t in fleet] == [there.admit(t, trace_keys(t)) for t in fleet]
    assert here.summary() == there.summary() and here.backers() == there.backers()


def test_one_representative_per_cluster_and_a_bad_value_is_refused() -> None:
    base = sample(SUCCESS)
    gate = ClusterGate(1)
    assert [gate.admit(variant(base, n)) for n in range(3)] == [True, False, False]
    with pytest.raises(ValueError):
        ClusterGate(0)


# --- through the model path (--model fake) -------------------------------------------------------


@pytest.mark.slow
def test_duplicates_are_analysed_once_and_every_member_is_support_in_provenance(tmp_path: Path) -> None:
    """One behaviour in twelve files (five exact copies of one run, seven runs with other job numbers):
    three traces are analysed, and every file is named in provenance behind the rules, support counting all."""
    base = sample(SUCCESS)
    run = variant(base, 100)
    traces = [run.model_copy(update={"id": f"{run.id}-copy{n}"}) for n in range(5)]
    traces += [variant(base, n) for n in range(7)]
    inputs = tmp_path / "runs"
    for n, trace in enumerate(traces):
        write_jsonl(inputs / f"run-{n:02d}.jsonl", [trace])
    analyzer = ModelAnalyzer(ModelOptions(settings=LLMSettings(model="fake"), cache_dir=tmp_path / "cache"))
    report = run_distill([inputs], tmp_path / "out", analyzer=analyzer)
    assert report.traces == 12 and report.model is not None
    # One of the copies and two other runs; the tool-using fake analyst takes two turns each.
    assert report.model.analyst_calls == 3 * 2
    assert report.model.clustering is not None and report.model.clustering.duplicates == 4

    provenance = [read_provenance(s.path) for s in report.skills]
    trace_rules = [r for p in provenance if p for r in p.rules]
    assert trace_rules
    everyone = {t.id for t in traces}
    for rule in trace_rules:
        assert set(rule.trace_ids) == everyone and rule.support == 12
    sources = {s.path for p in provenance if p for s in p.sources}
    assert sources == {str(inputs / f"run-{n:02d}.jsonl") for n in range(12)}


@pytest.mark.slow
def test_dry_run_shows_clusters_and_the_calls_clustering_saves(tmp_path: Path) -> None:
    inputs = [write_jsonl(tmp_path / "fleet.jsonl", [variant(sample(BEHAVIOURS[n % 10]), n) for n in range(50)])]
    llm = client(tmp_path / "cache")
    clustered = estimate_run(inputs, llm)
    everything = estimate_run(inputs, llm, per_cluster=None)
    assert (clustered.traces, clustered.clusters, clustered.analysed_traces) == (50, 10, 30)
    assert everything.analysed_traces == 50 and everything.calls_saved == 0
    assert clustered.calls_saved == (everything.analyst_calls + everything.merge_calls) - (
        clustered.analyst_calls + clustered.merge_calls
    )
    assert clustered.calls_saved > 0 and clustered.cost_usd < everything.cost_usd
    # What the dry run plans is what the run does.
    analysis, stats = analyse(inputs, tmp_path / "run-cache", 4)
    assert stats.calls_by_stage["analyst"] == clustered.analyst_calls
    assert analysis.clustering is not None and analysis.clustering.analysed == 30


@pytest.mark.slow
def test_500_traces_of_10_behaviours_cost_a_fifth_of_the_calls_and_keep_every_rule(tmp_path: Path) -> None:
    fleet = [variant(sample(BEHAVIOURS[n % 10]), n) for n in range(500)]
    inputs = [write_jsonl(tmp_path / "fleet.jsonl", fleet)]
    clustered, with_clusters = analyse(inputs, tmp_path / "c1", 4)
    plain, without = analyse(inputs, tmp_path / "c2", None)
    ratio = with_clusters.calls_by_stage["analyst"] / without.calls_by_stage["analyst"]
    print(f"analyst calls {with_clusters.calls_by_stage['analyst']} / {without.calls_by_stage['analyst']} = {ratio:.3f}")
    assert ratio <= 0.20
    assert clustered.clustering is not None and clustered.clustering.clusters == 10
    assert len(clustered.traces) == len(plain.traces) == 500
    assert rules(clustered.lessons) == rules(plain.lessons) and clustered.lessons
    # Support still counts every trace behind a rule, analysed or not.
    assert sorted(l.support for l in clustered.lessons) == sorted(l.support for l in plain.lessons)


def test_the_stage_snapshot_is_kept_per_cluster_setting(tmp_path: Path) -> None:
    """A rerun with another --per-cluster must analyse again, not answer from the other setting's snapshot."""
    inputs = [write_jsonl(tmp_path / "fleet.jsonl", [variant(sample(SUCCESS), n) for n in range(6)])]
    llm = client(tmp_path / "cache")
    runs = {}
    for per_cluster in (4, 1, 4):
        runs.setdefault(per_cluster, []).append(
            asyncio.run(run_analysis(inputs, llm, per_cluster=per_cluster, snapshot_dir=tmp_path / "stages"))
        )
    first, again = runs[4]
    (single,) = runs[1]
    assert not first.from_snapshot and not single.from_snapshot and again.from_snapshot
    assert first.clustering is not None and single.clustering is not None
    assert (first.clustering.analysed, single.clustering.analysed) == (3, 1)


def test_clustered_output_is_byte_identical_across_runs(tmp_path: Path) -> None:
    inputs = [write_jsonl(tmp_path / "fleet.jsonl", [variant(sample(BEHAVIOURS[n % 3]), n) for n in range(15)])]
    outputs = []
    for run in range(2):
        first, _ = analyse(inputs, tmp_path / f"cache{run}", 2)
        outputs.append(json.dumps(first.model_dump(mode="json"), sort_keys=True))
    assert outputs[0] == outputs[1]
