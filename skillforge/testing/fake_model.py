"""``--model fake``: an offline, deterministic model behind litellm's own ``CustomLLM`` mechanism.

It is registered in ``litellm.custom_provider_map`` as provider ``skillforge-fake``, with prices
and capabilities in litellm's model cost map, so the fake goes through the same code path as a
hosted model: ``acompletion``, token counting, ``completion_cost``, error mapping. Models:

- ``fake`` (``skillforge-fake/fake``): function calling and JSON schema support;
- ``fake-notools`` (``skillforge-fake/fake-notools``): neither, to exercise the one-call path.

Answers come from ``answers``: queued ones (``skillforge.testing.queue``) first, then answers derived
from the request's named inputs. Environment knobs:

- ``SKILLFORGE_FAKE_LATENCY`` — seconds each call sleeps (``asyncio.sleep``), default 0;
- ``SKILLFORGE_FAKE_FAULTS`` — comma-separated ``kind=rate`` pairs, e.g.
  ``rate_limit=0.3,timeout=0.1,server_error=0.1,malformed=0.5,fabricate=1,retry_after=0.05``.
  Which request gets a fault is decided by a hash of the request, so runs are reproducible;
  transient faults (rate limit, timeout, server error) hit only the first attempt of a request in
  this process, so a retry succeeds. ``malformed`` breaks first answers only, unless
  ``malformed_repairs=1`` breaks repair answers too. ``fabricate`` adds a lesson whose quote
  occurs nowhere in the trace (evidence verification must drop it).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any

from skillforge.testing import answers
from skillforge.testing.prompt_inputs import tag, text_of

FAKE_PROVIDER = "skillforge-fake"
FAKE_MODELS = {"fake": f"{FAKE_PROVIDER}/fake", "fake-notools": f"{FAKE_PROVIDER}/fake-notools"}
INPUT_COST_PER_TOKEN = 1e-6
"""The fake is priced like a small hosted model ($1 / $2 per million tokens) so budgets can be tested."""
OUTPUT_COST_PER_TOKEN = 2e-6
FABRICATED_QUOTE = "rm -rf / --no-preserve-root completed without any error"


@dataclass(frozen=True)
class FaultConfig:
    """Fault rates (0..1) of the fake model; see the module docstring."""

    rate_limit: float = 0.0
    timeout: float = 0.0
    server_error: float = 0.0
    malformed: float = 0.0
    malformed_repairs: bool = False
    fabricate: float = 0.0
    retry_after: float = 0.05

    @classmethod
    def from_env(cls) -> FaultConfig:
        raw = os.environ.get("SKILLFORGE_FAKE_FAULTS", "").strip()
        values: dict[str, Any] = {}
        for part in filter(None, (p.strip() for p in raw.split(","))):
            name, _, value = part.partition("=")
            name = name.strip()
            if name not in cls.__dataclass_fields__:
                raise ValueError(f"SKILLFORGE_FAKE_FAULTS: unknown fault {name!r}")
            values[name] = value.strip() in ("1", "true", "yes") if name == "malformed_repairs" else float(value or 1)
        return cls(**values)


NO_FAULTS = FaultConfig()


def hits(kind: str, key: str, rate: float) -> bool:
    """Deterministic coin: does fault ``kind`` hit request ``key`` at ``rate``?"""
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{kind}\0{key}".encode()).digest()
    return int.from_bytes(digest[:4], "big") / 2**32 < rate


class FakeStats:
    """Process-wide counters of the fake (tests and the benchmark read them)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.calls = 0
        self.faults: Counter[str] = Counter()
        self.seen: Counter[str] = Counter()
        self.in_flight = 0
        self.max_in_flight = 0
        self.answer_cpu_s = 0.0
        """CPU the fake spent composing answers: a real provider's work, done on its side of the wire."""

    def reset(self) -> None:
        self.__init__()  # type: ignore[misc]


STATS = FakeStats()


def request_key(messages: list[dict[str, Any]], tools: Any) -> str:
    material = json.dumps({"m": messages, "t": tools}, sort_keys=True, default=str)
    return hashlib.sha256(material.encode()).hexdigest()


def latency() -> float:
    try:
        return max(0.0, float(os.environ.get("SKILLFORGE_FAKE_LATENCY", "0") or 0))
    except ValueError:
        return 0.0


def model_info() -> dict[str, dict[str, Any]]:
    """Entries for litellm's model cost map: prices and capabilities of the two fake models."""
    common = {
        "input_cost_per_token": INPUT_COST_PER_TOKEN,
        "output_cost_per_token": OUTPUT_COST_PER_TOKEN,
        "cache_creation_input_token_cost": 0.0,
        "cache_read_input_token_cost": 0.0,
        "litellm_provider": FAKE_PROVIDER,
        "mode": "chat",
        "max_input_tokens": 200_000,
        "max_output_tokens": 8_192,
        "max_tokens": 8_192,
    }
    return {
        FAKE_MODELS["fake"]: {**common, "supports_function_calling": True, "supports_response_schema": True},
        FAKE_MODELS["fake-notools"]: {**common, "supports_function_calling": False, "supports_response_schema": False},
    }


