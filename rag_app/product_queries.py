"""SQL over the products table for the app: filters, lookups by SKU and key, listings, history.

Every statement takes bound parameters; filter SQL is assembled only from the fixed fragments
below, never from input text.
"""

from __future__ import annotations

import psycopg

from rag_app.filters import ProductFilters

# Columns that may order a product_history row in time, in order of preference. The history table
# comes from the acquisition work; it is read only when it exists (checked at query time).
HISTORY_TIME_COLUMNS = ("observed_at", "recorded_at", "changed_at", "valid_from", "created_at", "fetched_at",
                        "parsed_at")
HISTORY_LIMIT = 200

_PRICE_COLUMN = {
    "box": "(p.record->>'price_per_box')::numeric",
    "sqft": "(p.record->>'price_per_sqft')::numeric",
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
        clauses.append("EXISTS (SELECT 1 FROM regexp_split_to_table(p.record->>'color', ',') AS c "
                       "WHERE lower(trim(c)) = lower(%(color)s))")
        params["color"] = filters.color
    if filters.finish is not None:
        clauses.append("lower(p.record->>'finish') = lower(%(finish)s)")
        params["finish"] = filters.finish
    if filters.material is not None:
        clauses.append("lower(p.record->>'material') = lower(%(material)s)")
        params["material"] = filters.material
    if filters.application is not None:
        clauses.append("EXISTS (SELECT 1 FROM jsonb_array_elements_text(CASE jsonb_typeof(p.record->'applications') "
                       "WHEN 'array' THEN p.record->'applications' ELSE '[]' END) AS a "
                       "WHERE lower(a) = lower(%(application)s))")
        params["application"] = filters.application
    if filters.size is not None:
        # "12 x 24" matches "12 x 24 in" but not "12 x 240 in"
        clauses.append("lower(p.record->>'size') ~ ('^' || %(size_pattern)s || '([^0-9.]|$)')")
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


def product_history(conn: psycopg.Connection, product_key: str) -> list[dict] | None:
    """The product's rows in product_history, oldest first; None when that table does not exist."""
    if conn.execute("SELECT to_regclass('product_history')").fetchone()[0] is None:
        return None
    columns = {row[0] for row in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = 'product_history' "
        "AND table_schema = current_schema()")}
    if "product_key" not in columns:
        return None
    order = next((c for c in HISTORY_TIME_COLUMNS if c in columns), None)
    # `order` is one of the fixed names above, never input.
    order_sql = f'h."{order}", ' if order else ""
    rows = conn.execute(
        f"SELECT to_jsonb(h) FROM product_history h WHERE h.product_key = %s ORDER BY {order_sql}h.ctid "
        f"LIMIT %s", (product_key, HISTORY_LIMIT)).fetchall()
    return [row[0] for row in rows]
