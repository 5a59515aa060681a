"""SQL of the monitoring page and the search analytics (request_rollups, client_activity,
crawl_queue_samples, search_questions), and the read-only queries it makes of Postgres' own views
and of Dagster's run storage (the same database; its tables are read, never written).

Latency is kept as counts in fixed buckets (LATENCY_BOUNDS_MS), so rollups from any number of
machines and minutes add up exactly, and p50/p95 are read from the sums (`quantile_ms`).
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import secrets

import psycopg
from psycopg.types.json import Jsonb

from tileshop_pipelines.store import db
from tileshop_pipelines.store.acquisition import current_cycle_start, due_counts

# Upper bounds of the latency buckets; a last bucket holds the longer ones. The thresholds of the
# post-migration checks (100 ms, 3 s) are bounds, so a check never straddles a bucket.
LATENCY_BOUNDS_MS = (
    1,
    2,
    3,
    4,
    5,
    6,
    8,
    10,
    12,
    15,
    20,
    25,
    30,
    40,
    50,
    60,
    80,
    100,
    120,
    150,
    200,
    250,
    300,
    400,
    500,
    600,
    800,
    1000,
    1200,
    1500,
    2000,
    2500,
    3000,
    4000,
    5000,
    6000,
    8000,
    10_000,
    15_000,
    20_000,
    30_000,
    60_000,
)
N_BUCKETS = len(LATENCY_BOUNDS_MS) + 1
ROLLUP_RETENTION = dt.timedelta(days=8)  # the page shows 24 h; a week back for comparison
CLIENT_RETENTION = dt.timedelta(days=2)
SALT_DAYS_KEPT = 2  # today's salt and yesterday's (a flush just after midnight hashes yesterday's clients)


def bucket_of(ms: float) -> int:
    return bisect.bisect_left(LATENCY_BOUNDS_MS, ms)


def quantile_ms(counts: list[int], q: float) -> float | None:
    """The q-quantile (0..1) of the latencies counted in `counts`, linear within its bucket;
    None without requests. In the last (open) bucket: its lower bound."""
    total = sum(counts)
    if total == 0:
        return None
    rank = q * total
    seen = 0
    for i, n in enumerate(counts):
        if n and seen + n >= rank:
            if i == len(LATENCY_BOUNDS_MS):
                return float(LATENCY_BOUNDS_MS[-1])
            low = LATENCY_BOUNDS_MS[i - 1] if i else 0.0
            return round(low + (LATENCY_BOUNDS_MS[i] - low) * (rank - seen) / n, 1)
        seen += n
    return float(LATENCY_BOUNDS_MS[-1])


# --- written by the app's flusher ------------------------------------------------------------
@dataclasses.dataclass(frozen=True)
class QuestionRecord:
    asked_at: dt.datetime
    question: str
    filters_read: dict
    filters_applied: dict
    filters_relaxed: bool
    result_count: int
    top_sku: str | None
    top_product_key: str | None
    mode: str
    llm_error: str | None
    retrieval_ms: float
    latency_ms: float
    visitor_hash: str | None = None  # the asking client, hashed with its day's salt (analytics_salt)


def add_request_rollups(
    conn: psycopg.Connection, rows: list[tuple[dt.datetime, str, str, int, int, list[int]]]
) -> None:
    """Add (minute, method, route, requests, errors, latency counts) to the stored rollups."""
    if not rows:
        return
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            """
            INSERT INTO request_rollups AS r (minute, method, route, requests, errors, latency_counts)
            VALUES (%s, %s, %s, %s, %s, %s)
            ON CONFLICT (minute, method, route) DO UPDATE SET
                requests = r.requests + EXCLUDED.requests, errors = r.errors + EXCLUDED.errors,
                latency_counts = ARRAY(SELECT a + b FROM unnest(r.latency_counts, EXCLUDED.latency_counts) AS t(a, b))
            """,
            rows,
        )


def analytics_salt(conn: psycopg.Connection, day: dt.date) -> bytes:
    """The salt of client hashes made on `day` (UTC), created by the first machine that asks, so
    every machine hashes a client alike that day. `prune` deletes it after SALT_DAYS_KEPT days."""
    conn.execute(
        "INSERT INTO analytics_salts (day, salt) VALUES (%s, %s) ON CONFLICT (day) DO NOTHING",
        (day, secrets.token_bytes(32)),
    )
    return bytes(db.one(conn.execute("SELECT salt FROM analytics_salts WHERE day = %s", (day,)))[0])


def record_clients(conn: psycopg.Connection, last_seen: dict[str, dt.datetime]) -> None:
    """{client hash: last seen}, merged into client_activity."""
    if not last_seen:
        return
    with conn.transaction(), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO client_activity AS c (client_hash, last_seen) VALUES (%s, %s) "
            "ON CONFLICT (client_hash) DO UPDATE SET last_seen = GREATEST(c.last_seen, EXCLUDED.last_seen)",
            sorted(last_seen.items()),
        )


QUESTION_COLUMNS = [f.name for f in dataclasses.fields(QuestionRecord)]


def record_questions(conn: psycopg.Connection, questions: list[QuestionRecord]) -> None:
    if not questions:
        return
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy(f"COPY search_questions ({', '.join(QUESTION_COLUMNS)}) FROM STDIN") as copy:
            for q in questions:
                copy.write_row([Jsonb(v) if isinstance(v, dict) else v for v in dataclasses.astuple(q)])


def sample_crawl_queue(conn: psycopg.Connection, max_age: dt.timedelta) -> bool:
    """Store the crawl queue's size for this minute unless a machine already did; True if stored."""
    if conn.execute("SELECT 1 FROM crawl_queue_samples WHERE minute = date_trunc('minute', now())").fetchone():
        return False
    queue = crawl_queue(conn, max_age)
    return (
        conn.execute(
            "INSERT INTO crawl_queue_samples (minute, due, failing, blocked, gone) "
            "VALUES (date_trunc('minute', now()), %s, %s, %s, %s) ON CONFLICT (minute) DO NOTHING",
            (queue["due"], queue["failing"], queue["blocked"], queue["gone"]),
        ).rowcount
        == 1
    )


