"""The sample documents' facts table: every document a catalog names is in it, each product names the
documents of its line or material, and each fact's words print each of its values."""

from __future__ import annotations

import collections

import pytest

from tileshop_pipelines.sample_catalog.document_lines import CDN_URL, data_sheets, line_of, on_cdn, safety_data_sheet
from tileshop_pipelines.sample_catalog.document_model import Value, number
from tileshop_pipelines.sample_catalog.documents import DOCUMENTS, KINDS, document_path, normalized, sample_document

TDS = "/is/content/TileShop/pdf/tds/"


def _named(catalog) -> dict[str, set[str]]:
    """Each document URL the catalog's pages name -> the names they give it."""
    names: dict[str, set[str]] = collections.defaultdict(set)
    for product in catalog.products:
        for d in product.documents:
            names[d["Url"]].add(d["Name"])
    return names


@pytest.mark.parametrize("size", [500, 5000])
def test_every_document_a_catalog_names_is_in_the_table_under_the_name_its_pages_give(built, size):
    named = _named(built(size, 7))
    assert named, "the catalog names no document"
    for url, names in named.items():
        assert url.startswith(CDN_URL + "/is/content/TileShop/pdf/"), url
        doc = sample_document(url)
        assert names == {doc.name}, (url, names)
        assert doc.url == url


def test_the_table_holds_every_kind_and_a_fact_on_every_page(catalog):
    assert {d.kind for d in DOCUMENTS.values()} == set(KINDS)
    for doc in DOCUMENTS.values():
        assert doc.facts, doc.path
        assert 2 <= doc.page_count <= 4, (doc.path, doc.page_count)
        headings = {(s.heading, s.page) for s in doc.sections}
        for fact in doc.facts:
            assert (fact.section, fact.page) in headings, (doc.path, fact)


def test_each_fact_statement_prints_each_of_its_values():
    for doc in DOCUMENTS.values():
        for fact in doc.facts:
            assert fact.values, (doc.path, fact.key)
            for value in fact.values:
                if isinstance(value, Value):
                    assert number(value.number, value.unit) in fact.statement, (doc.path, fact)
                    if value.upto is not None:
                        assert number(value.upto, value.unit) in fact.statement, (doc.path, fact)
                elif value not in ("none", "not required"):
                    assert value in fact.statement, (doc.path, fact)


def _coverage(stem: str, notch: str) -> Value:
    doc = sample_document(f"{TDS}{stem}-tds.pdf")
    [fact] = [f for f in doc.facts_about("mortar coverage") if f.conditions["trowel notch"] == notch]
    return fact.values[0]


def test_two_thinsets_state_different_coverage_for_the_same_notch():
    x4, pro_flex = (
        _coverage("ardex-x4-mortar", "1/4 x 1/4 in square notch"),
        _coverage("superior-pro-flex-thinset-mortar", "1/4 x 1/4 in square notch"),
    )
    assert (x4.number, x4.upto, x4.unit) == (75, 80, "sq ft per 40 lb bag")
    assert (pro_flex.number, pro_flex.upto, pro_flex.unit) == (90, 95, "sq ft per 50 lb bag")


def test_grout_coverage_is_per_tile_size_and_joint_and_unsanded_grout_stops_at_one_eighth():
    sanded = sample_document(f"{TDS}superior-excel-sanded-grout-tds.pdf")
    unsanded = sample_document(f"{TDS}superior-excel-unsanded-grout-tds.pdf")
    subway = {
        f.conditions["joint width"]: f.values[0]
        for f in sanded.facts_about("grout coverage")
        if f.conditions["tile size"] == "4 x 12 x 3/8 in"
    }
    assert set(subway) == {"1/8 in", "3/16 in", "1/4 in", "3/8 in", "1/2 in"}
    assert subway["1/8 in"].unit == "lb per 100 sq ft" and subway["1/8 in"].number < subway["1/4 in"].number
    [joints] = unsanded.facts_about("joint width")
    assert joints.values == (Value(0.0625, "in", 0.125),)
    urethane = sample_document(f"{TDS}bostik-dimension-urethane-grout-tds.pdf")
    assert {f.values[0].unit for f in urethane.facts_about("grout coverage")} == {"sq ft per 9 lb pail"}
    assert urethane.facts_about("time before sealing")[0].values == ("not required",)


