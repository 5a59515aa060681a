"""A sample catalog loaded straight into the pipeline's tables, without crawling.

Each product page is rendered by the sample catalog, parsed by the pipeline's extractor, stored
with `store.products`, chunked by `text.chunks`, embedded by the pipeline's model and synced into
product_vectors with `store.chunks` and `store.product_vectors`: the same functions the Dagster assets call, minus the HTTP
fetch. The rag_app tests use it as their fixture and the load bench as its 5,000-product index.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np
import psycopg

from tileshop_pipelines.catalog.extract import extract_product
from tileshop_pipelines.catalog.urls import classify_url
from tileshop_pipelines.embedding.model import (
    DEFAULT_MODEL,
    embed_texts,
    load_model,
    model_dimension,
    model_id,
    word_piece_spans,
)
from tileshop_pipelines.sample_catalog import Catalog
from tileshop_pipelines.sample_catalog.render import product_page
from tileshop_pipelines.store import chunks as chunks_sql
from tileshop_pipelines.store import db
from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.migrations import migrate
from tileshop_pipelines.store.product_vectors import PostgresVectorStore, sync_vector_store
from tileshop_pipelines.text.chunks import chunk_product

EMBED_BATCH = 256


def load_records(
    conn: psycopg.Connection,
    catalog: Catalog,
    base_url: str = "http://127.0.0.1:8765",
    batch: int = 5000,
    cdn_url: str | None = None,
) -> dict[str, tuple[str, str, dict]]:
    """Every product page of `catalog` rendered, parsed and stored as a record (store.products),
    `batch` products per transaction; returns {product_key: (product_key, content_hash, record)}.
    The pages name their documents on the CDN stand-in at `cdn_url` when given (sample_catalog/cdn.py),
    else at the real CDN's addresses."""
    migrate(conn)
    records: dict[str, tuple[str, str, dict]] = {}
    for product in catalog.products:
        info = classify_url(base_url + product.path)
        html = product_page(product, base_url, cdn_url)
        if info.product_key is None:
            raise ValueError(f"sample product path {product.path!r} is not a product URL")
        records[info.product_key] = (
            info.product_key,
            hashlib.sha256(html.encode()).hexdigest(),
            extract_product(html, info.url),
        )
    rows = list(records.values())
    for start in range(0, len(rows), batch):
        products_sql.save_records(conn, rows[start : start + batch], [])
    return records


def load_catalog(
    conn: psycopg.Connection,
    catalog: Catalog,
    base_url: str = "http://127.0.0.1:8765",
    model_name: str = DEFAULT_MODEL,
    progress=None,
    embed: Callable[[list[str]], np.ndarray] | None = None,
    cdn_url: str | None = None,
) -> dict[str, int]:
    """Records, chunks, embeddings and vectors of every product in `catalog`; returns table counts.

    `embed` (texts -> unit vectors of the model's dimension) replaces the model where the vector
    values do not matter (the transfer bench); the default is the model itself. `cdn_url`: as
    load_records."""
    records = load_records(conn, catalog, base_url, cdn_url=cdn_url)
    spans = word_piece_spans(model_name)
    chunks = [c for key, _, record in records.values() for c in chunk_product(key, record, spans)]
    chunks_sql.sync_chunks(conn, chunks)
    model_key = model_id(model_name)
    pending = chunks_sql.chunks_to_embed(conn, model_key, model_dimension(model_name))
    if embed is None:
        model = load_model(model_name)

        def embed(texts: list[str]) -> np.ndarray:
            return embed_texts(model, texts, batch_size=64)

    for start in range(0, len(pending), EMBED_BATCH):
        batch = pending[start : start + EMBED_BATCH]
        vectors = embed([content for _, content, _ in batch])
        chunks_sql.save_embeddings(conn, [(cid, th) for cid, _, th in batch], vectors, model_key)
        if progress:
            progress(min(start + EMBED_BATCH, len(pending)), len(pending))
    sync_vector_store(conn, PostgresVectorStore(conn), model_key)
    return {
        table: db.one(conn.execute(f"SELECT count(*) FROM {table}"))[0]
        for table in ("products", "product_chunks", "product_vectors")
    }
