"""Request guards: admin bearer token, per-client rate limits, security headers (the header and body
size limits and the bearer check are tileshop_pipelines.serving.http's, shared with the crawl service).

The guards are plain ASGI middleware (no per-request task or body copy beyond the limit).
"""

from __future__ import annotations

import ipaddress
import math
import threading
import time

from fastapi import HTTPException
from pydantic import SecretStr

from tileshop_pipelines.serving.http import require_bearer, send_json

# Paths never rate-limited: liveness probes must keep working under a flood (Prometheus scrapes
# another port: serving.metrics_server).
UNLIMITED_PATHS = frozenset({"/api/system/health"})


def check_admin_token(authorization: str, token: SecretStr | None) -> None:
    """`authorization` must be `Bearer <TILESHOP_ADMIN_TOKEN>`."""
    if token is None:
        raise HTTPException(status_code=403, detail="admin endpoints are disabled: TILESHOP_ADMIN_TOKEN is not set")
    require_bearer(authorization, token, "admin bearer token")


class RateLimiter:
    """A token bucket per client: `per_minute` sustained, `burst` at once."""

    def __init__(self, per_minute: int, burst: int, max_clients: int = 100_000):
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self.max_clients = max_clients
        self._buckets: dict[str, tuple[float, float]] = {}  # client -> (tokens, updated)
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """0 when the request may go ahead, else the seconds until it may."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, updated = self._buckets.get(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - updated) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            if len(self._buckets) > self.max_clients:  # forget the idlest clients first
                for key, _ in sorted(self._buckets.items(), key=lambda kv: kv[1][1])[: self.max_clients // 10]:
                    del self._buckets[key]
        return wait

    async def check(self, client: str) -> float:
        """`take` for the middleware (shared_state.RedisRateLimiter's interface)."""
        return self.take(client)


def client_address(scope, behind_fly_proxy: bool) -> str:
    """The socket peer; behind Fly's proxy (FLY_APP_NAME set), the Fly-Client-IP it sets, as every
    request's peer is then the proxy. Never X-Forwarded-For: any client can send it."""
    if behind_fly_proxy:
        for name, value in reversed(scope["headers"]):
            if name == b"fly-client-ip":
                try:
                    return str(ipaddress.ip_address(value.decode("latin-1").strip()))
                except ValueError:
                    break
    return (scope.get("client") or ("unknown", 0))[0]


class RateLimitMiddleware:
    """`limiter`: this process's RateLimiter, or shared_state.RedisRateLimiter (every process's)."""

    def __init__(self, app, limiter, on_limited=None, behind_fly_proxy: bool = False):
        self.app = app
        self.limiter = limiter
        self.on_limited = on_limited
        self.behind_fly_proxy = behind_fly_proxy

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/api/") or scope["path"] in UNLIMITED_PATHS:
            return await self.app(scope, receive, send)
        wait = await self.limiter.check(client_address(scope, self.behind_fly_proxy))
        if wait > 0:
            if self.on_limited:
                self.on_limited()
            retry_after = str(max(1, math.ceil(wait)))
            return await send_json(
                send,
                429,
                {"detail": f"rate limit exceeded; retry after {retry_after} s"},
                [(b"retry-after", retry_after.encode())],
            )
        return await self.app(scope, receive, send)


# The chat page: its own script and styles only, product images from the catalog's https hosts, and
# no framing (clickjacking). The API docs (/docs, /redoc) load Swagger UI / ReDoc from jsDelivr with
# an inline script; they get that, and still no framing.
CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; img-src 'self' https: data:; object-src 'none'; "
    b"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CONTENT_SECURITY_POLICY = (
    b"default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    b"style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net https://fonts.googleapis.com; "
    b"font-src https://fonts.gstatic.com; img-src 'self' https: data:; worker-src blob:; "
    b"object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
DOCS_PATHS = frozenset({"/docs", "/redoc", "/docs/oauth2-redirect"})


class SecurityHeadersMiddleware:
    """Content-Security-Policy, X-Frame-Options and X-Content-Type-Options on every response (the
    chat page had none: it could be framed)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        policy = DOCS_CONTENT_SECURITY_POLICY if scope["path"] in DOCS_PATHS else CONTENT_SECURITY_POLICY
        added = [
            (b"content-security-policy", policy),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]

        async def with_headers(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *added]}
            await send(message)

        return await self.app(scope, receive, with_headers)
