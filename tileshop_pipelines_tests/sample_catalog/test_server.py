"""The sample catalog server over real HTTP on 127.0.0.1: site structure, pages, caching, faults, and
the documents its pages name on the CDN stand-in (127.0.0.2)."""

from __future__ import annotations

import gzip
import http.client
import json
import os
import signal
import subprocess
import sys
import time
import urllib.robotparser
import xml.etree.ElementTree as ET
from email.utils import format_datetime, parsedate_to_datetime
from urllib.parse import quote, unquote, urlsplit

import httpx
import pytest
from selectolax.lexbor import LexborHTMLParser

from tileshop_pipelines.catalog.extract import extract_product
from tileshop_pipelines.sample_catalog import CDN_HOST, KNOWN_SKUS, CatalogServer, Faults, build_catalog
from tileshop_pipelines.sample_catalog.document_lines import on_cdn

from ..support.known_products import product_facts
from ..support.ports import free_port

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}
HOME_TITLE = "The Tile Shop - High Quality Floor & Wall Tile"


@pytest.fixture(scope="module")
def server():
    with CatalogServer(build_catalog(n_products=300, seed=7)) as srv:
        yield srv


@pytest.fixture
def client(server):
    server.faults.clear()
    with httpx.Client(base_url=server.base_url, timeout=10) as c:
        yield c
    server.faults.clear()


def _locs(xml_bytes: bytes, tag: str) -> list[str]:
    root = ET.fromstring(xml_bytes)
    return [el.text.strip() for el in root.findall(f"sm:{tag}/sm:loc", NS)]


def _path(url: str) -> str:
    return urlsplit(url).path


def _jsonld(html: str) -> list:
    tree = LexborHTMLParser(html)
    return [json.loads(node.text()) for node in tree.css('script[type="application/ld+json"]')]


def _product_ld(html: str) -> dict | None:
    return next((d for d in _jsonld(html) if d.get("@type") == "Product"), None)


def _product_data(html: str) -> dict:
    node = LexborHTMLParser(html).css_first("script#__NEXT_DATA__")
    data = json.loads(node.text())
    return data["props"]["pageProps"]["layoutData"]["sitecore"]["context"]["productData"]


def _specs(product_data: dict) -> dict[str, str]:
    return {
        e["Key"].removeprefix("PDPInfo_"): e["Value"]
        for group in product_data["Specifications"].values()
        for e in group
    }


def _price_text(html: str) -> str:
    return LexborHTMLParser(html).css_first(".pdp-price-block").text(separator=" ")


# ---- robots and sitemaps ------------------------------------------------------------------------


def test_robots_txt(client, server):
    r = client.get("/robots.txt")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    robots = urllib.robotparser.RobotFileParser()
    robots.parse(r.text.splitlines())
    assert robots.site_maps() == [f"{server.base_url}/sitemap.xml"]
    assert not robots.can_fetch("*", f"{server.base_url}/checkout")
    assert not robots.can_fetch("*", f"{server.base_url}/search?q=white")
    assert robots.can_fetch("*", server.base_url + server.catalog.products[0].path)


def test_sitemap_index_children_list_every_product_and_page(client, server):
    catalog = server.catalog
    index = client.get("/sitemap.xml")
    assert index.status_code == 200 and index.headers["content-type"] == "application/xml"
    assert ET.fromstring(index.content).tag == f"{{{NS['sm']}}}sitemapindex"
    assert b"<lastmod>" not in index.content
    children = _locs(index.content, "sitemap")
    assert [_path(c) for c in children][-1] == "/sitemaps/pages.xml"
    assert all(c.startswith(server.base_url + "/sitemaps/products-") for c in children[:-1])
    listed: list[str] = []
    raw = b""
    for child in children[:-1]:
        r = client.get(child)
        assert r.status_code == 200 and r.headers["content-type"] == "application/xml"
        locs = _locs(r.content, "url")
        assert 0 < len(locs) <= 1000 and all(loc.startswith(server.base_url + "/products/") for loc in locs)
        listed += locs
        raw += r.content
    assert b"<lastmod>" not in raw
    assert b"/products/morris-&amp;-co-pure-net-brick" in raw  # XML-escaped, not percent-encoded
    assert {unquote(_path(u)) for u in listed} == {p.path for p in catalog.products}
    assert len(listed) == len(catalog.products) + 2  # one URL twice, one also percent-encoded
    pages = _locs(client.get(children[-1]).content, "url")
    assert [_path(u) for u in pages] == catalog.other_pages


