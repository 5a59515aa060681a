"""Deterministic model of a tileshop.com-like catalog, built from the real July 2025 sitemap paths:
which product URLs a catalog holds, its other pages and sitemap layout, lookups and updates.

`build_catalog(n_products, seed)` returns the same catalog (and, through render.py, the same page
bytes) for the same arguments. A product's content depends only on (seed, path), never on
n_products, so a product looks the same in a 500- and a 5,000-product catalog.

Every catalog keeps the seven known products of CONTEXT.md with their stated facts
(known_products.py), and one real example of each URL quirk the crawler and extractor must survive
(QUIRK_PATHS); every other product is made from its slug (products.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import threading
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

from .known_products import KNOWN_BY_PATH, KNOWN_PATHS, KNOWN_SKUS, known_product
from .model import CATEGORIES, SPEC_KEYS, SampleProduct
from .products import product_from_slug
from .slug_kinds import classify
from .slugs import slug_of

PRODUCT_PATHS_FILE = Path(__file__).parent / "data" / "product_paths.txt"

# One real path per URL quirk (CONTEXT.md "Real quirks in the data"); every catalog contains them.
# The 5-digit SKU (43521) and the `&` (683861) are covered by known products.
QUIRK_PATHS: dict[str, str] = {
    "leading_zero_sku": "/products/superior-pro-grout-umber-sanded-8-lb-052002",
    "suffix_sku_E": "/products/corlee-coastal-oak-engineered-wood-flooring-684018E",
    "suffix_sku_ss": "/products/imperial-ocean-blue-gloss-ceramic-wall-tile-495660ss",
    "no_sku_mosaic": "/products/penny-round-matte-lucca-porcelain-mosaic-wall-and-floor-tile",
    "no_sku_caulk": "/products/superior-pro-siliconized-acrylic-mocha-sanded-caulk",
    "no_sku_ends_in_size": "/products/daytona-beach-mix-metal-mosaic-tile-12-x-12-in",
    "shared_sku_a": "/products/signature-oatmeal-matte-ceramic-long-side-bullnose-wall-trim-tile-4-x-12-in-484842",
    "shared_sku_b": "/products/signature-oatmeal-matte-ceramic-rel-bullnose-wall-trim-tile-4-x-12-in-484842",
    "listed_twice": "/products/arbour-midlands-nutmeg-oak-luxury-vinyl-tile-71-x-48-in-683846",
    "non_ascii": "/products/goboard-backer-board-4-ft-x-8-ft-x-\u00bd-in-350067",
    "comma": "/products/bostik-dimension-rapidcure-glass-filled,-pre-mixed-urethane-grout-diamond-9-lb-350420",
    "plus": "/products/statuario-nuovo-polished-porcelain-shower-kit-30-x-94-+-32-x-94-in-684132",
    "plus_unspaced": "/products/calacatta-white-polished-porcelain-tub-kit-30-x-64+32-x-64-in-684123",
    "dot_in_size": "/products/calacata-evora-honed-marble-curb-floor-tile-6.5-x-42-in-650848",
    "dot_after_in": "/products/pulpis-taupe-hex-porcelain-wall-and-floor-tile-10-in.-681519",
    "uppercase": "/products/Annie-Selke-Aster-Orchid-Porcelain-Floor-and-Wall-Tile-12-x-25-in-680882",
}

_SITEMAP_CHUNK_MAX = 1000


def decode_path(path_or_url: str) -> str:
    """The decoded URL path of a path or absolute URL (query dropped); `+` stays a plus."""
    if "://" in path_or_url:
        path_or_url = urlsplit(path_or_url).path
    return unquote(path_or_url.split("?", 1)[0])


def encode_path(path: str) -> str:
    """Percent-encode the non-ASCII characters of a path, as a sitemap writer might."""
    return quote(path, safe="/:@!$&'()*+,;=-._~")


class Catalog:
    """The products and non-product pages of one sample site, plus its sitemap layout."""

    def __init__(self, products: list[SampleProduct], other_pages: list[str], seed: int):
        self.products = products
        self.other_pages = other_pages
        self.seed = seed
        self.revision = 0  # bumped by every update(); sitemaps with lastmod depend on it
        self.removed: set[str] = set()  # paths of discontinued products: unlisted, their pages 404
        self.lock = threading.Lock()  # held while a product changes; renderers take it for a consistent read
        self._by_path = {p.path: p for p in products}
        self._by_sku: dict[str, list[SampleProduct]] = {}
        for p in products:
            if p.sku is not None:
                self._by_sku.setdefault(p.sku, []).append(p)
        self.product_sitemaps = _layout_product_sitemaps([p.path for p in products])
        self.sample_pages = {path: self._by_path[sample_of] for path, sample_of in _sample_pages()}

    def __len__(self) -> int:
        return len(self.products)

    def listed_product_urls(self) -> list[str]:
        """Product URL paths in sitemap order as listed: one duplicate, one percent-encoded twin."""
        return [path for chunk in self.product_sitemaps for path in chunk]

    def product(self, path_or_sku: str) -> SampleProduct:
        """Look up by path (decoded or percent-encoded, or a full URL) or by SKU string."""
        found = self._by_path.get(decode_path(path_or_sku))
        if found is not None:
            return found
        same_sku = self._by_sku.get(path_or_sku, [])
        if len(same_sku) == 1:
            return same_sku[0]
        if same_sku:
            raise KeyError(
                f"SKU {path_or_sku!r} is on {len(same_sku)} URLs; look it up by path: "
                + ", ".join(p.path for p in same_sku)
            )
        raise KeyError(f"no product {path_or_sku!r}")

    def remove(self, path_or_sku: str) -> SampleProduct:
        """Discontinue a product: it leaves the sitemaps (every listing of it) and its page 404s."""
        product = self.product(path_or_sku)
        with self.lock:
            if product.path not in self.removed:
                self.removed.add(product.path)
                for chunk in self.product_sitemaps:
                    chunk[:] = [p for p in chunk if decode_path(p) != product.path]
                self.revision += 1
        return product

    def update(self, path_or_sku: str, price: float | None = None, **changes: object) -> SampleProduct:
        """Change a product's content; its page, ETag and Last-Modified change with it.

        `price` re-derives the shown per-sq-ft price from the coverage. Other keywords: `name`,
        `description_html`, `availability`, `price_per_sqft`, `documents` (the list of {"Name", "Url"}
        the page names, real CDN addresses: a product that stops naming one, or names another), or any
        spec key (`Color="Grey"`; None removes the spec). Calls that change nothing leave the version alone.
        """
        product = self.product(path_or_sku)
        with self.lock:
            before = dataclasses.replace(product, specs=dict(product.specs), documents=list(product.documents))
            if price is not None:
                product.price = round(float(price), 2)
                if product.price_unit == "sqft":
                    product.price_per_sqft = product.price
                elif product.price_per_sqft is not None and product.coverage_sqft_per_box:
                    product.price_per_sqft = round(product.price / product.coverage_sqft_per_box, 2)
            for key, value in changes.items():
                if key in ("description_html", "availability"):
                    setattr(product, key, str(value))
                elif key == "name":
                    product.name = str(value)
                    product.breadcrumbs = product.breadcrumbs[:-1] + [(product.name, product.path)]
                elif key == "documents":
                    product.documents = _documents(value)
                elif key == "price_per_sqft":
                    if not isinstance(value, (int, float, str, type(None))):
                        raise TypeError(f"price_per_sqft: {value!r} is not a number")
                    product.price_per_sqft = None if value is None else round(float(value), 2)
                elif key in SPEC_KEYS:
                    if value is None:
                        product.specs.pop(key, None)
                    else:
                        product.specs[key] = str(value)
                else:
                    raise TypeError(f"update() got an unknown field {key!r}")
            if product != before:
                product.version += 1
                product.last_modified += dt.timedelta(days=1)
                self.revision += 1
        return product


def _documents(value: object) -> list[dict[str, str]]:
    """A product's documents as update() takes them, checked: a list of {"Name": str, "Url": str}."""
    if not isinstance(value, list) or not all(
        isinstance(d, dict) and set(d) == {"Name", "Url"} and all(isinstance(v, str) for v in d.values()) for d in value
    ):
        raise ValueError(f'documents must be a list of {{"Name": ..., "Url": ...}}, got {value!r}')
    return [dict(d) for d in value]


