import io

import pytest
from pypdf import PdfReader

from tileshop_pipelines.sample_catalog.documents import DOCUMENTS
from tileshop_pipelines.sample_catalog.pdfs import document_pdf
from tileshop_pipelines.text.coverage import Notch, TrowelChoice, amount, page_coverage, tile_sides, unit_pounds

GROUT_PAGE = """Coverage
Approximate pounds of grout per 100 sq ft, by tile size and joint width (tile thickness as listed). Add 10% for waste
on textured or uneven tile.
Tile size 1/8 in joint 3/16 in joint 1/4 in joint
2 x 2 x 1/4 in 30 45 59
4 x 12 x 3/8 in 15 22 30
12 x 12 x 3/8 in 7.4 11 15
Mixing"""
MORTAR_PAGE = """Coverage
Approximate coverage per 50 lb bag.
Trowel notch Coverage per 50 lb bag
1/4 x 3/8 in square notch 60 to 65 sq ft
1/2 x 1/2 in square notch 40 to 45 sq ft
3/4 in loop notch 25 to 28 sq ft
Trowel Selection
Tile size Trowel notch
up to 12 x 12 in 1/4 x 3/8 in square notch
12 x 24 in and 24 x 24 in 1/2 x 1/2 in square notch
24 x 48 in and larger 3/4 in loop notch"""


def test_numbers_sizes_and_weights():
    assert amount("1/8") == 0.125 and amount("1,200") == 1200.0 and amount("7.4") == 7.4
    assert tile_sides("12 x 4 in subway") == (4.0, 12.0) and tile_sides('12" by 24"') == (12.0, 24.0)
    assert tile_sides("no size") is None
    assert unit_pounds("ARDEX X77 Thinset Mortar 40 lbs") == 40.0 and unit_pounds("Caulk 10.5 oz") is None


def test_grout_table():
    grout = page_coverage(GROUT_PAGE).grout
    assert len(grout) == 9
    row = next(g for g in grout if g.sides == (4.0, 12.0) and g.joint_in == 0.125)
    assert (row.value, row.basis, row.unit) == (15.0, "lb per 100 sq ft", None)
    assert row.line == "4 x 12 x 3/8 in 15 22 30" and row.joint == "1/8 in"


def test_grout_per_pail():
    text = GROUT_PAGE.replace(
        "Approximate pounds of grout per 100 sq ft", "Approximate square feet covered per 9 lb pail"
    )
    row = page_coverage(text).grout[0]
    assert (row.basis, row.unit) == ("sq ft per unit", "9 lb pail")


def test_a_table_without_its_basis_states_nothing():
    assert page_coverage(GROUT_PAGE.replace("pounds of grout per 100 sq ft", "grout")).grout == ()


def test_mortar_and_trowel_tables():
    found = page_coverage(MORTAR_PAGE)
    assert [(m.notch, m.low, m.high, m.unit) for m in found.mortar] == [
        ("1/4 x 3/8 in square notch", 60, 65, "50 lb bag"),
        ("1/2 x 1/2 in square notch", 40, 45, "50 lb bag"),
        ("3/4 in loop notch", 25, 28, "50 lb bag"),
    ]
    assert [t.notch for t in found.trowels if t.fits((12.0, 24.0))] == ["1/2 x 1/2 in square notch"]
    assert [t.notch for t in found.trowels if t.fits((4.0, 12.0))] == ["1/4 x 3/8 in square notch"]
    assert [t.notch for t in found.trowels if t.fits((24.0, 48.0))] == ["3/4 in loop notch"]
    assert [t.notch for t in found.trowels if t.fits((12.0, 36.0))] == []  # no row says: nothing guessed


@pytest.mark.parametrize(
    "tiles, sides, fits",
    [
        ("8 x 8 in to 16 x 16 in", (12.0, 12.0), True),
        ("8 x 8 in to 16 x 16 in", (12.0, 24.0), False),
        ("larger than 16 x 16 in", (12.0, 24.0), True),
        ("larger than 16 x 16 in", (16.0, 16.0), False),
        ("mosaics and tile up to 4 x 4 in", (2.0, 2.0), True),
        ("12 x 24 in and 24 x 24 in", (24.0, 24.0), True),
    ],
)
def test_trowel_rows(tiles, sides, fits):
    assert TrowelChoice(tiles, "1/2 x 1/2 in square notch", "").fits(sides) is fits


def test_notches_as_shoppers_write_them():
    sheet = Notch.parse("1/2 x 1/2 in square notch")
    assert sheet == Notch((0.5, 0.5), "square")
    assert sheet.matches(Notch.parse("1/2 inch square")) and sheet.matches(Notch.parse("1/2 x 1/2"))
    assert not sheet.matches(Notch.parse("1/4 x 3/8")) and not sheet.matches(Notch.parse("1/2 in U-notch"))
    assert Notch.parse("a trowel") is None


def test_every_coverage_fact_of_the_sample_data_sheets_is_read_from_its_page():
    """The oracle: each grout coverage, mortar coverage and trowel notch fact of the facts table is
    read, with its value, from the text pypdf extracts from the page it names."""
    checked = 0
    for doc in DOCUMENTS.values():
        if doc.kind != "technical data sheet":
            continue
        pages = [page_coverage(p.extract_text()) for p in PdfReader(io.BytesIO(document_pdf(doc.path))).pages]
        for fact in doc.facts:
            found = pages[fact.page - 1]
            if fact.key == "grout coverage":
                value = fact.values[0]
                rows = [
                    g
                    for g in found.grout
                    if g.tile == fact.conditions["tile size"] and g.joint == fact.conditions["joint width"]
                ]
                assert [g.value for g in rows] == [value.number], (doc.path, fact)
                assert rows[0].basis == ("lb per 100 sq ft" if value.unit == "lb per 100 sq ft" else "sq ft per unit")
            elif fact.key == "mortar coverage":
                value = fact.values[0]
                rows = [m for m in found.mortar if m.notch == fact.conditions["trowel notch"]]
                assert [(m.low, m.high) for m in rows] == [(value.number, value.upto)], (doc.path, fact)
                assert value.unit == f"sq ft per {rows[0].unit}"
            elif fact.key == "trowel notch":
                assert [t.notch for t in found.trowels if t.tiles == fact.conditions["tile size"]] == [fact.values[0]]
            else:
                continue
            checked += 1
    assert checked > 200