def test_every_listed_url_is_served(client, server):
    index = client.get("/sitemap.xml").content
    for child in _locs(index, "sitemap"):
        is_products = "/products-" in child
        for url in _locs(client.get(child).content, "url"):
            r = client.get(url)
            assert r.status_code == 200, url
            assert r.headers["content-type"] == "text/html; charset=utf-8"
            assert int(r.headers["content-length"]) == len(r.content)
            product = _product_ld(r.text)
            if is_products:
                assert product is not None and "ETag" in r.headers and "Last-Modified" in r.headers, url
                expected = server.catalog.product(unquote(_path(url)))
                assert product["name"] == expected.name and product.get("sku") == expected.page_sku
                assert 10_000 <= len(r.content) <= 30_000
            else:
                assert product is None, url


def test_gzip_sitemaps(server):
    with CatalogServer(server.catalog, gzip_sitemaps=True) as gz, httpx.Client(base_url=gz.base_url) as c:
        children = _locs(c.get("/sitemap.xml").content, "sitemap")
        assert children and all(child.endswith(".xml.gz") for child in children)
        listed = []
        for child in children:
            r = c.get(child)
            assert r.status_code == 200 and r.headers["content-type"] == "application/x-gzip"
            assert r.content[:2] == b"\x1f\x8b"
            listed += _locs(gzip.decompress(r.content), "url")
        assert c.get("/sitemaps/products-1.xml").status_code == 404
    paths = {unquote(_path(u)) for u in listed}
    assert paths == {p.path for p in server.catalog.products} | set(server.catalog.other_pages)


def test_flat_sitemap(server):
    with CatalogServer(server.catalog, flat_sitemap=True) as flat, httpx.Client(base_url=flat.base_url) as c:
        r = c.get("/sitemap.xml")
        assert ET.fromstring(r.content).tag == f"{{{NS['sm']}}}urlset"
        locs = _locs(r.content, "url")
        assert c.get("/sitemaps/pages.xml").status_code == 404
    assert len(locs) == len(server.catalog.products) + 2 + len(server.catalog.other_pages)
    assert {unquote(_path(u)) for u in locs} == {p.path for p in server.catalog.products} | set(
        server.catalog.other_pages
    )
    assert b"<lastmod>" not in r.content


def test_lastmod_when_asked_and_it_follows_updates():
    catalog = build_catalog(n_products=40, seed=7)
    with CatalogServer(catalog, flat_sitemap=True, lastmod=True) as srv, httpx.Client(base_url=srv.base_url) as c:
        root = ET.fromstring(c.get("/sitemap.xml").content)
        urls = root.findall("sm:url", NS)
        assert all(u.find("sm:lastmod", NS) is not None for u in urls)
        product = catalog.product("485020")

        def lastmod_of_product() -> str:
            root = ET.fromstring(c.get("/sitemap.xml").content)
            return next(
                u.find("sm:lastmod", NS).text
                for u in root.findall("sm:url", NS)
                if _path(u.find("sm:loc", NS).text) == product.path
            )

        before = lastmod_of_product()
        catalog.update(product.path, price=99.5)
        after = lastmod_of_product()
        assert after > before and after == product.last_modified.isoformat()


# ---- product pages ------------------------------------------------------------------------------

KNOWN_PRICES = {  # sku: (JSON-LD offers.price, visible price text, per-sq-ft shown)
    "684287": (77.11, "$77.11 /box", "$12.99 /Sq. Ft."),
    "684272": (69.99, "$69.99 /each", None),
    "485000": (70.20, "$70.20 /box", None),
    "683861": (139.82, "$139.82 /box", "$12.99 /Sq. Ft."),
    "43521": (35.99, "$35.99 /each", None),
    "683549": (22.99, "$22.99 /each", None),
}


