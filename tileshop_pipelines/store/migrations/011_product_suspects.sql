-- A parse that lost its price, or most of the fields, or every specification the product's current
-- record has is a broken page far more often than a real change (a cut-short __NEXT_DATA__ dropped
-- every specification; an invalid price became null): it is held here, the current record stays,
-- and the crawl step's check `no_suspect_records` names it. A later parse that is not suspect
-- replaces the hold (store.products.save_records).
CREATE TABLE IF NOT EXISTS product_suspects (
    product_key   text PRIMARY KEY,
    content_hash  text,
    record        jsonb NOT NULL,
    reason        text NOT NULL,
    held_at       timestamptz NOT NULL DEFAULT now()
);
