"""SQL over the products table for the app: filters, lookups by SKU and key, listings.

Every statement takes bound parameters; filter SQL is assembled only from the fixed fragments
below, never from input text.
"""

from __future__ import annotations

import psycopg

from rag_app.filters import ProductFilters


# Stored, lowercased columns of products (migration 004), compared with lowercased values.
_PRICE_COLUMN = {
    "box": "p.price_per_box",
    "sqft": "p.price_per_sqft",
    "unit": "p.price",
}


def filter_sql(filters: ProductFilters) -> tuple[str, dict]:
    """A WHERE fragment over `products p` and its bound parameters."""
    clauses: list[str] = []
    params: dict = {}
    price = _PRICE_COLUMN[filters.price_basis]
    if filters.min_price is not None:
        clauses.append(f"{price} >= %(min_price)s")
        params["min_price"] = filters.min_price
    if filters.max_price is not None:
        clauses.append(f"{price} <= %(max_price)s")
        params["max_price"] = filters.max_price
    if filters.price_unit is not None:
        clauses.append("p.price_unit = %(price_unit)s")
        params["price_unit"] = filters.price_unit
    if filters.color is not None:
        clauses.append("p.filter_colors @> ARRAY[%(color)s]::text[]")  # @>: the GIN index can serve it
        params["color"] = filters.color.strip().lower()
    if filters.finish is not None:
        clauses.append("p.filter_finish = %(finish)s")
        params["finish"] = filters.finish.lower()
    if filters.material is not None:
        clauses.append("p.filter_material = %(material)s")
        params["material"] = filters.material.lower()
    if filters.application is not None:
        clauses.append("p.filter_applications @> ARRAY[%(application)s]::text[]")
        params["application"] = filters.application.strip().lower()
    if filters.size is not None:
        # "12 x 24" matches "12 x 24 in" but not "12 x 240 in"
        clauses.append("p.filter_size ~ ('^' || %(size_pattern)s || '([^0-9.]|$)')")
        params["size_pattern"] = _size_pattern(filters.size)
    return " AND ".join(clauses) or "TRUE", params


def _size_pattern(size: str) -> str:
    """A regex for a size like "12 x 24" (any spacing around the x), its numbers escaped."""
    parts = [p.strip() for p in size.lower().replace("×", "x").split("x")]
    return r"\s*x\s*".join(p.replace(".", r"\.") for p in parts if p)



def products_by_sku(conn: psycopg.Connection, skus: list[str]) -> list[dict]:
    """Products whose SKU is one of `skus` (case-insensitive: 495660ss), in the order asked."""
    if not skus:
        return []
    rows = conn.execute(
        "SELECT product_key, sku, url, name, price, price_unit, record FROM products "
        "WHERE lower(sku) = ANY(%s) ORDER BY array_position(%s, lower(sku)), product_key",
        ([s.lower() for s in skus], [s.lower() for s in skus]),
    ).fetchall()
    return [_product_row(row) for row in rows]


def products_by_key(conn: psycopg.Connection, keys: list[str]) -> dict[str, dict]:
    if not keys:
        return {}
    rows = conn.execute(
        "SELECT product_key, sku, url, name, price, price_unit, record FROM products WHERE product_key = ANY(%s)",
        (keys,),
    ).fetchall()
    return {row[0]: _product_row(row) for row in rows}


def _product_row(row) -> dict:
    key, sku, url, name, price, price_unit, record = row
    return {"product_key": key, "sku": sku, "url": url, "name": name,
            "price": float(price) if price is not None else None, "price_unit": price_unit,
            "record": record or {}}




def list_products(conn: psycopg.Connection, filters: ProductFilters, limit: int) -> list[dict]:
    """Products matching the filters, cheapest first (the product search without a query)."""
    where, params = filter_sql(filters)
    rows = conn.execute(
        f"SELECT p.product_key, p.sku, p.url, p.name, p.price, p.price_unit, p.record FROM products p "
        f"WHERE {where} ORDER BY p.price NULLS LAST, p.product_key LIMIT %(limit)s",
        {**params, "limit": limit},
    ).fetchall()
    return [_product_row(row) for row in rows]
