import datetime as dt

import pytest

from tileshop_pipelines.crawl.checks import Outcome, PageCheck
from tileshop_pipelines.store import monitoring as sql
from tileshop_pipelines.store.acquisition import ListedUrl, due_counts, due_products, record_page_checks, record_sitemap

NOW = dt.datetime.now(dt.UTC).replace(second=0, microsecond=0)


def counts(**at_ms: int) -> list[int]:
    """Latency counts with n requests at each `ms<value>` (ms30=3: three requests of 30 ms)."""
    row = [0] * sql.N_BUCKETS
    for name, n in at_ms.items():
        row[sql.bucket_of(float(name[2:]))] += n
    return row


def test_buckets_and_quantiles():
    assert sql.bucket_of(0.2) == 0 and sql.bucket_of(1) == 0 and sql.bucket_of(1.01) == 1
    assert sql.bucket_of(100) == sql.LATENCY_BOUNDS_MS.index(100)  # the 100 ms check's bound is a bound
    assert sql.bucket_of(10**6) == len(sql.LATENCY_BOUNDS_MS)  # the open last bucket
    assert sql.quantile_ms([0] * sql.N_BUCKETS, 0.5) is None
    row = counts(ms30=19, ms700=1)
    assert 25 < sql.quantile_ms(row, 0.5) <= 30  # inside the (25, 30] bucket
    assert 25 < sql.quantile_ms(row, 0.95) <= 30  # the 19th of 20
    assert 600 < sql.quantile_ms(row, 0.99) <= 800
    assert sql.quantile_ms(counts(ms99999=1), 0.5) == sql.LATENCY_BOUNDS_MS[-1]


def test_rollups_from_several_flushes_add_up(conn):
    sql.add_request_rollups(conn, [(NOW, "POST", "/api/chat", 20, 1, counts(ms30=19, ms700=1))])
    sql.add_request_rollups(
        conn, [(NOW, "POST", "/api/chat", 2, 2, counts(ms5000=2)), (NOW, "GET", "/", 1, 0, counts(ms2=1))]
    )
    routes = {r["route"]: r for r in sql.route_latency(conn, dt.timedelta(hours=1))}
    chat = routes["/api/chat"]
    assert (chat["requests"], chat["errors"]) == (22, 3)
    assert chat["latency_counts"] == [a + b for a, b in zip(counts(ms30=19, ms700=1), counts(ms5000=2), strict=True)]
    assert routes["/"]["requests"] == 1
    # an hour-old minute is in the 24 h window only
    sql.add_request_rollups(conn, [(NOW - dt.timedelta(hours=3), "POST", "/api/chat", 5, 0, counts(ms10=5))])
    assert {r["route"]: r["requests"] for r in sql.route_latency(conn, dt.timedelta(hours=1))}["/api/chat"] == 22
    assert {r["route"]: r["requests"] for r in sql.route_latency(conn, dt.timedelta(hours=24))}["/api/chat"] == 27
    series = sql.request_series(conn, dt.timedelta(hours=24), dt.timedelta(minutes=15))
    assert [p["requests"] for p in series] == [5, 23]


def test_crawl_queue_counts_follow_due_products(conn):
    listed = [ListedUrl(f"http://site/products/p-{i}", "product", f"p-{i}", str(i), None) for i in range(6)]
    record_sitemap(conn, listed)
    record_page_checks(
        conn,
        [
            PageCheck("p-0", listed[0].url, Outcome.OK, 200, html="<html>0</html>"),
            PageCheck("p-1", listed[1].url, Outcome.FAILED, 503, error="HTTP 503"),
            PageCheck("p-2", listed[2].url, Outcome.BLOCKED, 200, error="home page"),
            PageCheck("p-3", listed[3].url, Outcome.GONE, 404),
        ],
    )
    queue = sql.crawl_queue(conn, dt.timedelta(days=7))
    # p-4, p-5 never fetched; p-1 and p-2 wait for their backoff
    assert queue["due_by_reason"] == {"new": 2, "changed": 0, "retry": 0, "stale": 0}
    assert queue["due"] == len(due_products(conn, max_age=dt.timedelta(days=7), limit=100)) == 2
    assert (queue["failing"], queue["blocked"], queue["gone"]) == (1, 1, 1)
    conn.execute("UPDATE product_pages SET next_attempt_at = now() - interval '1 minute'")
    assert due_counts(conn, dt.timedelta(days=7))["retry"] == 2
    scrapes = sql.last_refresh_scrapes(conn)
    assert (scrapes["fetched"], scrapes["succeeded"]) == (4, 2)  # ok and gone answered; failed, blocked not
    assert sql.sample_crawl_queue(conn, dt.timedelta(days=7)) is True
    assert sql.sample_crawl_queue(conn, dt.timedelta(days=7)) is False  # one sample a minute, any machine
    assert [(s["due"], s["failing"]) for s in sql.queue_series(conn, dt.timedelta(hours=1))] == [(4, 1)]


