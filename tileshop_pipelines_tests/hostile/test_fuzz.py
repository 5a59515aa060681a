"""A fuzz pass (hypothesis) over the extractor and the sitemap parser, with a time budget.

Budget: 600 fuzzed product pages, 1,000 arbitrary bodies, 2,000 sitemaps, 1,000 URLs and 1,000
robots.txt files (x TILESHOP_FUZZ_SCALE), no deadline per example, no example database (nothing
is written); the pass takes about 40 s here (docs/hardening.md has the figures and what it found).
Every example is random per run, so each `make test` explores further; a failure prints the
example and the seed to replay it (`--hypothesis-seed`).

Invariants:
- extract_product raises nothing but NotAProductPage; parse_sitemap nothing but SitemapError;
  classify_url nothing but ValueError; parse_lastmod and parse_robots nothing at all.
- A record is storable: no NUL or lone surrogate in any string, every number finite and within
  2**53, orjson (jsonb) serializes it; prices and coverage within their range; the SKU a string,
  the URL's when the URL has one; every key a field of the record.
- A sitemap entry's loc is non-empty text without NUL; a product key is a valid Dagster
  partition key.
"""

from __future__ import annotations

import gzip
import json
import math
import os
import re

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tileshop_pipelines.catalog.extract import NotAProductPage, extract_product
from tileshop_pipelines.catalog.record import MAX_PRICE, PRODUCT_FIELDS
from tileshop_pipelines.catalog.sitemap import SitemapError, parse_lastmod, parse_robots, parse_sitemap
from tileshop_pipelines.catalog.urls import classify_url, sku_from_slug
from tileshop_pipelines.sample_catalog import build_catalog, render

# The budget: examples per test, times TILESHOP_FUZZ_SCALE (default 1) for a longer hunt.
FUZZ_SCALE = float(os.environ.get("TILESHOP_FUZZ_SCALE", "1"))
BASE = "https://www.tileshop.com"


def budget(examples: int):
    return settings(
        max_examples=max(1, int(examples * FUZZ_SCALE)),
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )


PRICE_FIELDS = ("price", "price_per_box", "price_per_sqft", "price_per_piece", "coverage_sqft_per_box")
RECORD_KEYS = {*PRODUCT_FIELDS, "provenance", "warnings"}

# Pieces that broke parsers before, mixed into generated text.
NASTY = [
    "\x00",
    "\ud800",
    "\udfff",
    "\ufffd",
    "\ufdd0",
    "&lt;img src=x onerror=alert(1)&gt;",
    "<script>",
    "</script>",
    "&amp;",
    "&#0;",
    "$",
    "$9" + "9" * 320 + "/box",
    "$77.11/box",
    "$12.99/Sq. Ft.",
    "10.76 sq. ft. per Box",
    "1e309",
    "NaN",
    "-Infinity",
    "9" * 400,
    "\r\n",
    "\u2028",
    "½",
    "İ",
    "ß",
    "\U0001f600",
    "]]>",
    "-->",
]
texts = st.one_of(
    st.text(max_size=30), st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=6)), max_size=8).map("".join)
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=-(10**400), max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True),
    texts,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(texts, inner, max_size=4)),
    max_leaves=12,
)

_CATALOG = build_catalog(n_products=30, seed=3)
_PRODUCTS = _CATALOG.products
_JSONLD = re.compile(r'(<script type="application/ld\+json">)(.*?)(</script>)', re.S)
_NEXT_DATA = re.compile(r'(<script id="__NEXT_DATA__" type="application/json">)(.*?)(</script>)', re.S)
_PRODUCT_KEYS = ("sku", "name", "description", "brand", "image", "url", "offers", "@type")
amounts = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**400), 10**400),
    st.sampled_from([0, 1e300, 10**20, 2**53 + 1, -0.0, 5e-324]),
    st.decimals(allow_nan=False, allow_infinity=False, places=2).map(str),
    st.sampled_from(["77.11", "$77.11", "1,077.11", "USD 77.11", "9" * 320, "1e5", ""]),
)
_OFFER_KEYS = ("price", "priceCurrency", "availability", "priceSpecification")


def _dumps(value) -> str:
    # As a page may write it: \ud800 escapes, NaN/Infinity literals, "</" as written.
    return json.dumps(value, allow_nan=True)