@pytest.mark.parametrize("sku", KNOWN_SKUS)
def test_known_products_facts_on_the_page(client, server, sku):
    html = client.get(server.catalog.product(sku).path).text
    product = _product_ld(html)
    data = _product_data(html)
    specs = _specs(data)
    price_text = _price_text(html)
    assert product["sku"] == data["ProductId"] == sku
    assert product["offers"]["priceCurrency"] == "USD"
    if sku in KNOWN_PRICES:
        price, shown, per_sqft = KNOWN_PRICES[sku]
        assert product["offers"]["price"] == price
        assert shown in price_text
        if per_sqft:
            assert per_sqft in price_text
        else:
            assert "Sq. Ft." not in price_text
    if sku == "684287":
        stated = product_facts(sku)["specs"]
        assert {k: specs[k] for k in stated} == stated
        assert "12 x 12 in" in product["name"]
    if sku == "684272":
        assert "/box" not in price_text and "sq. ft." not in price_text.lower()
    if sku == "485000":
        assert "5.40 sq. ft. per Box" in price_text and specs["Color"] == "White"
    if sku == "683861":
        assert "10.76 sq. ft. per Box" in price_text and specs["Color"] == "Beige, Brown"
        assert any(
            "porcelain" in d["Url"].lower()
            and "safety" in d["Name"].lower()
            and d["Url"].endswith(".pdf")
            and d["Url"].startswith(server.cdn_url + "/is/content/TileShop/pdf/")
            for d in data["Documents"]
        )
        assert product["brand"]["name"].startswith("Morris & Co")
    if sku == "485020":
        assert (specs["Applications"], specs["Thickness"], specs["BoxQuantity"]) == ("Wall", "8.7mm", "5")
    if sku == "43521":
        assert "50 lb" in product["name"] and "mortar" in product["name"].lower()
    if sku == "683549":
        assert "corner shelf" in product["name"].lower() and "EdgeType" not in specs


