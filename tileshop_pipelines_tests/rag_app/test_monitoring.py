"""The monitoring data (`/api/admin/monitoring`) and the search analytics behind it, through the
real app on the sample index: recorded off the request path, flushed to Postgres, read back the
same by every app instance and after a restart."""

from __future__ import annotations

import json
import logging
import time
import uuid
from pathlib import Path

import httpx
import pytest
import yaml

from rag_app.config import load_settings
from tileshop_pipelines import bootstrap
from tileshop_pipelines.store import db

from .conftest import ADMIN, app_client, served_app, settings_for


def record_dagster_history(url: str, home: Path) -> str:
    """A real Dagster instance on `url` (as dagster.yaml configures it) materializes an asset named
    product_vectors and runs a job whose op fails; returns the failed run's id."""
    import os

    import dagster as dg

    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(yaml.safe_dump(bootstrap.instance_config()))  # as DAGSTER_HOME gets it
    saved = os.environ.get("DAGSTER_PG_URL")
    os.environ["DAGSTER_PG_URL"] = bootstrap.dagster_storage_url(url)
    try:
        with dg.DagsterInstance.from_config(str(home)) as instance:

            @dg.asset(name="product_vectors")
            def vectors() -> int:
                return 1

            @dg.op
            def crawl_step() -> None:
                raise RuntimeError("induced failure for the monitoring test")

            @dg.job(name="product_crawl")
            def failing_job():
                crawl_step()

            assert dg.materialize([vectors], instance=instance).success
            result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
            assert not result.success
            return result.run_id
    finally:
        if saved is None:
            os.environ.pop("DAGSTER_PG_URL")
        else:
            os.environ["DAGSTER_PG_URL"] = saved


def monitoring(client) -> dict:
    response = client.get("/api/admin/monitoring", headers=ADMIN)
    assert response.status_code == 200, response.text
    return response.json()


def chat_requests(data: dict) -> int:
    return next(
        (
            r["24h"]["requests"]
            for r in data["requests"]["routes"]
            if r["route"] == "/api/chat" and r["method"] == "POST"
        ),
        0,
    )


def test_the_data_needs_the_admin_token(index_url):
    with app_client(index_url, settings_for()) as client:
        assert client.get("/api/admin/monitoring").status_code == 401
        assert (
            client.get("/api/admin/monitoring", headers={"Authorization": "Bearer wrong-token-0123456789"}).status_code
            == 401
        )
        page = client.get("/admin/monitoring")  # the page holds no data; it asks for the token
        assert page.status_code == 200 and "Admin token" in page.text
    with app_client(index_url, settings_for(admin_token=None)) as client:
        assert client.get("/api/admin/monitoring").status_code == 403


def test_questions_are_recorded_without_address_or_history(index_url):
    tag = uuid.uuid4().hex[:8]
    relaxed_q, nothing_q, plain_q = f"white tile under $1 {tag}", f"bathroom tile {tag}", f"porcelain floor tile {tag}"
    with app_client(index_url, settings_for(fly_app_name="tileshop-test")) as client:
        before = monitoring(client)
        history = [
            {"role": "user", "content": f"secret earlier turn {tag}"},
            {"role": "assistant", "content": "an earlier answer"},
        ]
        assert client.post("/api/chat", json={"query": relaxed_q}).json()["filters_relaxed"] is True
        assert (
            client.post("/api/chat", json={"query": nothing_q, "filters": {"max_price": 0.01}}).json()["products"] == []
        )
        for i in range(3):  # two visitors (Fly's proxy names each in Fly-Client-IP): a frequent question
            assert (
                client.post(
                    "/api/chat",
                    json={"query": plain_q, "conversation_history": history},
                    headers={"Fly-Client-IP": f"198.51.100.{i % 2 + 1}"},
                ).status_code
                == 200
            )
        assert client.app.state.recorder.flush()
        after = monitoring(client)
    assert chat_requests(after) - chat_requests(before) == 5
    assert after["answers"]["by_mode"].get("offline", 0) - before["answers"]["by_mode"].get("offline", 0) == 5
    frequent = {q["question"]: q for q in after["questions"]["frequent"]}
    assert frequent[plain_q]["asked"] == 3 and frequent[plain_q]["top_sku"]
    unmet = {q["question"]: q for q in after["questions"]["unmet"]}
    assert unmet[relaxed_q]["relaxed"] == 1 and unmet[relaxed_q]["filters_read"]["max_price"] == 1
    assert unmet[nothing_q]["found_nothing"] == 1
    assert plain_q not in unmet
    assert after["active_users_24h"] >= 1
    with db.connect(index_url) as conn:
        stored = conn.execute("SELECT s::text FROM search_questions s WHERE question LIKE %s", (f"%{tag}",)).fetchall()
        clients = [r[0] for r in conn.execute("SELECT client_hash FROM client_activity")]
    assert len(stored) == 5
    assert not any(
        f"secret earlier turn {tag}" in row[0] or "testclient" in row[0] or "198.51.100" in row[0] for row in stored
    )
    assert clients and "testclient" not in clients and all(len(h) == 32 for h in clients)  # salted hashes