@st.composite
def product_pages(draw):
    """A sample catalog render with fuzzed JSON-LD values, specifications, visible text and URL."""
    product = draw(st.sampled_from(_PRODUCTS))
    html = render.product_page(product, BASE)
    blocks = _JSONLD.findall(html)
    for opening, body, closing in blocks:
        node = json.loads(body)
        if isinstance(node, dict) and node.get("@type") == "Product":
            for key in draw(st.lists(st.sampled_from(_PRODUCT_KEYS), max_size=3, unique=True)):
                node[key] = draw(json_values)
            if isinstance(node.get("offers"), dict):
                for key in draw(st.lists(st.sampled_from(_OFFER_KEYS), max_size=2, unique=True)):
                    node["offers"][key] = draw(json_values)
                if draw(st.booleans()):
                    node["offers"]["price"] = draw(amounts)
            html = html.replace(opening + body + closing, opening + _dumps(node) + closing, 1)
    match = _NEXT_DATA.search(html)
    if match and draw(st.booleans()):
        data = json.loads(match.group(2))
        specs = data["props"]["pageProps"]["layoutData"]["sitecore"]["context"]["productData"]
        target = specs.get("Specifications") or {}
        for group in list(target)[: draw(st.integers(0, 3))]:
            target[group] = draw(
                st.one_of(
                    json_values,
                    st.lists(
                        st.fixed_dictionaries(
                            {
                                "Key": st.sampled_from(
                                    ["PDPInfo_BoxWeight", "PDPInfo_BoxQuantity", "PDPInfo_Color", "PDPInfo_X"]
                                ),
                                "Value": texts,
                            }
                        ),
                        max_size=3,
                    ),
                )
            )
        if draw(st.booleans()):
            specs["Documents"] = draw(json_values)
        html = html[: match.start(2)] + _dumps(data) + html[match.end(2) :]
    if draw(st.booleans()):  # visible text: a promo's prices, markup, odd characters after the heading
        at = html.find("</h1>")
        big = draw(amounts)
        inserted = draw(st.one_of(texts, st.just(f"${product.price}/box ${big}/Sq. Ft. {big} sq. ft. per box")))
        html = html[:at] + inserted + html[at:]
    if draw(st.booleans()):
        cut = draw(st.integers(0, len(html)))
        html = html[:cut]
    slug = product.path.rsplit("/", 1)[-1]
    suffix = draw(st.sampled_from(["", "-684287", "-052003", "-684018E", "-x", "%00", "%ED%A0%80"]))
    return html, f"{BASE}/products/{slug}{suffix}"


