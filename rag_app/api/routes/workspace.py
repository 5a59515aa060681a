"""The catalog team's workspace (admin token): the product list and product pages
(`/admin/catalog`, `/admin/catalog/product?key=`) and their data (`/api/admin/catalog/...`), the
export (`GET /api/admin/catalog/export`) and re-crawl on demand (`POST /api/admin/recrawl`).

The pages are static shells holding no data, as the monitoring page is: the page asks for the
token, keeps it in the tab's sessionStorage and sends it with each request for the data.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, Any, Literal
from urllib.parse import quote

import psycopg
from fastapi import APIRouter, Depends, HTTPException, Query
from fastapi.responses import FileResponse, StreamingResponse
from pydantic import BaseModel, Field

from rag_app.api.deps import DatabaseDep, JobsDep, SettingsDep, require_admin
from rag_app.api.routes.chat import STATIC_DIR
from rag_app.schemas import Text
from tileshop_pipelines.acquisition import recrawl
from tileshop_pipelines.acquisition.dagster_graphql import DagsterError
from tileshop_pipelines.catalog import export as catalog_export
from tileshop_pipelines.catalog.changes import version_changes
from tileshop_pipelines.store import catalog_admin, db

ADMIN_ONLY: dict[int | str, dict[str, Any]] = {
    401: {"description": "missing or wrong admin token"},
    403: {"description": "admin endpoints disabled"},
}
MAX_PER_PAGE = 200
SortColumn = Literal[tuple(catalog_admin.SORT_COLUMNS)]  # type: ignore[valid-type]  # a closed set
CrawlState = Literal[catalog_admin.CRAWL_STATES]  # type: ignore[valid-type]
ExportFormat = Literal[catalog_export.FORMATS]  # type: ignore[valid-type]

pages = APIRouter(tags=["admin"])
router = APIRouter(tags=["admin"], dependencies=[Depends(require_admin)], responses=ADMIN_ONLY)


@pages.get("/admin/catalog", include_in_schema=False)
async def catalog_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "catalog.html")


@pages.get("/admin/catalog/product", include_in_schema=False)
async def product_page() -> FileResponse:
    return FileResponse(STATIC_DIR / "catalog_product.html")


def _partition_url(dagster_ui_url: str, product_key: str) -> str:
    """The product's partition of `products` in the Dagster UI (asset page, partition selected)."""
    return f"{dagster_ui_url}/assets/products?view=partitions&partition={quote(product_key, safe='')}"


@router.get("/api/admin/catalog/products")
async def catalog_products(
    database: DatabaseDep,
    q: Annotated[
        Text | None, Query(min_length=1, max_length=200, description="name, SKU or product key contains")
    ] = None,
    category: Annotated[Text | None, Query(min_length=1, max_length=100)] = None,
    material: Annotated[Text | None, Query(min_length=1, max_length=100)] = None,
    color: Annotated[Text | None, Query(min_length=1, max_length=100)] = None,
    price_min: Annotated[float | None, Query(ge=0, le=1e9)] = None,
    price_max: Annotated[float | None, Query(ge=0, le=1e9)] = None,
    state: CrawlState | None = None,
    suspect: bool | None = None,
    gone: bool | None = None,
    sort: SortColumn = "product_key",  # type: ignore[valid-type]  # (as SortColumn's own)
    order: Literal["asc", "desc"] = "asc",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=MAX_PER_PAGE)] = 50,
) -> dict:
    """The products matching the search and filters, one page of them in `sort` order."""
    if price_min is not None and price_max is not None and price_min > price_max:
        raise HTTPException(status_code=422, detail=f"price_min {price_min} is above price_max {price_max}")
    query = catalog_admin.ProductQuery(
        q=q,
        category=category,
        material=material,
        color=color,
        price_min=price_min,
        price_max=price_max,
        state=state,
        suspect=suspect,
        gone=gone,
    )
    total, rows = await database.run(
        lambda conn: catalog_admin.list_products(
            conn, query, sort=sort, descending=order == "desc", offset=(page - 1) * per_page, limit=per_page
        )
    )
    pages_count = max(1, math.ceil(total / per_page))
    if page > pages_count:
        raise HTTPException(
            status_code=404,
            detail=f"page {page} is past the end: {total} products make {pages_count} page(s) of {per_page}",
        )
    return {
        "total": total,
        "page": page,
        "per_page": per_page,
        "pages": pages_count,
        "sort": sort,
        "order": order,
        "products": rows,
    }


