"""The shopper-facing app and the operator API (FastAPI; OpenAPI at /docs).

Shoppers: `/` (chat page), `POST /api/chat`, `POST /api/chat/stream` (server-sent events),
`GET /api/products/search`, `GET /api/products/{sku}`. The catalog team: `GET /api/catalog/changes`.
Operators: `/api/system/health`, `/api/system/detailed-health`, the monitoring page
`/admin/monitoring` and the admin-token endpoints `/api/acquisition/*` and `/api/admin/monitoring`.
The catalog team: the pages `/admin/catalog` and `/admin/catalog/product`, and (admin token)
`/api/admin/catalog/*` (products, a product, the export) and `POST /api/admin/recrawl`.
Prometheus' /metrics is on a port of its own (METRICS_PORT: `python -m rag_app` serves it), never here.
The routes are in api/routes/, one module per area. Run it with `python -m rag_app` (`make serve`),
which migrates the database first. Creating the app connects to nothing; its lifespan starts the
services (the connection pool, the query embedder) and never migrates.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles

from rag_app import shared_state
from rag_app.admission import AdmissionGate, Overloaded
from rag_app.api.routes import admin, catalog, chat, monitoring, products, system, workspace
from rag_app.chat import ChatService
from rag_app.claude import ClaudeAnswerer
from rag_app.config import Settings, load_settings
from rag_app.database import Database
from rag_app.metrics import AppMetrics, MetricsMiddleware
from rag_app.monitoring import MonitoringRecorder
from rag_app.query_embedding import QueryEmbedder
from rag_app.request_ids import RequestIdMiddleware
from rag_app.security import RateLimiter, RateLimitMiddleware, SecurityHeadersMiddleware
from rag_app.shared_state import RedisEmbeddingCache, RedisRateLimiter
from tileshop_pipelines.acquisition.dagster_graphql import DagsterJobs
from tileshop_pipelines.serving.http import BodySizeLimitMiddleware, HeaderLimitMiddleware
from tileshop_pipelines.store import db
from tileshop_pipelines.store.db import DatabaseConfigError

log = logging.getLogger("rag_app")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """The services the routes use (api/deps.py), on app.state for the app's life."""
    state = app.state
    settings: Settings = state.settings
    url = state.database_url or db.database_url()
    state.database = Database(url, settings.db_pool_size)
    state.embedder = QueryEmbedder(
        settings.embedding_model,
        settings.query_cache_size,
        settings.query_embed_threads,
        settings.query_embed_gather_ms,
        settings.query_embed_backend,
        on_batch=state.metrics.embedding_batch_size.observe,
        shared_cache=state.redis
        and RedisEmbeddingCache(
            state.redis, settings.embedding_model, settings.query_cache_shared_ttl_s, state.metrics.redis_fallback
        ),
        on_lookup=lambda source: state.metrics.embedding_lookups.labels(source).inc(),
    )
    state.answerer = (
        ClaudeAnswerer(
            settings.anthropic_api_key.get_secret_value(),
            settings.claude_model,
            base_url=settings.anthropic_base_url,
            timeout_s=settings.claude_timeout_s,
            max_retries=settings.claude_max_retries,
            max_tokens=settings.claude_max_tokens,
        )
        if settings.claude_enabled and settings.anthropic_api_key is not None
        else None
    )
    state.jobs = DagsterJobs(settings.dagster_graphql_url, settings.acquisition_job)
    gate = AdmissionGate(settings.max_in_flight_searches)
    state.chat = ChatService(
        state.database,
        state.embedder,
        state.answerer,
        state.metrics,
        gate,
        settings.products_per_answer,
        state.recorder,
        claude_deadline_s=settings.claude_deadline_s,
        claude_max_concurrent=settings.claude_max_concurrent,
    )
    state.metrics.watch(state.database.pool.get_stats, lambda: gate.in_flight, gate.limit)
    state.database.open()
    try:
        if state.redis is not None:
            await shared_state.check_memory_settings(state.redis)
        state.embedder.start()
        if state.recorder is not None:
            state.recorder.start(url)
        warm_s = await state.chat.warm_up(settings.db_pool_size)
        log.info(
            "rag_app ready: %s answers (warmed up in %.2f s)",
            f"Claude ({settings.claude_model})" if state.answerer else "offline",
            warm_s,
        )
        # The model's objects (millions, alive for the process's life) leave the collector's view:
        # full collections over them paused the process for 180-510 ms each while it started.
        gc.collect()
        gc.freeze()
        yield
    finally:
        if state.recorder is not None:
            state.recorder.stop()
        state.embedder.stop()
        if state.redis is not None:
            await state.redis.aclose()
        if state.answerer is not None:
            await state.answerer.close()
        state.database.close()


