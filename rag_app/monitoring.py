"""The monitoring page's data: what each app machine records, and the report read back from Postgres.

Recording is off the request path: a request adds one count to an in-process buffer (a dict
update under a lock), a question one record to a list; a thread of its own adds the buffers to
Postgres every `flush_s` seconds over a connection of its own (store.monitoring), hashes client
addresses with the salt of their day on the way (the address never leaves the process; a day's salt
is deleted two days later, so older hashes can be neither reversed nor joined), samples the
crawl queue once a minute and prunes what is past its retention once an hour. So the figures
survive a restart (the lifespan flushes at stop) and every machine's requests add up in the same
rows. A flush is one transaction: one that fails (Postgres restarting, its session killed) stored
nothing, and is put back and retried with the next one.

`report` reads it all back for `/api/admin/monitoring`, with the plan's five post-migration checks.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import hashlib
import logging
import threading
import time

import psycopg

from rag_app.personal_data import redact
from tileshop_pipelines.freshness import FRESHNESS_WINDOWS
from tileshop_pipelines.store import db
from tileshop_pipelines.store import monitoring as sql
from tileshop_pipelines.store.monitoring import N_BUCKETS, QuestionRecord, bucket_of, quantile_ms

log = logging.getLogger("rag_app.monitoring")

APPLICATION_NAME = "rag_app monitoring"  # the flusher's session in pg_stat_activity
MAX_BUFFERED_QUESTIONS = 50_000  # while Postgres is away; past that the oldest are dropped
PRUNE_EVERY_S = 3600.0
QUESTION_MAX_CHARS = 500


@dataclasses.dataclass
class _Buffers:
    # (epoch minute, method, route) -> [requests, errors, latency counts...]
    requests: dict[tuple[int, str, str], list[int]] = dataclasses.field(default_factory=dict)
    clients: dict[str, float] = dataclasses.field(default_factory=dict)  # address -> last seen (epoch s)
    # (the question, the asking client's address or None)
    questions: collections.deque[tuple[QuestionRecord, str | None]] = dataclasses.field(
        default_factory=lambda: collections.deque(maxlen=MAX_BUFFERED_QUESTIONS)
    )  # the oldest dropped past it

    def merge(self, other: _Buffers) -> None:
        """Add `other` (buffered after these) to these."""
        for key, row in other.requests.items():
            mine = self.requests.setdefault(key, [0] * (2 + N_BUCKETS))
            for i, n in enumerate(row):
                mine[i] += n
        for client, seen in other.clients.items():
            self.clients[client] = max(seen, self.clients.get(client, 0.0))
        self.questions.extend(other.questions)


def _minute(epoch_minute: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch_minute * 60, dt.UTC)


class MonitoringRecorder:
    def __init__(self, *, flush_s: float, question_retention: dt.timedelta, crawl_max_age: dt.timedelta):
        self.database_url: str | None = None  # set by start
        self.flush_s = flush_s
        self.question_retention = question_retention
        self.crawl_max_age = crawl_max_age
        self._buffers = _Buffers()
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._conn: psycopg.Connection | None = None
        self._conn_opened_at = 0.0
        self._salts: dict[dt.date, bytes] = {}  # the days' salts read so far (store.monitoring.analytics_salt)
        self._pruned_at = float("-inf")  # the first flush prunes (monotonic time may start near 0 at boot)

    @classmethod
    def for_settings(cls, settings) -> MonitoringRecorder:
        """The recorder `settings` (a config.Settings) describe."""
        return cls(
            flush_s=settings.analytics_flush_s,
            question_retention=dt.timedelta(days=settings.analytics_retention_days),
            crawl_max_age=dt.timedelta(days=settings.max_age_days),
        )

    # --- on the request path: in memory only ---------------------------------------------------
    def request(self, method: str, route: str, status: int, seconds: float, client: str | None) -> None:
        now = time.time()
        key = (int(now // 60), method, route)
        bucket = 2 + bucket_of(seconds * 1000)
        with self._lock:
            row = self._buffers.requests.get(key)
            if row is None:
                row = self._buffers.requests[key] = [0] * (2 + N_BUCKETS)
            row[0] += 1
            row[1] += status >= 500
            row[bucket] += 1
            if client is not None:
                self._buffers.clients[client] = now

    def question(self, record: QuestionRecord, client: str | None = None) -> None:
        """One answered question (`record.question` already redacted: question_record), and the
        address of the client who asked, hashed at the flush."""
        if len(record.question) > QUESTION_MAX_CHARS:
            record = dataclasses.replace(record, question=record.question[:QUESTION_MAX_CHARS])
        with self._lock:
            self._buffers.questions.append((record, client))

    # --- the flusher -----------------------------------------------------------------------------
    def start(self, database_url: str) -> None:
        self.database_url = database_url
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(target=self._run, name="monitoring-flush", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the thread, then flush what is left (a restart loses no count)."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(timeout=10)
            self._thread = None
        self.flush()
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _run(self) -> None:
        while not self._stop.wait(self.flush_s):
            self.flush()

    def _connection(self) -> psycopg.Connection:
        """The flusher's own connection (used every flush_s, so never idle for long), renewed past
        db.CONNECTION_MAX_LIFETIME_S, before a proxy restart would cut it."""
        if self._conn is not None and time.monotonic() - self._conn_opened_at > db.CONNECTION_MAX_LIFETIME_S:
            self._conn.close()
        if self.database_url is None:
            raise RuntimeError("the recorder is not started")
        if self._conn is None or self._conn.closed:
            self._conn = psycopg.connect(
                db.libpq_url(self.database_url), autocommit=True, application_name=APPLICATION_NAME, connect_timeout=5
            )
            self._conn_opened_at = time.monotonic()
        return self._conn

    def client_hash(self, conn: psycopg.Connection, address: str, at: dt.datetime) -> str:
        """`address` hashed with the salt of `at`'s UTC day (one read of the database per day)."""
        day = at.astimezone(dt.UTC).date()
        salt = self._salts.get(day)
        if salt is None:
            salt = sql.analytics_salt(conn, day)
            self._salts = {d: s for d, s in self._salts.items() if d >= day - dt.timedelta(days=1)} | {day: salt}
        return hashlib.blake2b(address.encode(), key=salt, digest_size=16).hexdigest()

    def flush(self) -> bool:
        """Add the buffers to Postgres now; False (the buffers kept for the next flush) on failure."""
        if self.database_url is None:
            return False
        with self._flush_lock:
            with self._lock:
                taken, self._buffers = self._buffers, _Buffers()
            try:
                conn = self._connection()
                # One transaction: the batch is stored whole or not at all, so putting it back after
                # a failure never adds a part twice (separate commits counted 20 chats as 40).
                with conn.transaction():
                    sql.add_request_rollups(
                        conn,
                        [
                            (_minute(minute), method, route, row[0], row[1], row[2:])
                            for (minute, method, route), row in sorted(taken.requests.items())
                        ],
                    )
                    seen_at = {
                        address: dt.datetime.fromtimestamp(seen, dt.UTC) for address, seen in taken.clients.items()
                    }
                    sql.record_clients(
                        conn, {self.client_hash(conn, address, at): at for address, at in seen_at.items()}
                    )
                    sql.record_questions(
                        conn,
                        [
                            record
                            if client is None
                            else dataclasses.replace(
                                record, visitor_hash=self.client_hash(conn, client, record.asked_at)
                            )
                            for record, client in taken.questions
                        ],
                    )
                taken = _Buffers()  # committed: a later failure must not put these back
                sql.sample_crawl_queue(conn, self.crawl_max_age)
                if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
                    deleted = sql.prune(conn, self.question_retention)
                    self._pruned_at = time.monotonic()
                    if any(deleted.values()):
                        log.info("monitoring: pruned %s", deleted)
                return True
            except (psycopg.Error, OSError) as exc:
                self._salts = {}  # a salt read in a transaction that failed may never have been stored
                if self._conn is not None:
                    self._conn.close()
                    self._conn = None
                with self._lock:
                    taken.merge(self._buffers)
                    self._buffers = taken
                    kept = len(taken.questions)
                log.warning(
                    "monitoring: flush to Postgres failed (%s); kept for the next one (%d questions)",
                    type(exc).__name__,
                    kept,
                )
                return False