def build_catalog(n_products: int = 500, seed: int = 7) -> Catalog:
    """A deterministic catalog of n_products unique product URLs (plus the non-product pages)."""
    real = _real_paths()
    required = list(dict.fromkeys([KNOWN_PATHS[s] for s in KNOWN_SKUS] + list(QUIRK_PATHS.values())))
    if n_products < len(required):
        raise ValueError(f"n_products must be at least {len(required)} (known and quirk products)")
    if n_products >= len(real):
        paths = real + _synthesized_paths(n_products - len(real), set(real))
    else:
        chosen = set(required) | _spread(real, set(required), n_products - len(required))
        paths = [p for p in real if p in chosen]
    products = [_make_product(path, seed) for path in paths]
    assert len(products) == n_products, (len(products), n_products)
    return Catalog(products, _other_pages(products), seed)


def _make_product(path: str, seed: int) -> SampleProduct:
    if path in KNOWN_BY_PATH:
        return known_product(path, seed)
    return product_from_slug(path, seed)


_REAL_PATHS: list[str] | None = None


def _real_paths() -> list[str]:
    """The unique real product paths in sitemap order (the file lists 683846 twice)."""
    global _REAL_PATHS
    if _REAL_PATHS is None:
        lines = PRODUCT_PATHS_FILE.read_text(encoding="utf-8").splitlines()
        _REAL_PATHS = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
        missing = [p for p in list(KNOWN_PATHS.values()) + list(QUIRK_PATHS.values()) if p not in _REAL_PATHS]
        if missing:
            raise RuntimeError(f"product_paths.txt lacks required paths: {missing}")
    return list(_REAL_PATHS)