def test_served_pages_name_their_documents_on_the_cdn_stand_in(client, server):
    """The pages name each document at the stand-in's address; the catalog keeps the real CDN's."""
    assert server.cdn_url.startswith(f"http://{CDN_HOST}:") and not server.cdn_url.startswith(server.base_url)
    named = [p for p in server.catalog.products if p.documents]
    for product in [server.catalog.product("43521")] + named[:: max(1, len(named) // 6)]:
        html = client.get(product.path).text
        record = extract_product(html, server.base_url + product.path)
        urls = [d["url"] for d in record["documents"]]
        assert urls == [on_cdn(d["Url"], server.cdn_url) for d in product.documents], product.path
        assert all(d["Url"].startswith("https://s7d1.scene7.com/is/content/TileShop/pdf/") for d in product.documents)
        links = [a.attributes["href"] for a in LexborHTMLParser(html).css(".pdp-documents a")]
        assert links == urls and all(u.startswith(server.cdn_url + "/is/content/TileShop/pdf/") for u in urls)
        for url in urls:
            r = httpx.get(url)
            assert r.status_code == 200 and r.headers["content-type"] == "application/pdf" and r.content[:5] == b"%PDF-"


def test_product_page_shape(client, server):
    product = server.catalog.product("684287")
    r = client.get(product.path)
    tree = LexborHTMLParser(r.text)
    assert tree.css_first("title").text() == f"{product.name} | The Tile Shop"
    assert tree.css_first("h1").text() == product.name
    assert tree.css_first(f'img[src="{product.images[0]}"]') is not None
    ld = _product_ld(r.text)
    assert ld["image"] == product.images and ld["offers"]["url"] == server.base_url + product.path
    assert ld["description"] == product.description_html and "<p>" in ld["description"]
    assert ld["offers"]["hasMerchantReturnPolicy"]["@type"] == "MerchantReturnPolicy"
    crumbs = next(d for d in _jsonld(r.text) if d["@type"] == "BreadcrumbList")["itemListElement"]
    assert crumbs[0]["name"] == "Home" and crumbs[-1]["item"] == server.base_url + product.path
    assert [c["position"] for c in crumbs] == list(range(1, len(crumbs) + 1))


def test_pages_are_byte_identical_across_builds():
    paths = None
    bodies = []
    cdn_port = free_port(CDN_HOST)  # pages name their documents on the CDN stand-in: the same one each time
    for _ in range(2):
        catalog = build_catalog(n_products=60, seed=5)
        with (
            CatalogServer(catalog, public_url="http://catalog.test", cdn_port=cdn_port) as srv,
            httpx.Client(base_url=_local(srv)) as c,
        ):
            paths = paths or [p.path for p in catalog.products[::6]] + ["/", "/sitemap.xml", "/tile"]
            bodies.append([(c.get(p).content, c.get(p).headers.get("etag")) for p in paths])
    assert bodies[0] == bodies[1]
    assert b"http://catalog.test/products/" in bodies[0][0][0]


def _local(srv: CatalogServer) -> str:
    host, port = srv._served.httpd.server_address[:2]
    return f"http://{host}:{port}"


def test_raw_and_encoded_paths_reach_the_same_product(client, server):
    catalog = server.catalog
    non_ascii = next(p for p in catalog.products if not p.path.isascii())
    raw_body = client.get(non_ascii.path).content  # httpx percent-encodes the ½
    assert client.get(quote(non_ascii.path)).content == raw_body
    assert _product_ld(raw_body.decode())["sku"] == non_ascii.sku
    raw_utf8 = _raw_get(server, non_ascii.path.encode("utf-8"))  # unencoded UTF-8 on the wire
    assert raw_utf8.status == 200 and raw_utf8.read() == raw_body
    amp = catalog.product("683861")
    assert client.get(amp.path.replace("&", "%26")).content == client.get(amp.path).content
    plus = next(p for p in catalog.products if "+" in p.path)
    assert client.get(plus.path).status_code == 200
    assert client.get(plus.path.replace("+", "%2B")).content == client.get(plus.path).content
    assert client.get(plus.path.replace("+", " ")).status_code == 404  # a + in a path is not a space
    assert client.get(catalog.products[0].path + "?utm_source=x").status_code == 200


def _raw_get(server: CatalogServer, target: bytes) -> http.client.HTTPResponse:
    host, port = server._served.httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    conn.connect()
    conn.sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    response = http.client.HTTPResponse(conn.sock, method="GET")
    response.begin()
    return response


def test_non_product_pages(client, server):
    home = client.get("/")
    tree = LexborHTMLParser(home.text)
    assert tree.css_first("title").text() == HOME_TITLE and "Signature Collection" in home.text
    for path in server.catalog.other_pages:
        r = client.get(path)
        assert r.status_code == 200 and _product_ld(r.text) is None, path
    assert client.get("/products/no-such-product-123456").status_code == 404
    assert client.get("/no/such/page").status_code == 404


def test_keep_alive_reuses_one_connection_and_head_has_no_body(server):
    host, port = server._served.httpd.server_address[:2]
    conn = http.client.HTTPConnection(host, port, timeout=5)
    sockets = set()
    for method, path in [("GET", p.path) for p in server.catalog.products[:3]] + [
        ("HEAD", server.catalog.products[0].path),
        ("HEAD", "/missing"),
        ("GET", "/robots.txt"),
    ]:
        conn.request(method, quote(path))
        r = conn.getresponse()
        body = r.read()
        assert r.status == (404 if path == "/missing" else 200)
        assert int(r.headers["Content-Length"]) > 0 and len(body) == (
            0 if method == "HEAD" else int(r.headers["Content-Length"])
        )
        sockets.add(id(conn.sock))
    conn.close()
    assert len(sockets) == 1


# ---- conditional requests and updates --------------------------------------------------------------


def test_304_for_matching_etag_or_if_modified_since(client, server):
    path = server.catalog.products[3].path
    first = client.get(path)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    hit = client.get(path, headers={"If-None-Match": etag})
    assert hit.status_code == 304 and hit.content == b"" and hit.headers["etag"] == etag
    assert client.get(path, headers={"If-None-Match": f'"other", W/{etag}'}).status_code == 304
    assert client.get(path, headers={"If-None-Match": '"stale"'}).status_code == 200
    assert client.get(path, headers={"If-Modified-Since": modified}).status_code == 304
    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2024), usegmt=True)
    assert client.get(path, headers={"If-Modified-Since": earlier}).status_code == 200
    # If-None-Match wins over If-Modified-Since
    assert client.get(path, headers={"If-None-Match": '"stale"', "If-Modified-Since": modified}).status_code == 200


