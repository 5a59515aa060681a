"""The product's own price element is read by the page's structure (issue 24, point 4).

Before: the price block was wherever the offer price showed in the flattened text, and anything
within 200 characters of it counted. A held-out page of a product sold each, with a short
description and specifications followed by a recommendations block, got a recommendation's
"$x/Sq. Ft." as its own per-sq.-ft. price. Each page here puts recommendations, recently viewed
items or promos right after a short description; the ones marked so failed on that code (beb40f9).
"""

from __future__ import annotations

import json

import pytest

from tileshop_pipelines.catalog.extract import extract_product
from tileshop_pipelines.sample_catalog import build_catalog, render

SITE = "https://www.tileshop.com"
SHELF_URL = SITE + "/products/snow-porcelain-corner-shelf-683549"
TILE_URL = SITE + "/products/laura-park-bespoke-white-ceramic-wall-tile-256-x-10-in-485000"


def product_page(name: str, price: float, price_element: str, after: str, *, specs: str = "") -> str:
    product = {"@context": "https://schema.org", "@type": "Product", "name": name,
               "offers": {"@type": "Offer", "price": price, "priceCurrency": "USD"}}
    return (
        f'<html><head><title>{name} | The Tile Shop</title>'
        f'<script type="application/ld+json">{json.dumps(product)}</script></head><body><main>'
        f'<div class="pdp"><div class="pdp-info"><h1>{name}</h1>{price_element}'
        f'<div class="pdp-description"><p>Glossy white.</p></div>{specs}{after}</div></div></main></body></html>'
    )


EACH = '<div class="price-block"><span class="price">$22.99</span><span class="unit">/each</span></div>'
SPECS = '<div class="pdp-specifications"><dl><dt>Material</dt><dd>Porcelain</dd></dl></div>'


def card(name: str, amount: str, unit: str, extra: str = "") -> str:
    slug = name.lower().replace(" ", "-")
    return (f'<li class="product-card"><a href="/products/{slug}-684270"><img src="https://tileshop.scene7.com/is/'
            f'image/TileShop/684270?$Thumbnail$" alt=""/><span>{name}</span></a><span class="price">{amount}</span>'
            f'<span class="unit">{unit}</span>{extra}</li>')


RECOMMENDATIONS = ('<section class="recommendations"><h2>You May Also Like</h2><ul>'
                   + card("Sundance Oak Laminate", "$2.99", "/Sq. Ft.")
                   + card("Snow Ledge", "$48.97", "/box", "<p>12.50 sq. ft. per Box</p>") + "</ul></section>")
RECENTLY_VIEWED = ('<aside class="recently-viewed"><h3>Recently Viewed</h3><ul>'
                   + card("Zenobia Porcelain Tile", "$12.99", "/Sq. Ft.") + "</ul></aside>")
PROMO = ('<div class="promo"><p>This week: porcelain from <strong>$1.99</strong><span>/Sq. Ft.</span></p>'
         '<a href="/sale">Shop the sale</a></div>')
# A card made of plain divs, no link, heading or list: only its name tells it is another product.
BARE_CARD = ('<div class="also"><div class="name">Snow Porcelain Bullnose Trim 3 x 12 in</div>'
             '<div class="amount">$5.49</div><div class="unit">/Sq. Ft.</div><div>10.00 sq. ft. per Box</div></div>')
# A promo in the same container as the price, with no link: its pitch is more than a note.
BARE_PROMO = '<p class="promo">Pair it with our porcelain subway tile, now from $1.99/Sq. Ft. this week</p>'


@pytest.mark.parametrize("after", [RECOMMENDATIONS, RECENTLY_VIEWED, PROMO, BARE_CARD, BARE_PROMO,
                                   RECENTLY_VIEWED + PROMO + RECOMMENDATIONS],
                         ids=["recommendations", "recently_viewed", "promo", "bare_card", "bare_promo", "all"])
