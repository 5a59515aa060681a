"""Operators: liveness (public, up or down only), the detailed health of every dependency (admin
token: it names paths, versions and internal URLs). Prometheus' /metrics is not a route of the app:
`python -m rag_app` serves it on METRICS_PORT (serving.metrics_server), which Fly scrapes and no
public service exposes."""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from rag_app import health
from rag_app.api.deps import AnswererDep, DatabaseDep, EmbedderDep, JobsDep, SettingsDep, require_admin
from rag_app.schemas import DetailedHealth

router = APIRouter(tags=["operators"])


@router.get("/api/system/health")
async def liveness() -> dict:
    """Liveness: the process answers. No dependency is checked."""
    return {"status": "ok"}


@router.get(
    "/api/system/detailed-health",
    response_model=DetailedHealth,
    dependencies=[Depends(require_admin)],
    responses={
        401: {"description": "missing or wrong admin token"},
        403: {"description": "admin endpoints disabled"},
        503: {"model": DetailedHealth, "description": "one or more components unhealthy"},
    },
)
async def detailed_health(
    settings: SettingsDep, database: DatabaseDep, embedder: EmbedderDep, answerer: AnswererDep, jobs: JobsDep
) -> JSONResponse:
    """Each dependency healthy or not, with latency and a message; 200 when all are healthy, else 503.
    Admin bearer token."""
    report = await health.detailed_health(
        {
            "database": health.database_check(database),
            "vector_db": health.vector_db_check(database),
            "crawler": health.crawler_check(settings.crawler_url),
            "ai_services": health.ai_services_check(embedder, answerer),
            "storage": health.storage_check(),
            "dagster": health.dagster_check(jobs),
        }
    )
    return JSONResponse(status_code=200 if report["status"] == "healthy" else 503, content=report)
