"""A loopback OpenAI-compatible server that answers like the fake model, over real HTTP.

Point ``--model openai/<anything> --api-base http://127.0.0.1:<port>/v1`` at it and skillforge
takes its real provider path: litellm, the OpenAI SDK, HTTP, status codes and headers. Used by the
tests (concurrency, 429 with ``Retry-After``, malformed output) and handy for trying a local setup
without a model. stdlib only; binds 127.0.0.1; one thread per request.

The server does not advertise tool calling (litellm does not know an ``openai/<anything>``
model), so analysts take the one-call path with the step windows.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from skillforge.testing import answers

Rewrite = Callable[[list[dict[str, Any]], str], str]
"""Optional hook: given the request messages and the fake's answer, return the content to send."""


class FakeOpenAIServer:
    """``with FakeOpenAIServer(latency=0.1) as server: server.api_base`` — counts what it served."""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        rate_limit_first: int = 0,
        retry_after: float = 0.2,
        rewrite: Rewrite | None = None,
    ) -> None:
        self.latency = latency
        self.rate_limit_first = rate_limit_first
        """The first N requests get 429 with a Retry-After header."""
        self.retry_after = retry_after
        self.rewrite = rewrite
        self.lock = threading.Lock()
        self.requests = 0
        self.rate_limited = 0
        self.in_flight = 0
        self.max_in_flight = 0
        self.request_times: list[float] = []
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def api_base(self) -> str:
        assert self._server is not None, "server not started"
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAIServer:  # noqa: PYI034 - typing.Self needs Python 3.11
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        owner = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive, as hosted providers do: a new connection per call is client CPU no real run pays.
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_POST(self) -> None:
                owner._handle(self)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="fake-openai", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("content-length") or 0)
        body = json.loads(handler.rfile.read(length) or b"{}")
        with self.lock:
            self.requests += 1
            number = self.requests
            self.request_times.append(time.monotonic())
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
        payload: dict[str, Any]
        try:
            if number <= self.rate_limit_first:
                with self.lock:
                    self.rate_limited += 1
                payload = {"error": {"message": "rate limited (fake)", "type": "rate_limit_exceeded"}}
                self._send(handler, 429, payload, {"retry-after": f"{self.retry_after:g}"})
                return
            if self.latency:
                time.sleep(self.latency)
            messages = body.get("messages") or []
            reply = answers.answer(messages, None)
            content = reply["content"] or ""
            if self.rewrite is not None:
                content = self.rewrite(messages, content)
            prompt_tokens = sum(len(str(m.get("content") or "")) for m in messages) // 4 + 1
            completion_tokens = len(content) // 4 + 1
            payload = {
                "id": f"chatcmpl-fake-{number}",
                "object": "chat.completion",
                "created": int(time.time()),
                "model": body.get("model", "fake"),
                "choices": [
                    {"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}
                ],
                "usage": {
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion_tokens,
                    "total_tokens": prompt_tokens + completion_tokens,
                },
            }
            self._send(handler, 200, payload, {})
        finally:
            with self.lock:
                self.in_flight -= 1

    @staticmethod
    def _send(handler: BaseHTTPRequestHandler, status: int, payload: dict[str, Any], headers: dict[str, str]) -> None:
        data = json.dumps(payload).encode()
        handler.send_response(status)
        handler.send_header("content-type", "application/json")
        handler.send_header("content-length", str(len(data)))
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(data)