def prune(conn: psycopg.Connection, question_retention: dt.timedelta) -> dict[str, int]:
    """Delete what is past its retention; the rows deleted per table."""
    deleted = {}
    with conn.transaction():
        for table, column, keep in (
            ("search_questions", "asked_at", question_retention),
            ("request_rollups", "minute", ROLLUP_RETENTION),
            ("crawl_queue_samples", "minute", ROLLUP_RETENTION),
            ("client_activity", "last_seen", CLIENT_RETENTION),
        ):
            deleted[table] = conn.execute(f"DELETE FROM {table} WHERE {column} < now() - %s", (keep,)).rowcount
        deleted["analytics_salts"] = conn.execute(
            "DELETE FROM analytics_salts WHERE day <= (now() AT TIME ZONE 'UTC')::date - %s", (SALT_DAYS_KEPT,)
        ).rowcount
    return deleted


# --- read by the monitoring page -------------------------------------------------------------
def connections(conn: psycopg.Connection) -> dict:
    """Client connections open on the server (every database, every application) and its limit."""
    in_use = db.one(conn.execute("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend'"))[0]
    by_application: dict[str, int] = dict(
        conn.execute(
            "SELECT coalesce(nullif(application_name, ''), '(unnamed)'), count(*) FROM pg_stat_activity "
            "WHERE backend_type = 'client backend' GROUP BY 1 ORDER BY 2 DESC, 1"
        ).fetchall()
    )
    limit = int(db.one(conn.execute("SELECT current_setting('max_connections')"))[0])
    return {"in_use": in_use, "limit": limit, "by_application": by_application}


def crawl_queue(conn: psycopg.Connection, max_age: dt.timedelta) -> dict:
    """Listed products due for a check now (store.acquisition.due_products' rules), and the listed
    products whose last check failed, came back blocked, or found the page gone."""
    due = due_counts(conn, max_age)
    states: dict[str, int] = dict(
        conn.execute(
            "SELECT state, count(*) FROM product_pages WHERE state IN ('failed', 'blocked', 'gone') "
            "AND product_key IN (SELECT product_key FROM listed_product_urls) GROUP BY state"
        ).fetchall()
    )
    return {
        "due": sum(due.values()),
        "due_by_reason": due,
        "failing": states.get("failed", 0),
        "blocked": states.get("blocked", 0),
        "gone": states.get("gone", 0),
    }


