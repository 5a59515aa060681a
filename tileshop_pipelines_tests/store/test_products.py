from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.acquisition import PageCheck, content_hash, record_page_checks


def _ok(key, url, html):
    return PageCheck(key, url, "ok", 200, html)


def test_only_new_or_changed_pages_are_parsed_and_failures_wait_for_new_content(conn):
    conn.execute("TRUNCATE product_pages, products, product_history")
    record_page_checks(
        conn,
        [
            _ok("good", "http://s/products/good-1", "<html>good</html>"),
            _ok("bad", "http://s/products/bad-2", "<html>home page</html>"),
        ],
    )
    assert products_sql.keys_to_parse(conn) == ["bad", "good"]
    assert products_sql.keys_to_parse(conn, ["good"]) == ["good"]
    products_sql.save_records(
        conn,
        [("good", content_hash("<html>good</html>"), {"sku": "1", "url": "http://s/products/good-1", "name": "G"})],
        [("bad", content_hash("<html>home page</html>"), "blocked: home page")],
    )
    assert products_sql.keys_to_parse(conn) == []  # a failed page is not retried on unchanged content
    assert (
        conn.execute("SELECT parse_error FROM product_pages WHERE product_key = 'bad'").fetchone()[0]
        == "blocked: home page"
    )

    record_page_checks(
        conn,
        [
            _ok("bad", "http://s/products/bad-2", "<html>fixed</html>"),
            _ok("good", "http://s/products/good-1", "<html>good</html>"),
        ],
    )
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
        ("New", 6.5, "h2", 2, "New")
    ]
    history = products_sql.history_for_sku(conn, "0123")
    assert [(h["version"], h["price"], h["valid_to"] is None) for h in history] == [(1, 5.0, False), (2, 6.5, True)]
    assert history[0]["valid_to"] == history[1]["valid_from"]
    assert products_sql.history_for_sku(conn, "123") == []  # SKUs are strings: the zero matters


def test_required_field_coverage_counts_records_missing_any_field(conn):
    from tileshop_pipelines.store.products import required_field_coverage

    full = {"sku": "1", "url": "u", "name": "A", "price": 5.0, "price_unit": "box"}
    products_sql.save_records(
        conn,
        [
            ("a", "h1", full),
            ("b", "h2", {**full, "sku": "2", "price": None}),
            ("c", "h3", {**full, "sku": "3", "price_unit": None}),
        ],
        [],
    )
    assert required_field_coverage(conn, ("name", "sku", "price", "price_unit")) == (1, 3)
    assert required_field_coverage(conn, ("name", "sku")) == (3, 3)


# `make run`'s laminate at beb40f9 (SKU 684063), as read from its page (issue 24, point 5).
IMPLAUSIBLE = {
    "sku": "684063",
    "url": "http://s/products/laminate-684063",
    "name": "Montreux Oak Laminate",
    "category": "Laminate & Wood",
    "size": "96 x 7886 in",
    "price": 10148.22,
    "price_unit": "box",
    "coverage_sqft_per_box": 5099.61,
    "box_weight_lbs": 10006.3,
}


def test_an_implausible_record_is_held_even_as_a_product_s_first_and_a_plausible_one_clears_it(conn):
    conn.execute("TRUNCATE product_pages, products, product_history, product_suspects")
    record_page_checks(conn, [_ok("lam", IMPLAUSIBLE["url"], "<html>lam</html>")])
    assert products_sql.save_records(conn, [("lam", content_hash("<html>lam</html>"), IMPLAUSIBLE)], []) == {}
    assert conn.execute("SELECT count(*) FROM products").fetchone()[0] == 0  # nothing current to show shoppers
    total, held = products_sql.suspect_records(conn)
    assert total == 1 and held[0][0] == "lam"
    assert held[0][1].startswith("implausible size '96 x 7886 in': 7,886 in is over 130 for surface")
    assert "implausible box weight: 10,006.3 lb" in held[0][1] and "implausible coverage" in held[0][1]
    (parse_error,) = conn.execute("SELECT parse_error FROM product_pages WHERE product_key = 'lam'").fetchone()
    assert parse_error == f"suspect: {held[0][1]}"
    (stored,) = conn.execute("SELECT record FROM product_suspects").fetchone()
    assert stored == IMPLAUSIBLE  # held as read, nothing lost

    fixed = {
        **IMPLAUSIBLE,
        "size": "9.6 x 78.86 in",
        "price": 10.15,
        "coverage_sqft_per_box": 5.1,
        "box_weight_lbs": 10.2,
    }
    assert products_sql.save_records(conn, [("lam", "h2", fixed)], []) == {"lam": 1}
    assert products_sql.suspect_records(conn) == (0, [])


def test_an_implausible_change_keeps_the_current_version(conn):
    conn.execute("TRUNCATE products, product_history, product_suspects")
    good = {
        **IMPLAUSIBLE,
        "size": "9.6 x 78.86 in",
        "price": 10.15,
        "coverage_sqft_per_box": 5.1,
        "box_weight_lbs": 10.2,
    }
    assert products_sql.save_records(conn, [("lam", "h1", good)], []) == {"lam": 1}
    assert products_sql.save_records(conn, [("lam", "h2", {**good, "box_weight_lbs": 1020.0})], []) == {}
    assert conn.execute("SELECT version, record FROM products").fetchall() == [(1, good)]
    total, held = products_sql.suspect_records(conn)
    assert total == 1 and held[0][1].startswith("implausible box weight: 1,020 lb is over 200 for surface")
