"""The crawler resource's `service` mode (the crawler/ app over HTTP with a bearer token) and
`browser` mode (crawl4ai driving the system Chromium), against the sample catalog."""

from __future__ import annotations

import asyncio
import shutil

import httpx
import pytest

from tileshop_pipelines.acquisition.refresh import extract_page
from tileshop_pipelines.crawl.fetcher import PageRequest
from tileshop_pipelines.defs.resources import CrawlerResource
from tileshop_pipelines.sample_catalog import CatalogServer, build_catalog
from tileshop_pipelines.serving.settings import SettingsError

from .service import LOCAL_SITE, TOKEN, crawl_service


@pytest.fixture(scope="module")
def site():
    with CatalogServer(build_catalog(n_products=30, seed=9), port=0) as server:
        yield server


@pytest.fixture(scope="module")
def service():
    with crawl_service(**LOCAL_SITE) as url:
        yield url


def _crawl(resource: CrawlerResource, requests):
    async def go():
        return [f async for f in resource.crawler().crawl(requests)]

    return asyncio.run(go())


def _service_resource(url: str, token: str = TOKEN) -> CrawlerResource:
    return CrawlerResource(
        mode="service", service_url=url, service_token=token, requests_per_second=0, backoff_base_s=0.01, max_attempts=2
    )


@pytest.mark.slow
def test_service_mode_crawls_with_conditional_requests_and_statuses(site, service):
    paths = [p.path for p in site.catalog.products[:6]]
    site.faults.set_status(paths[5], 410)
    try:
        first = {
            f.product_key: f
            for f in _crawl(_service_resource(service), [PageRequest(site.base_url + p, product_key=p) for p in paths])
        }
    finally:
        site.faults.clear()
    assert {first[p].outcome for p in paths[:5]} == {"ok"} and first[paths[5]].outcome == "gone"
    assert all('"Product"' in first[p].html for p in paths[:5])
    again = _crawl(
        _service_resource(service), [PageRequest(first[p].url, first[p].etag, product_key=p) for p in paths[:5]]
    )
    assert {f.outcome for f in again} == {"not_modified"}


@pytest.mark.slow
def test_service_needs_the_bearer_token(site, service):
    assert httpx.post(f"{service}/crawl", json={"urls": [site.base_url + "/"]}).status_code == 401
    with pytest.raises(PermissionError, match="CRAWLER_TOKEN"):
        _crawl(_service_resource(service, token="wrong"), [PageRequest(site.base_url + "/")])


