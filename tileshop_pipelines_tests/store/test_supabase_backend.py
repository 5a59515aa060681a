"""The `supabase` backend: the real supabase client against a PostgREST stand-in on the real
Postgres, with the Supabase SQL generated from the migrations (tables, functions) and the shipped
roles and grants."""

from __future__ import annotations

import re

import numpy as np
import psycopg
import pytest
from postgrest.exceptions import APIError
from supabase import create_client

from tileshop_pipelines.store import chunks as chunks_sql
from tileshop_pipelines.store import db
from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.migrations import migrate
from tileshop_pipelines.store.product_vectors import PostgresVectorStore, open_vector_store, sync_vector_store
from tileshop_pipelines.store.supabase_backend import SupabaseConfigError, SupabaseVectorStore
from tileshop_pipelines.store.supabase_schema import ROLES_SQL, MarkerError, supabase_vector_store_sql
from tileshop_pipelines.text.chunks import Chunk
from tileshop_pipelines_tests.store.postgrest_stand_in import ROLES, StandIn, _split_in_list, make_jwt

SECRET = "super-secret-jwt-token-with-at-least-32-characters-long"
FUNCTIONS = (
    "fulltext_query",
    "match_products",
    "fulltext_products",
    "fulltext_search",
    "hybrid_search",
    "product_vectors_stats",
    "refresh_product_search_text",
    "product_vectors_search_text_sync",
    "match_documents",
    "fulltext_documents",
    "hybrid_search_documents",
    "document_vectors_stats",
)
TABLES = ("product_vectors", "product_search_text", "document_vectors")


def _unit(seed: int) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(384).astype(np.float32)
    return v / np.linalg.norm(v)


@pytest.fixture(scope="module")
def supabase_db(make_database, server_url) -> str:
    """A database set up the way a Supabase project would be: the generated SQL, then the roles file."""
    with psycopg.connect(db.libpq_url(server_url), autocommit=True) as admin:
        for role in ROLES:  # cluster-wide; exist on every Supabase project
            if not admin.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone():
                admin.execute(f"CREATE ROLE {role} NOLOGIN" + (" BYPASSRLS" if role == "service_role" else ""))
    url = make_database()
    with psycopg.connect(db.libpq_url(url), autocommit=True) as conn:
        conn.execute(supabase_vector_store_sql())
        conn.execute(ROLES_SQL.read_text())
    return db.libpq_url(url)


@pytest.fixture(scope="module")
def stand_in(supabase_db):
    with StandIn(supabase_db, SECRET) as server:
        yield server


@pytest.fixture(scope="module")
def pipeline(make_database):
    """The pipeline's own database with a few embedded chunks."""
    with db.connect(make_database()) as conn:
        migrate(conn)
        records = [
            (
                f"p{i}",
                f"h{i}",
                {
                    "sku": f"10{i}",
                    "url": f"http://s/products/p-{i}",
                    "name": f"Product {i}",
                    "price": 1.5 + i,
                    "price_unit": "box",
                },
            )
            for i in range(6)
        ]
        products_sql.save_records(conn, records, [])
        for key, _, _ in records:
            conn.execute(
                "INSERT INTO sitemap_urls (url, kind, product_key) VALUES (%s, 'product', %s)",
                (f"http://s/products/{key}", key),
            )
        words = [
            "white matte ceramic wall tile",
            "grey polished porcelain floor tile",
            "sanded grout, dove grey",
            "marble mosaic, honed",
            "luxury vinyl plank, oak",
            "thinset mortar for large format tile",
        ]
        chunks = [
            Chunk(f"p{i}:{kind}:0", f"p{i}", kind, 0, f"{words[i]} {kind}")
            for i in range(6)
            for kind in ("summary", "facts")
        ]
        chunks_sql.sync_chunks(conn, chunks)
        pending = chunks_sql.chunks_to_embed(conn, "m", 384)
        chunks_sql.save_embeddings(
            conn, [(c, h) for c, _, h in pending], np.stack([_unit(i) for i in range(len(pending))]), "m"
        )
        yield conn


