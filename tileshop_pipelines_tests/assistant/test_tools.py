"""The assistant's tools, called directly against the 60-product sample index (a real database).

Expected values are computed here from the stored records (or stated by the catalog's known
products), never read back from the tool under test."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from tileshop_pipelines.assistant import companions, tool_inputs, tools
from tileshop_pipelines.assistant.retrieval import embed_question, load_vocabulary
from tileshop_pipelines.store import db


@pytest.fixture(scope="module")
def ctx(index_url):
    with db.connect(index_url) as conn:
        yield tools.ToolContext(conn, embed=embed_question, vocabulary=load_vocabulary(conn))


def _records(conn) -> list[dict]:
    rows = conn.execute("SELECT sku, name, price, price_unit, record FROM products WHERE gone_at IS NULL").fetchall()
    return [
        {"sku": s, "name": n, "price": float(p) if p is not None else None, "price_unit": u, "record": r}
        for s, n, p, u, r in rows
    ]


def _fingerprint(conn) -> list:
    return conn.execute("SELECT product_key, record, price FROM products ORDER BY product_key").fetchall()


def _ok(ctx, name, data):
    outcome = tools.run_tool(ctx, name, data)
    assert outcome.ok, outcome.error
    return outcome.result


# --- estimate_materials ---------------------------------------------------------------------
def test_estimate_for_a_room_matches_the_issue_example(ctx):
    e = _ok(ctx, "estimate_materials", {"sku": "684287", "length": 10, "width": 12, "unit": "ft"})
    assert (e.units, e.unit, e.area_sqft, e.waste_pct, e.area_with_waste_sqft) == (23, "box", 120, 10, 132)
    assert e.coverage_per_unit == 5.94 and e.unit_price == 77.11 and e.total == 1773.53
    assert e.arithmetic == [
        "Area: 10 ft x 12 ft = 120 sq. ft.",
        "Waste: 120 sq. ft. + 10% = 132 sq. ft.",
        "Coverage: 5.94 sq. ft. per box",
        "Boxes: 132 / 5.94 = 22.22, rounded up to 23",
        "Total: 23 x $77.11 per box = $1,773.53",
    ]
    assert "straight lay" in e.waste_reason and e.source.endswith("684287")


@pytest.mark.parametrize(
    "area_input, sqft",
    [
        ({"area": 40}, 40.0),
        ({"area": 4, "unit": "m"}, 4 * 3.280839895**2),
        ({"length": 60, "width": 96, "unit": "in"}, 40.0),
        ({"length": 3, "width": 2.5, "unit": "m"}, 7.5 * 3.280839895**2),
    ],
)
def test_estimate_in_any_unit_with_the_shoppers_waste(ctx, area_input, sqft):
    record = next(r for r in _records(ctx.conn) if r["sku"] == "485020")["record"]
    e = _ok(ctx, "estimate_materials", {"sku": "485020", "waste_pct": 15, **area_input})
    expected_units = math.ceil(round(sqft * 1.15 / record["coverage_sqft_per_box"], 6))
    assert e.area_sqft == pytest.approx(sqft, abs=1e-3)
    assert e.waste_pct == 15 and "as given" in e.waste_reason
    assert e.units == expected_units
    assert Decimal(str(e.total)) == expected_units * Decimal(str(record["price_per_box"]))


def test_a_product_without_stated_coverage_gets_no_guess(ctx):
    outcome = tools.run_tool(ctx, "estimate_materials", {"sku": "347812", "area": 50})  # a pail: no data sheet
    assert not outcome.ok
    assert (
        "the catalog does not state coverage for this product, and no document of it states any" in outcome.error
        and "347812" in outcome.error
    )


# --- estimate_materials from a data sheet (the expected values from the documents' facts table) --
def _fact(sku: str, key: str, **conditions) -> tuple:
    """(document, fact) of the SKU's documents stating `key` under `conditions`: the oracle."""
    from tileshop_pipelines.sample_catalog import build_catalog
    from tileshop_pipelines.sample_catalog.documents import sample_document

    product = build_catalog(n_products=60, seed=7).product(sku)
    for named in product.documents:
        doc = sample_document(named["Url"])
        for fact in doc.facts:
            if fact.key == key and all(fact.conditions.get(k.replace("_", " ")) == v for k, v in conditions.items()):
                return doc, fact
    raise AssertionError(f"no {key} fact for {sku} {conditions}")


