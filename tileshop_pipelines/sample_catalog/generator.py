"""Deterministic model of a tileshop.com-like catalog, built from the real July 2025 sitemap paths.

`build_catalog(n_products, seed)` returns the same catalog (and, through render.py, the same page
bytes) for the same arguments. A product's content depends only on (seed, path), never on
n_products, so a product looks the same in a 500- and a 5,000-product catalog.

Every catalog keeps the seven known products of CONTEXT.md with their stated facts, and one real
example of each URL quirk the crawler and extractor must survive (QUIRK_PATHS).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import html
import math
import random
import re
import threading
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

PRODUCT_PATHS_FILE = Path(__file__).parent / "data" / "product_paths.txt"

KNOWN_SKUS: tuple[str, ...] = ("684287", "684272", "485000", "683861", "485020", "43521", "683549")

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

SPEC_GROUPS: dict[str, tuple[str, ...]] = {
    "PDPInfo_DesignInstallation": (
        "MaterialType", "EdgeType", "Color", "Finish", "Applications", "DirectionalLayout",
        "RecommendedGrout", "ShadeVariation",
    ),
    "PDPInfo_Dimensions": ("ApproximateSize", "Thickness", "BoxQuantity", "BoxWeight"),
    "PDPInfo_TechnicalDetails": ("CountryOfOrigin", "SurfaceAbrasion", "FrostResistance"),
}
SPEC_KEYS: tuple[str, ...] = tuple(k for keys in SPEC_GROUPS.values() for k in keys)

KINDS = ("tile", "stone", "lvt", "laminate", "wood", "trim", "grout", "setting", "tool")

# kind -> (category path, category name); the category pages are also served and listed.
CATEGORIES: dict[str, tuple[str, str]] = {
    "tile": ("/tile", "Tile"),
    "stone": ("/natural-stone", "Natural Stone"),
    "lvt": ("/luxury-vinyl", "Luxury Vinyl"),
    "laminate": ("/laminate-and-wood", "Laminate & Wood"),
    "wood": ("/laminate-and-wood", "Laminate & Wood"),
    "trim": ("/trim", "Trim & Molding"),
    "grout": ("/grout", "Grout & Caulk"),
    "setting": ("/installation-materials", "Installation Materials"),
    "tool": ("/tools-and-accessories", "Tools & Accessories"),
}

SCENE7_IMAGE = "https://tileshop.scene7.com/is/image/TileShop/{}?$ExtraLarge$"
SCENE7_PDF = "https://s7d1.scene7.com/is/content/TileShop/pdf/"

CATALOG_EPOCH = dt.datetime(2025, 6, 1, 6, 0, tzinfo=dt.timezone.utc)
_SITEMAP_CHUNK_MAX = 1000
_SKU_RE = re.compile(r"-(\d+[A-Za-z]*)$")


@dataclasses.dataclass
class SampleProduct:
    path: str                          # URL path exactly as listed in the sitemap (decoded)
    sku: str | None                    # trailing slug code as a string; None when the slug has none
    name: str
    kind: str                          # one of KINDS
    brand: str
    price: float                       # price of the selling unit
    price_unit: str                    # "box" | "sqft" | "each" | "bag"
    price_per_sqft: float | None       # only when the page shows it
    coverage_sqft_per_box: float | None
    specs: dict[str, str]              # Key -> Value, keys without the PDPInfo_ prefix
    documents: list[dict[str, str]]    # [{"Name": ..., "Url": ...}]
    images: list[str]
    description_html: str
    breadcrumbs: list[tuple[str, str]]  # (name, path) from Home to the product itself
    availability: str = "InStock"
    version: int = 0                   # bumped by Catalog.update
    last_modified: dt.datetime = CATALOG_EPOCH

    @property
    def page_sku(self) -> str:
        """The item number the page states. A slug without a trailing code (penny rounds, kits,
        caulks) still sells under an item number; ours is derived from the path, stable, and starts
        with 9, which no real SKU does."""
        if self.sku is not None:
            return self.sku
        return "9" + str(int(hashlib.sha1(self.path.encode()).hexdigest()[:8], 16) % 100_000).zfill(5)

    def spec_groups(self) -> dict[str, list[dict[str, str]]]:
        """Specifications as the page's __NEXT_DATA__ states them."""
        return {
            group: [{"Key": f"PDPInfo_{k}", "Value": self.specs[k]} for k in keys if k in self.specs]
            for group, keys in SPEC_GROUPS.items()
        }


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
            raise KeyError(f"SKU {path_or_sku!r} is on {len(same_sku)} URLs; look it up by path: "
                           + ", ".join(p.path for p in same_sku))
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

    def update(self, path_or_sku: str, price: float | None = None, **changes: str | float | None) -> SampleProduct:
        """Change a product's content; its page, ETag and Last-Modified change with it.

        `price` re-derives the shown per-sq-ft price from the coverage. Other keywords: `name`,
        `description_html`, `availability`, `price_per_sqft`, or any spec key (`Color="Grey"`; None
        removes the spec). Calls that change nothing leave the version alone.
        """
        product = self.product(path_or_sku)
        with self.lock:
            before = dataclasses.replace(product, specs=dict(product.specs))
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
                elif key == "price_per_sqft":
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


# --------------------------------------------------------------------------------------------
# building


def build_catalog(n_products: int = 500, seed: int = 7) -> Catalog:
    """A deterministic catalog of n_products unique product URLs (plus the non-product pages)."""
    real = _real_paths()
    required = list(dict.fromkeys([_KNOWN_PATHS[s] for s in KNOWN_SKUS] + list(QUIRK_PATHS.values())))
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


_REAL_PATHS: list[str] | None = None


def _real_paths() -> list[str]:
    """The unique real product paths in sitemap order (the file lists 683846 twice)."""
    global _REAL_PATHS
    if _REAL_PATHS is None:
        lines = PRODUCT_PATHS_FILE.read_text(encoding="utf-8").splitlines()
        _REAL_PATHS = list(dict.fromkeys(line.strip() for line in lines if line.strip()))
        missing = [p for p in list(_KNOWN_PATHS.values()) + list(QUIRK_PATHS.values()) if p not in _REAL_PATHS]
        if missing:
            raise RuntimeError(f"product_paths.txt lacks required paths: {missing}")
    return list(_REAL_PATHS)


def _spread(real: list[str], exclude: set[str], quota: int) -> set[str]:
    """`quota` paths spread evenly over the site, with every kind represented when quota allows."""
    pools: dict[str, list[str]] = {}
    for path in real:
        if path not in exclude:
            pools.setdefault(classify(_slug(path))[0], []).append(path)
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
    "aurora", "bellamy", "cortona", "delmar", "estrella", "fairhaven", "galena", "harbor-point",
    "isola", "juniper", "kingsley", "lucerne", "meridian", "northgate", "orvieto", "palisade",
    "riviera", "solana", "tessera", "umbria", "verona", "westbrook", "yardley", "zephyr",
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
    return (["/"] + categories + ["/products/"] + [path for path, _ in _sample_pages()]
            + [BUNDLE_PATH])


BUNDLE_PATH = "/products/white-subway-tile,-w-,grout-bundle"


def _sample_pages() -> list[tuple[str, str]]:
    """Sample-order URLs for three known tiles: a product-looking slug with `sample` in it."""
    pages = []
    for sku in ("684287", "485020", "683861"):
        path = _KNOWN_PATHS[sku]
        pages.append((f"{path[: -len(sku) - 1]}-sample-{sku}", path))
    return pages


