"""The detailed health check: each dependency healthy or not, with its latency and a message."""

from __future__ import annotations

import asyncio
import importlib.util
import shutil
import tempfile
import time
from collections.abc import Awaitable, Callable

import httpx

from tileshop_pipelines import bootstrap
from tileshop_pipelines.store import db
from tileshop_pipelines.store.status import server_version, vector_index_status

CHECK_TIMEOUT_S = 5.0
MIN_FREE_BYTES = 200 * 1024 * 1024


class Unhealthy(Exception):
    pass


async def _timed(check: Callable[[], Awaitable[str]]) -> dict:
    started = time.perf_counter()
    try:
        message = await asyncio.wait_for(check(), CHECK_TIMEOUT_S)
        healthy = True
    except TimeoutError:
        healthy, message = False, f"no answer within {CHECK_TIMEOUT_S:.0f} s"
    except Exception as exc:  # a failing dependency is a report, never an error page
        healthy, message = False, str(exc) or type(exc).__name__
    # Messages quote URLs (the crawl service's, Dagster's) and errors that may hold the database's.
    return {
        "healthy": healthy,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        "message": db.redacted(message),
    }


def database_check(database) -> Callable[[], Awaitable[str]]:
    async def check() -> str:
        version = await database.run(server_version)
        return f"PostgreSQL {version}; {database.describe_pool()}"

    return check


def vector_db_check(database) -> Callable[[], Awaitable[str]]:
    def probe(conn) -> str:
        status = vector_index_status(conn)
        if status is None:
            raise Unhealthy("the product_vectors table does not exist: materialize the pipeline first")
        if not status.hnsw_indexes:
            raise Unhealthy("product_vectors has no HNSW index")
        if status.vectors == 0:
            raise Unhealthy("product_vectors is empty: materialize the pipeline first")
        return f"{status.vectors} vectors, HNSW index, pgvector {status.pgvector_version}"

    async def check() -> str:
        return await database.run(probe)

    return check


def crawler_check(crawler_url: str | None) -> Callable[[], Awaitable[str]]:
    async def check() -> str:
        if crawler_url is None:
            if importlib.util.find_spec("crawl4ai") is None:
                raise Unhealthy("crawl4ai is not installed and CRAWLER_URL is not set")
            return "no crawl service configured (CRAWLER_URL): the pipeline crawls in-process with crawl4ai"
        async with httpx.AsyncClient(timeout=CHECK_TIMEOUT_S) as client:
            response = await client.get(f"{crawler_url}/health")
        if response.status_code != 200:
            raise Unhealthy(f"crawl service {crawler_url} answered HTTP {response.status_code}")
        return f"crawl service {crawler_url} is up"

    return check


def ai_services_check(embedder, answerer) -> Callable[[], Awaitable[str]]:
    async def check() -> str:
        if not embedder.running:
            raise Unhealthy("the query embedding model is not loaded")
        parts = [f"embedding model {embedder.model_name} loaded"]
        if answerer is None:
            parts.append("Claude disabled (ANTHROPIC_API_KEY not set): offline answers")
        else:
            try:
                await answerer.models_reachable()
            except Exception as exc:
                raise Unhealthy(
                    f"{parts[0]}; Claude API unreachable ({type(exc).__name__}): answers fall back to offline mode"
                ) from None
            parts.append(f"Claude API reachable, model {answerer.model}")
        return "; ".join(parts)

    return check


def storage_check() -> Callable[[], Awaitable[str]]:
    def probe() -> str:
        home = bootstrap.tileshop_home()
        with tempfile.NamedTemporaryFile(dir=home, prefix=".health-") as f:
            f.write(b"ok")
        free = shutil.disk_usage(home).free
        if free < MIN_FREE_BYTES:
            raise Unhealthy(f"{home}: only {free // 2**20} MB free")
        return f"{home} writable, {free // 2**20} MB free"

    async def check() -> str:
        return await asyncio.to_thread(probe)

    return check


def dagster_check(jobs) -> Callable[[], Awaitable[str]]:
    async def check() -> str:
        return f"Dagster {await jobs.version()} at {jobs.shown_url}"

    return check


async def detailed_health(checks: dict[str, Callable[[], Awaitable[str]]]) -> dict:
    names = list(checks)
    results = await asyncio.gather(*(_timed(checks[name]) for name in names))
    components = dict(zip(names, results, strict=True))
    healthy = all(c["healthy"] for c in components.values())
    return {"status": "healthy" if healthy else "degraded", "components": components}
