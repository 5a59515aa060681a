-- Full-text ranking per product. Shoppers' words are mostly catalog-common ("tile" is in ~88% of
-- chunks), so ranking chunks meant a ts_rank over nearly every row of the wide product_vectors
-- table (~80-140 ms at 20,000 chunks). Ranking one narrow row per product (all its chunks' text)
-- costs about a fifth of that, and the shopper sees products, not chunks, anyway.
-- The marked statements make the same on a Supabase project (store/supabase_schema.py); a test
-- compares them.

-- supabase-vector-store: begin
CREATE TABLE IF NOT EXISTS product_search_text (
    product_key text PRIMARY KEY,
    fts         tsvector NOT NULL
);
CREATE INDEX IF NOT EXISTS product_search_text_fts ON product_search_text USING gin (fts);

-- Concatenation of tsvectors (positions of each next one shifted past the last), as an aggregate.
CREATE OR REPLACE AGGREGATE tsvector_concat_agg(tsvector) (
    SFUNC = tsvector_concat, STYPE = tsvector, INITCOND = ''
);

-- One product's searchable text, weighted as product_vectors.fts is: name and SKU once (the A part
-- of its first chunk), then all its chunks' text (their B parts). Made from the parsed chunk
-- vectors: ~5x cheaper than parsing the text again, and the same ranks.
CREATE OR REPLACE FUNCTION refresh_product_search_text(keys text[]) RETURNS void
LANGUAGE sql AS $$
    DELETE FROM product_search_text t
    WHERE t.product_key = ANY(keys)
      AND NOT EXISTS (SELECT 1 FROM product_vectors v WHERE v.product_key = t.product_key);
    INSERT INTO product_search_text (product_key, fts)
    SELECT v.product_key,
           (array_agg(ts_filter(v.fts, '{a}') ORDER BY v.id))[1]
           || tsvector_concat_agg(ts_filter(v.fts, '{b}') ORDER BY v.id)
    FROM product_vectors v
    WHERE v.product_key = ANY(keys)
    GROUP BY v.product_key
    ON CONFLICT (product_key) DO UPDATE SET fts = excluded.fts;
$$;

