"""Everything that talks to a model. Only ``_litellm.py`` imports litellm, and only when a call needs it.

``LLMClient`` (client.py) makes bounded, retried, cached, budgeted calls; ``complete_as``
(structured.py) turns answers into pydantic models with one repair round; prompts are files
loaded by ``load_prompt`` (prompts.py); every model stage is a ``Task`` (task.py). ``--model fake`` is
registered from ``skillforge.testing.fake_model``.
"""

from __future__ import annotations
