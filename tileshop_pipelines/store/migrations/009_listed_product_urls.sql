-- The one definition of "listed": a product URL still in the sitemap. A product is listed while at
-- least one of its URLs is; products the site removed or discontinued have none, and their chunks
-- leave the index. A plain view, so the planner inlines it (same plans as the predicate written out).
CREATE OR REPLACE VIEW listed_product_urls AS
    SELECT * FROM sitemap_urls WHERE kind = 'product' AND removed_at IS NULL;
