"""Test helpers that ship with skillforge, like ``click.testing``: the scripted fake model and its server.

- ``--model fake`` / ``fake-notools``: an offline model registered through litellm's own
  custom-provider mechanism (``fake_model``), so it takes the real call path (pricing, retries,
  cache, budget); ``SKILLFORGE_FAKE_LATENCY`` and ``SKILLFORGE_FAKE_FAULTS`` simulate a slow or
  flaky provider. The README demo and the benchmarks use it.
- ``queue(kind, answer)``: script the model — the next call of that task type (``Task.kind``)
  gets ``answer`` before any derived one, as dspy's ``DummyLM`` and simonw/llm's ``MockModel`` do.
- ``server.FakeOpenAIServer``: the same answers over loopback HTTP for the OpenAI provider path.

Nothing in the library imports this package except ``llm/_litellm.py``, which registers the fake.
"""

from __future__ import annotations

from skillforge.testing.answers import queue, queued, reset

__all__ = ["queue", "queued", "reset"]
