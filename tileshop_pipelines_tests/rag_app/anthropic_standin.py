"""A local stand-in for the Anthropic Messages API (the one thing that cannot exist here).

It speaks the wire format the real `anthropic` client expects: `POST /v1/messages` as JSON or as
server-sent events (`"stream": true`), `GET /v1/models`, API-key authentication, error bodies
`{"type": "error", "error": {...}}`, 429 with `retry-after-ms`, 5xx, and an `error` event in the
middle of a stream. Each request is recorded (headers, JSON body, arrival time) for assertions.

Its answer is derived from the request, not canned: it names the first search_result's title and
cites that result's first content block, so a test can tell which products reached the model.
Behaviour is scripted per request: `server.script = ["429", "500", "ok"]` answers the next three
requests that way; afterwards every request gets `server.default` ("ok" unless set). A "slow"
request waits `slow_seconds` and records when the client hung up on it (`closed_at`), as the
real API would see a call abandoned.
`server.compose` (a function of the request body, compose_answer unless set) writes the answer, and
`server.delta_seconds` paces a streamed answer's text deltas (the page's tests watch it stream).

Tool use: `server.tool_script = [[{"name": ..., "input": {...}}], ...]` answers each next request that
offers tools (and does not set tool_choice "none") with those tool_use blocks (stop_reason
"tool_use"); then the answer quotes the tool_result blocks it was sent, and cites the first
search_result a tool result carries (its `search_result_index` counted over every search_result of
the request, in message order, tool results included, as the API counts them). It checks what the
real API checks: tool definitions (name, description, input_schema of type object), every tool_use
answered by a tool_result with its id in the next user message, search_result blocks (source,
title, non-empty text content) at the top level of a message and inside tool results, and
citations enabled on all of a request's search results or on none.
"""

from __future__ import annotations

import json
import select
import socket
import threading
import time

from ..support.local_server import LocalServer, QuietHandler

MODEL_IDS = ("claude-sonnet-5-5", "claude-haiku-5-5")