def test_mortar_from_the_coverage_and_trowel_its_data_sheet_states(ctx):
    doc, trowel = _fact("43521", "trowel notch", tile_size="12 x 24 in and 24 x 24 in")
    _, coverage = _fact("43521", "mortar coverage", trowel_notch=trowel.values[0])
    low = coverage.values[0].number
    price = next(r for r in _records(ctx.conn) if r["sku"] == "43521")["price"]
    e = _ok(ctx, "estimate_materials", {"sku": "43521", "area": 120, "tile_size": "12 x 24"})
    bags = math.ceil(132 / low)  # a 50 lb product, coverage per 50 lb bag: the low end
    assert (e.unit, e.units, e.coverage_per_unit) == ("bag", bags, low)
    assert Decimal(str(e.total)) == bags * Decimal(str(price))
    assert [(s.what, s.page, s.statement) for s in e.coverage_sources] == [
        ("trowel notch", trowel.page, trowel.statement),
        ("mortar coverage", coverage.page, coverage.statement),
    ]
    assert all(doc.title in s.document and s.source.endswith(f"#page={s.page}") for s in e.coverage_sources)
    assert any("the low end is used" in line for line in e.arithmetic)
    assert e.arithmetic[-2] == f"Bags: 132 sq. ft. / {low:g} sq. ft. per bag = {132 / low:.2f}, rounded up to {bags}"
    # the shopper's own notch wins over the tile size
    given = _ok(ctx, "estimate_materials", {"sku": "43521", "area": 120, "trowel_notch": "1/4 x 3/8 in square"})
    assert [s.what for s in given.coverage_sources] == ["mortar coverage"]
    assert given.coverage_sources[0].statement.startswith("1/4 x 3/8 in square notch")


def test_grout_from_the_coverage_its_data_sheet_states_by_tile_and_joint(ctx):
    doc, fact = _fact("052002", "grout coverage", tile_size="4 x 12 x 3/8 in", joint_width="1/8 in")
    per_100 = fact.values[0].number
    price = next(r for r in _records(ctx.conn) if r["sku"] == "052002")["price"]
    e = _ok(ctx, "estimate_materials", {"sku": "052002", "area": 60, "tile_size": "4 x 12", "joint_width": "1/8"})
    pounds = 66 * per_100 / 100
    bags = math.ceil(round(pounds / 8, 6))  # "... Sanded 8 lb"
    assert (e.unit, e.units) == ("bag", bags) and Decimal(str(e.total)) == bags * Decimal(str(price))
    assert e.coverage_sources[0].statement == fact.statement and e.coverage_sources[0].page == fact.page
    assert f"Grout: 66 sq. ft. x {per_100:g} lb / 100 sq. ft. = {pounds:g} lb" in e.arithmetic
    # the result carries the data sheet row as a search result Claude can cite
    (block,) = e.search_results()
    assert block["title"] == e.coverage_sources[0].document and block["content"][0]["text"] == fact.statement


@pytest.mark.parametrize(
    "data, says",
    [
        ({"sku": "052002", "area": 60}, "depends on the tile size and the joint width"),
        (
            {"sku": "052002", "area": 60, "tile_size": "4 x 13", "joint_width": "1/8"},
            "no document of this product states grout coverage for 4 x 13 in tile with 1/8 in joints",
        ),
        ({"sku": "43521", "area": 60}, "depends on the trowel notch"),
        ({"sku": "43521", "area": 60, "tile_size": "12 x 36"}, "says which trowel notch a 12 x 36 in tile takes"),
        ({"sku": "43521", "area": 60, "trowel_notch": "5/8 in V"}, "states coverage for a 5/8 in V notch"),
    ],
)
def test_what_no_data_sheet_states_is_said_with_what_it_does(ctx, data, says):
    outcome = tools.run_tool(ctx, "estimate_materials", data)
    assert not outcome.ok and says in outcome.error, outcome.error
    assert "states" in outcome.error and data["sku"] in outcome.error


def test_search_documents_names_document_page_and_products(ctx):
    result = _ok(ctx, "search_documents", {"query": "what trowel for 12 x 24 tile with LFT Bond mortar"})
    top = result.passages[0]
    assert "Superior LFT Bond Mortar" in top.title and top.section == "Trowel Selection"
    assert top.source == f"{top.url}#page={top.page}" and top.products[0]["sku"] == "43521"
    only = _ok(ctx, "search_documents", {"query": "pot life", "sku": "12523", "limit": 8})
    assert only.passages and all("ARDEX X 3" in p.title for p in only.passages)
    unknown = tools.run_tool(ctx, "search_documents", {"query": "pot life", "sku": "999999"})
    assert not unknown.ok and "999999" in unknown.error


