from tileshop_pipelines.store import products as products_sql
from tileshop_pipelines.store.acquisition import content_hash, save_page_results


def test_only_new_or_changed_pages_are_parsed_and_failures_wait_for_new_content(conn):
    conn.execute("TRUNCATE product_pages, products")
    save_page_results(conn, [("good", "http://s/products/good-1", 200, "<html>good</html>", None),
                             ("bad", "http://s/products/bad-2", 200, "<html>home page</html>", None)])
    assert products_sql.keys_to_parse(conn) == ["bad", "good"]
    products_sql.save_records(
        conn,
        [("good", content_hash("<html>good</html>"), {"sku": "1", "url": "http://s/products/good-1", "name": "G"})],
        [("bad", content_hash("<html>home page</html>"), "blocked: home page")],
    )
    assert products_sql.keys_to_parse(conn) == []  # a failed page is not retried on unchanged content
    assert conn.execute("SELECT parse_error FROM product_pages WHERE product_key = 'bad'").fetchone()[0] \
        == "blocked: home page"

    save_page_results(conn, [("bad", "http://s/products/bad-2", 200, "<html>fixed</html>", None),
                             ("good", "http://s/products/good-1", 200, "<html>good</html>", None)])
    assert products_sql.keys_to_parse(conn) == ["bad"]  # new content: parse again; unchanged page: no
    rows = products_sql.load_pages(conn, ["bad"])
    assert rows == [("bad", "http://s/products/bad-2", "<html>fixed</html>", content_hash("<html>fixed</html>"))]


def test_upsert_replaces_the_record(conn):
    conn.execute("TRUNCATE products")
    products_sql.save_records(conn, [("k", "h1", {"sku": "1", "url": "u", "name": "Old", "price": 5.0})], [])
    products_sql.save_records(conn, [("k", "h2", {"sku": "1", "url": "u", "name": "New", "price": 6.5})], [])
    assert conn.execute("SELECT name, price, content_hash, record->>'name' FROM products").fetchall() == [
        ("New", 6.5, "h2", "New")]
