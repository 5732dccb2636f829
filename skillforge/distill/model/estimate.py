"""``--dry-run``: how many model calls, tokens and dollars a distill would take, without calling a model.

Exact where it can be: the first analyst prompt of every trace is rendered and counted with
litellm's tokenizer for the model, and checked against the cache. Estimated where the answer
decides: a tool-using analyst is assumed to take one reading turn (its prompt grows by the tool
output) before answering; each trace is assumed to yield ``LESSONS_PER_TRACE`` lessons for the
merge tree; answers are assumed to be ``ANSWER_TOKENS`` long. Prices come from litellm's model map.

Behaviour clustering is planned exactly as the run does it (``cluster.ClusterGate`` over the traces
in input order): only the traces it admits are priced, and ``calls_saved`` is the difference to
analysing every trace (analyst calls and the merge tree over their leaves).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from skillforge.distill.consolidate import tree_levels, tree_merge_nodes
from skillforge.distill.model.analysts import LLMAnalyst
from skillforge.distill.model.cluster import DEFAULT_PER_CLUSTER, ClusterGate
from skillforge.ingest import ReadOptions, read_paths
from skillforge.llm import _litellm
from skillforge.llm.client import LLMClient
from skillforge.models import Trace
from skillforge.models.llm import DryRunEstimate
from skillforge.redact import redact_trace

LESSONS_PER_TRACE = 2
ANSWER_TOKENS = 600
TOOL_TURN_TOKENS = 80
"""A turn that only asks for tools is short."""
TOOL_OUTPUT_TOKENS = 2_500
"""What one round of read_steps/grep_trace adds to the next prompt (their output is capped)."""
MERGE_BASE_TOKENS = 1_200
MERGE_TOKENS_PER_LESSON = 120
PLAN_BASE_TOKENS = 1_200
PLAN_TOKENS_PER_RULE = 50


def estimate_run(
    inputs: Iterable[str | Path],
    client: LLMClient,
    *,
    fmt: str | None = None,
    options: ReadOptions | None = None,
    k: int = 8,
    into: str | None = None,
    per_cluster: int | None = DEFAULT_PER_CLUSTER,
    redact_emails: bool = False,
) -> DryRunEstimate:
    """Plan the calls of a distill over ``inputs`` and price them; no model is called.

    ``per_cluster`` and ``redact_emails`` as in ``run_analysis``: None prices every trace; the traces
    are redacted as the run redacts them, so the prompts counted and looked up in the cache are its own.
    Unreadable files and records are passed over (the estimate lists none)."""
    analyst = LLMAnalyst(client)
    gate = ClusterGate(per_cluster) if per_cluster is not None else None
    calls_per_trace = 2 if analyst.use_tools else 1
    traces = 0
    analysed = 0
    cached = 0
    prompt_tokens = 0
    completion_tokens = 0
    analyst_calls = 0
    for item in read_paths([str(p) for p in inputs], fmt, options):
        if not isinstance(item, Trace):
            continue
        traces += 1
        trace = redact_trace(item, redact_emails=redact_emails)
        if gate is not None and not gate.admit(trace):
            continue
        analysed += 1
        request = analyst.first_request(trace)
        if client.cached(request):
            cached += 1
        first = _litellm.count_tokens(client.model, request.messages, request.tools)
        if analyst.use_tools:
            analyst_calls += 2
            prompt_tokens += first + first + TOOL_OUTPUT_TOKENS
            completion_tokens += TOOL_TURN_TOKENS + ANSWER_TOKENS
        else:
            analyst_calls += 1
            prompt_tokens += first
            completion_tokens += ANSWER_TOKENS
    merge_calls = tree_merge_nodes([LESSONS_PER_TRACE] * analysed, k)
    unclustered = traces * calls_per_trace + tree_merge_nodes([LESSONS_PER_TRACE] * traces, k)
    group = min(k, max(analysed, 1))
    prompt_tokens += merge_calls * (MERGE_BASE_TOKENS + MERGE_TOKENS_PER_LESSON * LESSONS_PER_TRACE * group)
    completion_tokens += merge_calls * ANSWER_TOKENS
    plan_calls = 1 if traces and into is None else 0
    rules = min(analysed * LESSONS_PER_TRACE, 60)
    prompt_tokens += plan_calls * (PLAN_BASE_TOKENS + PLAN_TOKENS_PER_RULE * rules)
    completion_tokens += plan_calls * ANSWER_TOKENS
    cost = _litellm.cost_for(client.model, prompt_tokens, completion_tokens)
    clusters = gate.summary() if gate is not None else None
    return DryRunEstimate(
        model=client.model,
        traces=traces,
        analyst_calls=analyst_calls,
        merge_calls=merge_calls,
        plan_calls=plan_calls,
        planned_calls=analyst_calls + merge_calls + plan_calls,
        cached_calls=cached,
        prompt_tokens=prompt_tokens,
        completion_tokens=completion_tokens,
        cost_usd=cost or 0.0,
        cost_known=cost is not None,
        merge_levels=tree_levels(analysed, k),
        tool_calling=analyst.use_tools,
        per_cluster=per_cluster,
        clusters=clusters.clusters if clusters is not None else 0,
        duplicates=clusters.duplicates if clusters is not None else 0,
        analysed_traces=analysed,
        calls_saved=unclustered - analyst_calls - merge_calls,
    )
