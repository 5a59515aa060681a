-- Hybrid search on product_vectors: a generated tsvector with a GIN index beside the HNSW index,
-- and the search functions in the Supabase convention (callable over SQL or PostgREST rpc).
-- The marked statements make the same table and functions on a Supabase project
-- (store/supabase_schema.py); a test compares the two.

-- supabase-vector-store: begin
-- The row's inputs (text hash, model, metadata) hashed: a store is synced by comparing these.
ALTER TABLE product_vectors ADD COLUMN IF NOT EXISTS source_hash text;

-- Name and SKU weigh more than body text; 'english' stems ("tiles" finds "tile").
ALTER TABLE product_vectors ADD COLUMN IF NOT EXISTS fts tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector('english', coalesce(metadata->>'name', '') || ' ' || coalesce(metadata->>'sku', '')), 'A')
    || setweight(to_tsvector('english', content), 'B')
) STORED;
CREATE INDEX IF NOT EXISTS product_vectors_fts ON product_vectors USING gin (fts);
-- supabase-vector-store: end

-- The model the stored embedding came from, so a model change re-embeds (text hash, model, dim).
CREATE INDEX IF NOT EXISTS product_embeddings_model ON product_embeddings (model, dim);

-- supabase-vector-store: begin
-- A shopper's question as an OR of its stemmed words: ranking rewards chunks that match more of
-- them, where plainto/websearch_to_tsquery's AND finds nothing for most natural questions.
CREATE OR REPLACE FUNCTION fulltext_query(query_text text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT replace(plainto_tsquery('english', query_text)::text, ' & ', ' | ')::tsquery
$$;

-- Nearest chunks by cosine distance. ORDER BY embedding <=> q LIMIT k is what lets the planner use
-- the HNSW index; iterative scans keep filtered queries from coming back short.
CREATE OR REPLACE FUNCTION match_products(query_embedding vector(384), match_count int,
                                          filter jsonb DEFAULT '{}')
RETURNS TABLE (id text, product_key text, chunk_kind text, content text, metadata jsonb, score float8)
LANGUAGE sql STABLE
SET hnsw.iterative_scan = 'relaxed_order'
AS $$
    WITH nearest AS MATERIALIZED (
        SELECT v.id, v.product_key, v.chunk_kind, v.content, v.metadata,
               v.embedding <=> query_embedding AS distance
        FROM product_vectors v
        WHERE v.metadata @> filter
        ORDER BY v.embedding <=> query_embedding
        LIMIT match_count
    )
    SELECT n.id, n.product_key, n.chunk_kind, n.content, n.metadata, 1 - n.distance
    FROM nearest n
    ORDER BY n.distance, n.id
$$;

CREATE OR REPLACE FUNCTION fulltext_search(query_text text, match_count int, filter jsonb DEFAULT '{}')
RETURNS TABLE (id text, product_key text, chunk_kind text, content text, metadata jsonb, score float8)
LANGUAGE sql STABLE AS $$
    SELECT v.id, v.product_key, v.chunk_kind, v.content, v.metadata, ts_rank(v.fts, q)::float8
    FROM product_vectors v, fulltext_query(query_text) AS q
    WHERE v.fts @@ q AND v.metadata @> filter
    ORDER BY ts_rank(v.fts, q) DESC, v.id
    LIMIT match_count
$$;

-- Reciprocal rank fusion of the two rankings above (Supabase's hybrid_search, plus a filter), per
-- product: a product's rank in each list is the rank of its best chunk, so a product with four
-- matching chunks counts once, as the shopper sees it. Each row is a candidate chunk with its
-- product's fused score; within a product, chunks keep their best rank in either list.
CREATE OR REPLACE FUNCTION hybrid_search(query_text text, query_embedding vector(384), match_count int,
                                         full_text_weight float8 DEFAULT 1, semantic_weight float8 DEFAULT 1,
                                         rrf_k int DEFAULT 50, filter jsonb DEFAULT '{}')
RETURNS TABLE (id text, product_key text, chunk_kind text, content text, metadata jsonb, score float8)
LANGUAGE sql STABLE AS $$
    WITH full_text AS (
        SELECT f.id, f.product_key, row_number() OVER (ORDER BY f.score DESC, f.id) AS chunk_rank
        FROM fulltext_search(query_text, match_count * 2, filter) f
    ), semantic AS (
        SELECT s.id, s.product_key, row_number() OVER (ORDER BY s.score DESC, s.id) AS chunk_rank
        FROM match_products(query_embedding, match_count * 2, filter) s
    ), full_text_products AS (
        SELECT t.product_key, row_number() OVER (ORDER BY min(t.chunk_rank)) AS rank_ix
        FROM full_text t GROUP BY t.product_key
    ), semantic_products AS (
        SELECT t.product_key, row_number() OVER (ORDER BY min(t.chunk_rank)) AS rank_ix
        FROM semantic t GROUP BY t.product_key
    ), fused AS (
        SELECT coalesce(f.product_key, s.product_key) AS product_key,
               coalesce(full_text_weight / (rrf_k + f.rank_ix), 0.0)
               + coalesce(semantic_weight / (rrf_k + s.rank_ix), 0.0) AS score
        FROM full_text_products f FULL OUTER JOIN semantic_products s ON f.product_key = s.product_key
    ), candidates AS (
        SELECT c.id, min(c.chunk_rank) AS chunk_rank
        FROM (SELECT id, chunk_rank FROM full_text UNION ALL SELECT id, chunk_rank FROM semantic) c
        GROUP BY c.id
    )
    SELECT v.id, v.product_key, v.chunk_kind, v.content, v.metadata, fused.score::float8
    FROM candidates c
    JOIN product_vectors v ON v.id = c.id
    JOIN fused ON fused.product_key = v.product_key
    ORDER BY fused.score DESC, v.product_key, c.chunk_rank, v.id
    LIMIT match_count
$$;

-- What the asset checks look at, readable over SQL and PostgREST alike.
CREATE OR REPLACE FUNCTION product_vectors_stats() RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object(
        'vectors', (SELECT count(*) FROM product_vectors),
        'dimensions', (SELECT coalesce(jsonb_agg(DISTINCT vector_dims(embedding)), '[]'::jsonb)
                       FROM product_vectors),
        'embedding_type', (SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a
                           WHERE a.attrelid = 'product_vectors'::regclass AND a.attname = 'embedding'),
        'hnsw_index', EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'product_vectors'
                              AND indexdef LIKE '%USING hnsw (embedding vector_cosine_ops)%'),
        'fulltext_index', EXISTS (SELECT 1 FROM pg_indexes WHERE tablename = 'product_vectors'
                                  AND indexdef LIKE '%USING gin (fts)%')
    )
$$;
-- supabase-vector-store: end