def last_refresh_scrapes(conn: psycopg.Connection) -> dict:
    """The pages fetched since the latest sitemap refresh started, and how many were answered
    (ok or gone; failed and blocked are not)."""
    started = current_cycle_start(conn)
    if started is None:
        return {"refresh_started_at": None, "fetched": 0, "succeeded": 0}
    fetched, succeeded = db.one(
        conn.execute(
            "SELECT count(*), count(*) FILTER (WHERE state IN ('ok', 'gone')) FROM product_pages WHERE fetched_at >= %s",
            (started,),
        )
    )
    return {"refresh_started_at": started, "fetched": fetched, "succeeded": succeeded}


# Requests, errors and element-wise summed latency counts of the rollups in `since`, grouped by
# {keys} (one pass over the rows: the counts are unnested once, not once per group).
_SUMMED = """
    WITH w AS ({rows}),
    totals AS (SELECT {keys}, sum(requests)::int AS requests, sum(errors)::int AS errors FROM w GROUP BY {keys}),
    buckets AS (SELECT {keys}, i, sum(c)::int AS c FROM w, unnest(w.latency_counts) WITH ORDINALITY AS u(c, i)
                GROUP BY {keys}, i),
    counts AS (SELECT {keys}, array_agg(c ORDER BY i) AS latency_counts FROM buckets GROUP BY {keys})
    SELECT {keys}, requests, errors, latency_counts FROM totals JOIN counts USING ({keys})
"""


def route_latency(conn: psycopg.Connection, since: dt.timedelta) -> list[dict]:
    """Per method and route over the last `since`: requests, errors and the summed latency counts."""
    query = _SUMMED.format(rows="SELECT * FROM request_rollups WHERE minute >= now() - %(since)s", keys="method, route")
    rows = conn.execute(query + " ORDER BY requests DESC, route, method", {"since": since}).fetchall()
    return [
        {"method": m, "route": r, "requests": n, "errors": e, "latency_counts": counts} for m, r, n, e, counts in rows
    ]


def request_series(conn: psycopg.Connection, since: dt.timedelta, step: dt.timedelta) -> list[dict]:
    """All routes together, per `step` over the last `since`: requests, errors, latency counts."""
    query = _SUMMED.format(
        rows="SELECT date_bin(%(step)s, minute, timestamptz '2000-01-01') AS at, requests, errors, "
        "latency_counts FROM request_rollups WHERE minute >= now() - %(since)s",
        keys="at",
    )
    rows = conn.execute(query + " ORDER BY at", {"since": since, "step": step}).fetchall()
    return [{"at": at, "requests": n, "errors": e, "latency_counts": counts} for at, n, e, counts in rows]


def queue_series(conn: psycopg.Connection, since: dt.timedelta) -> list[dict]:
    rows = conn.execute(
        "SELECT minute, due, failing, blocked, gone FROM crawl_queue_samples "
        "WHERE minute >= now() - %s ORDER BY minute",
        (since,),
    ).fetchall()
    return [
        {"at": at, "due": due, "failing": failing, "blocked": blocked, "gone": gone}
        for at, due, failing, blocked, gone in rows
    ]


def active_clients(conn: psycopg.Connection, since: dt.timedelta) -> int:
    return db.one(conn.execute("SELECT count(*) FROM client_activity WHERE last_seen >= now() - %s", (since,)))[0]


def answer_summary(conn: psycopg.Connection, since: dt.timedelta) -> dict:
    """Answers by mode, Claude's failures by kind, and the p95 of the database part and of the
    whole answer, over the last `since`."""
    modes: dict[str, int] = dict(
        conn.execute(
            "SELECT mode, count(*) FROM search_questions WHERE asked_at >= now() - %s GROUP BY mode ORDER BY mode",
            (since,),
        ).fetchall()
    )
    llm_errors: dict[str, int] = dict(
        conn.execute(
            "SELECT llm_error, count(*) FROM search_questions WHERE asked_at >= now() - %s AND llm_error IS NOT NULL "
            "GROUP BY llm_error ORDER BY 2 DESC, 1",
            (since,),
        ).fetchall()
    )
    n, retrieval_p95, latency_p50, latency_p95 = db.one(
        conn.execute(
            "SELECT count(*), percentile_cont(0.95) WITHIN GROUP (ORDER BY retrieval_ms), "
            "percentile_cont(0.5) WITHIN GROUP (ORDER BY latency_ms), "
            "percentile_cont(0.95) WITHIN GROUP (ORDER BY latency_ms) "
            "FROM search_questions WHERE asked_at >= now() - %s",
            (since,),
        )
    )
    return {
        "answers": n,
        "by_mode": modes,
        "llm_errors": llm_errors,
        "retrieval_p95_ms": _rounded(retrieval_p95),
        "answer_p50_ms": _rounded(latency_p50),
        "answer_p95_ms": _rounded(latency_p95),
    }


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


