"""The catalog team's view: what the refreshes changed (store.changes, catalog.changes)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Query

from rag_app.api.deps import DatabaseDep
from rag_app.schemas import CatalogChangesResponse
from tileshop_pipelines.catalog.changes import as_json
from tileshop_pipelines.store import changes as changes_sql

router = APIRouter(prefix="/api/catalog", tags=["catalog"])


@router.get("/changes", response_model=CatalogChangesResponse)
async def catalog_changes(
    database: DatabaseDep,
    since: Annotated[
        dt.datetime | None,
        Query(description="a date or ISO 8601 time (no zone: UTC); default: the latest refresh cycle"),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> dict:
    """Products added, delisted and returned; price changes (old -> new, with unit); specification
    changes. Oldest first."""
    if since is not None and since.tzinfo is None:
        since = since.replace(tzinfo=dt.UTC)

    def load(conn) -> dict:
        refresh_id = None if since else changes_sql.latest_refresh_id(conn)
        return {
            "since": since,
            "refresh_id": refresh_id,
            "counts": changes_sql.count_changes(conn, since=since, refresh_id=refresh_id),
            "changes": [
                as_json(c) for c in changes_sql.list_changes(conn, since=since, refresh_id=refresh_id, limit=limit)
            ],
        }

    return await database.run(load)
