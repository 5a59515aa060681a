-- Search analytics: one row per answered chat question, so the catalog team sees what shoppers
-- look for and cannot find. No client address and no conversation history are stored: only the
-- question itself, what was read from it and what came back. Pruned after
-- TILESHOP_ANALYTICS_RETENTION_DAYS (default 90).
CREATE TABLE IF NOT EXISTS search_questions (
    id               bigserial PRIMARY KEY,
    asked_at         timestamptz NOT NULL,
    question         text NOT NULL,
    filters_read     jsonb NOT NULL,   -- the filters read from the question
    filters_applied  jsonb NOT NULL,   -- the filters the search ran with
    filters_relaxed  boolean NOT NULL, -- the question's filters matched nothing and were dropped
    result_count     integer NOT NULL,
    top_sku          text,
    top_product_key  text,
    mode             text NOT NULL,    -- claude | offline
    llm_error        text,             -- why Claude failed (after retries), when it did
    retrieval_ms     real NOT NULL,    -- the database part: SKU lookup, search, records
    latency_ms       real NOT NULL     -- the whole answer
);
CREATE INDEX IF NOT EXISTS search_questions_asked_at ON search_questions (asked_at);