def _layout_product_sitemaps(paths: list[str]) -> list[list[str]]:
    """Split product paths into child sitemaps (at least two, at most 1,000 URLs each).

    The 683846 URL is listed a second time in its own child, and the non-ASCII 350067 URL is also
    listed percent-encoded in a different child, as the real sitemaps did.
    """
    size = min(_SITEMAP_CHUNK_MAX - 2, math.ceil(len(paths) / 2))
    chunks = [paths[i: i + size] for i in range(0, len(paths), size)]
    twice, non_ascii = QUIRK_PATHS["listed_twice"], QUIRK_PATHS["non_ascii"]
    for chunk in chunks:
        if twice in chunk:
            chunk.insert(min(chunk.index(twice) + 77, len(chunk)), twice)
    raw_at = next(i for i, chunk in enumerate(chunks) if non_ascii in chunk)
    chunks[-1 if raw_at != len(chunks) - 1 else 0].append(encode_path(non_ascii))
    return chunks


# --------------------------------------------------------------------------------------------
# one product from its slug


def _slug(path: str) -> str:
    return path.rsplit("/", 1)[-1]


def _rng(seed: int, path: str, purpose: str = "") -> random.Random:
    digest = hashlib.sha256(f"{seed}|{path}|{purpose}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _words(slug: str) -> list[str]:
    return [w.rstrip(".") for w in slug.lower().split("-") if w.rstrip(".")]


def _has(slug: str, *phrases: str) -> bool:
    s = f"-{slug.lower()}-"
    return any(f"-{p}-" in s for p in phrases)


_TOOL_BRANDS = ("wedi", "raimondi", "easy-pitch", "suntouch", "flofx", "goboard", "permabase", "max-seal",
                "ardex-t")
_TOOL_WORDS = ("trowel", "shelf", "backer-board", "sealer", "clean", "cleaner", "drain", "grate", "niche",
               "membrane", "seat", "spacers", "paddle", "sponge", "bucket", "float", "clips", "wedges",
               "thermostat", "warmwire", "cable", "mat", "kit", "enhancer", "underlayment", "knife",
               "nippers", "cutter", "blade", "level", "pipe-collar", "shower-base", "roll", "pieces", "pack",
               "gloves", "knee-pads", "leveling-system", "lippage", "wedge", "washer", "polishing-pad",
               "tapping-block", "pull-bar", "scoring-wheel", "filler", "lath", "switch-plate", "tar-paper",
               "backerboard", "pro-shield", "enhance-and-seal", "fasteners")
# Care products and grouting tools mention grout or sealers but are accessories.
_ACCESSORY_WORDS = {"sealer", "remover", "cleaner", "clean", "enhancer", "haze", "pail", "float", "sponge",
                    "bucket", "gloves", "trowel", "paddle"}
_GROUT_WORDS = ("grout", "caulk", "silicone", "sanded", "unsanded", "pro-color")
_SETTING_WORDS = ("mortar", "thinset", "thin-set", "patch", "primer", "adhesive", "self-leveling",
                  "leveler", "skim-coat")
_TRIM_WORDS = ("bullnose", "pencil", "chair-rail", "trim", "stair-nose", "flush-stair", "overlap-stair",
               "quarter-round", "t-molding", "molding", "reducer", "liner", "listello", "threshold", "thres",
               "cornice", "skirting", "curb", "out-corner", "in-corner", "t-cove", "jolly", "sill",
               "end-cap", "dural", "edge-profile")
_PANEL_WORDS = ("wall-panel", "shower-kit", "tub-kit")
_STONE_MATERIALS = {"marble": "Marble", "travertine": "Travertine", "slate": "Slate", "limestone": "Limestone",
                    "granite": "Granite", "quartzite": "Quartzite", "onyx": "Onyx"}
_TILE_MATERIALS = {"porcelain": "Porcelain", "ceramic": "Ceramic", "glass": "Glass", "metal": "Metal",
                   "steel": "Metal", "resin": "Resin"}
_MARBLE_NAMES = ("carrara", "calacatta", "calacata", "calacutta", "statuario", "volakas", "marquina",
                 "emperador", "thassos", "crema")


def classify(slug: str) -> tuple[str, str | None]:
    """(kind, material) from slug words. First matching rule wins, most specific first."""
    words = set(_words(slug))
    # Tile bodies first: "slate-blue-gloss-ceramic" is ceramic, "slate" there is a color.
    material = next((m for w, m in {**_TILE_MATERIALS, **_STONE_MATERIALS}.items() if w in words), None)
    if any(w in words for w in ("laminate",)):
        material = "Laminate"
    elif "vinyl" in words or "spc" in words:
        material = "Luxury Vinyl"
    elif _has(slug, "engineered-wood", "hardwood"):
        material = "Engineered Wood"
    if slug.lower().startswith(_TOOL_BRANDS):
        return "tool", material
    if words & _ACCESSORY_WORDS:
        return "tool", None
    tile_body = material in _TILE_MATERIALS.values() and "tile" in words  # "patch-art-gold-ceramic-wall-tile"
    if _has(slug, *_GROUT_WORDS) and not tile_body:
        return "grout", None
    if _has(slug, *_SETTING_WORDS) and not tile_body:
        return "setting", None
    if _has(slug, *_PANEL_WORDS) and not _has(slug, "easy-pitch"):
        return "tile", material or "Porcelain"
    if _has(slug, *_TOOL_WORDS):
        return "tool", material
    if _has(slug, *_TRIM_WORDS) or slug.lower().startswith("dural"):
        if slug.lower().startswith("dural"):
            material = "Aluminum"
        elif material is None and words & set(_MARBLE_NAMES):
            material = "Marble"
        return "trim", material
    if material == "Luxury Vinyl":
        return "lvt", material
    if material == "Laminate":
        return "laminate", material
    if material == "Engineered Wood":
        return "wood", material
    if material in _STONE_MATERIALS.values():
        return "stone", material
    if material is not None or words & {"tile", "mosaic", "subway", "penny", "hex"}:
        return "tile", material
    if words & set(_MARBLE_NAMES):
        return "stone", "Marble"
    # Unlabelled slugs (pattern and size names like "jalor-cafe-24-in") are natural stone lines.
    return "stone", "Travertine" if "tumbled" in words else None


_COLOR_WORDS = {
    "white": "White", "snow": "White", "bianco": "White", "blanco": "White", "blanc": "White",
    "branco": "White", "carrara": "White", "calacatta": "White", "calacata": "White",
    "statuario": "White", "thassos": "White", "volakas": "White", "arctic": "White",
    "black": "Black", "noir": "Black", "nero": "Black", "negro": "Black", "marquina": "Black",
    "onyx": "Black", "grey": "Grey", "gris": "Grey", "grigio": "Grey", "smoke": "Grey",
    "gray": "Gray", "blue": "Blue", "ocean": "Blue", "sky": "Blue", "denim": "Blue", "navy": "Blue",
    "blu": "Blue", "beige": "Beige", "crema": "Beige", "ivory": "Ivory", "avorio": "Ivory",
    "cream": "Cream", "creme": "Cream", "taupe": "Taupe", "greige": "Greige", "green": "Green",
    "emerald": "Green", "forest": "Green", "sage": "Sage", "mint": "Mint", "silver": "Silver",
    "argento": "Silver", "gold": "Gold", "golden": "Gold", "oro": "Gold", "brown": "Brown",
    "walnut": "Brown", "espresso": "Brown", "oak": "Brown", "hickory": "Brown", "nutmeg": "Brown",
    "emperador": "Brown", "red": "Red", "rosso": "Red", "burgundy": "Burgundy", "pink": "Pink",
    "blush": "Pink", "orchid": "Purple", "lilac": "Purple", "charcoal": "Charcoal",
    "graphite": "Charcoal", "pewter": "Pewter", "sand": "Sand", "almond": "Almond", "bone": "Bone",
    "linen": "Linen", "oatmeal": "Oatmeal", "khaki": "Khaki", "teal": "Teal", "turquoise": "Turquoise",
    "aqua": "Aqua", "terracotta": "Terracotta", "clay": "Terracotta", "rust": "Rust",
    "copper": "Copper", "bronze": "Bronze", "chrome": "Chrome", "titanium": "Titanium",
    "mocha": "Brown", "umber": "Brown", "multi": "Multi", "mix": "Multi",
}
_FINISH_WORDS = {
    "matte": "Matte", "gloss": "Gloss", "glossy": "Gloss", "polished": "Polished", "pol": "Polished",
    "honed": "Honed", "tumbled": "Tumbled", "satin": "Satin", "brushed": "Brushed",
    "textured": "Textured", "lappato": "Lappato", "iridescent": "Iridescent", "antique": "Antiqued",
}
_ORIGINS = {
    "Porcelain": ("Italy", "Spain", "Turkey", "India", "USA"), "Ceramic": ("Spain", "Portugal", "Mexico", "Turkey"),
    "Glass": ("China", "Vietnam"), "Metal": ("China",), "Resin": ("China",),
    "Marble": ("Turkey", "Italy", "Greece", "China"), "Travertine": ("Turkey", "Peru"),
    "Slate": ("India", "Brazil", "China"), "Limestone": ("Turkey", "Portugal"), "Granite": ("India", "Brazil"),
    "Quartzite": ("India", "Brazil"), "Onyx": ("Iran", "Turkey"), "Luxury Vinyl": ("Vietnam", "China"),
    "Laminate": ("Belgium", "Germany"), "Engineered Wood": ("China",), "Aluminum": ("Germany",),
}
_PER_SQFT_DOLLARS = {
    "Ceramic": (2, 8), "Porcelain": (3, 14), "Glass": (13, 34), "Metal": (24, 44), "Resin": (14, 24),
    "Marble": (9, 29), "Travertine": (5, 14), "Slate": (4, 11), "Limestone": (7, 16), "Granite": (8, 18),
    "Quartzite": (12, 24), "Onyx": (24, 39), "Luxury Vinyl": (2, 5), "Laminate": (1, 4),
    "Engineered Wood": (4, 8),
}
_LBS_PER_SQFT = {"Ceramic": 3.6, "Porcelain": 4.7, "Glass": 2.6, "Metal": 3.1, "Resin": 2.0,
                 "Luxury Vinyl": 2.3, "Laminate": 1.9, "Engineered Wood": 2.1}
_BRANDS = (
    ("superior", "Superior"), ("ardex", "ARDEX"), ("wedi", "wedi"), ("bostik", "Bostik"),
    ("morris-&-co", "Morris & Co."), ("annie-selke", "Annie Selke"), ("raimondi", "Raimondi"),
    ("suntouch", "SunTouch"), ("goboard", "GoBoard"), ("permabase", "PermaBase"), ("loctite", "Loctite"),
    ("flofx", "FloFX"), ("easy-pitch", "Easy Pitch"), ("custom", "Custom Building Products"),
    ("max-seal", "Max Seal"), ("dural", "Dural"), ("nikki-chu", "Nikki Chu"),
    ("jeffrey-alan-marks", "Jeffrey Alan Marks"), ("kelli-ellis", "Kelli Ellis"),
)
_SMALL_WORDS = {"x", "in", "ft", "lb", "lbs", "oz", "and", "with", "of", "by", "or", "per", "sq"}
_ACRONYMS = {"lft", "spc", "usa", "ls", "pl", "tds", "sds", "lvt", "pvc", "ac", "oc", "br", "sx", "fl", "fg", "diy"}
_BRAND_SPELLING = {"ardex": "ARDEX", "goboard": "GoBoard", "suntouch": "SunTouch", "flofx": "FloFX",
                   "permabase": "PermaBase", "wedi": "wedi"}


def _display_slug(slug: str, sku: str | None) -> str:
    """Slug without the SKU, with the decimals the slug format dropped restored (256-x-10 -> 2.56-x-10)."""
    s = slug[: -len(sku) - 1] if sku else slug
    s = re.sub(r"(?<![\d.])0-(\d+)(?=-x-|-in\b)", r"0.\1", s)
    s = re.sub(r"-x-(\d+)-(\d)-in\b", r"-x-\1.\2-in", s)
    s = re.sub(r"(?<![\d.x])-(\d{1,2})-(2|4|8|16|32)(?=-in\b)",
               lambda m: f"-{m.group(1)}/{m.group(2)}" if int(m.group(1)) < int(m.group(2)) else m.group(0), s)
    s = re.sub(r"(?<![\d.-])-([1-9])(\d[1-9])(?=-x-)", r"-\1.\2", s)
    s = re.sub(r"-x-([1-9])(\d[1-9])(?=-in\b)", r"-x-\1.\2", s)
    return s


def _name(display: str) -> str:
    words = [w for w in display.split("-") if w]
    out = []
    for i, w in enumerate(words):
        lw = w.lower().rstrip(".")
        m = re.fullmatch(r"(\d+(?:\.\d+)?)(lb|lbs|oz)", lw)
        if m:
            out.append(f"{m.group(1)} {m.group(2)}")
        elif lw == "t" and i + 1 < len(words) and words[i + 1].lower() in ("molding", "cove"):
            out.append("T")
        elif lw in _SMALL_WORDS and i > 0:
            out.append(lw)
        elif lw in _ACRONYMS:
            out.append(lw.upper())
        elif lw in _BRAND_SPELLING:
            out.append(_BRAND_SPELLING[lw])
        elif w[:1].isupper() or not w[:1].isalpha():
            out.append(w.rstrip(".") if i == len(words) - 1 else w)
        else:
            out.append(w[:1].upper() + w[1:])
    return " ".join(out).replace("T Molding", "T-Molding").replace("T Cove", "T-Cove")


def _size(display: str, words: set[str]) -> tuple[str | None, float | None, float | None]:
    """(ApproximateSize text, width in, height in) from the display slug."""
    num = r"\d+/\d+|\d+(?:\.\d+)?|\u00bd|\u00bc|\u00be"
    m = re.search(rf"(?<![\d.])({num})-ft-x-({num})-ft", display)
    if m:
        return f"{m.group(1)} x {m.group(2)} ft", float(m.group(1)) * 12, float(m.group(2)) * 12
    m = re.search(rf"(?<![\d.])({num})-x-({num})(?:-x-({num}))?(?:-in|\+|-\+)", display)
    if m:
        w, h = m.group(1), m.group(2)
        return f"{w} x {h} in", _num(w), _num(h)
    m = re.search(rf"(?<![\d.x-])-({num})-in\.?(?:-|$)", display)
    if m:
        d = m.group(1)
        if words & {"hex", "penny", "octagon", "round", "arabesque"} or _num(d) >= 48:
            return f"{d} in", _num(d), _num(d)
        return f"{d} x {d} in", _num(d), _num(d)
    return None, None, None


def _num(text: str) -> float:
    if "/" in text:
        top, bottom = text.split("/")
        return int(top) / int(bottom)
    return {"\u00bd": 0.5, "\u00bc": 0.25, "\u00be": 0.75}.get(text) or float(text)


def _money(rng: random.Random, lo: int, hi: int) -> float:
    return rng.randint(lo, hi) + rng.choice((0.49, 0.79, 0.99, 0.99))


@dataclasses.dataclass
class _Slug:
    """What a product slug states (or implies) before any random fill-in."""

    slug: str
    sku: str | None
    words: list[str]
    kind: str
    material: str | None
    display: str           # slug without the SKU, decimals restored
    size: str | None       # ApproximateSize text
    width: float | None    # inches
    height: float | None
    color: str | None
    finish: str | None
    brand: str

    def has(self, *words: str) -> bool:
        return any(w in self.words for w in words)


@dataclasses.dataclass
class _Offer:
    """How a product is sold, and its specs and documents."""

    price: float
    unit: str
    per_sqft: float | None = None
    coverage: float | None = None
    specs: dict[str, str] = dataclasses.field(default_factory=dict)
    documents: list[dict[str, str]] = dataclasses.field(default_factory=list)
    renders: int = 0  # lifestyle images besides the main one


def _read_slug(slug: str) -> _Slug:
    m = _SKU_RE.search(slug)
    sku = m.group(1) if m else None
    words = _words(slug)
    kind, material = classify(slug)
    display = _display_slug(slug, sku)
    size, width, height = _size(display.lower(), set(words))
    colors = list(dict.fromkeys(_COLOR_WORDS[w] for w in words if w in _COLOR_WORDS))
    # The last finish word is the finish ("urbanstone-black-satin-hex-matte": "black satin" is a color name).
    finish = next((_FINISH_WORDS[w] for w in reversed(words) if w in _FINISH_WORDS), None)
    brand = next((b for prefix, b in _BRANDS if slug.lower().startswith(prefix)), "The Tile Shop")
    return _Slug(slug, sku, words, kind, material, display, size, width, height,
                 ", ".join(colors[:2]) if colors else None, finish, brand)


def _make_product(path: str, seed: int) -> SampleProduct:
    if path in _KNOWN_BY_PATH:
        return _known_product(path, seed)
    s = _read_slug(_slug(path))
    rng = _rng(seed, path)
    make_offer = {"trim": _trim_offer, "grout": _grout_offer, "setting": _setting_offer,
                  "tool": _tool_offer}.get(s.kind, _surface_offer)
    offer = make_offer(s, rng)
    image_id = s.sku or s.slug
    scenes = rng.sample(("livingroom", "bathroom", "kitchen", "shower", "entryway"), k=offer.renders)
    name = _name(s.display)
    product = SampleProduct(
        path=path, sku=s.sku, name=name, kind=s.kind, brand=s.brand, price=round(offer.price, 2),
        price_unit=offer.unit, price_per_sqft=offer.per_sqft, coverage_sqft_per_box=offer.coverage,
        specs={k: offer.specs[k] for k in SPEC_KEYS if offer.specs.get(k)}, documents=offer.documents,
        images=[SCENE7_IMAGE.format(image_id)] + [SCENE7_IMAGE.format(f"{image_id}_vendor_render_{scene}")
                                                  for scene in scenes],
        description_html="", breadcrumbs=_breadcrumbs(s.kind, name, path),
        availability="OutOfStock" if rng.random() < 0.03 else "InStock",
        last_modified=CATALOG_EPOCH + dt.timedelta(days=rng.randint(0, 37), minutes=rng.randint(0, 24 * 60 - 1)),
    )
    product.description_html = describe(product, _rng(seed, path, "description"))
    return product


def _surface_offer(s: _Slug, rng: random.Random) -> _Offer:
    """Tile, stone, LVT, laminate and wood: sold by the box with the per-sq-ft price shown."""
    kind, material, width, height, size = s.kind, s.material, s.width, s.height, s.size
    if material is None:
        material = (rng.choice(("Marble", "Travertine", "Limestone", "Slate")) if kind == "stone"
                    else rng.choice(("Porcelain", "Porcelain", "Ceramic")))
    if size is None:
        if s.has("mosaic", "penny") or kind == "stone" and s.has("arabesque"):
            width, height = 12, 12  # no chip size in the slug: state the sheet size
        else:
            width, height = rng.choice(_DEFAULT_SIZES.get(material, _DEFAULT_SIZES[kind]))
        size = f"{width:g} x {height:g} in"
    finish = s.finish or _default_finish(kind, material, rng)
    specs = {
        "MaterialType": material,
        "Color": s.color or rng.choice(("Brown", "Beige", "Grey") if kind in ("lvt", "laminate", "wood")
                                       else ("Beige", "Grey", "White", "Multi", "Ivory", "Brown")),
        "Finish": finish,
        "ApproximateSize": size,
    }
    mosaic = s.has("mosaic", "penny") or max(width, height) <= 2.5
    sheet_sqft = 0.96 if mosaic else width * height / 144 * 0.97
    if _has(s.slug, *_PANEL_WORDS):
        offer = _Offer(_money(rng, 249, 899), "each", specs=specs)
    else:
        qty = rng.choice((5, 8, 10)) if mosaic else max(1, round(rng.uniform(6, 15) / sheet_sqft))
        coverage = round(qty * sheet_sqft, 2)
        per_sqft = _money(rng, *_PER_SQFT_DOLLARS[material])
        if kind == "stone" and not mosaic and rng.random() < 0.15:
            offer = _Offer(per_sqft, "sqft", per_sqft=per_sqft, specs=specs)
        else:
            offer = _Offer(round(per_sqft * coverage, 2), "box", per_sqft=per_sqft, coverage=coverage, specs=specs)
            weight = coverage * _LBS_PER_SQFT.get(material, 6.2) * rng.uniform(0.9, 1.1)
            specs.update({"BoxQuantity": str(qty), "BoxWeight": f"{weight:.1f} lbs"})
    applications = _applications(kind, material, set(s.words), rng)
    specs.update({
        "Applications": applications,
        "Thickness": _thickness(material, rng),
        "CountryOfOrigin": rng.choice(_ORIGINS.get(material, ("USA",))),
        "ShadeVariation": rng.choice(("V1", "V2", "V3", "V4") if kind != "stone" else ("V3", "V4")),
    })
    if kind in ("tile", "stone"):
        specs["EdgeType"] = ("Tumbled" if finish == "Tumbled" else "Beveled" if s.has("bevel")
                             else "Rectified" if material == "Porcelain" or width * height >= 288
                             else rng.choice(("Pressed", "Straight")))
        specs["RecommendedGrout"] = ("Unsanded" if material == "Glass" or kind == "stone" and finish == "Polished"
                                     else rng.choice(("Sanded", "Unsanded")))
        specs["DirectionalLayout"] = ("Yes" if s.has("chevron", "herringbone", "arabesque")
                                      else rng.choice(("No", "No", "Yes")))
        if material in ("Porcelain", "Ceramic") and "Floor" in applications:
            specs["SurfaceAbrasion"] = rng.choice(("CLASS 3", "CLASS 4", "CLASS 5") if material == "Porcelain"
                                                  else ("CLASS 2", "CLASS 3"))
        if material in ("Porcelain", "Glass", "Ceramic"):
            specs["FrostResistance"] = "Not Resistant" if material == "Ceramic" else "Resistant"
    else:
        specs["EdgeType"] = rng.choice(("Micro-Beveled", "Square", "Painted Bevel"))
        specs["DirectionalLayout"] = "Yes"
    if material in ("Porcelain", "Ceramic", "Glass") and rng.random() < 0.5:
        offer.documents.append(_sds(material))
    if kind in ("lvt", "laminate", "wood"):
        stem = material.lower().replace(" ", "-")
        offer.documents += [
            {"Name": "Installation Instructions",
             "Url": f"{SCENE7_PDF}installation/{stem}-installation-instructions.pdf"},
            {"Name": "Warranty", "Url": f"{SCENE7_PDF}warranty/{stem}-warranty.pdf"}]
    if kind == "stone" and rng.random() < 0.6:
        offer.documents.append({"Name": "Natural Stone Care Guide",
                                "Url": f"{SCENE7_PDF}care/natural-stone-care-guide.pdf"})
    offer.renders = rng.randint(1, 3)
    return offer


def _trim_offer(s: _Slug, rng: random.Random) -> _Offer:
    material = s.material or ("Porcelain" if s.has("porcelain") else "Ceramic" if s.has("gloss", "ceramic")
                              else rng.choice(("Ceramic", "Porcelain", "Marble")))
    lo, hi = {"Laminate": (34, 69), "Luxury Vinyl": (29, 59), "Engineered Wood": (39, 79), "Aluminum": (14, 34),
              "Marble": (12, 44), "Travertine": (9, 29)}.get(material, (4, 24))
    floor_only = (material in ("Laminate", "Luxury Vinyl", "Engineered Wood")
                  or _has(s.slug, "threshold", "thres", "curb"))
    specs = {
        "MaterialType": material,
        "Color": s.color or rng.choice(("White", "Beige", "Grey", "Brown")),
        "Finish": s.finish or _default_finish("trim", material, rng),
        "Applications": "Floor" if floor_only else "Wall" if s.has("wall") else rng.choice(("Wall", "Floor, Wall")),
        "CountryOfOrigin": rng.choice(_ORIGINS.get(material, ("USA",))),
        "ApproximateSize": s.size,
    }
    if material in ("Ceramic", "Porcelain", "Marble", "Travertine", "Limestone", "Slate", "Glass"):
        specs["EdgeType"] = "Bullnose" if s.has("bullnose") else rng.choice(("Rectified", "Pressed", "Straight"))
        specs["Thickness"] = _thickness(material, rng)
    return _Offer(_money(rng, lo, hi), "each", specs=specs)


def _grout_offer(s: _Slug, rng: random.Random) -> _Offer:
    """Powder grout in a bag; caulk, colorant and premixed grout each."""
    caulk = s.has("caulk", "silicone")
    bagged = (not caulk and bool(re.search(r"-\d+-?lbs?\b", s.display.lower()))
              and not _has(s.slug, "pre-mixed", "urethane"))
    material = ("Grout Colorant" if _has(s.slug, "pro-color") else "Siliconized Acrylic Caulk" if s.has("acrylic")
                else "Silicone Caulk" if caulk else "Urethane Grout" if s.has("urethane")
                else "Epoxy Grout" if s.has("epoxy") else "Unsanded Cement Grout" if s.has("unsanded")
                else "Sanded Cement Grout")
    price = _money(rng, 14, 34) if bagged else _money(rng, 8, 16) if caulk else _money(rng, 49, 89)
    specs = {
        "MaterialType": material,
        "Color": _grout_color(s.display) or s.color or "Grey",
        "Applications": rng.choice(("Floor, Shower Wall, Wall", "Countertop, Floor, Wall", "Floor, Wall")),
        "CountryOfOrigin": "USA",
    }
    return _Offer(price, "bag" if bagged else "each", specs=specs, documents=_data_sheets(s.display, rng))


def _setting_offer(s: _Slug, rng: random.Random) -> _Offer:
    material = ("Large Format Tile Mortar" if s.has("lft") else "Polymer-Modified Mortar" if s.has("mortar")
                else "Self-Leveling Underlayment" if _has(s.slug, "self-leveling", "leveler")
                else "Patch and Skim Coat" if s.has("patch") else "Adhesive" if s.has("adhesive")
                else "Thinset Mortar")
    specs = {"MaterialType": material, "Applications": "Floor, Wall", "CountryOfOrigin": "USA", "Color": s.color}
    return _Offer(_money(rng, 24, 69), "each", specs=specs, documents=_data_sheets(s.display, rng))


def _tool_offer(s: _Slug, rng: random.Random) -> _Offer:
    """Tools and accessories: only the specs the slug supports."""
    lo, hi = ((149, 449) if s.has("kit") else (49, 199) if s.has("drain", "grate", "thermostat", "base")
              else (12, 29) if s.has("trowel", "spacers", "clips", "float", "sponge") else (14, 89))
    origins = ("USA", "China", "Germany") if s.brand != "The Tile Shop" else ("China", "Turkey")
    specs = {"MaterialType": s.material, "Color": s.color, "Finish": s.finish, "ApproximateSize": s.size,
             "CountryOfOrigin": rng.choice(origins)}
    documents = _data_sheets(s.display, rng) if s.has("sealer", "clean", "cleaner", "membrane") else []
    return _Offer(_money(rng, lo, hi), "each", specs=specs, documents=documents)


_GROUT_NAME_NOISE = {
    "superior", "pro", "excel", "sanded", "unsanded", "grout", "caulk", "siliconized", "acrylic", "silicone",
    "ardex", "fl", "bostik", "dimension", "rapidcure", "glass", "filled", "pre", "mixed", "urethane", "lb",
    "lbs", "oz", "epoxy", "premium", "100", "standard", "sx", "fg", "c", "microtec", "color",
}


def _grout_color(display: str) -> str | None:
    """Grout and caulk colors are proper names in the slug: `...-london-fog-sanded-...` -> London Fog."""
    words = [w.strip(",.") for w in display.lower().split("-")]
    kept = [w for w in words if w and w not in _GROUT_NAME_NOISE and not re.fullmatch(r"[\d.]+(lb|lbs|oz)?", w)]
    return " ".join(w.capitalize() for w in kept) or None


_DEFAULT_SIZES = {
    "Ceramic": ((3, 6), (4, 12), (4, 16), (8, 8), (6, 6)), "Porcelain": ((12, 24), (24, 24), (12, 12), (24, 48)),
    "Glass": ((2, 2), (3, 6), (4, 12)), "stone": ((12, 12), (3, 6), (6, 6), (12, 24)),
    "tile": ((12, 12), (12, 24)), "lvt": ((7, 48), (9, 60)), "laminate": ((8, 48), (8, 72)), "wood": ((7, 72), (9, 86)),
}


def _default_finish(kind: str, material: str, rng: random.Random) -> str:
    if kind in ("lvt", "laminate", "wood"):
        return rng.choice(("Matte", "Textured", "Wire-Brushed"))
    if material in ("Marble", "Onyx", "Granite", "Quartzite"):
        return rng.choice(("Honed", "Polished"))
    if material in ("Travertine", "Limestone"):
        return rng.choice(("Honed", "Tumbled"))
    if material == "Slate":
        return "Natural Cleft"
    if material == "Glass":
        return rng.choice(("Gloss", "Frosted"))
    if material == "Aluminum":
        return rng.choice(("Satin", "Brushed", "Polished"))
    return rng.choice(("Matte", "Gloss") if material == "Ceramic" else ("Matte", "Matte", "Polished", "Textured"))


def _applications(kind: str, material: str, words: set[str], rng: random.Random) -> str:
    if kind in ("lvt", "laminate", "wood"):
        return rng.choice(("Floor", "Floor, Light Commercial"))
    wall, floor = "wall" in words, "floor" in words
    if not wall and not floor:
        wall, floor = True, material not in ("Glass", "Metal")
    apps = set()
    if wall:
        apps.add("Wall")
        apps |= {extra for extra in ("Backsplash", "Shower Wall") if rng.random() < 0.5}
    if floor:
        apps |= {"Floor"} | ({"Light Commercial"} if material == "Porcelain" and rng.random() < 0.6 else set())
        if material in ("Porcelain", "Slate", "Travertine") and rng.random() < 0.3:
            apps.add("Exterior")
    return ", ".join(sorted(apps))


def _thickness(material: str, rng: random.Random) -> str:
    return rng.choice(_THICKNESS.get(material, ("10mm", "12mm", "3/8 in")))


_THICKNESS = {"Ceramic": ("7mm", "8mm", "8.7mm", "9mm"), "Porcelain": ("8mm", "9mm", "10mm", "6mm"),
              "Glass": ("4mm", "6mm", "8mm"), "Metal": ("6mm", "8mm"), "Luxury Vinyl": ("5mm", "6.5mm", "8mm"),
              "Laminate": ("10mm", "12mm"), "Engineered Wood": ("12mm", "14mm")}


def _sds(material: str) -> dict[str, str]:
    return {"Name": f"{material} Safety Data Sheet",
            "Url": f"{SCENE7_PDF}safety-data-sheets/{material.lower()}-tile-safety-data-sheet.pdf"}


def _data_sheets(display: str, rng: random.Random) -> list[dict[str, str]]:
    stem = re.sub(r"[^a-z0-9]+", "-", display.lower()).strip("-")
    docs = [{"Name": "Technical Data Sheet", "Url": f"{SCENE7_PDF}tds/{stem}-tds.pdf"}]
    if rng.random() < 0.7:
        docs.append({"Name": "Safety Data Sheet", "Url": f"{SCENE7_PDF}sds/{stem}-sds.pdf"})
    return docs


def _breadcrumbs(kind: str, name: str, path: str) -> list[tuple[str, str]]:
    cat_path, cat_name = CATEGORIES[kind]
    return [("Home", "/"), (cat_name, cat_path), (name, path)]


# --------------------------------------------------------------------------------------------
# descriptions: HTML with entities, 60-200 words, built from the product's own attributes


def _e(text: str) -> str:
    return html.escape(text, quote=False)


_OPENERS = {
    "surface": (
        "<p>The {name} brings {color_l} tones and a {finish_l} finish to {room}. Made from {material_l}, it "
        "holds up to daily life while giving the room a calm, finished look that works with both modern "
        "and traditional design.</p>",
        "<p>Looking for a {finish_l} {material_l} that feels effortless? The {name} pairs {color_l} color with "
        "a {size} format, so it&#8217;s just as much at home in {room} as it is in an open living space.</p>",
        "<p>With its {color_l} palette and {finish_l} surface, the {name} is a versatile choice for {room}. "
        "Each piece is {material_l}, sized at {size}, and designed to make installation straightforward "
        "for homeowners &amp; pros alike.</p>",
        "<p>Designers call it a &quot;quiet statement&quot;: the {name} layers {color_l} color over a {finish_l} "
        "{material_l} face, giving {room} texture without visual noise. The {size} size keeps layouts flexible.</p>",
        "<p>Bring lasting character to {room} with the {name}. This {material_l} {noun} offers a {finish_l} "
        "finish in {color_l}, and its {size} dimensions suit everything from accent walls to full rooms.</p>",
    ),
    "trim": (
        "<p>Finish every edge cleanly with the {name}. This {material_l} trim piece comes in {color_l} with a "
        "{finish_l} finish, made to pair with the matching field tile for a polished, professional look.</p>",
        "<p>The {name} is the detail that completes a project. Use it to cap exposed edges, frame a niche or "
        "create a clean transition; its {color_l} {finish_l} surface matches the rest of the collection.</p>",
        "<p>Edges &amp; transitions deserve as much care as the field: the {name} gives corners and steps a "
        "crisp, finished profile in {color_l}, and it&#8217;s easy to cut to length on site.</p>",
    ),
    "grout": (
        "<p>{name} fills joints with consistent {color_l} color that resists shrinking and cracking. It&#8217;s "
        "formulated for dependable results in kitchens, bathrooms and other high-traffic spaces.</p>",
        "<p>Choose {name} for joints that stay {color_l} and clean. The formula mixes smoothly, tools easily "
        "and cures to a dense, durable finish suited to floors, walls &amp; showers.</p>",
    ),
    "setting": (
        "<p>{name} is a professional-grade setting material for tile and stone. It delivers strong bond "
        "strength and a generous open time, so installers can set tile with confidence on floors and walls.</p>",
        "<p>Build the installation on a solid foundation with {name}. Formulated for consistent mixing and "
        "excellent coverage, it&#8217;s a reliable choice for both residential &amp; commercial projects.</p>",
    ),
    "tool": (
        "<p>The {name} makes tile projects easier from start to finish. Built for durability and precise "
        "results, it&#8217;s a smart addition to any installer&#8217;s kit or a homeowner&#8217;s weekend project.</p>",
        "<p>Get professional results with the {name}. Designed for tile installation and finishing work, it "
        "helps save time on site and keeps the job clean, accurate &amp; on schedule.</p>",
    ),
}
_CLOSERS = {
    "surface": (
        "<p>Order a sample to see the {color_l} color in your own light, and pair it with our grout and "
        "trim for a finished look. Our design experts are happy to help you plan the layout.</p>",
        "<p>Every piece varies slightly, which adds natural depth to the finished surface. We recommend "
        "blending tile from several boxes during installation for the most even look.</p>",
        "<p>It&#8217;s easy to care for: sweep or vacuum regularly and clean with a pH-neutral cleaner. Visit "
        "a Tile Shop store to see it in person alongside coordinating trim and grout.</p>",
    ),
    "trim": (
        "<p>Measure edges and transitions before ordering, and add ten percent for cuts. Pair it with the "
        "matching field tile and our grout for a seamless finish.</p>",
        "<p>Install it with the same setting material as the field tile. Our store associates can help you "
        "choose the right profile for each edge.</p>",
    ),
    "support": (
        "<p>Always follow the manufacturer&#8217;s instructions and review the technical data sheet before use. "
        "Visit a Tile Shop store for advice on quantities and compatible products.</p>",
        "<p>Not sure how much you need? Bring your measurements to a Tile Shop store and our experts will "
        "help you plan the project &amp; pick compatible products.</p>",
    ),
}
_ROOMS = ("a bathroom", "a kitchen backsplash", "an entryway", "a shower surround", "a living room floor",
          "a laundry room", "a fireplace surround", "a mudroom")
_NOUNS = {"tile": "tile", "stone": "natural stone", "lvt": "luxury vinyl plank", "laminate": "laminate plank",
          "wood": "engineered wood plank"}


def describe(product: SampleProduct, rng: random.Random) -> str:
    """A deterministic 60-200 word HTML description that states the product's real attributes."""
    specs = product.specs
    family = ("surface" if product.kind in _NOUNS else "trim" if product.kind == "trim"
              else product.kind if product.kind in ("grout", "setting") else "tool")
    fields = {
        "name": _e(product.name),
        "color_l": _e(specs.get("Color", "neutral").lower()),
        "finish_l": _e(specs.get("Finish", "clean").lower()),
        "material_l": _e(specs.get("MaterialType", "durable material").lower()),
        "size": _e(specs.get("ApproximateSize", "versatile")),
        "room": rng.choice(_ROOMS),
        "noun": _NOUNS.get(product.kind, "product"),
    }
    opener = rng.choice(_OPENERS[family]).format(**fields)
    bullets = _bullets(product)
    rng.shuffle(bullets)
    bullets = bullets[: rng.randint(3, 5)]
    closers = list(_CLOSERS["surface" if family == "surface" else "trim" if family == "trim" else "support"])
    rng.shuffle(closers)
    parts = [opener, "<ul>" + "".join(f"<li>{b}</li>" for b in bullets) + "</ul>" if bullets else "",
             closers[0].format(**fields)]
    if _word_count("".join(parts)) < 70:  # short specs (tools, caulks): add a second closing paragraph
        parts.append(closers[1].format(**fields))
    return "".join(parts)


def _word_count(description_html: str) -> int:
    return len(html.unescape(re.sub(r"<[^>]+>", " ", description_html)).split())


def _bullets(product: SampleProduct) -> list[str]:
    s = {k: _e(v) for k, v in product.specs.items()}
    out = []
    if "MaterialType" in s:
        out.append(f"<strong>Material:</strong> {s['MaterialType']}")
    if "ApproximateSize" in s:
        out.append(f"<strong>Size:</strong> approximately {s['ApproximateSize']}")
    if "Applications" in s:
        out.append(f"<strong>Suitable for:</strong> {s['Applications'].lower()} installations")
    if "EdgeType" in s:
        purpose = "tight, even grout joints" if s["EdgeType"] == "Rectified" else "a finished profile"
        out.append(f"{s['EdgeType']} edges for {purpose}")
    if "ShadeVariation" in s:
        out.append(f"Shade variation {s['ShadeVariation']}: {_SHADE_WORDS[s['ShadeVariation']]}")
    if s.get("FrostResistance") == "Resistant":
        out.append("Frost resistant, so it can be used in exterior applications")
    if "SurfaceAbrasion" in s:
        out.append(f"Surface abrasion rated {s['SurfaceAbrasion']}")
    if "Finish" in s:
        out.append(f"{s['Finish']} finish that&#8217;s easy to clean")
    if "CountryOfOrigin" in s:
        out.append(f"Made in {s['CountryOfOrigin']}")
    if product.coverage_sqft_per_box:
        out.append(f"Each box covers {product.coverage_sqft_per_box:.2f} sq. ft.")
    if product.kind == "stone":
        out.append("Natural stone: seal before grouting and periodically after")
    return out


_SHADE_WORDS = {"V1": "uniform appearance", "V2": "slight variation", "V3": "moderate variation",
                "V4": "substantial, random variation"}


# --------------------------------------------------------------------------------------------
# the seven known products (CONTEXT.md); facts beyond the table are plausible fill-ins

_KNOWN_PATHS = {
    "684287": "/products/marmi-imperiali-zenobia-porcelain-wall-and-floor-tile-12-in-684287",
    "684272": "/products/sundance-oak-laminate-flush-stair-nose-2-x-84-in-684272",
    "485000": "/products/laura-park-bespoke-white-ceramic-wall-tile-256-x-10-in-485000",
    "683861": "/products/morris-&-co-pure-net-brick-porcelain-wall-and-floor-tile-13-x-13-in-683861",
    "485020": "/products/linewood-white-matte-ceramic-wall-tile-12-x-36-in-485020",
    "43521": "/products/superior-white-lft-bond-mortar-50lb-43521",
    "683549": "/products/snow-porcelain-corner-shelf-683549",
}

_KNOWN: dict[str, dict] = {
    "684287": dict(
        name="Marmi Imperiali Zenobia Porcelain Wall and Floor Tile 12 x 12 in", kind="tile", brand="The Tile Shop",
        price=77.11, price_unit="box", price_per_sqft=12.99, coverage_sqft_per_box=5.94,
        specs={"MaterialType": "Porcelain", "EdgeType": "Rectified", "Color": "Beige, White", "Finish": "Polished",
               "Applications": "Floor, Light Commercial, Wall", "DirectionalLayout": "No",
               "RecommendedGrout": "Unsanded", "ShadeVariation": "V3", "ApproximateSize": "12 x 12 in",
               "Thickness": "9mm", "BoxQuantity": "6", "BoxWeight": "22.9 lbs", "CountryOfOrigin": "Italy",
               "SurfaceAbrasion": "CLASS 5", "FrostResistance": "Resistant"},
        documents=[_sds("Porcelain")], scenes=("livingroom", "bathroom"),
        description_html=(
            "<p>Inspired by the imperial marbles of ancient Rome, <strong>Marmi Imperiali Zenobia</strong> pairs warm "
            "beige veining with a soft white ground. This Italian porcelain tile has a polished finish that "
            "reflects light beautifully &amp; makes any room feel larger.</p><ul><li><strong>Rectified edges</strong> "
            "allow tight, even grout joints</li><li>Rated for floors, walls and light commercial spaces</li>"
            "<li>Surface abrasion CLASS 5 and frost resistant</li>"
            "<li>Shade variation V3: moderate movement from tile to tile</li>"
            "<li>12 x 12 in, six tiles per box</li></ul><p>It&#8217;s the &quot;marble look&quot; without the upkeep: "
            "porcelain never needs sealing. Blend tiles from several boxes for the most natural look.</p>"),
    ),
    "684272": dict(
        name="Sundance Oak Laminate Flush Stair Nose 2 x 84 in", kind="trim", brand="The Tile Shop",
        price=69.99, price_unit="each", price_per_sqft=None, coverage_sqft_per_box=None,
        specs={"MaterialType": "Laminate", "Color": "Brown", "Finish": "Matte", "Applications": "Floor",
               "ApproximateSize": "2 x 84 in", "Thickness": "12mm", "CountryOfOrigin": "Belgium"},
        documents=[], scenes=(),
        description_html=(
            "<p>The <strong>Sundance Oak Laminate Flush Stair Nose</strong> finishes the front edge of a stair tread "
            "with a profile that sits flush with the Sundance Oak laminate floor. Its warm brown oak grain and "
            "matte surface match the planks, so the stairs and floor read as one continuous surface.</p><ul>"
            "<li>Sold by the piece: 2 x 84 in</li><li>Made for 12mm Sundance Oak laminate flooring</li><li>Cut to "
            "length on site with a fine-tooth saw</li></ul><p>Pair it with the matching reducer, T-molding &amp; "
            "quarter round for a complete, professional installation. It&#8217;s sold individually.</p>"),
    ),
    "485000": dict(
        name="Laura Park Bespoke White Ceramic Wall Tile 2.56 x 10 in", kind="tile", brand="The Tile Shop",
        price=70.20, price_unit="box", price_per_sqft=None, coverage_sqft_per_box=5.40,
        specs={"MaterialType": "Ceramic", "EdgeType": "Pressed", "Color": "White", "Finish": "Gloss",
               "Applications": "Backsplash, Shower Wall, Wall", "DirectionalLayout": "No",
               "RecommendedGrout": "Unsanded", "ShadeVariation": "V2", "ApproximateSize": "2.56 x 10 in",
               "Thickness": "9mm", "BoxQuantity": "30", "BoxWeight": "12.4 lbs", "CountryOfOrigin": "Spain",
               "FrostResistance": "Not Resistant"},
        documents=[_sds("Ceramic")], scenes=("kitchen",),
        description_html=(
            "<p>Designed with Laura Park, the <strong>Bespoke</strong> collection reimagines the classic handmade "
            "subway tile. This white glossy ceramic has softly undulating faces and slightly irregular edges that "
            "catch the light, giving a kitchen backsplash or shower wall an artisan feel.</p><ul><li>Slender 2.56 x "
            "10 in format for stacked or offset layouts</li><li>Made in Spain</li><li>Gloss finish that&#8217;s easy "
            "to wipe clean</li><li>For walls, backsplashes &amp; shower walls</li></ul><p>Use unsanded grout with "
            "narrow joints to keep the &quot;handmade&quot; character front and center.</p>"),
    ),
    "683861": dict(
        name="Morris & Co Pure Net Brick Porcelain Wall and Floor Tile 13 x 13 in", kind="tile", brand="Morris & Co.",
        price=139.82, price_unit="box", price_per_sqft=12.99, coverage_sqft_per_box=10.76,
        specs={"MaterialType": "Porcelain", "EdgeType": "Pressed", "Color": "Beige, Brown", "Finish": "Matte",
               "Applications": "Floor, Wall", "DirectionalLayout": "Yes", "RecommendedGrout": "Sanded",
               "ShadeVariation": "V2", "ApproximateSize": "13 x 13 in", "Thickness": "9mm", "BoxQuantity": "9",
               "BoxWeight": "48.5 lbs", "CountryOfOrigin": "Spain", "SurfaceAbrasion": "CLASS 4",
               "FrostResistance": "Resistant"},
        documents=[{"Name": "Porcelain Safety Data Sheet",
                    "Url": f"{SCENE7_PDF}safety-data-sheets/porcelain-tile-safety-data-sheet.pdf"}],
        scenes=("livingroom", "entryway"),
        description_html=(
            "<p>Morris &amp; Co&#8217;s archive meets modern porcelain in <strong>Pure Net Brick</strong>. William "
            "Morris&#8217;s 1880s &quot;Net&quot; pattern is printed in beige and brown tones on a matte porcelain "
            "body, creating a quietly graphic floor or feature wall.</p><ul><li>13 x 13 in square format</li><li>Matte "
            "finish with good slip resistance for floors</li><li>Frost resistant porcelain, made in Spain</li>"
            "<li>Directional pattern: plan the layout before setting</li></ul><p>Pair with a warm sanded grout and "
            "order a sample to see the printed pattern in your own light.</p>"),
    ),
    "485020": dict(
        name="Linewood White Matte Ceramic Wall Tile 12 x 36 in", kind="tile", brand="The Tile Shop",
        price=72.50, price_unit="box", price_per_sqft=4.99, coverage_sqft_per_box=14.53,
        specs={"MaterialType": "Ceramic", "EdgeType": "Rectified", "Color": "White", "Finish": "Matte",
               "Applications": "Wall", "DirectionalLayout": "Yes", "RecommendedGrout": "Unsanded",
               "ShadeVariation": "V1", "ApproximateSize": "12 x 36 in", "Thickness": "8.7mm", "BoxQuantity": "5",
               "BoxWeight": "41.2 lbs", "CountryOfOrigin": "Spain", "FrostResistance": "Not Resistant"},
        documents=[_sds("Ceramic")], scenes=("bathroom", "shower"),
        description_html=(
            "<p><strong>Linewood White</strong> adds subtle dimension to walls with fine linear grooves across a "
            "soft white matte ceramic surface. The large 12 x 36 in format means fewer grout lines and a clean, "
            "contemporary look in bathrooms and feature walls.</p><ul><li>Wall installations only</li><li>Rectified "
            "edges, 8.7mm thick</li><li>Five tiles per box</li><li>Made in Spain</li></ul><p>Set it horizontally to "
            "widen a room or vertically to draw the eye up; it&#8217;s a &quot;quiet texture&quot; that works with "
            "wood, stone &amp; brass accents.</p>"),
    ),
    "43521": dict(
        name="Superior White LFT Bond Mortar 50 lb", kind="setting", brand="Superior",
        price=35.99, price_unit="each", price_per_sqft=None, coverage_sqft_per_box=None,
        specs={"MaterialType": "Large Format Tile Mortar", "Color": "White", "Applications": "Floor, Wall",
               "CountryOfOrigin": "USA"},
        documents=[{"Name": "Technical Data Sheet", "Url": f"{SCENE7_PDF}tds/superior-lft-bond-mortar-tds.pdf"},
                   {"Name": "Safety Data Sheet", "Url": f"{SCENE7_PDF}sds/superior-lft-bond-mortar-sds.pdf"}],
        scenes=(),
        description_html=(
            "<p><strong>Superior LFT Bond</strong> is a polymer-modified, non-sag mortar made for large format and "
            "heavy tile. Its white formula keeps light-colored stone and glass from shadowing, and it supports "
            "tiles on walls without slipping.</p><ul><li>50 lb bag for floors &amp; walls</li><li>Non-sag: ideal for "
            "large format tile on walls</li><li>Extended open time for adjusting heavy pieces</li><li>Made in the "
            "USA</li></ul><p>Mix to a smooth, peanut-butter consistency and follow the manufacturer&#8217;s "
            "instructions for trowel size and cure times.</p>"),
    ),
    "683549": dict(
        name="Snow Porcelain Corner Shelf", kind="tool", brand="The Tile Shop",
        price=22.99, price_unit="each", price_per_sqft=None, coverage_sqft_per_box=None,
        specs={"MaterialType": "Porcelain", "Color": "White", "Finish": "Matte", "ApproximateSize": "8 x 8 in",
               "CountryOfOrigin": "China"},
        documents=[], scenes=("shower",),
        description_html=(
            "<p>Keep shower essentials within reach with the <strong>Snow Porcelain Corner Shelf</strong>. This "
            "matte white porcelain shelf sets into the corner of a tiled shower during installation, giving a "
            "built-in look that&#8217;s sturdy and easy to clean.</p><ul><li>Approximately 8 x 8 in</li><li>Sold "
            "individually</li><li>Install at any height; add several for a &quot;stacked&quot; look</li></ul><p>It "
            "pairs with white &amp; light grey wall tile and works with most tile thicknesses.</p>"),
    ),
}
_KNOWN_BY_PATH = {path: sku for sku, path in _KNOWN_PATHS.items()}


def _known_product(path: str, seed: int) -> SampleProduct:
    sku = _KNOWN_BY_PATH[path]
    facts = dict(_KNOWN[sku])
    scenes = facts.pop("scenes")
    rng = _rng(seed, path)
    return SampleProduct(
        path=path, sku=sku, specs=dict(facts.pop("specs")), documents=[dict(d) for d in facts.pop("documents")],
        images=[SCENE7_IMAGE.format(sku)] + [SCENE7_IMAGE.format(f"{sku}_vendor_render_{s}") for s in scenes],
        breadcrumbs=_breadcrumbs(facts["kind"], facts["name"], path),
        last_modified=CATALOG_EPOCH + dt.timedelta(days=rng.randint(0, 37), minutes=rng.randint(0, 24 * 60 - 1)),
        **facts,
    )
