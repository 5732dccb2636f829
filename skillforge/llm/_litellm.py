"""The only module that imports litellm: lazily, configured once, with its errors translated.

Importing litellm costs seconds and, left to itself, fetches a price list from the network and
logs to stdout; ``get_litellm()`` pins the bundled price map, turns telemetry, litellm's own
cache and its own retries off (we own caching and retrying), and registers the offline fake
provider so ``--model fake`` goes through exactly the same call path as a hosted model.
"""

from __future__ import annotations

import email.utils
import importlib.metadata
import logging
import os
import time
import warnings
from functools import cache
from typing import Any

from skillforge.errors import (
    AuthError,
    ContextWindowError,
    LLMError,
    ProviderError,
    RateLimitError,
)


@cache
def get_litellm() -> Any:
    """Import and configure litellm once; every other module calls this instead of importing it."""
    # Must be set before the import: litellm reads it at import time to decide whether to fetch prices.
    os.environ["LITELLM_LOCAL_MODEL_COST_MAP"] = "True"
    os.environ.setdefault("LITELLM_TELEMETRY", "False")
    # litellm's lazily imported TypedDicts trip a pydantic warning on first use; nothing a user can act on.
    warnings.filterwarnings("ignore", message=r".*using the `ReadOnly` qualifier", category=UserWarning)
    import litellm

    litellm.telemetry = False
    litellm.suppress_debug_info = True
    litellm.cache = None
    litellm.num_retries = 0
    # Providers that do not know response_format/tools parameters get them dropped, not a 400.
    litellm.drop_params = True
    for name in ("LiteLLM", "LiteLLM Router", "LiteLLM Proxy", "litellm"):
        logging.getLogger(name).setLevel(logging.ERROR)

    _register_fake(litellm)
    # (The CLI freezes litellm's long-lived objects out of the cyclic GC: skillforge.cli._process.)
    return litellm


@cache
def _untracked_flag() -> Any:
    """litellm's "internal sub-call" context variable, or None when this litellm version has none."""
    try:
        from litellm._internal_context import is_internal_call
    except ImportError:
        return None
    return is_internal_call


async def acompletion(**kwargs: Any) -> Any:
    """``litellm.acompletion`` without litellm's success logging.

    skillforge registers no litellm callbacks (it keeps its own cache, journal, usage and cost), yet
    after every call litellm builds a standard logging payload and prices the call a second time for
    them: about a fifth of the CPU a call costs. litellm skips that for its own nested calls, marked by
    a context variable; our calls carry the same mark. The response keeps its price
    (``_hidden_params["response_cost"]``, set before logging), and errors are raised as before. When
    someone did register litellm callbacks in this process (``litellm.callbacks`` and friends), calls
    are logged as usual.
    """
    lit = get_litellm()
    flag = _untracked_flag()
    if flag is None or _has_callbacks(lit):
        return await lit.acompletion(**kwargs)
    token = flag.set(True)
    try:
        return await lit.acompletion(**kwargs)
    finally:
        flag.reset(token)


def answer_parts(raw: Any) -> dict[str, Any]:
    """What the client keeps of a litellm response, as plain values (they may cross a process boundary):
    content, tool calls as ``(id, name, arguments)``, finish reason, token counts and litellm's price."""
    choice = raw.choices[0]
    message = choice.message
    usage = getattr(raw, "usage", None)
    return {
        "content": message.content,
        "tool_calls": [
            (str(getattr(tc, "id", None) or f"call_{i}"), str(tc.function.name), str(tc.function.arguments or "{}"))
            for i, tc in enumerate(getattr(message, "tool_calls", None) or [])
        ],
        "finish_reason": getattr(choice, "finish_reason", None),
        "prompt_tokens": int(getattr(usage, "prompt_tokens", 0) or 0),
        "completion_tokens": int(getattr(usage, "completion_tokens", 0) or 0),
        "cost": response_cost(raw),
    }


def _has_callbacks(litellm: Any) -> bool:
    names = ("callbacks", "success_callback", "_async_success_callback", "failure_callback", "_async_failure_callback")
    return any(getattr(litellm, name, None) for name in names)


def _register_fake(litellm: Any) -> None:
    """Put the offline fake provider into litellm's own registries (provider map and model cost map)."""
    from litellm.utils import custom_llm_setup

    from skillforge.testing import fake_model as fake

    handler = fake.handler_class(litellm)()
    litellm.custom_provider_map = [
        item for item in litellm.custom_provider_map if item.get("provider") != fake.FAKE_PROVIDER
    ] + [{"provider": fake.FAKE_PROVIDER, "custom_handler": handler}]
    # The provider must be known before its models are registered, or litellm cannot price them.
    custom_llm_setup()  # type: ignore[no-untyped-call]  # litellm leaves this function unannotated
    litellm.register_model(fake.model_info())


