"""The crawl service: crawl4ai behind HTTP, deployable as its own Fly.io app (`tileshop-crawler`).

POST /crawl {"urls": [...], "headers": {...}, "kind": "html"} -> {"success", "results": [{url,
status_code, html, body_base64, error, error_kind, response_headers}]}, shaped after crawl4ai's own REST API (POST /crawl with a
list of URLs; per-URL results with `status_code`, `html`, `response_headers`). One attempt per URL,
with the same response limits as the pipeline's `http` mode; politeness, retries and the circuit
breaker stay with the caller (the pipeline's crawler resource in `service` mode), which sees every
status and header, 304 and Retry-After included.

`"kind": "pdf"` fetches documents: a PDF (or generic binary) content type is accepted and the
bytes come back base64-encoded in `body_base64` (over HTTP only: a PDF needs no browser).

`"mode": "browser"` in a request (or CRAWLER_MODE=browser for requests that name none) renders the
pages in headless Chromium (the pipeline's browser transport, Debian's chromium) for pages that
need JavaScript; `http` is crawl4ai's HTTP strategy.

Every route but /health needs `Authorization: Bearer $CRAWLER_TOKEN`; request bodies over
MAX_REQUEST_BYTES get 413 (by Content-Length, or as a chunked body arrives), request heads over the
header limits get 431 (tileshop_pipelines.serving: the app's limits, shared). What may be fetched
and forwarded, and the bound on one answer's bodies: crawler/guard.py. Settings:
crawler/settings.py. Run: `python -m crawler`, which serves Prometheus' /metrics (crawler/metrics.py)
on METRICS_PORT, never on the service's port.
"""

from __future__ import annotations

import asyncio
import base64
import time
from contextlib import asynccontextmanager
from typing import Literal

from fastapi import Depends, FastAPI, Header, HTTPException
from pydantic import BaseModel, Field, field_validator

from crawler.guard import check_header, fetch_guard, refusal, response_budget
from crawler.metrics import CrawlerMetrics
from crawler.settings import CrawlerSettings, load_settings
from tileshop_pipelines.crawl.responses import BODY_KINDS
from tileshop_pipelines.crawl.transports import BrowserTransport, HttpTransport, find_chromium
from tileshop_pipelines.serving import logs
from tileshop_pipelines.serving.http import BodySizeLimitMiddleware, HeaderLimitMiddleware, require_bearer

MAX_URLS_PER_REQUEST = 100
MAX_REQUEST_BYTES = 256 * 1024
MAX_REQUEST_LINE_BYTES = 8 * 1024  # "POST /crawl HTTP/1.1" and friends; the URLs travel in the body
_FORWARDED_HEADERS = {"if-none-match", "if-modified-since", "accept-language"}


class CrawlRequest(BaseModel):
    urls: list[str] = Field(min_length=1, max_length=MAX_URLS_PER_REQUEST)
    headers: dict[str, str] = Field(
        default_factory=dict, max_length=10, description="request headers for every URL (conditional GET only)"
    )
    user_agent: str | None = Field(default=None, max_length=300)
    mode: Literal["http", "browser"] | None = Field(default=None, description="default: CRAWLER_MODE")
    kind: Literal["html", "pdf"] = Field(default="html", description="pdf: documents, over HTTP, bytes in body_base64")

    @field_validator("headers")
    @classmethod
    def _headers_sendable(cls, headers: dict[str, str]) -> dict[str, str]:
        for name, value in headers.items():
            check_header(name, value)
        return headers

    @field_validator("user_agent")
    @classmethod
    def _agent_sendable(cls, agent: str | None) -> str | None:
        if agent is not None:
            check_header("User-Agent", agent)
        return agent


class CrawlResult(BaseModel):
    url: str
    status_code: int | None
    html: str | None
    body_base64: str | None = None
    error: str | None
    error_kind: str | None = None
    warning: str | None = None
    response_headers: dict[str, str] = Field(default_factory=dict)