class AnthropicStandIn(LocalServer):
    def __init__(self, api_key: str = "sk-ant-test-standin-key-0123456789"):
        self.api_key = api_key
        self.requests: list[dict] = []
        self.script: list[str] = []
        self.default = "ok"
        self.tool_script: list[list[dict]] = []
        self.slow_seconds = 2.0
        self.compose = compose_answer
        self.delta_seconds = 0.0
        self._lock = threading.Lock()
        self._cached_prefixes: set[str] = set()
        super().__init__(self._handler())

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.script.clear()
            self.tool_script.clear()
            self.default = "ok"
            self.compose = compose_answer
            self.delta_seconds = 0.0
            self.slow_seconds = 2.0

    def messages_requests(self) -> list[dict]:
        return [r for r in self.requests if r["path"] == "/v1/messages"]

    def _next_behaviour(self) -> str:
        with self._lock:
            return self.script.pop(0) if self.script else self.default

    def _cache_usage(self, body: dict) -> dict:
        """Prompt-caching accounting: a cache_control'd system prompt is written once, then read."""
        system = body.get("system")
        if not isinstance(system, list) or not any(b.get("cache_control") for b in system):
            return {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
        prefix = json.dumps(system, sort_keys=True)
        size = len(prefix) // 4
        with self._lock:
            seen = prefix in self._cached_prefixes
            self._cached_prefixes.add(prefix)
        return {"cache_creation_input_tokens": 0 if seen else size, "cache_read_input_tokens": size if seen else 0}

    def _next_tool_calls(self, body: dict) -> list[dict] | None:
        if not body.get("tools") or (body.get("tool_choice") or {}).get("type") == "none":
            return None
        with self._lock:
            return self.tool_script.pop(0) if self.tool_script else None

    def _handler(self):
        standin = self

        class Handler(QuietHandler):
            protocol_version = "HTTP/1.1"

            def _json(self, status: int, body: dict, headers: dict | None = None) -> None:
                payload = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.send_header("request-id", f"req_standin_{len(standin.requests)}")
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)

            def _error(self, status: int, kind: str, message: str, headers: dict | None = None) -> None:
                self._json(status, {"type": "error", "error": {"type": kind, "message": message}}, headers)

            def _record(self, body: dict | None) -> dict:
                record = {
                    "path": self.path.split("?")[0],
                    "method": self.command,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                    "at": time.monotonic(),
                    "closed_at": None,
                }
                with standin._lock:
                    standin.requests.append(record)
                return record

            def _wait_unless_closed(self, seconds: float, record: dict) -> bool:
                """Sleep `seconds`, watching the socket: False (and `closed_at` recorded) as soon as
                the client closes its connection, as the real API would see a call abandoned."""
                deadline = time.monotonic() + seconds
                while (left := deadline - time.monotonic()) > 0:
                    readable, _, _ = select.select([self.connection], [], [], min(left, 0.05))
                    if readable and not self.connection.recv(1, socket.MSG_PEEK):
                        record["closed_at"] = time.monotonic()
                        self.close_connection = True
                        return False
                    if readable:
                        time.sleep(0.05)
                return True

            def _authorized(self) -> bool:
                # The pinned SDK sends the key as a bearer token; older clients send x-api-key.
                sent = {
                    self.headers.get("x-api-key"),
                    (self.headers.get("authorization") or "").removeprefix("Bearer "),
                }
                if standin.api_key not in sent:
                    self._error(401, "authentication_error", "invalid API key")
                    return False
                return True

            def do_GET(self) -> None:
                self._record(None)
                if not self.path.startswith("/v1/models"):
                    return self._error(404, "not_found_error", f"no route {self.path}")
                if not self._authorized():
                    return
                data = [
                    {"type": "model", "id": m, "display_name": m, "created_at": "2026-01-01T00:00:00Z"}
                    for m in MODEL_IDS
                ]
                self._json(200, {"data": data, "has_more": False, "first_id": data[0]["id"], "last_id": data[-1]["id"]})

            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except ValueError:
                    self._record(None)
                    return self._error(400, "invalid_request_error", "body is not JSON")
                record = self._record(body)
                if self.path.split("?")[0] != "/v1/messages":
                    return self._error(404, "not_found_error", f"no route {self.path}")
                if not self._authorized():
                    return
                problem = validate_messages_request(body)
                if problem:
                    return self._error(400, "invalid_request_error", problem)
                behaviour = standin._next_behaviour()
                if behaviour == "429":
                    return self._error(
                        429,
                        "rate_limit_error",
                        "Number of requests has exceeded your rate limit",
                        {"retry-after-ms": "50"},
                    )
                if behaviour == "500":
                    return self._error(500, "api_error", "Internal server error")
                if behaviour == "529":
                    return self._error(529, "overloaded_error", "Overloaded")
                if behaviour == "slow" and not self._wait_unless_closed(standin.slow_seconds, record):
                    return
                calls = standin._next_tool_calls(body)
                if calls is not None:
                    return self._tool_use(
                        body, calls, {"input_tokens": 100, "output_tokens": 10, **standin._cache_usage(body)}
                    )
                text, citation = standin.compose(body)
                usage = {"input_tokens": 100, "output_tokens": len(text.split()), **standin._cache_usage(body)}
                if body.get("stream"):
                    return self._stream(body, text, citation, usage, break_midway=behaviour == "stream_error")
                content = [{"type": "text", "text": text, "citations": [citation] if citation else None}]
                self._json(
                    200,
                    {
                        "id": "msg_standin",
                        "type": "message",
                        "role": "assistant",
                        "model": body["model"],
                        "content": content,
                        "stop_reason": "end_turn",
                        "stop_sequence": None,
                        "usage": usage,
                    },
                )

            def _tool_use(self, body: dict, calls: list[dict], usage: dict) -> None:
                blocks = [
                    {
                        "type": "tool_use",
                        "id": f"toolu_standin_{len(standin.requests)}_{i}",
                        "name": call["name"],
                        "input": call["input"],
                    }
                    for i, call in enumerate(calls)
                ]
                if not body.get("stream"):
                    return self._json(
                        200,
                        {
                            "id": "msg_standin",
                            "type": "message",
                            "role": "assistant",
                            "model": body["model"],
                            "content": blocks,
                            "stop_reason": "tool_use",
                            "stop_sequence": None,
                            "usage": usage,
                        },
                    )
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("connection", "close")
                self.end_headers()

                def event(name: str, data: dict) -> None:
                    self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
                    self.wfile.flush()

                event(
                    "message_start",
                    {
                        "type": "message_start",
                        "message": {
                            "id": "msg_standin",
                            "type": "message",
                            "role": "assistant",
                            "model": body["model"],
                            "content": [],
                            "stop_reason": None,
                            "stop_sequence": None,
                            "usage": {**usage, "output_tokens": 1},
                        },
                    },
                )
                for i, block in enumerate(blocks):
                    event(
                        "content_block_start",
                        {"type": "content_block_start", "index": i, "content_block": {**block, "input": {}}},
                    )
                    raw = json.dumps(block["input"])
                    for start in range(0, len(raw), 7):  # in pieces, as the API streams input JSON
                        event(
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": i,
                                "delta": {"type": "input_json_delta", "partial_json": raw[start : start + 7]},
                            },
                        )
                    event("content_block_stop", {"type": "content_block_stop", "index": i})
                event(
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                        "usage": {"output_tokens": usage["output_tokens"]},
                    },
                )
                event("message_stop", {"type": "message_stop"})
                self.close_connection = True

            def _stream(self, body: dict, text: str, citation: dict | None, usage: dict, break_midway: bool) -> None:
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("cache-control", "no-cache")
                self.send_header("connection", "close")
                self.end_headers()

                def event(name: str, data: dict) -> None:
                    self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
                    self.wfile.flush()

                event(
                    "message_start",
                    {
                        "type": "message_start",
                        "message": {
                            "id": "msg_standin",
                            "type": "message",
                            "role": "assistant",
                            "model": body["model"],
                            "content": [],
                            "stop_reason": None,
                            "stop_sequence": None,
                            "usage": {**usage, "output_tokens": 1},
                        },
                    },
                )
                event("ping", {"type": "ping"})
                event(
                    "content_block_start",
                    {
                        "type": "content_block_start",
                        "index": 0,
                        "content_block": {"type": "text", "text": "", "citations": []},
                    },
                )
                words = text.split(" ")
                for i, word in enumerate(words):
                    piece = word if i == 0 else " " + word
                    if i and standin.delta_seconds:
                        time.sleep(standin.delta_seconds)
                    event(
                        "content_block_delta",
                        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": piece}},
                    )
                    if break_midway and i == len(words) // 2:
                        event(
                            "error", {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}
                        )
                        self.close_connection = True
                        return
                if citation:
                    event(
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": 0,
                            "delta": {"type": "citations_delta", "citation": citation},
                        },
                    )
                event("content_block_stop", {"type": "content_block_stop", "index": 0})
                event(
                    "message_delta",
                    {
                        "type": "message_delta",
                        "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                        "usage": {"output_tokens": usage["output_tokens"]},
                    },
                )
                event("message_stop", {"type": "message_stop"})
                self.close_connection = True

        return Handler


