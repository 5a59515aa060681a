-- match_products (and hybrid_search, which calls it) walks the HNSW graph with 64 candidates
-- (pgvector's default ef_search is 40). Measured on 50,000 real MiniLM chunk vectors, 200 held-out
-- queries (bench --only vectors): ef_search 40 gives recall@10 0.988 at p95 1.23 ms, 64 gives 0.998
-- at 1.61 ms, the smallest value meeting recall >= 0.99 at p95 <= 3 ms.
-- A SET clause of the function, so it holds over PostgREST's rpc and behind a transaction pooler
-- too, and is restored when the call returns.
-- store/search.py's HNSW_EF_SEARCH is the same number, for the filtered search run as plain SQL.
ALTER FUNCTION match_products(vector, int, jsonb) SET hnsw.ef_search = 64;
