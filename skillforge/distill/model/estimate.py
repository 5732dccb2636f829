"""``--dry-run``: how many model calls, tokens and dollars a distill would take, without calling a model.

Exact where it can be: the first analyst prompt of every trace is rendered and counted with
litellm's tokenizer for the model, and checked against the cache. Estimated where the answer
decides: a tool-using analyst is assumed to take one reading turn (its prompt grows by the tool
output) before answering; each trace is assumed to yield ``LESSONS_PER_TRACE`` lessons for the
merge tree; answers are assumed to be ``ANSWER_TOKENS`` long. Prices come from litellm's model map.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from skillforge.distill.consolidate import tree_levels, tree_merge_nodes
from skillforge.distill.model.analysts import LLMAnalyst
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
) -> DryRunEstimate:
    """Plan the calls of a distill over ``inputs`` and price them; no model is called."""
    analyst = LLMAnalyst(client)
    traces = 0
    cached = 0
    prompt_tokens = 0
    completion_tokens = 0
    analyst_calls = 0
    for item in read_paths([str(p) for p in inputs], fmt, options):
        if not isinstance(item, Trace):
            continue
        traces += 1
        request = analyst.first_request(redact_trace(item))
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
    leaf_sizes = [LESSONS_PER_TRACE] * traces
    merge_calls = tree_merge_nodes(leaf_sizes, k)
    group = min(k, max(traces, 1))
    prompt_tokens += merge_calls * (MERGE_BASE_TOKENS + MERGE_TOKENS_PER_LESSON * LESSONS_PER_TRACE * group)
    completion_tokens += merge_calls * ANSWER_TOKENS
    plan_calls = 1 if traces and into is None else 0
    rules = min(traces * LESSONS_PER_TRACE, 60)
    prompt_tokens += plan_calls * (PLAN_BASE_TOKENS + PLAN_TOKENS_PER_RULE * rules)
    completion_tokens += plan_calls * ANSWER_TOKENS
    cost = _litellm.cost_for(client.model, prompt_tokens, completion_tokens)
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
        merge_levels=tree_levels(traces, k),
        tool_calling=analyst.use_tools,
    )