# --- the report ------------------------------------------------------------------------------
WINDOWS = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(hours=24)}
SERIES_STEP = {"1h": dt.timedelta(minutes=1), "24h": dt.timedelta(minutes=15)}
QUESTIONS_LISTED = 15
QUESTIONS_SINCE = dt.timedelta(days=7)  # what shoppers asked: a week, so rarer questions show too
FAILED_RUNS_LISTED = 10
# The plan's post-migration checks (query times < 100 ms, scraping success > 95%, RAG < 3 s,
# errors < 1%); the fifth: the index within its freshness window.
QUERY_P95_MS = 100.0
SCRAPE_SUCCESS_MIN = 0.95
ANSWER_P95_MS = 3000.0
ERROR_RATE_MAX = 0.01


def _latency(counts: list[int]) -> dict:
    return {"p50_ms": quantile_ms(counts, 0.50), "p95_ms": quantile_ms(counts, 0.95)}


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _check(name: str, label: str, value, threshold, unit: str, passed: bool | None) -> dict:
    return {
        "name": name,
        "label": label,
        "value": value,
        "threshold": threshold,
        "unit": unit,
        "status": "no_data" if passed is None else "pass" if passed else "fail",
    }


def checks(
    *,
    retrieval_p95_ms: float | None,
    scrape_success: float | None,
    answer_p95_ms: float | None,
    error_rate: float | None,
    vectors: str,
) -> list[dict]:
    """The five post-migration checks, each pass / fail against its threshold, or no_data."""

    def below(value, limit):
        return None if value is None else value < limit

    return [
        _check(
            "query_times",
            "Database query time p95 (24 h)",
            retrieval_p95_ms,
            QUERY_P95_MS,
            "< ms",
            below(retrieval_p95_ms, QUERY_P95_MS),
        ),
        _check(
            "scraping_success",
            "Scraping success (last refresh)",
            scrape_success,
            SCRAPE_SUCCESS_MIN,
            "> ratio",
            None if scrape_success is None else scrape_success > SCRAPE_SUCCESS_MIN,
        ),
        _check(
            "rag_latency",
            "Chat answer p95 (24 h)",
            answer_p95_ms,
            ANSWER_P95_MS,
            "< ms",
            below(answer_p95_ms, ANSWER_P95_MS),
        ),
        _check(
            "error_rate", "Error rate (24 h)", error_rate, ERROR_RATE_MAX, "< ratio", below(error_rate, ERROR_RATE_MAX)
        ),
        _check(
            "vectors_fresh",
            "Vectors within their freshness window",
            vectors,
            "fresh",
            "state",
            None if vectors == "never" else vectors != "late",
        ),
    ]


