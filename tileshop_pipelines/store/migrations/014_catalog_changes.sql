-- What each refresh changed in the catalog, for the people who run it (`tileshop changes`,
-- GET /api/catalog/changes, the materializations' change tables). One row per change:
--   added     a product listed for the first time          (sitemap refresh)
--   delisted  a listed product no longer in the sitemap    (sitemap refresh)
--   returned  a delisted product listed again              (sitemap refresh)
--   price     the price or its unit changed: old/new {"price", "unit"}  (a new product version)
--   spec      one specification changed: field = its key, old/new its values (null: absent)
-- Rows are only ever added; refresh_id is the refresh cycle (sitemap_refreshes) it happened in.
CREATE TABLE IF NOT EXISTS catalog_changes (
    id           bigserial PRIMARY KEY,
    changed_at   timestamptz NOT NULL DEFAULT now(),
    refresh_id   bigint,
    product_key  text NOT NULL,
    sku          text,
    name         text,
    change       text NOT NULL CHECK (change IN ('added', 'delisted', 'returned', 'price', 'spec')),
    field        text,
    old_value    jsonb,
    new_value    jsonb
);
CREATE INDEX IF NOT EXISTS catalog_changes_changed_at ON catalog_changes (changed_at);
CREATE INDEX IF NOT EXISTS catalog_changes_product_key ON catalog_changes (product_key);
