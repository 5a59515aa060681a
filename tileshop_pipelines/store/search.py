"""Retrieval over product_vectors and products.

- The SQL functions of migrations 003 and 006 (the same functions a Supabase project exposes over
  rpc): vector, full-text and hybrid (reciprocal rank fusion). Full-text ranking is per product
  (product_search_text: each product's whole text in one row).
- Structured filters (`ProductFilters`) over the products table's filter columns (migration 004),
  and the filtered vector search the app runs under them (`search_chunks`).

Every function returns chunks as dicts: id, product_key, chunk_kind, content, metadata, score.
Every statement takes bound parameters; filter SQL is assembled only from the fixed fragments
below, never from input text.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import psycopg
from psycopg.types.json import Jsonb

ROW_KEYS = ("id", "product_key", "chunk_kind", "content", "metadata", "score")
# hybrid_search's defaults, as in the SQL function (migration 006 says how they were chosen).
FULL_TEXT_WEIGHT = 1.5
SEMANTIC_WEIGHT = 1.0
RRF_K = 10
PRICE_BASES = ("box", "sqft", "unit")  # unit: the selling unit's price, whatever it is
PRICE_UNITS = ("box", "sqft", "each", "bag")
# The kinds of product a shopper asks for, as the catalog's categories (the record's `category`,
# its breadcrumb) and, where the category is too wide, a word the name must contain. Fixed SQL data:
# a type is one of these keys, never free text.
PRODUCT_TYPES: dict[str, tuple[tuple[str, ...], str | None]] = {
    "setting": (("Installation Materials",), None),  # thinset, mortar, adhesive
    "grout": (("Grout & Caulk",), None),
    "trim": (("Trim & Molding",), None),
    "underlayment": ((), "underlayment"),  # sold under installation materials or tools
    "tool": (("Tools & Accessories",), None),
    "flooring": (("Luxury Vinyl", "Laminate & Wood"), None),
    "tile": (("Tile", "Natural Stone"), None),
}
# Up to this many products matching the filters (~4 chunks each), exact search beats the index's
# iterative scan (5,000-product catalog: 93 products 10 vs 16 ms, 536: 25 vs 28, 889: 49 vs 16).
EXACT_SEARCH_MAX_PRODUCTS = 500
# HNSW candidates per scan: match_products' own (migration 018 says how it was chosen), and the
# filtered search's below.
HNSW_EF_SEARCH = 100


def _rows(cur: psycopg.Cursor) -> list[dict]:
    return [dict(zip(ROW_KEYS, row, strict=True)) for row in cur.fetchall()]


def _check_count(match_count: int) -> None:
    if match_count < 1:
        raise ValueError(f"match_count must be >= 1, got {match_count}")


def match_products(
    conn: psycopg.Connection, query_embedding: np.ndarray, match_count: int, filter: dict | None = None
) -> list[dict]:
    """Nearest chunks by cosine similarity; `filter` is a jsonb containment test on metadata."""
    _check_count(match_count)
    return _rows(
        conn.execute(
            "SELECT * FROM match_products(%s::vector, %s, %s)",
            (np.asarray(query_embedding, dtype=np.float32), match_count, Jsonb(filter or {})),
        )
    )


def fulltext_search(
    conn: psycopg.Connection, query_text: str, match_count: int, filter: dict | None = None
) -> list[dict]:
    """Chunks matching any stemmed word of the query, of the products whose whole text ranks best by
    ts_rank (name and SKU weigh most); each chunk carries its product's score."""
    _check_count(match_count)
    return _rows(
        conn.execute("SELECT * FROM fulltext_search(%s, %s, %s)", (query_text, match_count, Jsonb(filter or {})))
    )


def hybrid_search(
    conn: psycopg.Connection,
    query_text: str,
    query_embedding: np.ndarray,
    match_count: int,
    filter: dict | None = None,
    full_text_weight: float = FULL_TEXT_WEIGHT,
    semantic_weight: float = SEMANTIC_WEIGHT,
    rrf_k: int = RRF_K,
) -> list[dict]:
    """Full-text and vector rankings fused by reciprocal rank: score = sum of weight / (rrf_k + rank)."""
    _check_count(match_count)
    return _rows(
        conn.execute(
            "SELECT * FROM hybrid_search(%s, %s::vector, %s, %s, %s, %s, %s)",
            (
                query_text,
                np.asarray(query_embedding, dtype=np.float32),
                match_count,
                full_text_weight,
                semantic_weight,
                rrf_k,
                Jsonb(filter or {}),
            ),
        )
    )


