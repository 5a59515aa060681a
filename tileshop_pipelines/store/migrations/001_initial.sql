-- The pipeline's tables, one per asset, plus the vector index.
-- supabase-vector-store: begin
CREATE EXTENSION IF NOT EXISTS vector;
-- supabase-vector-store: end

-- Every URL the sitemap listed; product URLs carry their key and SKU.
CREATE TABLE IF NOT EXISTS sitemap_urls (
    url          text PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('product', 'other')),
    product_key  text,
    sku          text,
    lastmod      text,
    first_seen   timestamptz NOT NULL DEFAULT now(),
    last_seen    timestamptz NOT NULL DEFAULT now(),
    removed_at   timestamptz
);
CREATE INDEX IF NOT EXISTS sitemap_urls_product_key ON sitemap_urls (product_key);

-- The last fetch of each product page.
CREATE TABLE IF NOT EXISTS product_pages (
    product_key   text PRIMARY KEY,
    url           text NOT NULL,
    status_code   integer,
    html          text,
    content_hash  text,
    error         text,
    parse_error   text,
    parsed_hash   text,          -- content_hash of the last parse attempt, success or not
    fetched_at    timestamptz NOT NULL DEFAULT now(),
    last_ok_at    timestamptz
);

-- The structured product record (the contract in docs/product-record.md), one row per product key.
CREATE TABLE IF NOT EXISTS products (
    product_key   text PRIMARY KEY,
    sku           text,
    url           text NOT NULL,
    name          text,
    price         numeric,
    price_unit    text,
    record        jsonb NOT NULL,
    content_hash  text NOT NULL,
    parsed_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS products_sku ON products (sku);

CREATE TABLE IF NOT EXISTS product_chunks (
    chunk_id     text PRIMARY KEY,
    product_key  text NOT NULL,
    chunk_kind   text NOT NULL,
    ordinal      integer NOT NULL,
    content      text NOT NULL,
    text_hash    text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS product_chunks_product_key ON product_chunks (product_key);

-- Model output per chunk, keyed by the text it was computed from.
CREATE TABLE IF NOT EXISTS product_embeddings (
    chunk_id     text PRIMARY KEY,
    text_hash    text NOT NULL,
    model        text NOT NULL,
    dim          integer NOT NULL,
    embedding    vector(384) NOT NULL,
    embedded_at  timestamptz NOT NULL DEFAULT now()
);

-- supabase-vector-store: begin
-- The serving index (Supabase convention: id, content, metadata, embedding).
CREATE TABLE IF NOT EXISTS product_vectors (
    id           text PRIMARY KEY,
    product_key  text NOT NULL,
    chunk_kind   text NOT NULL,
    content      text NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
    embedding    vector(384) NOT NULL,
    text_hash    text NOT NULL
);
CREATE INDEX IF NOT EXISTS product_vectors_product_key ON product_vectors (product_key);
CREATE INDEX IF NOT EXISTS product_vectors_embedding_hnsw
    ON product_vectors USING hnsw (embedding vector_cosine_ops);
-- supabase-vector-store: end
