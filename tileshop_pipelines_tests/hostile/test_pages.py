"""Poisoned product pages in one batch with good ones, through the real crawl path into Postgres.

Before: each of these stopped all acquisition (RecursionError, OverflowError, the COPY rejecting
NUL or a surrogate), with the rest of the batch unstored. Now each page is stored sanitized with
the reason recorded, or marked failed naming the error; everything else of the batch lands.
"""

from __future__ import annotations

import pytest

from . import corpus
from .conftest import list_and_crawl

CASES = {
    "deep_jsonld": corpus.deep_jsonld,
    "deep_product_value": corpus.deep_product_value,
    "huge_price": corpus.huge_price,
    "nan_price": corpus.nan_price,
    "negative_price": corpus.negative_price,
    "infinite_price": corpus.infinite_price,
    "nul_in_name": corpus.nul_in_name,
    "nul_byte_in_body": corpus.nul_byte_in_body,
    "lone_surrogate": corpus.lone_surrogate,
    "huge_box_weight": corpus.huge_box_weight,
}


def _plain(catalog, n):
    """Products without quirks (their SKU ends the URL, they state a box weight)."""
    chosen = [p for p in catalog.products if p.path.endswith(p.page_sku) and "BoxWeight" in p.specs]
    assert len(chosen) >= n
    return chosen[:n]


def _stored(conn, keys):
    rows = conn.execute("SELECT product_key, record FROM products WHERE product_key = ANY(%s)", (keys,)).fetchall()
    return dict(rows)


def _pages(conn, keys):
    rows = conn.execute(
        "SELECT product_key, state, error FROM product_pages WHERE product_key = ANY(%s)", (keys,)
    ).fetchall()
    return {key: (state, error) for key, state, error in rows}


def test_every_poisoned_page_is_contained_and_the_batch_lands(conn, site, catalog):
    products = _plain(catalog, len(CASES) + 5)
    urls = {}
    for (name, make), product in zip(CASES.items(), products[: len(CASES)], strict=True):
        urls[name] = site.serve(product.path, make(product, site.base_url))
    good = [site.serve(p.path, corpus.page(p, site.base_url)) for p in products[len(CASES) :]]

    report, keys = list_and_crawl(conn, [*urls.values(), *good])

    stored, pages = _stored(conn, list(keys.values())), _pages(conn, list(keys.values()))
    assert all(keys[url] in stored for url in good)  # the rest of the batch landed
    by_case = {name: keys[url] for name, url in urls.items()}
    warnings = {name: " ".join(stored.get(key, {}).get("warnings", [])) for name, key in by_case.items()}
    # Stored, sanitized, with the reason recorded.
    assert "json_too_deep" in warnings["deep_jsonld"] and stored[by_case["deep_jsonld"]]["price"] is not None
    for name in ("huge_price", "nan_price", "negative_price", "infinite_price"):
        assert stored[by_case[name]]["price"] is None and "invalid_price" in warnings[name], name
    assert "\x00" not in stored[by_case["nul_in_name"]]["name"] and "nul_removed" in warnings["nul_in_name"]
    assert stored[by_case["nul_in_name"]]["name"].endswith("evil")
    assert "surrogate_replaced" in warnings["lone_surrogate"] and "\ufffd" in stored[by_case["lone_surrogate"]]["name"]
    assert stored[by_case["huge_box_weight"]]["box_weight_lbs"] is None
    assert "invalid_number: BoxWeight" in warnings["huge_box_weight"]  # refused while parsed (issue 24)
    assert "nul_removed" in warnings["nul_byte_in_body"]
    html = conn.execute(
        "SELECT html FROM product_pages WHERE product_key = %s", (by_case["nul_byte_in_body"],)
    ).fetchone()[0]
    assert "\x00" not in html and "</h1>" in html
    # Not a product page any more (its only Product is too deep): named, not stored.
    state, error = pages[by_case["deep_product_value"]]
    assert state == "blocked" and "nested deeper than" in error
    assert report.circuit_open is None


