-- Incremental, resumable acquisition: per-page crawl state, refresh cycles, product versions.

-- The sitemap's <lastmod> as a timestamp (NULL when absent or unreadable), for change detection.
ALTER TABLE sitemap_urls ADD COLUMN IF NOT EXISTS lastmod_at timestamptz;

-- One row per sitemap refresh; a refresh cycle runs from one refresh to the next. Pages checked
-- since the latest refresh started are not fetched again by a resumed crawl.
CREATE TABLE IF NOT EXISTS sitemap_refreshes (
    id           bigserial PRIMARY KEY,
    sitemap_url  text NOT NULL,
    started_at   timestamptz NOT NULL DEFAULT now(),
    listed       integer NOT NULL,
    products     integer NOT NULL,
    added        integer NOT NULL,
    removed      integer NOT NULL,
    unchanged    integer NOT NULL
);

-- Crawl state per page. state: ok (200 or 304), gone (404/410), blocked (a non-product page came
-- back), failed (retries exhausted, rejected response). attempts counts consecutive unsuccessful
-- checks; next_attempt_at is when the sensor may try again (backoff across ticks).
ALTER TABLE product_pages
    ADD COLUMN IF NOT EXISTS state            text,
    ADD COLUMN IF NOT EXISTS etag             text,
    ADD COLUMN IF NOT EXISTS last_modified    text,
    ADD COLUMN IF NOT EXISTS checked_at       timestamptz,
    ADD COLUMN IF NOT EXISTS changed_at       timestamptz,
    ADD COLUMN IF NOT EXISTS attempts         integer NOT NULL DEFAULT 0,
    ADD COLUMN IF NOT EXISTS next_attempt_at  timestamptz;
UPDATE product_pages
   SET state = CASE WHEN error IS NULL THEN 'ok' ELSE 'failed' END,
       checked_at = last_ok_at, changed_at = last_ok_at
 WHERE state IS NULL;
ALTER TABLE product_pages ALTER COLUMN state SET DEFAULT 'ok';
ALTER TABLE product_pages ALTER COLUMN state SET NOT NULL;
ALTER TABLE product_pages ADD CONSTRAINT product_pages_state
    CHECK (state IN ('ok', 'gone', 'blocked', 'failed'));

-- The current version of each product; record_hash identifies the record's content.
ALTER TABLE products
    ADD COLUMN IF NOT EXISTS version      integer NOT NULL DEFAULT 1,
    ADD COLUMN IF NOT EXISTS record_hash  text,
    ADD COLUMN IF NOT EXISTS gone_at      timestamptz;

-- Every version of every product with its validity interval; valid_to IS NULL is the current one.
CREATE TABLE IF NOT EXISTS product_history (
    product_key  text NOT NULL,
    version      integer NOT NULL,
    sku          text,
    url          text NOT NULL,
    name         text,
    price        numeric,
    price_unit   text,
    record       jsonb NOT NULL,
    record_hash  text NOT NULL,
    valid_from   timestamptz NOT NULL,
    valid_to     timestamptz,
    PRIMARY KEY (product_key, version)
);
CREATE INDEX IF NOT EXISTS product_history_sku ON product_history (sku);

UPDATE products SET record_hash = md5(record::text) WHERE record_hash IS NULL;
INSERT INTO product_history (product_key, version, sku, url, name, price, price_unit, record, record_hash,
                             valid_from)
SELECT product_key, version, sku, url, name, price, price_unit, record, record_hash, parsed_at
  FROM products
ON CONFLICT DO NOTHING;