def test_in_list_syntax():
    assert _split_in_list('(a,"b,c","d\\"e",f:1)') == ["a", "b,c", 'd"e', "f:1"]


def test_sync_and_search_through_the_supabase_client(stand_in, pipeline, supabase_db):
    store = SupabaseVectorStore(create_client(stand_in.url, make_jwt(SECRET, "service_role")))
    counts = sync_vector_store(pipeline, store, "m")
    assert (counts["vectors"], counts["written"], counts["deleted"]) == (12, 12, 0)
    assert sync_vector_store(pipeline, store, "m")["written"] == 0  # source hashes came back over REST
    assert ("POST", "/rest/v1/product_vectors") in stand_in.requests

    # the same rows as the postgres backend writes, so the same search results
    local = PostgresVectorStore(pipeline)
    sync_vector_store(pipeline, local, "m")
    query = pipeline.execute("SELECT embedding FROM product_embeddings WHERE chunk_id = 'p3:facts:0'").fetchone()[0]
    query = np.asarray(query.to_list(), dtype=np.float32)
    remote_hits = store.match_products(query, 4)
    assert [h["id"] for h in remote_hits] == [h["id"] for h in local.match_products(query, 4)]
    assert remote_hits[0]["id"] == "p3:facts:0" and remote_hits[0]["score"] == pytest.approx(1.0, abs=1e-5)
    assert [h["id"] for h in store.fulltext_search("dove grey grout", 3)] == [
        h["id"] for h in local.fulltext_search("dove grey grout", 3)
    ]
    assert [h["id"] for h in store.hybrid_search("honed marble", query, 5)] == [
        h["id"] for h in local.hybrid_search("honed marble", query, 5)
    ]
    assert store.match_products(query, 3, filter={"sku": "101"})[0]["metadata"]["sku"] == "101"
    assert store.stats() == {**local.stats(), "vectors": 12}

    # a delisted product leaves the remote store too (DELETE ?id=in.(...) with quoted ids)
    pipeline.execute("UPDATE sitemap_urls SET removed_at = now() WHERE product_key = 'p5'")
    chunks = [
        Chunk(cid, key, kind, 0, content)
        for cid, key, kind, content in pipeline.execute(
            "SELECT chunk_id, product_key, chunk_kind, content FROM product_chunks WHERE product_key <> 'p5'"
        )
    ]
    chunks_sql.sync_chunks(pipeline, chunks)
    assert sync_vector_store(pipeline, store, "m")["deleted"] == 2
    with psycopg.connect(supabase_db) as conn:
        assert conn.execute("SELECT count(*) FROM product_vectors WHERE product_key = 'p5'").fetchone()[0] == 0


def test_document_vectors_sync_and_search_through_the_supabase_client(stand_in, pipeline, supabase_db):
    """document_vectors (migration 022) through the same backends: written over REST, searched by
    rpc("hybrid_search_documents") with the results the pipeline's own database gives."""
    from tileshop_pipelines.store import document_chunks as document_chunks_sql
    from tileshop_pipelines.store import document_search
    from tileshop_pipelines.store.vector_tables import DOCUMENT_VECTORS
    from tileshop_pipelines.text.document_chunks import DocumentChunk

    from ..support.documents import store_document

    document_id = store_document(
        pipeline,
        "http://cdn.test/tds.pdf",
        "Technical Data Sheet",
        ["Coverage\n110 sq. ft. per bag", "Cure Time\nGrout after 24 hours."],
        ["p1"],
    )
    chunks = [
        DocumentChunk(f"doc{document_id}:p{n}:0", document_id, n, section, 0, "TDS", f"TDS: {section}\n{text}")
        for n, section, text in ((1, "Coverage", "110 sq. ft. per bag"), (2, "Cure Time", "Grout after 24 hours."))
    ]
    document_chunks_sql.sync_document_chunks(pipeline, chunks, [document_id], "sig")
    tables = chunks_sql.DOCUMENT_TABLES
    pending = chunks_sql.chunks_to_embed(pipeline, "m", 384, tables)
    chunks_sql.save_embeddings(pipeline, [(c, h) for c, _, h in pending], np.stack([_unit(40), _unit(41)]), "m", tables)

    remote = SupabaseVectorStore(create_client(stand_in.url, make_jwt(SECRET, "service_role")), DOCUMENT_VECTORS)
    assert sync_vector_store(pipeline, remote, "m")["written"] == 2
    assert ("POST", "/rest/v1/document_vectors") in stand_in.requests
    assert sync_vector_store(pipeline, remote, "m")["written"] == 0
    local = PostgresVectorStore(pipeline, DOCUMENT_VECTORS)
    sync_vector_store(pipeline, local, "m")
    assert remote.stats() == local.stats()
    anon = create_client(stand_in.url, make_jwt(SECRET, "anon"))
    found = (
        anon.rpc(
            "hybrid_search_documents",
            {"query_text": "when can I grout", "query_embedding": _unit(41).tolist(), "match_count": 2},
        )
        .execute()
        .data
    )
    assert [(r["id"], r["page_number"]) for r in found] == [
        (h["id"], h["page_number"])
        for h in document_search.hybrid_search_documents(pipeline, "when can I grout", _unit(41), 2)
    ]
    assert found[0]["page_number"] == 2


