import datetime as dt

import pytest

from tileshop_pipelines.store.acquisition import (
    ListedUrl,
    PageCheck,
    SitemapShrunk,
    crawl_targets,
    current_cycle_start,
    due_products,
    listed_products,
    record_page_checks,
    record_sitemap,
)

URL = "http://site/products/k-12345"


def _product(slug: str, sku: str | None = None) -> ListedUrl:
    return ListedUrl(f"http://site/products/{slug}", "product", slug, sku, None)


def test_sitemap_diff_marks_removed_and_never_deletes(conn):
    conn.execute("TRUNCATE sitemap_urls, sitemap_refreshes")
    first = record_sitemap(
        conn, [_product("a-1", "1"), _product("b-2", "2"), ListedUrl("http://site/", "other", None, None, None)]
    )
    assert (first.listed, first.products, first.added, first.removed) == (3, 2, 3, 0)
    second = record_sitemap(conn, [_product("a-1", "1"), _product("c-3", "3")])
    assert (second.added, second.removed, second.unchanged) == (1, 2, 1)
    rows = dict(conn.execute("SELECT url, removed_at IS NOT NULL FROM sitemap_urls").fetchall())
    assert rows == {
        "http://site/products/a-1": False,
        "http://site/products/b-2": True,
        "http://site/": True,
        "http://site/products/c-3": False,
    }
    assert sorted(k for k, _ in listed_products(conn)) == ["a-1", "c-3"]
    # listed again: back in the catalog
    third = record_sitemap(conn, [_product("a-1", "1"), _product("b-2", "2"), _product("c-3", "3")])
    assert third.added == 1 and third.removed == 0
    assert sorted(k for k, _ in listed_products(conn)) == ["a-1", "b-2", "c-3"]
    assert conn.execute("SELECT count(*) FROM sitemap_refreshes").fetchone()[0] == 3


def test_a_shrinking_sitemap_is_refused_and_writes_nothing(conn):
    conn.execute("TRUNCATE sitemap_urls, sitemap_refreshes")
    record_sitemap(conn, [_product(f"p-{i}") for i in range(20)], max_shrink=0.1)
    before = conn.execute("SELECT url, removed_at FROM sitemap_urls ORDER BY url").fetchall()
    with pytest.raises(SitemapShrunk, match="17 products, 3 fewer than the 20"):
        record_sitemap(conn, [_product(f"p-{i}") for i in range(17)], max_shrink=0.1)
    assert conn.execute("SELECT url, removed_at FROM sitemap_urls ORDER BY url").fetchall() == before
    assert conn.execute("SELECT count(*) FROM sitemap_refreshes").fetchone()[0] == 1
    record_sitemap(conn, [_product(f"p-{i}") for i in range(18)], max_shrink=0.1)  # 10%: allowed


def _page(conn, key="k"):
    return conn.execute(
        "SELECT state, html, content_hash, etag, attempts, next_attempt_at IS NOT NULL, error, checked_at"
        " FROM product_pages WHERE product_key = %s",
        (key,),
    ).fetchone()


