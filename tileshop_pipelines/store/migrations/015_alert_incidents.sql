-- Alerts sent to the on-call webhook (tileshop_pipelines/alerts.py), at most one per incident.
-- An incident is open from its first failure until the same subject recovers (the job's next
-- successful run, the check passing, the asset fresh again): while it is open, more failures of
-- that subject are counted here, not posted. The partial unique index makes "open it, or find it
-- open" one atomic statement across sensor ticks and processes.
CREATE TABLE IF NOT EXISTS alert_incidents (
    id             bigserial PRIMARY KEY,
    incident_key   text NOT NULL,
    kind           text NOT NULL CHECK (kind IN ('run_failure', 'check_failure', 'freshness')),
    summary        text NOT NULL,
    link           text,
    opened_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at   timestamptz NOT NULL DEFAULT now(),
    occurrences    integer NOT NULL DEFAULT 1,
    notified_at    timestamptz,
    delivery       text,          -- posted | logged (no webhook set) | failed: <reason>
    resolved_at    timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS alert_incidents_open ON alert_incidents (incident_key) WHERE resolved_at IS NULL;