@pytest.mark.slow
def test_service_refuses_oversized_requests(service):
    body = {"urls": ["http://127.0.0.1/" + "x" * 300_000]}
    response = httpx.post(f"{service}/crawl", json=body, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 413
    too_many = {"urls": [f"http://127.0.0.1/{i}" for i in range(101)]}
    response = httpx.post(f"{service}/crawl", json=too_many, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 422


SERVICE_VARIABLES = (
    "CRAWLER_TOKEN",
    "CRAWLER_CONCURRENCY",
    "TILESHOP_USER_AGENT",
    "CRAWLER_TIMEOUT_S",
    "CRAWLER_MAX_BODY_BYTES",
    "CRAWLER_MAX_RESPONSE_BYTES",
    "TILESHOP_SITEMAP_URL",
    "CRAWLER_ALLOWED_HOSTS",
    "CRAWLER_PERMITTED_ADDRESSES",
    "CRAWLER_MAX_HEADERS",
    "CRAWLER_MAX_HEADER_BYTES",
)


@pytest.fixture
def service_env(monkeypatch):
    for name in SERVICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_service_settings_defaults_and_values(service_env):
    from crawler.settings import load_settings
    from tileshop_pipelines.crawl.responses import DEFAULT_MAX_BODY_BYTES
    from tileshop_pipelines.crawl.transports import DEFAULT_USER_AGENT

    service_env.setenv("CRAWLER_TOKEN", TOKEN)
    service_env.setenv("CRAWLER_TIMEOUT_S", "")  # empty: the default
    settings = load_settings()
    assert settings.token.get_secret_value() == TOKEN and TOKEN not in repr(settings)
    assert (settings.concurrency, settings.user_agent, settings.timeout_s, settings.max_body_bytes) == (
        8,
        DEFAULT_USER_AGENT,
        30.0,
        DEFAULT_MAX_BODY_BYTES,
    )
    # The allow-list defaults to the configured site; nothing non-public is permitted.
    assert (settings.allowed_hosts, settings.permitted_addresses) == (("www.tileshop.com", "tileshop.com"), ())
    service_env.setenv("CRAWLER_CONCURRENCY", "3")
    service_env.setenv("TILESHOP_USER_AGENT", "Bot/1")
    assert (load_settings().concurrency, load_settings().user_agent) == (3, "Bot/1")
    service_env.setenv("TILESHOP_SITEMAP_URL", "http://127.0.0.1:8123/sitemap.xml")
    assert load_settings().allowed_hosts == ("127.0.0.1",)
    service_env.setenv("CRAWLER_ALLOWED_HOSTS", "Shop.Example., cdn.example")
    service_env.setenv("CRAWLER_PERMITTED_ADDRESSES", "127.0.0.1, 10.0.0.0/8")
    settings = load_settings()
    assert (settings.allowed_hosts, settings.permitted_addresses) == (
        ("shop.example", "cdn.example"),
        ("127.0.0.1", "10.0.0.0/8"),
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({}, "CRAWLER_TOKEN is not set"),
        ({"CRAWLER_TOKEN": ""}, "CRAWLER_TOKEN is not set"),
        (
            {"CRAWLER_TOKEN": TOKEN, "CRAWLER_CONCURRENCY": "0"},
            "CRAWLER_CONCURRENCY: Input should be greater than or equal to 1",
        ),
        ({"CRAWLER_TOKEN": TOKEN, "CRAWLER_TIMEOUT_S": "soon"}, "CRAWLER_TIMEOUT_S: Input should be a valid number"),
        ({"CRAWLER_TOKEN": TOKEN, "CRAWLER_MAX_BODY_BYTES": "-5"}, "CRAWLER_MAX_BODY_BYTES: Input should be greater"),
        (
            {"CRAWLER_TOKEN": TOKEN, "CRAWLER_PERMITTED_ADDRESSES": "127.0.0.1,localhost"},
            "CRAWLER_PERMITTED_ADDRESSES: 'localhost' is not an IP address or network",
        ),
        (
            {"CRAWLER_TOKEN": TOKEN, "TILESHOP_SITEMAP_URL": "sitemap.xml"},
            "names no host; set it or CRAWLER_ALLOWED_HOSTS",
        ),
        ({"CRAWLER_TOKEN": TOKEN, "CRAWLER_MAX_HEADERS": "5"}, "CRAWLER_MAX_HEADERS: Input should be greater"),
    ],
)
def test_service_refuses_to_start_naming_the_bad_variable(service_env, env, message):
    from crawler.main import create_app

    for name, value in env.items():
        service_env.setenv(name, value)
    with pytest.raises(SettingsError, match=message):
        create_app()


def test_service_mode_without_settings_says_what_is_missing():
    with pytest.raises(ValueError, match="CRAWLER_URL"):
        _crawl(CrawlerResource(mode="service"), [PageRequest("http://127.0.0.1/")])


def test_unknown_mode_is_refused_when_the_resource_is_built():
    with pytest.raises(ValueError, match="'http', 'browser' or 'service'"):
        CrawlerResource(mode="curl")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("chromium") is None, reason="needs Debian's chromium (make test installs it)")
def test_browser_mode_crawls_with_chromium(site):
    paths = [p.path for p in site.catalog.products[:3]]
    site.faults.block(paths[2])
    try:
        fetches = {
            f.product_key: f
            for f in _crawl(
                CrawlerResource(mode="browser", requests_per_second=0, timeout_s=60, concurrency=2),
                [PageRequest(site.base_url + p, product_key=p) for p in paths],
            )
        }
    finally:
        site.faults.clear()
    assert {fetches[p].outcome for p in paths[:2]} == {"ok"}
    assert all('"Product"' in fetches[p].html for p in paths[:2])
    extract_page(fetches[paths[2]], stored_hash=None)  # the crawler judges HTTP; extraction, the page
    assert fetches[paths[2]].outcome == "blocked"