def test_anon_key_searches_but_cannot_write(stand_in, pipeline):
    anon = SupabaseVectorStore(create_client(stand_in.url, make_jwt(SECRET, "anon")))
    assert anon.fulltext_search("grout", 2)  # RLS policy + grants allow reading
    row = {
        "id": "x:summary:0",
        "product_key": "x",
        "chunk_kind": "summary",
        "content": "x",
        "metadata": {},
        "embedding": _unit(9),
        "text_hash": "h",
        "source_hash": "s",
    }
    with pytest.raises(APIError) as denied:
        anon.upsert([row])
    assert denied.value.code == "42501"
    with pytest.raises(APIError):
        anon.stats()  # only the service role reads the store's health
    forged = SupabaseVectorStore(
        create_client(stand_in.url, make_jwt("another-secret-of-at-least-32-chars!!", "service_role"))
    )
    with pytest.raises(APIError, match="JWSInvalidSignature"):
        forged.upsert([row])


def test_a_failed_upsert_writes_nothing(stand_in, supabase_db):
    store = SupabaseVectorStore(create_client(stand_in.url, make_jwt(SECRET, "service_role")))
    good = {
        "id": "y:summary:0",
        "product_key": "y",
        "chunk_kind": "summary",
        "content": "y",
        "metadata": {},
        "embedding": _unit(1),
        "text_hash": "h",
        "source_hash": "s",
    }
    with pytest.raises(APIError):
        store.upsert([good, {**good, "id": "z:summary:0", "embedding": np.ones(3)}])  # wrong dimension
    with psycopg.connect(supabase_db) as conn:
        assert (
            conn.execute("SELECT count(*) FROM product_vectors WHERE id IN ('y:summary:0', 'z:summary:0')").fetchone()[
                0
            ]
            == 0
        )


def test_generated_sql_builds_what_the_migrations_build(supabase_db, conn):
    def schema(c) -> dict:
        columns = c.execute(
            "SELECT attrelid::regclass::text, attname, format_type(atttypid, atttypmod), attnotnull,"
            " pg_get_expr(d.adbin, d.adrelid)"
            " FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum"
            " WHERE attrelid::regclass::text = ANY(%s) AND attnum > 0 AND NOT attisdropped ORDER BY 1, 2",
            (list(TABLES),),
        ).fetchall()
        indexes = c.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s) ORDER BY indexname", (list(TABLES),)
        ).fetchall()
        triggers = c.execute(
            "SELECT tgname, pg_get_triggerdef(oid) FROM pg_trigger"
            " WHERE tgrelid = 'product_vectors'::regclass AND NOT tgisinternal ORDER BY tgname"
        ).fetchall()
        functions = c.execute(
            "SELECT proname, pg_get_functiondef(oid) FROM pg_proc WHERE proname = ANY(%s)"
            " AND pronamespace = 'public'::regnamespace ORDER BY proname",
            (list(FUNCTIONS),),
        ).fetchall()
        aggregates = c.execute(
            "SELECT aggfnoid::regprocedure::text, aggtransfn::regprocedure::text, agginitval"
            " FROM pg_aggregate WHERE aggfnoid::regproc::text = 'tsvector_concat_agg'"
        ).fetchall()
        return {
            "columns": columns,
            "indexes": indexes,
            "triggers": triggers,
            "functions": functions,
            "aggregates": aggregates,
        }

    with psycopg.connect(supabase_db) as remote:
        expected = schema(remote)
    assert {table for table, *_ in expected["columns"]} == set(TABLES)
    assert len(expected["functions"]) == len(FUNCTIONS) and len(expected["triggers"]) == 4
    assert len(expected["aggregates"]) == 1
    assert schema(conn) == expected


