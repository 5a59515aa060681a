"""Operators' monitoring: the page (`/admin/monitoring`) and its data (`/api/admin/monitoring`, admin token).

The page is a static shell holding no data: a browser cannot attach a bearer token to a page
load, so the page asks for the token, keeps it in the tab's sessionStorage and sends it with
each request for the data, which is what the token guards.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse

from rag_app import monitoring
from rag_app.api.deps import DatabaseDep, SettingsDep, require_admin
from rag_app.api.routes.chat import STATIC_DIR

router = APIRouter(tags=["admin"])


@router.get("/admin/monitoring", include_in_schema=False)
async def monitoring_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "monitoring.html")


@router.get(
    "/api/admin/monitoring",
    dependencies=[Depends(require_admin)],
    responses={401: {"description": "missing or wrong admin token"}, 403: {"description": "admin endpoints disabled"}},
)
async def monitoring_data(database: DatabaseDep, settings: SettingsDep) -> dict:
    """Database connections, crawl queue, scraping success, per-route errors and latency (1 h, 24 h),
    answers by mode, active users, freshness, failed Dagster runs, the five post-migration checks,
    chart series and the search analytics' question lists. From Postgres: every machine agrees."""
    max_age = dt.timedelta(days=settings.max_age_days)
    return await database.run(
        lambda conn: monitoring.report(conn, crawl_max_age=max_age, dagster_ui_url=settings.dagster_ui_url)
    )
