"""`tileshop db dump` / `restore` on the real Postgres: tools, bad inputs, the empty-target rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from tileshop_pipelines.cli.transfer import add_dump_commands
from tileshop_pipelines.store import db, server
from tileshop_pipelines.store.migrations import migrate
from tileshop_pipelines.transfer import dumps

BASE = "http://127.0.0.1:8765"


@pytest.fixture(scope="module")
def source(make_database) -> str:
    """A migrated database holding a sitemap refresh (a sequence-backed row) and one product."""
    from tileshop_pipelines.catalog.extract import extract_product
    from tileshop_pipelines.catalog.urls import classify_url
    from tileshop_pipelines.sample_catalog import build_catalog
    from tileshop_pipelines.sample_catalog.render import product_page
    from tileshop_pipelines.store.acquisition import ListedUrl, record_sitemap
    from tileshop_pipelines.store.products import save_records

    product = next(p for p in build_catalog(n_products=30, seed=7).products if p.sku == "684287")
    info = classify_url(BASE + product.path)
    url = make_database()
    with db.connect(url) as conn:
        migrate(conn)
        record_sitemap(
            conn, [ListedUrl(info.url, info.kind, info.product_key, info.sku, None)], sitemap_url=f"{BASE}/sitemap.xml"
        )
        save_records(conn, [(info.product_key, "hash", extract_product(product_page(product, BASE), info.url))], [])
    return url


@pytest.fixture(scope="module")
def dump_file(source, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("dumps") / "source.dump"
    dumps.dump(source, path)
    return path


def _objects(url: str) -> dict:
    with server.open_database(url) as conn:
        return server.user_objects(conn, ["public"])


def test_tools_match_the_server_major_version(source):
    with server.open_database(source) as conn:
        major = server.server_major_version(conn)
    for name in ("pg_dump", "pg_restore"):
        assert dumps.tool_major(dumps.find_tool(name, major)) == major
    with pytest.raises(dumps.DumpError, match=r"no pg_dump of PostgreSQL 9 .*TILESHOP_PG_BIN"):
        dumps.find_tool("pg_dump", 9)
    # A newer pg_dump reads an older server (the embedded 18's dumps a Managed Postgres 16); never older.
    assert dumps.tool_major(dumps.find_tool("pg_dump", 9, or_newer=True)) >= major
    with pytest.raises(dumps.DumpError, match=rf"no pg_restore of PostgreSQL {major + 1} or newer"):
        dumps.find_tool("pg_restore", major + 1, or_newer=True)


def test_dump_reads_back_as_an_archive(dump_file, source):
    archive = dumps.read_archive(dump_file)
    assert archive.schemas == ("public",)
    assert archive.tables >= 16 and archive.table_data == archive.tables
    assert not dump_file.with_name(dump_file.name + ".partial").exists()


def test_dump_never_overwrites_and_names_the_file(source, dump_file, tmp_path):
    with pytest.raises(dumps.DumpError, match=f"{dump_file} exists"):
        dumps.dump(source, dump_file)
    missing = tmp_path / "no-such-folder" / "x.dump"
    with pytest.raises(dumps.DumpError, match="no-such-folder does not exist"):
        dumps.dump(source, missing)


def test_restore_into_an_empty_database_keeps_extension_functions_indexes_sequences(dump_file, make_database):
    target = make_database()
    report = dumps.restore(dump_file, target)
    assert report["objects"] == _objects(target) and report["objects"]["functions"] >= 9
    with server.open_database(target) as conn:
        assert server.pgvector(conn)["schema"] == "public"
        assert conn.execute("SELECT last_value FROM sitemap_refreshes_id_seq").fetchone()[0] == 1
        # the sequence goes on from the source's value, not from 1 again
        assert conn.execute("SELECT nextval('sitemap_refreshes_id_seq')").fetchone()[0] == 2
        assert conn.execute("SELECT sku FROM products").fetchone()[0] == "684287"
        hnsw = conn.execute("SELECT tablename FROM pg_indexes WHERE indexdef LIKE '%USING hnsw%' ORDER BY 1").fetchall()
        assert [t for (t,) in hnsw] == ["document_vectors", "product_vectors"]
        conn.execute("SELECT * FROM hybrid_search('tile', array_fill(0.1, ARRAY[384])::vector, 5)").fetchall()


def test_non_empty_target_is_refused_unless_force(dump_file, make_database):
    target = make_database()
    dumps.restore(dump_file, target)
    with db.connect(target) as conn:
        conn.execute("UPDATE products SET name = 'changed on the target'")
    with pytest.raises(dumps.DumpError, match=r"is not empty \(\d+ functions, \d+ sequences, \d+ tables"):
        dumps.restore(dump_file, target)
    with db.connect(target) as conn:  # refused: untouched
        assert conn.execute("SELECT name FROM products").fetchone()[0] == "changed on the target"
    report = dumps.restore(dump_file, target, force=True)
    assert report["replaced"]["tables"] >= 16
    with db.connect(target) as conn:
        assert conn.execute("SELECT name FROM products").fetchone()[0] != "changed on the target"


def test_a_bad_file_is_named_and_nothing_is_restored(dump_file, make_database, tmp_path):
    target = make_database()
    text = tmp_path / "notes.txt"
    text.write_text("not a dump\n")
    with pytest.raises(dumps.DumpError, match=f"{text} is not a pg_dump custom-format archive"):
        dumps.restore(text, target)
    with pytest.raises(dumps.DumpError, match=f"{tmp_path / 'absent.dump'}: no such file"):
        dumps.restore(tmp_path / "absent.dump", target)
    # A dump cut short (a copy interrupted): within its table of contents it is not a dump; cut in
    # its last data, the restore fails midway.
    truncated = tmp_path / "truncated.dump"
    data = dump_file.read_bytes()
    truncated.write_bytes(data[: len(data) * 3 // 4])
    with pytest.raises(dumps.DumpError, match=f"{truncated} is not a pg_dump custom-format archive"):
        dumps.restore(truncated, target)
    truncated.write_bytes(data[:-64])
    with pytest.raises(dumps.DumpError, match=f"restore of {truncated} into .* failed \\(nothing was restored\\)"):
        dumps.restore(truncated, target)
    assert _objects(target) == {}  # one transaction: rolled back whole


def test_unreachable_target_is_named_with_its_password_redacted(dump_file):
    with pytest.raises(db.DatabaseConfigError) as raised:
        dumps.restore(dump_file, "postgresql://tileshop:s3cret-pw@127.0.0.1:1/prod")
    assert "postgresql://tileshop:***@127.0.0.1:1/prod" in str(raised.value)
    assert "s3cret-pw" not in str(raised.value)


def test_cli_exit_codes(dump_file, make_database, source, monkeypatch, capsys, tmp_path):
    import argparse

    parser = argparse.ArgumentParser(prog="tileshop")
    add_dump_commands(parser.add_subparsers(dest="action", required=True))

    def run(*argv) -> int:
        args = parser.parse_args(list(argv))
        return args.func(args)

    target = make_database()
    assert run("restore", str(dump_file), "--to", target) == 0
    assert "restored" in capsys.readouterr().out
    assert run("restore", str(dump_file), "--to", target) == 2
    assert "is not empty" in capsys.readouterr().err
    assert run("restore", str(dump_file), "--to", "postgresql://u:pw@127.0.0.1:1/x") == 2
    assert "postgresql://u:***@127.0.0.1:1/x" in capsys.readouterr().err
    monkeypatch.setenv("DATABASE_URL", source)
    out = tmp_path / "cli.dump"
    assert run("dump", str(out)) == 0 and dumps.read_archive(out).tables >= 16
    assert run("dump", str(out)) == 2
    assert f"{out} exists" in capsys.readouterr().err


def test_pgvector_in_another_schema_is_refused_before_writing(dump_file, make_database):
    """Supabase's dashboard installs pgvector in `extensions`; the dump's columns are public.vector."""
    target = make_database()
    with server.open_database(target) as conn:
        conn.execute("CREATE SCHEMA extensions")
        conn.execute("CREATE EXTENSION vector SCHEMA extensions")
    with pytest.raises(dumps.DumpError, match="pgvector installed in schema 'extensions'.*DROP EXTENSION vector"):
        dumps.restore(dump_file, target)
    assert _objects(target) == {}


def test_pgvector_requirements():
    for vector, wanted in (
        ({"available": None, "installed": None, "schema": None}, "no pgvector extension"),
        ({"available": "0.7.4", "installed": None, "schema": None}, "pgvector 0.7.4; the search"),
        ({"available": "0.8.1", "installed": "0.5.0", "schema": "public"}, "pgvector 0.5.0"),
    ):
        with pytest.raises(dumps.DumpError, match=wanted):
            dumps.check_pgvector(vector, "postgresql://u:***@h/db", ("public",))
    dumps.check_pgvector({"available": "0.8.0", "installed": None, "schema": None}, "t", ("public",))
