"""The shopper-facing app and the operator API (FastAPI; OpenAPI at /docs).

Shoppers: `/` (chat page), `POST /api/chat`, `POST /api/chat/stream` (server-sent events),
`GET /api/products/search`, `GET /api/products/{sku}`. Operators: `/api/system/health`,
`/api/system/detailed-health`, `/metrics`, and the admin-token endpoints `/api/acquisition/*`.
Run it with `python -m rag_app` (`make serve`).
"""

from __future__ import annotations

import gc
import json
import logging
import time
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Literal

import psycopg
from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import FileResponse, JSONResponse, Response, StreamingResponse
from fastapi.staticfiles import StaticFiles
from pydantic import BaseModel, Field, model_validator

from rag_app import health as health_checks
from rag_app.admission import AdmissionGate, Overloaded
from rag_app.chat import ChatService
from rag_app.claude import ClaudeAnswerer
from rag_app.config import Settings, load_settings
from rag_app.connections import ConnectionPool
from rag_app.dagster_jobs import DagsterError, DagsterJobs
from rag_app.filters import PRICE_BASES, PRICE_UNITS, ProductFilters
from rag_app.metrics import AppMetrics, MetricsMiddleware
from rag_app.product_queries import products_by_sku
from rag_app.query_embedding import QueryEmbedder
from rag_app.security import BodySizeLimitMiddleware, RateLimiter, RateLimitMiddleware, admin_guard
from tileshop_pipelines.store import db
from tileshop_pipelines.store.db import DatabaseConfigError
from tileshop_pipelines.store.migrations import migrate
from tileshop_pipelines.store.products import history_for_sku

MAX_QUERY_CHARS = 2000
MAX_HISTORY_MESSAGES = 50
MAX_MESSAGE_CHARS = 8000
MAX_FILTER_CHARS = 100
STATIC_DIR = Path(__file__).with_name("static")

log = logging.getLogger("rag_app")

PriceBasis = Literal[PRICE_BASES]  # type: ignore[valid-type]
PriceUnit = Literal[PRICE_UNITS]  # type: ignore[valid-type]


# --- request and response shapes ------------------------------------------------------------
class FiltersIn(BaseModel):
    min_price: float | None = Field(default=None, ge=0, le=1_000_000)
    max_price: float | None = Field(default=None, ge=0, le=1_000_000)
    price_basis: PriceBasis = Field(default="unit", description="box | sqft | unit (the selling unit's price)")
    price_unit: PriceUnit | None = None
    color: str | None = Field(default=None, min_length=1, max_length=MAX_FILTER_CHARS)
    finish: str | None = Field(default=None, min_length=1, max_length=MAX_FILTER_CHARS)
    material: str | None = Field(default=None, min_length=1, max_length=MAX_FILTER_CHARS)
    application: str | None = Field(default=None, min_length=1, max_length=MAX_FILTER_CHARS)
    size: str | None = Field(default=None, min_length=1, max_length=MAX_FILTER_CHARS)

    @model_validator(mode="after")
    def _price_range(self):
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price ({self.min_price}) exceeds max_price ({self.max_price})")
        return self

    def to_filters(self) -> ProductFilters:
        return ProductFilters(**self.model_dump())


class Message(BaseModel):
    role: Literal["user", "assistant"]
    content: str = Field(min_length=1, max_length=MAX_MESSAGE_CHARS)


class ChatRequest(BaseModel):
    query: str = Field(min_length=1, max_length=MAX_QUERY_CHARS)
    conversation_history: list[Message] = Field(default_factory=list, max_length=MAX_HISTORY_MESSAGES)
    filters: FiltersIn | None = None

    @model_validator(mode="after")
    def _not_blank(self):
        if not self.query.strip():
            raise ValueError("query is blank")
        return self


class ProductCard(BaseModel):
    sku: str | None
    name: str | None
    url: str | None
    price: float | None
    price_unit: str | None
    image: str | None
    score: float


class Citation(BaseModel):
    sku: str | None
    url: str
    title: str | None
    cited_text: str


class ChatResponse(BaseModel):
    answer: str
    mode: Literal["claude", "offline"]
    products: list[ProductCard]
    citations: list[Citation]
    filters: dict
    filters_relaxed: bool
    latency_ms: float


class SearchResponse(BaseModel):
    query: str | None
    filters: dict
    products: list[ProductCard]
    latency_ms: float


class ProductDetail(BaseModel):
    product_key: str
    sku: str | None
    name: str | None
    url: str
    price: float | None
    price_unit: str | None
    image: str | None
    record: dict
    history: list[dict] = Field(description="every stored version of the record (price/spec changes), oldest "
                                            "first, each with its validity interval valid_from/valid_to")


class ProductResponse(BaseModel):
    sku: str
    products: list[ProductDetail] = Field(description="a SKU can sit on more than one URL")


class ComponentHealth(BaseModel):
    healthy: bool
    latency_ms: float
    message: str


class DetailedHealth(BaseModel):
    status: Literal["healthy", "degraded"]
    components: dict[str, ComponentHealth]


class RunInfo(BaseModel):
    run_id: str
    job: str
    status: str
    start_time: float | None = None
    end_time: float | None = None