async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database error on %s: %s", request.url.path, type(exc).__name__)
    return JSONResponse(status_code=503, content={"detail": "the product database is unavailable"})


async def overloaded(request: Request, exc: Overloaded) -> JSONResponse:
    request.app.state.metrics.shed.inc()
    return JSONResponse(
        status_code=503,
        headers={"Retry-After": str(exc.retry_after_s)},
        content={"detail": f"the assistant is at capacity; retry after {exc.retry_after_s} s"},
    )


def _encodable(value):
    """`value` with each string's lone surrogates written as \\udXXX escapes."""
    if isinstance(value, str):
        return value.encode("utf-8", "backslashreplace").decode("utf-8")
    if isinstance(value, dict):
        return {k: _encodable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_encodable(v) for v in value]
    return value


async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
    """FastAPI's 422 (each error names its field), its echoed input made encodable: a lone surrogate
    escape in a JSON body ("\\ud800"), echoed back, failed the response's encoding: a 500 and a
    reset connection."""
    return JSONResponse(status_code=422, content={"detail": _encodable(jsonable_encoder(exc.errors()))})


def create_app(settings: Settings | None = None, database_url: str | None = None) -> FastAPI:
    """The app; its services start with its lifespan. `database_url` None: store.db.database_url()."""
    settings = settings or load_settings()
    metrics = AppMetrics()
    recorder = MonitoringRecorder.for_settings(settings) if settings.analytics else None
    redis = shared_state.connect(settings.redis_url, settings.redis_max_connections) if settings.redis_url else None
    app = FastAPI(
        title="Tile Shop product assistant",
        version="0.2.0",
        lifespan=lifespan,
        description="Shopper chat over the Tile Shop catalog and the operators' API.",
    )
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.database_url = database_url
    app.state.recorder = recorder
    app.state.redis = redis

    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type", "Authorization"],
        )
    behind_fly_proxy = settings.fly_app_name is not None
    limiter = (
        RedisRateLimiter(redis, settings.rate_limit_per_minute, settings.rate_limit_burst, metrics.redis_fallback)
        if redis
        else RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    )
    app.add_middleware(
        RateLimitMiddleware, limiter=limiter, on_limited=metrics.rate_limited.inc, behind_fly_proxy=behind_fly_proxy
    )
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics, recorder=recorder, behind_fly_proxy=behind_fly_proxy)
    app.add_middleware(HeaderLimitMiddleware, max_headers=settings.max_headers, max_bytes=settings.max_header_bytes)
    app.add_middleware(SecurityHeadersMiddleware)  # on every answer, 429 and 431 too
    app.add_middleware(RequestIdMiddleware)  # outermost: every answer and log line carries the request id
    # (Starlette types a handler as taking any Exception; each here takes the class it is registered for)
    app.add_exception_handler(RequestValidationError, invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(psycopg.Error, database_unavailable)
    app.add_exception_handler(DatabaseConfigError, database_unavailable)
    app.add_exception_handler(Overloaded, overloaded)  # type: ignore[arg-type]

    app.include_router(chat.router)
    app.mount("/static", StaticFiles(directory=chat.STATIC_DIR), name="static")
    app.include_router(products.router)
    app.include_router(system.router)
    app.include_router(admin.router)
    app.include_router(catalog.router)
    app.include_router(monitoring.router)
    app.include_router(workspace.pages)
    app.include_router(workspace.router)
    return app
