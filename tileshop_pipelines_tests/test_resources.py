import pytest

from tileshop_pipelines.defs import resources
from tileshop_pipelines.settings import DEFAULT_SITEMAP_URL, load_settings


def build_resources():
    return resources.build_resources(load_settings())


def test_resources_follow_the_environment(monkeypatch):
    monkeypatch.setenv("TILESHOP_SITEMAP_URL", "http://127.0.0.1:9/sitemap.xml")
    monkeypatch.setenv("TILESHOP_CRAWL_CONCURRENCY", "3")
    resources = build_resources()
    assert resources["site"].sitemap_url == "http://127.0.0.1:9/sitemap.xml"
    assert resources["crawler"].concurrency == 3


def test_defaults_point_at_the_real_site(monkeypatch):
    monkeypatch.delenv("TILESHOP_SITEMAP_URL", raising=False)
    assert build_resources()["site"].sitemap_url == DEFAULT_SITEMAP_URL == "https://www.tileshop.com/sitemap.xml"


@pytest.mark.parametrize("value", ["eight", "0"])
def test_bad_integer_setting_names_the_variable(monkeypatch, value):
    monkeypatch.setenv("TILESHOP_CRAWL_CONCURRENCY", value)
    with pytest.raises(ValueError, match="TILESHOP_CRAWL_CONCURRENCY"):
        build_resources()


def test_crawler_settings_follow_the_environment(monkeypatch):
    monkeypatch.setenv("TILESHOP_CRAWL_MODE", "service")
    monkeypatch.setenv("TILESHOP_CRAWL_RATE", "0.5")
    monkeypatch.setenv("CRAWLER_URL", "http://tileshop-crawler.internal:11235")
    crawler = build_resources()["crawler"]
    assert (crawler.mode, crawler.requests_per_second, crawler.service_url) == (
        "service",
        0.5,
        "http://tileshop-crawler.internal:11235",
    )


def test_crawler_defaults_are_tileshop_politeness(monkeypatch):
    for name in ("TILESHOP_CRAWL_MODE", "TILESHOP_CRAWL_RATE", "TILESHOP_CRAWL_CONCURRENCY"):
        monkeypatch.delenv(name, raising=False)
    crawler = build_resources()["crawler"]
    assert (crawler.mode, crawler.requests_per_second, crawler.concurrency) == ("http", 2.0, 4)


def test_bad_rate_names_the_variable(monkeypatch):
    monkeypatch.setenv("TILESHOP_CRAWL_RATE", "fast")
    with pytest.raises(ValueError, match="TILESHOP_CRAWL_RATE"):
        build_resources()
