-- Roles and grants for the vector store on a Supabase project, applied after the vector store's SQL
-- (store/supabase_schema.py: supabase_vector_store_sql()).
-- Supabase's API (PostgREST) runs each request as the role in its JWT: `anon` (the public anon
-- key), `authenticated` (a signed-in user) or `service_role` (the service key; bypasses RLS).
-- The shoppers' app only searches; only the pipeline (service key) writes.
GRANT USAGE ON SCHEMA public TO anon, authenticated, service_role;

ALTER TABLE product_vectors ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS "product vectors are public" ON product_vectors;
CREATE POLICY "product vectors are public" ON product_vectors FOR SELECT TO anon, authenticated USING (true);

REVOKE ALL ON product_vectors FROM anon, authenticated;
GRANT SELECT ON product_vectors TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON product_vectors TO service_role;

-- Per-product search text: read by the search functions (which run as the caller), written only by
-- product_vectors' triggers, which run as the writer.
ALTER TABLE product_search_text ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS "product search text is public" ON product_search_text;
CREATE POLICY "product search text is public" ON product_search_text FOR SELECT TO anon, authenticated
    USING (true);
REVOKE ALL ON product_search_text FROM anon, authenticated;
GRANT SELECT ON product_search_text TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON product_search_text TO service_role;

REVOKE EXECUTE ON FUNCTION fulltext_query(text), match_products(vector, int, jsonb),
    fulltext_products(text, int, jsonb), fulltext_search(text, int, jsonb),
    hybrid_search(text, vector, int, float8, float8, int, jsonb), product_vectors_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION fulltext_query(text), match_products(vector, int, jsonb),
    fulltext_products(text, int, jsonb), fulltext_search(text, int, jsonb),
    hybrid_search(text, vector, int, float8, float8, int, jsonb) TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION product_vectors_stats() TO service_role;
REVOKE EXECUTE ON FUNCTION refresh_product_search_text(text[]), product_vectors_search_text_sync() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION refresh_product_search_text(text[]), product_vectors_search_text_sync() TO service_role;

-- The documents' passages (migration 022): searched by anyone, written by the pipeline.
ALTER TABLE document_vectors ENABLE ROW LEVEL SECURITY;
DROP POLICY IF EXISTS "document vectors are public" ON document_vectors;
CREATE POLICY "document vectors are public" ON document_vectors FOR SELECT TO anon, authenticated USING (true);
REVOKE ALL ON document_vectors FROM anon, authenticated;
GRANT SELECT ON document_vectors TO anon, authenticated;
GRANT SELECT, INSERT, UPDATE, DELETE ON document_vectors TO service_role;

REVOKE EXECUTE ON FUNCTION match_documents(vector, int, jsonb), fulltext_documents(text, int, jsonb),
    hybrid_search_documents(text, vector, int, float8, float8, int, jsonb), document_vectors_stats() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION match_documents(vector, int, jsonb), fulltext_documents(text, int, jsonb),
    hybrid_search_documents(text, vector, int, float8, float8, int, jsonb) TO anon, authenticated, service_role;
GRANT EXECUTE ON FUNCTION document_vectors_stats() TO service_role;
