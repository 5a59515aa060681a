"""Products as the app shows them: by SKU, by key, and the products matching filters.

Each product is a dict: product_key, sku, url, name, price (float), price_unit, record.
Every statement takes bound parameters.
"""

from __future__ import annotations

import psycopg

from tileshop_pipelines.store import db
from tileshop_pipelines.store.search import ProductFilters, filter_sql

_COLUMNS = "p.product_key, p.sku, p.url, p.name, p.price, p.price_unit, p.record"


def products_by_sku(conn: psycopg.Connection, skus: list[str]) -> list[dict]:
    """Products whose SKU is one of `skus` (case-insensitive: 495660ss), in the order asked."""
    if not skus:
        return []
    lowered = [s.lower() for s in skus]
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM products p "
        "WHERE lower(p.sku) = ANY(%(skus)s) ORDER BY array_position(%(skus)s, lower(p.sku)), p.product_key",
        {"skus": lowered},
    ).fetchall()
    return [_product_row(row) for row in rows]


def products_by_key(conn: psycopg.Connection, keys: list[str]) -> dict[str, dict]:
    if not keys:
        return {}
    rows = conn.execute(f"SELECT {_COLUMNS} FROM products p WHERE p.product_key = ANY(%s)", (keys,)).fetchall()
    return {row[0]: _product_row(row) for row in rows}


def list_products(conn: psycopg.Connection, filters: ProductFilters, limit: int) -> list[dict]:
    """Products matching the filters, cheapest first (the product search without a query)."""
    where, params = filter_sql(filters)
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM products p WHERE {where} ORDER BY p.price NULLS LAST, p.product_key LIMIT %(limit)s",
        {**params, "limit": limit},
    ).fetchall()
    return [_product_row(row) for row in rows]


def _product_row(row) -> dict:
    key, sku, url, name, price, price_unit, record = row
    return {
        "product_key": key,
        "sku": sku,
        "url": url,
        "name": name,
        "price": float(price) if price is not None else None,
        "price_unit": price_unit,
        "record": record or {},
    }


# The price per sq. ft. a product sold by area states, or its box price over the coverage the page
# states (485000 states a box price and coverage, no per-sq.-ft. price).
_SQFT_PRICE = (
    "COALESCE(p.price_per_sqft, round(p.price_per_box / NULLIF((p.record->>'coverage_sqft_per_box')::numeric, 0), 2))"
)
_SORT_PRICE = {"sqft": _SQFT_PRICE, "unit": "p.price"}


def price_counts(conn: psycopg.Connection, filters: ProductFilters) -> tuple[int, int]:
    """(listed products matching the filters, of which priced per sq. ft.)."""
    where, params = filter_sql(filters)
    total, by_area = db.one(
        conn.execute(
            f"SELECT count(*), count({_SQFT_PRICE}) FROM products p WHERE p.gone_at IS NULL AND {where}",
            params,
        )
    )
    return total, by_area


def ranked_by_price(
    conn: psycopg.Connection, filters: ProductFilters, basis: str, descending: bool, limit: int
) -> tuple[list[dict], int]:
    """The listed products matching the filters, ordered by price on `basis` (sqft | unit) over the
    whole catalog, and how many have a price on that basis; each product carries `sort_price`."""
    if basis not in _SORT_PRICE:
        raise ValueError(f"basis must be one of {tuple(_SORT_PRICE)}, got {basis!r}")
    where, params = filter_sql(filters)
    price = _SORT_PRICE[basis]
    order = "DESC" if descending else "ASC"
    rows = conn.execute(
        f"SELECT {_COLUMNS}, {price} AS sort_price, count(*) OVER () FROM products p "
        f"WHERE p.gone_at IS NULL AND {where} AND {price} IS NOT NULL "
        f"ORDER BY sort_price {order}, p.sku, p.product_key LIMIT %(limit)s",
        {**params, "limit": limit},
    ).fetchall()
    priced = rows[0][-1] if rows else 0
    return [{**_product_row(row[:7]), "sort_price": float(row[7])} for row in rows], priced


def products_of_type(conn: psycopg.Connection, product_type: str) -> list[dict]:
    """Every listed product of a type (store.search.PRODUCT_TYPES), by SKU: the candidates the
    companion rules rank."""
    where, params = filter_sql(ProductFilters(product_type=product_type))
    rows = conn.execute(
        f"SELECT {_COLUMNS} FROM products p WHERE p.gone_at IS NULL AND {where} ORDER BY p.sku, p.product_key",
        params,
    ).fetchall()
    return [_product_row(row) for row in rows]


def recommended_grout_counts(conn: psycopg.Connection, material: str) -> dict[str, int]:
    """How many listed products of a material state each recommended grout type ("Unsanded": 12)."""
    rows = conn.execute(
        "SELECT p.record->>'recommended_grout', count(*) FROM products p "
        "WHERE p.gone_at IS NULL AND p.filter_material = %s AND p.record->>'recommended_grout' IS NOT NULL "
        "GROUP BY 1 ORDER BY 2 DESC, 1",
        (material.lower(),),
    ).fetchall()
    return {value: count for value, count in rows}
