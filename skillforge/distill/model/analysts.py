"""LLM analysts: one small tool-using sub-agent per trace, returning verified Lessons.

The agent starts from the trace outline (task, outcome, every error, numbered step index) and, if
the model supports function calling, may call ``read_steps`` and ``grep_trace`` for up to
``tool_steps`` rounds before it answers; a model without tool calling gets the outline plus the
steps around each error in one call. Failed and successful traces get different prompts. The
answer is an ``AnalystAnswer``; its evidence quotes are verified against the (redacted) trace and
lessons with no verified quote are dropped and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from skillforge.distill.model.evidence import verify_lessons
from skillforge.errors import BudgetExceeded, LLMError
from skillforge.llm.client import LLMClient
from skillforge.llm.structured import follow_up, schema_text
from skillforge.llm.task import Task
from skillforge.llm.trace_view import TOOLS, error_windows, is_failure, render_outline, run_tool
from skillforge.models import Lesson, Trace
from skillforge.models.llm import CallFailure, DroppedLesson, LLMRequest
from skillforge.models.llm_outputs import AnalystAnswer

TOOLS_WINDOWS_NOTE = "(not included: read the steps you need with the tools)"


@dataclass
class AnalystResult:
    """What one analyst produced for one trace."""

    trace_id: str
    lessons: list[Lesson] = field(default_factory=list)
    dropped: list[DroppedLesson] = field(default_factory=list)
    quotes_removed: int = 0
    tool_calls: int = 0
    failure: CallFailure | None = None


class AnalystTask(Task[AnalystAnswer], kind="analyst", prompt="analyst_success"):
    """Lessons from one trace. ``tool_steps`` > 0: the model reads steps with the tools instead of
    getting the error windows. ``for_trace`` picks the failure or the success prompt."""

    trace: Trace
    tool_steps: int = 0

    @staticmethod
    def for_trace(trace: Trace, tool_steps: int = 0) -> AnalystTask:
        cls = FailureAnalystTask if is_failure(trace) else AnalystTask
        return cls(trace, tool_steps)

    def label(self) -> str:
        return f"analyst:{self.trace.id}"

    def inputs(self) -> dict[str, Any]:
        return {
            "outline": render_outline(self.trace),
            "windows": TOOLS_WINDOWS_NOTE if self.tool_steps else error_windows(self.trace),
            "step_budget": self.tool_steps,
        }


class FailureAnalystTask(AnalystTask, prompt="analyst_failure"):
    """What went wrong in a failed trace, and what would have fixed it."""


class LLMAnalyst:
    """Analyses one trace at a time with ``client``; safe to run many at once (the client bounds them)."""

    def __init__(self, client: LLMClient, *, tool_steps: int | None = None, use_tools: bool | None = None) -> None:
        self.client = client
        self.tool_steps = client.settings.tool_steps if tool_steps is None else tool_steps
        self.use_tools = (client.supports_tools if use_tools is None else use_tools) and self.tool_steps > 0

    def first_request(self, trace: Trace) -> LLMRequest:
        """The opening request for ``trace`` (also what a dry run prices and checks against the cache)."""
        return self.task(trace).request(tools=TOOLS if self.use_tools else None)

    def task(self, trace: Trace) -> AnalystTask:
        return AnalystTask.for_trace(trace, self.tool_steps if self.use_tools else 0)

    async def analyze(self, trace: Trace) -> AnalystResult:
        """Run the sub-agent on ``trace``. Model failures are returned in ``failure``, not raised,
        except ``BudgetExceeded``, which stops the whole run."""
        result = AnalystResult(trace_id=trace.id)
        task = self.task(trace)
        request = task.request(tools=TOOLS if self.use_tools else None)
        try:
            answer = await self._converse(task, request, result)
        except BudgetExceeded:
            raise
        except LLMError as exc:
            result.failure = CallFailure(task=request.task, error=exc.message, kind=type(exc).__name__)
            return result
        verified = verify_lessons(trace, answer.lessons)
        result.lessons = verified.lessons
        result.dropped = verified.dropped
        result.quotes_removed = verified.quotes_removed
        return result

    async def _converse(self, task: AnalystTask, request: LLMRequest, result: AnalystResult) -> AnalystAnswer:
        if not self.use_tools:
            return await task.run(self.client, request=request)
        messages = list(request.messages)
        for turn in range(self.tool_steps):
            step_request = request.model_copy(update={"messages": messages, "task": f"{request.task}:turn{turn}"})
            response = await self.client.complete(step_request)
            if not response.tool_calls:
                return await task.run(self.client, request=step_request, first=response)
            messages = [*messages, _assistant_tool_message(response.content, response.tool_calls)]
            for call in response.tool_calls:
                result.tool_calls += 1
                messages.append(
                    {"role": "tool", "tool_call_id": call.id, "content": run_tool(task.trace, call.name, call.arguments)}
                )
        after = messages[len(request.messages) :]
        closing = follow_up(request, "analyst_final", f"{request.task}:final", after=after,
                            schema=schema_text(AnalystAnswer))
        return await task.run(self.client, request=closing)


def _assistant_tool_message(content: str | None, calls: list[Any]) -> dict[str, Any]:
    return {
        "role": "assistant",
        "content": content or None,
        "tool_calls": [
            {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}} for c in calls
        ],
    }

