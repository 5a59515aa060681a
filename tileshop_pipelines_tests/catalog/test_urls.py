import collections
import unicodedata
from importlib import resources
from urllib.parse import quote, unquote

import pytest

from tileshop_pipelines.catalog.urls import CatalogUrl, canonical_url, classify_url, product_key_for_slug

SITE = "https://www.tileshop.com"


def real_product_paths() -> list[str]:
    text = resources.files("tileshop_pipelines.sample_catalog").joinpath("data/product_paths.txt").read_text("utf-8")
    return [line for line in text.splitlines() if line]


@pytest.fixture(scope="module")
def real_urls() -> list[CatalogUrl]:
    return [classify_url(SITE + path) for path in real_product_paths()]


# --- one URL at a time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "sku"),
    [
        ("/products/marmi-imperiali-zenobia-porcelain-wall-and-floor-tile-12-in-684287", "684287"),
        ("/products/superior-white-lft-bond-mortar-50lb-43521", "43521"),  # 5 digits; "50lb" is not the SKU
        ("/products/superior-pro-grout-umber-sanded-25-lb-052003", "052003"),  # leading zero kept
        ("/products/corlee-coastal-oak-engineered-wood-flooring-684018E", "684018E"),
        ("/products/corlee-valley-oak-engineered-wood-flooring-684019e", "684019e"),  # case as written
        ("/products/imperial-ocean-blue-gloss-ceramic-wall-tile-495660ss", "495660ss"),
        ("/products/pulpis-taupe-hex-porcelain-wall-and-floor-tile-10-in.-681519", "681519"),
        ("/products/daytona-beach-mix-metal-mosaic-tile-12-x-12-in", None),  # ends in a size
        ("/products/some-slab-porcelain-tile-48-x-24", None),  # ends in a size without unit
        ("/products/penny-round-matte-lucca-porcelain-mosaic-wall-and-floor-tile", None),
        ("/products/superior-pro-siliconized-acrylic-natural-sanded-caulk", None),
        ("/products/easy-pitch-shower-kit", None),
        ("/products/tile-1234", None),  # 4 digits is a size, not a SKU
    ],
)
def test_product_sku_is_the_trailing_code_as_written(path, sku):
    classified = classify_url(SITE + path)
    assert classified.kind == "product"
    assert classified.sku == sku
    assert isinstance(classified.sku, (str, type(None)))


@pytest.mark.parametrize(
    "url",
    [
        f"{SITE}/products/",
        f"{SITE}/products",
        f"{SITE}/",
        f"{SITE}/tile/porcelain-tile",
        f"{SITE}/product/marmi-imperiali-zenobia-porcelain-wall-and-floor-tile-12-in-684287",
        f"{SITE}/products/marmi-imperiali,-w-,porcelain-684287",
        f"{SITE}/products/marmi-imperiali%2C-w-%2Cporcelain-684287",
        f"{SITE}/products/sample-marmi-imperiali-zenobia-porcelain-wall-and-floor-tile-12-in-684287",
        f"{SITE}/products/marmi-imperiali-zenobia-porcelain-tile-SAMPLE-684287",
    ],
)
def test_non_product_urls_are_other_without_sku_or_key(url):
    classified = classify_url(url)
    assert (classified.kind, classified.sku, classified.product_key) == ("other", None, None)


def test_product_key_is_the_normalised_slug():
    path = "/products/Annie-Selke-Aster-Orchid-Porcelain-Floor-and-Wall-Tile-12-x-25-in-680882"
    classified = classify_url(SITE + path)
    assert classified.product_key == "annie-selke-aster-orchid-porcelain-floor-and-wall-tile-12-x-25-in-680882"
    assert classified.sku == "680882"
    assert classified.url == SITE + path