def question(
    text: str,
    *,
    at: dt.datetime = NOW,
    results: int = 3,
    relaxed: bool = False,
    mode: str = "offline",
    llm_error: str | None = None,
    retrieval_ms: float = 12.0,
    latency_ms: float = 40.0,
    filters_read: dict | None = None,
    visitor: str | None = "v1",
) -> sql.QuestionRecord:
    return sql.QuestionRecord(
        asked_at=at,
        question=text,
        filters_read=filters_read or {},
        filters_applied={},
        filters_relaxed=relaxed,
        result_count=results,
        top_sku="684287" if results else None,
        top_product_key="684287" if results else None,
        mode=mode,
        llm_error=llm_error,
        retrieval_ms=retrieval_ms,
        latency_ms=latency_ms,
        visitor_hash=visitor,
    )


def test_questions_lists_summary_and_retention(conn):
    sql.record_questions(
        conn,
        [
            question("white matte tile"),
            question("White  matte tile ", visitor="v2"),
            question("white matte tile", mode="claude"),
            question("my order 1234", visitor="v3"),
            question("my order 1234", visitor="v3"),  # one visitor: not listed
            question("purple terrazzo under $1 per box", results=5, relaxed=True, filters_read={"color": "purple"}),
            question("unicorn tile", results=0, llm_error="timeout", latency_ms=4000.0, retrieval_ms=150.0),
            question("old question", at=NOW - dt.timedelta(days=100)),
        ],
    )
    frequent = sql.frequent_questions(conn, dt.timedelta(days=7), 10)
    assert frequent == [
        {
            "question": "white matte tile",
            "asked": 3,
            "mean_results": 3.0,
            "found_nothing": 0,
            "relaxed": 0,
            "top_sku": "684287",
        }
    ]
    unmet = {q["question"]: q for q in sql.unmet_questions(conn, dt.timedelta(days=7), 10)}
    assert set(unmet) == {"purple terrazzo under $1 per box", "unicorn tile"}
    assert unmet["purple terrazzo under $1 per box"]["filters_read"] == {"color": "purple"}
    assert unmet["unicorn tile"]["found_nothing"] == 1
    summary = sql.answer_summary(conn, dt.timedelta(hours=24))
    assert summary["answers"] == 7 and summary["by_mode"] == {"claude": 1, "offline": 6}
    assert summary["llm_errors"] == {"timeout": 1}
    assert summary["retrieval_p95_ms"] == pytest.approx(12 + 0.7 * (150 - 12), abs=0.1)  # percentile_cont, 7 rows
    deleted = sql.prune(conn, dt.timedelta(days=90))
    assert deleted["search_questions"] == 1
    assert conn.execute("SELECT count(*) FROM search_questions").fetchone()[0] == 7


def test_clients_are_salted_hashes_and_salt_is_shared(conn):
    today = NOW.date()
    salt = sql.analytics_salt(conn, today)
    assert len(salt) == 32 and sql.analytics_salt(conn, today) == salt  # every machine gets the same one
    assert sql.analytics_salt(conn, today - dt.timedelta(days=1)) != salt  # one salt per day
    sql.analytics_salt(conn, today - dt.timedelta(days=2))
    assert sql.prune(conn, dt.timedelta(days=90))["analytics_salts"] >= 1  # the days before yesterday's
    assert {d for (d,) in conn.execute("SELECT day FROM analytics_salts")} <= {today, today - dt.timedelta(days=1)}
    sql.record_clients(conn, {"h1": NOW, "h2": NOW - dt.timedelta(hours=30)})
    sql.record_clients(conn, {"h2": NOW})  # seen again: counted once
    assert sql.active_clients(conn, dt.timedelta(hours=24)) == 2
    sql.record_clients(conn, {"h1": NOW - dt.timedelta(days=3)})  # an older sighting never moves last_seen back
    assert sql.active_clients(conn, dt.timedelta(hours=24)) == 2


def test_connections_and_absent_dagster_storage(conn):
    found = sql.connections(conn)
    assert 1 <= found["in_use"] <= found["limit"]
    assert sql.failed_runs(conn, 5) is None  # no Dagster tables in this database
    assert sql.dagster_last_materialization(conn, "product_vectors") is None
