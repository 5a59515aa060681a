"""Documents refreshed through the real path: products naming them in Postgres, a CDN stand-in on
127.0.0.2 over HTTP (crawl4ai's strategy, the fetcher's politeness), pypdf in worker processes,
the store. Fetched once per URL, read once per version, refused off the allow-list."""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest

from tileshop_pipelines.acquisition.documents import DocumentPolicy, host_refusal, refresh_documents
from tileshop_pipelines.crawl.addresses import FetchGuard, parse_networks
from tileshop_pipelines.crawl.fetcher import CrawlPolicy, PageFetcher
from tileshop_pipelines.crawl.responses import PDF
from tileshop_pipelines.crawl.transports import HttpTransport
from tileshop_pipelines.pdf.extract import Limits
from tileshop_pipelines.pdf.pool import ParserPool
from tileshop_pipelines.store import documents as documents_sql

from ..support import pdfs
from ..support.document_server import DocumentServer, products_naming

CDN_HOST = "127.0.0.2"
WEEK = dt.timedelta(days=7)
GROUT_TDS = pdfs.data_sheet(
    "Polyblend Plus Sanded Grout - Technical Data Sheet",
    [
        "Coverage: 25 lb covers 100 sq. ft. of 12 x 12 in tile with 1/8 in joints",
        "Cure: light foot traffic after 24 hours",
    ],
    pages=3,
)
MORTAR_TDS = pdfs.data_sheet(
    "Superior LFT Mortar - Technical Data Sheet",
    ["Trowel: 1/2 x 1/2 in square notch for 12 x 24 in porcelain", "Pot life: 4 hours; grout after 24 hours"],
    pages=2,
)


@pytest.fixture
def cdn():
    with DocumentServer(CDN_HOST) as server:
        yield server


@pytest.fixture(scope="module")
def pool():
    with ParserPool(Limits(), workers=2, timeout_s=20, memory_mb=512) as parser_pool:
        yield parser_pool


def fetcher(
    hosts: set[str], *, timeout_s: float = 10, max_bytes: int = 20 * 1024 * 1024, max_attempts: int = 1
) -> PageFetcher:
    policy = CrawlPolicy(
        requests_per_second=0, max_attempts=max_attempts, timeout_s=timeout_s, backoff_base_s=0.01, backoff_max_s=0.05
    )
    guard = FetchGuard(allowed_hosts=frozenset(hosts), permitted=parse_networks(["127.0.0.0/8"]))
    return PageFetcher(
        lambda: HttpTransport(
            user_agent="test",
            max_connections=4,
            timeout_s=timeout_s,
            max_body_bytes=max_bytes,
            guard=guard,
            expected=PDF,
        ),
        policy,
    )


def refresh(conn, pool, *, hosts=frozenset({CDN_HOST}), force=False, **fetch):
    return asyncio.run(
        refresh_documents(conn, fetcher(set(hosts), **fetch), pool, DocumentPolicy(frozenset(hosts), WEEK, force))
    )


def _state(conn, url):
    return conn.execute(
        "SELECT state, reason, page_count, content_hash = parsed_hash FROM documents WHERE url = %s", (url,)
    ).fetchone()


def test_a_shared_document_is_fetched_once_read_once_and_a_no_change_refresh_costs_304s(conn, cdn, pool):
    grout = cdn.serve("/is/content/TileShop/pdf/tds/grout-tds.pdf", GROUT_TDS)
    mortar = cdn.serve("/is/content/TileShop/pdf/tds/mortar-tds.pdf", MORTAR_TDS)
    products_naming(
        conn,
        {f"grout{i}": [{"name": "Technical Data Sheet", "url": grout}] for i in range(30)}
        | {"mortar": [{"name": "Technical Data Sheet", "url": mortar}]},
    )
    first = refresh(conn, pool)
    assert first.links.linked_documents == 2 and first.links.active_links == 31
    assert (first.counts["ok"], first.counts["requests"], first.counts["parsed"], first.counts["pages_read"]) == (
        2,
        2,
        2,
        5,
    )
    assert cdn.served("/is/content/TileShop/pdf/tds/grout-tds.pdf") == [200]  # once, for 30 products
    pages = documents_sql.document_pages(conn, grout)
    assert len(pages) == 3 and "25 lb covers 100 sq. ft. of 12 x 12 in tile with 1/8 in joints" in pages[0]
    assert _state(conn, mortar) == ("ok", None, 2, True)
    hashes = conn.execute("SELECT url, parsed_hash FROM documents ORDER BY url").fetchall()

    assert refresh(conn, pool).counts["checked"] == 0  # nothing due: no request at all
    again = refresh(conn, pool, force=True)  # every document checked: conditional requests only
    assert (again.counts["unchanged"], again.counts["requests"], again.counts["parsed"]) == (2, 2, 0)
    assert cdn.served("/is/content/TileShop/pdf/tds/grout-tds.pdf") == [200, 304]
    assert conn.execute("SELECT url, parsed_hash FROM documents ORDER BY url").fetchall() == hashes


