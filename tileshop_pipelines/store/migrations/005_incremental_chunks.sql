-- What each product's chunks were made from: "<record_hash>:<chunker signature>". product_chunks
-- re-chunks only products whose record (or the chunker) changed since, instead of the catalog.
ALTER TABLE products ADD COLUMN IF NOT EXISTS chunked_as text;
