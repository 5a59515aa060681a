"""The app's connection pool (psycopg_pool): connections that die (a Postgres restart, an
operator's pg_terminate_backend) are replaced, and the requests after them still succeed; idle ones
outlive a server's idle close, and each is renewed past its lifetime (what Fly's proxy wants)."""

from __future__ import annotations

import contextlib
import time

import psycopg

from rag_app.database import APPLICATION_NAME, CONNECTION_WAIT_S, Database
from rag_app.main import create_app
from tileshop_pipelines.store import db

from .conftest import ADMIN, app_client, settings_for

POOL_SIZE = 4


def _pool_backends(admin: psycopg.Connection) -> list[int]:
    return [
        row[0]
        for row in admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
            (APPLICATION_NAME,),
        )
    ]


def test_the_pool_recovers_after_its_connections_are_killed(index_url):
    with (
        app_client(index_url, settings_for(db_pool_size=POOL_SIZE)) as client,
        psycopg.connect(db.libpq_url(index_url), autocommit=True) as admin,
    ):
        assert client.get("/api/products/684287").status_code == 200
        deadline = time.monotonic() + 10
        while len(_pool_backends(admin)) < POOL_SIZE:  # the pool fills in the background
            assert time.monotonic() < deadline, "the pool never opened its connections"
            time.sleep(0.05)
        before = set(_pool_backends(admin))
        admin.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s::int[]) AS pid", (sorted(before),))
        while set(_pool_backends(admin)) & before:
            time.sleep(0.05)

        started = time.monotonic()
        for sku in ("684287", "43521"):
            response = client.get(f"/api/products/{sku}")
            assert response.status_code == 200, response.text
        assert time.monotonic() - started < CONNECTION_WAIT_S  # no request waited out the pool
        assert not set(_pool_backends(admin)) & before
        assert client.post("/api/chat", json={"query": "grout for a shower"}).status_code == 200
        database = client.get("/api/system/detailed-health", headers=ADMIN).json()["components"]["database"]
    assert database["healthy"] and f"pool: {POOL_SIZE} of {POOL_SIZE} connections" in database["message"]
    assert f"{POOL_SIZE} found broken" in database["message"]


def test_creating_the_app_connects_to_nothing():
    """The services (the pool among them) start with the lifespan; migrations are `python -m
    rag_app`'s, before it serves."""
    app = create_app(settings_for(), database_url="postgresql://nobody@127.0.0.1:9/nowhere")
    assert not hasattr(app.state, "database") and "/api/chat" in app.openapi()["paths"]


def _idle_closing_database(make_database, seconds: float) -> str:
    """A database whose server closes a session idle for `seconds` (idle_session_timeout), as a
    proxy or PgBouncer in front of a managed database does."""
    url = make_database()
    with psycopg.connect(db.libpq_url(url), autocommit=True) as admin:
        name = admin.info.dbname
        admin.execute(f"ALTER DATABASE \"{name}\" SET idle_session_timeout = '{int(seconds * 1000)}ms'")
    return url


def _opened(database: Database, size: int) -> list[int]:
    deadline = time.monotonic() + 10
    while database.pool.get_stats()["pool_available"] < size:
        assert time.monotonic() < deadline, "the pool never opened its connections"
        time.sleep(0.05)
    return sorted(_pids(database, size))


def _pids(database: Database, n: int) -> set[int]:
    """The backends of `n` connections taken from the pool at once."""
    with contextlib.ExitStack() as stack:
        conns = [stack.enter_context(database.pool.connection()) for _ in range(n)]
        return {conn.execute("SELECT pg_backend_pid()").fetchone()[0] for conn in conns}


def test_idle_connections_outlive_a_servers_idle_close(make_database):
    """Checked every keepalive interval, the pool's connections are never idle long enough for the
    server to close them: the same backends serve after three idle-close periods, none lost. The
    same pool without the keepalive finds its connections closed (the server really closes them)."""
    url = _idle_closing_database(make_database, 1.0)
    kept = Database(url, 2, keepalive_s=0.3)
    kept.open()
    try:
        before = _opened(kept, 2)
        time.sleep(3.0)
        assert sorted(_pids(kept, 2)) == before
        assert kept.pool.get_stats().get("connections_lost", 0) == 0
    finally:
        kept.close()
    unkept = Database(url, 2, keepalive_s=None)
    unkept.open()
    try:
        before = _opened(unkept, 2)
        time.sleep(3.0)
        assert not set(_pids(unkept, 2)) & set(before)  # both were closed by the server, and replaced
        assert unkept.pool.get_stats().get("connections_lost", 0) + unkept.pool.get_stats().get("returns_bad", 0) > 0
    finally:
        unkept.close()


def test_connections_are_renewed_past_their_lifetime(make_database):
    database = Database(make_database(), 2, max_lifetime_s=1.0, keepalive_s=0.3)
    database.open()
    try:
        before = _opened(database, 2)
        time.sleep(2.5)
        assert not set(_pids(database, 2)) & set(before)  # every one replaced, while idle
        assert database.pool.get_stats().get("connections_lost", 0) == 0  # renewed, not found broken
    finally:
        database.close()
    assert db.CONNECTION_MAX_LIFETIME_S < 600 and db.CONNECTION_MAX_IDLE_S < 300  # Fly's advice (store/db.py)