def handler_class(litellm: Any) -> type:
    """The ``CustomLLM`` subclass, built on the litellm module handed in (this module never imports it)."""

    # litellm arrives as a plain value (Any), so its CustomLLM base is Any to mypy.
    class FakeLLM(litellm.CustomLLM):  # type: ignore[misc]
        async def acompletion(self, *, model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
            return await _respond(litellm, model, messages, kwargs.get("optional_params") or {})

        def completion(self, *, model: str, messages: list[dict[str, Any]], **kwargs: Any) -> Any:
            return asyncio.run(_respond(litellm, model, messages, kwargs.get("optional_params") or {}))

    return FakeLLM


async def _respond(litellm: Any, model: str, messages: list[dict[str, Any]], optional: dict[str, Any]) -> Any:
    faults = FaultConfig.from_env()
    tools = optional.get("tools") if "notools" not in model else None
    # Hashing a long conversation costs more than answering it; only faults need the request's key.
    key = request_key(messages, tools) if faults != NO_FAULTS else ""
    with STATS.lock:
        STATS.calls += 1
        if key:
            STATS.seen[key] += 1
        first_attempt = STATS.seen[key] == 1 if key else False
        STATS.in_flight += 1
        STATS.max_in_flight = max(STATS.max_in_flight, STATS.in_flight)
    try:
        delay = latency()
        if delay:
            await asyncio.sleep(delay)
        if first_attempt:
            _raise_transient(litellm, faults, key, model)
        started = time.thread_time()
        reply = answers.answer(messages, tools)
        spent = time.thread_time() - started
        with STATS.lock:
            STATS.answer_cpu_s += spent
        content = reply["content"]
        # A repair round's follow-up carries the error it is about in <error>.
        is_repair = bool(messages) and tag(text_of(messages[-1]), "error") is not None
        if content is not None and hits("fabricate", key, faults.fabricate) and '"lessons"' in content:
            content = _fabricate(content)
        if content is not None and hits("malformed", key, faults.malformed) and (not is_repair or faults.malformed_repairs):
            with STATS.lock:
                STATS.faults["malformed"] += 1
            content = content[: max(1, len(content) // 2)]
        return _model_response(litellm, model, messages, content, reply["tool_calls"])
    finally:
        with STATS.lock:
            STATS.in_flight -= 1


def _raise_transient(litellm: Any, faults: FaultConfig, key: str, model: str) -> None:
    import httpx

    request = httpx.Request("POST", f"https://{FAKE_PROVIDER}.invalid/v1/chat/completions")
    if hits("rate_limit", key, faults.rate_limit):
        with STATS.lock:
            STATS.faults["rate_limit"] += 1
        response = httpx.Response(429, headers={"retry-after": f"{faults.retry_after:g}"}, request=request)
        raise litellm.RateLimitError("fake rate limit", llm_provider=FAKE_PROVIDER, model=model, response=response)
    if hits("timeout", key, faults.timeout):
        with STATS.lock:
            STATS.faults["timeout"] += 1
        raise litellm.Timeout("fake timeout", model=model, llm_provider=FAKE_PROVIDER)
    if hits("server_error", key, faults.server_error):
        with STATS.lock:
            STATS.faults["server_error"] += 1
        response = httpx.Response(503, request=request)
        raise litellm.ServiceUnavailableError("fake overload", llm_provider=FAKE_PROVIDER, model=model, response=response)


def _fabricate(content: str) -> str:
    data = json.loads(content)
    if data.get("lessons"):
        invented = dict(data["lessons"][0])
        invented["title"] = "Clean the disk before retrying"
        invented["evidence"] = [{"step": 0, "quote": FABRICATED_QUOTE}]
        data["lessons"].append(invented)
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _model_response(
    litellm: Any, model: str, messages: list[dict[str, Any]], content: str | None, tool_calls: list[dict[str, Any]]
) -> Any:
    # About four characters per token, like the tokenizers of hosted models on English and code; exact
    # counting would cost more CPU than the fake's whole answer on a 500-trace benchmark.
    prompt_chars = sum(len(json.dumps(m.get("content") or "")) + 4 for m in messages)
    out_text = (content or "") + "".join(c["name"] + c["arguments"] for c in tool_calls)
    prompt_tokens = max(1, prompt_chars // 4)
    completion_tokens = max(1, len(out_text) // 4)
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if tool_calls:
        message["tool_calls"] = [
            {"id": c["id"], "type": "function", "function": {"name": c["name"], "arguments": c["arguments"]}}
            for c in tool_calls
        ]
    return litellm.ModelResponse(
        model=f"{FAKE_PROVIDER}/{model}",
        choices=[{"index": 0, "message": message, "finish_reason": "tool_calls" if tool_calls else "stop"}],
        usage={
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens,
        },
    )
