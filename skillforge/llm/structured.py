"""Typed answers: every LLM task names a prompt file and a pydantic output model.

The request carries the output's JSON Schema (sent as ``response_format`` where the model
supports it, and always shown in the prompt through the ``{{schema}}`` placeholder). The answer
is parsed and validated; on invalid JSON or a schema mismatch the model gets exactly one repair
round with the error text, and if that fails too the task raises ``OutputParseError`` naming it.
A caller's ``check`` can add semantic rules (ids that must exist) that take the same repair path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from skillforge.errors import OutputParseError
from skillforge.llm.client import LLMClient
from skillforge.llm.prompts import load_prompt
from skillforge.models.llm import LLMRequest, LLMResponse

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```(?:json|JSON)?\s*\n?(.*?)```", re.DOTALL)


@cache
def output_schema(output: type[BaseModel]) -> dict[str, Any]:
    """The JSON Schema of an output model (as pydantic writes it)."""
    return output.model_json_schema()


@cache
def schema_text(output: type[BaseModel]) -> str:
    return json.dumps(output_schema(output), indent=1, sort_keys=True)


def build_request(
    task: str,
    prompt_name: str,
    output: type[BaseModel],
    *,
    tools: list[dict[str, Any]] | None = None,
    max_tokens: int | None = None,
    **values: Any,
) -> LLMRequest:
    """Render ``templates/prompts/<prompt_name>.md`` into a request whose answer is ``output``."""
    prompt = load_prompt(prompt_name)
    if "schema" in prompt.placeholders and "schema" not in values:
        values["schema"] = schema_text(output)
    return LLMRequest(
        task=task,
        template=prompt.name,
        template_hash=prompt.hash,
        messages=prompt.render(**values),
        tools=tools,
        output_schema=output_schema(output),
        output_name=output.__name__,
        max_tokens=max_tokens,
    )


def extract_json(text: str | None) -> Any:
    """The JSON value in a model's answer: bare, inside a ``` fence, or between the outermost braces."""
    if text is None or not text.strip():
        raise ValueError("the answer was empty")
    stripped = text.strip()
    candidates = [stripped]
    candidates += [m.group(1).strip() for m in _FENCE.finditer(stripped)]
    first, last = stripped.find("{"), stripped.rfind("}")
    if 0 <= first < last:
        candidates.append(stripped[first : last + 1])
    error: json.JSONDecodeError | None = None
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except json.JSONDecodeError as exc:
            error = error or exc
    assert error is not None
    raise ValueError(f"the answer is not valid JSON: {error.msg} at line {error.lineno} column {error.colno}")


def parse_output(text: str | None, output: type[T], check: Callable[[T], None] | None = None) -> T:
    """Parse and validate an answer; raise ``ValueError`` with a message fit to show the model."""
    data = extract_json(text)
    try:
        value = output.model_validate(data)
    except ValidationError as exc:
        problems = [f"{'.'.join(str(p) for p in err['loc']) or '(root)'}: {err['msg']}" for err in exc.errors()[:12]]
        raise ValueError(f"the JSON does not match the {output.__name__} schema: " + "; ".join(problems)) from None
    if check is not None:
        check(value)
    return value


def follow_up(
    request: LLMRequest, prompt_name: str, task: str, *, after: list[dict[str, Any]] | None = None, **values: Any
) -> LLMRequest:
    """``request``'s conversation, then ``after`` (turns since), then the user turn of ``prompt_name``.

    Tools are off (a follow-up wants the answer), and the follow-up prompt's own version joins the
    cache key."""
    prompt = load_prompt(prompt_name)
    return request.model_copy(
        update={
            "task": task,
            "messages": [*request.messages, *(after or []), prompt.render_user(**values)],
            "tools": None,
            "template_hash": request.template_hash + "+" + prompt.hash,
        }
    )


def repair_request(request: LLMRequest, answer: LLMResponse, error: str) -> LLMRequest:
    """The same conversation plus the bad answer and a request to fix it (the one repair round)."""
    bad = {"role": "assistant", "content": answer.content or ""}
    return follow_up(
        request, "repair", request.task + ":repair", after=[bad], error=error, output_name=request.output_name or "answer"
    )


async def complete_as(
    client: LLMClient,
    request: LLMRequest,
    output: type[T],
    *,
    check: Callable[[T], None] | None = None,
    first: LLMResponse | None = None,
) -> T:
    """Ask ``request`` and return its answer as ``output``, with one repair round on a bad answer.

    ``first`` is an answer already obtained for ``request`` (an agent's final turn), parsed
    before anything new is asked.
    """
    answer = first if first is not None else await client.complete(request)
    try:
        return parse_output(answer.content, output, check)
    except ValueError as exc:
        error = str(exc)
    repaired = await client.complete(repair_request(request, answer, error))
    try:
        return parse_output(repaired.content, output, check)
    except ValueError as exc:
        raise OutputParseError(
            f"{request.task}: the model's answer did not match {output.__name__} even after a repair round: {exc}",
            hint="try a stronger model, or check the prompt template",
        ) from None
