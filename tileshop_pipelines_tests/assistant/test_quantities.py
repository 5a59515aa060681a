"""Quantities from the coverage a data sheet states: the arithmetic, and what is said when a figure
it needs is not stated."""

from __future__ import annotations

import pytest

from tileshop_pipelines.assistant.quantities import CoverageSource, DocumentCoverage, EstimateError, document_quantity


def _source(what: str, statement: str, page: int = 1) -> CoverageSource:
    return CoverageSource(
        what=what,
        document="Some Mortar Technical Data Sheet",
        url="https://cdn.test/tds.pdf",
        page=page,
        source=f"https://cdn.test/tds.pdf#page={page}",
        statement=statement,
    )


MORTAR = DocumentCoverage(
    material="mortar",
    basis="sq ft per unit",
    value=40,
    high=45,
    unit="50 lb bag",
    condition="with a 1/2 x 1/2 in square notch",
    sources=(_source("mortar coverage", "1/2 x 1/2 in square notch 40 to 45 sq ft"),),
)


def test_a_bag_of_another_size_scales_the_stated_coverage():
    q = document_quantity(
        {"name": "Some Mortar 25 lb", "price": 20.0, "price_unit": "each"}, 100, "Area: 100 sq. ft.", 0, MORTAR
    )
    assert (q.unit, q.coverage_per_unit, q.units, q.total) == ("bag", 20.0, 5, 100.0)
    assert q.arithmetic == [
        "Area: 100 sq. ft.",
        "Waste: 100 sq. ft. + 0% = 100 sq. ft.",
        "Coverage: 40 to 45 sq. ft. per 50 lb bag with a 1/2 x 1/2 in square notch (Some Mortar Technical Data "
        'Sheet, page 1: "1/2 x 1/2 in square notch 40 to 45 sq ft"); the low end is used, so the material does not '
        "run short",
        "Per 25 lb bag: 40 sq. ft. x 25 lb / 50 lb = 20 sq. ft.",
        "Bags: 100 sq. ft. / 20 sq. ft. per bag = 5.00, rounded up to 5",
        "Total: 5 x $20.00 per bag = $100.00",
    ]


def test_a_weight_the_catalog_does_not_state_is_said_not_guessed():
    with pytest.raises(EstimateError, match="does not state the weight of this product"):
        document_quantity({"name": "Some Mortar", "price": 20.0, "price_unit": "each"}, 100, "Area", None, MORTAR)
    grout = DocumentCoverage(
        material="grout",
        basis="lb per 100 sq ft",
        value=15,
        high=None,
        unit=None,
        condition="for 4 x 12 x 3/8 in tile with 1/8 in joints",
        sources=(_source("grout coverage", "4 x 12 x 3/8 in 15 22 30"),),
    )
    with pytest.raises(
        EstimateError, match=r"that is 9.9 lb of grout, but the catalog does not state how much one bag"
    ):
        document_quantity({"name": "Grout", "price": 20.0, "price_unit": "bag"}, 60, "Area", None, grout)


def test_a_pail_with_its_trowel_row_cited_first():
    trowel = _source("trowel notch", "12 x 24 in 1/4 x 1/4 in square notch", page=2)
    pail = DocumentCoverage(
        material="mortar",
        basis="sq ft per unit",
        value=25,
        high=None,
        unit="1 gallon pail",
        condition="with a 1/4 x 1/4 in square notch",
        sources=(trowel, _source("mortar coverage", "1/4 x 1/4 in square notch 25 sq ft")),
    )
    q = document_quantity({"name": "Mastic", "price": 30.0, "price_unit": "each"}, 50, "Area: 50 sq. ft.", None, pail)
    assert (q.unit, q.units, q.total) == ("pail", 3, 90.0)  # 55 sq. ft. / 25
    assert q.arithmetic[2].startswith("Trowel: a 1/4 x 1/4 in square notch (Some Mortar Technical Data Sheet, page 2:")
    assert [s.what for s in q.coverage_sources] == ["trowel notch", "mortar coverage"]