def validate_messages_request(body: dict) -> str | None:
    """The Messages API rules our app must follow (what the real API would reject)."""
    for name in ("model", "max_tokens", "messages"):
        if name not in body:
            return f"{name}: field required"
    messages = body["messages"]
    if not messages or messages[0].get("role") != "user":
        return "messages: the first message must use the user role"
    for i, message in enumerate(messages):
        if message.get("role") not in ("user", "assistant"):
            return f"messages.{i}.role: unexpected role {message.get('role')!r} (use the system parameter)"
    breakpoints = sum(1 for b in (body.get("system") or []) if isinstance(b, dict) and b.get("cache_control"))
    for message in messages:
        content = message["content"]
        if isinstance(content, list):
            breakpoints += sum(1 for b in content if b.get("cache_control"))
    results = search_results(body)
    for block in results:
        if not block.get("source") or not block.get("title") or not block.get("content"):
            return "search_result: source, title and content are required"
        if any(c.get("type") != "text" or not c.get("text") for c in block["content"]):
            return "search_result.content: only text blocks, each with non-empty text, are allowed"
    if len({bool((block.get("citations") or {}).get("enabled")) for block in results}) > 1:
        return "citations must be enabled on all search results of a request or on none"
    if breakpoints > 4:
        return f"A maximum of 4 blocks with cache_control may be provided. Found {breakpoints}."
    for tool in body.get("tools") or []:
        if (
            not tool.get("name")
            or not isinstance(tool.get("input_schema"), dict)
            or tool["input_schema"].get("type") != "object"
        ):
            return "tools: each tool needs a name and an input_schema of type object"
    for i, message in enumerate(messages):
        content = message["content"] if isinstance(message["content"], list) else []
        asked = [b["id"] for b in content if b.get("type") == "tool_use"]
        if asked:
            following = messages[i + 1]["content"] if i + 1 < len(messages) else []
            answered = [
                b.get("tool_use_id") for b in following if isinstance(b, dict) and b.get("type") == "tool_result"
            ]
            if sorted(answered) != sorted(asked):
                return f"messages.{i + 1}: tool_use ids {asked} need tool_result blocks right after"
    return None


