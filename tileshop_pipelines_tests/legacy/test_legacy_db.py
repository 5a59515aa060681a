"""`tileshop transfer legacy-db` from a predecessor database in PRODUCT_DATA.md's schema."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from tileshop_pipelines.cli import transfer as transfer_cli
from tileshop_pipelines.legacy.product_data import map_rows
from tileshop_pipelines.store import db, products
from tileshop_pipelines.store.legacy_versions import import_legacy_versions, read_product_data
from tileshop_pipelines_tests.legacy.predecessor import create_predecessor, documented_rows, trap_rows

ROWS_READ = 35  # 18 documented + 17 generated
SKIPPED = {
    "blocked_home_page": 3,
    "no_scrape_time": 1,
    "not_a_product_url": 2,
    "nothing_stated": 2,
    "superseded_by_a_later_row": 1,
}
REJECTED = {
    "application_areas": {"predecessor_label": 2},
    "box_quantity": {"not_a_positive_integer": 1},
    "category": {"predecessor_label": 1},
    "collection_links": {"predecessor_label": 1},
    "color": {"contradicts_specifications": 1},
    "color_images": {"predecessor_label": 1},
    "color_variations": {"predecessor_label": 2},
    "finish": {"specification_label": 2},
    "image_variants": {"invented_urls": 1},
    "images": {"not_a_url": 1},
    "installation_complexity": {"predecessor_label": 1},
    "material_type": {"specification_label": 1},
    "number_of_faces": {"no_record_field": 1},
    "price_per_box": {"copy_of_piece_price": 1},
    "price_per_piece": {"conflicts_with_box_price": 1},
    "price_per_sqft": {"derived_from_box_price_and_coverage": 3, "no_box_price_and_coverage_to_check": 1},
    "product_category": {"predecessor_label": 1},
    "product_type": {"predecessor_label": 1},
    "rag_keywords": {"predecessor_label": 1},
    "recommended_grout": {"markup_fragment": 1},
    "related_products": {"predecessor_label": 1},
    "resources": {"guessed_document_urls": 1},
    "sku": {"lost_leading_zeros": 1, "lost_suffix": 1},
    "specifications": {"not_a_page_key": 12},
    "specifications.BoxWeight": {"conflicting_values": 1},
    "specifications.Finish": {"specification_label": 1},
    "specifications.MaterialType": {"specification_label": 2},
    "specifications.Thickness": {"markup_fragment": 1},
    "subcategory": {"predecessor_label": 1},
    "thickness": {"specification_label": 2},
    "typical_use_cases": {"predecessor_label": 1},
}


@pytest.fixture(scope="module")
def predecessor(make_database) -> str:
    url = make_database()
    create_predecessor(db.libpq_url(url), documented_rows() + trap_rows())
    return url


@pytest.fixture(scope="module")
def mapped(predecessor):
    return map_rows(read_product_data(predecessor))


def _record(conn, key_suffix: str) -> dict:
    return conn.execute("SELECT record FROM products WHERE product_key LIKE %s", (f"%{key_suffix}",)).fetchone()[0]


def test_rows_read_skipped_and_rejected(mapped):
    summary = mapped.summary()
    assert summary["rows_read"] == ROWS_READ
    assert summary["skipped"] == SKIPPED
    assert summary["rows_mapped"] == ROWS_READ - sum(SKIPPED.values())
    assert summary["rejected"] == REJECTED
    assert summary["repaired"] == {"material_type_recapitalised": 2, "specifications_double_encoded_decoded": 2}


def test_values_as_the_extractor_would_state_them(conn, mapped):
    import_legacy_versions(conn, mapped.versions)
    zenobia = _record(conn, "684287")
    assert zenobia["sku"] == "684287" and zenobia["price"] == 77.11 and zenobia["price_unit"] == "box"
    assert zenobia["price_per_sqft"] is None  # stored 12.98 = 77.11 / 5.94: computed, not the page's $12.99
    assert zenobia["material"] == "Porcelain" and zenobia["box_quantity"] == 6 and zenobia["box_weight_lbs"] == 22.9
    assert zenobia["specifications"]["CountryOfOrigin"] == "Italy" and "FrostResistance" in zenobia["specifications"]
    assert zenobia["applications"] == ["Floor", "Light Commercial", "Wall"] and zenobia["directional_layout"] is False
    assert set(zenobia["provenance"].values()) == {"legacy"} and "price" in zenobia["provenance"]
    assert zenobia["category"] is None and zenobia["documents"] == []
    stair_nose = _record(conn, "684272")  # before 2025-07-08: box and piece both 69.99
    assert (stair_nose["price"], stair_nose["price_unit"], stair_nose["price_per_box"]) == (69.99, "each", None)
    dural = _record(conn, "329769")
    assert dural["color"] == "Brown, Metallic"  # specifications.color, not the column's "Titanium"
    assert _record(conn, "052003")["sku"] == "052003" and _record(conn, "684018e")["sku"] == "684018E"
    assert _record(conn, "43521")["sku"] == "43521"
    encoded = _record(conn, "700001")
    assert encoded["name"] == "Double Encoded Porcelain Tile - 12 x 24 in."
    assert encoded["specifications"] == {"BoxQuantity": "4", "BoxWeight": "40.1 lbs", "Thickness": "9mm"}
    assert encoded["description"] == "Rich & warm\nFrost resistant"
    assert encoded["price_per_sqft"] == 5.01  # a shown, rounded figure: within a cent of 50.00 / 10.00, not equal
    assert _record(conn, "700002")["specifications"] == {"Color": "White"}
    garbage = _record(conn, "700004")
    assert garbage["thickness"] is None and garbage["finish"] is None and garbage["material"] is None
    assert garbage["specifications"] == {"EdgeType": "Rectified"} and garbage["recommended_grout"] is None
    labelled = _record(conn, "700003")
    assert labelled["images"] == ["https://tileshop.scene7.com/is/image/TileShop/700003?$ExtraLarge$"]
    assert _record(conn, "700010")["name"] == "Two Spellings Tile"
    blocked = conn.execute("SELECT count(*) FROM products WHERE name ILIKE 'The Tile Shop%'").fetchone()[0]
    assert blocked == 0
    history = products.history_for_sku(conn, "684287")
    assert [(h["version"], h["valid_from"][:19], h["valid_to"]) for h in history] == [(1, "2025-07-08T10:00:00", None)]


def test_rerun_changes_nothing_and_the_source_is_untouched(conn, predecessor, mapped):
    with psycopg.connect(db.libpq_url(predecessor)) as source:
        before = source.execute("SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM product_data p").fetchone()
    first = import_legacy_versions(conn, mapped.versions)
    assert first["written"]["products_inserted"] == first["written"]["history_inserted"] == 26
    second = import_legacy_versions(conn, map_rows(read_product_data(predecessor)).versions)
    assert second["changed"] is False and second["state"] == first["state"]
    with psycopg.connect(db.libpq_url(predecessor)) as source:
        assert (
            source.execute("SELECT md5(string_agg(p::text, ',' ORDER BY id)) FROM product_data p").fetchone() == before
        )


def test_next_crawl_compares_against_the_legacy_version(conn, mapped):
    import_legacy_versions(conn, mapped.versions)
    key = conn.execute("SELECT product_key FROM products WHERE sku = '684287'").fetchone()[0]
    legacy = _record(conn, "684287")
    # as a crawl states it: every field the page has, with the page as their source
    crawled = {
        **legacy,
        "price": 79.99,
        "price_per_box": 79.99,
        "price_per_sqft": 13.47,
        "provenance": {**dict.fromkeys(legacy["provenance"], "jsonld"), "price_per_sqft": "visible_text"},
    }
    assert products.save_records(conn, [(key, "sha-of-page", crawled)], []) == {key: 2}
    history = products.history_for_sku(conn, "684287")
    assert [(h["version"], h["price"]) for h in history] == [(1, 77.11), (2, 79.99)]
    assert history[0]["valid_from"].startswith("2025-07-08") and history[0]["valid_to"] is not None
    # A later legacy import never replaces the crawled record.
    report = import_legacy_versions(conn, mapped.versions)
    assert report["changed"] is False and report["state"]["legacy_superseded"] == 1
    assert _record(conn, "684287")["price"] == 79.99


def test_a_crawled_product_gets_the_legacy_version_before_its_first(conn, mapped):
    version = next(v for v in mapped.versions if v.sku == "683861")
    crawled = {**version.record, "price_per_sqft": 12.99, "provenance": {"price": "jsonld"}}
    products.save_records(conn, [(version.product_key, "sha", crawled)], [])
    report = import_legacy_versions(conn, mapped.versions)
    assert report["state"]["legacy_before_pipeline"] == 1
    history = products.history_for_sku(conn, "683861")
    assert [h["version"] for h in history] == [0, 1]
    assert (
        history[0]["valid_to"] == history[1]["valid_from"] and history[0]["record"]["provenance"]["price"] == "legacy"
    )
    assert _record(conn, "683861")["price_per_sqft"] == 12.99  # the pipeline's record stays current


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="tileshop")
    transfer_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_command_dry_run_then_run(conn, predecessor, database_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path))
    assert _run(["transfer", "legacy-db", "--from", predecessor, "--dry-run"]) == 0
    assert "would write: 26 history_inserted, 26 products_inserted" in capsys.readouterr().out
    assert conn.execute("SELECT count(*) FROM products").fetchone()[0] == 0
    assert _run(["transfer", "legacy-db", "--from", predecessor, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["rows_read"] == ROWS_READ and report["state"]["legacy_current"] == 26
    assert _run(["transfer", "legacy-db", "--from", predecessor]) == 0
    assert "nothing changed" in capsys.readouterr().out


def test_unreadable_source_exits_2(conn, make_database, database_url, monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("TILESHOP_HOME", str(tmp_path))
    empty = make_database()
    assert _run(["transfer", "legacy-db", "--from", empty]) == 2
    assert "no product_data table" in capsys.readouterr().err


_CHILD = """
import argparse, sys
from tileshop_pipelines.cli import transfer as transfer_cli
parser = argparse.ArgumentParser(prog="tileshop")
transfer_cli.register(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.func(args))
"""


@pytest.mark.slow
def test_kill_9_mid_import_then_rerun_gives_the_same_counts(predecessor, make_database, tmp_path):
    """The import is killed while its transaction has written products and waits to write
    product_history (held by a lock here): nothing is left, and a rerun ends as an uninterrupted run."""
    interrupted, reference = make_database(), make_database()
    env = {**os.environ, "TILESHOP_HOME": str(tmp_path), "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    command = [sys.executable, "-c", _CHILD, "transfer", "legacy-db", "--from", predecessor, "--json"]

    def counts(url: str) -> tuple:
        with db.connect(url) as conn:
            return conn.execute(
                "SELECT (SELECT count(*) FROM products), (SELECT count(*) FROM product_history),"
                " (SELECT count(*) FROM legacy_product_versions),"
                " (SELECT md5(string_agg(record_hash, ',' ORDER BY product_key)) FROM products)"
            ).fetchone()

    from tileshop_pipelines.store.migrations import migrate

    with db.connect(interrupted) as conn, db.connect(interrupted) as holder:
        migrate(conn)
        with holder.transaction():
            # EXCLUSIVE lets the import read product_history but not write it: it plans, writes
            # products, then waits at its first write of product_history.
            holder.execute("LOCK TABLE product_history IN EXCLUSIVE MODE")
            child = subprocess.Popen(
                command, env={**env, "DATABASE_URL": interrupted}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            deadline = time.monotonic() + 60
            waiting = 0
            while not waiting and child.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
                waiting = conn.execute(  # autocommit: a fresh view of pg_stat_activity each time
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND wait_event_type = 'Lock' AND query ILIKE '%product_history%'"
                ).fetchone()[0]
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            assert waiting, "the import never reached product_history"
        deadline = time.monotonic() + 30  # the server rolls the orphaned transaction back
        while conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid NOT IN (pg_backend_pid(), %s)",
            (holder.info.backend_pid,),
        ).fetchone()[0]:
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert conn.execute("SELECT count(*) FROM products").fetchone()[0] == 0
        assert conn.execute("SELECT count(*) FROM legacy_import_runs").fetchone()[0] == 0

    rerun = subprocess.run(command, env={**env, "DATABASE_URL": interrupted}, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    whole = subprocess.run(command, env={**env, "DATABASE_URL": reference}, capture_output=True, text=True)
    assert whole.returncode == 0, whole.stderr
    assert json.loads(rerun.stdout)["state"] == json.loads(whole.stdout)["state"]
    assert counts(interrupted) == counts(reference) and counts(reference)[0] == 26
