-- The documents' text in the index: chunks by page and section (text/document_chunks.py), their
-- embeddings (the products' model), and document_vectors, searched by its own hybrid function of
-- the same shape as the products' (hybrid_search).
--
-- Why a table of its own rather than a document kind in product_vectors: hybrid_search ranks and
-- fuses per product_key (a product with four matching chunks counts once), and a document belongs
-- to no one product: a grout data sheet is linked by 200 grouts, and its links change without its
-- text changing. As rows of product_vectors a passage would be one of 200 products or a product of
-- its own; the per-product full-text rows (product_search_text), the checks (one vector per product
-- chunk) and the filters (a join on products) would all have to tell the two apart. Here the
-- product search is untouched, a passage ranks as a passage (its document and page), and the
-- linking products are read at query time from document_links (current links only), so a link
-- that changes rewrites no vector.
-- The marked statements make the same table and functions on a Supabase project
-- (store/supabase_schema.py); a test compares the two.

-- What each document's chunks were made from: md5(parsed text hash | name) ':' chunker signature.
-- document_chunks re-chunks only documents whose text, name (the title) or chunker changed.
ALTER TABLE documents ADD COLUMN IF NOT EXISTS chunked_as text;

CREATE TABLE IF NOT EXISTS document_chunks (
    chunk_id     text PRIMARY KEY,
    document_id  bigint NOT NULL REFERENCES documents (document_id),
    page_number  integer NOT NULL CHECK (page_number >= 1),
    -- The heading whose span the chunk is part of ('' before a page's first heading).
    section      text NOT NULL,
    ordinal      integer NOT NULL,
    -- The document as the passage names it (text/document_chunks.py: document_title).
    title        text NOT NULL,
    content      text NOT NULL,
    text_hash    text NOT NULL,
    updated_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS document_chunks_document_id ON document_chunks (document_id);

-- Model output per chunk, keyed by the text it was computed from (as product_embeddings).
CREATE TABLE IF NOT EXISTS document_embeddings (
    chunk_id     text PRIMARY KEY,
    text_hash    text NOT NULL,
    model        text NOT NULL,
    dim          integer NOT NULL,
    embedding    vector(384) NOT NULL,
    embedded_at  timestamptz NOT NULL DEFAULT now()
);

-- supabase-vector-store: begin
-- The serving index of the documents' passages (the Supabase convention, as product_vectors). No
-- foreign key to documents: on a Supabase project only the vector store exists.
CREATE TABLE IF NOT EXISTS document_vectors (
    id           text PRIMARY KEY,
    document_id  bigint NOT NULL,
    page_number  integer NOT NULL,
    content      text NOT NULL,
    metadata     jsonb NOT NULL DEFAULT '{}'::jsonb,
    embedding    vector(384) NOT NULL,
    text_hash    text NOT NULL,
    source_hash  text,
    -- The document's title and the section's heading weigh more than the passage.
    fts          tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', coalesce(metadata->>'title', '') || ' ' || coalesce(metadata->>'section', '')), 'A')
        || setweight(to_tsvector('english', content), 'B')
    ) STORED
);
CREATE INDEX IF NOT EXISTS document_vectors_document_id ON document_vectors (document_id);
-- The products' graph parameters (migration 018 says how they were chosen).
CREATE INDEX IF NOT EXISTS document_vectors_embedding_hnsw
    ON document_vectors USING hnsw (embedding vector_cosine_ops) WITH (ef_construction = 128);
CREATE INDEX IF NOT EXISTS document_vectors_fts ON document_vectors USING gin (fts);

-- Nearest passages by cosine distance (match_products' shape and settings).
CREATE OR REPLACE FUNCTION match_documents(query_embedding vector(384), match_count int,
                                           filter jsonb DEFAULT '{}')
RETURNS TABLE (id text, document_id bigint, page_number int, content text, metadata jsonb, score float8)
LANGUAGE sql STABLE
SET hnsw.iterative_scan = 'relaxed_order'
SET hnsw.ef_search = 100
AS $$
    WITH nearest AS MATERIALIZED (
        SELECT v.id, v.document_id, v.page_number, v.content, v.metadata,
               v.embedding <=> query_embedding AS distance
        FROM document_vectors v
        WHERE v.metadata @> filter
        ORDER BY v.embedding <=> query_embedding
        LIMIT match_count
    )
    SELECT n.id, n.document_id, n.page_number, n.content, n.metadata, 1 - n.distance
    FROM nearest n
    ORDER BY n.distance, n.id
$$;

-- Passages matching any stemmed word of the question (fulltext_query), by ts_rank. Per passage,
-- not per document as the products are ranked per product: the shopper is shown a passage, and
-- there are few enough of them (a page holds a handful) for the rank over the matching rows.
CREATE OR REPLACE FUNCTION fulltext_documents(query_text text, match_count int, filter jsonb DEFAULT '{}')
RETURNS TABLE (id text, document_id bigint, page_number int, content text, metadata jsonb, score float8)
LANGUAGE sql STABLE AS $$
    SELECT v.id, v.document_id, v.page_number, v.content, v.metadata, ts_rank(v.fts, q)::float8
    FROM document_vectors v, fulltext_query(query_text) AS q
    WHERE v.fts @@ q AND v.metadata @> filter
    ORDER BY ts_rank(v.fts, q) DESC, v.id
    LIMIT match_count
$$;

-- Reciprocal rank fusion of the two rankings above, hybrid_search's shape, per passage: each row a
-- passage with its fused score. full_text_weight 0.5 (the products' is 1.5): every passage of a
-- document carries its title, so the words naming a product match all its passages alike, and the
-- vector ranking tells its pages apart better. Best of 6 settings on `tileshop eval`'s how-to suite
-- (docs/search.md; right page at 500 products: recall@1 0.82 -> 0.87, recall@2 0.94 -> 0.99).
CREATE OR REPLACE FUNCTION hybrid_search_documents(query_text text, query_embedding vector(384), match_count int,
                                                   full_text_weight float8 DEFAULT 0.5,
                                                   semantic_weight float8 DEFAULT 1,
                                                   rrf_k int DEFAULT 10, filter jsonb DEFAULT '{}')
RETURNS TABLE (id text, document_id bigint, page_number int, content text, metadata jsonb, score float8)
LANGUAGE sql STABLE AS $$
    WITH full_text AS MATERIALIZED (
        SELECT f.id, row_number() OVER (ORDER BY f.score DESC, f.id) AS rank_ix
        FROM fulltext_documents(query_text, match_count * 2, filter) f
    ), semantic AS MATERIALIZED (
        SELECT s.id, row_number() OVER (ORDER BY s.score DESC, s.id) AS rank_ix
        FROM match_documents(query_embedding, match_count * 2, filter) s
    ), fused AS (
        SELECT coalesce(f.id, s.id) AS id,
               coalesce(full_text_weight / (rrf_k + f.rank_ix), 0.0)
               + coalesce(semantic_weight / (rrf_k + s.rank_ix), 0.0) AS score
        FROM full_text f FULL OUTER JOIN semantic s ON f.id = s.id
    )
    SELECT v.id, v.document_id, v.page_number, v.content, v.metadata, fused.score::float8
    FROM fused JOIN document_vectors v ON v.id = fused.id
    ORDER BY fused.score DESC, v.id
    LIMIT match_count
$$;

-- What the asset checks look at, readable over SQL and PostgREST alike.
CREATE OR REPLACE FUNCTION document_vectors_stats() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'vectors', (SELECT count(*) FROM document_vectors),
        'documents', (SELECT count(DISTINCT document_id) FROM document_vectors),
        'dimensions', (SELECT coalesce(jsonb_agg(DISTINCT vector_dims(embedding)), '[]'::jsonb)
                       FROM document_vectors),
        'embedding_type', (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                           WHERE a.attrelid = 'document_vectors'::regclass AND a.attname = 'embedding'),
        'hnsw_index', EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'document_vectors'
                              AND indexdef LIKE '%USING hnsw (embedding vector_cosine_ops)%'),
        'fulltext_index', EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'document_vectors'
                                  AND indexdef LIKE '%USING gin (fts)%')
    )
$$;
-- supabase-vector-store: end