def _freshness(asset: str, last: dt.datetime | None, now: dt.datetime) -> dict:
    window = FRESHNESS_WINDOWS[asset]
    return {
        "last": last,
        "warn_after_h": window.warn.total_seconds() / 3600,
        "fail_after_h": window.fail.total_seconds() / 3600,
        "state": window.verdict(last, now),
    }


def report(conn: psycopg.Connection, *, crawl_max_age: dt.timedelta, dagster_ui_url: str) -> dict:
    """Everything the monitoring page shows, from Postgres (so every machine reports the same)."""
    now = db.one(conn.execute("SELECT now()"))[0]
    routes: dict[tuple[str, str], dict] = {}
    totals = {}
    for window, since in WINDOWS.items():
        all_counts, all_requests, all_errors = [0] * N_BUCKETS, 0, 0
        for row in sql.route_latency(conn, since):
            entry = routes.setdefault((row["method"], row["route"]), {"method": row["method"], "route": row["route"]})
            entry[window] = {
                "requests": row["requests"],
                "errors": row["errors"],
                "error_rate": _ratio(row["errors"], row["requests"]),
                **_latency(row["latency_counts"]),
            }
            # not strict: a rollup stored under other latency bounds adds what it has in common
            all_counts = [a + b for a, b in zip(all_counts, row["latency_counts"], strict=False)]
            all_requests += row["requests"]
            all_errors += row["errors"]
        totals[window] = {
            "requests": all_requests,
            "errors": all_errors,
            "error_rate": _ratio(all_errors, all_requests),
            **_latency(all_counts),
        }
    series = {
        window: [
            {
                "at": p["at"],
                "requests": p["requests"],
                "errors": p["errors"],
                "error_rate": _ratio(p["errors"], p["requests"]),
                **_latency(p["latency_counts"]),
            }
            for p in sql.request_series(conn, since, SERIES_STEP[window])
        ]
        for window, since in WINDOWS.items()
    }
    scrapes = sql.last_refresh_scrapes(conn)
    scrape_success = _ratio(scrapes["succeeded"], scrapes["fetched"])
    answers = sql.answer_summary(conn, WINDOWS["24h"])
    freshness = {
        "sitemap_urls": _freshness("sitemap_urls", sql.last_sitemap_refresh(conn), now),
        "product_vectors": _freshness(
            "product_vectors", sql.dagster_last_materialization(conn, "product_vectors"), now
        ),
    }
    runs = sql.failed_runs(conn, FAILED_RUNS_LISTED)
    return {
        "generated_at": now,
        "database": sql.connections(conn),
        "crawl_queue": {**sql.crawl_queue(conn, crawl_max_age), "max_age_days": crawl_max_age.total_seconds() / 86400},
        "scraping": {**scrapes, "success_rate": scrape_success},
        "requests": {"total": totals, "routes": sorted(routes.values(), key=lambda r: (r["route"], r["method"]))},
        "answers": answers,
        "active_users_24h": sql.active_clients(conn, WINDOWS["24h"]),
        "freshness": freshness,
        "failed_runs": None
        if runs is None
        else [{**run, "url": f"{dagster_ui_url}/runs/{run['run_id']}"} for run in runs],
        "dagster_ui_url": dagster_ui_url,
        "checks": checks(
            retrieval_p95_ms=answers["retrieval_p95_ms"],
            scrape_success=scrape_success,
            answer_p95_ms=answers["answer_p95_ms"],
            error_rate=totals["24h"]["error_rate"],
            vectors=freshness["product_vectors"]["state"],
        ),
        "series": {**series, "crawl_queue": sql.queue_series(conn, WINDOWS["24h"])},
        "questions": {
            "frequent": sql.frequent_questions(conn, QUESTIONS_SINCE, QUESTIONS_LISTED),
            "unmet": sql.unmet_questions(conn, QUESTIONS_SINCE, QUESTIONS_LISTED),
            "since_days": QUESTIONS_SINCE.days,
        },
    }


def question_record(question: str, found, mode: str, llm_error: str | None, latency_s: float) -> QuestionRecord:
    """What search analytics keeps of one answered question (`found`: a retrieval.Retrieval)."""
    top = found.hits[0] if found.hits else None
    return QuestionRecord(
        asked_at=dt.datetime.now(dt.UTC),
        question=redact(" ".join(question.split())),
        filters_read=found.parsed.filters.active(),
        filters_applied=found.filters.active(),
        filters_relaxed=found.relaxed,
        result_count=len(found.hits),
        top_sku=top.sku if top else None,
        top_product_key=top.product_key if top else None,
        mode=mode,
        llm_error=llm_error,
        retrieval_ms=round(found.seconds * 1000, 2),
        latency_ms=round(latency_s * 1000, 2),
    )
