"""Built-in readers, one module per format; each module exposes ``READERS: list[Reader]``.

``BUILTIN_READERS`` is what ``skillforge.plugins`` registers through the ``register_readers`` hook, the
same hook a third-party format plugin implements. Importing this package loads every format module, so
only the plugin hook and the tests import it.
"""

from __future__ import annotations

from skillforge.ingest.base import Reader
from skillforge.ingest.formats import (
    anthropic,
    claude_code,
    codex,
    documents,
    mini_swe_agent,
    openai_chat,
    openai_responses,
    openhands,
    otel,
    skillforge_trace,
    swe_agent,
    tickets,
)

BUILTIN_READERS: tuple[Reader, ...] = (
    # The order is the sniffing tie-break: on equal scores the earlier reader wins.
    *claude_code.READERS,
    *codex.READERS,
    *openai_chat.READERS,
    *openai_responses.READERS,
    *anthropic.READERS,
    *swe_agent.READERS,
    *mini_swe_agent.READERS,
    *openhands.READERS,
    *otel.READERS,
    *tickets.READERS,
    *documents.READERS,
    *skillforge_trace.READERS,
)