class CrawlResponse(BaseModel):
    success: bool
    results: list[CrawlResult]


def create_app(settings: CrawlerSettings | None = None) -> FastAPI:
    settings = settings or load_settings()
    logs.configure(secrets=logs.secret_values(settings))  # LOG_FORMAT / LOG_LEVEL; uvicorn's loggers too
    if settings.mode == "browser":
        find_chromium(settings.chromium_path)  # no browser: refuse to start, not fail every request
    # the service's transports: both take the answer's byte budget (the Transport protocol does not)
    transports: dict[tuple[str, str, str], BrowserTransport | HttpTransport] = {}
    guard = fetch_guard(settings)

    def require_token(authorization: str = Header(default="")) -> None:
        require_bearer(authorization, settings.token)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        yield
        for transport in transports.values():
            await transport.__aexit__(None, None, None)

    app = FastAPI(title="tileshop crawler", version="0.2.0", lifespan=lifespan)
    app.state.metrics = metrics = CrawlerMetrics()
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=MAX_REQUEST_BYTES)
    app.add_middleware(HeaderLimitMiddleware, max_headers=settings.max_headers, max_bytes=settings.max_header_bytes)

    async def transport_for(agent: str, mode: str, kind: str) -> BrowserTransport | HttpTransport:
        # One connection pool (or browser) per mode, kind and user agent (the caller's identity).
        if kind != "html":
            mode = "http"
        if (agent, mode, kind) not in transports:
            transport: BrowserTransport | HttpTransport
            if mode == "browser":
                transport = BrowserTransport(
                    user_agent=agent,
                    timeout_s=settings.timeout_s,
                    executable=settings.chromium_path,
                    max_body_bytes=settings.max_body_bytes,
                )
            else:
                transport = HttpTransport(
                    user_agent=agent,
                    max_connections=settings.concurrency,
                    timeout_s=settings.timeout_s,
                    max_body_bytes=settings.max_body_bytes,
                    guard=guard,
                    expected=BODY_KINDS[kind],
                )
            transports[agent, mode, kind] = await transport.__aenter__()
        return transports[agent, mode, kind]

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    @app.post("/crawl", response_model=CrawlResponse, dependencies=[Depends(require_token)])
    async def crawl(request: CrawlRequest) -> CrawlResponse:
        headers = {k: v for k, v in request.headers.items() if k.lower() in _FORWARDED_HEADERS}
        mode = request.mode or settings.mode
        try:
            transport = await transport_for(request.user_agent or settings.user_agent, mode, request.kind)
        except FileNotFoundError as exc:  # browser mode asked for where no Chromium is installed
            raise HTTPException(status_code=503, detail=str(exc)) from None
        semaphore = asyncio.Semaphore(settings.concurrency)
        budget = response_budget(settings)

        async def one(url: str) -> CrawlResult:
            refused = refusal(guard, url)  # before any transport (HttpTransport checks every hop again)
            if refused is not None:
                metrics.page(mode, None, "refused", None)
                return CrawlResult(url=url, status_code=None, html=None, error=refused, error_kind="refused")
            async with semaphore:
                started = time.perf_counter()
                raw = await transport.get(url, headers, budget=budget)
            metrics.page(mode, raw.status_code, raw.error_kind, time.perf_counter() - started)
            encoded = base64.b64encode(raw.body).decode("ascii") if raw.body is not None else None
            return CrawlResult(
                url=url,
                status_code=raw.status_code,
                html=raw.html,
                body_base64=encoded,
                error=raw.error,
                error_kind=raw.error_kind,
                warning=raw.warning,
                response_headers=raw.headers,
            )

        with metrics.crawls_in_flight.track_inprogress():
            results = await asyncio.gather(*(one(url) for url in request.urls))
        return CrawlResponse(success=all(r.error is None for r in results), results=list(results))

    return app
