from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.acquisition import PageCheck, content_hash, record_page_checks


def _ok(key, url, html):
    return PageCheck(key, url, "ok", 200, html)


def test_only_new_or_changed_pages_are_parsed_and_failures_wait_for_new_content(conn):
    conn.execute("TRUNCATE product_pages, products, product_history")
    record_page_checks(conn, [_ok("good", "http://s/products/good-1", "<html>good</html>"),
                              _ok("bad", "http://s/products/bad-2", "<html>home page</html>")])
    assert products_sql.keys_to_parse(conn) == ["bad", "good"]
    assert products_sql.keys_to_parse(conn, ["good"]) == ["good"]
    products_sql.save_records(
        conn,
        [("good", content_hash("<html>good</html>"), {"sku": "1", "url": "http://s/products/good-1", "name": "G"})],
        [("bad", content_hash("<html>home page</html>"), "blocked: home page")],
    )
    assert products_sql.keys_to_parse(conn) == []  # a failed page is not retried on unchanged content
    assert conn.execute("SELECT parse_error FROM product_pages WHERE product_key = 'bad'").fetchone()[0] \
        == "blocked: home page"

    record_page_checks(conn, [_ok("bad", "http://s/products/bad-2", "<html>fixed</html>"),
                              _ok("good", "http://s/products/good-1", "<html>good</html>")])
    assert products_sql.keys_to_parse(conn) == ["bad"]  # new content: parse again; unchanged page: no
    rows = products_sql.load_pages(conn, ["bad"])
    assert rows == [("bad", "http://s/products/bad-2", "<html>fixed</html>", content_hash("<html>fixed</html>"))]


def test_a_changed_record_is_a_new_version_and_history_keeps_the_old_one(conn):
    conn.execute("TRUNCATE products, product_history")
    old = {"sku": "0123", "url": "u", "name": "Old", "price": 5.0}
    assert products_sql.save_records(conn, [("k", "h1", old)], []) == {"k": 1}
    assert products_sql.save_records(conn, [("k", "h1b", dict(old))], []) == {}  # same record: no version
    assert products_sql.save_records(conn, [("k", "h2", {**old, "name": "New", "price": 6.5})], []) == {"k": 2}
    assert conn.execute("SELECT name, price, content_hash, version, record->>'name' FROM products").fetchall() == [
        ("New", 6.5, "h2", 2, "New")]
    history = products_sql.history_for_sku(conn, "0123")
    assert [(h["version"], h["price"], h["valid_to"] is None) for h in history] == [(1, 5.0, False), (2, 6.5, True)]
    assert history[0]["valid_to"] == history[1]["valid_from"]
    assert products_sql.history_for_sku(conn, "123") == []  # SKUs are strings: the zero matters


def test_required_field_coverage_counts_records_missing_any_field(conn):
    from tileshop_pipelines.store.products import required_field_coverage

    full = {"sku": "1", "url": "u", "name": "A", "price": 5.0, "price_unit": "box"}
    products_sql.save_records(conn, [
        ("a", "h1", full),
        ("b", "h2", {**full, "sku": "2", "price": None}),
        ("c", "h3", {**full, "sku": "3", "price_unit": None}),
    ], [])
    assert required_field_coverage(conn, ("name", "sku", "price", "price_unit")) == (1, 3)
    assert required_field_coverage(conn, ("name", "sku")) == (3, 3)
