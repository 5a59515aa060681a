"""Filters read from shoppers' questions, and the SQL they become."""

from __future__ import annotations

import re

import pytest

from tileshop_pipelines.assistant.filters import ProductFilters, TermFinder, Vocabulary, parse_question
from tileshop_pipelines.store import db
from tileshop_pipelines.store.search import filter_sql, matching_product_keys

VOCABULARY = Vocabulary(
    colors={"white": "White", "blue": "Blue", "beige": "Beige", "light gray": "Light Gray"},
    finishes={"matte": "Matte", "polished": "Polished"},
    materials={"porcelain": "Porcelain", "ceramic": "Ceramic", "glass": "Glass"},
    applications={"wall": "Wall", "floor": "Floor", "shower wall": "Shower Wall"},
)


def parse(text: str):
    return parse_question(text, VOCABULARY)


def test_structured_question():
    parsed = parse("white matte ceramic wall tile 12 x 36 under $80 per box")
    assert parsed.filters == ProductFilters(
        max_price=80.0,
        price_basis="box",
        color="White",
        finish="Matte",
        material="Ceramic",
        application="Wall",
        size="12 x 36",
        product_type="tile",
    )
    assert parsed.skus == ()


@pytest.mark.parametrize(
    "text, kind, kept, purpose",
    [
        # what the product is FOR never filters the product's own material, color or finish
        ("what thinset do I need for large format porcelain?", "setting", {}, "large format porcelain"),
        ("grout for glass tile", "grout", {}, "glass tile"),
        ("white grout for blue glass tile", "grout", {"color": "White"}, "blue glass tile"),
        ("what trim goes with Linewood White?", "trim", {}, "linewood white"),
        ("mortar for 24 x 48 porcelain floor tile", "setting", {}, "24 x 48 porcelain floor tile"),
        ("underlayment for laminate", "underlayment", {}, "laminate"),
        # a tile "for" a place is still a tile filtered by its own facts
        (
            "white porcelain tile for a shower wall",
            "tile",
            {"color": "White", "material": "Porcelain", "application": "Shower Wall"},
            None,
        ),
        ("matte ceramic bullnose trim tile", "trim", {"finish": "Matte", "material": "Ceramic"}, None),
        ("trowel for glass mosaics", "tool", {}, "glass mosaics"),
    ],
)
def test_the_type_asked_for_filters_and_its_purpose_does_not(text, kind, kept, purpose):
    parsed = parse(text)
    active = parsed.filters.active()
    assert active.pop("product_type") == kind
    assert active == kept
    assert parsed.purpose == purpose


def test_a_room_size_is_not_a_tile_size():
    assert parse("how many boxes for a 10 x 12 ft floor").filters.size is None
    assert parse("tile for a 3 x 4 m bathroom").filters.size is None
    assert parse("12 x 24 in floor tile").filters.size == "12 x 24"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("porcelain under $5 per sq ft", (None, 5.0, "sqft")),
        ("tile below $12.99/Sq. Ft.", (None, 12.99, "sqft")),
        ("grout under 20 dollars", (None, 20.0, "unit")),
        ("tile over $50 a box", (50.0, None, "box")),
        ("tile between $40 and $90 per box", (40.0, 90.0, "box")),
        ("between 90 and 40", (40.0, 90.0, "unit")),
        ("mosaic under $1,200", (None, 1200.0, "unit")),
    ],
)
def test_price_limits(text, expected):
    f = parse(text).filters
    assert (f.min_price, f.max_price, f.price_basis) == expected


def test_skus_found_and_prices_and_sizes_are_not_skus():
    assert parse("do you have SKU 684287 in stock?").skus == ("684287",)
    assert parse("compare 43521 and 052003").skus == ("43521", "052003")
    assert parse("is 684018E engineered?").skus == ("684018e",)
    assert parse("tile under $125000").skus == ()
    assert parse("24 x 48 tile").skus == ()


def test_longest_term_wins_and_words_are_whole():
    assert parse("light gray tile for the shower wall").filters.color == "Light Gray"
    assert parse("light gray tile for the shower wall").filters.application == "Shower Wall"
    assert parse("whitewashed oak").filters.color is None  # "white" inside a word is not a color
    assert parse("blue tiles for walls").filters.application == "Wall"


def test_term_finder_prefers_the_longest_term_anywhere_over_the_leftmost():
    finder = TermFinder(
        {
            "white": "White",
            "light gray": "Light Gray",
            "gray": "Gray",
            "off-white (2)": "Off-White (2)",
            "blue": "Blue",
            "teal": "Teal",
        }
    )
    assert finder.find("white and light gray tile") == "Light Gray"  # not the leftmost "white"
    assert finder.find("grays and whites") == "White"  # equally long: the first in the vocabulary
    assert finder.find("an off-white (2) tile") == "Off-White (2)"  # regex characters are literal
    assert finder.find("bluegray") is None and finder.find("teal-blue") == "Blue"  # tie: vocabulary order
    assert TermFinder({}).find("white") is None


def test_filters_validate():
    with pytest.raises(ValueError, match="min_price"):
        ProductFilters(min_price=10, max_price=5)
    with pytest.raises(ValueError, match="price_basis"):
        ProductFilters(price_basis="pallet")
    with pytest.raises(ValueError, match="negative"):
        ProductFilters(max_price=-1)


def test_filter_sql_binds_every_value():
    hostile = "White'); DROP TABLE products; --"
    where, params = filter_sql(ProductFilters(color=hostile, max_price=10, price_basis="sqft", size="12 x 24"))
    assert hostile not in where and "DROP" not in where
    assert params["color"] == hostile.lower() and params["max_price"] == 10
    assert "price_per_sqft" in where


def test_explicit_filters_override_parsed():
    parsed = parse("white tile under $50").filters
    merged = parsed.merged(ProductFilters(color="Blue"))
    assert merged.color == "Blue" and merged.max_price == 50.0


def _size_matches(wanted: str, stored: str | None) -> bool:
    """The size filter's meaning, as a Python regex built from the escaped numbers: the stored size
    starts with the wanted one (any spacing around the x) and the number does not go on."""
    parts = [p.strip() for p in wanted.lower().replace("×", "x").split("x")]
    pattern = r"\s*x\s*".join(re.escape(p) for p in parts if p)
    return stored is not None and re.match(f"{pattern}([^0-9.]|$)", stored) is not None


@pytest.mark.parametrize(
    "size",
    [
        "12 x 24",
        "12x24",
        "12 X 24 IN",
        "12 × 24",
        "12 x 2",
        "12",
        "1",
        "2.5 x 8",
        "2.5",
        "4 x 8 ft",
        "x",
        "(",
        "[",
        "\\",
        "12 x 24 (",
        ".*",
        "1.",
        "%",
        "_",
        "12|13",
        "[0-9]+ x 12",
        "'; DROP TABLE products; --",
    ],
)
def test_size_filter_is_matched_as_data(index_url, size):
    with db.connect(index_url) as conn:
        stored = dict(conn.execute("SELECT product_key, filter_size FROM products").fetchall())
        found = set(matching_product_keys(conn, ProductFilters(size=size)))
    assert found == {key for key, value in stored.items() if _size_matches(size, value)}
    if size in ("12 x 24", "12x24", "12 X 24 IN", "12 × 24"):
        assert found and all(stored[key] == "12 x 24 in" for key in found)  # not 12 x 240, not 12 x 25