-- Kept in step with product_vectors by statement triggers: every write, whichever client makes it
-- (the pipeline's COPY, PostgREST upserts), refreshes the products it touched, in its transaction.
CREATE OR REPLACE FUNCTION product_vectors_search_text_sync() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'TRUNCATE' THEN
        DELETE FROM product_search_text;
    ELSIF TG_OP = 'INSERT' THEN
        PERFORM refresh_product_search_text(ARRAY(SELECT DISTINCT n.product_key FROM new_rows n));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM refresh_product_search_text(ARRAY(SELECT DISTINCT o.product_key FROM old_rows o));
    ELSE
        PERFORM refresh_product_search_text(ARRAY(SELECT n.product_key FROM new_rows n
                                                  UNION SELECT o.product_key FROM old_rows o));
    END IF;
    RETURN NULL;
END
$$;

DROP TRIGGER IF EXISTS product_vectors_search_text_insert ON product_vectors;
CREATE TRIGGER product_vectors_search_text_insert AFTER INSERT ON product_vectors
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION product_vectors_search_text_sync();
DROP TRIGGER IF EXISTS product_vectors_search_text_update ON product_vectors;
CREATE TRIGGER product_vectors_search_text_update AFTER UPDATE ON product_vectors
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION product_vectors_search_text_sync();
DROP TRIGGER IF EXISTS product_vectors_search_text_delete ON product_vectors;
CREATE TRIGGER product_vectors_search_text_delete AFTER DELETE ON product_vectors
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION product_vectors_search_text_sync();
DROP TRIGGER IF EXISTS product_vectors_search_text_truncate ON product_vectors;
CREATE TRIGGER product_vectors_search_text_truncate AFTER TRUNCATE ON product_vectors
    FOR EACH STATEMENT EXECUTE FUNCTION product_vectors_search_text_sync();

SELECT refresh_product_search_text(ARRAY(SELECT DISTINCT product_key FROM product_vectors));

-- The products whose text best matches the words (an OR of them, fulltext_query), by ts_rank of the
-- product's whole text. A filter keeps products with a chunk whose metadata contains it and
-- whose own text matches.
CREATE OR REPLACE FUNCTION fulltext_products(query_text text, match_count int, filter jsonb DEFAULT '{}')
RETURNS TABLE (product_key text, score float8)
LANGUAGE sql STABLE AS $$
    SELECT t.product_key, ts_rank(t.fts, q)::float8
    FROM product_search_text t, fulltext_query(query_text) AS q
    WHERE t.fts @@ q
      AND (filter = '{}'::jsonb OR EXISTS (
          SELECT 1 FROM product_vectors v
          WHERE v.product_key = t.product_key AND v.metadata @> filter AND v.fts @@ q))
    ORDER BY ts_rank(t.fts, q) DESC, t.product_key
    LIMIT match_count
$$;

-- Chunks of the best-matching products: products in fulltext_products order, each product's
-- matching chunks by their own ts_rank; score is the product's.
CREATE OR REPLACE FUNCTION fulltext_search(query_text text, match_count int, filter jsonb DEFAULT '{}')
RETURNS TABLE (id text, product_key text, chunk_kind text, content text, metadata jsonb, score float8)
LANGUAGE sql STABLE AS $$
    SELECT v.id, v.product_key, v.chunk_kind, v.content, v.metadata, p.score
    FROM fulltext_products(query_text, match_count, filter) p
    JOIN product_vectors v ON v.product_key = p.product_key, fulltext_query(query_text) AS q
    WHERE v.fts @@ q AND v.metadata @> filter
    ORDER BY p.score DESC, p.product_key, ts_rank(v.fts, q) DESC, v.id
    LIMIT match_count
$$;

-- Reciprocal rank fusion of the full-text product ranking and the vector ranking (Supabase's
-- hybrid_search, plus a filter), per product: a product's semantic rank is the rank of its best
-- chunk, so a product with four near chunks counts once, as the shopper sees it. Defaults
-- full_text_weight 1.5, rrf_k 10 (were 1 and 50): the best of 8 settings on `tileshop eval` at 200
-- and 5,000 products alike; with 1 and 50 the fusion fell below full text alone. Each row is a
-- candidate chunk (a nearest chunk, or a matching chunk of a full-text product) with its
-- product's fused score; within a product, chunks keep their best rank in either list.
CREATE OR REPLACE FUNCTION hybrid_search(query_text text, query_embedding vector(384), match_count int,
                                         full_text_weight float8 DEFAULT 1.5, semantic_weight float8 DEFAULT 1,
                                         rrf_k int DEFAULT 10, filter jsonb DEFAULT '{}')
RETURNS TABLE (id text, product_key text, chunk_kind text, content text, metadata jsonb, score float8)
LANGUAGE sql STABLE AS $$
    WITH full_text_products AS MATERIALIZED (
        SELECT f.product_key, row_number() OVER (ORDER BY f.score DESC, f.product_key) AS rank_ix
        FROM fulltext_products(query_text, match_count * 2, filter) f
    ), semantic AS (
        SELECT s.id, s.product_key, row_number() OVER (ORDER BY s.score DESC, s.id) AS chunk_rank
        FROM match_products(query_embedding, match_count * 2, filter) s
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
        FROM (SELECT s.id, s.chunk_rank FROM semantic s
              UNION ALL
              SELECT v.id, f.rank_ix FROM full_text_products f
              JOIN product_vectors v ON v.product_key = f.product_key, fulltext_query(query_text) AS q
              WHERE v.fts @@ q AND v.metadata @> filter) c
        GROUP BY c.id
    )
    SELECT v.id, v.product_key, v.chunk_kind, v.content, v.metadata, fused.score::float8
    FROM candidates c
    JOIN product_vectors v ON v.id = c.id
    JOIN fused ON fused.product_key = v.product_key
    ORDER BY fused.score DESC, v.product_key, c.chunk_rank, v.id
    LIMIT match_count
$$;

-- What the asset checks look at, readable over SQL and PostgREST alike; now also whether every
-- product with vectors has its search text.
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
                                  AND indexdef LIKE '%USING gin (fts)%'),
        'products_without_search_text', (SELECT count(DISTINCT v.product_key) FROM product_vectors v
                                         WHERE NOT EXISTS (SELECT 1 FROM product_search_text t
                                                           WHERE t.product_key = v.product_key))
    )
$$;
-- supabase-vector-store: end
