-- What was carried over from the predecessor system (tileshop_pipelines/legacy, docs/legacy-import.md).
-- These tables are the import's own memory: they make a rerun a no-op, let several checkpoint
-- files arrive in any order across calls, and tell rows the import wrote from rows the pipeline
-- wrote (the pipeline's are never downgraded).

-- Every checkpoint file imported, by content.
CREATE TABLE IF NOT EXISTS legacy_checkpoint_files (
    sha256         text PRIMARY KEY,
    file_name      text NOT NULL,
    downloaded_at  timestamptz NOT NULL,
    entries        integer NOT NULL,
    imported_at    timestamptz NOT NULL DEFAULT now()
);

-- The most recent evidence per URL over all imported files, and when the predecessor listed it.
CREATE TABLE IF NOT EXISTS legacy_checkpoint_urls (
    url              text PRIMARY KEY,
    kind             text NOT NULL,
    product_key      text,
    sku              text,
    scrape_status    text NOT NULL CHECK (scrape_status IN ('pending', 'completed', 'failed')),
    evidence_at      timestamptz NOT NULL,   -- its scraped_at, else the file's downloaded_at
    scraped_at       timestamptz,
    error            text,
    previous_error   text,
    source_file      text NOT NULL,
    first_listed_at  timestamptz NOT NULL,
    last_listed_at   timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS legacy_checkpoint_urls_product_key ON legacy_checkpoint_urls (product_key);

-- The product_pages rows the import wrote, as written: a row still equal to this is the import's
-- (the pipeline sets fetched_at = now() on every check), any other row is the pipeline's.
CREATE TABLE IF NOT EXISTS legacy_page_states (
    product_key  text PRIMARY KEY,
    url          text NOT NULL,
    state        text NOT NULL,
    error        text,
    fetched_at   timestamptz NOT NULL
);

-- The product_history versions the import wrote from product_data rows. version 1 with the
-- product's record: a legacy-only product (products holds it until the pipeline crawls it);
-- version 0: a version before the pipeline's first, for a product the pipeline had crawled.
CREATE TABLE IF NOT EXISTS legacy_product_versions (
    product_key  text PRIMARY KEY,
    version      integer NOT NULL,
    legacy_id    bigint NOT NULL,
    url          text NOT NULL,
    record_hash  text NOT NULL,
    valid_from   timestamptz NOT NULL,
    imported_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per committed import (dry runs write nothing), with its report.
CREATE TABLE IF NOT EXISTS legacy_import_runs (
    id           bigserial PRIMARY KEY,
    command      text NOT NULL,
    source       text NOT NULL,
    finished_at  timestamptz NOT NULL DEFAULT now(),
    report       jsonb NOT NULL
);
