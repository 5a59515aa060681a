"""The seven known products of CONTEXT.md, in every catalog with their stated facts; facts beyond
CONTEXT.md's table are plausible fill-ins."""

from __future__ import annotations

import datetime as dt

from .document_lines import data_sheets, safety_data_sheet
from .model import CATALOG_EPOCH, SampleProduct
from .products import SCENE7_IMAGE, breadcrumbs, product_rng

KNOWN_SKUS: tuple[str, ...] = ("684287", "684272", "485000", "683861", "485020", "43521", "683549")

KNOWN_PATHS = {
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
        name="Marmi Imperiali Zenobia Porcelain Wall and Floor Tile 12 x 12 in",
        kind="tile",
        brand="The Tile Shop",
        price=77.11,
        price_unit="box",
        price_per_sqft=12.99,
        coverage_sqft_per_box=5.94,
        specs={
            "MaterialType": "Porcelain",
            "EdgeType": "Rectified",
            "Color": "Beige, White",
            "Finish": "Polished",
            "Applications": "Floor, Light Commercial, Wall",
            "DirectionalLayout": "No",
            "RecommendedGrout": "Unsanded",
            "ShadeVariation": "V3",
            "ApproximateSize": "12 x 12 in",
            "Thickness": "9mm",
            "BoxQuantity": "6",
            "BoxWeight": "22.9 lbs",
            "CountryOfOrigin": "Italy",
            "SurfaceAbrasion": "CLASS 5",
            "FrostResistance": "Resistant",
        },
        documents=[safety_data_sheet("Porcelain")],
        scenes=("livingroom", "bathroom"),
        description_html=(
            "<p>Inspired by the imperial marbles of ancient Rome, <strong>Marmi Imperiali Zenobia</strong> pairs warm "
            "beige veining with a soft white ground. This Italian porcelain tile has a polished finish that "
            "reflects light beautifully &amp; makes any room feel larger.</p><ul><li><strong>Rectified edges</strong> "
            "allow tight, even grout joints</li><li>Rated for floors, walls and light commercial spaces</li>"
            "<li>Surface abrasion CLASS 5 and frost resistant</li>"
            "<li>Shade variation V3: moderate movement from tile to tile</li>"
            "<li>12 x 12 in, six tiles per box</li></ul><p>It&#8217;s the &quot;marble look&quot; without the upkeep: "
            "porcelain never needs sealing. Blend tiles from several boxes for the most natural look.</p>"
        ),
    ),
    "684272": dict(
        name="Sundance Oak Laminate Flush Stair Nose 2 x 84 in",
        kind="trim",
        brand="The Tile Shop",
        price=69.99,
        price_unit="each",
        price_per_sqft=None,
        coverage_sqft_per_box=None,
        specs={
            "MaterialType": "Laminate",
            "Color": "Brown",
            "Finish": "Matte",
            "Applications": "Floor",
            "ApproximateSize": "2 x 84 in",
            "Thickness": "12mm",
            "CountryOfOrigin": "Belgium",
        },
        documents=[],
        scenes=(),
        description_html=(
            "<p>The <strong>Sundance Oak Laminate Flush Stair Nose</strong> finishes the front edge of a stair tread "
            "with a profile that sits flush with the Sundance Oak laminate floor. Its warm brown oak grain and "
            "matte surface match the planks, so the stairs and floor read as one continuous surface.</p><ul>"
            "<li>Sold by the piece: 2 x 84 in</li><li>Made for 12mm Sundance Oak laminate flooring</li><li>Cut to "
            "length on site with a fine-tooth saw</li></ul><p>Pair it with the matching reducer, T-molding &amp; "
            "quarter round for a complete, professional installation. It&#8217;s sold individually.</p>"
        ),
    ),
    "485000": dict(
        name="Laura Park Bespoke White Ceramic Wall Tile 2.56 x 10 in",
        kind="tile",
        brand="The Tile Shop",
        price=70.20,
        price_unit="box",
        price_per_sqft=None,
        coverage_sqft_per_box=5.40,
        specs={
            "MaterialType": "Ceramic",
            "EdgeType": "Pressed",
            "Color": "White",
            "Finish": "Gloss",
            "Applications": "Backsplash, Shower Wall, Wall",
            "DirectionalLayout": "No",
            "RecommendedGrout": "Unsanded",
            "ShadeVariation": "V2",
            "ApproximateSize": "2.56 x 10 in",
            "Thickness": "9mm",
            "BoxQuantity": "30",
            "BoxWeight": "12.4 lbs",
            "CountryOfOrigin": "Spain",
            "FrostResistance": "Not Resistant",
        },
        documents=[safety_data_sheet("Ceramic")],
        scenes=("kitchen",),
        description_html=(
            "<p>Designed with Laura Park, the <strong>Bespoke</strong> collection reimagines the classic handmade "
            "subway tile. This white glossy ceramic has softly undulating faces and slightly irregular edges that "
            "catch the light, giving a kitchen backsplash or shower wall an artisan feel.</p><ul><li>Slender 2.56 x "
            "10 in format for stacked or offset layouts</li><li>Made in Spain</li><li>Gloss finish that&#8217;s easy "
            "to wipe clean</li><li>For walls, backsplashes &amp; shower walls</li></ul><p>Use unsanded grout with "
            "narrow joints to keep the &quot;handmade&quot; character front and center.</p>"
        ),
    ),
    "683861": dict(
        name="Morris & Co Pure Net Brick Porcelain Wall and Floor Tile 13 x 13 in",
        kind="tile",
        brand="Morris & Co.",
        price=139.82,
        price_unit="box",
        price_per_sqft=12.99,
        coverage_sqft_per_box=10.76,
        specs={
            "MaterialType": "Porcelain",
            "EdgeType": "Pressed",
            "Color": "Beige, Brown",
            "Finish": "Matte",
            "Applications": "Floor, Wall",
            "DirectionalLayout": "Yes",
            "RecommendedGrout": "Sanded",
            "ShadeVariation": "V2",
            "ApproximateSize": "13 x 13 in",
            "Thickness": "9mm",
            "BoxQuantity": "9",
            "BoxWeight": "48.5 lbs",
            "CountryOfOrigin": "Spain",
            "SurfaceAbrasion": "CLASS 4",
            "FrostResistance": "Resistant",
        },
        documents=[safety_data_sheet("Porcelain")],
        scenes=("livingroom", "entryway"),
        description_html=(
            "<p>Morris &amp; Co&#8217;s archive meets modern porcelain in <strong>Pure Net Brick</strong>. William "
            "Morris&#8217;s 1880s &quot;Net&quot; pattern is printed in beige and brown tones on a matte porcelain "
            "body, creating a quietly graphic floor or feature wall.</p><ul><li>13 x 13 in square format</li><li>Matte "
            "finish with good slip resistance for floors</li><li>Frost resistant porcelain, made in Spain</li>"
            "<li>Directional pattern: plan the layout before setting</li></ul><p>Pair with a warm sanded grout and "
            "order a sample to see the printed pattern in your own light.</p>"
        ),
    ),
    "485020": dict(
        name="Linewood White Matte Ceramic Wall Tile 12 x 36 in",
        kind="tile",
        brand="The Tile Shop",
        price=72.50,
        price_unit="box",
        price_per_sqft=4.99,
        coverage_sqft_per_box=14.53,
        specs={
            "MaterialType": "Ceramic",
            "EdgeType": "Rectified",
            "Color": "White",
            "Finish": "Matte",
            "Applications": "Wall",
            "DirectionalLayout": "Yes",
            "RecommendedGrout": "Unsanded",
            "ShadeVariation": "V1",
            "ApproximateSize": "12 x 36 in",
            "Thickness": "8.7mm",
            "BoxQuantity": "5",
            "BoxWeight": "41.2 lbs",
            "CountryOfOrigin": "Spain",
            "FrostResistance": "Not Resistant",
        },
        documents=[safety_data_sheet("Ceramic")],
        scenes=("bathroom", "shower"),
        description_html=(
            "<p><strong>Linewood White</strong> adds subtle dimension to walls with fine linear grooves across a "
            "soft white matte ceramic surface. The large 12 x 36 in format means fewer grout lines and a clean, "
            "contemporary look in bathrooms and feature walls.</p><ul><li>Wall installations only</li><li>Rectified "
            "edges, 8.7mm thick</li><li>Five tiles per box</li><li>Made in Spain</li></ul><p>Set it horizontally to "
            "widen a room or vertically to draw the eye up; it&#8217;s a &quot;quiet texture&quot; that works with "
            "wood, stone &amp; brass accents.</p>"
        ),
    ),
    "43521": dict(
        name="Superior White LFT Bond Mortar 50 lb",
        kind="setting",
        brand="Superior",
        price=35.99,
        price_unit="each",
        price_per_sqft=None,
        coverage_sqft_per_box=None,
        specs={
            "MaterialType": "Large Format Tile Mortar",
            "Color": "White",
            "Applications": "Floor, Wall",
            "CountryOfOrigin": "USA",
        },
        documents=data_sheets("superior-white-lft-bond-mortar-50lb-43521", with_sds=True),
        scenes=(),
        description_html=(
            "<p><strong>Superior LFT Bond</strong> is a polymer-modified, non-sag mortar made for large format and "
            "heavy tile. Its white formula keeps light-colored stone and glass from shadowing, and it supports "
            "tiles on walls without slipping.</p><ul><li>50 lb bag for floors &amp; walls</li><li>Non-sag: ideal for "
            "large format tile on walls</li><li>Extended open time for adjusting heavy pieces</li><li>Made in the "
            "USA</li></ul><p>Mix to a smooth, peanut-butter consistency and follow the manufacturer&#8217;s "
            "instructions for trowel size and cure times.</p>"
        ),
    ),
    "683549": dict(
        name="Snow Porcelain Corner Shelf",
        kind="tool",
        brand="The Tile Shop",
        price=22.99,
        price_unit="each",
        price_per_sqft=None,
        coverage_sqft_per_box=None,
        specs={
            "MaterialType": "Porcelain",
            "Color": "White",
            "Finish": "Matte",
            "ApproximateSize": "8 x 8 in",
            "CountryOfOrigin": "China",
        },
        documents=[],
        scenes=("shower",),
        description_html=(
            "<p>Keep shower essentials within reach with the <strong>Snow Porcelain Corner Shelf</strong>. This "
            "matte white porcelain shelf sets into the corner of a tiled shower during installation, giving a "
            "built-in look that&#8217;s sturdy and easy to clean.</p><ul><li>Approximately 8 x 8 in</li><li>Sold "
            "individually</li><li>Install at any height; add several for a &quot;stacked&quot; look</li></ul><p>It "
            "pairs with white &amp; light grey wall tile and works with most tile thicknesses.</p>"
        ),
    ),
}
KNOWN_BY_PATH = {path: sku for sku, path in KNOWN_PATHS.items()}


def known_product(path: str, seed: int) -> SampleProduct:
    sku = KNOWN_BY_PATH[path]
    facts = dict(_KNOWN[sku])
    scenes = facts.pop("scenes")
    rng = product_rng(seed, path)
    return SampleProduct(
        path=path,
        sku=sku,
        specs=dict(facts.pop("specs")),
        documents=[dict(d) for d in facts.pop("documents")],
        images=[SCENE7_IMAGE.format(sku)] + [SCENE7_IMAGE.format(f"{sku}_vendor_render_{s}") for s in scenes],
        breadcrumbs=breadcrumbs(facts["kind"], facts["name"], path),
        last_modified=CATALOG_EPOCH + dt.timedelta(days=rng.randint(0, 37), minutes=rng.randint(0, 24 * 60 - 1)),
        **facts,
    )
