"""The crawl service under a hostile token holder, over real HTTP (`python -m crawler`, uvicorn h11).

Before: any URL was fetched and redirects followed into loopback, private and metadata
addresses; one request could return 500 MB (100 pages of 5 MB); CRLF in a forwarded header was
a 500; any number and size of request headers was read.
"""

from __future__ import annotations

import gzip
import select
import socket

import httpx
import pytest

from tileshop_pipelines_tests.crawl.service import LOCAL_SITE, TOKEN, crawl_service, post_crawl

pytestmark = pytest.mark.slow  # the crawl service in a process


PAGE = "<html><body>" + "x" * (1024 * 1024 - 26) + "</body></html>"  # 1 MiB


@pytest.fixture(scope="module")
def strict():
    """As deployed: the allow-list is TILESHOP_SITEMAP_URL's host, nothing non-public permitted."""
    with crawl_service(TILESHOP_SITEMAP_URL="https://www.tileshop.com/sitemap.xml") as url:
        yield url


@pytest.fixture(scope="module")
def local():
    with crawl_service(
        **LOCAL_SITE, CRAWLER_MAX_RESPONSE_BYTES=str(3 * 1024 * 1024 + 512), CRAWLER_MAX_BODY_BYTES=str(2 * 1024 * 1024)
    ) as url:
        yield url


def _results(service, urls, **body):
    response = post_crawl(service, {"urls": urls, **body})
    assert response.status_code == 200, response.text
    return response.json()["results"]


def test_by_default_only_the_configured_site_is_fetched(strict, site):
    url = site.serve("/products/a-100001", "<html>hi</html>")
    results = _results(
        strict,
        [
            url,
            url.replace("127.0.0.1", "localhost"),
            "http://169.254.169.254/latest/meta-data/",
            "http://www.tileshop.com.evil.example/x",
            "file:///etc/passwd",
        ],
    )
    assert [r["error_kind"] for r in results] == ["refused"] * 5
    assert [r["status_code"] for r in results] == [None] * 5 and all(r["html"] is None for r in results)
    assert "host '127.0.0.1' is not on the allow-list (tileshop.com, www.tileshop.com)" in results[0]["error"]
    assert "scheme 'file'" in results[4]["error"]


def test_the_local_permit_reaches_the_site_and_redirects_into_private_addresses_are_refused(local, site):
    page = site.serve("/products/a-100001", "<html>hi</html>")
    to_metadata = site.serve("/r1", b"", status=302, headers={"Location": "http://169.254.169.254/latest/"})
    to_loopback = site.serve("/r2", b"", status=307, headers={"Location": "http://127.0.0.9:2375/containers/json"})
    to_name = site.serve("/r3", b"", status=301, headers={"Location": page.replace("127.0.0.1", "localhost")})
    results = _results(local, [page, to_metadata, to_loopback, to_name])
    assert results[0]["html"] == "<html>hi</html>" and results[0]["status_code"] == 200
    assert results[1]["error_kind"] == results[2]["error_kind"] == "refused"
    assert "host '169.254.169.254' is not on the allow-list" in results[1]["error"]
    assert "host '127.0.0.9' is not on the allow-list" in results[2]["error"]
    assert results[3]["html"] == "<html>hi</html>"  # localhost is listed and resolves to the permitted 127.0.0.1
    assert all(r["response_headers"] == {} for r in results[1:3])  # nothing of the refused target is returned


def test_one_request_s_bodies_are_bounded_together(local, site):
    urls = [site.serve(f"/products/big-{i}", PAGE) for i in range(8)]
    results = _results(local, urls)
    read = [r for r in results if r["html"] is not None]
    assert len(read) == 3 and sum(len(r["html"]) for r in read) <= 3 * 1024 * 1024 + 512
    refused = [r for r in results if r["html"] is None]
    assert {r["error_kind"] for r in refused} == {"too_large"}
    assert all("CRAWLER_MAX_RESPONSE_BYTES" in r["error"] for r in refused)
    assert len(_results(local, urls[:2])) == 2  # a new request has a new total


def test_a_gzip_bomb_page_is_refused_once_decoded(local, site):
    bomb = gzip.compress(b" " * (64 * 1024 * 1024), compresslevel=9)
    url = site.serve("/products/bomb-100001", bomb, headers={"Content-Encoding": "gzip"})
    (result,) = _results(local, [url])
    assert result["error_kind"] == "too_large" and result["html"] is None
    assert result["error"] == (
        "body over the 2097152-byte limit once decoded from Content-Encoding gzip; refused while reading"
    )


@pytest.mark.parametrize(
    ("headers", "named"),
    [
        ({"If-None-Match": '"abc"\r\nX-Injected: 1'}, "If-None-Match"),
        ({"Accept-Language": "en\nHost: evil"}, "Accept-Language"),
        ({"If-Modified-Since": "x\x00y"}, "If-Modified-Since"),
        ({"Bad Name": "v"}, "Bad Name"),
    ],
)
def test_crlf_and_control_characters_in_forwarded_headers_are_422_naming_the_header(local, site, headers, named):
    url = site.serve("/products/a-100001", "<html>hi</html>")
    response = post_crawl(local, {"urls": [url], "headers": headers})
    assert response.status_code == 422
    detail = response.json()["detail"][0]
    assert detail["loc"] == ["body", "headers"] and named in detail["msg"]


def test_a_user_agent_with_crlf_is_422(local, site):
    response = post_crawl(local, {"urls": [site.serve("/p", "<html></html>")], "user_agent": "Bot\r\nX-A: 1"})
    assert response.status_code == 422 and "User-Agent" in response.json()["detail"][0]["msg"]


def test_header_count_and_size_are_limited(local):
    many = {f"X-H{i}": "v" for i in range(150)}
    auth = {"Authorization": f"Bearer {TOKEN}"}
    response = httpx.post(f"{local}/crawl", json={"urls": ["http://127.0.0.1/"]}, headers={**auth, **many})
    assert response.status_code == 431 and "at most 100 are accepted" in response.json()["detail"]
    response = httpx.post(
        f"{local}/crawl", json={"urls": ["http://127.0.0.1/"]}, headers={**auth, "X-Big": "v" * 20_000}
    )
    assert response.status_code == 431 and "at most 16384 are accepted" in response.json()["detail"]


def test_a_head_over_the_parser_bound_is_431_before_it_is_read_whole(local):
    host, port = local.removeprefix("http://").split(":")
    head = b"POST /crawl HTTP/1.1\r\nHost: x\r\nX-Fill: " + b"a" * (50 * 1024 * 1024) + b"\r\n\r\n"
    sent, answer = 0, b""
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        while sent < len(head) and not select.select([sock], [], [], 0.01)[0]:
            try:
                sock.sendall(head[sent : sent + 16 * 1024])
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += 16 * 1024
        try:
            while data := sock.recv(65536):
                answer += data
        except ConnectionResetError:
            pass
    assert answer.startswith(b"HTTP/1.1 431 ") and sent <= 256 * 1024