def _walk(value, where="record"):
    if isinstance(value, str):
        assert "\x00" not in value and not re.search("[\ud800-\udfff]", value), where
    elif isinstance(value, bool) or value is None:
        pass
    elif isinstance(value, int):
        assert abs(value) <= 2**53, where
    elif isinstance(value, float):
        assert math.isfinite(value), where
    elif isinstance(value, dict):
        for key, item in value.items():
            _walk(key, f"{where} key")
            _walk(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _walk(item, f"{where}[{i}]")
    else:
        raise AssertionError(f"{where}: {type(value).__name__} is not a JSON value")


def _check_record(record: dict, url: str) -> None:
    assert set(record) <= RECORD_KEYS and set(PRODUCT_FIELDS) <= set(record)
    _walk(record)
    orjson.dumps(record)  # what the jsonb column takes
    for name in PRICE_FIELDS:
        value = record[name]
        assert value is None or (isinstance(value, float | int) and 0 <= value <= MAX_PRICE), (name, value)
    assert record["sku"] is None or isinstance(record["sku"], str)
    url_sku = sku_from_slug(url.rsplit("/", 1)[-1])
    if url_sku:
        assert record["sku"] == url_sku
    assert set(record["provenance"]) <= set(PRODUCT_FIELDS)
    assert all(record[name] is not None for name in record["provenance"])


def _extract(html, url):
    try:
        return extract_product(html, url)
    except NotAProductPage:
        return None


@pytest.mark.slow
@budget(600)
@given(product_pages())
def test_fuzzed_product_pages_give_a_storable_record_or_not_a_product_page(page):
    html, url = page
    for body in (html, html.encode("utf-8", errors="surrogatepass")):
        record = _extract(body, url)
        if record is not None:
            _check_record(record, url)


@budget(1000)
@given(
    st.one_of(st.binary(max_size=2000), texts.map(lambda t: t.encode("utf-8", "surrogatepass"))),
    st.sampled_from([None, f"{BASE}/products/a-684287", "https://x/"]),
)
def test_arbitrary_bytes_are_not_a_product_page(data, url):
    record = _extract(data, url)
    if record is not None:
        _check_record(record, url or "")


# --- sitemaps ---------------------------------------------------------------------------------
NAMESPACES = ["http://www.sitemaps.org/schemas/sitemap/0.9", "", "urn:x"]
locs = st.one_of(
    st.sampled_from(
        [
            f"{BASE}/products/linewood-white-matte-ceramic-wall-tile-12-x-36-in-485020",
            f"{BASE}/products/",
            f"{BASE}/products/x,-w-,y-123456",
            "ftp://x/y",
            "/relative",
            "http://[::1/products/a-1",
            "https://h/products/...-12345",
            "https://h/products/a|b,c[d]-00001",
            "https://h/products/%2e%2e%2f-99999",
        ]
    ),
    texts,
    texts.map(lambda t: f"{BASE}/products/{t}"),
)
lastmods = st.one_of(
    st.none(),
    st.sampled_from(
        ["2025-07-09", "2025-07-09T10:00:00+02:00", "2025-13-45", "", "2025-07-09T10:00", "9999-12-31T23:59:59-23:59"]
    ),
    texts,
)


def _xml_text(text: str) -> str:
    # What a sitemap writer escapes; characters XML cannot hold stay in, for the parser to refuse.
    return text.replace("&", "&amp;").replace("<", "&lt;")


@st.composite
def sitemaps(draw):
    root, entry = draw(st.sampled_from([("urlset", "url"), ("sitemapindex", "sitemap"), ("feed", "url")]))
    namespace = draw(st.sampled_from(NAMESPACES))
    parts = []
    for _ in range(draw(st.integers(0, 6))):
        loc, lastmod = draw(locs), draw(lastmods)
        inner = f"<loc>{_xml_text(loc)}</loc>" if draw(st.integers(0, 9)) else ""
        if lastmod is not None:
            inner += f"<lastmod>{_xml_text(lastmod)}</lastmod>"
        if draw(st.booleans()):
            inner += draw(st.sampled_from(["<!-- c -->", "<![CDATA[x]]>", "<?pi x?>", "<extra>y</extra>", "&amp;"]))
        parts.append(f"<{entry}>{inner}</{entry}>")
    prolog = draw(
        st.sampled_from(
            [
                '<?xml version="1.0" encoding="UTF-8"?>',
                "",
                '<?xml version="1.0"?>',
                '<!DOCTYPE urlset [<!ENTITY x "y">]>',
                '<!DOCTYPE urlset SYSTEM "http://127.0.0.1:9/evil.dtd">',
            ]
        )
    )
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    data = f"{prolog}<{root}{xmlns}>{''.join(parts)}</{root}>".encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()):  # damage: truncate, or flip a byte
        at = draw(st.integers(0, len(data)))
        data = data[:at] if draw(st.booleans()) else data[:at] + bytes([draw(st.integers(0, 255))]) + data[at + 1 :]
    if draw(st.integers(0, 4)) == 0:
        data = gzip.compress(data)
        if draw(st.booleans()):
            data = data[: draw(st.integers(0, len(data)))]
    return data


@pytest.mark.slow
@budget(2000)
@given(st.one_of(sitemaps(), st.binary(max_size=500)))
def test_fuzzed_sitemaps_parse_or_raise_sitemap_error(data):
    try:
        sitemap = parse_sitemap(data, source="fuzz.xml")
    except SitemapError:
        return
    assert sitemap.kind in ("index", "urlset") and sitemap.entries
    for entry in sitemap.entries:
        assert isinstance(entry.loc, str) and entry.loc and "\x00" not in entry.loc
        moment = parse_lastmod(entry.lastmod)
        assert moment is None or moment.tzinfo is not None
        _check_url(entry.loc)


def _check_url(loc: str) -> None:
    try:
        info = classify_url(loc)
    except ValueError:
        return
    if info.product_key is not None:
        key = info.product_key
        assert key and "..." not in key and not re.search(r"[\x00-\x1f\x7f|,\[\]]", key), key
        assert info.sku is None or isinstance(info.sku, str)


@budget(1000)
@given(locs)
def test_fuzzed_urls_classify_or_raise_value_error(loc):
    _check_url(loc)


@pytest.mark.slow
@budget(1000)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "User-agent: *",
                    "User-agent: TileshopPipelines",
                    "Disallow: /",
                    "Allow: /products/",
                    "Crawl-delay: 1e400",
                    "Crawl-delay: -5",
                    "Request-rate: 0/0",
                    "Request-rate: 1/0s",
                    "Sitemap: \x00",
                    "Disallow: /*$",
                    "Disallow: /%",
                ]
            ),
            texts,
        ),
        max_size=8,
    ),
    locs,
)
def test_fuzzed_robots_never_raise(lines, url):
    robots = parse_robots("\n".join(lines), user_agent="TileshopPipelines/0.1 (catalog)")
    assert isinstance(robots.allows(url), bool)
    interval = robots.request_interval_s
    assert interval is None or (isinstance(interval, float) and interval >= 0)


pytestmark = pytest.mark.filterwarnings("ignore::hypothesis.errors.NonInteractiveExampleWarning")
