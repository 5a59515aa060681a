"""catalog.sanitize: the quick check of a clean value gives what the value-by-value walk gives."""

from __future__ import annotations

import enum

import pytest

from tileshop_pipelines.catalog.sanitize import _made_storable, storable_text, storable_value


class Level(enum.IntEnum):
    LOW = 1


class Label(str):
    pass


CLEAN = [
    "plain ascii",
    "café 12″ × 24″ — matte",
    "",
    {
        "name": "Tile",
        "price": 12.5,
        "box_quantity": 8,
        "directional_layout": False,
        "brand": None,
        "specifications": {"Finish": "Matte", "Größe": "30 × 60"},
        "images": ["https://x/a.jpg"],
        "provenance": {"name": "jsonld"},
    },
    [1, 2.5, True, None, ["nested", {"k": "v"}]],
    2**53,
    -(2**53),
]

UNCLEAN = [
    "nul\x00inside",
    "lone \ud800 surrogate",
    "é and lone \udfff surrogate",
    "both \x00 and \ud83d",
    float("nan"),
    float("inf"),
    2**53 + 1,
    -(2**60),
    ("a", "tuple"),
    {"specifications": {"Fin\x00ish": "Matte", "Color": "Gr\ud800ey"}, "price": float("-inf")},
    {"images": ["ok", "bad\x00"], "count": 10**20, "nested": [("t", 1.0)]},
    {1: "an int key"},
    Label("a str subclass"),
    Level.LOW,
    {"level": Level.LOW, "label": Label("x\x00")},
]


@pytest.mark.parametrize("value", CLEAN + UNCLEAN, ids=repr)
def test_storable_value_is_the_walk_value_by_value(value):
    quick_reasons, walked_reasons = [], []
    quick = storable_value(value, "record", quick_reasons)
    walked = _made_storable(value, "record", walked_reasons)
    assert repr(quick) == repr(walked)  # repr: NaN != NaN, and it shows types (tuple vs list, subclasses)
    assert quick_reasons == walked_reasons


@pytest.mark.parametrize("value", CLEAN, ids=repr)
def test_a_clean_value_is_returned_as_it_is(value):
    reasons = []
    assert storable_value(value, "record", reasons) is value
    assert reasons == []


def test_storable_text_on_non_ascii_pages():
    page = "<p>café ™</p>" * 1000
    assert storable_text(page, "html") == (page, [])
    assert storable_text(page + "\ud800", "html") == (
        page + "\ufffd",
        ["surrogate_replaced: html: 1 lone surrogate(s) replaced by U+FFFD"],
    )
    assert storable_text("\x00" + page, "html") == (page, ["nul_removed: html: 1 NUL character(s) removed"])
