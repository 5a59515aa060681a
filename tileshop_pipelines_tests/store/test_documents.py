"""The documents tables: one row per URL, links that follow the listed products' records (unlinked,
never deleted), and checks stored so that the same bytes are never read twice."""

from __future__ import annotations

import datetime as dt

from tileshop_pipelines.store import documents as documents_sql
from tileshop_pipelines.store.documents import DocumentResult, NamedDocument

from ..support.document_server import products_naming

CDN = "https://s7d1.scene7.com/is/content/TileShop/pdf/"
SDS = CDN + "sds/grout-sds.pdf"
TDS = CDN + "tds/grout-tds.pdf"
WEEK = dt.timedelta(days=7)


def _links(conn) -> dict[tuple[str, str], bool]:
    return {
        (url, key): unlinked is None
        for url, key, unlinked in conn.execute(
            "SELECT d.url, l.product_key, l.unlinked_at FROM document_links l JOIN documents d USING (document_id)"
        )
    }


def test_a_document_shared_by_many_products_is_one_row_linked_to_each(conn):
    products_naming(
        conn,
        {f"grout{i}": [{"name": "Safety Data Sheet", "url": SDS}] for i in range(200)}
        | {"mortar": [{"name": "Technical Data Sheet", "url": TDS}, {"name": None, "url": SDS}]},
    )
    changes = documents_sql.record_links(conn, documents_sql.named_documents(conn))
    assert (changes.documents_added, changes.linked, changes.unlinked, changes.linked_documents) == (2, 202, 0, 2)
    rows = conn.execute("SELECT url, host, name, state FROM documents ORDER BY url").fetchall()
    assert rows == [
        (SDS, "s7d1.scene7.com", "Safety Data Sheet", "pending"),
        (TDS, "s7d1.scene7.com", "Technical Data Sheet", "pending"),
    ]
    assert (
        conn.execute(
            "SELECT l.name FROM document_links l JOIN documents d USING (document_id) "
            "WHERE product_key = 'mortar' AND d.url = %s",
            (SDS,),
        ).fetchone()[0]
        == "grout-sds.pdf"
    )
    again = documents_sql.record_links(conn, documents_sql.named_documents(conn))
    assert (again.documents_added, again.linked, again.relinked, again.unlinked) == (0, 0, 0, 0)


def test_a_document_a_product_stops_naming_is_unlinked_never_deleted_and_comes_back(conn):
    products_naming(conn, {"a": [{"name": "SDS", "url": SDS}], "b": [{"name": "SDS", "url": SDS}]})
    documents_sql.record_links(conn, documents_sql.named_documents(conn))
    products_naming(conn, {"a": [], "b": [{"name": "SDS", "url": SDS}]})  # a no longer names it
    changes = documents_sql.record_links(conn, documents_sql.named_documents(conn))
    assert changes.unlinked == 1 and _links(conn) == {(SDS, "a"): False, (SDS, "b"): True}
    products_naming(conn, {"a": [], "b": [{"name": "SDS", "url": SDS}]}, listed=["a"])  # b delisted
    changes = documents_sql.record_links(conn, documents_sql.named_documents(conn))
    assert changes.unlinked == 1 and changes.linked_documents == 0
    assert _links(conn) == {(SDS, "a"): False, (SDS, "b"): False}
    assert conn.execute("SELECT count(*) FROM documents").fetchone()[0] == 1  # the document stays
    assert documents_sql.linked_documents(conn, WEEK) == []  # nobody names it: not checked
    products_naming(conn, {"a": [{"name": "SDS", "url": SDS}], "b": [{"name": "SDS", "url": SDS}]})
    changes = documents_sql.record_links(conn, documents_sql.named_documents(conn))
    assert (changes.relinked, changes.linked) == (2, 0) and all(_links(conn).values())


def _linked(conn):
    documents_sql.record_links(conn, [NamedDocument("p", SDS, "SDS")])
    [document] = documents_sql.linked_documents(conn, WEEK)
    return document


