"""A database filled by the pipeline (through Dagster, so its run storage too) -> `tileshop db dump`
-> `tileshop db restore` into a second database -> `tileshop transfer verify`; what verify catches;
a restore killed with SIGKILL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tileshop_pipelines.store import db, server
from tileshop_pipelines.transfer import dumps
from tileshop_pipelines.transfer.verify import verify

from .conftest import N_PRODUCTS
from .conftest import tileshop as _tileshop

pytestmark = pytest.mark.slow  # tileshop db dump/restore/verify in processes


@pytest.fixture(scope="module")
def restored(filled, make_database) -> str:
    target = make_database()
    out = _tileshop("db", "restore", str(filled["dump"]), "--to", target, env=filled["env"])
    assert out.returncode == 0, out.stderr
    assert "restored" in out.stdout
    return target


def _copy(filled, make_database) -> str:
    target = make_database()
    dumps.restore(filled["dump"], target)
    return target


def _found(report: dict) -> set[tuple[str, str]]:
    return {(d["check"], d["item"]) for d in report["differences"]}


def test_restore_is_whole_and_verify_passes(filled, restored):
    report = verify(filled["source"], restored)
    assert report["differences"] == [] and report["ok"]
    compared = report["compared"]
    assert compared["rows"] > 4 * N_PRODUCTS and compared["vectors"]["product_vectors.embedding"] > 2 * N_PRODUCTS
    assert len(report["canary"]["source"]) == 5 and report["canary"]["source"][0]["sku"] == "684287"
    with server.open_database(restored) as conn:
        # Dagster's run, event and schedule storage came along, in the same database.
        runs, events = conn.execute("SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM event_logs)").fetchone()
        assert runs >= 1 and events > 100
        assert conn.execute("SELECT count(*) FROM products").fetchone()[0] >= N_PRODUCTS - 1


def test_verify_against_the_dump_itself(filled, restored):
    """A dump as the source: restored into a scratch database, compared, dropped."""
    scratch = "SELECT datname FROM pg_database WHERE datname LIKE 'tileshop\\_verify\\_%'"
    with server.open_database(restored) as conn:
        before = {r[0] for r in conn.execute(scratch)}
    report = verify(str(filled["dump"]), restored)
    assert report["ok"], report["differences"]
    assert report["source"] == f"dump {filled['dump']}"
    with server.open_database(restored) as conn:
        assert {r[0] for r in conn.execute(scratch)} == before  # the scratch database was dropped


def test_ask_gives_the_same_answer_on_both(filled, restored):
    question = "mortar for large format tile"
    answers = []
    for url in (filled["source"], restored):
        out = _tileshop("ask", question, env={**filled["env"], "DATABASE_URL": url})
        assert out.returncode == 0, out.stderr
        answers.append(json.loads(out.stdout))
    assert answers[0] == answers[1]
    assert answers[0]["products"] and "Offline answer" in answers[0]["answer"]


def test_verify_catches_a_deleted_row(filled, make_database):
    target = _copy(filled, make_database)
    with db.connect(target) as conn:
        chunk = conn.execute(
            "DELETE FROM product_chunks WHERE chunk_id = (SELECT min(chunk_id) FROM product_chunks) RETURNING chunk_id"
        ).fetchone()[0]
    report = verify(filled["source"], target)
    assert not report["ok"]
    assert _found(report) == {("tables", "product_chunks"), ("rows", f"product_chunks {chunk}")}
    missing = next(d for d in report["differences"] if d["check"] == "rows")
    assert missing["source"] == "present" and missing["target"] == "missing"


def test_verify_catches_a_changed_price(filled, make_database):
    target = _copy(filled, make_database)
    with db.connect(target) as conn:
        key = conn.execute(
            "UPDATE products SET price = price + 1, record = jsonb_set(record, '{price}', to_jsonb(price + 1))"
            " WHERE sku = '684287' RETURNING product_key"
        ).fetchone()[0]
    report = verify(filled["source"], target)
    assert _found(report) == {("rows", f"products {key}")}


def test_verify_catches_a_dropped_index(filled, make_database):
    target = _copy(filled, make_database)
    with db.connect(target) as conn:
        conn.execute("DROP INDEX product_vectors_embedding_hnsw")
    report = verify(filled["source"], target)
    assert {
        ("indexes", "product_vectors_embedding_hnsw"),
        ("search", "index product_vectors_embedding_hnsw"),
    } <= _found(report)
    # the search itself still answers (exactly, without the index): only the index is reported
    assert not {d for d in _found(report) if d[0] in ("canary", "rows", "tables")}


def test_verify_catches_vectors_of_the_wrong_dimension(filled, make_database):
    target = _copy(filled, make_database)
    with db.connect(target) as conn:
        n = conn.execute("SELECT count(*) FROM product_vectors").fetchone()[0]
        conn.execute(
            "ALTER TABLE product_vectors ALTER COLUMN embedding TYPE vector(383)"
            " USING subvector(embedding, 1, 383)::vector(383)"
        )
    report = verify(filled["source"], target)
    by_item = {(d["check"], d["item"]): d for d in report["differences"]}
    assert by_item[("vectors", "product_vectors.embedding declared")]["target"] == "vector(383)"
    assert by_item[("vectors", "product_vectors.embedding dimensions")]["target"] == {"383": n}
    assert ("search", "function match_products") in by_item and ("canary", "top 5") in by_item


def test_cli_verify_exit_codes_and_json(filled, restored, make_database):
    target = _copy(filled, make_database)
    with db.connect(target) as conn:
        conn.execute("DELETE FROM product_history WHERE version = 1 AND sku = '684287'")
    out = _tileshop(
        "transfer", "verify", "--source", str(filled["dump"]), "--target", target, "--json", env=filled["env"]
    )
    assert out.returncode == 1, out.stderr
    report = json.loads(out.stdout)
    assert ("tables", "product_history") in _found(report)
    assert any(c == "rows" and item.startswith("product_history ") for c, item in _found(report))
    ok = _tileshop("transfer", "verify", "--source", filled["source"], "--target", restored, env=filled["env"])
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert ok.stdout.strip().endswith("its search works")
    bad = _tileshop("transfer", "verify", "--source", "no-such.dump", "--target", restored, env=filled["env"])
    assert bad.returncode == 2 and "no-such.dump" in bad.stderr


def test_non_empty_target_is_refused(filled, restored):
    out = _tileshop("db", "restore", str(filled["dump"]), "--to", restored, env=filled["env"])
    assert out.returncode == 2 and "is not empty" in out.stderr
    assert verify(filled["source"], restored)["ok"]  # and left as it was


def test_kill_9_during_restore_then_rerun_completes(filled, restored, make_database):
    """The restore is killed while its transaction has created part of the schema and waits for
    a table another session is creating (held open here): nothing is left, and the rerun ends
    with what an uninterrupted restore holds."""
    target = make_database()
    with server.open_database(target) as watcher, server.open_database(target) as holder:
        with holder.transaction():
            holder.execute("CREATE TABLE products (held integer)")  # uncommitted: the target still looks empty
            child = subprocess.Popen(
                [sys.executable, "-m", "tileshop_pipelines.cli", "db", "restore", str(filled["dump"]), "--to", target],
                env=filled["env"],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            deadline = time.monotonic() + 60
            waiting = 0
            while not waiting and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
                waiting = watcher.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND application_name = %s AND wait_event_type = 'Lock'",
                    (dumps.RESTORE_APPLICATION_NAME,),
                ).fetchone()[0]
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            assert waiting, "the restore never reached the products table"
            holder.execute("DROP TABLE products")
        deadline = time.monotonic() + 30  # pg_restore died with the command; its transaction rolls back
        while watcher.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid NOT IN (pg_backend_pid(), %s)",
            (holder.info.backend_pid,),
        ).fetchone()[0]:
            assert time.monotonic() < deadline, "the killed restore's session is still there"
            time.sleep(0.05)
        assert server.user_objects(watcher, ["public"]) == {}  # nothing half-restored
    rerun = _tileshop("db", "restore", str(filled["dump"]), "--to", target, env=filled["env"])
    assert rerun.returncode == 0, rerun.stderr
    report = verify(restored, target)  # the same as the uninterrupted restore, row for row
    assert report["ok"], report["differences"]
