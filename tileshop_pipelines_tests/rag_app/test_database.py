"""The app's connection pool (psycopg_pool): connections that die (a Postgres restart, an
operator's pg_terminate_backend) are replaced, and the requests after them still succeed."""

from __future__ import annotations

import time

import psycopg

from rag_app.database import APPLICATION_NAME, CONNECTION_WAIT_S
from rag_app.main import create_app
from tileshop_pipelines.store import db

from .conftest import ADMIN, app_client, settings_for

POOL_SIZE = 4


def _pool_backends(admin: psycopg.Connection) -> list[int]:
    return [row[0] for row in admin.execute(
        "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
        (APPLICATION_NAME,))]


def test_the_pool_recovers_after_its_connections_are_killed(index_url):
    with app_client(index_url, settings_for(db_pool_size=POOL_SIZE)) as client, \
            psycopg.connect(db.libpq_url(index_url), autocommit=True) as admin:
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