@pytest.mark.parametrize("write_batch", [1, 100])
def test_a_page_the_store_rejects_is_failed_and_the_rest_of_its_batch_lands(
    conn, site, catalog, write_batch, monkeypatch
):
    from tileshop_pipelines.acquisition import refresh

    products = _plain(catalog, 4)
    urls = [site.serve(p.path, corpus.page(p, site.base_url)) for p in products]
    poisoned = urls[1]

    # A value no sanitizer knows about yet: the store's own rejection must stay one page's problem.
    real_extract = refresh.extract_page

    def extract_then_poison(check, stored_hash):
        real_extract(check, stored_hash)
        if check.url == poisoned and check.record is not None:
            check.record["name"] = "poison\x00"

    monkeypatch.setattr(refresh, "extract_page", extract_then_poison)

    report, keys = list_and_crawl(conn, urls, write_batch=write_batch)
    stored, pages = _stored(conn, list(keys.values())), _pages(conn, list(keys.values()))
    assert set(stored) == {keys[u] for u in urls if u != poisoned}
    state, error = pages[keys[poisoned]]
    assert state == "failed" and error.startswith("store_error (")
    assert {c.outcome for c in report.checks if c.url != poisoned} == {"ok"}


def test_a_page_the_parser_crashes_on_is_failed_and_the_run_goes_on(conn, site, catalog, monkeypatch):
    from tileshop_pipelines.acquisition import refresh

    products = _plain(catalog, 3)
    urls = [site.serve(p.path, corpus.page(p, site.base_url)) for p in products]
    real = refresh.extract_product

    def crash_on_second(html, url):
        if url == urls[1]:
            raise RuntimeError("a parser bug we have not met yet")
        return real(html, url)

    monkeypatch.setattr(refresh, "extract_product", crash_on_second)

    report, keys = list_and_crawl(conn, urls)
    pages = _pages(conn, list(keys.values()))
    assert pages[keys[urls[1]]] == ("failed", "parse_error (RuntimeError): a parser bug we have not met yet")
    assert set(_stored(conn, list(keys.values()))) == {keys[urls[0]], keys[urls[2]]}


@pytest.mark.parametrize(
    "make", [corpus.broken_next_data, corpus.nan_price, corpus.negative_price, corpus.infinite_price, corpus.huge_price]
)
def test_a_version_that_lost_its_specifications_or_price_is_held_as_suspect(conn, site, catalog, make):
    from tileshop_pipelines.store import products as products_sql

    product, other = _plain(catalog, 2)
    url = site.serve(product.path, corpus.page(product, site.base_url))
    other_url = site.serve(other.path, corpus.page(other, site.base_url))
    _, keys = list_and_crawl(conn, [url, other_url])
    key = keys[url]
    good = _stored(conn, [key])[key]

    site.serve(product.path, make(product, site.base_url))
    site.serve(other.path, corpus.page(other, site.base_url).replace("</h1>", " Plus</h1>"))  # an ordinary change
    report, _ = list_and_crawl(conn, [url, other_url])

    assert _stored(conn, [key])[key] == good  # the last good record stays current
    (version,) = conn.execute("SELECT version FROM products WHERE product_key = %s", (key,)).fetchone()
    assert version == 1 and next(c for c in report.checks if c.url == url).version is None
    total, held = products_sql.suspect_records(conn)
    assert total == 1 and held[0][0] == key
    state, error = _pages(conn, [key])[key]
    assert state == "ok" and error is None
    (parse_error,) = conn.execute("SELECT parse_error FROM product_pages WHERE product_key = %s", (key,)).fetchone()
    assert parse_error.startswith("suspect: ") and (
        ("specification" in parse_error or "fields" in parse_error)
        if make is corpus.broken_next_data
        else "price" in parse_error
    )

    site.serve(product.path, corpus.page(product, site.base_url))  # the page is repaired
    list_and_crawl(conn, [url, other_url])
    assert products_sql.suspect_records(conn) == (0, [])


def test_a_page_claiming_another_product_s_sku_does_not_take_it_over(conn, site, catalog):
    """Before: the JSON-LD sku overrode the URL's; the impostor took the real product's SKU (the
    real one 404'd in the API, the impostor ranked first for it). Through the real crawl path."""
    real, impostor = _plain(catalog, 2)
    real_url = site.serve(real.path, corpus.page(real, site.base_url))
    impostor_url = site.serve(impostor.path, corpus.other_sku(impostor, site.base_url, real.page_sku))
    _, keys = list_and_crawl(conn, [real_url, impostor_url])
    stored = _stored(conn, list(keys.values()))
    assert stored[keys[real_url]]["sku"] == real.page_sku and "warnings" not in stored[keys[real_url]]
    assert stored[keys[impostor_url]]["sku"] == impostor.page_sku
    assert stored[keys[impostor_url]]["warnings"][0].startswith(f"sku_conflict: the page states SKU '{real.page_sku}'")
    skus = dict(
        conn.execute(
            "SELECT product_key, sku FROM products WHERE product_key = ANY(%s)", (list(keys.values()),)
        ).fetchall()
    )
    assert sorted(skus.values()) == sorted([real.page_sku, impostor.page_sku])