def test_read_bytes_keep_their_text_and_the_same_bytes_are_not_read_again(conn):
    document = _linked(conn)
    assert document.due and document.state == "pending"
    documents_sql.save_results(
        conn,
        [
            DocumentResult(
                document.document_id,
                "ok",
                200,
                etag='"v1"',
                last_modified="Mon, 01 Jun 2026 00:00:00 GMT",
                content_type="application/pdf",
                content_hash="h1",
                byte_size=900,
                pages=["Coverage: 95 sq. ft.", ""],
                warnings=["pypdf: x"],
            )
        ],
    )
    [document] = documents_sql.linked_documents(conn, WEEK)
    assert (document.state, document.content_hash, document.parsed_hash, document.etag, document.due) == (
        "ok",
        "h1",
        "h1",
        '"v1"',
        False,
    )
    assert documents_sql.document_pages(conn, SDS) == ["Coverage: 95 sq. ft.", ""]
    assert conn.execute("SELECT page_count, warnings FROM documents").fetchone() == (2, ["pypdf: x"])
    # New bytes that cannot be read: remembered with their hash; the last good text stays.
    documents_sql.save_results(
        conn,
        [
            DocumentResult(
                document.document_id,
                "failed",
                200,
                "not read: encrypted",
                etag='"v2"',
                content_hash="h2",
                byte_size=950,
            )
        ],
    )
    [document] = documents_sql.linked_documents(conn, WEEK)
    assert (document.state, document.content_hash, document.parsed_hash, document.etag) == (
        "failed",
        "h2",
        "h1",
        '"v2"',
    )
    assert documents_sql.document_pages(conn, SDS) == ["Coverage: 95 sq. ft.", ""]
    # A 304 for those bytes: still failed, reason kept; the history has both versions.
    documents_sql.save_results(conn, [DocumentResult(document.document_id, "unchanged", 304)])
    assert conn.execute("SELECT state, reason, attempts FROM documents").fetchone() == (
        "failed",
        "not read: encrypted",
        2,
    )
    assert conn.execute(
        "SELECT content_hash, page_count FROM document_history ORDER BY fetched_at, content_hash"
    ).fetchall() == [("h1", 2), ("h2", None)]
    stats = documents_sql.document_stats(conn)
    assert (stats["fetched"], stats["read"], stats["with_text"]) == (1, 0, 0)


def test_a_fetch_failure_keeps_the_text_and_a_304_then_makes_it_ok_again(conn):
    document = _linked(conn)
    documents_sql.save_results(
        conn, [DocumentResult(document.document_id, "ok", 200, content_hash="h1", byte_size=10, pages=["text"])]
    )
    documents_sql.save_results(conn, [DocumentResult(document.document_id, "failed", None, "not fetched: timed out")])
    assert conn.execute("SELECT state, reason, attempts, parsed_hash FROM documents").fetchone() == (
        "failed",
        "not fetched: timed out",
        1,
        "h1",
    )
    documents_sql.save_results(conn, [DocumentResult(document.document_id, "unchanged", 304)])
    assert conn.execute("SELECT state, reason, attempts FROM documents").fetchone() == ("ok", None, 0)
    documents_sql.save_results(conn, [DocumentResult(document.document_id, "gone", 404, "HTTP 404")])
    assert conn.execute("SELECT state, reason FROM documents").fetchone() == ("gone", "HTTP 404")
    assert documents_sql.document_pages(conn, SDS) == ["text"]  # gone: the text is never deleted
    stats = documents_sql.document_stats(conn)
    assert (stats["gone"], stats["read"], stats["with_text"]) == (1, 1, 1)


def test_due_documents_follow_state_backoff_and_age(conn):
    document = _linked(conn)
    documents_sql.save_results(
        conn, [DocumentResult(document.document_id, "ok", 200, content_hash="h", byte_size=1, pages=["t"])]
    )
    assert not documents_sql.linked_documents(conn, WEEK)[0].due
    assert documents_sql.linked_documents(conn, dt.timedelta(0))[0].due  # older than a max age of zero
    documents_sql.save_results(conn, [DocumentResult(document.document_id, "failed", None, "not fetched: HTTP 500")])
    assert not documents_sql.linked_documents(conn, WEEK)[0].due  # within its backoff
    conn.execute("UPDATE documents SET checked_at = now() - interval '31 minutes'")
    assert documents_sql.linked_documents(conn, WEEK)[0].due
    assert documents_sql.mark_refused(conn, {document.document_id: "host off the list"}) == 1
    assert documents_sql.mark_refused(conn, {document.document_id: "host off the list"}) == 0
    [refused] = documents_sql.linked_documents(conn, WEEK)
    assert (refused.state, refused.due) == ("refused", True)  # judged again at every run (the list may change)
    assert documents_sql.failing_documents(conn) == [(SDS, "refused", "host off the list")]
    assert documents_sql.document_pages(conn, SDS) == ["t"]