def search_results(body: dict) -> list[dict]:
    """Every search_result block of the request in the order the API counts them: message by
    message, those inside a tool_result where that tool_result stands."""
    found = []
    for message in body["messages"]:
        for block in message["content"] if isinstance(message["content"], list) else []:
            if block.get("type") == "search_result":
                found.append(block)
            elif block.get("type") == "tool_result" and isinstance(block.get("content"), list):
                found += [b for b in block["content"] if isinstance(b, dict) and b.get("type") == "search_result"]
    return found


def _citation(block: dict, index: int) -> dict:
    return {
        "type": "search_result_location",
        "source": block["source"],
        "title": block["title"],
        "cited_text": block["content"][0]["text"],
        "search_result_index": index,
        "start_block_index": 0,
        "end_block_index": 1,
    }


def tool_results(body: dict) -> list[dict]:
    last = body["messages"][-1]["content"]
    return [b for b in last if isinstance(b, dict) and b.get("type") == "tool_result"] if isinstance(last, list) else []


def compose_answer(body: dict) -> tuple[str, dict | None]:
    results = search_results(body)
    answered = tool_results(body)
    if answered:
        quoted = "; ".join(
            f"{'error' if b.get('is_error') else 'result'} {b['content'] if isinstance(b['content'], str) else json.dumps(b['content'])}"
            for b in answered
        )
        citation = None
        from_tools = [
            b
            for t in answered
            if isinstance(t.get("content"), list)
            for b in t["content"]
            if isinstance(b, dict) and b.get("type") == "search_result"
        ]
        if from_tools and (from_tools[0].get("citations") or {}).get("enabled"):
            citation = _citation(from_tools[0], next(i for i, b in enumerate(results) if b is from_tools[0]))
        return f"From the tools: {quoted}", citation
    if not results:
        return "I could not find a matching product in the catalog.", None
    first = results[0]
    text = f"From the catalog, {first['title']} is the closest match for your question."
    if len(results) > 1:
        text += f" Also consider {results[1]['title']}."
    citation = _citation(first, 0) if (first.get("citations") or {}).get("enabled") else None
    return text, citation