def test_non_ascii_slug_raw_and_percent_encoded_give_one_url_and_one_key():
    raw = classify_url(f"{SITE}/products/goboard-backer-board-4-ft-x-8-ft-x-½-in-350067")
    encoded = classify_url(f"{SITE}/products/goboard-backer-board-4-ft-x-8-ft-x-%C2%BD-in-350067")
    lower_hex = classify_url(f"{SITE}/products/goboard-backer-board-4-ft-x-8-ft-x-%c2%bd-in-350067")
    assert raw == encoded == lower_hex
    assert raw.url == f"{SITE}/products/goboard-backer-board-4-ft-x-8-ft-x-%C2%BD-in-350067"
    assert raw.product_key == "goboard-backer-board-4-ft-x-8-ft-x-½-in-350067"
    assert raw.sku == "350067"


def test_unicode_forms_share_a_key():
    composed = classify_url(f"{SITE}/products/caf\u00e9-white-tile-123456")
    decomposed = classify_url(f"{SITE}/products/cafe\u0301-white-tile-123456")
    assert composed.product_key == decomposed.product_key == "caf\u00e9-white-tile-123456"


@pytest.mark.parametrize(
    "path",
    [
        "/products/morris-&-co-pure-net-brick-porcelain-wall-and-floor-tile-13-x-13-in-683861",
        "/products/bostik-dimension-rapidcure-glass-filled,-pre-mixed-urethane-grout-diamond-9-lb-350420",
        "/products/statuario-nuovo-polished-porcelain-shower-kit-30-x-94-+-32-x-94-in-684132",
        "/products/calacata-evora-honed-marble-curb-floor-tile-6.5-x-42-in-650848",
    ],
)
def test_url_keeps_ampersand_comma_plus_and_dot_as_written(path):
    assert classify_url(SITE + path).url == SITE + path


def test_url_lowercases_scheme_and_host_drops_fragment_keeps_query_and_path_case():
    classified = classify_url("HTTPS://WWW.TileShop.COM/products/Corlee-Bedford-Oak-684020E?ref=nav#reviews")
    assert classified.url == "https://www.tileshop.com/products/Corlee-Bedford-Oak-684020E?ref=nav"
    assert classified.product_key == "corlee-bedford-oak-684020e"


def test_url_encodes_spaces_and_keeps_an_encoded_slash():
    assert canonical_url(f"{SITE}/products/a b/c%2Fd-123456") == f"{SITE}/products/a%20b/c%2Fd-123456"


def test_trailing_slash_does_not_change_the_key():
    with_slash = classify_url(f"{SITE}/products/snow-porcelain-corner-shelf-683549/")
    without = classify_url(f"{SITE}/products/snow-porcelain-corner-shelf-683549")
    assert with_slash.product_key == without.product_key == "snow-porcelain-corner-shelf-683549"
    assert with_slash.sku == "683549"


@pytest.mark.parametrize("url", ["/products/snow-porcelain-corner-shelf-683549", "ftp://x/products/a-123456", ""])
def test_relative_or_non_http_urls_are_rejected(url):
    with pytest.raises(ValueError, match="absolute"):
        classify_url(url)


# --- Dagster partition keys --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "key"),
    [
        ("glass-filled,-pre-mixed-grout-350420", "glass-filled%2C-pre-mixed-grout-350420"),
        ("tile-10-in.-681519", "tile-10-in.-681519"),  # a lone dot stays readable
        ("tile..-2-123456", "tile..-2-123456"),
        ("more...-tile-123456", "more%2E%2E%2E-tile-123456"),
        ("a|b[c]d-123456", "a%7Cb%5Bc%5Dd-123456"),
        ("tab%09here-123456", "tab%09here-123456"),
        ("fifty%2525-123456", "fifty%2525-123456"),  # decoded once to "fifty%25-...", its "%" escaped
    ],
)
def test_characters_dagster_reserves_are_percent_escaped(slug, key):
    assert product_key_for_slug(slug) == key


def test_escape_is_reversible_so_keys_never_collide():
    slugs = ["a,b-123456", "a%252Cb-123456", "a%2C-123456", "a%252C-123456", "x...y", "x%2E%2E%2Ey", "x%252E..y"]
    keys = [product_key_for_slug(slug) for slug in slugs]
    decoded = [unicodedata.normalize("NFC", unquote(slug)).lower() for slug in slugs]
    assert [unquote(key) for key in keys] == decoded
    assert len(set(keys)) == len(set(decoded))