def test_update_changes_page_etag_and_last_modified():
    catalog = build_catalog(n_products=40, seed=7)
    with CatalogServer(catalog) as srv, httpx.Client(base_url=srv.base_url) as c:
        product = catalog.product("684287")
        before = c.get(product.path)
        catalog.update("684287", price=81.25)
        after = c.get(product.path)
        assert _product_ld(after.text)["offers"]["price"] == 81.25 and "$81.25" in _price_text(after.text)
        assert after.headers["etag"] != before.headers["etag"]
        assert parsedate_to_datetime(after.headers["last-modified"]) > parsedate_to_datetime(
            before.headers["last-modified"]
        )
        assert c.get(product.path, headers={"If-None-Match": before.headers["etag"]}).status_code == 200
        assert c.get(product.path, headers={"If-Modified-Since": before.headers["last-modified"]}).status_code == 200

        # the same through the control endpoint (a server in another process)
        r = c.post("/__update", json={"path_or_sku": "485020", "price": 10.0, "Color": "Grey"})
        assert r.status_code == 200 and r.json()["version"] == 1
        page = c.get(catalog.product("485020").path)
        assert page.headers["etag"] == r.json()["etag"]
        assert _specs(_product_data(page.text))["Color"] == "Grey"
        assert c.post("/__update", json={"path_or_sku": "000000", "price": 1}).status_code == 404
        assert c.post("/__update", json={"path_or_sku": "485020", "colour": "x"}).status_code == 400


# ---- faults ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 500, 503, 520])
def test_status_override(client, server, status):
    target, other = server.catalog.products[1].path, server.catalog.products[2].path
    server.faults.set_status(quote(target), status)  # keys are decoded paths
    assert client.get(target).status_code == status
    assert client.get(other).status_code == 200
    server.faults.clear()
    assert client.get(target).status_code == 200


def test_retry_after_then_success(client, server):
    path = server.catalog.products[4].path
    server.faults.set_retry_after(path, times=2, seconds=1)
    first, second, third = (client.get(path) for _ in range(3))
    assert [first.status_code, second.status_code, third.status_code] == [429, 429, 200]
    assert first.headers["retry-after"] == "1" and "retry-after" not in third.headers


def test_slow_response(client, server):
    slow, fast = server.catalog.products[5].path, server.catalog.products[6].path
    server.faults.set_slow(slow, 0.4)
    started = time.monotonic()
    assert client.get(slow).status_code == 200
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    client.get(fast)
    assert time.monotonic() - started < 0.3


def test_blocked_product_returns_the_home_page_with_200(client, server):
    path = server.catalog.products[7].path
    server.faults.block(path)
    r = client.get(path)
    assert r.status_code == 200
    assert r.content == client.get("/").content
    assert LexborHTMLParser(r.text).css_first("title").text() == HOME_TITLE
    assert _product_ld(r.text) is None


def test_malformed_jsonld(client, server):
    path = server.catalog.products[8].path
    server.faults.malform_jsonld(path)
    r = client.get(path)
    assert r.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        _jsonld(r.text)
    assert _product_data(r.text)["Name"] == server.catalog.products[8].name  # __NEXT_DATA__ still valid
    server.faults.clear()
    assert _product_ld(client.get(path).text)["name"] == server.catalog.products[8].name


