"""`tileshop parse` on sample catalog pages of the seven known products: the facts of docs/site.md."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest

from tileshop_pipelines import bootstrap
from tileshop_pipelines.cli import main
from tileshop_pipelines.sample_catalog import KNOWN_SKUS, build_catalog
from tileshop_pipelines.sample_catalog.render import home_page, product_page

from .support import known_products
from .support.ports import free_port
from .support.sample_site import environment, tileshop_environment

BASE = "http://127.0.0.1:8765"

# CONTEXT.md, "Known products": field -> value as stated there (None: the page states none).
FACTS = {sku: known_products.record_facts(sku) for sku in known_products.FACTS}


@pytest.fixture(scope="module")
def catalog():
    return build_catalog(n_products=40, seed=11)


def _parse(tmp_path, capsys, html: str, url: str | None = None) -> tuple[int, str, str]:
    page = tmp_path / "page.html"
    page.write_text(html, encoding="utf-8")
    code = main(["parse", str(page)] + (["--url", url] if url else []))
    out, err = capsys.readouterr()
    return code, out, err


def test_every_known_product_has_facts():
    assert set(FACTS) == set(KNOWN_SKUS)


@pytest.mark.parametrize("sku", sorted(FACTS))
def test_parse_known_product_page(sku, catalog, tmp_path, capsys):
    product = catalog.product(sku)
    url = f"{BASE}{product.path}"
    code, out, _ = _parse(tmp_path, capsys, product_page(product, BASE), url)
    assert code == 0
    record = json.loads(out)
    assert record["sku"] == sku and isinstance(record["sku"], str)
    assert record["url"] == url
    for field, expected in FACTS[sku].items():
        actual = record[field[0]][field[1]] if isinstance(field, tuple) else record[field]
        assert actual == expected, f"{sku} {field}: {actual!r} != {expected!r}"
    assert record["name"] and record["description"] and "<" not in record["description"]


def test_683861_lists_its_safety_data_sheet(catalog, tmp_path, capsys):
    product = catalog.product("683861")
    _, out, _ = _parse(tmp_path, capsys, product_page(product, BASE), f"{BASE}{product.path}")
    documents = json.loads(out)["documents"]
    assert any(
        "safety" in d["name"].lower() and d["url"].endswith(".pdf") and "porcelain" in d["url"] for d in documents
    )


@pytest.mark.parametrize("key", ["BoxQuantity", "BoxWeight"])
def test_parse_refuses_a_5000_digit_specification_with_a_warning(key, catalog, tmp_path, capsys):
    """Before (beb40f9): a 5,000-digit BoxQuantity made `tileshop parse` raise Python's
    integer-string limit (ValueError, exit 1, no record). Now that one value is refused with a
    warning naming it, and the rest of the record is read."""
    product = catalog.product("684287")
    html = product_page(product, BASE)
    stated = f'"Key":"PDPInfo_{key}","Value":"{product.specs[key]}"'
    assert stated in html
    html = html.replace(stated, f'"Key":"PDPInfo_{key}","Value":"{"9" * 5000}"')
    code, out, err = _parse(tmp_path, capsys, html, f"{BASE}{product.path}")
    assert code == 0, err
    record = json.loads(out)
    field = {"BoxQuantity": "box_quantity", "BoxWeight": "box_weight_lbs"}[key]
    assert record[field] is None and field not in record["provenance"]
    assert record["specifications"][key] == "9" * 5000  # the page's text is kept as stated
    (warning,) = [w for w in record["warnings"] if w.startswith("invalid_number:")]
    assert key in warning and "5,000 characters" in warning and "refused" in warning
    assert (record["price"], record["price_per_sqft"], record["country_of_origin"]) == (77.11, 12.99, "Italy")


def test_home_page_is_not_a_product(tmp_path, capsys):
    code, out, err = _parse(tmp_path, capsys, home_page(BASE), f"{BASE}/products/some-tile-123456")
    assert code == 2
    assert out == ""
    assert "is not a product page" in err and "blocked" in err


def test_missing_file_is_a_clear_error(tmp_path, capsys):
    code = main(["parse", str(tmp_path / "nope.html")])
    _, err = capsys.readouterr()
    assert code == 2 and "cannot read" in err and "nope.html" in err


def test_db_migrate_applies_pending_migrations_once(make_database, monkeypatch, capsys):
    from tileshop_pipelines.store.migrations import migration_files

    monkeypatch.setenv("DATABASE_URL", make_database())
    assert main(["db", "migrate"]) == 0
    out = capsys.readouterr().out
    assert all(p.name in out for p in migration_files())
    assert main(["db", "migrate"]) == 0
    again = capsys.readouterr().out.splitlines()
    assert again[0] == "schema up to date: nothing to apply"
    assert again[1:] and all(line.startswith("dagster: ") for line in again[1:])  # Dagster's storage, checked too


def test_a_bad_setting_is_a_clear_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("TILESHOP_USER_AGENT", " ")  # blank counts as unset: the default
    monkeypatch.setenv("TILESHOP_CRAWL_RATE", "fast")
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text('<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"></urlset>')
    assert main(["sitemap", "parse", str(sitemap)]) == 2
    assert "environment variable TILESHOP_CRAWL_RATE" in capsys.readouterr().err


def test_daemon_refuses_a_metrics_port_it_cannot_serve_before_dagster_starts(make_database, tmp_path, capsys):
    with environment({}):
        tileshop_environment(make_database(), tmp_path)
        os.environ["METRICS_PORT"] = "8081"
        assert main(["daemon", "--health-port", "8081"]) == 2
        assert "METRICS_PORT 8081 is the health port" in capsys.readouterr().err
        with socket.socket() as taken:
            taken.bind(("127.0.0.1", 0))
            taken.listen()
            busy = taken.getsockname()[1]
            os.environ["METRICS_PORT"] = str(busy)
            assert main(["daemon", "--health-host", "127.0.0.1", "--health-port", str(free_port())]) == 2
        assert f"METRICS_PORT={busy}: cannot listen on 127.0.0.1 port {busy}" in capsys.readouterr().err


def test_db_supabase_sql_prints_the_generated_vector_store_sql(capsys):
    from tileshop_pipelines.store.supabase_schema import supabase_vector_store_sql

    assert main(["db", "supabase-sql"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == supabase_vector_store_sql().strip() and "CREATE TABLE" in out
    assert "supabase_roles.sql" in err


def test_transfer_checkpoint_is_a_tileshop_command(make_database, monkeypatch, capsys, tmp_path):
    """The wiring only (tests/legacy/ covers the import): a bad file is exit 2 naming it, nothing written."""
    monkeypatch.setenv("DATABASE_URL", make_database())
    broken = tmp_path / "tileshop_sitemap.json"
    broken.write_text('{"downloaded_at": "2025-07-05T18:25:19", "urls": [')
    assert main(["transfer", "checkpoint", str(broken), "--dry-run"]) == 2
    assert str(broken) in capsys.readouterr().err


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_run_stops_on_a_signal_within_seconds_and_the_next_run_completes(make_database, tmp_path, signum):
    from tileshop_pipelines.sample_catalog import CatalogServer
    from tileshop_pipelines.store import db

    database = make_database()  # its own database and Dagster storage: a run from nothing

    def count(table: str) -> int:
        with db.connect(database) as conn:
            return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608 (fixed names)

    with CatalogServer(build_catalog(n_products=40, seed=21), port=0) as server:
        env = {
            **{k: v for k, v in os.environ.items() if k not in ("DAGSTER_PG_URL", "DAGSTER_HOME")},
            "DATABASE_URL": database,
            "TILESHOP_HOME": str(tmp_path),
            "TILESHOP_AUTOMATION": "off",
            "TILESHOP_SITEMAP_URL": f"{server.base_url}/sitemap.xml",
            "TILESHOP_CRAWL_RATE": "6",
            "PYTHONPATH": str(bootstrap.PROJECT_ROOT),
        }
        run = [sys.executable, "-m", "tileshop_pipelines.cli", "run"]
        proc = subprocess.Popen(run, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 180
        while _table_count_or_zero(count, "product_pages") < 8:
            assert proc.poll() is None and time.monotonic() < deadline, "the run ended before the signal"
            time.sleep(0.2)
        proc.send_signal(signum)
        sent = time.monotonic()
        _, err = proc.communicate(timeout=30)
        assert time.monotonic() - sent < 5 and proc.returncode == 128 + signum
        assert f"{signal.Signals(signum).name}: stopping" in err
        assert count("product_pages") < 40  # stopped mid-crawl

        done = subprocess.run(run, env={**env, "TILESHOP_CRAWL_RATE": "0"}, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    assert count("product_pages") == count("products") == 40


def _table_count_or_zero(count, table: str) -> int:
    import psycopg

    try:
        return count(table)
    except psycopg.errors.UndefinedTable:  # the run has not migrated the new database yet
        return 0
