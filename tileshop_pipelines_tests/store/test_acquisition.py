from tileshop_pipelines.store.acquisition import ListedUrl, listed_products, record_sitemap, save_page_results


def _product(slug: str, sku: str | None = None) -> ListedUrl:
    return ListedUrl(f"http://site/products/{slug}", "product", slug, sku, None)


def test_sitemap_diff_marks_removed_and_never_deletes(conn):
    conn.execute("TRUNCATE sitemap_urls")
    first = record_sitemap(conn, [_product("a-1", "1"), _product("b-2", "2"),
                                  ListedUrl("http://site/", "other", None, None, None)])
    assert (first.listed, first.products, first.added, first.removed) == (3, 2, 3, 0)
    second = record_sitemap(conn, [_product("a-1", "1"), _product("c-3", "3")])
    assert (second.added, second.removed, second.unchanged) == (1, 2, 1)
    rows = dict(conn.execute("SELECT url, removed_at IS NOT NULL FROM sitemap_urls").fetchall())
    assert rows == {"http://site/products/a-1": False, "http://site/products/b-2": True,
                    "http://site/": True, "http://site/products/c-3": False}
    assert sorted(k for k, _ in listed_products(conn)) == ["a-1", "c-3"]
    # listed again: back in the catalog
    third = record_sitemap(conn, [_product("a-1", "1"), _product("b-2", "2"), _product("c-3", "3")])
    assert third.added == 1 and third.removed == 0
    assert sorted(k for k, _ in listed_products(conn)) == ["a-1", "b-2", "c-3"]


def test_failed_fetch_keeps_last_good_html(conn):
    conn.execute("TRUNCATE product_pages")
    save_page_results(conn, [("k", "http://site/products/k", 200, "<html>v1</html>", None)])
    good = conn.execute("SELECT html, content_hash, last_ok_at FROM product_pages").fetchone()
    save_page_results(conn, [("k", "http://site/products/k", 500, None, "HTTP 500")])
    html, digest, last_ok, status, error = conn.execute(
        "SELECT html, content_hash, last_ok_at, status_code, error FROM product_pages").fetchone()
    assert (html, digest, last_ok) == good
    assert (status, error) == (500, "HTTP 500")
    save_page_results(conn, [("k", "http://site/products/k", 200, "<html>v2</html>", None)])
    html, digest, error = conn.execute("SELECT html, content_hash, error FROM product_pages").fetchone()
    assert html == "<html>v2</html>" and digest != good[1] and error is None
