-- The documents product pages list (productData Documents: data sheets, installation
-- instructions, safety data sheets, warranties), fetched once per distinct URL however many
-- products name it, and their text per page. A product that stops naming a document unlinks it
-- (unlinked_at); no document, link or version is deleted.

CREATE TABLE IF NOT EXISTS documents (
    document_id    bigserial PRIMARY KEY,
    url            text NOT NULL UNIQUE,
    host           text NOT NULL,
    -- The name the linking pages give it (the latest one seen).
    name           text NOT NULL,
    -- pending: never fetched; ok: fetched and parsed; failed: this attempt failed (reason says
    -- why, the last good text stays); refused: never fetched (host outside the allow-list);
    -- gone: 404/410 at its address.
    state          text NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'ok', 'failed', 'refused', 'gone')),
    reason         text,
    -- Of the bytes last fetched successfully; text in document_pages is of parsed_hash.
    content_hash   text,
    parsed_hash    text,
    etag           text,
    last_modified  text,
    content_type   text,
    byte_size      bigint,
    page_count     integer,
    attempts       integer NOT NULL DEFAULT 0,
    first_seen_at  timestamptz NOT NULL DEFAULT now(),
    checked_at     timestamptz,
    fetched_at     timestamptz,
    parsed_at      timestamptz
);
CREATE INDEX IF NOT EXISTS documents_state ON documents (state);

-- Which products name which document, and under what name.
CREATE TABLE IF NOT EXISTS document_links (
    document_id  bigint NOT NULL REFERENCES documents (document_id),
    product_key  text NOT NULL,
    name         text NOT NULL,
    linked_at    timestamptz NOT NULL DEFAULT now(),
    unlinked_at  timestamptz,
    PRIMARY KEY (document_id, product_key)
);
CREATE INDEX IF NOT EXISTS document_links_product_key ON document_links (product_key);

-- The text of each page of the version parsed last (1-based page numbers).
CREATE TABLE IF NOT EXISTS document_pages (
    document_id   bigint NOT NULL REFERENCES documents (document_id),
    page_number   integer NOT NULL CHECK (page_number >= 1),
    content_hash  text NOT NULL,
    text          text NOT NULL,
    PRIMARY KEY (document_id, page_number)
);

-- Every version fetched (a new content hash), so a changed data sheet keeps its past.
CREATE TABLE IF NOT EXISTS document_history (
    document_id   bigint NOT NULL REFERENCES documents (document_id),
    content_hash  text NOT NULL,
    etag          text,
    last_modified text,
    byte_size     bigint,
    page_count    integer,
    fetched_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (document_id, content_hash)
);