def test_a_rapid_mortar_grouts_the_same_day_and_a_standard_one_the_next():
    rapid = sample_document(f"{TDS}superior-platinum-mortar-tds.pdf").facts_about("time before grouting")[0]
    standard = sample_document(f"{TDS}ardex-x4-mortar-tds.pdf").facts_about("time before grouting")[0]
    assert rapid.values == (Value(3, "hours"),) and standard.values == (Value(24, "hours"),)
    assert rapid.statement == "Grout after 3 hours at 70°F and 50% relative humidity."


def test_products_name_the_documents_of_their_line_or_material(full_catalog):
    by_line: dict[str, set[str]] = collections.defaultdict(set)
    for product in full_catalog.products:
        kinds = {sample_document(d["Url"]).kind for d in product.documents}
        material = product.specs.get("MaterialType", "")
        if product.kind in ("lvt", "laminate", "wood"):
            [guide] = [d for d in product.documents if d["Name"] == "Installation Instructions"]
            assert sample_document(guide["Url"]).facts_about("acclimation"), product.path
        if product.kind == "tile" and product.documents:
            assert [d["Name"] for d in product.documents] == [f"{material} Safety Data Sheet"], product.path
        if product.kind == "stone" and product.documents:
            assert kinds == {"care guide"}
        if material.endswith(" Grout") and product.documents:
            tds = sample_document(product.documents[0]["Url"])
            assert tds.facts_about("grout coverage"), (product.path, tds.path)
        if "Mortar" in material and product.documents:
            assert sample_document(product.documents[0]["Url"]).facts_about("mortar coverage"), product.path
        for d in product.documents:
            if d["Name"] == "Technical Data Sheet":
                by_line[d["Url"]].add(product.path)
    # A data sheet is the line's: every color and bag of a grout names the same one.
    excel = by_line[CDN_URL + f"{TDS}superior-excel-sanded-grout-tds.pdf"]
    assert len(excel) >= 20 and all("excel" in p and "-sanded-" in p for p in excel)


def test_the_known_mortar_names_its_lines_data_sheet():
    assert data_sheets("superior-white-lft-bond-mortar-50lb-43521", with_sds=False) == [
        {"Name": "Technical Data Sheet", "Url": f"{CDN_URL}{TDS}superior-lft-bond-mortar-tds.pdf"}
    ]
    assert line_of("flofx-matte-black-clean-lines-shower-drain-grate-350101") is None
    assert data_sheets("flofx-matte-black-clean-lines-shower-drain-grate-350101", with_sds=True) == []


def test_unknown_documents_and_materials_fail_naming_them():
    with pytest.raises(KeyError, match="no-such-tds.pdf"):
        sample_document(f"{CDN_URL}{TDS}no-such-tds.pdf")
    with pytest.raises(KeyError, match="/products/x"):
        document_path("/products/x")
    with pytest.raises(ValueError, match="Onyx"):
        safety_data_sheet("Onyx")


def test_on_cdn_moves_only_the_real_cdns_addresses():
    url = f"{CDN_URL}{TDS}ardex-x4-mortar-tds.pdf"
    assert on_cdn(url, "http://127.0.0.2:9000") == f"http://127.0.0.2:9000{TDS}ardex-x4-mortar-tds.pdf"
    assert on_cdn(url, None) == url
    assert on_cdn("https://example.com/a.pdf", "http://127.0.0.2:9000") == "https://example.com/a.pdf"
    assert document_path(on_cdn(url, "http://127.0.0.2:9000")) == f"{TDS}ardex-x4-mortar-tds.pdf"


def test_normalized_joins_whitespace_runs():
    assert normalized(" a\nb \t c ") == "a b c"