@router.get("/api/admin/catalog/facets")
async def catalog_facets(database: DatabaseDep) -> dict:
    """The filters' choices: categories and materials as the records write them, the crawl states,
    the sortable columns."""
    found = await database.run(catalog_admin.facets)
    return {**found, "states": list(catalog_admin.CRAWL_STATES), "sort_columns": list(catalog_admin.SORT_COLUMNS)}


@router.get("/api/admin/catalog/product", responses={404: {"description": "no product has this key"}})
async def catalog_product(
    database: DatabaseDep, settings: SettingsDep, key: Annotated[Text, Query(min_length=1, max_length=400)]
) -> dict:
    """One product: the current record, every version with what changed from the one before, the
    price over time, the crawl state, a held suspect version, its sitemap URLs, its Dagster links."""
    product = await database.run(lambda conn: catalog_admin.product_detail(conn, key))
    if product is None:
        raise HTTPException(status_code=404, detail=f"no product with key {key!r}")
    previous = None
    for version in product["versions"]:
        version["changes"] = version_changes(previous["record"] if previous else None, version["record"])
        previous = version
    ui = settings.dagster_ui_url
    # Crawl runs cover ranges of partitions (no per-partition run tag), so the partition's page, which
    # lists the materializations of this product, is the way to its runs.
    product["dagster"] = {"partition": _partition_url(ui, key), "asset": f"{ui}/assets/products"}
    product["price_series"] = [
        {
            "from": v["valid_from"],
            "to": v["valid_to"],
            "price": v["price"],
            "unit": v["price_unit"],
            "version": v["version"],
        }
        for v in product["versions"]
    ]
    return product


@router.get(
    "/api/admin/catalog/export",
    responses={
        200: {
            "content": {"text/csv": {}, "application/vnd.apache.parquet": {}},
            "description": "one row per product, streamed",
        },
        404: {"description": "no product has this category"},
    },
)
async def catalog_export_file(
    database: DatabaseDep,
    format: ExportFormat,  # noqa: A002 - the API's word
    category: Annotated[Text | None, Query(min_length=1, max_length=100)] = None,
) -> StreamingResponse:
    """The catalog as CSV or Parquet, one row per product, the same columns as `tileshop export`,
    streamed in chunks from a server-side cursor on a connection of its own (an export must not
    hold one of the shoppers' pooled connections for its whole length)."""
    if category is not None:
        if not await database.run(lambda conn: catalog_admin.category_keys(conn, category)):
            raise HTTPException(status_code=404, detail=f"no product's record has the category {category!r}")
    conninfo = database.pool.conninfo
    assert isinstance(conninfo, str)  # the app's pool is made from its URL

    def stream() -> Iterator[bytes]:
        with psycopg.connect(conninfo, autocommit=True, application_name="rag_app export") as conn:
            db.configure_connection(conn)
            yield from catalog_export.Export(
                catalog_admin.export_rows(conn, category, catalog_export.CHUNK_ROWS), format
            )

    name = f"catalog{'-' + quote(category.lower(), safe='') if category else ''}.{format}"
    return StreamingResponse(
        stream(),
        media_type=catalog_export.MEDIA_TYPES[format],
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


class RecrawlRequest(BaseModel):
    skus: list[Text] = Field(default_factory=list, description=f"at most {recrawl.MAX_ITEMS}")
    product_keys: list[Text] = Field(default_factory=list, description=f"at most {recrawl.MAX_ITEMS}")
    category: Text | None = None


@router.post(
    "/api/admin/recrawl",
    status_code=202,
    responses={
        422: {"description": "unknown SKU, key or category; too many; nothing launched"},
        502: {"description": "Dagster refused or is unreachable"},
    },
)
async def recrawl_now(body: RecrawlRequest, database: DatabaseDep, jobs: JobsDep, settings: SettingsDep) -> dict:
    """Fetch these products again now: SKUs (each to every URL it sits on), product keys or a
    category -> one product_crawl run per batch, launched through Dagster. Nothing is launched
    unless every value is known."""
    try:
        recrawl.check_request(body.skus, body.product_keys, body.category)
        resolved = await database.run(
            lambda conn: recrawl.resolve(conn, skus=body.skus, product_keys=body.product_keys, category=body.category)
        )
        runs = await recrawl.launch(jobs, resolved.product_keys)
    except recrawl.RecrawlError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except DagsterError as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
    ui = settings.dagster_ui_url
    return {
        "product_keys": resolved.product_keys,
        "skus": resolved.by_sku,
        "runs": [{**run, "url": f"{ui}/runs/{run['run_id']}"} for run in runs],
    }
