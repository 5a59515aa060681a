"""A request id on every request: the caller's X-Request-ID when it is a short safe token, else a
new one; set for the request's log lines (tileshop_pipelines.serving.logs.request_id) and returned in the
response's X-Request-ID.

A caller's id is accepted only as 1-64 characters of [A-Za-z0-9._-]: anything else (spaces,
newlines, quotes, a 10 KB value) could forge or bloat log lines, so it is replaced, not echoed.
"""

from __future__ import annotations

import re
import uuid

from tileshop_pipelines.serving.logs import request_id

HEADER = b"x-request-id"
_SAFE = re.compile(rb"[A-Za-z0-9._-]{1,64}")


def accepted_id(value: bytes | None) -> str:
    """The caller's id if it is a short safe token, else a fresh one (32 hex digits)."""
    if value is not None and _SAFE.fullmatch(value):
        return value.decode("ascii")
    return uuid.uuid4().hex


class RequestIdMiddleware:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        incoming = next((v for k, v in scope["headers"] if k == HEADER), None)
        rid = accepted_id(incoming)
        token = request_id.set(rid)

        async def send_with_id(message):
            if message["type"] == "http.response.start":
                message["headers"] = [
                    *[(k, v) for k, v in message.get("headers", []) if k.lower() != HEADER],
                    (HEADER, rid.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id.reset(token)