class LaunchResponse(BaseModel):
    run_id: str
    status: str
    job: str
    location: str


class AcquisitionStatus(BaseModel):
    job: str
    runs: list[RunInfo]


def _sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


# --- the app --------------------------------------------------------------------------------
def create_app(settings: Settings | None = None, database_url: str | None = None) -> FastAPI:
    settings = settings or load_settings()
    db.configure_environment()
    url = database_url or db.database_url()
    metrics = AppMetrics()
    pool = ConnectionPool(url, settings.db_pool_size)
    embedder = QueryEmbedder(settings.embedding_model, settings.embedding_cache_size, settings.embedding_threads,
                             settings.embedding_gather_ms, settings.embedding_backend)
    answerer = (ClaudeAnswerer(settings.anthropic_api_key, settings.claude_model,
                               base_url=settings.anthropic_base_url, timeout_s=settings.claude_timeout_s,
                               max_retries=settings.claude_max_retries, max_tokens=settings.claude_max_tokens)
                if settings.claude_enabled else None)
    chat = ChatService(pool, embedder, answerer, metrics, AdmissionGate(settings.max_in_flight_searches),
                       settings.products_per_answer)
    jobs = DagsterJobs(settings.dagster_graphql_url, settings.acquisition_job)
    require_admin = admin_guard(settings.admin_token)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        embedder.start()
        try:  # the tables exist (empty until the pipeline runs) even on a fresh database
            await pool.run(migrate)
        except (psycopg.Error, DatabaseConfigError) as exc:
            log.error("database unavailable at startup (%s); /api/system/detailed-health will say so",
                      type(exc).__name__)
        log.info("rag_app ready: %s answers", f"Claude ({settings.claude_model})" if answerer else "offline")
        # The model's objects (millions, alive for the process's life) leave the collector's view:
        # full collections over them paused the process for 180-510 ms each while it started.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            embedder.stop()
            if answerer is not None:
                await answerer.close()
            pool.close()

    app = FastAPI(title="Tile Shop product assistant", version="0.2.0", lifespan=lifespan,
                  description="Shopper chat over the Tile Shop catalog and the operators' API.")
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.embedder = embedder
    app.state.chat = chat

    if settings.cors_origins:
        app.add_middleware(CORSMiddleware, allow_origins=list(settings.cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["Content-Type", "Authorization"])
    app.add_middleware(RateLimitMiddleware,
                       limiter=RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst),
                       on_limited=metrics.rate_limited.inc)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(MetricsMiddleware, metrics=metrics)

    @app.exception_handler(psycopg.Error)
    @app.exception_handler(DatabaseConfigError)
    async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        log.error("database error on %s: %s", request.url.path, type(exc).__name__)
        return JSONResponse(status_code=503, content={"detail": "the product database is unavailable"})

    @app.exception_handler(Overloaded)
    async def overloaded(request: Request, exc: Overloaded) -> JSONResponse:
        metrics.shed.inc()
        return JSONResponse(status_code=503, headers={"Retry-After": str(exc.retry_after_s)},
                            content={"detail": f"the assistant is at capacity; retry after {exc.retry_after_s} s"})

    # --- shoppers ---------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    async def chat_page() -> FileResponse:
        return FileResponse(STATIC_DIR / "index.html")

    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")

    at_capacity = {503: {"description": "the product database is unavailable, or the app is at capacity "
                                        "(with Retry-After)"}}

    @app.post("/api/chat", response_model=ChatResponse, tags=["shoppers"], responses=at_capacity)
    async def chat_turn(request: ChatRequest) -> dict:
        """Answer a question from the catalog: Claude when configured and reachable, else offline."""
        return await chat.answer(request.query, [m.model_dump() for m in request.conversation_history],
                                 request.filters.to_filters() if request.filters else None)

    @app.post("/api/chat/stream", tags=["shoppers"], response_class=StreamingResponse,
              responses={200: {"content": {"text/event-stream": {}},
                               "description": "events: delta {text}*, reset {reason}?, then products {the "
                                              "/api/chat response}"}, **at_capacity})
    async def chat_stream(request: ChatRequest) -> StreamingResponse:
        """The same answer as /api/chat, as server-sent events: text deltas, then the products.

        Retrieval runs before the stream opens, so a database outage or a full app is a plain 503."""
        started = time.perf_counter()
        history = [m.model_dump() for m in request.conversation_history]
        found = await chat.retrieve_for_turn(request.query, history,
                                             request.filters.to_filters() if request.filters else None)

        async def events():
            async for kind, data in chat.answer_events(request.query, history, found, started):
                yield _sse("products" if kind == "result" else kind, data)

        return StreamingResponse(events(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.get("/api/products/search", response_model=SearchResponse, tags=["shoppers"], responses=at_capacity)
    async def search(
        q: str | None = Query(default=None, max_length=MAX_QUERY_CHARS, description="free text, SKUs too"),
        limit: int = Query(default=10, ge=1, le=50),
        min_price: float | None = Query(default=None, ge=0, le=1_000_000),
        max_price: float | None = Query(default=None, ge=0, le=1_000_000),
        price_basis: PriceBasis = Query(default="unit"),
        price_unit: PriceUnit | None = None,
        color: str | None = Query(default=None, min_length=1, max_length=MAX_FILTER_CHARS),
        finish: str | None = Query(default=None, min_length=1, max_length=MAX_FILTER_CHARS),
        material: str | None = Query(default=None, min_length=1, max_length=MAX_FILTER_CHARS),
        application: str | None = Query(default=None, min_length=1, max_length=MAX_FILTER_CHARS),
        size: str | None = Query(default=None, min_length=1, max_length=MAX_FILTER_CHARS),
    ) -> dict:
        """Products by text and filters; without `q`, the products matching the filters, cheapest first."""
        started = time.perf_counter()
        try:
            filters = ProductFilters(min_price=min_price, max_price=max_price, price_basis=price_basis,
                                     price_unit=price_unit, color=color, finish=finish, material=material,
                                     application=application, size=size)
        except ValueError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        query = q.strip() if q else ""
        if query:
            found = await chat.retrieve(query, filters, limit)
            cards, applied = [hit.card() for hit in found.hits], found.filters
        else:
            if not filters:
                raise HTTPException(status_code=422, detail="give a query (q) or at least one filter")
            cards, applied = [hit.card() for hit in await chat.browse(filters, limit)], filters
        return {"query": query or None, "filters": applied.active(), "products": cards,
                "latency_ms": round((time.perf_counter() - started) * 1000, 1)}

    @app.get("/api/products/{sku}", response_model=ProductResponse, tags=["shoppers"],
             responses={404: {"description": "no product has this SKU"}})
    async def product(sku: str) -> dict:
        """A product by SKU (every URL it sits on), with its price/spec history."""
        if not 1 <= len(sku) <= 40:
            raise HTTPException(status_code=422, detail="sku must be 1 to 40 characters")

        def load(conn) -> list[dict]:
            rows = products_by_sku(conn, [sku])
            versions = history_for_sku(conn, sku) if rows else []
            for row in rows:
                row["history"] = [v for v in versions if v["product_key"] == row["product_key"]]
            return rows

        rows = await pool.run(load)
        if not rows:
            raise HTTPException(status_code=404, detail=f"no product with SKU {sku!r}")
        return {"sku": sku, "products": [
            {**{k: row[k] for k in ("product_key", "sku", "name", "url", "price", "price_unit", "record", "history")},
             "image": (row["record"].get("images") or [None])[0]} for row in rows]}

    # --- operators --------------------------------------------------------------------------
    @app.get("/api/system/health", tags=["operators"])
    async def liveness() -> dict:
        """Liveness: the process answers. No dependency is checked."""
        return {"status": "ok"}

    @app.get("/api/system/detailed-health", response_model=DetailedHealth, tags=["operators"],
             responses={503: {"model": DetailedHealth, "description": "one or more components unhealthy"}})
    async def detailed_health() -> JSONResponse:
        """Each dependency healthy or not, with latency and a message; 200 when all are healthy, else 503."""
        report = await health_checks.detailed_health({
            "database": health_checks.database_check(pool),
            "vector_db": health_checks.vector_db_check(pool),
            "crawler": health_checks.crawler_check(settings.crawler_url),
            "ai_services": health_checks.ai_services_check(embedder, answerer),
            "storage": health_checks.storage_check(),
            "dagster": health_checks.dagster_check(jobs),
        })
        return JSONResponse(status_code=200 if report["status"] == "healthy" else 503, content=report)

    @app.get("/metrics", tags=["operators"], response_class=Response,
             responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}})
    async def prometheus_metrics() -> Response:
        return Response(metrics.render(), media_type=metrics.content_type)

    @app.post("/api/acquisition/start", response_model=LaunchResponse, status_code=202, tags=["admin"],
              dependencies=[Depends(require_admin)],
              responses={401: {"description": "missing or wrong admin token"},
                         403: {"description": "admin endpoints disabled"},
                         502: {"description": "Dagster refused or is unreachable"}})
    async def start_acquisition() -> dict:
        """Launch the acquisition job in Dagster (through its GraphQL API)."""
        try:
            return await jobs.launch()
        except DagsterError as exc:
            raise HTTPException(status_code=502, detail=str(exc)) from None

    @app.get("/api/acquisition/status", response_model=AcquisitionStatus, tags=["admin"],
             dependencies=[Depends(require_admin)],
             responses={401: {"description": "missing or wrong admin token"},
                        403: {"description": "admin endpoints disabled"},
                        502: {"description": "Dagster refused or is unreachable"}})
    async def acquisition_status(run_id: str | None = Query(default=None, min_length=1, max_length=64,
                                                            pattern=r"^[0-9a-fA-F-]+$"),
                                 limit: int = Query(default=5, ge=1, le=50)) -> dict:
        """The latest runs of the acquisition job, or one run by id."""
        try:
            return {"job": jobs.job_name, "runs": await jobs.runs(run_id, limit)}
        except DagsterError as exc:
            raise HTTPException(status_code=502, detail=str(exc)) from None

    return app