def _spread(real: list[str], exclude: set[str], quota: int) -> set[str]:
    """`quota` paths spread evenly over the site, with every kind represented when quota allows."""
    pools: dict[str, list[str]] = {}
    for path in real:
        if path not in exclude:
            pools.setdefault(classify(slug_of(path))[0], []).append(path)
    kinds = sorted(pools)
    alloc = {k: 0 for k in kinds}
    for k in kinds[:quota]:
        alloc[k] = 1
    rest = quota - sum(alloc.values())
    if rest > 0:
        room = {k: len(pools[k]) - alloc[k] for k in kinds}
        total = sum(room.values())
        shares = {k: rest * room[k] / total for k in kinds}
        for k in kinds:
            alloc[k] += math.floor(shares[k])
        leftover = quota - sum(alloc.values())
        by_remainder = sorted(kinds, key=lambda k: (-(shares[k] - math.floor(shares[k])), k))
        for k in by_remainder[:leftover]:
            alloc[k] += 1
    chosen: set[str] = set()
    for k in kinds:
        pool, a = pools[k], alloc[k]
        chosen.update(pool[int((i + 0.5) * len(pool) / a)] for i in range(a))
    return chosen


_SYNTH_SERIES = (
    "aurora",
    "bellamy",
    "cortona",
    "delmar",
    "estrella",
    "fairhaven",
    "galena",
    "harbor-point",
    "isola",
    "juniper",
    "kingsley",
    "lucerne",
    "meridian",
    "northgate",
    "orvieto",
    "palisade",
    "riviera",
    "solana",
    "tessera",
    "umbria",
    "verona",
    "westbrook",
    "yardley",
    "zephyr",
)
_SYNTH_COLORS = ("white", "ivory", "beige", "grey", "charcoal", "black", "sage", "blue", "taupe", "sand")
_SYNTH_SHAPES = (
    ("matte-porcelain-wall-and-floor-tile", ("12-x-24", "24-x-24", "8-x-48", "12-x-12")),
    ("gloss-ceramic-subway-wall-tile", ("3-x-6", "4-x-12", "2-x-8")),
    ("polished-porcelain-wall-and-floor-tile", ("24-x-48", "12-x-24", "32-x-32")),
    ("honed-marble-mosaic-wall-and-floor-tile", ("2-x-2", "1-x-3", "12-x-12")),
    ("glass-mosaic-wall-tile", ("1-x-1", "2-x-2")),
    ("luxury-vinyl-tile", ("7-x-48", "9-x-60")),
    ("matte-porcelain-bullnose-trim-tile", ("3-x-12", "3-x-24")),
    ("tumbled-travertine-wall-and-floor-tile", ("6-x-6", "12-x-12")),
)


def _synthesized_paths(count: int, taken: set[str]) -> list[str]:
    """Plausible extra product paths with unique 6-digit SKUs (71xxxx is unused on the real site)."""
    paths = []
    for i in range(count):
        series = _SYNTH_SERIES[i % len(_SYNTH_SERIES)]
        color = _SYNTH_COLORS[(i // len(_SYNTH_SERIES)) % len(_SYNTH_COLORS)]
        shape, sizes = _SYNTH_SHAPES[(i // 7) % len(_SYNTH_SHAPES)]
        size = sizes[i % len(sizes)]
        path = f"/products/{series}-{color}-{shape}-{size}-in-{710000 + i}"
        assert path not in taken
        paths.append(path)
    return paths


def _other_pages(products: list[SampleProduct]) -> list[str]:
    categories = list(dict.fromkeys(CATEGORIES[p.kind][0] for p in products))
    categories.sort(key=lambda c: [v[0] for v in CATEGORIES.values()].index(c))
    return ["/"] + categories + ["/products/"] + [path for path, _ in _sample_pages()] + [BUNDLE_PATH]


BUNDLE_PATH = "/products/white-subway-tile,-w-,grout-bundle"


def _sample_pages() -> list[tuple[str, str]]:
    """Sample-order URLs for three known tiles: a product-looking slug with `sample` in it."""
    pages = []
    for sku in ("684287", "485020", "683861"):
        path = KNOWN_PATHS[sku]
        pages.append((f"{path[: -len(sku) - 1]}-sample-{sku}", path))
    return pages


def _layout_product_sitemaps(paths: list[str]) -> list[list[str]]:
    """Split product paths into child sitemaps (at least two, at most 1,000 URLs each).

    The 683846 URL is listed a second time in its own child, and the non-ASCII 350067 URL is also
    listed percent-encoded in a different child, as the real sitemaps did.
    """
    size = min(_SITEMAP_CHUNK_MAX - 2, math.ceil(len(paths) / 2))
    chunks = [paths[i : i + size] for i in range(0, len(paths), size)]
    twice, non_ascii = QUIRK_PATHS["listed_twice"], QUIRK_PATHS["non_ascii"]
    for chunk in chunks:
        if twice in chunk:
            chunk.insert(min(chunk.index(twice) + 77, len(chunk)), twice)
    raw_at = next(i for i, chunk in enumerate(chunks) if non_ascii in chunk)
    chunks[-1 if raw_at != len(chunks) - 1 else 0].append(encode_path(non_ascii))
    return chunks