def test_a_changed_document_alone_is_read_again_and_its_history_kept(conn, cdn, pool):
    grout = cdn.serve("/grout-tds.pdf", GROUT_TDS)
    mortar = cdn.serve("/mortar-tds.pdf", MORTAR_TDS, validators=False)  # no ETag: the hash decides
    products_naming(conn, {"grout": [{"name": "TDS", "url": grout}], "mortar": [{"name": "TDS", "url": mortar}]})
    refresh(conn, pool)
    revised = pdfs.data_sheet(
        "Polyblend Plus Sanded Grout - Technical Data Sheet",
        ["Coverage: 25 lb covers 90 sq. ft. of 12 x 12 in tile with 1/8 in joints"],
        pages=3,
    )
    cdn.serve("/grout-tds.pdf", revised)
    report = refresh(conn, pool, force=True)
    assert (report.counts["ok"], report.counts["unchanged"], report.counts["parsed"]) == (1, 1, 1)
    assert cdn.served("/mortar-tds.pdf") == [200, 200]  # fetched again in full, not parsed again
    assert "covers 90 sq. ft." in documents_sql.document_pages(conn, grout)[0]
    assert (
        conn.execute(
            "SELECT count(*) FROM document_history h JOIN documents d USING (document_id) WHERE d.url = %s", (grout,)
        ).fetchone()[0]
        == 2
    )


def test_a_host_a_page_merely_names_is_refused_and_never_asked(conn, cdn, pool):
    good = cdn.serve("/good.pdf", MORTAR_TDS)
    with DocumentServer("127.0.0.1") as elsewhere:
        named = elsewhere.serve("/elsewhere.pdf", GROUT_TDS)
        products_naming(
            conn,
            {
                "a": [
                    {"name": "TDS", "url": good},
                    {"name": "Evil", "url": named},
                    {"name": "Relative", "url": "/pdf/relative.pdf"},
                    {"name": "FTP", "url": "ftp://127.0.0.2/x.pdf"},
                ]
            },
        )
        report = refresh(conn, pool)
        assert elsewhere.requests == []
        assert report.counts["ok"] == 1
        reason = report.refused[named]
        assert reason == (
            "host '127.0.0.1' is not on the document allow-list (TILESHOP_DOCUMENT_HOSTS: 127.0.0.2); never fetched"
        )
        assert _state(conn, named)[:2] == ("refused", reason)
        assert (
            report.refused["/pdf/relative.pdf"]
            == report.refused["ftp://127.0.0.2/x.pdf"]
            == "not an absolute http(s) URL; refused"
        )
        # The allow-list widened: the refused document is fetched at the next run, the rest stay refused.
        report = refresh(conn, pool, hosts={CDN_HOST, "127.0.0.1"})
        assert elsewhere.served("/elsewhere.pdf") == [200]
    assert _state(conn, named) == ("ok", None, 3, True)
    assert sorted(report.refused) == ["/pdf/relative.pdf", "ftp://127.0.0.2/x.pdf"]


def test_a_redirect_off_the_allow_list_is_refused_at_the_hop(conn, cdn, pool):
    with DocumentServer("127.0.0.1") as elsewhere:
        target = elsewhere.serve("/target.pdf", GROUT_TDS)
        moved = cdn.serve("/moved.pdf", b"", status=302, headers={"Location": target})
        products_naming(conn, {"a": [{"name": "TDS", "url": moved}]})
        report = refresh(conn, pool)
        assert elsewhere.requests == []
    state, reason, _, _ = _state(conn, moved)
    assert state == "failed" and "host '127.0.0.1' is not on the allow-list" in reason
    assert report.problems() == [(moved, "failed", reason)]


def test_the_allow_list_judges_hosts_not_text():
    hosts = frozenset({"s7d1.scene7.com", "www.tileshop.com"})
    assert host_refusal("https://S7D1.scene7.com./is/content/x.pdf", hosts) is None
    assert host_refusal("https://s7d1.scene7.com.evil.example/x.pdf", hosts).startswith("host 's7d1.scene7.com.evil")
    assert host_refusal("https://www.tileshop.com@evil.example/x.pdf", hosts).startswith("host 'evil.example'")
    assert host_refusal("javascript:alert(1)", hosts) == "not an absolute http(s) URL; refused"


@pytest.mark.slow  # the crawl service in a process of its own
def test_documents_through_the_crawl_service_in_service_mode(conn, cdn, pool):
    """TILESHOP_CRAWL_MODE=service: the crawl service fetches kind "pdf" and answers the bytes in
    base64; its own allow-list (CRAWLER_ALLOWED_HOSTS) must name the document host too."""
    from tileshop_pipelines.defs.resources import CrawlerResource, DocumentsResource

    from ..crawl.service import TOKEN, crawl_service

    sheet = cdn.serve("/tds.pdf", MORTAR_TDS)
    products_naming(conn, {"mortar": [{"name": "TDS", "url": sheet}]})
    documents = DocumentsResource(hosts=[CDN_HOST])
    with crawl_service(CRAWLER_ALLOWED_HOSTS=CDN_HOST, CRAWLER_PERMITTED_ADDRESSES=CDN_HOST) as url:
        crawler = CrawlerResource(
            mode="service", service_url=url, service_token=TOKEN, requests_per_second=0, max_attempts=1
        )
        first = asyncio.run(refresh_documents(conn, crawler.document_fetcher(documents), pool, documents.policy()))
        again = asyncio.run(
            refresh_documents(conn, crawler.document_fetcher(documents), pool, documents.policy(force=True))
        )
    assert (first.counts["ok"], again.counts["unchanged"], again.counts["parsed"]) == (1, 1, 0)
    assert cdn.served("/tds.pdf") == [200, 304]
    assert "1/2 x 1/2 in square notch" in documents_sql.document_pages(conn, sheet)[0]
