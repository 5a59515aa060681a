"""Shoppers' product search and product pages."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Query

from rag_app.api.deps import ChatDep, DatabaseDep
from rag_app.schemas import AT_CAPACITY, MAX_QUERY_CHARS, FiltersIn, ProductResponse, SearchResponse, Text
from tileshop_pipelines.store.product_lookup import products_by_sku
from tileshop_pipelines.store.products import history_for_sku

router = APIRouter(prefix="/api/products", tags=["shoppers"])


@router.get("/search", response_model=SearchResponse, responses=AT_CAPACITY)
async def search(
    chat: ChatDep,
    q: Annotated[Text | None, Query(max_length=MAX_QUERY_CHARS, description="free text, SKUs too")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
    *,
    filters: Annotated[FiltersIn, Query()],
) -> dict:
    """Products by text and filters; without `q`, the products matching the filters, cheapest first."""
    started = time.perf_counter()
    wanted = filters.to_filters()
    query = q.strip() if q else ""
    if query:
        found = await chat.retrieve(query, wanted, limit)
        cards, applied = [hit.card() for hit in found.hits], found.filters
    else:
        if not wanted:
            raise HTTPException(status_code=422, detail="give a query (q) or at least one filter")
        cards, applied = [hit.card() for hit in await chat.browse(wanted, limit)], wanted
    return {
        "query": query or None,
        "filters": applied.active(),
        "products": cards,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
    }


@router.get("/{sku}", response_model=ProductResponse, responses={404: {"description": "no product has this SKU"}})
async def product(sku: Annotated[Text, Path()], database: DatabaseDep) -> dict:
    """A product by SKU (every URL it sits on), with its price/spec history."""
    if not 1 <= len(sku) <= 40:
        raise HTTPException(status_code=422, detail="sku must be 1 to 40 characters")

    def load(conn) -> list[dict]:
        rows = products_by_sku(conn, [sku])
        versions = history_for_sku(conn, sku) if rows else []
        for row in rows:
            row["history"] = [v for v in versions if v["product_key"] == row["product_key"]]
        return rows

    rows = await database.run(load)
    if not rows:
        raise HTTPException(status_code=404, detail=f"no product with SKU {sku!r}")
    return {
        "sku": sku,
        "products": [
            {
                **{
                    k: row[k] for k in ("product_key", "sku", "name", "url", "price", "price_unit", "record", "history")
                },
                "image": (row["record"].get("images") or [None])[0],
            }
            for row in rows
        ],
    }
