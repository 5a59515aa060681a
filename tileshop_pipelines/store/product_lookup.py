"""Products as the app shows them: by SKU, by key, and the products matching filters.

Each product is a dict: product_key, sku, url, name, price (float), price_unit, record.
Every statement takes bound parameters.
"""

from __future__ import annotations

import psycopg

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
        f"SELECT {_COLUMNS} FROM products p WHERE {where} ORDER BY p.price NULLS LAST, p.product_key "
        "LIMIT %(limit)s",
        {**params, "limit": limit},
    ).fetchall()
    return [_product_row(row) for row in rows]


def _product_row(row) -> dict:
    key, sku, url, name, price, price_unit, record = row
    return {"product_key": key, "sku": sku, "url": url, "name": name,
            "price": float(price) if price is not None else None, "price_unit": price_unit,
            "record": record or {}}