def resolve_model(name: str) -> str:
    """Map our short names (``fake``) to litellm model strings; other names pass through."""
    from skillforge.testing.fake_model import FAKE_MODELS

    return FAKE_MODELS.get(name, name)


def litellm_version() -> str:
    """The installed litellm's version, read from its metadata (without importing litellm)."""
    try:
        return importlib.metadata.version("litellm")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


def supports_tools(model: str) -> bool:
    """Does litellm know this model to support function calling?"""
    lit = get_litellm()
    try:
        return bool(lit.supports_function_calling(model=model))
    except Exception:  # noqa: BLE001 - unknown model or provider: assume the simpler path
        return False


def supports_schema(model: str) -> bool:
    """Does litellm know this model to accept a JSON schema in ``response_format``?"""
    lit = get_litellm()
    try:
        return bool(lit.supports_response_schema(model=model))
    except Exception:  # noqa: BLE001 - litellm raises many types for "unknown model"
        return False


def count_tokens(model: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]] | None = None) -> int:
    """Prompt tokens as litellm counts them for this model (its tokenizer, or its default one)."""
    lit = get_litellm()
    try:
        return int(lit.token_counter(model=model, messages=messages, tools=tools))
    except Exception:  # noqa: BLE001 - litellm raises many types for "unknown model"
        # A model whose tokenizer litellm cannot load: count with the default encoding.
        return int(lit.token_counter(messages=messages))


def cost_for(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """Price of a call from litellm's model cost map; None when the model has no price there."""
    lit = get_litellm()
    try:
        prompt_cost, completion_cost = lit.cost_per_token(
            model=model, prompt_tokens=prompt_tokens, completion_tokens=completion_tokens
        )
    except Exception:  # noqa: BLE001 - litellm raises many types for "unknown model"
        return None
    return float(prompt_cost) + float(completion_cost)


def response_cost(response: Any) -> float | None:
    """litellm's own cost of a finished call (``completion_cost``), or None if it cannot price it."""
    lit = get_litellm()
    hidden = getattr(response, "_hidden_params", None) or {}
    if hidden.get("response_cost") is not None:
        return float(hidden["response_cost"])
    try:
        return float(lit.completion_cost(completion_response=response))
    except Exception:  # noqa: BLE001 - litellm raises many types for "unknown model"
        return None


def context_window(model: str) -> int | None:
    """Max input tokens litellm records for the model, if it knows the model."""
    lit = get_litellm()
    try:
        info = lit.get_model_info(model=model)
    except Exception:  # noqa: BLE001 - litellm raises many types for "unknown model"
        return None
    value = info.get("max_input_tokens") or info.get("max_tokens")
    return int(value) if value else None


def to_skillforge_error(exc: BaseException, *, task: str = "") -> LLMError:
    """Translate a litellm (or asyncio) exception into our tree, keeping ``retry_after`` and ``status``."""
    lit = get_litellm()
    prefix = f"{task}: " if task else ""
    text = _short(exc)
    if isinstance(exc, LLMError):
        return exc
    if isinstance(exc, (TimeoutError, lit.Timeout)):
        return ProviderError(f"{prefix}model call timed out ({text})", status=408, hint="raise --timeout")
    if isinstance(exc, lit.RateLimitError):
        return RateLimitError(f"{prefix}rate limited: {text}", retry_after=retry_after_of(exc))
    if isinstance(exc, lit.ContextWindowExceededError):
        return ContextWindowError(f"{prefix}prompt does not fit the model's context window: {text}")
    if isinstance(exc, (lit.AuthenticationError, lit.PermissionDeniedError)):
        return AuthError(f"{prefix}provider refused the credentials: {text}", hint="check the API key variable")
    status = getattr(exc, "status_code", None)
    if isinstance(exc, (lit.APIConnectionError, lit.InternalServerError, lit.ServiceUnavailableError)):
        return ProviderError(f"{prefix}provider error: {text}", status=status or 503)
    if isinstance(status, int) and status >= 500:
        return ProviderError(f"{prefix}provider error {status}: {text}", status=status)
    if isinstance(exc, (lit.BadRequestError, lit.NotFoundError)):
        return LLMError(f"{prefix}request refused: {text}")
    return ProviderError(f"{prefix}{type(exc).__name__}: {text}", status=status)


def retry_after_of(exc: BaseException) -> float | None:
    """Seconds from a ``Retry-After`` (or ``retry-after-ms``) header on the error's HTTP response."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if headers is None:
        return None
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, parsed.timestamp() - time.time())


def _short(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text[:300]