def test_figures_agree_across_app_instances_and_survive_a_restart(index_url):
    settings = settings_for(analytics_flush_s=0.2)
    with app_client(index_url, settings) as first, app_client(index_url, settings) as second:
        start = chat_requests(monitoring(first))
        for client in (first, second, second):
            assert client.post("/api/chat", json={"query": "grout for white tile"}).status_code == 200
        deadline = time.monotonic() + 10
        while chat_requests(monitoring(first)) < start + 3 and time.monotonic() < deadline:
            time.sleep(0.1)  # the background flushes, every 0.2 s
        assert chat_requests(monitoring(first)) == chat_requests(monitoring(second)) == start + 3
        assert first.post("/api/chat", json={"query": "grout for white tile"}).status_code == 200
    # both stopped (the last request flushed at stop); a new instance reads the same figures
    with app_client(index_url, settings) as restarted:
        assert chat_requests(monitoring(restarted)) == start + 4


def test_analytics_off_writes_nothing(index_url):
    tag = uuid.uuid4().hex[:8]
    with app_client(index_url, settings_for(analytics=False)) as client:
        assert client.app.state.recorder is None
        assert client.post("/api/chat", json={"query": f"marble tile {tag}"}).status_code == 200
    with db.connect(index_url) as conn:
        assert (
            conn.execute("SELECT count(*) FROM search_questions WHERE question LIKE %s", (f"%{tag}",)).fetchone()[0]
            == 0
        )


@pytest.mark.slow
def test_failed_runs_link_to_dagster_and_checks_judge_thresholds(index_url, tmp_path):
    run_id = record_dagster_history(index_url, tmp_path / "dagster")
    settings = settings_for(dagster_graphql_url="http://dagster.internal:3000/graphql")
    with app_client(index_url, settings) as client:
        client.post("/api/chat", json={"query": "white porcelain tile"})
        client.app.state.recorder.flush()
        data = monitoring(client)
    failed = {run["run_id"]: run for run in data["failed_runs"]}
    assert failed[run_id]["job"] == "product_crawl"
    assert failed[run_id]["url"] == f"http://dagster.internal:3000/runs/{run_id}"
    assert data["freshness"]["product_vectors"]["state"] == "fresh"  # materialized just now
    assert data["freshness"]["sitemap_urls"]["state"] == "never"  # the sample index has no sitemap refresh
    checks = {c["name"]: c for c in data["checks"]}
    assert list(checks) == ["query_times", "scraping_success", "rag_latency", "error_rate", "vectors_fresh"]
    assert checks["vectors_fresh"]["status"] == "pass"
    assert checks["scraping_success"]["status"] == "no_data"
    for name, limit in (("query_times", 100), ("rag_latency", 3000)):
        assert checks[name]["status"] == ("pass" if checks[name]["value"] < limit else "fail")
    assert checks["error_rate"]["status"] == ("pass" if checks["error_rate"]["value"] < 0.01 else "fail")
    assert data["database"]["in_use"] >= 2 and data["database"]["limit"] > 0
    assert "rag_app monitoring" in data["database"]["by_application"]


@pytest.mark.parametrize(
    "value,problem",
    [("maybe", "TILESHOP_ANALYTICS"), ("0", "TILESHOP_ANALYTICS_RETENTION_DAYS"), ("http://x", "REDIS_URL")],
)
def test_settings_name_the_bad_variable(value, problem):
    from tileshop_pipelines.serving.settings import SettingsError

    with pytest.raises(SettingsError, match=problem):
        load_settings({problem: value})