# The question as the catalog team reads it: case and spacing folded.
_SAME_QUESTION = "lower(regexp_replace(btrim(question), '\\s+', ' ', 'g'))"


def frequent_questions(conn: psycopg.Connection, since: dt.timedelta, limit: int) -> list[dict]:
    """The questions asked most, each by more than one visitor: a question only one person asked
    may say who they are."""
    rows = conn.execute(
        f"""
        SELECT {_SAME_QUESTION} AS q, count(*), round(avg(result_count), 1)::float,
               count(*) FILTER (WHERE result_count = 0), count(*) FILTER (WHERE filters_relaxed),
               mode() WITHIN GROUP (ORDER BY top_sku)
          FROM search_questions WHERE asked_at >= now() - %s
         GROUP BY q HAVING count(DISTINCT visitor_hash) > 1 ORDER BY count(*) DESC, q LIMIT %s
        """,
        (since, limit),
    ).fetchall()
    return [
        {"question": q, "asked": n, "mean_results": mean, "found_nothing": none, "relaxed": relaxed, "top_sku": sku}
        for q, n, mean, none, relaxed, sku in rows
    ]


def unmet_questions(conn: psycopg.Connection, since: dt.timedelta, limit: int) -> list[dict]:
    """Questions that found nothing, or whose filters matched nothing and were dropped: what
    shoppers look for and cannot find."""
    rows = conn.execute(
        f"""
        SELECT {_SAME_QUESTION} AS q, count(*), count(*) FILTER (WHERE result_count = 0),
               count(*) FILTER (WHERE filters_relaxed), (array_agg(filters_read ORDER BY asked_at DESC))[1],
               max(asked_at)
          FROM search_questions
         WHERE asked_at >= now() - %s AND (result_count = 0 OR filters_relaxed)
         GROUP BY q ORDER BY count(*) DESC, max(asked_at) DESC, q LIMIT %s
        """,
        (since, limit),
    ).fetchall()
    return [
        {
            "question": q,
            "asked": n,
            "found_nothing": none,
            "relaxed": relaxed,
            "filters_read": filters,
            "last_asked_at": last,
        }
        for q, n, none, relaxed, filters, last in rows
    ]


def last_sitemap_refresh(conn: psycopg.Connection) -> dt.datetime | None:
    return current_cycle_start(conn)


def _dagster_table(conn: psycopg.Connection, name: str) -> bool:
    return db.one(conn.execute("SELECT to_regclass(%s)", (name,)))[0] is not None


def dagster_last_materialization(conn: psycopg.Connection, asset: str) -> dt.datetime | None:
    """When Dagster last recorded a materialization of `asset` (its freshness policies judge that
    time); None when it never did, or Dagster's storage is not in this database."""
    if not _dagster_table(conn, "event_logs"):
        return None
    return db.one(
        conn.execute(
            "SELECT max(timestamp) AT TIME ZONE 'UTC' FROM event_logs "
            "WHERE asset_key = %s AND dagster_event_type = 'ASSET_MATERIALIZATION'",
            (f'["{asset}"]',),
        )
    )[0]


def dagster_run_counts(conn: psycopg.Connection) -> dict[str, int] | None:
    """Dagster's runs by status (only the statuses some run has); None when its run storage is not
    in this database. One grouped query: a count per status through Dagster's API took 9 queries."""
    if not _dagster_table(conn, "runs"):
        return None
    return dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())


def failed_runs(conn: psycopg.Connection, limit: int) -> list[dict] | None:
    """The latest failed Dagster runs; None when Dagster's run storage is not in this database."""
    if not _dagster_table(conn, "runs"):
        return None
    rows = conn.execute(
        "SELECT run_id, pipeline_name, update_timestamp AT TIME ZONE 'UTC' FROM runs WHERE status = 'FAILURE' "
        "ORDER BY update_timestamp DESC, id DESC LIMIT %s",
        (limit,),
    ).fetchall()
    return [{"run_id": run_id, "job": job, "failed_at": at} for run_id, job, at in rows]
