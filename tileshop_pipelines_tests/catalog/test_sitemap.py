import gzip
import time
from importlib import resources

import pytest

from tileshop_pipelines.catalog.sitemap import (
    Sitemap,
    SitemapEntry,
    SitemapError,
    crawlable_entries,
    parse_robots,
    parse_sitemap,
)
from tileshop_pipelines.catalog.urls import site_hosts

NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
SOURCE = "https://www.tileshop.com/sitemap.xml"


def real_product_paths() -> list[str]:
    text = resources.files("tileshop_pipelines.sample_catalog").joinpath("data/product_paths.txt").read_text("utf-8")
    return [line for line in text.splitlines() if line]


URLSET = f"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="{NS}" xmlns:image="http://www.google.com/schemas/sitemap-image/1.1">
  <url>
    <loc>
      https://www.tileshop.com/products/morris-&amp;-co-pure-net-brick-porcelain-wall-and-floor-tile-13-x-13-in-683861
    </loc>
    <image:image><image:loc>https://tileshop.scene7.com/is/image/TileShop/683861</image:loc></image:image>
  </url>
  <url><loc>https://www.tileshop.com/products/goboard-backer-board-4-ft-x-8-ft-x-½-in-350067</loc>
       <lastmod> 2025-07-09 </lastmod><changefreq>daily</changefreq></url>
  <!-- a comment between entries -->
  <url><loc>https://www.tileshop.com/products/superior-white-lft-bond-mortar-50lb-43521</loc><lastmod></lastmod></url>
</urlset>
""".encode()

INDEX = f"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="{NS}">
  <sitemap><loc>https://www.tileshop.com/sitemap-products.xml.gz</loc>
    <lastmod>2025-07-09T15:55:00+00:00</lastmod></sitemap>
  <sitemap><loc>https://www.tileshop.com/sitemap-pages.xml</loc></sitemap>
</sitemapindex>
""".encode()

MORRIS = "https://www.tileshop.com/products/morris-&-co-pure-net-brick-porcelain-wall-and-floor-tile-13-x-13-in-683861"
EXPECTED_URLSET = Sitemap(
    kind="urlset",
    entries=[
        SitemapEntry(MORRIS, None),
        SitemapEntry("https://www.tileshop.com/products/goboard-backer-board-4-ft-x-8-ft-x-½-in-350067", "2025-07-09"),
        SitemapEntry("https://www.tileshop.com/products/superior-white-lft-bond-mortar-50lb-43521", None),
    ],
)


def test_urlset_entities_decoded_whitespace_stripped_lastmod_optional():
    assert parse_sitemap(URLSET, SOURCE) == EXPECTED_URLSET


def test_sitemap_index():
    assert parse_sitemap(INDEX, SOURCE) == Sitemap(
        kind="index",
        entries=[
            SitemapEntry("https://www.tileshop.com/sitemap-products.xml.gz", "2025-07-09T15:55:00+00:00"),
            SitemapEntry("https://www.tileshop.com/sitemap-pages.xml", None),
        ],
    )


def test_gzip_detected_by_magic_bytes_not_by_name():
    assert parse_sitemap(gzip.compress(URLSET), "https://www.tileshop.com/sitemap.xml") == EXPECTED_URLSET
    assert parse_sitemap(URLSET, "https://www.tileshop.com/sitemap.xml.gz") == EXPECTED_URLSET


@pytest.mark.parametrize(
    "root",
    [
        "<urlset>",  # no namespace
        '<urlset xmlns="https://www.sitemaps.org/schemas/sitemap/0.9">',  # https variant
        '<sm:urlset xmlns:sm="http://www.sitemaps.org/schemas/sitemap/0.9">',  # prefixed
    ],
)
def test_any_namespace_or_none(root):
    closing = "</sm:urlset>" if root.startswith("<sm:") else "</urlset>"
    prefix = "sm:" if root.startswith("<sm:") else ""
    xml = f"{root}<{prefix}url><{prefix}loc>https://a/products/x-123456</{prefix}loc></{prefix}url>{closing}"
    assert parse_sitemap(xml.encode(), SOURCE).entries == [SitemapEntry("https://a/products/x-123456", None)]


def test_duplicate_locs_are_kept_as_listed():
    xml = f'<urlset xmlns="{NS}">' + "<url><loc>https://a/products/x-123456</loc></url>" * 2 + "</urlset>"
    assert len(parse_sitemap(xml.encode(), SOURCE).entries) == 2


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"<urlset><url><loc>https://a/x</loc></url>", "malformed XML"),
        (b"", "malformed XML"),
        (b"<!DOCTYPE html><html><body><p>The Tile Shop<br></p></body></html>", "malformed XML"),
        (b"<html><body><p>blocked</p></body></html>", "root element is <html>"),
        (f'<urlset xmlns="{NS}"></urlset>'.encode(), "empty <urlset>"),
        (f'<sitemapindex xmlns="{NS}"/>'.encode(), "empty <sitemapindex>"),
        (f'<urlset xmlns="{NS}"><url><lastmod>2025-07-09</lastmod></url></urlset>'.encode(), "number 1 has no <loc>"),
        (f'<urlset xmlns="{NS}"><url><loc>  </loc></url></urlset>'.encode(), "has no <loc>"),
        (gzip.compress(URLSET)[:12] + b"\xff" * 40, "corrupt gzip"),
        (gzip.compress(URLSET)[:-30], "truncated gzip"),
    ],
)
def test_unusable_sitemaps_raise_an_error_naming_the_source(content, problem):
    with pytest.raises(SitemapError) as error:
        parse_sitemap(content, "https://example.test/broken-sitemap.xml")
    assert "https://example.test/broken-sitemap.xml" in str(error.value)
    assert problem in str(error.value)
    assert isinstance(error.value, ValueError)