def test_a_failed_flush_is_kept_for_the_next(make_database):
    import datetime as dt

    from rag_app.monitoring import MonitoringRecorder
    from tileshop_pipelines.store import monitoring as sql
    from tileshop_pipelines.store.migrations import migrate

    url = make_database()
    with db.connect(url) as conn:
        migrate(conn)
    recorder = MonitoringRecorder(
        flush_s=3600, question_retention=dt.timedelta(days=90), crawl_max_age=dt.timedelta(days=7)
    )
    recorder.start(url.replace("/tileshop_test_", "/no_such_database_"))  # Postgres refuses: as if it were away
    recorder.request("POST", "/api/chat", 200, 0.030, "10.0.0.1")
    recorder.request("POST", "/api/chat", 503, 0.500, "10.0.0.2")
    assert recorder.flush() is False
    recorder.request("POST", "/api/chat", 200, 0.030, "10.0.0.1")
    recorder.database_url = url  # back
    assert recorder.flush() is True
    recorder.stop()
    with db.connect(url) as conn:
        (chat,) = sql.route_latency(conn, dt.timedelta(hours=1))
        assert (chat["requests"], chat["errors"]) == (3, 1)
        assert sql.quantile_ms(chat["latency_counts"], 0.5) <= 30
        assert sql.active_clients(conn, dt.timedelta(hours=24)) == 2
        assert not conn.execute("SELECT count(*) FROM client_activity WHERE client_hash LIKE '10.%'").fetchone()[0]


def test_checks_against_their_thresholds():
    from rag_app.monitoring import checks

    def statuses(**values):
        base = {
            "retrieval_p95_ms": 20.0,
            "scrape_success": 0.99,
            "answer_p95_ms": 800.0,
            "error_rate": 0.0,
            "vectors": "fresh",
        }
        return [c["status"] for c in checks(**{**base, **values})]

    assert statuses() == ["pass"] * 5
    assert statuses(retrieval_p95_ms=100.0) == ["fail"] + ["pass"] * 4  # "< 100 ms": 100 fails
    assert statuses(scrape_success=0.95)[1] == "fail"  # "> 95%"
    assert statuses(answer_p95_ms=3000.0)[2] == "fail"
    assert statuses(error_rate=0.01)[3] == "fail"
    assert statuses(vectors="warn")[4] == "pass" and statuses(vectors="late")[4] == "fail"
    assert (
        statuses(retrieval_p95_ms=None, scrape_success=None, answer_p95_ms=None, error_rate=None, vectors="never")
        == ["no_data"] * 5
    )


PERSONAL = (
    "my email is jane.doe@example.com, call 612-555-0187, I live at 1234 Maple Street, "
    "card 4111 1111 1111 1111 cvv 123, ssn 078-05-1120: which white porcelain tile"
)
IDENTIFYING = ("jane.doe", "example.com", "612-555-0187", "555-0187", "1234 Maple", "4111", "cvv 123", "078-05-1120")