@pytest.mark.parametrize("specs", [SPECS, ""], ids=["specs", "no_specs"])
def test_a_product_sold_each_never_takes_what_follows_its_short_description(after, specs):
    """Failed on beb40f9: each case stored the following element's per-sq-ft price (and box price or
    coverage where it shows one) as the shelf's."""
    html = product_page("Snow Porcelain Corner Shelf", 22.99, EACH, after, specs=specs)
    record = extract_product(html, SHELF_URL)
    assert (record["price"], record["price_unit"], record["price_per_piece"]) == (22.99, "each", 22.99)
    assert record["price_per_sqft"] is None
    assert record["price_per_box"] is None
    assert record["coverage_sqft_per_box"] is None
    assert "warnings" not in record


BOX_WITHOUT_SQFT = ('<div class="price-block"><div class="price-block__primary"><span class="price">$70.20</span>'
                    '<span class="unit">/box</span></div><p class="price-block__coverage">5.40 sq. ft. per Box</p></div>')


@pytest.mark.parametrize("after", [RECOMMENDATIONS, RECENTLY_VIEWED, PROMO, BARE_CARD, BARE_PROMO],
                         ids=["recommendations", "recently_viewed", "promo", "bare_card", "bare_promo"])
def test_a_box_price_without_a_per_sqft_price_gets_none_from_what_follows(after):
    """Failed on beb40f9: the tile that shows no per-sq-ft price (485000) got the next one's."""
    html = product_page("Laura Park Bespoke White Ceramic Wall Tile", 70.20, BOX_WITHOUT_SQFT, after)
    record = extract_product(html, TILE_URL)
    assert (record["price"], record["price_unit"], record["price_per_box"]) == (70.20, "box", 70.20)
    assert record["coverage_sqft_per_box"] == 5.40
    assert record["price_per_sqft"] is None


def test_the_product_s_own_element_is_read_whole_with_what_follows_it():
    element = ('<div class="price-block"><div><span class="price">$77.11</span><span class="unit">/box</span></div>'
               '<div><span class="price">$12.99</span><span class="unit">/Sq. Ft.</span></div>'
               '<div class="note">Sold by the box</div><p>5.94 sq. ft. per Box</p></div>')
    html = product_page("Zenobia", 77.11, element, BARE_CARD + RECOMMENDATIONS + PROMO)
    record = extract_product(html, SITE + "/products/zenobia-684287")
    assert (record["price_unit"], record["price_per_box"], record["price_per_sqft"], record["coverage_sqft_per_box"]) \
        == ("box", 77.11, 12.99, 5.94)


def test_a_card_showing_the_offer_price_is_not_the_price_element():
    """The only "$22.99" on the page is a recommendation's: its unit is not this product's."""
    html = product_page("Snow Porcelain Corner Shelf", 22.99, "",
                        '<section><h2>Also</h2><ul>' + card("Other Shelf", "$22.99", "/box",
                                                           "<p>3.00 sq. ft. per Box</p>") + "</ul></section>")
    record = extract_product(html, SHELF_URL)
    assert record["price"] == 22.99
    assert record["price_unit"] is record["price_per_box"] is record["coverage_sqft_per_box"] is None


def test_an_element_showing_two_per_sqft_prices_is_not_widened_over():
    """Two amounts for one unit in one container are two products' (or a promo's beside ours)."""
    inner = '<div class="now"><span>$77.11</span><span>/box</span></div>'
    element = f'<div class="prices">{inner}<div>$12.99/Sq. Ft.</div><div>$3.99/Sq. Ft.</div></div>'
    record = extract_product(product_page("Zenobia", 77.11, element, ""), SITE + "/products/zenobia-684287")
    assert (record["price_unit"], record["price_per_sqft"]) == ("box", None)


def test_every_sample_catalog_page_gives_its_own_price_facts():
    """The sample catalog's price block (docs/product-page.md) is read whole on every page."""
    catalog = build_catalog(n_products=300, seed=7)
    for product in catalog.products:
        record = extract_product(render.product_page(product, SITE), SITE + product.path)
        assert (record["price"], record["price_unit"]) == (product.price, product.price_unit), product.path
        shown_per_sqft = product.price_per_sqft if product.price_unit in ("box", "sqft") else None
        assert record["price_per_sqft"] == shown_per_sqft, product.path
        assert record["coverage_sqft_per_box"] == product.coverage_sqft_per_box, product.path