def test_external_entities_are_refused_and_never_read(tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    xml = (
        f'<?xml version="1.0"?><!DOCTYPE urlset [<!ENTITY xxe SYSTEM "file://{secret}">]>'
        f'<urlset xmlns="{NS}"><url><loc>https://a/&xxe;</loc></url></urlset>'
    )
    with pytest.raises(SitemapError, match="entity declarations") as error:
        parse_sitemap(xml.encode(), SOURCE)
    assert "TOP-SECRET" not in str(error.value)


def test_entity_expansion_bomb_is_refused_quickly():
    # Nine levels of ten references each: a billion "lol"s if expanded.
    levels = [f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)]
    entities = '<!ENTITY a0 "lol">' + "".join(levels)
    xml = f'<?xml version="1.0"?><!DOCTYPE urlset [{entities}]><urlset><url><loc>&a9;</loc></url></urlset>'
    started = time.perf_counter()
    with pytest.raises(SitemapError):
        parse_sitemap(xml.encode(), SOURCE)
    assert time.perf_counter() - started < 1


def test_gzip_bomb_is_refused(monkeypatch):
    monkeypatch.setattr("tileshop_pipelines.catalog.sitemap.MAX_SITEMAP_BYTES", 1000)
    with pytest.raises(SitemapError, match="more than 1000 bytes"):
        parse_sitemap(gzip.compress(URLSET + b" " * 5000), SOURCE)
    monkeypatch.setattr("tileshop_pipelines.catalog.sitemap.MAX_SITEMAP_BYTES", len(URLSET))
    assert parse_sitemap(gzip.compress(URLSET), SOURCE) == EXPECTED_URLSET  # exactly at the limit: read


def test_real_sized_gzip_urlset_parses_every_url_in_order():
    paths = real_product_paths()
    body = "".join(f"<url><loc>https://www.tileshop.com{p.replace('&', '&amp;')}</loc></url>" for p in paths)
    content = gzip.compress(f'<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="{NS}">{body}</urlset>'.encode())
    sitemap = parse_sitemap(content, SOURCE)
    assert sitemap.kind == "urlset"
    assert [entry.loc for entry in sitemap.entries] == [f"https://www.tileshop.com{p}" for p in paths]
    assert all(entry.lastmod is None for entry in sitemap.entries)


# --- robots.txt --------------------------------------------------------------------------------

ROBOTS = """\
# robots.txt for https://www.tileshop.com
User-agent: Googlebot
Disallow: /googlebot-only/

User-agent: Bingbot
User-agent: *
Disallow: /cart
Disallow: /checkout/
Disallow: /*?sort=
Disallow: /search$
Allow: /checkout/help
disallow:        # empty: allows everything
Crawl-delay: 5

Sitemap: https://www.tileshop.com/sitemap.xml
SITEMAP: https://www.tileshop.com/sitemap-images.xml  # trailing comment

User-agent: *
Disallow: /account/
"""


UA = "TileshopPipelines/0.1 (product catalog indexer)"


def test_robots_rules_of_the_star_group_and_every_sitemap():
    robots = parse_robots(ROBOTS, user_agent=UA)
    assert robots.sitemaps == ["https://www.tileshop.com/sitemap.xml", "https://www.tileshop.com/sitemap-images.xml"]
    # every Disallow of the two "*" groups applies to us, and their one Allow; the Googlebot group does not
    for path in ("/cart", "/checkout/", "/x?sort=", "/search", "/account/"):
        assert not robots.allows("https://www.tileshop.com" + path), path
    assert robots.allows("https://www.tileshop.com/checkout/help")
    assert robots.allows("https://www.tileshop.com/googlebot-only/")
    assert robots.request_interval_s == 5  # the group's Crawl-delay


@pytest.mark.parametrize(
    ("path", "allowed"),
    [
        ("/products/marmi-imperiali-zenobia-porcelain-wall-and-floor-tile-12-in-684287", True),
        ("/sitemap.xml", True),
        ("/googlebot-only/page", True),  # another agent's rule
        ("/cart", False),
        ("/cart/items", False),  # prefix match
        ("/checkout/pay", False),
        ("/checkout/help/returns", True),  # the longer Allow wins
        ("/tile/porcelain-tile?sort=price", False),  # wildcard
        ("/tile/porcelain-tile?page=2", True),
        ("/search", False),
        ("/search/tile", True),  # "$" anchors the end
        ("/account/orders", False),  # from the second "*" group
    ],
)
def test_robots_allows(path, allowed):
    assert parse_robots(ROBOTS, user_agent=UA).allows("https://www.tileshop.com" + path) is allowed