def test_personal_data_is_not_stored_listed_or_logged_and_old_salts_are_gone(index_url, caplog):
    tag = uuid.uuid4().hex[:8]
    with db.connect(index_url) as conn:  # a database that ran earlier holds older days' salts
        conn.execute(
            "INSERT INTO analytics_salts (day, salt) VALUES ((now() AT TIME ZONE 'UTC')::date - 4, "
            "'\\x00') ON CONFLICT (day) DO NOTHING"
        )
    personal, lonely, shared = f"{PERSONAL} {tag}", f"lonely question {tag}", f"shared question {tag}"
    asked = [(personal, 7), (lonely, 7), (lonely, 7), (lonely, 7), (shared, 7), (shared, 8)]
    settings = settings_for(analytics_flush_s=0.2, fly_app_name="tileshop-test")  # Fly-Client-IP names the visitor
    with (
        caplog.at_level(logging.INFO, logger="uvicorn.access"),
        served_app(index_url, settings, "info") as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        for question, visitor in asked:
            assert (
                client.post(
                    "/api/chat", json={"query": question}, headers={"Fly-Client-IP": f"198.51.100.{visitor}"}
                ).status_code
                == 200
            )
        assert client.get("/api/products/search", params={"q": f"jane.doe@example.com {tag}"}).status_code == 200
        deadline = time.monotonic() + 10
        while True:
            data = monitoring(client)
            if any(q["question"] == shared for q in data["questions"]["frequent"]) or time.monotonic() > deadline:
                break
            time.sleep(0.2)
    frequent = {q["question"]: q["asked"] for q in data["questions"]["frequent"]}
    assert frequent.get(shared) == 2 and lonely not in frequent  # asked 3 times, by one visitor
    assert not any(s in json.dumps(data) for s in IDENTIFYING)
    with db.connect(index_url) as conn:
        stored = [
            r[0] for r in conn.execute("SELECT question FROM search_questions WHERE question LIKE %s", (f"%{tag}",))
        ]
        oldest_salt = conn.execute(
            "SELECT min(day) - (now() AT TIME ZONE 'UTC')::date FROM analytics_salts"
        ).fetchone()[0]
    [kept] = [q for q in stored if "white porcelain tile" in q]
    assert not any(s in kept for s in IDENTIFYING), kept
    assert all(p in kept for p in ("[email]", "[phone]", "[address]", "[card]", "[cvv]", "[ssn]")), kept
    assert oldest_salt >= -1  # the salts of the days before yesterday are deleted: their hashes cannot be reversed
    access = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert any("/api/products/search?***" in line for line in access), access
    assert not any("jane.doe" in line or tag in line for line in access)


KILL_STEPS = ("add_request_rollups", "record_clients", "record_questions", "commit")
CHATS_PER_STEP = 4


def test_a_flush_whose_session_is_killed_at_any_step_counts_each_request_once(index_url, monkeypatch):
    """The flusher's Postgres session is killed (pg_terminate_backend) just before each of its
    writes, and once after the last (before the commit); every chat is still counted once."""
    from tileshop_pipelines.store import monitoring as sql

    armed: dict[str, bool] = {}
    killed: list[str] = []

    def kill_flusher() -> None:
        with db.connect(index_url) as admin:
            n = admin.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE application_name = 'rag_app monitoring' AND datname = current_database()"
            ).fetchone()[0]
        assert n == 1

    def killing(step: str, write):
        def wrapped(conn, *args, **kwargs):
            if armed.pop(step, False):
                kill_flusher()
                killed.append(step)
            result = write(conn, *args, **kwargs)
            if step == "record_questions" and armed.pop("commit", False):
                kill_flusher()
                killed.append("commit")
            return result

        return wrapped

    for step in KILL_STEPS[:3]:
        monkeypatch.setattr(sql, step, killing(step, getattr(sql, step)))

    def chat_rollup(conn) -> int:
        return conn.execute(
            "SELECT coalesce(sum(requests), 0) FROM request_rollups WHERE method = 'POST' AND route = '/api/chat'"
        ).fetchone()[0]

    tag = uuid.uuid4().hex[:8]
    with db.connect(index_url) as conn:
        start = chat_rollup(conn)
    with (
        served_app(index_url, settings_for(analytics_flush_s=0.2)) as base,
        httpx.Client(base_url=base, timeout=60) as client,
    ):
        for n, step in enumerate(KILL_STEPS, 1):
            armed[step] = True
            for _ in range(CHATS_PER_STEP):
                assert client.post("/api/chat", json={"query": f"porcelain floor tile {tag}"}).status_code == 200
            deadline = time.monotonic() + 15
            with db.connect(index_url) as conn:
                while time.monotonic() < deadline:
                    questions = conn.execute(
                        "SELECT count(*) FROM search_questions WHERE question LIKE %s", (f"%{tag}",)
                    ).fetchone()[0]
                    if step in killed and questions >= n * CHATS_PER_STEP:
                        break
                    time.sleep(0.1)
                time.sleep(1.0)  # five more flushes: a batch put back after a partial commit would add up again
                counted = (
                    chat_rollup(conn) - start,
                    conn.execute(
                        "SELECT count(*) FROM search_questions WHERE question LIKE %s", (f"%{tag}",)
                    ).fetchone()[0],
                )
            assert step in killed
            assert counted == (n * CHATS_PER_STEP, n * CHATS_PER_STEP), f"killed before {step}"


def test_the_flushers_connection_is_renewed_past_its_lifetime(make_database, monkeypatch):
    """Its own connection, used every flush, is replaced once older than store/db.py's lifetime
    (before Fly's proxy would cut it), and the flush goes on over the new one."""
    import datetime as dt

    from rag_app.monitoring import MonitoringRecorder
    from tileshop_pipelines.store.migrations import migrate

    url = make_database()
    with db.connect(url) as conn:
        migrate(conn)
    recorder = MonitoringRecorder(
        flush_s=3600, question_retention=dt.timedelta(days=90), crawl_max_age=dt.timedelta(days=7)
    )
    recorder.database_url = url
    try:
        assert recorder.flush() is True
        first = recorder._connection()
        pid = first.info.backend_pid
        assert recorder.flush() is True and recorder._connection() is first  # young: kept
        monkeypatch.setattr(db, "CONNECTION_MAX_LIFETIME_S", 0)
        recorder.request("POST", "/api/chat", 200, 0.030, "10.0.0.1")
        assert recorder.flush() is True
        assert first.closed and recorder._connection().info.backend_pid != pid
    finally:
        recorder.stop()