def test_generated_sql_is_the_vector_store_only_each_function_once():
    sql = supabase_vector_store_sql()
    assert set(re.findall(r"CREATE TABLE IF NOT EXISTS (\w+)", sql)) == set(TABLES)
    assert set(re.findall(r"CREATE INDEX IF NOT EXISTS \w+\s+ON (\w+)", sql)) == set(TABLES)
    assert set(re.findall(r"ALTER TABLE (\w+)", sql)) == {"product_vectors"}
    assert sorted(re.findall(r"CREATE OR REPLACE FUNCTION (\w+)", sql)) == sorted(FUNCTIONS)
    assert "rrf_k int DEFAULT 10" in sql and "rrf_k int DEFAULT 50" not in sql  # 006's hybrid_search, not 003's


def test_generated_sql_applies_again_to_a_set_up_project(supabase_db):
    """How a project that has the vector store takes a later migration's changes."""
    with psycopg.connect(supabase_db, autocommit=True) as conn:
        conn.execute(supabase_vector_store_sql())
        assert (
            conn.execute(
                "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'product_vectors'::regclass AND NOT tgisinternal"
            ).fetchone()[0]
            == 4
        )


def _migrations(tmp_path, **files: str) -> list:
    for name, text in files.items():
        (tmp_path / f"{name}.sql").write_text(text)
    return sorted(tmp_path.glob("*.sql"))


def test_marked_statements_in_order_with_a_function_in_its_last_definition(tmp_path):
    paths = _migrations(
        tmp_path,
        m001=(
            "CREATE TABLE pipeline_only (x int);\n-- supabase-vector-store: begin\n"
            "-- f, first\nCREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1; $$;\n"
            "CREATE TABLE kept (note text DEFAULT 'a;b');\n-- supabase-vector-store: end\n"
        ),
        m002=(
            "-- supabase-vector-store: begin\n-- f, again\n"
            "CREATE OR REPLACE FUNCTION f() RETURNS int LANGUAGE sql AS $body$ SELECT 2; $body$;\n"
            "-- supabase-vector-store: end\n"
        ),
    )
    sql = supabase_vector_store_sql(paths)
    assert "pipeline_only" not in sql and "f, first" not in sql and "SELECT 1" not in sql
    assert sql.index("CREATE TABLE kept (note text DEFAULT 'a;b');") < sql.index("-- f, again\nCREATE OR REPLACE")
    assert "-- from migrations/m001.sql" in sql and "-- from migrations/m002.sql" in sql


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("-- supabase-vector-store: begin\nSELECT 1;\n", "not closed"),
        ("SELECT 1;\n-- supabase-vector-store: end\n", "without a begin"),
        ("-- supabase-vector-store: begin\n-- supabase-vector-store: begin\n", "inside a marked region"),
        ("-- supabase-vector-store: begin\nSELECT 1\n-- supabase-vector-store: end\nSELECT 2;\n", "inside a statement"),
    ],
)
def test_unpaired_markers_and_cut_statements_are_refused(tmp_path, text, error):
    with pytest.raises(MarkerError, match=error):
        supabase_vector_store_sql(_migrations(tmp_path, m001=text))


def test_backend_configuration_errors(conn):
    with pytest.raises(SupabaseConfigError, match="SUPABASE_URL"):
        open_vector_store("supabase", conn, "", "")
    with pytest.raises(ValueError, match="not one of"):
        open_vector_store("pinecone", conn)