def test_page_checks_keep_the_last_good_page_and_count_attempts(conn):
    conn.execute("TRUNCATE product_pages")
    changed = record_page_checks(conn, [PageCheck("k", URL, "ok", 200, "<html>v1</html>", '"e1"', "Mon")])
    assert changed == {"k": True}
    state, html, digest, etag, attempts, _, _, checked = _page(conn)
    assert (state, html, etag, attempts) == ("ok", "<html>v1</html>", '"e1"', 0)

    assert record_page_checks(conn, [PageCheck("k", URL, "failed", 503, error="HTTP 503")]) == {"k": False}
    assert record_page_checks(conn, [PageCheck("k", URL, "blocked", 200, error="home page")]) == {"k": False}
    state, html, digest2, etag, attempts, retry_set, error, checked2 = _page(conn)
    assert (state, html, digest2, etag, attempts, retry_set, error) == (
        "blocked",
        "<html>v1</html>",
        digest,
        '"e1"',
        2,
        True,
        "home page",
    )
    assert checked2 == checked  # a failed check is not a check
    backoff = conn.execute("SELECT next_attempt_at - fetched_at FROM product_pages").fetchone()[0]
    assert dt.timedelta(minutes=9) < backoff <= dt.timedelta(minutes=10, seconds=1)  # 5 min x 2^1

    assert record_page_checks(conn, [PageCheck("k", URL, "not_modified", 304)]) == {"k": False}
    state, html, _, etag, attempts, retry_set, error, _ = _page(conn)
    assert (state, html, etag, attempts, retry_set, error) == ("ok", "<html>v1</html>", '"e1"', 0, False, None)

    assert record_page_checks(conn, [PageCheck("k", URL, "ok", 200, "<html>v1</html>", '"e1"')]) == {"k": False}
    assert record_page_checks(conn, [PageCheck("k", URL, "ok", 200, "<html>v2</html>", '"e2"')]) == {"k": True}
    assert record_page_checks(conn, [PageCheck("k", URL, "gone", 410, error="HTTP 410")]) == {"k": False}
    state, html, _, etag, *_ = _page(conn)
    assert (state, html, etag) == ("gone", "<html>v2</html>", '"e2"')


def test_due_products_and_resumable_targets(conn):
    conn.execute("TRUNCATE sitemap_urls, sitemap_refreshes, product_pages")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
    record_sitemap(
        conn,
        [_product(s) for s in ("new-1", "fresh-2", "stale-3", "failed-4", "waiting-5")]
        + [ListedUrl("http://site/products/changed-6", "product", "changed-6", None, "x", soon)],
    )
    record_page_checks(
        conn,
        [
            PageCheck(k, f"http://site/products/{k}", "ok", 200, f"<p>{k}</p>")
            for k in ("fresh-2", "stale-3", "changed-6")
        ],
    )
    record_page_checks(
        conn,
        [PageCheck(k, f"http://site/products/{k}", "failed", 500, error="HTTP 500") for k in ("failed-4", "waiting-5")],
    )
    conn.execute("UPDATE product_pages SET checked_at = now() - interval '8 days' WHERE product_key = 'stale-3'")
    conn.execute("UPDATE product_pages SET next_attempt_at = now() - interval '1 s' WHERE product_key = 'failed-4'")
    due = {d.product_key: d.reason for d in due_products(conn, max_age=dt.timedelta(days=7), limit=100)}
    # changed-6: its <lastmod> is newer than its last check
    assert due == {"new-1": "new", "stale-3": "stale", "failed-4": "retry", "changed-6": "changed"}

    targets, skipped = crawl_targets(
        conn, ["new-1", "fresh-2", "stale-3"], skip_checked_since=current_cycle_start(conn)
    )
    assert sorted(t.product_key for t in targets) == ["new-1", "stale-3"] and skipped == ["fresh-2"]


def test_a_growing_sitemap_is_refused_and_writes_nothing(conn):
    from tileshop_pipelines.store.acquisition import SitemapGrew

    record_sitemap(conn, [_product(f"p-{i}") for i in range(20)], max_growth=0.25)  # the first: no bound
    with pytest.raises(SitemapGrew, match="lists 26 products, 30.0% more than the 20 listed now"):
        record_sitemap(conn, [_product(f"p-{i}") for i in range(26)], max_growth=0.25)
    assert conn.execute("SELECT count(*) FROM sitemap_urls").fetchone()[0] == 20
    record_sitemap(conn, [_product(f"p-{i}") for i in range(25)], max_growth=0.25)  # 25%: allowed
    with pytest.raises(SitemapGrew, match="over the hard maximum of 30"):
        record_sitemap(conn, [_product(f"p-{i}") for i in range(31)], max_products=30)
    assert conn.execute("SELECT count(*) FROM sitemap_urls").fetchone()[0] == 25