def test_fail_all_status_hits_product_pages_only(client, server):
    server.faults.fail_all_status = 503
    assert all(client.get(p.path).status_code == 503 for p in server.catalog.products[:10])
    assert client.get("/").status_code == 200 and client.get("/sitemap.xml").status_code == 200


def test_faults_through_the_control_endpoint(client, server):
    p = [prod.path for prod in server.catalog.products[10:16]]
    r = client.post(
        "/__faults",
        json={
            "status": {quote(p[0]): 410},
            "retry_after": {p[1]: {"times": 1, "seconds": 2}},
            "slow": {p[2]: 0.2},
            "blocked": [p[3]],
            "malformed_jsonld": [p[4]],
        },
    )
    assert r.status_code == 200 and r.json()["status"] == {p[0]: 410}
    assert client.get(p[0]).status_code == 410
    second_try = client.get(p[1])
    assert second_try.status_code == 429 and second_try.headers["retry-after"] == "2"
    assert client.get(p[1]).status_code == 200
    started = time.monotonic()
    assert client.get(p[2]).status_code == 200 and time.monotonic() - started >= 0.2
    assert _product_ld(client.get(p[3]).text) is None
    with pytest.raises(json.JSONDecodeError):
        _jsonld(client.get(p[4]).text)
    assert client.get(p[5]).status_code == 200
    client.post("/__faults", json={"fail_all_status": 503})
    assert client.get(p[5]).status_code == 503 and client.get("/__faults").json()["fail_all_status"] == 503
    cleared = client.post("/__faults", json={"clear": True}).json()
    assert cleared == Faults().to_dict()
    assert all(client.get(path).status_code == 200 for path in p)
    assert _product_ld(client.get(p[4]).text) is not None
    assert client.post("/__faults", content=b"not json").status_code == 400


def test_user_agent_and_hits_are_recorded(client, server):
    path = server.catalog.products[20].path
    before = server.hits[path]
    client.get(path, headers={"User-Agent": "sample-test/1.0"})
    assert server.last_user_agent == "sample-test/1.0" and server.hits[path] == before + 1


# ---- size and process -------------------------------------------------------------------------------


def test_five_thousand_products():
    catalog = build_catalog(n_products=5000, seed=7)
    with CatalogServer(catalog, gzip_sitemaps=True) as srv, httpx.Client(base_url=srv.base_url) as c:
        children = _locs(c.get("/sitemap.xml").content, "sitemap")
        listed = [
            u for child in children if "products-" in child for u in _locs(gzip.decompress(c.get(child).content), "url")
        ]
        assert len(children) >= 7  # at most 1,000 URLs per child
        assert len({unquote(_path(u)) for u in listed}) == 5000
        for url in listed[::250] + listed[-3:]:
            r = c.get(url)
            assert r.status_code == 200 and _product_ld(r.text)["name"]


@pytest.mark.slow
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_run_server_prints_its_url_and_stops_on_signal(sig):
    code = (
        "from tileshop_pipelines.sample_catalog import run_server; "
        "run_server(host='127.0.0.1', port=0, n_products=30, seed=7, gzip_sitemaps=False, "
        "flat_sitemap=True, lastmod=False)"
    )
    env = dict(os.environ, PYTHONPATH=os.getcwd())
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env)
    try:
        base_url, cdn_url = proc.stdout.readline().strip(), proc.stdout.readline().strip()
        assert base_url.startswith("http://127.0.0.1:") and cdn_url.startswith("http://127.0.0.2:")
        r = httpx.get(base_url + "/sitemap.xml")
        assert r.status_code == 200 and ET.fromstring(r.content).tag.endswith("urlset")
        assert httpx.head(cdn_url + "/is/content/TileShop/pdf/care/natural-stone-care-guide.pdf").status_code == 200
        proc.send_signal(sig)
        assert proc.wait(timeout=10) == 0
    finally:
        proc.kill()
        proc.wait()
