"""A predecessor database for the tests: PRODUCT_DATA.md's product_data schema, filled with the
18 documented rows (product_data_documented_rows.jsonl) and generated rows carrying every trap
PRODUCT_DATA.md lists."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.types.json import Jsonb

# The predecessor's real checkpoint files and documented rows (data/SOURCES.txt), kept gzipped in
# the repository so a fresh clone tests them; unpacked once per content into the temp folder.
PACKED = Path(__file__).with_name("data")


def _unpacked() -> Path:
    packed = sorted(PACKED.glob("*.gz"))
    digest = hashlib.sha256(b"".join(p.name.encode() + p.read_bytes() for p in packed)).hexdigest()[:16]
    folder = Path(tempfile.gettempdir()) / f"tileshop-legacy-{digest}"
    if not folder.is_dir():
        staging = Path(tempfile.mkdtemp(prefix="tileshop-legacy-"))
        for path in packed:
            (staging / path.stem).write_bytes(gzip.decompress(path.read_bytes()))
        try:
            staging.rename(folder)
        except OSError:  # another test process unpacked it first
            shutil.rmtree(staging)
    return folder


LEGACY_DATA = _unpacked()
HOME_TITLE = "The Tile Shop - High Quality Floor & Wall Tile"
BASE = "https://www.tileshop.com/products/"

SCHEMA = """
CREATE TABLE product_data (
    id SERIAL PRIMARY KEY,
    url VARCHAR(500) UNIQUE NOT NULL,
    sku VARCHAR(50),
    title TEXT,
    price_per_box DECIMAL(10,2), price_per_sqft DECIMAL(10,2), price_per_piece DECIMAL(10,2),
    coverage TEXT, finish TEXT, color TEXT, size_shape TEXT, description TEXT,
    specifications JSONB,
    resources TEXT, raw_html TEXT, raw_markdown TEXT, images TEXT, primary_image TEXT, image_variants JSONB,
    collection_links TEXT, color_variations TEXT, color_images TEXT, related_products TEXT, rag_keywords TEXT,
    typical_use_cases TEXT, application_areas TEXT,
    brand VARCHAR(100), thickness VARCHAR(20), box_weight VARCHAR(20), recommended_grout VARCHAR(100),
    box_quantity INTEGER, number_of_faces INTEGER,
    edge_type VARCHAR(50), country_of_origin VARCHAR(100), material_type VARCHAR(100),
    shade_variation VARCHAR(10), directional_layout BOOLEAN,
    category VARCHAR(100), subcategory VARCHAR(100), product_type VARCHAR(100), product_category VARCHAR(100),
    installation_complexity VARCHAR(100),
    scraped_at TIMESTAMP, updated_at TIMESTAMP
);
CREATE INDEX idx_product_sku ON product_data (sku);
CREATE INDEX idx_product_scraped_at ON product_data (scraped_at);
CREATE UNIQUE INDEX idx_product_url ON product_data (url);
"""

_JSON_TEXT_COLUMNS = {
    "resources",
    "images",
    "collection_links",
    "color_variations",
    "color_images",
    "related_products",
    "rag_keywords",
    "typical_use_cases",
    "application_areas",
}


def documented_rows() -> list[dict]:
    """The 18 documented products as product_data rows, with the values their documents quote."""
    rows = []
    for line in (LEGACY_DATA / "product_data_documented_rows.jsonl").read_text().splitlines():
        doc = json.loads(line)
        o = doc["observed"]
        # 684272's documents never quote its URL; this slug is ours (CONTEXT.md: Sundance Oak flush stair nose).
        row = {
            "url": doc["url"] or f"{BASE}sundance-oak-laminate-flush-stair-nose-684272",
            "sku": doc["sku"],
            "scraped_at": o.get("scraped_at") or "2025-07-08T10:00:00",
        }
        if "title" in o or "name" in o:
            row["title"] = o.get("title") or o.get("name")
        for column in (
            "price_per_box",
            "price_per_sqft",
            "price_per_piece",
            "edge_type",
            "box_quantity",
            "material_type",
            "brand",
            "finish",
            "color",
            "size_shape",
            "primary_image",
            "product_category",
        ):
            if o.get(column) is not None:
                row[column] = o[column]
        if "price" in o:
            row["price_per_box"] = float(str(o["price"]).lstrip("$"))
        if "coverage_sqft" in o:
            row["coverage"] = f"{o['coverage_sqft']} sq. ft. per Box"
        if "coverage" in o:
            row["coverage"] = o["coverage"]
        if "specifications_before_cleanup" in o:
            row["specifications"] = o["specifications_before_cleanup"]
        elif "specifications" in o:
            row["specifications"] = o["specifications"]
        elif "extracted" in o:
            row["specifications"] = {k: v for k, v in o["extracted"].items() if k not in ("sku", "coverage")}
            row["coverage"] = o["extracted"]["coverage"]
            row["application_areas"] = o["application_areas"]
            row["typical_use_cases"] = o["typical_use_cases"]
        elif "before" in o:
            row["specifications"] = {k: v for k, v in o["before"].items() if k not in ("thickness", "finish")}
            row["thickness"], row["finish"] = o["before"]["thickness"], o["before"]["finish"]
        elif "jsonld" in o:
            row["title"] = o["jsonld"]["name"]
            row["price_per_piece"] = o["jsonld"]["offers"]["price"]
            row["description"] = o["jsonld"]["description"]
            row["images"] = json.dumps([o["jsonld"]["image"]])
            row["brand"] = o["jsonld"]["brand"]["name"]
            row["specifications"] = o["visible"]
        if "color_variations" in o:
            row["color_variations"] = json.dumps(o["color_variations"])
        if doc["sku"] == "684272":  # before 2025-07-08 both were set (parsing-fixes-2025-07-08.md)
            row.update(price_per_box=69.99, price_per_piece=69.99, scraped_at="2025-07-05T10:00:00")
        if doc["sku"] == "684287":
            row["coverage"] = "5.94 sq. ft. per Box"
        rows.append(row)
    return rows


def trap_rows() -> list[dict]:
    """Generated rows, one or more per trap PRODUCT_DATA.md lists."""
    rows = [
        # Blocked fetches stored the home page (65 such rows on 2025-07-03).
        *(
            {
                "url": f"{BASE}blocked-tile-{n}-90000{n}",
                "sku": f"90000{n}",
                "title": HOME_TITLE,
                "scraped_at": "2025-07-03T04:00:00",
            }
            for n in range(3)
        ),
        # Title with the site suffix; double-encoded specifications; description with markup and entities.
        {
            "url": f"{BASE}double-encoded-porcelain-tile-12-x-24-in-700001",
            "sku": "700001",
            "title": "Double Encoded Porcelain Tile - 12 x 24 in. - The Tile Shop",
            "price_per_box": 50.00,
            "coverage": "10.00 sq. ft. per Box",
            "price_per_sqft": 5.01,
            "specifications": json.dumps({"Box Quantity": "4", "box_weight": "40.1 lbs", "Thickness": "9mm"}),
            "description": "<p>Rich &amp; warm</p><ul><li>Frost resistant</li></ul>",
            "material_type": "porcelain",
            "scraped_at": "2025-07-02T09:00:00",
        },
        # Specifications encoded twice over.
        {
            "url": f"{BASE}twice-encoded-tile-700002",
            "sku": "700002",
            "title": "Twice Encoded Tile",
            "price_per_box": 20.00,
            "specifications": json.dumps(json.dumps({"color": "White"})),
            "scraped_at": "2025-07-02T09:00:00",
        },
        # Leading zeros lost on the way (5-digit and leading-zero SKUs as numbers), a lost suffix.
        {
            "url": f"{BASE}superior-sanded-pro-grout-light-25-lb-052003",
            "sku": "52003",
            "title": "Superior Sanded Pro-Grout Light - 25 lb",
            "price_per_piece": 24.29,
            "scraped_at": "2025-07-08T11:00:00",
        },
        {
            "url": f"{BASE}engineered-wood-oak-plank-684018E",
            "sku": "684018",
            "title": "Engineered Wood Oak Plank",
            "price_per_box": 180.50,
            "coverage": "20 sq ft",
            "scraped_at": "2025-07-08T11:00:00",
        },
        # Guessed documents, invented image variants, the predecessor's labels; images as a JSON string.
        {
            "url": f"{BASE}labelled-ceramic-tile-700003",
            "sku": "700003",
            "title": "Labelled Ceramic Tile",
            "price_per_box": 30.00,
            "resources": json.dumps({"sds": [{"url": "https://example/guess.pdf", "title": "SDS"}]}),
            "image_variants": {"Large": "https://tileshop.scene7.com/is/image/TileShop/700003?$Large$"},
            "images": json.dumps(["https://tileshop.scene7.com/is/image/TileShop/700003?$ExtraLarge$", "not a url"]),
            "category": "tiles",
            "subcategory": "ceramic",
            "product_type": "tile",
            "installation_complexity": "easy",
            "rag_keywords": json.dumps(["tile"]),
            "related_products": json.dumps([{"sku": "700001"}]),
            "collection_links": json.dumps(["x"]),
            "color_images": json.dumps({"White": "x"}),
            "number_of_faces": 4,
            "application_areas": json.dumps(["walls"]),
            "scraped_at": "2025-07-04T08:00:00",
        },
        # Garbage in columns and specifications, a key stated twice with different values.
        {
            "url": f"{BASE}garbage-glass-tile-700004",
            "sku": "700004",
            "title": "Garbage Glass Tile",
            "price_per_box": 40.00,
            "thickness": "Piece Count",
            "finish": "Frost Resistance",
            "material_type": "Material",
            "box_weight": "22.9 lbs",
            "recommended_grout": '-care/installation/tools">',
            "specifications": {
                "style": "/>",
                "material": "Material",
                "finish": "Installation Guidelines",
                "thickness": '_Detail:Asset_Grid_All_V2"}',
                "box weight": "10 lbs",
                "boxweight": "11 lbs",
                "edgetype": "Rectified",
            },
            "scraped_at": "2025-07-04T08:00:00",
        },
        # A per-sq-ft price with nothing to check it against; a per-piece price that conflicts.
        {
            "url": f"{BASE}sqft-only-tile-700005",
            "sku": "700005",
            "title": "Sq Ft Only Tile",
            "price_per_sqft": 9.99,
            "price_per_box": 99.90,
            "scraped_at": "2025-07-04T08:00:00",
        },
        {
            "url": f"{BASE}conflicting-prices-trim-700006",
            "sku": "700006",
            "title": "Conflicting Prices Trim",
            "price_per_box": 30.00,
            "price_per_piece": 12.00,
            "box_quantity": 0,
            "scraped_at": "2025-07-09T08:00:00",
        },
        # Not a product page, and a sample URL.
        {"url": "https://www.tileshop.com/products/", "title": "Products", "scraped_at": "2025-07-01T00:00:00"},
        {"url": f"{BASE}sample-marble-tile-700007", "title": "Sample", "scraped_at": "2025-07-01T00:00:00"},
        # No scrape time at all; nothing but a URL.
        {"url": f"{BASE}never-scraped-tile-700008", "sku": "700008", "title": "Never Scraped Tile"},
        {"url": f"{BASE}empty-row-tile-700009", "sku": "700009", "scraped_at": "2025-07-01T00:00:00"},
        # Two URLs of one product key (the key is the lowercased slug): the later scrape is the version.
        {
            "url": f"{BASE}Two-Spellings-Tile-700010",
            "sku": "700010",
            "title": "Two Spellings Tile (old)",
            "price_per_box": 10.00,
            "scraped_at": "2025-07-01T00:00:00",
        },
        {
            "url": f"{BASE}two-spellings-tile-700010",
            "sku": "700010",
            "title": "Two Spellings Tile",
            "price_per_box": 11.00,
            "scraped_at": "2025-07-06T00:00:00",
        },
    ]
    return rows


def create_predecessor(url: str, rows: list[dict]) -> None:
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(SCHEMA)
        for row in rows:
            values = {k: (Jsonb(v) if k in ("specifications", "image_variants") else v) for k, v in row.items()}
            for k in _JSON_TEXT_COLUMNS & values.keys():
                assert isinstance(values[k], str), k  # TEXT columns holding JSON strings
            names = list(values)
            conn.execute(
                sql.SQL("INSERT INTO product_data ({}) VALUES ({})").format(
                    sql.SQL(", ").join(map(sql.Identifier, names)), sql.SQL(", ").join(sql.Placeholder() * len(names))
                ),
                [values[n] for n in names],
            )
