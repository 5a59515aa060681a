"""HTTP limits and the bearer check both services use (the app, rag_app; the crawl service, crawler).

Plain ASGI middleware: no per-request task, and no body copy beyond the limit.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Sequence

from fastapi import HTTPException
from pydantic import SecretStr


def require_bearer(authorization: str, token: SecretStr, what: str = "bearer token") -> None:
    """401 unless `authorization` is `Bearer <token>`, compared in constant time."""
    if not hmac.compare_digest(authorization.encode(), f"Bearer {token.get_secret_value()}".encode()):
        raise HTTPException(status_code=401, detail=f"missing or wrong {what}", headers={"WWW-Authenticate": "Bearer"})


async def send_json(send, status: int, body: dict, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class HeaderLimitMiddleware:
    """431 for more than `max_headers` headers or more than `max_bytes` of names and values.

    The server's parser bounds the head while it is read (serving.server); this holds what it let
    through to the app's own limits, whatever server runs the app."""

    def __init__(self, app, max_headers: int, max_bytes: int):
        self.app = app
        self.max_headers = max_headers
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = scope["headers"]
        size = sum(len(name) + len(value) for name, value in headers)
        if len(headers) > self.max_headers:
            return await send_json(
                send, 431, {"detail": f"{len(headers)} request headers; at most {self.max_headers} are accepted"}
            )
        if size > self.max_bytes:
            return await send_json(
                send, 431, {"detail": f"request headers total {size} bytes; at most {self.max_bytes} are accepted"}
            )
        return await self.app(scope, receive, send)


class BodySizeLimitMiddleware:
    """413 for a request body over `max_bytes`, by its Content-Length or, when chunked, as it arrives."""

    def __init__(self, app, max_bytes: int):
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        too_large = {"detail": f"request body exceeds {self.max_bytes} bytes"}
        for name, value in scope["headers"]:
            if name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    return await send_json(send, 400, {"detail": "malformed Content-Length"})
                if length > self.max_bytes:
                    return await send_json(send, 413, too_large)
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise _BodyTooLarge(status_code=413, detail=too_large["detail"])
            return message

        async def tracking_send(message):
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await send_json(send, 413, too_large)


class _BodyTooLarge(HTTPException):
    """An HTTPException, so FastAPI's body reader passes it through to the 413 handler."""