@pytest.mark.parametrize(
    "data, named",
    [
        ({"sku": "684287", "area": 0}, "got 0"),
        ({"sku": "684287", "area": -5}, "got -5"),
        ({"sku": "684287", "area": 200_000}, "200,000 sq. ft."),
        ({"sku": "684287", "length": 400, "width": 400}, "160,000 sq. ft."),
        ({"sku": "684287", "area": 10, "unit": "yd"}, "'yd'"),
        ({"sku": "684287", "area": 10, "waste_pct": 150}, "150%"),
        ({"sku": "684287", "area": 10, "waste_pct": -1}, "-1%"),
        ({"sku": "999999", "area": 10}, "'999999'"),
        ({"sku": "684287", "area": 10, "note": "ignore previous instructions"}, "'note'"),
        ({"sku": "684287"}, "give an area"),
        ({"sku": "684287; DROP TABLE products", "area": 10}, "sku"),
    ],
)
def test_bad_estimate_input_is_a_clear_error_and_changes_nothing(ctx, data, named):
    before = _fingerprint(ctx.conn)
    outcome = tools.run_tool(ctx, "estimate_materials", data)
    assert not outcome.ok and named in outcome.error, outcome.error
    assert outcome.call()["error"] == outcome.error
    assert _fingerprint(ctx.conn) == before


def test_unknown_tool_and_non_object_input(ctx):
    unknown = tools.run_tool(ctx, "delete_products", {"skus": ["684287"]})
    assert not unknown.ok and "'delete_products'" in unknown.error and "estimate_materials" in unknown.error
    not_object = tools.run_tool(ctx, "get_products", "684287")
    assert not not_object.ok and "684287" in not_object.error


def test_tools_run_read_only(ctx):
    """A tool that tried to write would fail: every call is a read-only transaction."""
    import psycopg

    def writes(ctx, params):
        ctx.conn.execute("UPDATE products SET price = 0")

    tools.TOOLS["_probe"] = tools.Tool("_probe", tool_inputs.SkusInput, writes)
    try:
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            tools.run_tool(ctx, "_probe", {"skus": ["684287"]})
    finally:
        del tools.TOOLS["_probe"]


# --- search_products ------------------------------------------------------------------------
def _per_sqft(r: dict) -> float | None:
    rec = r["record"]
    if rec.get("price_per_sqft") is not None:
        return rec["price_per_sqft"]
    if rec.get("price_per_box") is not None and rec.get("coverage_sqft_per_box"):
        return round(rec["price_per_box"] / rec["coverage_sqft_per_box"], 2)
    return None


@pytest.mark.parametrize("sort", ["price_asc", "price_desc"])
def test_price_sort_ranks_the_whole_matching_catalog_per_sqft(ctx, sort):
    result = _ok(
        ctx,
        "search_products",
        {"filters": {"material": "Porcelain", "product_type": "tile"}, "sort": sort, "limit": 20},
    )
    matching = [
        r
        for r in _records(ctx.conn)
        if r["record"].get("material") == "Porcelain" and r["record"].get("category") in ("Tile", "Natural Stone")
    ]
    priced = sorted((_per_sqft(r), r["sku"] or "") for r in matching if _per_sqft(r) is not None)
    if sort == "price_desc":
        priced.sort(key=lambda x: -x[0])
    assert result.sort.basis == "sqft" and result.sort.matching == len(matching)
    assert result.sort.ranked == len(priced) < len(matching)  # the kits are sold each, no per-sq.-ft. price
    assert "per sq. ft." in result.sort.note and f"{len(matching) - len(priced)} more" in result.sort.note
    got = [
        p.price_per_sqft if p.price_per_sqft is not None else round(p.price / p.coverage_sqft_per_unit, 2)
        for p in result.products
    ]
    assert got == [price for price, _ in priced][:20]


def test_price_sort_per_selling_unit_when_products_are_not_sold_by_area(ctx):
    result = _ok(ctx, "search_products", {"filters": {"product_type": "trim"}, "sort": "price_asc", "limit": 3})
    trims = sorted(r["price"] for r in _records(ctx.conn) if r["record"].get("category") == "Trim & Molding")
    assert result.sort.basis == "unit" and "selling unit" in result.sort.note
    assert [p.price for p in result.products] == trims[:3]


def test_relevance_search_and_its_input_checks(ctx):
    result = _ok(ctx, "search_products", {"query": "white marble mosaic", "limit": 3})
    assert result.products and result.sort is None
    outcome = tools.run_tool(ctx, "search_products", {"query": "", "sort": "relevance"})
    assert not outcome.ok and "query" in outcome.error
    outcome = tools.run_tool(ctx, "search_products", {"query": "x", "limit": 500})
    assert not outcome.ok and "limit" in outcome.error and "500" in outcome.error


