-- The monitoring page's figures, kept in Postgres so that they survive a restart and agree across
-- app machines: each machine buffers its requests and adds them here every few seconds
-- (rag_app.monitoring). One row per minute, method and route template; latency_counts[i] counts
-- the requests that took at most store.monitoring.LATENCY_BOUNDS_MS[i] (the last element: longer).
CREATE TABLE IF NOT EXISTS request_rollups (
    minute          timestamptz NOT NULL,
    method          text NOT NULL,
    route           text NOT NULL,
    requests        integer NOT NULL,
    errors          integer NOT NULL,     -- 5xx answers
    latency_counts  integer[] NOT NULL,
    PRIMARY KEY (minute, method, route)
);

-- Shoppers seen, as salted hashes of their address (never the address): the "active users" figure.
-- Rows older than two days are pruned.
CREATE TABLE IF NOT EXISTS client_activity (
    client_hash  text PRIMARY KEY,
    last_seen    timestamptz NOT NULL
);
CREATE INDEX IF NOT EXISTS client_activity_last_seen ON client_activity (last_seen);

-- The salt of those hashes: one per database, so every machine hashes a client alike.
CREATE TABLE IF NOT EXISTS analytics_salt (
    id    integer PRIMARY KEY CHECK (id = 1),
    salt  bytea NOT NULL
);

-- The crawl queue's size once a minute (whichever machine samples a minute first), for its chart.
CREATE TABLE IF NOT EXISTS crawl_queue_samples (
    minute   timestamptz PRIMARY KEY,
    due      integer NOT NULL,
    failing  integer NOT NULL,
    blocked  integer NOT NULL,
    gone     integer NOT NULL
);
