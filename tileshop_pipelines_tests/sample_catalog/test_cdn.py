"""The CDN stand-in over real HTTP on 127.0.0.2: PDFs with validators, 304, HEAD, 404, changes, faults."""

from __future__ import annotations

import io
from email.utils import format_datetime, parsedate_to_datetime

import httpx
import pypdf
import pytest

from tileshop_pipelines.sample_catalog import CDN_HOST, CdnServer, sample_document
from tileshop_pipelines.sample_catalog.documents import normalized
from tileshop_pipelines.sample_catalog.pdfs import document_pdf

GROUT = "/is/content/TileShop/pdf/tds/superior-excel-sanded-grout-tds.pdf"
MORTAR = "/is/content/TileShop/pdf/tds/ardex-x4-mortar-tds.pdf"
SDS = "/is/content/TileShop/pdf/safety-data-sheets/ceramic-tile-safety-data-sheet.pdf"


@pytest.fixture(scope="module")
def cdn():
    with CdnServer() as server:
        yield server


@pytest.fixture
def client(cdn):
    cdn.reset()
    with httpx.Client(base_url=cdn.base_url, timeout=10) as c:
        yield c
    cdn.reset()


def test_it_serves_on_a_host_of_its_own():
    assert CDN_HOST == "127.0.0.2"
    with CdnServer() as a, CdnServer() as b:
        assert a.base_url.startswith("http://127.0.0.2:") and a.base_url != b.base_url
        assert a.url("https://s7d1.scene7.com" + GROUT) == a.base_url + GROUT


def test_a_document_is_its_pdf_with_validators(client):
    r = client.get(GROUT)
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    assert r.content == document_pdf(GROUT)
    assert r.headers["etag"].startswith('"') and int(r.headers["content-length"]) == len(r.content)
    doc = sample_document(GROUT)
    assert parsedate_to_datetime(r.headers["last-modified"]).date() == doc.revised
    pages = pypdf.PdfReader(io.BytesIO(r.content)).pages
    assert len(pages) == doc.page_count
    [fact] = [f for f in doc.facts_about("mixing water")]
    assert fact.statement in normalized(pages[fact.page - 1].extract_text())


def test_conditional_gets_answer_304_without_a_body(client):
    first = client.get(MORTAR)
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    for headers in ({"If-None-Match": etag}, {"If-None-Match": f'W/{etag}, "other"'}, {"If-Modified-Since": modified}):
        r = client.get(MORTAR, headers=headers)
        assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == etag, headers
    earlier = format_datetime(parsedate_to_datetime(modified).replace(year=2020), usegmt=True)
    assert client.get(MORTAR, headers={"If-Modified-Since": earlier}).status_code == 200
    assert client.get(MORTAR, headers={"If-None-Match": '"stale"'}).content == first.content


def test_head_has_the_gets_headers_and_no_body(client):
    get, head = client.get(SDS), client.head(SDS)
    assert head.status_code == 200 and head.content == b""
    assert {k: head.headers[k] for k in ("etag", "last-modified", "content-type", "content-length")} == {
        k: get.headers[k] for k in ("etag", "last-modified", "content-type", "content-length")
    }


def test_unknown_paths_are_404_and_other_methods_405(client):
    assert client.get("/is/content/TileShop/pdf/tds/no-such-line-tds.pdf").status_code == 404
    assert client.get("/products/anything").status_code == 404
    assert client.head("/nothing.pdf").status_code == 404
    assert client.delete(GROUT).status_code == 405


def test_a_revised_document_has_new_bytes_a_new_etag_and_a_later_date(cdn, client):
    before = client.get(GROUT)
    etag = cdn.revise(GROUT)
    assert etag != before.headers["etag"] and cdn.revision(GROUT) == 1
    after = client.get(GROUT, headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] == etag and after.content != before.content
    assert parsedate_to_datetime(after.headers["last-modified"]) > parsedate_to_datetime(
        before.headers["last-modified"]
    )
    assert "revision 2" in normalized(pypdf.PdfReader(io.BytesIO(after.content)).pages[0].extract_text())
    assert client.get(GROUT, headers={"If-None-Match": etag}).status_code == 304
    with pytest.raises(KeyError, match="no-such"):
        cdn.revise("/is/content/TileShop/pdf/tds/no-such-tds.pdf")


def test_put_serves_any_bytes_at_any_path(cdn, client):
    html = b"<!doctype html><p>Access denied</p>"
    etag = cdn.put(MORTAR, html, "application/pdf")
    r = client.get(MORTAR)
    assert r.content == html and r.headers["etag"] == etag and r.headers["content-type"] == "application/pdf"
    new = "/is/content/TileShop/pdf/tds/hostile-tds.pdf"
    cdn.put(new, b"%PDF-1.7 broken", "application/pdf")
    assert client.get(new).content == b"%PDF-1.7 broken"
    assert cdn.put(new, b"%PDF-1.7 broken again") != etag
    cdn.reset()
    assert client.get(MORTAR).content == document_pdf(MORTAR) and client.get(new).status_code == 404
    with pytest.raises(ValueError, match="starts with '/'"):
        cdn.put("relative.pdf", b"")


def test_faults_switch_statuses_and_retry_after(cdn, client):
    cdn.faults.set_status(GROUT, 503)
    assert client.get(GROUT).status_code == 503
    cdn.faults.set_retry_after(SDS, times=1, seconds=2)
    r = client.get(SDS)
    assert r.status_code == 429 and r.headers["retry-after"] == "2"
    assert client.get(SDS).status_code == 200
    assert cdn.hits[SDS] == 2


def test_another_process_drives_it_over_http(cdn, client):
    assert client.post("/__faults", json={"status": {MORTAR: 410}}).json()["status"] == {MORTAR: 410}
    assert client.get(MORTAR).status_code == 410
    assert client.get("/__faults").json()["status"] == {MORTAR: 410}
    client.post("/__faults", json={"clear": True})
    before = client.get(MORTAR).headers["etag"]
    answer = client.post("/__revise", json={"path": "https://s7d1.scene7.com" + MORTAR}).json()
    assert answer["path"] == MORTAR and answer["revision"] == 1 and answer["etag"] != before
    assert client.get(MORTAR).headers["etag"] == answer["etag"]
    assert client.post("/__revise", json={"path": "/is/content/TileShop/pdf/tds/x-tds.pdf"}).status_code == 404
    assert client.post("/__revise", content=b"[1]").status_code == 400