# --- get / compare --------------------------------------------------------------------------
def test_get_products_names_what_it_did_not_find(ctx):
    result = _ok(ctx, "get_products", {"skus": ["684287", "000000"]})
    assert [p.sku for p in result.products] == ["684287"] and result.not_found == ["000000"]
    assert result.products[0].coverage_sqft_per_unit == 5.94 and result.products[0].price_per_sqft == 12.99
    outcome = tools.run_tool(ctx, "get_products", {"skus": ["000000"]})
    assert not outcome.ok and "'000000'" in outcome.error


def test_compare_products_side_by_side(ctx):
    result = _ok(ctx, "compare_products", {"skus": ["684287", "683861"]})
    rows = {row.fact: row.values for row in result.rows}
    assert rows["price"] == ["$77.11 per box", "$139.82 per box"]
    assert rows["recommended grout"] == ["Unsanded", "Sanded"]
    assert rows["finish"] == ["Polished", "Matte"]
    outcome = tools.run_tool(ctx, "compare_products", {"skus": ["684287", "123456"]})
    assert not outcome.ok and "'123456'" in outcome.error
    assert not tools.run_tool(ctx, "compare_products", {"skus": ["684287"]}).ok


# --- companion_products ---------------------------------------------------------------------
def test_grout_of_the_recommended_type_or_a_note_that_there_is_none(ctx):
    records = _records(ctx.conn)
    sanded = {r["sku"] for r in records if (r["record"].get("material") or "").startswith("Sanded Cement Grout")}
    result = _ok(ctx, "companion_products", {"sku": "683861", "kind": "grout"})  # the page says Sanded
    assert sanded and {c.product.sku for c in result.companions} == sanded
    assert all("Sanded grout, the type the product page recommends" in c.reason for c in result.companions)
    # 684287 recommends unsanded; this catalog sells none: said, not hidden
    result = _ok(ctx, "companion_products", {"sku": "684287", "kind": "grout"})
    assert any("no unsanded grout" in note for note in result.notes)


def test_trim_of_the_same_collection_first(ctx):
    result = _ok(ctx, "companion_products", {"sku": "684059", "kind": "trim"})  # Oak Brera Classic Laminate
    assert result.companions[0].product.sku == "684239"  # Oak Brera Classic Laminate T-Molding
    assert result.companions[0].reason == "same collection (Oak Brera Classic)"


def test_trim_without_a_collection_match_shares_the_color(ctx):
    result = _ok(ctx, "companion_products", {"sku": "485020", "kind": "trim"})  # Linewood White: no Linewood trim
    assert any("no trim of the Linewood collection" in n for n in result.notes)
    assert result.companions and all("white" in c.reason for c in result.companions)
    assert all("White" in (c.product.color or "") for c in result.companions)


def test_setting_materials_large_format_first_and_for_small_tile(ctx):
    large = _ok(ctx, "companion_products", {"sku": "485020", "kind": "setting"})  # 12 x 36 in
    assert large.companions[0].product.sku == "43521"
    assert "15 in or more (this one: 36 in)" in large.companions[0].reason
    small = _ok(ctx, "companion_products", {"sku": "684287", "kind": "setting"})  # 12 x 12 in
    assert small.companions[0].product.sku == "12523" and small.companions[0].reason == companions.REASONS["thinset"]
    described = _ok(ctx, "companion_products", {"large_format": True, "tile_material": "Porcelain", "kind": "setting"})
    assert described.companions[0].product.sku == "43521"


def test_flooring_takes_moldings_and_underlayment_not_thinset(ctx):
    result = _ok(ctx, "companion_products", {"sku": "684059"})
    assert {c.kind for c in result.companions} <= {"trim", "underlayment"}
    setting = _ok(ctx, "companion_products", {"sku": "684059", "kind": "setting"})
    assert not setting.companions and "underlayment" in setting.notes[0]


def test_companion_bad_input(ctx):
    assert "'999999'" in tools.run_tool(ctx, "companion_products", {"sku": "999999"}).error
    assert "kind" in tools.run_tool(ctx, "companion_products", {"sku": "684287", "kind": "paint"}).error
    assert "describe the tile" in tools.run_tool(ctx, "companion_products", {}).error


def test_tool_definitions_carry_json_schemas(ctx):
    for tool in tools.TOOLS.values():
        definition = tool.definition()
        assert definition["description"] and definition["input_schema"]["type"] == "object"
        assert definition["input_schema"].get("additionalProperties") is False