def test_undecodable_bytes_stay_escaped():
    assert product_key_for_slug("tile-%FF-123456") == "tile-%FF-123456"
    assert product_key_for_slug("tile-%ff-123456") == "tile-%FF-123456"


def test_dagster_accepts_every_real_key_and_the_escaped_reserved_characters(real_urls):
    dg = pytest.importorskip("dagster")
    adversarial = [product_key_for_slug(s) for s in ("a...b", "a|b", "a,b", "a[b]", "a%0Ab", "a%09b", "a%00b", "a%7Fb")]
    keys = sorted({url.product_key for url in real_urls} | set(adversarial))
    # StaticPartitionsDefinition runs Dagster's key validation ("...", control characters,
    # duplicates); a multi-partitions dimension also rejects "|", ",", "[" and "]".
    products = dg.StaticPartitionsDefinition(keys)
    dg.MultiPartitionsDefinition({"product": products, "day": dg.StaticPartitionsDefinition(["2025-07-09"])})
    assert len(products.get_partition_keys()) == len(keys)


# --- the real July 2025 sitemap ----------------------------------------------------------------


def test_every_real_path_is_a_product(real_urls):
    assert len(real_urls) == 4773
    assert all(url.kind == "product" for url in real_urls)


def test_real_sku_counts(real_urls):
    skus = [url.sku for url in real_urls]
    numeric_part = [sku.rstrip("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") for sku in skus if sku]
    assert skus.count(None) == 18
    assert sum(len(digits) == 5 for digits in numeric_part) == 138
    assert sum(len(digits) == 6 for digits in numeric_part) == 4773 - 18 - 138
    assert sum(sku.startswith("0") for sku in skus if sku) == 51
    with_letters = sorted(sku for sku in skus if sku and not sku.isdigit())
    assert {f"6840{n}E" for n in (18, 20, 21, 22, 23, 24)} | {"684019e"} <= set(with_letters)
    assert "495660ss" in with_letters
    assert all(sku.endswith(("E", "e", "ss")) for sku in with_letters)


def test_real_keys_are_unique_except_the_url_listed_twice(real_urls):
    by_key = collections.defaultdict(set)
    for url in real_urls:
        by_key[url.product_key].add(url.url)
    assert len(by_key) == 4772
    assert all(len(urls) == 1 for urls in by_key.values())  # a shared key only ever means the same URL
    repeated = [key for key, count in collections.Counter(u.product_key for u in real_urls).items() if count > 1]
    assert repeated == ["arbour-midlands-nutmeg-oak-luxury-vinyl-tile-71-x-48-in-683846"]


def test_a_sku_on_two_urls_gets_two_keys(real_urls):
    urls = {url.url: url for url in real_urls if url.sku == "484842"}
    assert len(urls) == 2
    assert len({url.product_key for url in urls.values()}) == 2


def test_real_urls_are_canonical_and_encoding_does_not_change_the_key(real_urls):
    for path, classified in zip(real_product_paths(), real_urls, strict=True):
        assert canonical_url(classified.url) == classified.url
        fully_encoded = classify_url(SITE + quote(path, safe="/"))
        assert fully_encoded == classified
        assert classify_url(SITE + path) == classified  # no dependence on the other URLs


def test_only_the_site_s_and_the_sitemap_s_hosts_are_on_site():
    from tileshop_pipelines.catalog.urls import on_site, site_hosts

    hosts = site_hosts("https://www.tileshop.com/sitemap.xml", "https://cdn.tileshop.com/sitemap-1.xml")
    assert on_site("https://tileshop.com/products/a-1", hosts) and on_site("https://WWW.tileshop.com/x", hosts)
    assert on_site("https://cdn.tileshop.com/products/a-1", hosts)
    for url in (
        "https://evil.example/products/a-1",
        "http://169.254.169.254/products/a-1",
        "https://www.tileshop.com.evil.example/products/a-1",
        "http://127.0.0.1:8080/products/a-1",
    ):
        assert not on_site(url, hosts), url