def test_robots_without_rules_allows_everything():
    robots = parse_robots("User-agent: *\nDisallow:\n", user_agent=UA)
    assert robots.sitemaps == [] and robots.request_interval_s is None
    assert robots.allows("https://www.tileshop.com/cart")


def test_robots_disallow_all():
    assert not parse_robots("User-agent: *\nDisallow: /\n", user_agent=UA).allows(
        "https://www.tileshop.com/products/x-123456"
    )


def test_allow_wins_a_tie_of_equal_length():
    robots = parse_robots("User-agent: *\nDisallow: /products/\nAllow: /products/\n", user_agent=UA)
    assert robots.allows("https://www.tileshop.com/products/x-123456")


OUR_GROUP = """\
User-agent: *
Disallow: /
Crawl-delay: 10

User-agent: TileshopPipelines
Disallow: /cart
Crawl-delay: 1

User-agent: catalog
Disallow: /products/
"""


def test_our_own_group_wins_over_the_star_group():
    ours = parse_robots(OUR_GROUP, user_agent=UA)
    assert ours.allows("https://www.tileshop.com/products/x-123456")
    assert not ours.allows("https://www.tileshop.com/cart")
    assert ours.request_interval_s == 1  # our group's delay, not the "*" group's
    other = parse_robots(OUR_GROUP, user_agent="OtherBot/2.0")
    assert not other.allows("https://www.tileshop.com/products/x-123456") and other.request_interval_s == 10


def test_only_our_product_token_names_us():
    # "catalog" is a word of our header's comment ("... (product catalog indexer)"), not our name
    robots = parse_robots("User-agent: catalog\nDisallow: /\n\nUser-agent: *\nAllow: /\n", user_agent=UA)
    assert robots.allows("https://www.tileshop.com/products/x-123456")


@pytest.mark.parametrize(
    ("group", "interval"),
    [
        ("Crawl-delay: 1", 1),
        ("Crawl-delay: 0.5", 0.5),
        ("Request-rate: 1/4s", 4),  # seconds per request
        ("Request-rate: 30/1m", 2),
        ("Crawl-delay: 1\nRequest-rate: 1/3", 3),  # both: the slower wins
        ("Crawl-delay: soon", None),  # unreadable: ignored
    ],
)
def test_crawl_delay_and_request_rate_are_the_request_interval(group, interval):
    assert parse_robots(f"User-agent: *\n{group}\n", user_agent=UA).request_interval_s == interval


def test_a_url_with_a_lone_surrogate_is_matched_not_raised():
    """Found by the fuzz pass: protego encodes the URL as UTF-8, and a lone surrogate raised."""
    robots = parse_robots("User-agent: *\nDisallow: /private", user_agent="TileshopPipelines/0.1")
    assert robots.allows("https://www.tileshop.com/products/a-\ud800-123456")
    assert not robots.allows("https://www.tileshop.com/private/\udfff")


# --- which listed URLs the crawl may fetch --------------------------------------------------


def _crawlable(locs: list[tuple[str, str | None]], robots_txt: str = "User-agent: *\nDisallow: /cart\n"):
    return crawlable_entries(
        [SitemapEntry(loc, lastmod) for loc, lastmod in locs],
        parse_robots(robots_txt, user_agent=UA),
        site_hosts(SOURCE),
    )


def test_crawlable_entries_are_classified_on_site_and_allowed():
    site = "https://www.tileshop.com"
    result = _crawlable(
        [
            (f"{site}/products/white-subway-tile-123456", "2025-01-02"),
            (f"{site}/tile", None),
            (f"{site}/cart", None),
            ("https://tileshop.com/products/bare-host-tile-222222", None),
            ("https://evil.example/products/impostor-tile-999001", None),
        ]
    )
    assert [(info.url, info.kind, info.sku, entry.lastmod) for info, entry in result.entries] == [
        (f"{site}/products/white-subway-tile-123456", "product", "123456", "2025-01-02"),
        (f"{site}/tile", "other", None, None),
        ("https://tileshop.com/products/bare-host-tile-222222", "product", "222222", None),
    ]
    assert (result.off_site, result.disallowed) == (1, 1)


def test_a_url_listed_twice_keeps_its_first_place_and_its_last_entry():
    first, other = "https://www.tileshop.com/products/a-tile-111111", "https://www.tileshop.com/products/b-tile-222222"
    result = _crawlable([(first, "2025-01-01"), (other, None), (first, "2025-02-01")])
    assert [(info.url, entry.lastmod) for info, entry in result.entries] == [(first, "2025-02-01"), (other, None)]


def test_a_loc_that_is_not_an_absolute_url_is_a_sitemap_error():
    with pytest.raises(SitemapError):
        _crawlable([("/products/relative-tile-123456", None)])