# --- structured filters ---------------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class ProductFilters:
    min_price: float | None = None
    max_price: float | None = None
    price_basis: str = "unit"  # which price the limits apply to: box | sqft | unit
    price_unit: str | None = None  # the selling unit (box, sqft, each, bag)
    color: str | None = None
    finish: str | None = None
    material: str | None = None
    application: str | None = None
    size: str | None = None
    product_type: str | None = None  # a key of PRODUCT_TYPES

    def __post_init__(self) -> None:
        if self.product_type is not None and self.product_type not in PRODUCT_TYPES:
            raise ValueError(f"product_type must be one of {tuple(PRODUCT_TYPES)}, got {self.product_type!r}")
        if self.price_basis not in PRICE_BASES:
            raise ValueError(f"price_basis must be one of {PRICE_BASES}, got {self.price_basis!r}")
        for name in ("min_price", "max_price"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must not be negative, got {value}")
        if self.min_price is not None and self.max_price is not None and self.min_price > self.max_price:
            raise ValueError(f"min_price ({self.min_price}) exceeds max_price ({self.max_price})")

    def active(self) -> dict:
        """The filters that are set (price_basis only alongside a price limit)."""
        data = {k: v for k, v in dataclasses.asdict(self).items() if v is not None}
        if self.min_price is None and self.max_price is None:
            data.pop("price_basis")
        return data

    def __bool__(self) -> bool:
        return bool(self.active())

    def merged(self, other: ProductFilters) -> ProductFilters:
        """These filters, with `other`'s set values taking precedence."""
        mine = dataclasses.asdict(self)
        theirs = other.active()
        return ProductFilters(**{**mine, **theirs})


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
        # The size is data, compared as text, never a regular expression ("(" was a 503): the
        # stored size, its "x" unspaced, starts with the wanted one, and the next character does not
        # go on with the number ("12 x 24" matches "12 x 24 in" and "12x24", not "12 x 240 in").
        clauses.append(
            f"starts_with({_UNSPACED_SIZE}, %(size)s) "
            f"AND substr({_UNSPACED_SIZE}, char_length(%(size)s) + 1, 1) !~ '[0-9.]'"
        )
        params["size"] = _unspaced_size(filters.size)
    if filters.product_type is not None:
        categories, name_word = PRODUCT_TYPES[filters.product_type]
        if categories:
            clauses.append("p.record->>'category' = ANY(%(type_categories)s)")
            params["type_categories"] = list(categories)
        if name_word:
            clauses.append("strpos(lower(p.name), %(type_word)s) > 0")
            params["type_word"] = name_word
    return " AND ".join(clauses) or "TRUE", params


_UNSPACED_SIZE = r"regexp_replace(p.filter_size, '\s*x\s*', 'x', 'g')"


def _unspaced_size(size: str) -> str:
    """A size like "12 X 24" or "12×24" as "12x24", as _UNSPACED_SIZE writes the stored sizes."""
    parts = [p.strip() for p in size.lower().replace("×", "x").split("x")]
    return "x".join(p for p in parts if p)


def matching_product_keys(conn: psycopg.Connection, filters: ProductFilters) -> list[str]:
    where, params = filter_sql(filters)
    return [row[0] for row in conn.execute(f"SELECT p.product_key FROM products p WHERE {where}", params)]


def filter_vocabulary(conn: psycopg.Connection) -> dict[str, dict[str, str]]:
    """Colors (each part of "Beige, Brown"), finishes, materials and applications in the catalog,
    by kind: lower-cased -> as stored (values under 3 characters left out)."""
    rows = conn.execute(
        """
        SELECT 'color', trim(c) FROM products, regexp_split_to_table(record->>'color', ',') AS c
        UNION SELECT 'finish', record->>'finish' FROM products
        UNION SELECT 'material', record->>'material' FROM products
        UNION SELECT 'application', a FROM products,
              jsonb_array_elements_text(CASE jsonb_typeof(record->'applications')
                                        WHEN 'array' THEN record->'applications' ELSE '[]' END) AS a
        """
    ).fetchall()
    found: dict[str, dict[str, str]] = {"color": {}, "finish": {}, "material": {}, "application": {}}
    for kind, value in rows:
        if value and len(value) >= 3:
            found[kind][value.lower()] = value
    return found


def search_chunks(
    conn: psycopg.Connection,
    query_text: str,
    query_embedding: np.ndarray,
    limit: int,
    filters: ProductFilters | None = None,
) -> list[dict]:
    """The chunks that best answer the question, among products matching `filters`.

    Without filters: hybrid search (full-text and vector rankings fused by reciprocal rank,
    `hybrid_search`). With structured filters, which are SQL over the products table, the vector
    ranking runs inside them: exact distances when few products match, else the HNSW scan
    iterating (pgvector >= 0.8) so that the filter still fills `limit`.
    """
    if not filters:
        return hybrid_search(conn, query_text, query_embedding, match_count=limit)
    matching = matching_product_keys(conn, filters)
    if not matching:
        return []
    if len(matching) <= EXACT_SEARCH_MAX_PRODUCTS:
        # A selective filter: exact distances over the few matching products' chunks. Walking the
        # HNSW graph for them would pass thousands of non-matching neighbours first.
        # The nearest ids first, then only their text and metadata (15-25% faster at ~400 products).
        rows = conn.execute(
            """
            WITH nearest AS MATERIALIZED (
                SELECT v.id, v.embedding <=> %(q)s AS distance
                FROM product_vectors v WHERE v.product_key = ANY(%(keys)s)
                ORDER BY distance, v.id LIMIT %(k)s
            )
            SELECT v.id, v.product_key, v.chunk_kind, v.content, v.metadata, 1 - n.distance
            FROM nearest n JOIN product_vectors v ON v.id = n.id
            ORDER BY n.distance, n.id
            """,
            {"q": query_embedding, "keys": matching, "k": limit},
        ).fetchall()
    else:
        where, params = filter_sql(filters)
        with conn.transaction():
            conn.execute(f"SET LOCAL hnsw.iterative_scan = strict_order; SET LOCAL hnsw.ef_search = {HNSW_EF_SEARCH}")
            # Never prepared: a generic plan (what a prepared statement turns into after a few runs)
            # sorts every matching product's chunks by exact distance instead of walking the index:
            # 47 vs 12 ms p50 for 889 matching products.
            rows = conn.execute(
                f"""
                SELECT v.id, v.product_key, v.chunk_kind, v.content, v.metadata,
                       1 - (v.embedding <=> %(q)s) AS score
                FROM product_vectors v JOIN products p ON p.product_key = v.product_key
                WHERE {where}
                ORDER BY v.embedding <=> %(q)s
                LIMIT %(k)s
                """,
                {**params, "q": query_embedding, "k": limit},
                prepare=False,
            ).fetchall()
    return [dict(zip(ROW_KEYS, row, strict=True)) for row in rows]
